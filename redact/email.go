package redact

import (
	"strings"
	"unicode/utf8"
)

// findEmails finds e-mail addresses, including the common obfuscations
// "name [at] example [dot] org" and "name(at)example.org". It scans outwards
// from each at-sign, which is faster than a regular expression over the whole
// text and easy to bound.
func findEmails(f *folded, ms []match) []match {
	s := f.s
	for i := 0; i < len(s); {
		at, atLen, written := nextAt(s, i)
		if at < 0 {
			break
		}
		i = at + atLen
		// Local part, backwards from the at-sign.
		l := at
		for l > 0 && isLocalByte(s[l-1]) {
			l--
		}
		for l < at && (s[l] == '.' || s[l] == '-' || s[l] == '\'') {
			l++
		}
		if l == at || s[at-1] == '.' {
			continue
		}
		end, ok := scanDomain(s, at+atLen, written)
		if !ok {
			continue
		}
		start, stop := f.span(l, end)
		value := s[l:at] + "@" + deobfuscate(s[at+atLen:end])
		ms = append(ms, match{Finding{Kind: KindEmail, Start: start, End: stop}, value})
		i = end
	}
	return ms
}

// deobfuscate writes a domain found by scanDomain with plain dots.
func deobfuscate(d string) string {
	var b strings.Builder
	for i := 0; i < len(d); {
		if n, _, _ := dotAt(d, i); n > 0 {
			b.WriteByte('.')
			i += n
			continue
		}
		b.WriteByte(d[i])
		i++
	}
	return b.String()
}

// Written-out forms of the at-sign and the dot, folded: English, Arabic
// (آت, دوت, نقطة) and Kurdish (ئات, دۆت, خاڵ). They count only as whole
// words between spaces, or inside brackets.
var (
	atWords  = []string{"at", "ات", "اات"}
	dotWords = []string{"dot", "دوت", "نقطه", "خال", "point"}
)

// nextAt finds the next at-sign, with optional spaces around it, or an
// obfuscated one: "[at]", "(at)", "{at}", "<at>" or a written-out " at ". It
// returns its position and length, and whether it was a bare written word,
// which needs a domain that is clearly one (see scanDomain).
func nextAt(s string, from int) (int, int, bool) {
	for i := from; i < len(s); i++ {
		c := s[i]
		if c == '@' {
			l, r := spaceAround(s, i, i+1)
			return l, r - l, false
		}
		if c == '[' || c == '(' || c == '{' || c == '<' {
			j := i + 1
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if w := wordAt(s, j, atWords); w > 0 {
				k := j + w
				for k < len(s) && s[k] == ' ' {
					k++
				}
				if k < len(s) && s[k] == closing(c) {
					l, r := spaceAround(s, i, k+1)
					return l, r - l, false
				}
			}
			continue
		}
		if c == ' ' && i > 0 && isLocalByte(s[i-1]) {
			if w := wordAt(s, i+1, atWords); w > 0 && i+1+w < len(s) && s[i+1+w] == ' ' {
				return i, w + 2, true
			}
		}
	}
	return -1, 0, false
}

// spaceAround widens [l, r) by one space on either side.
func spaceAround(s string, l, r int) (int, int) {
	if l > 0 && s[l-1] == ' ' {
		l--
	}
	if r < len(s) && s[r] == ' ' {
		r++
	}
	return l, r
}

// wordAt returns the length of the word from words that stands at s[i:] and
// is not followed by a letter, or 0.
func wordAt(s string, i int, words []string) int {
	for _, w := range words {
		if strings.HasPrefix(s[i:], w) {
			r, _ := utf8.DecodeRuneInString(s[i+len(w):])
			if !isWordRune(r) {
				return len(w)
			}
		}
	}
	return 0
}

func closing(c byte) byte {
	switch c {
	case '[':
		return ']'
	case '(':
		return ')'
	case '<':
		return '>'
	}
	return '}'
}

func isLocalByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("._%+-'", c) >= 0
}

func isLabelByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
}

// commonTLDs are the endings accepted after a written-out at-sign or dots
// with spaces around them, where prose could otherwise look like an address.
var commonTLDs = map[string]bool{}

func init() {
	for _, t := range strings.Fields("com org net edu gov int info biz io me co uk de fr nl se no dk fi ch at be it es " +
		"tr ir iq krd sy jo lb eg sa ae qa kw us ca au example test ngo") {
		commonTLDs[t] = true
	}
}

// scanDomain reads a domain name from i (labels separated by "." or an
// obfuscated " [dot] ", " dot ", " نقطة ") and returns where it ends. The
// last label must be at least two letters; after a written-out at-sign
// (written) or a dot with spaces around it, it must be a common ending.
func scanDomain(s string, i int, written bool) (int, bool) {
	labels := 0
	lastStart, lastEnd := 0, 0
	for {
		j := i
		for j < len(s) && isLabelByte(s[j]) {
			j++
		}
		if j == i || s[i] == '-' {
			break
		}
		labels++
		lastStart, lastEnd = i, j
		dot, isWord, isSpaced := dotAt(s, j)
		if dot == 0 || j+dot >= len(s) || !isLabelByte(s[j+dot]) {
			break
		}
		if isSpaced && !isWord {
			// "example . org" but not "the camp. then": the label after
			// a spaced dot must end the address with a common ending.
			k := j + dot
			for k < len(s) && isLabelByte(s[k]) {
				k++
			}
			if !commonTLDs[s[j+dot:k]] {
				break
			}
		}
		i = j + dot
	}
	if labels < 2 || lastEnd-lastStart < 2 {
		return 0, false
	}
	for k := lastStart; k < lastEnd; k++ {
		if s[k] < 'a' || s[k] > 'z' {
			return 0, false
		}
	}
	if written && !commonTLDs[s[lastStart:lastEnd]] {
		return 0, false
	}
	return lastEnd, true
}

// dotAt returns the length of a label separator at i, or 0: "." with
// optional spaces, or a written-out dot ("[dot]", "(dot)", " dot ",
// " نقطة "). It also reports whether the dot was written out, and whether
// spaces surround a plain dot.
func dotAt(s string, i int) (n int, word, spaced bool) {
	j := i
	for j < len(s) && j-i < 2 && s[j] == ' ' {
		j++
	}
	if j < len(s) && s[j] == '.' {
		k := j + 1
		for k < len(s) && k-j <= 2 && s[k] == ' ' {
			k++
		}
		return k - i, false, k-i > 1
	}
	if j < len(s) && (s[j] == '[' || s[j] == '(' || s[j] == '{' || s[j] == '<') {
		k := j + 1
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if w := wordAt(s, k, dotWords); w > 0 {
			k += w
			for k < len(s) && s[k] == ' ' {
				k++
			}
			if k < len(s) && s[k] == closing(s[j]) {
				k++
				if k < len(s) && s[k] == ' ' {
					k++
				}
				return k - i, true, false
			}
		}
		return 0, false, false
	}
	if j > i {
		if w := wordAt(s, j, dotWords); w > 0 && j+w < len(s) && s[j+w] == ' ' {
			return j + w + 1 - i, true, false
		}
	}
	return 0, false, false
}
