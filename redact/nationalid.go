package redact

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Iraqi national card numbers have 12 digits and no public checksum, so a
// 12-digit number is flagged when words about identity documents are near it,
// or when it stands alone and does not read as a timestamp or a case number.
// Numbers grouped with spaces or dashes (1990 1234 5678) need the context.

// idContext holds words that announce an identity document number, folded
// like the text (so ة/ه, ی/ي, ک/ك and digits need no variants here).
var idContext = foldAll(
	"id", "national card", "national id", "national identity", "national number",
	"id number", "id no", "id card", "id #", "identity card", "identity number",
	"identity document", "card number", "card no", "unified card", "civil id",
	"civil status", "nationality certificate", "personal number",
	// Arabic
	"البطاقة الوطنية", "البطاقة الموحدة", "رقم البطاقة", "بطاقة", "بطاقتها", "بطاقته",
	"الهوية", "هوية", "هويتها", "هويته", "الرقم الوطني", "الجنسية", "رقم وطني",
	// Sorani
	"کارتی نیشتمانی", "کارتی نیشتیمانی", "ناسنامە", "ژمارەی کارت", "ڕەگەزنامە",
	// Kurmanji
	"nasname", "karta niştimanî",
)

// caseContext holds words after which a standalone 12-digit number is a
// reference, not a card number.
var caseContext = foldAll(
	"case", "file", "ref", "reference", "invoice", "receipt", "serial",
	"tracking", "order", "batch", "document no",
	"قضية", "القضية", "ملف", "الملف", "مرجع", "وصل", "فاتورة",
	"دۆسیە", "دۆسیەی", "کەیس",
)

func foldAll(words ...string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = fold(w).s
	}
	return out
}

// containsAny reports whether s contains one of the words. Latin words must
// stand alone ("ref" is not in "refugee"); Arabic-script words may carry
// prefixes and suffixes.
func containsAny(s string, words []string) bool {
	for _, w := range words {
		latin := w[0] < utf8.RuneSelf
		for off := 0; ; {
			i := strings.Index(s[off:], w)
			if i < 0 {
				break
			}
			i += off
			off = i + 1
			if !latin {
				return true
			}
			before, _ := utf8.DecodeLastRuneInString(s[:i])
			after, _ := utf8.DecodeRuneInString(s[i+len(w):])
			if !unicode.IsLetter(before) && !unicode.IsLetter(after) {
				return true
			}
		}
	}
	return false
}

func findNationalIDs(f *folded, ms []match) []match {
	s := f.s
	var groups [][2]int
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		if i > 0 && (isASCIIAlnum(s[i-1]) || s[i-1] == '+' || partOfCode(s, i)) {
			// Inside a code (KRK-2018-…, 2018/114) or after a plus sign; but
			// "ID-199012345678" is a card number.
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j-i == 12 && s[i-1] == '-' && (j == len(s) || !isASCIIAlnum(s[j]) && s[j] != '-' && s[j] != '/') &&
				containsAny(s[max(0, i-120):i], idContext) {
				ms = appendID(f, ms, i, j)
			}
			for i < len(s) && (isASCIIAlnum(s[i]) || s[i] == '-' || s[i] == '/') {
				i++
			}
			continue
		}
		// A run of digit groups.
		groups = groups[:0]
		j := i
		for {
			k := j
			for k < len(s) && isDigit(s[k]) {
				k++
			}
			groups = append(groups, [2]int{j, k})
			n := k - j
			j = k
			// Groups may be separated like the groups of a phone number
			// (1990 1234 5678, 1990/1234/5678, 1990·1234·5678); only a
			// single space or dash keeps a standalone 12-digit reading.
			e, punct := k, 0
			for e < len(s) && e-k < maxSep && isPhoneSep(s[e]) {
				if s[e] != ' ' {
					punct++
				}
				e++
			}
			if e > k && punct <= maxSepPunct && e < len(s) && isDigit(s[e]) && (e-k == 1 && (s[k] == ' ' || s[k] == '-') || n >= 4 && n <= 6 && idGroupLen(s, e)) {
				j = e
				continue
			}
			break
		}
		next := j
		if j < len(s) && (isASCIIAlnum(s[j]) || (s[j] == '.' || s[j] == ',' || s[j] == '/') && j+1 < len(s) && isDigit(s[j+1])) {
			// A decimal, a longer code or a fraction: not a card number.
			ms = idInGroups(f, groups[:len(groups)-1], ms)
			i = next
			continue
		}
		ms = idInGroups(f, groups, ms)
		i = next
	}
	return ms
}

// idGroupLen reports whether the digits at s[a:] form a group of 4 to 6
// digits, the grouping of a card number written with other separators
// (1990/1234/5678); decimals and fractions (36.3489, 3/4) stay apart.
func idGroupLen(s string, a int) bool {
	n := 0
	for a+n < len(s) && isDigit(s[a+n]) {
		n++
	}
	return n >= 4 && n <= 6
}

// partOfCode reports whether the digits at i continue a code such as
// KRK-2018-… or 2018/… .
func partOfCode(s string, i int) bool {
	c := s[i-1]
	return (c == '-' || c == '/' || c == '.' || c == ',') && i >= 2 && isASCIIAlnum(s[i-2])
}

func idInGroups(f *folded, groups [][2]int, ms []match) []match {
	if len(groups) == 0 {
		return ms
	}
	s := f.s
	total := 0
	for _, g := range groups {
		total += g[1] - g[0]
	}
	if total < 12 {
		return ms // the common case: dates, amounts, counts
	}
	ctxFrom := max(0, groups[0][0]-120)
	ctxTo := min(len(s), groups[len(groups)-1][1]+60)
	hasContext := containsAny(s[ctxFrom:ctxTo], idContext)
	for g := 0; g < len(groups); g++ {
		a, b := groups[g][0], groups[g][1]
		if b-a == 12 {
			if hasContext || standaloneID(s, a, b) {
				ms = appendID(f, ms, a, b)
			}
			continue
		}
		if !hasContext || b-a < 2 {
			continue
		}
		// Grouped: consecutive groups of 2 to 6 digits adding up to 12.
		n := 0
		for h := g; h < len(groups); h++ {
			l := groups[h][1] - groups[h][0]
			if l < 2 || l > 6 {
				break
			}
			n += l
			if n == 12 && h > g {
				ms = appendID(f, ms, a, groups[h][1])
				g = h
				break
			}
			if n > 12 {
				break
			}
		}
	}
	return ms
}

func appendID(f *folded, ms []match, a, b int) []match {
	key := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, f.s[a:b])
	start, end := f.span(a, b)
	return append(ms, match{Finding{Kind: KindNationalID, Start: start, End: end}, key})
}

// standaloneID decides for a 12-digit number without identity context: not a
// timestamp (201706141230), not after a case or file reference.
func standaloneID(s string, a, b int) bool {
	if timestampLike(s[a:b]) {
		return false
	}
	return !containsAny(s[max(0, a-40):a], caseContext)
}

func timestampLike(d string) bool {
	num := func(i, j int) int { n, _ := strconv.Atoi(d[i:j]); return n }
	y, mo, day, h, mi := num(0, 4), num(4, 6), num(6, 8), num(8, 10), num(10, 12)
	if y >= 1900 && y <= 2099 && mo >= 1 && mo <= 12 && day >= 1 && day <= 31 && h <= 23 && mi <= 59 {
		return true
	}
	// ddmmyyyyhhmm
	day, mo, y = num(0, 2), num(2, 4), num(4, 8)
	return y >= 1900 && y <= 2099 && mo >= 1 && mo <= 12 && day >= 1 && day <= 31 && h <= 23 && mi <= 59
}
