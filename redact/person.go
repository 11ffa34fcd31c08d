package redact

import (
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Names listed for a deposit are matched on folded text (see fold), on word
// boundaries, allowing any whitespace, hyphens or apostrophes between the
// parts of a name. Arabic-script names may carry the prefixes و ف ب ل ك and
// ال (and their combinations), Sorani suffixes (ی ش دا ەوە یان …), and may be
// written with or without the space in compounds (عبد الله / عبدالله).
//
// Besides the full name, every contiguous part of it is matched (Amina alone,
// or Khalil Hassan), except particles such as Abu, Umm, bin, al- and parts
// shorter than three letters: a survivor's first name is enough to identify
// her in a small community.

type namePattern struct {
	tokens []string
	arabic bool   // Arabic script: prefixes, suffixes and compounds allowed
	key    string // pseudonym key
}

type nameMatcher struct {
	groups []nameGroup
}

// nameGroup holds the patterns that begin with the same token, longest first,
// so that the text is searched once per distinct first token.
type nameGroup struct {
	first    string
	patterns []namePattern
}

// particles never identify a person alone, and may be written joined to the
// next part of a name (Abdulrahman, عبدالرحمن).
var particles = map[string]bool{}

// joinable particles may be written without a space before the next part.
var joinable = map[string]bool{}

func init() {
	for _, p := range strings.Fields("al el abu abou umm um om ibn bin bint ben abd abdul abdel abdal " +
		"haji hajji hajj sheikh shaikh sayyid sayed mullah mala kak kaka mam mrs mr ms dr " +
		"the and of de da van von") {
		particles[p] = true
	}
	for _, p := range []string{"ال", "ابو", "ام", "ابن", "بن", "بنت", "عبد", "حجي", "حاج", "الحاج",
		"الحجي", "سيد", "السيد", "شيخ", "الشيخ", "ملا", "كاك", "كاكه", "مام", "خاتون", "خاتوو", "حاجي", "ابي"} {
		particles[fold(p).s] = true
	}
	for _, p := range []string{"abd", "abu", "abou", "al", "عبد", "ابو"} {
		joinable[fold(p).s] = true
	}
}

// Arabic prefixes (conjunctions, prepositions, article) and Sorani suffixes
// (izafe, "also", postposition parts, plural, possessives), folded.
var (
	arabicPrefixes = setOf("و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل",
		"وب", "ول", "فب", "فل", "وك", "فك", "وبال", "فبال")
	soraniSuffixes = setOf("ی", "ش", "یش", "دا", "ەوە", "وە", "یان", "مان", "تان", "ەکە", "ەکەی")
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[fold(w).s] = true
	}
	return m
}

// maxNameWords bounds the names whose every part is matched.
const maxNameWords = 8

// maxAffix is longer, in bytes, than any prefix or suffix above.
const maxAffix = 12

// function words that fold to the same letters as a name (على → علي, Ali).
var foldCollisions = map[string]bool{"على": true, "إلى": true, "الى": true, "حتى": true, "متى": true, "لدى": true, "سوى": true, "مدى": true}

func newNameMatcher(persons []string) *nameMatcher {
	type entry struct {
		tokens []string
		owners map[string]bool
		full   bool
	}
	byText := map[string]*entry{}
	var order []string
	add := func(tokens []string, owner string, full bool) {
		k := strings.Join(tokens, " ")
		e := byText[k]
		if e == nil {
			e = &entry{tokens: tokens, owners: map[string]bool{}}
			byText[k] = e
			order = append(order, k)
		}
		e.owners[owner] = true
		e.full = e.full || full
	}
	ownerOf := map[string]string{} // folded full name → owner id
	for i, listed := range persons {
		owner := ""
		for _, spelling := range spellings(listed) {
			words := nameWords(spelling)
			full := flatten(words)
			fullText := strings.Join(full, " ")
			if utf8.RuneCountInString(fullText) < 2 {
				continue
			}
			if owner == "" {
				// Two entries for the same name are one person.
				if o, seen := ownerOf[fullText]; seen {
					owner = o
				} else {
					owner = "p" + strconv.Itoa(i)
				}
			}
			ownerOf[fullText] = owner
			add(full, owner, true)
			// Every contiguous part of the name. A listed "name" longer than
			// any real one (text pasted by mistake) gets its words only,
			// which keeps this step linear.
			maxPart := len(words)
			if maxPart > maxNameWords {
				maxPart = 1
			}
			for a := 0; a < len(words); a++ {
				for b := a + 1; b <= min(len(words), a+maxPart); b++ {
					if a == 0 && b == len(words) {
						continue
					}
					part := words[a:b]
					first := strings.Join(part[0], "")
					if b == a+1 && (particles[first] || utf8.RuneCountInString(first) < 3) {
						continue
					}
					if particles[strings.Join(part[len(part)-1], "")] {
						continue // "Umm Ahmed" may be a part, "Ahmed Abu" not
					}
					add(flatten(part), owner, false)
				}
			}
		}
	}
	var patterns []namePattern
	for _, k := range order {
		e := byText[k]
		key := ""
		if len(e.owners) == 1 {
			for o := range e.owners {
				key = o
			}
		} else {
			// Shared by several listed persons (a family name): its own
			// pseudonym, so it does not link them.
			key = "t:" + k
		}
		patterns = append(patterns, namePattern{tokens: e.tokens, arabic: isArabicText(k), key: key})
	}
	sort.SliceStable(patterns, func(i, j int) bool { return len(patterns[i].tokens) > len(patterns[j].tokens) })
	m := &nameMatcher{}
	index := map[string]int{}
	for _, p := range patterns {
		g, ok := index[p.tokens[0]]
		if !ok {
			g = len(m.groups)
			index[p.tokens[0]] = g
			m.groups = append(m.groups, nameGroup{first: p.tokens[0]})
		}
		m.groups[g].patterns = append(m.groups[g].patterns, p)
	}
	return m
}

// spellings returns the name and, for Kurdish and Turkish Latin letters that
// are also transliterated with two letters (ş = sh, ç = ch), that spelling too:
// Şîrîn is written Sirin without diacritics and Shirin in English.
func spellings(name string) []string {
	out := []string{name}
	r := strings.NewReplacer("ş", "sh", "Ş", "Sh", "ç", "ch", "Ç", "Ch")
	if alt := r.Replace(name); alt != name {
		out = append(out, alt)
	}
	return out
}

// nameWords folds a name and splits it into words, each word into tokens:
// a word written with a joined particle (عبدالله, Abdulrahman) becomes two
// tokens, so that both spellings match.
func nameWords(name string) [][]string {
	var words [][]string
	for _, w := range strings.FieldsFunc(fold(name).s, func(r rune) bool { return !isWordRune(r) }) {
		words = append(words, splitParticle(w))
	}
	return words
}

func splitParticle(w string) []string {
	switch w {
	case "el", "ul":
		return []string{"al"} // the article, however transliterated
	case "abdul", "abdel", "abdal", "abdol":
		return []string{"abd", "al"}
	}
	for _, p := range [...]string{"abdul", "abdel", "abdal", "abdol"} {
		if strings.HasPrefix(w, p) && len(w)-len(p) >= 3 {
			return []string{"abd", "al", w[len(p):]}
		}
	}
	for _, p := range [...]string{"abd", "abu", "عبد", "ابو"} {
		if strings.HasPrefix(w, p) && utf8.RuneCountInString(w)-utf8.RuneCountInString(p) >= 3 {
			return []string{p, w[len(p):]}
		}
	}
	return []string{w}
}

// tokenAt reports the length of the pattern token tok at s[j:], allowing the
// transliterations of the Arabic article (al, el, ul).
func tokenAt(s string, j int, tok string) int {
	if tok == "al" {
		if j+2 <= len(s) && s[j+1] == 'l' && (s[j] == 'a' || s[j] == 'e' || s[j] == 'u') {
			return 2
		}
		return -1
	}
	if strings.HasPrefix(s[j:], tok) {
		return len(tok)
	}
	return -1
}

func flatten(words [][]string) []string {
	var out []string
	for _, w := range words {
		out = append(out, w...)
	}
	return out
}

func isArabicText(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) {
			return true
		}
	}
	return false
}

func (m *nameMatcher) find(f *folded, original string, ms []match) []match {
	s := f.s
	for _, g := range m.groups {
		_, w := utf8.DecodeRuneInString(g.first)
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], g.first)
			if i < 0 {
				break
			}
			a := off + i
			off = a + w
			for _, p := range g.patterns {
				b, ok := p.matchAt(s, a)
				if !ok {
					continue
				}
				start, end := f.span(a, b)
				if len(p.tokens) == 1 && p.arabic && foldCollisions[stripMarks(original[start:end])] {
					continue
				}
				ms = append(ms, match{Finding{Kind: KindPerson, Start: start, End: end, Reason: ReasonListed}, p.key})
				off = b
				break
			}
		}
	}
	return ms
}

// matchAt checks whether the pattern, whose first token occurs at a, matches
// there on word boundaries, and returns where it ends.
func (p *namePattern) matchAt(s string, a int) (int, bool) {
	// Left: the start of a word, or after an Arabic prefix.
	// The scans are bounded by the longest affix, so that a long run of
	// letters cannot make the search quadratic.
	w := a
	for w > 0 && a-w <= maxAffix {
		r, size := utf8.DecodeLastRuneInString(s[:w])
		if !isWordRune(r) {
			break
		}
		w -= size
	}
	if w != a && !(p.arabic && arabicPrefixes[s[w:a]]) {
		return 0, false
	}
	b := a + len(p.tokens[0])
	for k := 1; k < len(p.tokens); k++ {
		j := b
		for j < len(s) && j-b < 6 && isNameSeparator(s[j]) {
			j++
		}
		if j == b && !p.arabic && !joinable[p.tokens[k-1]] {
			return 0, false
		}
		n := tokenAt(s, j, p.tokens[k])
		if n < 0 {
			return 0, false
		}
		b = j + n
	}
	// Right: the end of a word, or before a Sorani suffix.
	e := b
	for e < len(s) && e-b <= maxAffix {
		r, size := utf8.DecodeRuneInString(s[e:])
		if !isWordRune(r) {
			break
		}
		e += size
	}
	if e != b && !(p.arabic && soraniSuffixes[s[b:e]]) {
		return 0, false
	}
	return b, true
}

func isNameSeparator(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '-' || c == '\'' || c == '.' || c == '_'
}

// stripMarks removes harakat and tatweel, keeping the letters as written.
func stripMarks(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) || r == 'ـ' || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}
