package demodata

// Languages, in the order of the fields of name below.
const (
	langEN = iota
	langAR
	langCKB
	langKMR
	numLangs
)

var langCodes = [numLangs]string{"en", "ar", "ckb", "kmr"}

// name is a word or phrase in English, Arabic, Sorani (Arabic script) and
// Kurmanji (Latin script).
type name [numLangs]string

// governorates is the canonical list of Iraq's governorates, as used in the
// Governorate field.
var governorates = []string{
	"Anbar", "Babil", "Baghdad", "Basra", "Dhi Qar", "Diyala", "Duhok", "Erbil",
	"Halabja", "Karbala", "Kirkuk", "Maysan", "Muthanna", "Najaf", "Nineveh",
	"Qadisiyyah", "Salah al-Din", "Sulaymaniyah", "Wasit",
}

var govNames = map[string]name{
	"Anbar":        {"Anbar", "الأنبار", "ئەنبار", "Enbar"},
	"Babil":        {"Babil", "بابل", "بابل", "Babil"},
	"Baghdad":      {"Baghdad", "بغداد", "بەغدا", "Bexda"},
	"Basra":        {"Basra", "البصرة", "بەسرە", "Besra"},
	"Dhi Qar":      {"Dhi Qar", "ذي قار", "زیقار", "Zîqar"},
	"Diyala":       {"Diyala", "ديالى", "دیالە", "Diyala"},
	"Duhok":        {"Duhok", "دهوك", "دهۆک", "Dihok"},
	"Erbil":        {"Erbil", "أربيل", "هەولێر", "Hewlêr"},
	"Halabja":      {"Halabja", "حلبجة", "هەڵەبجە", "Helebce"},
	"Karbala":      {"Karbala", "كربلاء", "کەربەلا", "Kerbela"},
	"Kirkuk":       {"Kirkuk", "كركوك", "کەرکووک", "Kerkûk"},
	"Maysan":       {"Maysan", "ميسان", "مەیسان", "Meysan"},
	"Muthanna":     {"Muthanna", "المثنى", "موسەنا", "Musena"},
	"Najaf":        {"Najaf", "النجف", "نەجەف", "Necef"},
	"Nineveh":      {"Nineveh", "نينوى", "نەینەوا", "Neynewa"},
	"Qadisiyyah":   {"Qadisiyyah", "القادسية", "قادسیە", "Qadisiye"},
	"Salah al-Din": {"Salah al-Din", "صلاح الدين", "سەلاحەدین", "Selahedîn"},
	"Sulaymaniyah": {"Sulaymaniyah", "السليمانية", "سلێمانی", "Silêmanî"},
	"Wasit":        {"Wasit", "واسط", "واست", "Wasit"},
}

// place is a real town or camp; coordinates are approximate town centres,
// used only to derive fictional GPS points near them.
type place struct {
	gov      string
	n        name
	lat, lon float64
}

var (
	pSinjar      = place{"Nineveh", name{"Sinjar", "سنجار", "شەنگال", "Şingal"}, 36.32, 41.87}
	pSinuni      = place{"Nineveh", name{"Sinuni", "سنوني", "سنوونی", "Sinûnê"}, 36.44, 41.77}
	pTelAfar     = place{"Nineveh", name{"Tel Afar", "تلعفر", "تەلەعفەر", "Telafer"}, 36.37, 42.45}
	pMosul       = place{"Nineveh", name{"Mosul", "الموصل", "مووسڵ", "Mûsil"}, 36.34, 43.13}
	pHamdaniya   = place{"Nineveh", name{"Hamdaniya", "الحمدانية", "حەمدانیە", "Hemdaniye"}, 36.27, 43.37}
	pBashiqa     = place{"Nineveh", name{"Bashiqa", "بعشيقة", "بەعشیقە", "Başîqa"}, 36.45, 43.35}
	pQayyarah    = place{"Nineveh", name{"Qayyarah", "القيارة", "قەییارە", "Qeyare"}, 35.80, 43.29}
	pKirkuk      = place{"Kirkuk", name{"Kirkuk", "كركوك", "کەرکووک", "Kerkûk"}, 35.47, 44.39}
	pHawija      = place{"Kirkuk", name{"Hawija", "الحويجة", "حەویجە", "Hewîce"}, 35.32, 43.77}
	pDaquq       = place{"Kirkuk", name{"Daquq", "داقوق", "داقووق", "Daqûq"}, 35.14, 44.45}
	pDibis       = place{"Kirkuk", name{"Dibis", "الدبس", "دبس", "Dibis"}, 35.65, 44.06}
	pDuhok       = place{"Duhok", name{"Duhok", "دهوك", "دهۆک", "Dihok"}, 36.87, 42.99}
	pZakho       = place{"Duhok", name{"Zakho", "زاخو", "زاخۆ", "Zaxo"}, 37.14, 42.68}
	pErbil       = place{"Erbil", name{"Erbil", "أربيل", "هەولێر", "Hewlêr"}, 36.19, 44.01}
	pMakhmour    = place{"Erbil", name{"Makhmour", "مخمور", "مەخموور", "Mexmûr"}, 35.78, 43.58}
	pTikrit      = place{"Salah al-Din", name{"Tikrit", "تكريت", "تکریت", "Tikrît"}, 34.60, 43.68}
	pBaiji       = place{"Salah al-Din", name{"Baiji", "بيجي", "بێجی", "Bêcî"}, 34.93, 43.49}
	pTuz         = place{"Salah al-Din", name{"Tuz Khurmatu", "طوز خورماتو", "دووزخورماتوو", "Dûzxurmatû"}, 34.88, 44.63}
	pShirqat     = place{"Salah al-Din", name{"Shirqat", "الشرقاط", "شەرقات", "Şerqat"}, 35.51, 43.23}
	pSamarra     = place{"Salah al-Din", name{"Samarra", "سامراء", "سامەڕا", "Samera"}, 34.20, 43.87}
	pFallujah    = place{"Anbar", name{"Fallujah", "الفلوجة", "فەللووجە", "Felûce"}, 33.35, 43.78}
	pRamadi      = place{"Anbar", name{"Ramadi", "الرمادي", "ڕومادی", "Remadî"}, 33.42, 43.30}
	pHit         = place{"Anbar", name{"Hit", "هيت", "هیت", "Hît"}, 33.64, 42.83}
	pQaim        = place{"Anbar", name{"Al-Qaim", "القائم", "قائیم", "Qaîm"}, 34.37, 41.09}
	pBaghdad     = place{"Baghdad", name{"Baghdad", "بغداد", "بەغدا", "Bexda"}, 33.31, 44.37}
	pAbuGhraib   = place{"Baghdad", name{"Abu Ghraib", "أبو غريب", "ئەبوغرێب", "Ebû Xurêb"}, 33.29, 44.06}
	pJalawla     = place{"Diyala", name{"Jalawla", "جلولاء", "جەلەولا", "Celewla"}, 34.27, 45.17}
	pKhanaqin    = place{"Diyala", name{"Khanaqin", "خانقين", "خانەقین", "Xaneqîn"}, 34.35, 45.39}
	pBaqubah     = place{"Diyala", name{"Baqubah", "بعقوبة", "بەعقووبە", "Beqûbe"}, 33.75, 44.64}
	pSulaymaniya = place{"Sulaymaniyah", name{"Sulaymaniyah", "السليمانية", "سلێمانی", "Silêmanî"}, 35.56, 45.44}
	pHalabja     = place{"Halabja", name{"Halabja", "حلبجة", "هەڵەبجە", "Helebce"}, 35.18, 45.99}
	pHilla       = place{"Babil", name{"Hilla", "الحلة", "حیللە", "Hille"}, 32.48, 44.42}
	pBasra       = place{"Basra", name{"Basra", "البصرة", "بەسرە", "Besra"}, 30.51, 47.78}
	pNajaf       = place{"Najaf", name{"Najaf", "النجف", "نەجەف", "Necef"}, 32.03, 44.35}
	pKarbala     = place{"Karbala", name{"Karbala", "كربلاء", "کەربەلا", "Kerbela"}, 32.62, 44.02}
	pNasiriyah   = place{"Dhi Qar", name{"Nasiriyah", "الناصرية", "ناسریە", "Nasiriye"}, 31.05, 46.26}
	pAmarah      = place{"Maysan", name{"Amarah", "العمارة", "عەمارە", "Emare"}, 31.84, 47.14}
	pSamawah     = place{"Muthanna", name{"Samawah", "السماوة", "سەماوە", "Semawe"}, 31.31, 45.28}
	pDiwaniyah   = place{"Qadisiyyah", name{"Diwaniyah", "الديوانية", "دیوانیە", "Dîwaniye"}, 31.99, 44.92}
	pKut         = place{"Wasit", name{"Kut", "الكوت", "کووت", "Kût"}, 32.51, 45.82}
)

// otherTowns cover the governorates the demo collections rarely touch, so
// every governorate shows up in a large data set.
var otherTowns = []place{
	pHilla, pBasra, pNajaf, pKarbala, pNasiriyah, pAmarah, pSamawah,
	pDiwaniyah, pKut, pBaqubah, pHalabja, pSulaymaniya,
}

var (
	cKhanke    = place{"Duhok", name{"Khanke camp", "مخيم خانكي", "کەمپی خانکێ", "kampa Xankê"}, 36.96, 42.74}
	cSharya    = place{"Duhok", name{"Sharya camp", "مخيم شاريا", "کەمپی شاریا", "kampa Şarya"}, 36.80, 42.97}
	cChamishku = place{"Duhok", name{"Chamishku camp", "مخيم جم مشكو", "کەمپی چەم مشکۆ", "kampa Çem Mişko"}, 37.12, 42.70}
	cKabarto   = place{"Duhok", name{"Kabarto camp", "مخيم كبرتو", "کەمپی کەبەرتۆ", "kampa Kebertû"}, 36.93, 42.82}
	cDebaga    = place{"Erbil", name{"Debaga camp", "مخيم ديبكة", "کەمپی دیبەگە", "kampa Dîbege"}, 35.88, 43.83}
	cHarshm    = place{"Erbil", name{"Harshm camp", "مخيم هرشم", "کەمپی هەرشەم", "kampa Herşem"}, 36.21, 44.07}
	cBaharka   = place{"Erbil", name{"Baharka camp", "مخيم بحركة", "کەمپی بەحرکە", "kampa Behrike"}, 36.31, 44.00}
	cHasansham = place{"Nineveh", name{"Hasansham camp", "مخيم حسن شام", "کەمپی حەسەن شام", "kampa Hesen Şam"}, 36.30, 43.55}
	cLaylan    = place{"Kirkuk", name{"Laylan camp", "مخيم ليلان", "کەمپی لەیلان", "kampa Leylan"}, 35.30, 44.55}
	cArbat     = place{"Sulaymaniyah", name{"Arbat camp", "مخيم عربت", "کەمپی عەربەت", "kampa Erbet"}, 35.43, 45.58}
	cAshti     = place{"Sulaymaniyah", name{"Ashti camp", "مخيم آشتي", "کەمپی ئاشتی", "kampa Aştî"}, 35.60, 45.40}
	cAmiriyat  = place{"Anbar", name{"Amiriyat al-Fallujah camp", "مخيم عامرية الفلوجة", "کەمپی عامیریەی فەللووجە", "kampa Amiriya Felûceyê"}, 33.26, 43.87}
)

type weighted[T any] struct {
	w int
	v T
}

// collDef is a demo collection: which towns its records are about, where
// the interviews took place, and the incident years it covers.
type collDef struct {
	Collection
	weight     int
	towns      []weighted[place]
	camps      []place
	yFrom, yTo int
	pHassan    float64 // share deposited by r.hassan (the rest by r.ahmed)
}

var collDefs = []collDef{
	{
		Collection: Collection{ID: "sinjar-2017", Name: "Sinjar and Tel Afar displacement documentation (2017)"},
		weight:     25,
		towns: []weighted[place]{
			{30, pSinjar}, {12, pSinuni}, {14, pTelAfar}, {8, pBashiqa}, {6, pZakho}, {5, pDuhok},
		},
		camps: []place{cKhanke, cSharya, cChamishku, cKabarto},
		yFrom: 2014, yTo: 2017, pHassan: 0.35,
	},
	{
		Collection: Collection{ID: "kirkuk-2018", Name: "Kirkuk and Hawija case files (2018)"},
		weight:     20,
		towns: []weighted[place]{
			{20, pKirkuk}, {18, pHawija}, {8, pDaquq}, {6, pDibis}, {8, pTuz}, {5, pBaiji},
			{4, pJalawla}, {3, pKhanaqin}, {2, pSulaymaniya},
		},
		camps: []place{cLaylan, cDebaga, cArbat, cAshti},
		yFrom: 2014, yTo: 2018, pHassan: 0.6,
	},
	{
		Collection: Collection{ID: "mosul-2019", Name: "Mosul legal aid study (2019)"},
		weight:     25,
		towns: []weighted[place]{
			{30, pMosul}, {8, pHamdaniya}, {6, pBashiqa}, {7, pQayyarah}, {5, pTelAfar},
			{6, pMakhmour}, {4, pErbil}, {5, pBaghdad},
		},
		camps: []place{cHasansham, cDebaga, cHarshm, cBaharka},
		yFrom: 2014, yTo: 2019, pHassan: 0.5,
	},
	{
		Collection: Collection{ID: "anbar-2018", Name: "Anbar and Salah al-Din returns (2018)"},
		weight:     15,
		towns: []weighted[place]{
			{16, pFallujah}, {12, pRamadi}, {6, pHit}, {5, pQaim}, {7, pTikrit}, {5, pShirqat},
			{4, pSamarra}, {4, pBaiji}, {5, pBaghdad}, {3, pAbuGhraib},
		},
		camps: []place{cAmiriyat, cHarshm, cDebaga},
		yFrom: 2014, yTo: 2018, pHassan: 0.65,
	},
	{
		Collection: Collection{ID: "camps-2019", Name: "Services in Duhok and Erbil camps (2019)"},
		weight:     15,
		towns: []weighted[place]{
			{8, pDuhok}, {6, pZakho}, {8, pErbil}, {5, pMakhmour}, {7, pSinjar}, {7, pMosul},
			{4, pKirkuk}, {2, pHalabja}, {3, pSulaymaniya},
		},
		camps: []place{cKhanke, cSharya, cDebaga, cHarshm, cBaharka, cAshti},
		yFrom: 2014, yTo: 2019, pHassan: 0.45,
	},
}

// Collections returns the demo collections (case files) the data set is
// spread over.
func Collections() []Collection {
	out := make([]Collection, len(collDefs))
	for i, c := range collDefs {
		out[i] = c.Collection
	}
	return out
}

// Organisations are fictional.
var orgs = []name{
	{"the Two Rivers Legal Aid Initiative", "مبادرة الرافدين للمساعدة القانونية", "دەستپێشخەریی دوو ڕووبار بۆ یارمەتیی یاسایی", "Înîsiyatîfa Du Çeman a Alîkariya Hiqûqî"},
	{"the Olive Grove Women's Network", "شبكة بستان الزيتون للنساء", "تۆڕی باخی زەیتوون بۆ ئافرەتان", "Tora Jinan a Baxê Zeytûnan"},
	{"the Amana Demo Documentation Centre", "مركز أمانة التجريبي للتوثيق", "ناوەندی بەڵگەنامەکردنی تاقیکاریی ئەمانە", "Navenda Belgekirinê ya Nimûneyî ya Amana"},
	{"the Lantern Community Justice Project", "مشروع الفانوس للعدالة المجتمعية", "پرۆژەی چرا بۆ دادپەروەریی کۆمەڵایەتی", "Projeya Çirayê ji bo Edaleta Civakî"},
	{"the Blue Door Psychosocial Support Group", "مجموعة الباب الأزرق للدعم النفسي والاجتماعي", "گرووپی دەرگای شین بۆ پاڵپشتیی دەروونی و کۆمەڵایەتی", "Koma Deriyê Şîn a Piştgiriya Derûnî-Civakî"},
	{"the Northern Plains Civil Records Clinic", "عيادة السهول الشمالية للوثائق المدنية", "کلینیکی دەشتە باکوورییەکان بۆ بەڵگەنامە مەدەنییەکان", "Klînîka Belgeyên Sivîl a Deştên Bakur"},
	{"the Almond Tree Tracing Service", "خدمة شجرة اللوز للبحث عن المفقودين", "خزمەتگوزاریی داربادەم بۆ بەدواداچوونی ونبووان", "Servîsa Darbadamê ya Şopandina Windayan"},
}
