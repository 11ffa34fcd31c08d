package demodata

// Kurmanji (Latin script) is a small share of the data set, so its text
// set is smaller than the others.
var textKMR = text{
	fictional:   "Tomareke nimûneyî ya xeyalî. ",
	contentNote: "Ev tomareke nimûneyî ya xeyalî ye: hemû nav, hejmar û hûrgiliyên tê de hatine çêkirin.",
	kinds: [numKinds]kindForms{
		{"Şahidî", "şahidî", "şahidiyê", "ev şahidî"},
		{"Hevpeyvîn", "hevpeyvîn", "hevpeyvînê", "ev hevpeyvîn"},
		{"Lêkolîna dozê", "lêkolîna dozê", "lêkolîna dozê", "ev lêkolîna dozê"},
		{"Rapor", "rapor", "raporê", "ev rapor"},
		{"Tomara medyayê", "tomara medyayê", "tomara medyayê", "ev tomara medyayê"},
	},
	topics: [numTopics]string{
		"koçberî", "girtina li xala kontrolê", "endamekî malbatê yê winda",
		"gihîştina xizmetan", "windabûna milk", "alîkariya hiqûqî",
	},
	months: [12]string{
		"Çile", "Sibat", "Adar", "Nîsan", "Gulan", "Hezîran", "Tîrmeh",
		"Tebax", "Îlon", "Cotmeh", "Mijdar", "Kanûn",
	},
	whenMonth:  "di {month} {year} de",
	whenYear:   "di sala {year} de",
	sinceMonth: "ji {month} {year} ve",
	sinceYear:  "ji sala {year} ve",
	titles: [numTopics][]string{
		topDisplacement: {
			"{Kind} li ser koçberiya ji {origin} bo {camp}",
			"Malbatên koçber ên {origin} li {camp}",
			"Vegera malbatan bo {origin} piştî sala {year}",
		},
		topDetention: {
			"Girtin li xala kontrolê ya nêzîkî {origin}",
			"{Kind} li ser girtina li xalên kontrolê, parêzgeha {gov}",
		},
		topMissing: {
			"Lêgerîna endamên winda yên malbatê ji {origin}",
			"{Kind}: malbatên windayan li {camp}",
		},
		topServices: {
			"Gihîştina xizmetên tenduristiyê li {camp}",
			"Perwerdehiya zarokên koçber li {camp}",
		},
		topProperty: {
			"Windabûna xanî û erdê li {origin}",
			"Daxwazên tazmînatê ji bo milkên li {origin}",
		},
		topLegal: {
			"Pêdiviyên alîkariya hiqûqî li {camp}",
			"Belgeyên sivîl ji bo zarokên ku di koçberiyê de ji dayik bûne, parêzgeha {gov}",
		},
	},
	personTitles: []string{
		"{Kind}: {person}, {origin}",
		"{Kind} bi {person} re li ser {topic}",
	},
	summaries: [numTopics][]string{
		topDisplacement: {
			"Ev {kind} koçberiya malbatekê ji {origin} {when} û gihîştina wan a {camp} vedibêje. Agahî bi hevkariya {org} hatin berhevkirin.",
			"Malbatên ji {origin} li ser jiyana li {camp}, qeydkirinê û daxwaza vegerê diaxivin.",
		},
		topDetention: {
			"Ev {kind} li ser xizmekî ye ku {when} li xala kontrolê ya nêzîkî {origin} hat girtin û piştî çend rojan hat berdan. Malbat behsa gavên ji bo bidestxistina agahiyan dike.",
			"Têbînî li ser derbasbûna xalên kontrolê di navbera {origin} û {camp} de û bandora wê li ser kar û tenduristiyê.",
		},
		topMissing: {
			"Malbatek ji {origin} behsa lêgerîna xwe ya li xizmekî winda dike, ku {since} winda ye. Têkiliyên bi {org} re hatine tomarkirin.",
			"Agahî li ser endamên malbatê yên winda li {camp} hatin berhevkirin, digel daxwazên malbatan ji bo agahî û naskirina fermî.",
		},
		topServices: {
			"Ev {kind} gihîştina lênihêrîna tenduristiyê, derman û veguhastinê ji bo malbatên li {camp} vedibêje.",
			"Niştecihên {camp} behsa dibistan, navenda jinan û piştgiriya derûnî-civakî dikin.",
		},
		topProperty: {
			"Malbatek ji {origin} behsa windakirina xanî û erdê xwe û belgeyên pêwîst ji bo îsbatkirina xwedîtiyê dike.",
			"Malbatên vegeriyayî yên {origin} behsa xaniyên zirar dîtî, tapoyên winda û daxwazên tazmînatê li parêzgeha {gov} dikin.",
		},
		topLegal: {
			"Ev {kind} pêdiviyên alîkariya hiqûqî yên jinên li {camp} vedibêje, wek belgeyên sivîl û gihîştina dadgehan li parêzgeha {gov}.",
			"Pirsên li ser Qanûna Rizgarbûyên Êzidî û karûbarên tazmînatê, bi hevkariya {org} hatin tomarkirin.",
		},
	},
	nameSent: []string{
		"Hevpeyvîn bi {person} re hat kirin.",
		"Navê di têbîniyên orîjînal de: {person}.",
		"Hevpeyvîn bi amadebûna {person} û xizmekî, {person2}, hat kirin.",
	},
	contactSent: []string{
		"Telefon ji bo şopandinê: {phone}.",
		"E-name ji bo şopandinê: {email}.",
		"Telefon: {phone}, e-name: {email}.",
	},
	intro: []string{
		"Ev nivîseke nimûneyî ya xeyalî ye ku ji bo nîşandana Amanayê hatiye amadekirin û bi tu kesê rastîn ve ne girêdayî ye. Hevpeyvîn li {camp} {recwhen} bi hevkariya {org} û bi alîkariya wergêrekî hat kirin.",
		"Têbîniya destpêkê: hemû nav û cihên hûrgilî yên vê nivîsê hatine çêkirin. Hevpeyvîn li {camp} {recwhen} hat tomarkirin û axêver razîbûna xwe piştrast kir.",
	},
	body: [numTopics][]string{
		topDisplacement: {
			"Malbatê {when} bi cîranan re {origin} terikand û berî gihîştina {camp} li çend cihan ma. Wan behsa belgeyên ku li malê man û zehmetiya qeydkirinê kir.",
		},
		topDetention: {
			"Malbatê got ku xizmekî wan {when} li xala kontrolê ya nêzîkî {origin} ji ber wekheviya navan hat rawestandin û piştî çend rojan hat berdan.",
		},
		topMissing: {
			"Malbat {since} tu agahiyan li ser endamekî xwe nizane. Wan nav li cem çend saziyan, di nav de tîma şopandinê ya {org}, tomar kiriye.",
		},
		topServices: {
			"Jinên li {camp} behsa navenda tenduristiyê ya nêzîk, kêmbûna hin dermanan û pêwîstiya veguhastinê bo nexweşxaneyê kirin.",
		},
		topProperty: {
			"Malbatê got ku xaniyê wan li {origin} zirareke mezin dîtiye û tapo di koçberiyê de winda bûye. Ew hewl didin ku kopiyekê ji tomargeha milkan li parêzgeha {gov} bistînin.",
		},
		topLegal: {
			"Beşdaran li ser derxistina karta niştimanî û qeydkirina zarokên ku di koçberiyê de ji dayik bûne, û li ser gihîştina dadgehan li parêzgeha {gov} pirsîn.",
		},
	},
	closing: []string{
		"Di dawiya hevpeyvînê de qada razîbûnê û mafê vekişînê hatin piştrastkirin. Dawiya nivîsa xeyalî.",
		"Malbat ji bo şopandinê ji {org} re hat şandin. Ev tomara xeyalî tu agahiyan li ser kesên rastîn nagire.",
	},
	altSent: []string{
		"Careke din behsa {person_alt} hat kirin.",
	},
	phoneSent: []string{
		"Hejmara telefonê ya malbatê: {phone}.",
	},
	emailSent: []string{
		"E-name ji bo şopandinê: {email}.",
	},
	natIDSent: []string{
		"Malbatê kopiyek ji karta niştimanî nîşan da, hejmara karta niştimanî {natid}.",
	},
	gpsSent: []string{
		"Cihê xaniyê berê bi koordînatên {gps} hat diyarkirin.",
	},
	townDetail: []string{
		"{origin}, {landmark}, xaniyê hejmar {n} (agahiya xeyalî)",
	},
	campDetail: []string{
		"{camp}, sektora {n}, konê {m} (agahiya xeyalî)",
	},
	landmarks: []string{
		"nêzîkî bazara kevn", "li pişt dibistana seretayî", "li kêleka depoya avê",
	},
	contactVia: "bi rêya hevrêzkarê {org}",
	notes: []string{
		"Wergêr hat bikaranîn. Şopandina belgeyên sivîl hat xwestin. Daneyên xeyalî yên nimûneyî.",
		"Malbat ji bo piştgiriya derûnî-civakî hat şandin. Daneyên xeyalî yên nimûneyî.",
	},
}
