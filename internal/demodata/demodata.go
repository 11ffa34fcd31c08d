package demodata

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Document is one synthetic record, ready to deposit. Title, Summary and
// Transcript are given BEFORE redaction: in about 40% of documents they
// carry planted fake personal data (names, phone numbers, e-mail addresses,
// national card numbers, coordinates) that redaction must remove.
type Document struct {
	Collection   string            `json:"collection"`           // id of one of Collections()
	Kind         string            `json:"kind"`                 // testimony, interview, case_study, report, media
	Title        string            `json:"title"`                // before redaction
	Summary      string            `json:"summary"`              // before redaction
	Transcript   string            `json:"transcript,omitempty"` // before redaction; about half the documents
	Language     string            `json:"language"`             // en, ar, ckb, kmr
	Governorate  string            `json:"governorate"`          // canonical English name
	IncidentDate string            `json:"incident_date"`        // YYYY or YYYY-MM, 2014..2019
	Tags         []string          `json:"tags"`                 // lowercase, English vocabulary
	Consent      Consent           `json:"consent"`
	Persons      []string          `json:"persons"` // names planted in the text, canonical spelling
	Private      map[string]string `json:"private"` // location_detail, contact, notes
	Depositor    string            `json:"depositor"`
	Content      []byte            `json:"content,omitempty"` // the file: UTF-8 plain text
	FileName     string            `json:"file_name"`
	MediaType    string            `json:"media_type"`

	// Planted lists every piece of fake personal data placed in Title,
	// Summary or Transcript, exactly as written there (variant spellings
	// of a name included), so tests can check that redaction removed it.
	Planted []Planted `json:"planted,omitempty"`
}

// Planted is one piece of fake personal data in a document's public text.
type Planted struct {
	Kind  string `json:"kind"` // person, phone, email, national_id, gps
	Value string `json:"value"`
}

// Consent is what the person who gave the record agreed to.
type Consent struct {
	Scopes     []string `json:"scopes"`      // research, advocacy, legal_proceedings, public_anonymised
	RecordedAt string   `json:"recorded_at"` // YYYY-MM-DD, after the incident
	RecordedBy string   `json:"recorded_by"` // a researcher id
}

// Collection is a demo case file.
type Collection struct {
	ID, Name string
}

// Meta is the META.json for `amana deposit --meta`.
type Meta struct {
	Title        string            `json:"title"`
	Summary      string            `json:"summary"`
	Language     string            `json:"language"`
	Governorate  string            `json:"governorate"`
	IncidentDate string            `json:"incident_date"`
	Tags         []string          `json:"tags"`
	Consent      Consent           `json:"consent"`
	Persons      []string          `json:"persons"`
	Private      map[string]string `json:"private"`
}

// Meta returns the deposit metadata of d (before redaction: the depositing
// client redacts Title and Summary using Persons).
func (d Document) Meta() Meta {
	persons := d.Persons
	if persons == nil {
		persons = []string{}
	}
	return Meta{
		Title: d.Title, Summary: d.Summary, Language: d.Language,
		Governorate: d.Governorate, IncidentDate: d.IncidentDate, Tags: d.Tags,
		Consent: d.Consent, Persons: persons, Private: d.Private,
	}
}

// MetaJSON returns the META.json for d, indented, UTF-8 (no
// HTML escaping), with a final newline.
func MetaJSON(d Document) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d.Meta()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Researcher ids (keys-example/users.json) that deposit and record consent.
var researchers = [2]string{"r.hassan", "r.ahmed"}

var scopeNames = [4]string{"research", "advocacy", "legal_proceedings", "public_anonymised"}
var scopeShare = [4]float64{0.95, 0.70, 0.60, 0.30}

var kindChoice = []weighted[int]{{30, 0}, {28, 1}, {15, 2}, {17, 3}, {10, 4}}

var collWeights = func() []weighted[*collDef] {
	cw := make([]weighted[*collDef], len(collDefs))
	for k := range collDefs {
		cw[k] = weighted[*collDef]{collDefs[k].weight, &collDefs[k]}
	}
	return cw
}()

// Share of each kind that comes with a transcript (about half overall).
var transcriptShare = [numKinds]float64{0.65, 0.65, 0.35, 0.25, 0.5}

const (
	// Documents with planted personal data, per 100.
	piiPerHundred = 40
	// Above this many documents, Content is a short header and summary
	// rather than the full text, to keep benchmark data sets small.
	compactAbove = 20000
	mediaType    = "text/plain; charset=utf-8"
)

// Per block of 100 documents, exactly this many of each language.
var langPerHundred = [numLangs]int{langEN: 40, langAR: 35, langCKB: 23, langKMR: 2}

// Generate returns n synthetic documents. The result depends only on n and
// seed (math/rand/v2 PCG), and document i is the same for every n that is
// on the same side of the compact-content threshold (20,000).
func Generate(n int, seed uint64) []Document {
	if n <= 0 {
		return nil
	}
	docs := make([]Document, n)
	compact := n > compactAbove
	blocks := (n + 99) / 100
	fill := func(b int, scratch *[]byte) {
		plan := blockPlan(seed, uint64(b))
		for i := b * 100; i < min(n, (b+1)*100); i++ {
			p := plan[i%100]
			docs[i] = generate(i, seed, int(p&^piiBit), p&piiBit != 0, compact, scratch)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), blocks/10)
	if workers <= 1 {
		var scratch []byte
		for b := range blocks {
			fill(b, &scratch)
		}
		return docs
	}
	// Documents are independent of each other, so large sets are built in
	// parallel; the result is the same.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var scratch []byte
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				fill(b, &scratch)
			}
		})
	}
	wg.Wait()
	return docs
}

const piiBit = 0x80

// legalProcedures are, by language, the indexes of the topLegal summaries
// that explain a procedure (birth certificates, replacing identity cards),
// and otherLegal those of the others; Kurmanji has none.
var (
	legalProcedures = [numLangs][]int{langEN: {1, 4}, langAR: {1, 4}, langCKB: {1, 4}}
	otherLegal      = [3]int{0, 2, 3}
)

const (
	kindReport    = 3 // index of "report" in kinds
	procedureSeed = 0x70726f63656475
)

// blockPlan gives the language of each document in a block of 100, and,
// in piiBit, whether it carries planted personal data: exact shares in
// every block, in a seeded random order.
func blockPlan(seed, block uint64) [100]uint8 {
	var p, q [100]uint8
	k := 0
	for l, c := range langPerHundred {
		for range c {
			p[k] = uint8(l)
			k++
		}
	}
	for k := range piiPerHundred {
		q[k] = piiBit
	}
	r := rand.New(rand.NewPCG(seed^0x6c616e67756167, block))
	r.Shuffle(len(p), func(i, j int) { p[i], p[j] = p[j], p[i] })
	r.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
	for k := range p {
		p[k] |= q[k]
	}
	return p
}

func pickWeighted[T any](r *rand.Rand, ws []weighted[T]) T {
	total := 0
	for _, w := range ws {
		total += w.w
	}
	x := r.IntN(total)
	for _, w := range ws {
		if x < w.w {
			return w.v
		}
		x -= w.w
	}
	return ws[len(ws)-1].v
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// gen holds the state of one document being generated.
type gen struct {
	r      *rand.Rand
	lang   int
	p      *pack
	arabic bool // Arabic-Indic digits
	v      vals
}

func (g *gen) digits(s string) string {
	if !g.arabic {
		return s
	}
	return toArabicIndic(s)
}

func toArabicIndic(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune('٠' + (c - '0'))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

func (g *gen) when(year, month int, since bool) string {
	var t tmpl
	switch {
	case month > 0 && since:
		t = g.p.sinceMonth
	case month > 0:
		t = g.p.whenMonth
	case since:
		t = g.p.sinceYear
	default:
		t = g.p.whenYear
	}
	var v vals
	v[sYear] = g.digits(strconv.Itoa(year))
	if month > 0 {
		v[sMonth] = g.p.t.months[month-1]
	}
	return t.expand(&v)
}

var mobilePrefixes = []string{"750", "751", "770", "771", "772", "773", "780", "781", "782", "790", "791"}

// phone returns a fake Iraqi mobile number, valid by the numbering plan
// (07[3-9]X XXX XXXX). The subscriber part always starts with 000 to keep
// clear of numbers in everyday use.
func (g *gen) phone() string {
	op := pick(g.r, mobilePrefixes)
	tail := strconv.Itoa(10000 + g.r.IntN(10000))[1:]
	var s string
	switch g.r.IntN(6) {
	case 0, 1:
		s = "0" + op + " 000 " + tail
	case 2:
		s = "0" + op + "000" + tail
	case 3:
		s = "+964 " + op + " 000 " + tail
	case 4:
		s = "+964" + op + "000" + tail
	default:
		s = "0" + op + "-000-" + tail
	}
	return g.digits(s)
}

var emailDomains = []string{"example.org", "example.com", "example.net"}

func (g *gen) email(pp person) string {
	d := pick(g.r, emailDomains)
	switch g.r.IntN(4) {
	case 0, 1:
		return pp.emailID + "@" + d
	case 2:
		first, _, _ := strings.Cut(pp.emailID, ".")
		return first + strconv.Itoa(10+g.r.IntN(90)) + "@" + d
	default:
		return "followup" + strconv.Itoa(100+g.r.IntN(900)) + "@" + d
	}
}

func (g *gen) natID() string {
	return g.digits(strconv.Itoa(1+g.r.IntN(2)) + strconv.FormatInt(1e11+g.r.Int64N(1e11), 10)[1:])
}

func (g *gen) gps(pl place) string {
	lat := pl.lat + (g.r.Float64()-0.5)*0.04
	lon := pl.lon + (g.r.Float64()-0.5)*0.04
	return strconv.FormatFloat(lat, 'f', 4, 64) + ", " + strconv.FormatFloat(lon, 'f', 4, 64)
}

func (g *gen) person() person {
	r := g.r
	var arabicName bool
	switch g.lang {
	case langEN:
		arabicName = r.IntN(100) < 55
	case langAR:
		arabicName = r.IntN(100) < 75
	case langCKB:
		arabicName = r.IntN(100) < 30
	default:
		arabicName = r.IntN(100) < 20
	}
	if arabicName {
		return arabicPerson(pick(r, arFirst), pick(r, arLast))
	}
	return kurdishPerson(pick(r, kuFirst), pick(r, kuLast))
}

// spelling returns how a document in g.lang writes the person's name.
func (g *gen) spelling(pp person) string {
	switch g.lang {
	case langAR:
		return pp.n[langAR]
	case langCKB:
		if pp.arabic {
			return pp.n[langAR]
		}
		return pp.n[langCKB]
	case langKMR:
		return pp.n[langKMR]
	}
	return pp.n[langEN]
}

// fits reports whether t only uses planted slots that have a value.
func (g *gen) fits(t tmpl) bool {
	for _, s := range [...]slot{sPerson, sPerson2, sPersonAlt, sPhone, sEmail, sNatID, sGPS} {
		if t.has(s) && g.v[s] == "" {
			return false
		}
	}
	return true
}

func (g *gen) pickFit(ts []tmpl) (tmpl, bool) {
	var ok []tmpl
	for _, t := range ts {
		if g.fits(t) {
			ok = append(ok, t)
		}
	}
	if len(ok) == 0 {
		return tmpl{}, false
	}
	return pick(g.r, ok), true
}

// contact sentence choices: with both a phone and an e-mail any sentence
// fits; with one, only sentences using exactly that one.
func (g *gen) pickContact() (tmpl, bool) {
	var ok []tmpl
	for _, t := range g.p.contactSent {
		if g.fits(t) && (t.has(sPhone) || t.has(sEmail)) {
			ok = append(ok, t)
		}
	}
	if len(ok) == 0 {
		return tmpl{}, false
	}
	return pick(g.r, ok), true
}

func generate(i int, seed uint64, lang int, pii, compact bool, scratch *[]byte) Document {
	r := rand.New(rand.NewPCG(seed, uint64(i)*0x9e3779b97f4a7c15+0x5bd1e995))
	g := &gen{r: r, lang: lang, p: packs[lang]}
	g.arabic = g.p.t.arabicDigits && r.IntN(100) < 60
	t := g.p.t

	// Where and what.
	coll := pickWeighted(r, collWeights)
	var town place
	if r.IntN(100) < 3 {
		town = pick(r, otherTowns)
	} else {
		town = pickWeighted(r, coll.towns)
	}
	camp := pick(r, coll.camps)
	kind := pickWeighted(r, kindChoice)
	topic := r.IntN(numTopics)
	org := pick(r, orgs)
	// Explanations of a procedure (how birth certificates or identity
	// cards are obtained) are reports, never testimonies: a search facet
	// on kind separates a person's account from a procedure. The choice
	// has its own generator, so every other value stays as it was.
	procedure := -1
	if topic == topLegal && len(legalProcedures[lang]) > 0 {
		kr := rand.New(rand.NewPCG(seed^procedureSeed, uint64(i)))
		if kr.IntN(5) < 2 {
			procedure = legalProcedures[lang][kr.IntN(len(legalProcedures[lang]))]
			kind = kindReport
		} else {
			procedure = -2 - kr.IntN(3) // one of the other summaries, if a procedure is drawn
		}
	}

	// When.
	span := coll.yTo - coll.yFrom + 1
	year := coll.yFrom + min(r.IntN(span), r.IntN(span))
	month := 0
	if r.IntN(100) < 60 {
		month = 1 + r.IntN(12)
	}
	incident := strconv.Itoa(year)
	end := time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC)
	if month > 0 {
		incident += "-" + twoDigits(month)
		end = time.Date(year, time.Month(month)+1, 1, 0, 0, 0, 0, time.UTC)
	}
	recorded := end.AddDate(0, 0, r.IntN(3*365))
	if limit := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC); recorded.After(limit) {
		recorded = limit
	}

	// Who.
	depositor := researchers[1]
	if r.Float64() < coll.pHassan {
		depositor = researchers[0]
	}
	recordedBy := depositor
	if r.IntN(100) < 15 {
		recordedBy = researchers[0]
		if depositor == researchers[0] {
			recordedBy = researchers[1]
		}
	}
	var scopes []string
	for k, s := range scopeNames {
		if r.Float64() < scopeShare[k] {
			scopes = append(scopes, s)
		}
	}
	if len(scopes) == 0 {
		scopes = []string{"research"}
	}

	hasTranscript := r.Float64() < transcriptShare[kind]

	// Values for the templates.
	v := &g.v
	v[sOrigin] = town.n[lang]
	v[sCamp] = camp.n[lang]
	v[sGov] = govNames[town.gov][lang]
	v[sYear] = g.digits(strconv.Itoa(year))
	v[sWhen] = g.when(year, month, false)
	v[sSince] = g.when(year, month, true)
	v[sRecWhen] = g.when(recorded.Year(), int(recorded.Month()), false)
	v[sOrg] = org[lang]
	kf := t.kinds[kind]
	v[sKindCap], v[sKind], v[sKindDef], v[sThisKind] = kf.cap, kf.plain, kf.def, kf.this
	v[sTopic] = t.topics[topic]

	// Planted personal data.
	var persons []string
	var planted []Planted
	plant := func(kind, value string) {
		planted = append(planted, Planted{kind, value})
	}
	var p1 person
	if pii {
		p1 = g.person()
		name := g.spelling(p1)
		persons = append(persons, name)
		v[sPerson] = name
		v[sPersonAlt] = name
		if lang == langAR || (lang == langCKB && p1.arabic) {
			v[sPersonAlt] = arabicVariant(name)
		}
		if lang == langEN && p1.arabic && r.IntN(100) < 20 {
			// Transliteration with the Arabic spelling alongside.
			persons = append(persons, p1.n[langAR])
			v[sPerson] = name + " (" + p1.n[langAR] + ")"
		}
		if r.IntN(100) < 35 {
			p2 := g.person()
			if n2 := g.spelling(p2); n2 != name {
				v[sPerson2] = n2
			}
		}
		if r.IntN(100) < 55 {
			v[sPhone] = g.phone()
		}
		if r.IntN(100) < 35 {
			v[sEmail] = g.email(p1)
		}
		if r.IntN(100) < 15 {
			v[sNatID] = g.natID()
		}
		if r.IntN(100) < 12 {
			v[sGPS] = g.gps(town)
		}
	}

	// Title.
	var title string
	if pii && r.IntN(100) < 30 {
		title = pick(r, g.p.personTitles).expand(v)
	} else {
		title = pick(r, g.p.titles[topic]).expand(v)
	}

	// Summary, with the planted data that does not go into the transcript.
	sb := append((*scratch)[:0], t.fictional...)
	si := r.IntN(len(g.p.summaries[topic]))
	switch {
	case procedure >= 0:
		si = procedure
	case procedure < -1 && slices.Contains(legalProcedures[lang], si):
		si = otherLegal[-2-procedure]
	}
	sb = g.p.summaries[topic][si].write(sb, v)
	var tail []tmpl // planted sentences for the transcript
	if pii {
		// With a second person, always a sentence naming both.
		s := pick(r, g.p.nameSent1)
		if v[sPerson2] != "" {
			s, _ = g.pickFit(g.p.nameSent2)
		}
		sb = append(sb, ' ')
		sb = s.write(sb, v)
		if s.has(sPerson2) {
			persons = append(persons, v[sPerson2])
		}
		if c, ok := g.pickContact(); ok {
			if hasTranscript && r.IntN(2) == 0 {
				if v[sPhone] != "" {
					tail = append(tail, pick(r, g.p.phoneSent))
				}
				if v[sEmail] != "" {
					tail = append(tail, pick(r, g.p.emailSent))
				}
			} else {
				sb = append(sb, ' ')
				sb = c.write(sb, v)
				if v[sPhone] != "" && !c.has(sPhone) {
					tail = append(tail, pick(r, g.p.phoneSent))
				}
				if v[sEmail] != "" && !c.has(sEmail) {
					tail = append(tail, pick(r, g.p.emailSent))
				}
			}
		}
		if hasTranscript || r.IntN(2) == 0 {
			tail = append(tail, pick(r, g.p.altSent))
		}
		if v[sNatID] != "" {
			tail = append(tail, pick(r, g.p.natIDSent))
		}
		if v[sGPS] != "" {
			tail = append(tail, pick(r, g.p.gpsSent))
		}
		if !hasTranscript {
			for _, s := range tail {
				sb = append(sb, ' ')
				sb = s.write(sb, v)
			}
			tail = nil
		}
	}
	summary := string(sb)

	// Body text: the transcript, or the text of a report without one.
	var body string
	if hasTranscript || !compact {
		bb := pick(r, g.p.intro).write(sb[:0], v)
		paras := g.p.body[topic]
		skip := -1
		if len(paras) > 2 {
			skip = r.IntN(len(paras))
		}
		for k, para := range paras {
			if k != skip {
				bb = append(bb, "\n\n"...)
				bb = para.write(bb, v)
			}
		}
		if len(tail) > 0 {
			bb = append(bb, "\n\n"...)
			for k, s := range tail {
				if k > 0 {
					bb = append(bb, ' ')
				}
				bb = s.write(bb, v)
			}
		}
		bb = append(bb, "\n\n"...)
		bb = pick(r, g.p.closing).write(bb, v)
		body = string(bb)
		sb = bb
	}
	transcript := ""
	if hasTranscript {
		transcript = body
	}

	// Record what was planted, as written in the public text.
	if pii {
		public := title + "\n" + summary + "\n" + transcript
		for _, p := range persons {
			plant("person", p)
		}
		if alt := v[sPersonAlt]; alt != persons[0] && strings.Contains(public, alt) {
			plant("person", alt)
		}
		for _, k := range [...]struct {
			s    slot
			kind string
		}{{sPhone, "phone"}, {sEmail, "email"}, {sNatID, "national_id"}, {sGPS, "gps"}} {
			if v[k.s] != "" && strings.Contains(public, v[k.s]) {
				plant(k.kind, v[k.s])
			}
		}
	}

	// Tags.
	tt := topicTags[topic]
	tags := append([]string(nil), tt[0]...)
	opt := tt[1]
	o := r.IntN(len(opt))
	tags = append(tags, opt[o])
	if r.IntN(2) == 0 {
		tags = append(tags, opt[(o+1+r.IntN(len(opt)-1))%len(opt)])
	}
	if r.IntN(100) < 25 {
		tags = append(tags, pick(r, extraTags))
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)

	// Private metadata.
	v[sN] = g.digits(strconv.Itoa(1 + r.IntN(40)))
	v[sM] = g.digits(strconv.Itoa(1 + r.IntN(120)))
	v[sLandmark] = pick(r, t.landmarks)
	var loc string
	if r.IntN(2) == 0 {
		loc = pick(r, g.p.townDetail).expand(v)
	} else {
		loc = pick(r, g.p.campDetail).expand(v)
	}
	if v[sGPS] != "" {
		loc += " — GPS " + v[sGPS]
	}
	var contact string
	switch {
	case v[sPhone] != "":
		contact = v[sPhone]
	case v[sEmail] != "":
		contact = v[sEmail]
	case r.IntN(2) == 0:
		contact = g.phone()
	default:
		contact = g.p.contactVia.expand(v)
	}
	private := map[string]string{
		"location_detail": loc,
		"contact":         contact,
		"notes":           pick(r, t.notes),
	}

	d := Document{
		Collection:   coll.ID,
		Kind:         kinds[kind],
		Title:        title,
		Summary:      summary,
		Transcript:   transcript,
		Language:     langCodes[lang],
		Governorate:  town.gov,
		IncidentDate: incident,
		Tags:         tags,
		Consent: Consent{
			Scopes:     scopes,
			RecordedAt: recorded.Format(time.DateOnly),
			RecordedBy: recordedBy,
		},
		Persons:   persons,
		Private:   private,
		Depositor: depositor,
		MediaType: mediaType,
		Planted:   planted,
	}
	d.FileName = fileName(d, i, kf, r)
	sb = content(sb[:0], &d, t, body, hasTranscript, compact)
	d.Content = bytes.Clone(sb)
	*scratch = sb
	return d
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func fileName(d Document, i int, kf kindForms, r *rand.Rand) string {
	num := strconv.Itoa(i + 1)
	if len(num) < 5 {
		num = "0000"[:5-len(num)] + num
	}
	if (d.Language == "ar" || d.Language == "ckb") && r.IntN(10) == 0 {
		return strings.ReplaceAll(kf.plain, " ", "-") + "-" + num + ".txt"
	}
	k := strings.ReplaceAll(d.Kind, "_", "-")
	if d.Kind == "media" {
		k = "media-log"
	}
	return k + "-" + d.Collection + "-" + num + ".txt"
}

// content appends the text of the document's file to b.
func content(b []byte, d *Document, t *text, body string, transcript, compact bool) []byte {
	b = append(b, "FICTIONAL DEMONSTRATION RECORD - synthetic data for the Amana demo, not a real testimony.\n"...)
	b = append(b, t.contentNote...)
	b = append(b, "\n\nTitle: "...)
	b = append(b, d.Title...)
	b = append(b, "\nKind: "...)
	b = append(b, d.Kind...)
	b = append(b, "\nCollection: "...)
	b = append(b, d.Collection...)
	b = append(b, "\nLanguage: "...)
	b = append(b, d.Language...)
	b = append(b, "\nGovernorate: "...)
	b = append(b, d.Governorate...)
	b = append(b, "\nIncident date: "...)
	b = append(b, d.IncidentDate...)
	b = append(b, "\nConsent: "...)
	for k, s := range d.Consent.Scopes {
		if k > 0 {
			b = append(b, ", "...)
		}
		b = append(b, s...)
	}
	b = append(b, " (recorded "...)
	b = append(b, d.Consent.RecordedAt...)
	b = append(b, " by "...)
	b = append(b, d.Consent.RecordedBy...)
	b = append(b, ")\n\nSummary:\n"...)
	b = append(b, d.Summary...)
	b = append(b, '\n')
	if body != "" && !compact {
		if transcript {
			b = append(b, "\nTranscript:\n"...)
		} else {
			b = append(b, "\nText:\n"...)
		}
		b = append(b, body...)
		b = append(b, '\n')
	}
	return append(b, "\n-- end of fictional record --\n"...)
}
