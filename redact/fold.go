package redact

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// folded is the normalised form of a text that every detector works on, with a
// map from each of its bytes back to the original rune that produced it. Offsets
// reported to callers always come from start/end, so they fall on rune
// boundaries of the original, however the folding changed lengths.
//
// Folding: Arabic-Indic and Persian digits become ASCII; Arabic and Kurdish
// letter variants are unified (alef forms, hamza carriers, ta marbuta, alef
// maqsura, Persian/Kurdish yeh, kaf and heh); tatweel, harakat and all other
// non-spacing marks, bidi controls and zero-width characters are dropped;
// Latin is lower-cased without diacritics; spaces, dashes, quotes and Arabic
// punctuation get their ASCII forms.
type folded struct {
	s     string
	start []int // start[i]: offset in the original of the rune that produced s[i]
	end   []int // end[i]: offset just after that rune
}

// span maps the folded byte range [i, j) (i < j) back to the original.
func (f *folded) span(i, j int) (int, int) {
	return f.start[i], f.end[j-1]
}

func fold(text string) *folded {
	n := len(text)
	buf := make([]byte, 0, n+8)
	start := make([]int, 0, n+8)
	end := make([]int, 0, n+8)
	prevWord := false       // the last rune written was a letter or digit
	lastFrom := -1          // where in buf the output of the last source rune began
	pending := -1           // start of a dropped word-initial ئ, owned by the next rune
	prevPlainDigit := false // the last rune written was a digit, not from a superscript one
	super := false          // the rune being folded is a superscript digit

	emit := func(r rune, from, to int) {
		if pending >= 0 {
			from, pending = pending, -1
		}
		var tmp [utf8.UTFMax]byte
		w := utf8.EncodeRune(tmp[:], r)
		buf = append(buf, tmp[:w]...)
		for k := 0; k < w; k++ {
			start = append(start, from)
			end = append(end, to)
		}
		prevWord = isWordRune(r)
		prevPlainDigit = '0' <= r && r <= '9' && !super
	}
	// attach gives a dropped mark (haraka, tatweel, combining accent) to the
	// rune before it, so that a finding never leaves a dangling mark behind.
	attach := func(to int) {
		if lastFrom >= 0 && prevWord {
			for k := lastFrom; k < len(end); k++ {
				end[k] = to
			}
		}
	}

	for i := 0; i < n; {
		c := text[i]
		if c < utf8.RuneSelf { // ASCII fast path
			prevPlainDigit = '0' <= c && c <= '9'
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			lastFrom = len(buf)
			from := i
			if pending >= 0 {
				from, pending = pending, -1
			}
			buf = append(buf, c)
			start = append(start, from)
			end = append(end, i+1)
			prevWord = 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(text[i:])
		from, to := i, i+w
		i = to
		super = isSuperscriptDigit(r)
		if r == 'ئ' { // U+0626
			// Kurdish writes a silent ئ as the seat of a word-initial vowel
			// (ئامینە = أمينة); elsewhere it is a hamza carrier, like ي.
			next := nextVisible(text[i:])
			if !prevWord && unicode.IsLetter(next) {
				pending = from
				continue
			}
			lastFrom = len(buf)
			emit('ي', from, to)
			continue
		}
		if r >= 0x0600 && r <= 0x06FF { // Arabic block: precomputed
			switch x := arabicTable[r-0x0600]; x {
			case tableMark:
				attach(to)
			case tableDrop:
			default:
				lastFrom = len(buf)
				emit(x, from, to)
			}
			continue
		}
		if isMark(r) {
			attach(to)
			continue
		}
		lastFrom = len(buf)
		if r == '⁰' {
			// Superscript zero is a degree sign right after an ordinary
			// digit (37⁰ N), and a digit elsewhere (⁰⁷⁷⁰, (⁰)).
			if prevPlainDigit {
				emit('°', from, to)
			} else {
				emit('0', from, to)
			}
			prevPlainDigit = false
			continue
		}
		if isPresentationForm(r) {
			for _, rr := range norm.NFKC.String(string(r)) {
				one, multi := foldRune(rr)
				if one >= 0 {
					emit(one, from, to)
					continue
				}
				for _, x := range multi {
					emit(x, from, to)
				}
			}
			continue
		}
		one, multi := foldRune(r)
		if one >= 0 {
			emit(one, from, to)
			continue
		}
		for _, x := range multi {
			emit(x, from, to)
		}
	}
	return &folded{s: string(buf), start: start, end: end}
}

// foldRune returns the replacement for one rune: a single rune, or (when one is
// negative) the string multi, which is empty when the rune is dropped. Most
// runes map to themselves.
func foldRune(r rune) (one rune, multi string) {
	switch {
	case r < utf8.RuneSelf:
		return unicode.ToLower(r), ""
	case r >= 0x0660 && r <= 0x0669: // Arabic-Indic digits
		return '0' + r - 0x0660, ""
	case r >= 0x06F0 && r <= 0x06F9: // Persian (extended Arabic-Indic) digits
		return '0' + r - 0x06F0, ""
	case r >= 0x064B && r <= 0x065F, r == 0x0670, r == 0x0640: // harakat, superscript alef, tatweel
		return -1, ""
	}
	if m, found := arabicFold[r]; found {
		if m == 0 {
			return -1, ""
		}
		return m, ""
	}
	switch {
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Cf, r):
		// Combining marks, bidi controls (LRM, RLM, ALM, embeddings,
		// isolates), zero-width (non-)joiners, BOM, soft hyphen.
		return -1, ""
	case r == 0x2028 || r == 0x2029 || r == 0x0085:
		return '\n', ""
	case unicode.Is(unicode.Zs, r):
		return ' ', ""
	case r >= 0x2010 && r <= 0x2015, r == 0x2212, r == 0x2043:
		return '-', ""
	case r == 0x2018, r == 0x2019, r == 0x201B, r == 0x2032, r == 0x02B9, r == 0x02BC, r == 0x00B4:
		return '\'', ""
	case r == 0x201C, r == 0x201D, r == 0x201F, r == 0x2033, r == 0x02BA:
		return '"', ""
	case r == 0x00BA, r == 0x02DA:
		return '°', ""
	case r == 0x00B7, r == 0x2022, r == 0x2027, r == 0x2219, r == 0x22C5, r == 0x30FB, r == 0xFF65,
		r == 0x3002, r == 0xFF61, r == 0x2E33, r == 0x0701, r == 0x0702:
		// Middle dots, bullets and ideographic full stops: confusable with
		// the dot of a domain name or a separator in a number.
		return '.', ""
	}
	if int(r) < len(latinFold) && latinFold[r] != "" {
		return latinOne(latinFold[r])
	}
	if r >= 0x1E00 && r < 0x1F00 && latinExtFold[r-0x1E00] != "" {
		return latinOne(latinExtFold[r-0x1E00])
	}
	if d, ok := digitValue(r); ok {
		return '0' + d, ""
	}
	if d := compat(r); d != "" {
		return -1, d
	}
	return unicode.ToLower(r), ""
}

// digitValue returns the value of a decimal digit of any script (Unicode
// category Nd: Devanagari, Bengali, Thai, mathematical bold…). Unicode
// encodes every such digit in a contiguous run from 0 to 9, so the value is
// the distance from the start of its range modulo ten (TestDigitValue checks
// the assumption against every range).
func digitValue(r rune) (rune, bool) {
	if r < 0x0660 {
		return 0, false
	}
	for _, rg := range unicode.Nd.R16 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10, true
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if rune(rg.Lo) <= r && r <= rune(rg.Hi) {
			return (r - rune(rg.Lo)) % 10, true
		}
	}
	return 0, false
}

// compat returns the folded NFKC compatibility form of r (① → 1, ² → 2, ﹫ →
// @, ｅ → e, ℡ → tel), or "" when it has none.
func compat(r rune) string {
	if r >= 0x0600 && r <= 0x06FF {
		return "" // the Arabic block is folded by arabicFold alone
	}
	var b [utf8.UTFMax]byte
	n := utf8.EncodeRune(b[:], r)
	d := norm.NFKC.Properties(b[:n]).Decomposition()
	if d == nil {
		return ""
	}
	var out []byte
	for _, x := range string(d) {
		one, multi := foldRune(x)
		if one >= 0 {
			out = utf8.AppendRune(out, one)
		} else {
			out = append(out, multi...)
		}
	}
	if len(out) == 0 {
		return " " // a compatibility space or mark: never "drop" by accident
	}
	return string(out)
}

// nextVisible returns the first rune of s that is not a format character
// (zero-width space, bidi mark, soft hyphen).
func nextVisible(s string) rune {
	for _, r := range s {
		if !unicode.Is(unicode.Cf, r) {
			return r
		}
	}
	return utf8.RuneError
}

func isSuperscriptDigit(r rune) bool {
	return r == '⁰' || r == '¹' || r == '²' || r == '³' || r >= '⁴' && r <= '⁹'
}

// arabicTable holds foldRune for the Arabic block, which is most of the
// non-ASCII text this package sees.
var arabicTable = func() (t [0x100]rune) {
	for i := range t {
		r := rune(0x0600 + i)
		one, _ := foldRune(r)
		switch {
		case isMark(r):
			t[i] = tableMark
		case one < 0:
			t[i] = tableDrop
		default:
			t[i] = one
		}
	}
	return t
}()

const (
	tableDrop = -1 // dropped (bidi and other format controls)
	tableMark = -2 // dropped, belongs to the letter before it
)

// arabicFold unifies Arabic, Persian and Kurdish letter variants and
// punctuation. A zero value means "drop".
var arabicFold = map[rune]rune{
	'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا', 'ٲ': 'ا', 'ٳ': 'ا', // alef forms
	'ؤ': 'و', // hamza on waw
	'ة': 'ه', // ta marbuta
	'ە': 'ه', // Kurdish ae (U+06D5), written where Arabic has ة/ه
	'ھ': 'ه', // heh doachashmee (U+06BE)
	'ۀ': 'ه', // heh with yeh above
	'ى': 'ي', // alef maqsura
	'ی': 'ي', // Persian/Kurdish yeh (U+06CC)
	'ێ': 'ي', // Kurdish yeh with small v
	'ک': 'ك', // keheh (U+06A9)
	'ۆ': 'و', // Kurdish oe
	'ڕ': 'ر', // Kurdish rreh
	'ڵ': 'ل', // Kurdish lam with small v
	'٫': '.', // Arabic decimal separator
	'٬': ',', // Arabic thousands separator
	'،': ',', // Arabic comma
	'؛': ';', // Arabic semicolon
	'٪': '%', // Arabic percent
	'۔': '.', // Urdu full stop
	'؟': '?',
}

// isPresentationForm reports Unicode compatibility blocks (Arabic ligatures and
// presentation forms, Latin ligatures, full-width ASCII) that NFKC rewrites to
// ordinary letters and digits.
func isPresentationForm(r rune) bool {
	return r >= 0xFB00 && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF || r >= 0xFF00 && r <= 0xFFEF
}

func latinOne(s string) (rune, string) {
	if r, w := utf8.DecodeRuneInString(s); w == len(s) {
		return r, ""
	}
	return -1, s
}

// isMark reports the marks that belong to the letter before them.
func isMark(r rune) bool {
	return r >= 0x064B && r <= 0x065F || r == 0x0670 || r == 0x0640 || unicode.Is(unicode.Mn, r)
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Latin letters with diacritics, folded to lower-case ASCII where Unicode
// decomposes them (ê î û ç ş → e i u c s), plus the letters that do not
// decompose but are commonly transliterated.
var latinFold, latinExtFold = buildLatinFold()

func buildLatinFold() ([]string, []string) {
	special := map[rune]string{
		'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
		'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d",
		'ł': "l", 'Ł': "l", 'ı': "i", 'İ': "i", 'þ': "th", 'Þ': "th",
		'ħ': "h", 'Ħ': "h",
	}
	one := func(r rune) string {
		if s, ok := special[r]; ok {
			return s
		}
		if !unicode.IsLetter(r) {
			return ""
		}
		var out []rune
		for _, d := range norm.NFD.String(string(r)) {
			if !unicode.Is(unicode.Mn, d) {
				out = append(out, unicode.ToLower(d))
			}
		}
		if len(out) == 0 {
			return ""
		}
		return string(out)
	}
	lat := make([]string, 0x250)
	for r := rune(0x80); r < 0x250; r++ {
		lat[r] = one(r)
	}
	ext := make([]string, 0x100)
	for r := rune(0x1E00); r < 0x1F00; r++ {
		ext[r-0x1E00] = one(r)
	}
	return lat, ext
}
