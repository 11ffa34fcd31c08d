package demodata

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

var (
	reSlug     = regexp.MustCompile(`^[a-z0-9._-]+$`)
	reTag      = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	reIncident = regexp.MustCompile(`^201[4-9](-(0[1-9]|1[0-2]))?$`)
	reEmail    = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	rePhone    = regexp.MustCompile(`^(\+964|0)7[3-9][0-9]{8}$`)
	// Anything in (digit-normalised) text that looks like an Iraqi phone.
	rePhoneLike = regexp.MustCompile(`(\+964|00964|\b0)[ -]?7[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{4}`)
	reNatID     = regexp.MustCompile(`^[12][0-9]{11}$`)
	reGPS       = regexp.MustCompile(`^[0-9]{2}\.[0-9]{4}, [0-9]{2}\.[0-9]{4}$`)
)

func public(d Document) string { return d.Title + "\n" + d.Summary + "\n" + d.Transcript }

// asciiDigits turns Arabic-Indic and Extended Arabic-Indic digits into
// ASCII ones.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '٠' && r <= '٩':
			return '0' + (r - '٠')
		case r >= '۰' && r <= '۹':
			return '0' + (r - '۰')
		}
		return r
	}, s)
}

func TestTemplates(t *testing.T) {
	for l, p := range packs {
		code := langCodes[l]
		var titles, summaries int
		for k := range numTopics {
			if len(p.titles[k]) == 0 || len(p.summaries[k]) == 0 || len(p.body[k]) == 0 {
				t.Errorf("%s: topic %d has no titles, summaries or body", code, k)
			}
			titles += len(p.titles[k])
			summaries += len(p.summaries[k])
			for _, tm := range append(append([]tmpl(nil), p.titles[k]...), p.summaries[k]...) {
				if !g0(tm) {
					t.Errorf("%s: topic template uses a planted slot: %q", code, tm.src)
				}
			}
		}
		if l != langKMR && (titles < 25 || summaries < 25) {
			t.Errorf("%s: %d titles, %d summaries; want at least 25 each", code, titles, summaries)
		}
		if len(p.nameSent1) == 0 || len(p.nameSent2) == 0 {
			t.Errorf("%s: need name sentences with and without a second person", code)
		}
		for _, s := range p.nameSent {
			if !s.has(sPerson) {
				t.Errorf("%s: name sentence without {person}: %q", code, s.src)
			}
		}
		for _, s := range p.natIDSent {
			if !s.has(sNatID) {
				t.Errorf("%s: national id sentence without {natid}: %q", code, s.src)
			}
		}
	}
}

// g0 reports whether a template uses no planted-data slot.
func g0(t tmpl) bool {
	for _, s := range []slot{sPerson, sPerson2, sPersonAlt, sPhone, sEmail, sNatID, sGPS} {
		if t.has(s) {
			return false
		}
	}
	return true
}

func TestCollections(t *testing.T) {
	cs := Collections()
	if len(cs) < 3 {
		t.Fatalf("%d collections", len(cs))
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if !reSlug.MatchString(c.ID) || c.Name == "" || seen[c.ID] {
			t.Errorf("bad collection %+v", c)
		}
		seen[c.ID] = true
	}
	for _, id := range []string{"kirkuk-2018", "sinjar-2017", "mosul-2019"} {
		if !seen[id] {
			t.Errorf("missing collection %s", id)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := Generate(300, 42)
	b := Generate(300, 42)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different output")
	}
	c := Generate(300, 43)
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, same output")
	}
	// Prefixes agree, including with the parallel path for larger n.
	if !reflect.DeepEqual(Generate(120, 42), a[:120]) {
		t.Fatal("Generate(120) is not a prefix of Generate(300)")
	}
	if big := Generate(3000, 42); !reflect.DeepEqual(big[:300], a) {
		t.Fatal("Generate(3000) does not start with Generate(300)")
	}
	if Generate(0, 1) != nil || Generate(-5, 1) != nil {
		t.Fatal("n <= 0 should give nil")
	}
}

func TestLanguageMix(t *testing.T) {
	docs := Generate(200, 1)
	if len(docs) < 200 {
		t.Fatalf("Generate(200, 1) gave %d documents", len(docs))
	}
	n := map[string]int{}
	for _, d := range docs {
		n[d.Language]++
	}
	share := func(l string) float64 { return float64(n[l]) / float64(len(docs)) }
	for _, c := range []struct {
		lang   string
		lo, hi float64
	}{{"en", 0.35, 0.45}, {"ar", 0.30, 0.40}, {"ckb", 0.20, 0.30}, {"kmr", 0, 0.05}} {
		if s := share(c.lang); s < c.lo || s > c.hi {
			t.Errorf("%s share %.2f, want %.2f..%.2f", c.lang, s, c.lo, c.hi)
		}
	}
	if len(n) > 4 {
		t.Errorf("unexpected languages: %v", n)
	}
}

func TestFields(t *testing.T) {
	docs := Generate(5000, 3)
	colls := map[string]bool{}
	for _, c := range Collections() {
		colls[c.ID] = true
	}
	govs := map[string]bool{}
	for _, g := range governorates {
		govs[g] = true
	}
	markers := map[string]string{}
	for l, p := range packs {
		markers[langCodes[l]] = p.t.fictional
	}
	count := map[string]map[string]int{"kind": {}, "coll": {}, "gov": {}, "scope": {}}
	var transcripts int
	var arText, ckbText strings.Builder
	for i, d := range docs {
		fail := func(format string, args ...any) {
			t.Helper()
			t.Errorf("doc %d (%s %s): "+format, append([]any{i, d.Language, d.Kind}, args...)...)
		}
		count["kind"][d.Kind]++
		count["coll"][d.Collection]++
		count["gov"][d.Governorate]++
		if !colls[d.Collection] {
			fail("collection %q", d.Collection)
		}
		if !slices.Contains(kinds, d.Kind) {
			fail("kind %q", d.Kind)
		}
		if !govs[d.Governorate] {
			fail("governorate %q", d.Governorate)
		}
		if !reIncident.MatchString(d.IncidentDate) {
			fail("incident date %q", d.IncidentDate)
		}
		if len(d.Tags) == 0 || !slices.IsSorted(d.Tags) || len(slices.Compact(slices.Clone(d.Tags))) != len(d.Tags) {
			fail("tags %v", d.Tags)
		}
		for _, tag := range d.Tags {
			if !reTag.MatchString(tag) {
				fail("tag %q", tag)
			}
		}
		sc := d.Consent.Scopes
		if len(sc) == 0 || len(slices.Compact(slices.Clone(sc))) != len(sc) {
			fail("scopes %v", sc)
		}
		for _, s := range sc {
			if !slices.Contains(scopeNames[:], s) {
				fail("scope %q", s)
			}
			count["scope"][s]++
		}
		rec, err := time.Parse(time.DateOnly, d.Consent.RecordedAt)
		if err != nil {
			fail("recorded_at %q", d.Consent.RecordedAt)
		}
		layout := "2006"
		if len(d.IncidentDate) == 7 {
			layout = "2006-01"
		}
		inc, _ := time.Parse(layout, d.IncidentDate)
		if layout == "2006" {
			inc = inc.AddDate(1, 0, 0)
		} else {
			inc = inc.AddDate(0, 1, 0)
		}
		if rec.Before(inc) {
			fail("consent recorded %s before the end of incident %s", d.Consent.RecordedAt, d.IncidentDate)
		}
		for _, id := range []string{d.Consent.RecordedBy, d.Depositor} {
			if !slices.Contains(researchers[:], id) || !reSlug.MatchString(id) {
				fail("researcher id %q", id)
			}
		}
		if d.Title == "" || strings.ContainsAny(d.Title, "\n{}") {
			fail("title %q", d.Title)
		}
		if !strings.HasPrefix(d.Summary, markers[d.Language]) || strings.ContainsAny(d.Summary, "\n{}") {
			fail("summary %q", d.Summary)
		}
		if d.Transcript != "" {
			transcripts++
			if !strings.Contains(d.Transcript, "\n\n") || strings.ContainsAny(d.Transcript, "{}") {
				fail("transcript %q", d.Transcript)
			}
		}
		if len(d.Private) != 3 || d.Private["location_detail"] == "" || d.Private["contact"] == "" || d.Private["notes"] == "" {
			fail("private %v", d.Private)
		}
		if d.FileName == "" || strings.ContainsAny(d.FileName, "/\\") || !strings.HasSuffix(d.FileName, ".txt") {
			fail("file name %q", d.FileName)
		}
		if d.MediaType != "text/plain; charset=utf-8" {
			fail("media type %q", d.MediaType)
		}
		c := string(d.Content)
		if !utf8.ValidString(c) || !strings.Contains(c, "FICTIONAL") || !strings.Contains(c, d.Title) ||
			!strings.Contains(c, d.Summary) || !strings.Contains(c, d.Transcript) {
			fail("content does not hold the record")
		}
		if len(d.Content) < 1000 || len(d.Content) > 16<<10 {
			fail("content is %d bytes", len(d.Content))
		}
		switch d.Language {
		case "ar":
			arText.WriteString(public(d))
			if !hasScript(d.Title, unicode.Arabic) {
				fail("Arabic title without Arabic script: %q", d.Title)
			}
		case "ckb":
			ckbText.WriteString(public(d))
			if !strings.ContainsAny(d.Summary, "ەێۆڕڵ") {
				fail("Sorani summary without Kurdish letters: %q", d.Summary)
			}
		case "en", "kmr":
			if hasScript(d.Summary[:len(markers[d.Language])+40], unicode.Arabic) {
				fail("Latin-script summary opens in Arabic script: %q", d.Summary)
			}
		default:
			fail("language %q", d.Language)
		}
	}
	for _, r := range "أإآةى" {
		if !strings.ContainsRune(arText.String(), r) {
			t.Errorf("Arabic text never uses %c", r)
		}
	}
	for _, r := range "ەێۆڕڵ" {
		if !strings.ContainsRune(ckbText.String(), r) {
			t.Errorf("Sorani text never uses %c", r)
		}
	}
	for _, k := range kinds {
		if count["kind"][k] == 0 {
			t.Errorf("no %s documents", k)
		}
	}
	for c := range colls {
		if count["coll"][c] == 0 {
			t.Errorf("no documents in %s", c)
		}
	}
	for _, g := range governorates {
		if count["gov"][g] == 0 {
			t.Errorf("no documents in %s", g)
		}
	}
	main := 0
	for _, g := range []string{"Nineveh", "Kirkuk", "Duhok", "Erbil", "Salah al-Din", "Anbar", "Baghdad"} {
		main += count["gov"][g]
	}
	n := float64(len(docs))
	if s := float64(main) / n; s < 0.85 {
		t.Errorf("only %.2f of documents in the main governorates", s)
	}
	within := func(what string, got int, lo, hi float64) {
		if s := float64(got) / n; s < lo || s > hi {
			t.Errorf("%s share %.2f, want %.2f..%.2f", what, s, lo, hi)
		}
	}
	within("legal_proceedings", count["scope"]["legal_proceedings"], 0.55, 0.65)
	within("advocacy", count["scope"]["advocacy"], 0.65, 0.75)
	within("transcript", transcripts, 0.40, 0.60)
}

func hasScript(s string, tab *unicode.RangeTable) bool {
	for _, r := range s {
		if unicode.Is(tab, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

func TestPlantedPII(t *testing.T) {
	for _, c := range []struct {
		n    int
		seed uint64
	}{{200, 1}, {4000, 9}} {
		docs := Generate(c.n, c.seed)
		withPII, variants := 0, 0
		kindsSeen := map[string]bool{}
		for i, d := range docs {
			pub := public(d)
			if (len(d.Persons) > 0) != (len(d.Planted) > 0) {
				t.Errorf("doc %d: persons %q but planted %q", i, d.Persons, d.Planted)
			}
			if len(d.Persons) > 0 {
				withPII++
			}
			for _, p := range d.Persons {
				if p == "" || !strings.Contains(pub, p) {
					t.Errorf("doc %d: person %q not in its text", i, p)
				}
				if !strings.Contains(string(d.Content), p) {
					t.Errorf("doc %d: person %q not in its content", i, p)
				}
			}
			rest := pub
			for _, p := range d.Planted {
				kindsSeen[p.Kind] = true
				if !strings.Contains(pub, p.Value) {
					t.Errorf("doc %d: planted %s %q not in the text", i, p.Kind, p.Value)
				}
				switch p.Kind {
				case "person":
					if !slices.Contains(d.Persons, p.Value) {
						variants++
						if arabicVariant(p.Value) != p.Value {
							t.Errorf("doc %d: %q is not a variant spelling", i, p.Value)
						}
					}
				case "phone":
					checkPhone(t, i, p.Value)
				case "email":
					checkEmail(t, i, p.Value)
				case "national_id":
					if !reNatID.MatchString(asciiDigits(p.Value)) {
						t.Errorf("doc %d: national id %q", i, p.Value)
					}
					before, _, _ := strings.Cut(pub, p.Value)
					before = strings.ToLower(before[max(0, len(before)-120):])
					if !strings.Contains(before, "national") && !strings.Contains(before, "البطاقة الوطنية") &&
						!strings.Contains(before, "کارتی نیشتمانی") && !strings.Contains(before, "karta niştimanî") {
						t.Errorf("doc %d: national id %q without context words", i, p.Value)
					}
				case "gps":
					if !reGPS.MatchString(p.Value) {
						t.Errorf("doc %d: gps %q", i, p.Value)
					}
				default:
					t.Errorf("doc %d: planted kind %q", i, p.Kind)
				}
			}
			// Planted is complete: once its values are gone, nothing that
			// looks like a phone number or an e-mail address is left.
			planted := slices.Clone(d.Planted)
			slices.SortFunc(planted, func(a, b Planted) int { return len(b.Value) - len(a.Value) })
			for _, p := range planted {
				rest = strings.ReplaceAll(rest, p.Value, " ")
			}
			if m := rePhoneLike.FindString(asciiDigits(rest)); m != "" {
				t.Errorf("doc %d: unlisted phone-like %q", i, m)
			}
			if strings.Contains(rest, "@") {
				t.Errorf("doc %d: unlisted e-mail in %q", i, rest)
			}
			// E-mail addresses anywhere, private metadata included, are on
			// example domains.
			all := string(d.Content) + "\n" + d.Private["contact"] + "\n" + d.Private["location_detail"] + "\n" + d.Private["notes"]
			for _, e := range reEmail.FindAllString(all, -1) {
				checkEmail(t, i, e)
			}
			if c := d.Private["contact"]; strings.ContainsAny(asciiDigits(c), "0123456789") && !strings.Contains(c, "@") {
				checkPhone(t, i, c)
			}
		}
		if s := float64(withPII) / float64(len(docs)); s < 0.30 || s > 0.50 {
			t.Errorf("Generate(%d, %d): %.2f of documents with planted data, want 0.30..0.50", c.n, c.seed, s)
		}
		if c.n >= 1000 {
			for _, k := range []string{"person", "phone", "email", "national_id", "gps"} {
				if !kindsSeen[k] {
					t.Errorf("no planted %s", k)
				}
			}
			if variants == 0 {
				t.Error("no variant spellings of Arabic names")
			}
		}
	}
}

func checkEmail(t *testing.T, i int, e string) {
	t.Helper()
	_, dom, ok := strings.Cut(e, "@")
	if !ok || !slices.Contains(emailDomains, dom) {
		t.Errorf("doc %d: e-mail %q not on an example domain", i, e)
	}
}

func checkPhone(t *testing.T, i int, p string) {
	t.Helper()
	norm := strings.NewReplacer(" ", "", "-", "").Replace(asciiDigits(p))
	if !rePhone.MatchString(norm) {
		t.Errorf("doc %d: phone %q does not match the Iraqi mobile pattern", i, p)
		return
	}
	num, err := phonenumbers.Parse(norm, "IQ")
	if err != nil || !phonenumbers.IsValidNumber(num) || phonenumbers.GetNumberType(num) != phonenumbers.MOBILE {
		t.Errorf("doc %d: phone %q is not a valid Iraqi mobile number (%v)", i, p, err)
	}
}

func TestArabicVariant(t *testing.T) {
	for in, want := range map[string]string{
		"آمنة الأترجي":  "امنه الاترجي",
		"إسراء الآسي":   "اسراء الاسي",
		"يحيى البلوطي":  "يحيي البلوطي",
		"كاوة كانيزرد":  "كاوه كانيزرد",
		"فاطمة السماقي": "فاطمه السماقي",
	} {
		if got := arabicVariant(in); got != want {
			t.Errorf("arabicVariant(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMetaJSON(t *testing.T) {
	wantKeys := []string{"consent", "governorate", "incident_date", "language", "persons", "private", "summary", "tags", "title"}
	for i, d := range Generate(100, 5) {
		b, err := MetaJSON(d)
		if err != nil {
			t.Fatal(err)
		}
		if !utf8.Valid(b) || strings.Contains(string(b), `\u00`) {
			t.Errorf("doc %d: META.json is not plain UTF-8: %s", i, b)
		}
		var m Meta
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		if !reflect.DeepEqual(m, d.Meta()) {
			t.Errorf("doc %d: META.json does not round-trip:\n%+v\n%+v", i, m, d.Meta())
		}
		if m.Title != d.Title || m.Summary != d.Summary || m.IncidentDate != d.IncidentDate ||
			!reflect.DeepEqual(m.Consent, d.Consent) || !reflect.DeepEqual(m.Private, d.Private) {
			t.Errorf("doc %d: META.json differs from the document", i)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("doc %d: keys %v", i, keys)
		}
		if string(raw["persons"]) == "null" {
			t.Errorf("doc %d: persons is null", i)
		}
		var consent map[string]json.RawMessage
		_ = json.Unmarshal(raw["consent"], &consent)
		if len(consent) != 3 || consent["scopes"] == nil || consent["recorded_at"] == nil || consent["recorded_by"] == nil {
			t.Errorf("doc %d: consent %s", i, raw["consent"])
		}
	}
}

// The texts stay non-graphic: no word of them starts with one of these
// stems (after Arabic proclitics are removed).
func TestNonGraphic(t *testing.T) {
	banned := []string{
		"rape", "sexual", "torture", "kill", "murder", "blood", "beaten", "beating",
		"assault", "abuse", "slave", "captiv", "corpse", "grave", "execut", "weapon",
		"gun", "bomb", "explos", "wound", "injur", "dead", "death",
		"اغتصاب", "تعذيب", "قتل", "جثة", "جثث", "سبايا", "دماء", "اعتداء", "إعدام", "سلاح", "قنبلة", "انفجار", "جريح",
		"دەستدرێژی", "ئەشکەنجە", "کوشتن", "کوژرا", "تەرم", "خوێنڕشتن", "تەقینەوە", "بریندار",
		"destdirêjî", "îşkence", "kuştin", "xwîn", "teqîn",
	}
	for i, d := range Generate(3000, 11) {
		all := strings.ToLower(public(d) + "\n" + string(d.Content) + "\n" + d.Private["location_detail"] + "\n" + d.Private["notes"])
		for _, w := range strings.FieldsFunc(all, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) }) {
			forms := []string{w}
			for _, pre := range []string{"وال", "بال", "لل", "ال", "و", "ب", "ل"} {
				if s, ok := strings.CutPrefix(w, pre); ok {
					forms = append(forms, s)
				}
			}
			for _, f := range forms {
				for _, b := range banned {
					if strings.HasPrefix(f, b) {
						t.Errorf("doc %d: word %q", i, w)
					}
				}
			}
		}
	}
}

// No part of a fictional name is also an ordinary word of the texts, so
// redacting a name never blanks out unrelated words.
func TestNameTokensNotInTexts(t *testing.T) {
	words := map[string]bool{}
	addWords := func(s string) {
		for _, w := range strings.FieldsFunc(s, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && r != '\u200c'
		}) {
			words[strings.ToLower(w)] = true
		}
	}
	for _, tx := range []*text{&textEN, &textAR, &textCKB, &textKMR} {
		addWords(tx.fictional + tx.contentNote + tx.whenMonth + tx.whenYear + tx.sinceMonth + tx.sinceYear + tx.contactVia)
		for _, list := range [][]string{tx.topics[:], tx.months[:], tx.personTitles, tx.nameSent, tx.contactSent,
			tx.intro, tx.closing, tx.altSent, tx.phoneSent, tx.emailSent, tx.natIDSent, tx.gpsSent,
			tx.townDetail, tx.campDetail, tx.landmarks, tx.notes} {
			for _, s := range list {
				addWords(s)
			}
		}
		for k := range numTopics {
			for _, list := range [][]string{tx.titles[k], tx.summaries[k], tx.body[k]} {
				for _, s := range list {
					addWords(s)
				}
			}
		}
		for _, kf := range tx.kinds {
			addWords(kf.cap + " " + kf.def + " " + kf.this)
		}
	}
	for _, n := range govNames {
		addWords(strings.Join(n[:], " "))
	}
	for _, c := range collDefs {
		for _, tw := range c.towns {
			addWords(strings.Join(tw.v.n[:], " "))
		}
		for _, cp := range c.camps {
			addWords(strings.Join(cp.n[:], " "))
		}
	}
	for _, o := range orgs {
		addWords(strings.Join(o[:], " "))
	}
	var tokens []string
	for _, f := range arFirst {
		tokens = append(tokens, f[:]...)
	}
	for _, l := range arLast {
		tokens = append(tokens, l[1], strings.TrimPrefix(l[0], "al-"))
	}
	for _, n := range append(slices.Clone(kuFirst), kuLast...) {
		tokens = append(tokens, n[:]...)
	}
	for _, tok := range tokens {
		for _, v := range []string{tok, arabicVariant(tok)} {
			if words[strings.ToLower(v)] {
				t.Errorf("name part %q is also a word of the texts", v)
			}
		}
	}
}

func TestGenerateLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large data set")
	}
	start := time.Now()
	docs := Generate(100000, 7)
	took := time.Since(start)
	t.Logf("Generate(100000, 7): %v", took)
	if len(docs) != 100000 {
		t.Fatalf("%d documents", len(docs))
	}
	pii, size := 0, 0
	langs := map[string]int{}
	for _, d := range docs {
		if len(d.Persons) > 0 {
			pii++
		}
		size += len(d.Content)
		langs[d.Language]++
	}
	if s := float64(pii) / 1e5; s < 0.38 || s > 0.42 {
		t.Errorf("planted data share %.3f", s)
	}
	if langs["en"] != 40000 || langs["ar"] != 35000 || langs["ckb"] != 23000 || langs["kmr"] != 2000 {
		t.Errorf("languages %v", langs)
	}
	if avg := size / len(docs); avg > 1500 {
		t.Errorf("average content %d bytes; large sets should be compact", avg)
	}
	if took > 30*time.Second {
		t.Errorf("Generate(100000) took %v", took)
	}
}

func BenchmarkGenerate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Generate(10000, 1)
	}
}

// Explanations of how birth certificates and identity cards are obtained
// are reports: a kind facet separates them from testimonies.
func TestProceduresAreReports(t *testing.T) {
	phrases := map[string]string{"en": "birth certificates", "ar": "شهادات الميلاد", "ckb": "بڕوانامەی لەدایکبوون"}
	n := map[string]int{}
	for _, d := range Generate(3000, 7) {
		if p, ok := phrases[d.Language]; ok && strings.Contains(d.Summary, p) {
			n[d.Kind]++
		}
	}
	if n["report"] < 20 || len(n) != 1 {
		t.Errorf("documents about birth certificates by kind: %v, want reports only", n)
	}
}
