package redact

import (
	_ "embed"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Names nobody listed are found with gazetteers of common given names
// (names_*.txt: their header gives source and licence) and with the titles
// and kinship words that stand before a name (Mrs, Dr, أم, أبو, کاک,
// خاتوو…). Everything is matched on folded text.
//
// A word is a probable name when
//
//   - it is in a gazetteer and, in Latin script, capitalised; names that are
//     also common words (Hope, أمل "hope", باران "rain") count only next to a
//     title, a kinship word or another name;
//   - it follows a title (Mrs, Dr, السيدة, الدكتور, کاک, خاتوو, مام…) and is
//     name-shaped: capitalised in Latin script, not a function word in
//     Arabic script;
//   - it follows a kinship word (أم, أبو, بنت, ابن, Umm, Abu, أختها,
//     خوشکەکەی) and is in a gazetteer, common word or not;
//   - in Latin script, it is capitalised and follows a relative (her cousin
//     Mariam, xwişka wê Sosin) or the label of a form field (Name: Samar);
//     in Arabic script, it follows a field label and a colon (الاسم: نرجس).
//
// A name extends over the words that follow it while they are names too
// (Fatima Kadhim) or, in Latin script, capitalised (Huda Kareem). Titles and
// kinship words stay outside the finding: "Mrs [NAME-1]", "أم [NAME-1]".

// Reasons given for person and name findings.
const (
	ReasonListed    = "listed"     // a name listed for the deposit
	ReasonGivenName = "given_name" // a common given name (gazetteer)
	ReasonTitle     = "title"      // after a title or kinship word
)

var (
	//go:embed names_en.txt
	namesEN string
	//go:embed names_ar.txt
	namesAR string
	//go:embed names_ckb.txt
	namesCKB string
	//go:embed names_kmr.txt
	namesKMR string
)

// gazetteer maps a folded given name to whether it is also a common word.
type gazetteer map[string]bool

var givenNames = sync.OnceValue(func() gazetteer {
	g := gazetteer{}
	for _, list := range []string{namesEN, namesAR, namesCKB, namesKMR} {
		for _, line := range strings.Split(list, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			word, common := strings.CutSuffix(line, " *")
			// Şirîn is also written Shirin, as for listed names.
			for _, sp := range spellings(word) {
				key := strings.Join(strings.Fields(fold(sp).s), " ")
				// A name that is a common word in one language stays one.
				g[key] = g[key] || common
			}
		}
	}
	return g
})

// Titles before a name-shaped word, and kinship words before a given name,
// folded. Latin titles may end with a full stop (Dr.).
var (
	titles = setOf("mr", "mrs", "ms", "miss", "dr", "doctor", "prof", "professor", "kak", "kaka", "mam", "birez", "xatun",
		"sheikh", "shaikh", "hajji", "haji", "sayyid", "mulla", "mullah",
		"السيد", "السيدة", "سيد", "سيدة", "الدكتور", "الدكتورة", "دكتور", "دكتورة", "الحاج", "الحاجة", "حجي",
		"الشيخ", "شيخ", "الاستاذ", "الاستاذة", "الست", "الملا", "ملا",
		"کاک", "کاکە", "کاکه", "خاتوو", "خاتون", "مام", "دکتۆر", "مامۆستا", "پورە", "پوور", "میرزا")
	kinship = setOf("umm", "um", "om", "abu", "abou", "bint", "ibn", "bin",
		"ام", "أم", "ابو", "أبو", "بنت", "ابن", "بن", "ابنة", "زوجة", "زوج", "اخت", "شقيقة", "شقيق",
		"کچی", "کوڕی", "ژنی", "دایکی", "باوکی", "خوشکی", "براکەی")
	// Relatives and companions before a name: in Latin script a
	// capitalised word after them is a name (her cousin Mariam, xwişka wê
	// Sosin), with a possessive between or not; in Arabic script they carry
	// the possessive and need a given name after them (أختها زينب).
	relatives = setOf("uncle", "aunt", "cousin", "brother", "sister", "husband", "wife", "son", "daughter",
		"neighbour", "neighbor", "friend", "mother", "father", "grandmother", "grandfather", "nephew", "niece",
		"colleague", "xwişka", "birayê", "diya", "dayika", "bavê", "apê", "xaltiya", "mêrê", "jina", "keça", "kurê",
		"hevala", "hevalê", "cîrana", "cîranê")
	possessives     = setOf("her", "his", "my", "their", "our", "your", "wê", "wî", "min", "te", "me", "we", "wan")
	relativesArabic = setOf("اخوها", "اختها", "زوجها", "ابنها", "ابنتها", "عمها", "خالها", "والدتها", "والدها", "اخيها",
		"اخوه", "اخته", "زوجته", "ابنه", "ابنته", "عمه", "خاله", "جارتها", "جارها", "صديقتها", "صديقه",
		"خوشکەکەی", "براکەی", "مێردەکەی", "ژنەکەی", "کچەکەی", "کوڕەکەی", "هاوڕێکەی", "دراوسێکەی")
	// Labels of a form field (Name: …), which count before a colon only.
	fieldLabels = setOf("name", "الاسم", "اسم", "اسمها", "اسمه", "ناو", "ناوی", "nav", "navê")
	// Arabic-script words that follow a title without being a name.
	arabicFunction = setOf("في", "من", "على", "الى", "إلى", "عن", "مع", "قال", "قالت", "ان", "أن", "إن", "انه", "انها",
		"هو", "هي", "كان", "كانت", "و", "لا", "لم", "قد", "التي", "الذي", "ثم", "او", "أو", "هذا", "هذه", "ذلك", "تلك",
		"لە", "بە", "و", "کە", "ئەو", "ئەم", "بۆ", "لەگەڵ", "وتی", "گوتی", "بوو", "دەڵێت")
	// Latin words that are capitalised without being names: they end a
	// name's extension and are never name-shaped after a title.
	latinFunction = setOf("the", "and", "or", "of", "in", "on", "at", "to", "from", "for", "with", "by", "a", "an",
		"she", "he", "her", "his", "they", "we", "i", "it", "but", "when", "after", "before", "said", "told",
		"u", "li", "ji", "bi", "di", "de", "re", "ku", "ew", "wê", "wî", "got", "jî", "ye", "e")
)

// word is one word of folded text.
type word struct {
	a, b  int  // folded offsets
	latin bool // Latin script
	caps  bool // capitalised in the original
}

// findNames finds probable names nobody listed. The caller resolves
// overlaps with listed persons, which win.
func findNames(f *folded, original string, ms []match) []match {
	g := givenNames()
	words := splitWords(f, original)
	for i := 0; i < len(words); i++ {
		w := words[i]
		a, b := w.a, w.b
		reason := ""
		after := i > 0 && words[i-1].b+2 >= w.a // the word before is close
		prev := ""
		if after {
			prev = f.s[words[i-1].a:words[i-1].b]
		}
		if t := f.s[w.a:w.b]; inSet(titles, t) || inSet(kinship, t) {
			continue // a title is not a name: Haji Farhan is Haji [NAME-1]
		}
		common, known := lookupName(g, f.s, &a, &b, w)
		if w.latin && !w.caps {
			known = false
		}
		relative := false
		if after && w.latin {
			relative = relatives[prev]
			if j := i - 2; !relative && possessives[prev] && j >= 0 && words[j].b+2 >= words[i-1].a {
				relative = relatives[f.s[words[j].a:words[j].b]]
			}
		}
		switch {
		case after && inSet(titles, prev) && nameShaped(f.s, w):
			reason = ReasonTitle
		case after && fieldLabels[prev] && strings.Contains(f.s[words[i-1].b:w.a], ":") && nameShaped(f.s, w):
			reason = ReasonTitle
		case relative && nameShaped(f.s, w):
			reason = ReasonTitle
		case after && (inSet(kinship, prev) || inSet(relativesArabic, prev)) && known:
			reason = ReasonTitle
		case known && !common:
			reason = ReasonGivenName
		case known && common && i+1 < len(words) && nextIsName(g, f.s, words[i+1], w):
			reason = ReasonGivenName
		}
		if reason == "" {
			continue
		}
		if !w.latin && foldCollisions[stripMarks(original[f.start[a]:f.end[b-1]])] {
			continue // على is not علي
		}
		// Extend over the names that follow.
		for k := 0; k < 3 && i+1 < len(words); k++ {
			n := words[i+1]
			if n.a > words[i].b+2 || strings.ContainsAny(f.s[words[i].b:n.a], ",.;:!?()\n") {
				break
			}
			na, nb := n.a, n.b
			_, nk := lookupName(g, f.s, &na, &nb, n)
			if na != n.a {
				break // "زينب ورقية" is two names
			}
			if n.latin && !(n.caps && !latinFunction[f.s[n.a:n.b]]) {
				break
			}
			if !n.latin && !nk {
				break
			}
			if n.latin != w.latin {
				break
			}
			b = nb
			i++
			if nb != n.b {
				break // a suffix ends the name
			}
		}
		start, end := f.span(a, b)
		ms = append(ms, match{Finding{Kind: KindName, Start: start, End: end, Reason: reason}, "n:" + f.s[a:b]})
	}
	return ms
}

// inSet reports whether the folded word w, or w without the conjunction و
// (والسيد, وابن), is in set.
func inSet(set map[string]bool, w string) bool {
	if set[w] {
		return true
	}
	rest, ok := strings.CutPrefix(w, "و")
	return ok && set[rest]
}

// nextIsName reports whether n, after the common-word name w, is a name
// that is not a common word, so that "Amal Hassan" is a name and "Hope"
// alone is not.
func nextIsName(g gazetteer, s string, n, w word) bool {
	if n.a > w.b+2 || n.latin != w.latin || n.latin && !n.caps {
		return false
	}
	a, b := n.a, n.b
	common, known := lookupName(g, s, &a, &b, n)
	return known && !common
}

// lookupName looks the word up in the gazetteer, allowing the Arabic
// prefixes و ب ل and the Sorani suffixes, and narrows [a, b) to the
// name itself.
func lookupName(g gazetteer, s string, a, b *int, w word) (common, known bool) {
	if c, ok := g[s[*a:*b]]; ok {
		return c, true
	}
	if w.latin {
		return false, false
	}
	r, size := utf8.DecodeRuneInString(s[*a:*b])
	if strings.ContainsRune("وبل", r) && utf8.RuneCountInString(s[*a+size:*b]) >= 3 {
		if c, ok := g[s[*a+size:*b]]; ok {
			*a += size
			return c, true
		}
	}
	for _, suf := range soraniSuffixList {
		if strings.HasSuffix(s[*a:*b], suf) && utf8.RuneCountInString(s[*a:*b-len(suf)]) >= 3 {
			if c, ok := g[s[*a:*b-len(suf)]]; ok {
				*b -= len(suf)
				return c, true
			}
		}
	}
	return false, false
}

// soraniSuffixList holds soraniSuffixes, longest first, for a scan that
// does not allocate.
var soraniSuffixList = func() []string {
	var l []string
	for s := range soraniSuffixes {
		l = append(l, s)
	}
	sort.Slice(l, func(i, j int) bool { return len(l[i]) > len(l[j]) || len(l[i]) == len(l[j]) && l[i] < l[j] })
	return l
}()

// nameShaped reports whether a word after a title can be a name.
func nameShaped(s string, w word) bool {
	t := s[w.a:w.b]
	if w.latin {
		return w.caps && !latinFunction[t]
	}
	return !arabicFunction[t] && utf8.RuneCountInString(t) >= 2 && !isAllDigits(t)
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// splitWords returns the words of the folded text: runs of letters in one
// script, with the full stop of an abbreviation (Dr.) left out.
func splitWords(f *folded, original string) []word {
	s := f.s
	var out []word
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !unicode.IsLetter(r) {
			i += size
			continue
		}
		latin := r < 0x250
		j := i + size
		for j < len(s) {
			r2, size2 := utf8.DecodeRuneInString(s[j:])
			if !unicode.IsLetter(r2) || (r2 < 0x250) != latin {
				break
			}
			j += size2
		}
		// A word glued to digits (Amina36.3489) is not taken as a name:
		// once the number is replaced, Redact scans it again alone.
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[j:])
		if unicode.IsDigit(before) || unicode.IsDigit(after) {
			i = j
			continue
		}
		w := word{a: i, b: j, latin: latin}
		if latin {
			o, _ := utf8.DecodeRuneInString(original[f.start[i]:])
			w.caps = unicode.IsUpper(o)
		}
		out = append(out, w)
		i = j
	}
	return out
}
