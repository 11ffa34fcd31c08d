package demodata

// Topics of the demo records. Each has its own titles, summaries, body
// paragraphs and tags.
const (
	topDisplacement = iota
	topDetention
	topMissing
	topServices
	topProperty
	topLegal
	numTopics
)

// kinds are the kinds of documents a deposit may have.
var kinds = []string{"testimony", "interview", "case_study", "report", "media"}

const numKinds = 5

// kindForms are the ways a language refers to a document kind.
type kindForms struct {
	cap, plain, def, this string
}

// text is the raw material of one language; pack is the parsed form.
type text struct {
	fictional    string // marker opening every summary
	contentNote  string // disclaimer line in the file, in this language
	kinds        [numKinds]kindForms
	topics       [numTopics]string
	months       [12]string
	whenMonth    string // uses {month} and {year}
	whenYear     string
	sinceMonth   string
	sinceYear    string
	titles       [numTopics][]string
	personTitles []string
	summaries    [numTopics][]string
	nameSent     []string // name sentences for the summary ({person}, maybe {person2})
	contactSent  []string // contact sentences ({phone} and/or {email})
	intro        []string
	body         [numTopics][]string
	closing      []string
	altSent      []string // second mention with {person_alt}
	phoneSent    []string
	emailSent    []string
	natIDSent    []string // must carry national card context words
	gpsSent      []string
	townDetail   []string // private location detail in a town ({origin}, {landmark}, {n})
	campDetail   []string // private location detail in a camp ({camp}, {n}, {m})
	landmarks    []string
	contactVia   string // private contact when nothing is planted ({org})
	notes        []string
	arabicDigits bool // may write numbers in Arabic-Indic digits
}

type pack struct {
	t            *text
	whenMonth    tmpl
	whenYear     tmpl
	sinceMonth   tmpl
	sinceYear    tmpl
	titles       [numTopics][]tmpl
	personTitles []tmpl
	summaries    [numTopics][]tmpl
	nameSent     []tmpl
	nameSent1    []tmpl // the subset without {person2}
	nameSent2    []tmpl // the subset with {person2}
	contactSent  []tmpl
	intro        []tmpl
	body         [numTopics][]tmpl
	closing      []tmpl
	altSent      []tmpl
	phoneSent    []tmpl
	emailSent    []tmpl
	natIDSent    []tmpl
	gpsSent      []tmpl
	townDetail   []tmpl
	campDetail   []tmpl
	contactVia   tmpl
}

func newPack(t *text) *pack {
	p := &pack{t: t}
	p.whenMonth = parse(t.whenMonth)
	p.whenYear = parse(t.whenYear)
	p.sinceMonth = parse(t.sinceMonth)
	p.sinceYear = parse(t.sinceYear)
	for i := range numTopics {
		p.titles[i] = parseAll(t.titles[i])
		p.summaries[i] = parseAll(t.summaries[i])
		p.body[i] = parseAll(t.body[i])
	}
	p.personTitles = parseAll(t.personTitles)
	p.nameSent = parseAll(t.nameSent)
	for _, s := range p.nameSent {
		if s.has(sPerson2) {
			p.nameSent2 = append(p.nameSent2, s)
		} else {
			p.nameSent1 = append(p.nameSent1, s)
		}
	}
	p.contactSent = parseAll(t.contactSent)
	p.intro = parseAll(t.intro)
	p.closing = parseAll(t.closing)
	p.altSent = parseAll(t.altSent)
	p.phoneSent = parseAll(t.phoneSent)
	p.emailSent = parseAll(t.emailSent)
	p.natIDSent = parseAll(t.natIDSent)
	p.gpsSent = parseAll(t.gpsSent)
	p.townDetail = parseAll(t.townDetail)
	p.campDetail = parseAll(t.campDetail)
	p.contactVia = parse(t.contactVia)
	return p
}

var packs [numLangs]*pack

func init() {
	packs[langEN] = newPack(&textEN)
	packs[langAR] = newPack(&textAR)
	packs[langCKB] = newPack(&textCKB)
	packs[langKMR] = newPack(&textKMR)
}

// Tags are English for every language; the first list of each topic is
// always drawn from, the second sometimes.
var topicTags = [numTopics][2][]string{
	topDisplacement: {{"displacement"}, {"camp", "return", "shelter", "civil-documentation"}},
	topDetention:    {{"detention", "checkpoint"}, {"legal-aid", "freedom-of-movement", "civil-documentation"}},
	topMissing:      {{"missing-persons"}, {"tracing", "civil-documentation", "legal-aid"}},
	topServices:     {{"services"}, {"camp", "health", "education", "psychosocial", "referral"}},
	topProperty:     {{"property"}, {"housing", "compensation", "return", "livelihoods"}},
	topLegal:        {{"legal-aid"}, {"civil-documentation", "reparations", "courts", "referral"}},
}

var extraTags = []string{"women", "children", "women-headed-household", "interpreter", "follow-up"}
