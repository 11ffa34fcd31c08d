package redact

import "strings"

// findEmails finds e-mail addresses, including the common obfuscations
// "name [at] example [dot] org" and "name(at)example.org". It scans outwards
// from each at-sign, which is faster than a regular expression over the whole
// text and easy to bound.
func findEmails(f *folded, ms []match) []match {
	s := f.s
	for i := 0; i < len(s); {
		at, atLen := nextAt(s, i)
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
		end, ok := scanDomain(s, at+atLen)
		if !ok {
			continue
		}
		start, stop := f.span(l, end)
		value := deobfuscate.Replace(s[l:end])
		ms = append(ms, match{Finding{KindEmail, start, stop}, value})
		i = end
	}
	return ms
}

var deobfuscate = strings.NewReplacer(" ", "", "[at]", "@", "(at)", "@", "{at}", "@", "[dot]", ".", "(dot)", ".")

// nextAt finds the next at-sign, or an obfuscated "[at]" / "(at)" / "{at}"
// with optional spaces around it, and returns its position and length.
func nextAt(s string, from int) (int, int) {
	for i := from; i < len(s); i++ {
		switch s[i] {
		case '@':
			return i, 1
		case '[', '(', '{':
			if i+4 <= len(s) && s[i+1:i+3] == "at" && s[i+3] == closing(s[i]) {
				l, r := i, i+4
				if l > 0 && s[l-1] == ' ' {
					l--
				}
				if r < len(s) && s[r] == ' ' {
					r++
				}
				return l, r - l
			}
		}
	}
	return -1, 0
}

func closing(c byte) byte {
	switch c {
	case '[':
		return ']'
	case '(':
		return ')'
	}
	return '}'
}

func isLocalByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("._%+-'", c) >= 0
}

func isLabelByte(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-'
}

// scanDomain reads a domain name (labels separated by "." or an obfuscated
// " [dot] ") from i and returns where it ends. The last label must be at least
// two letters.
func scanDomain(s string, i int) (int, bool) {
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
		dot := dotAt(s, j)
		if dot == 0 || j+dot >= len(s) || !isLabelByte(s[j+dot]) {
			break
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
	return lastEnd, true
}

// dotAt returns the length of a label separator at i: "." or "[dot]" / "(dot)"
// with optional spaces, or 0.
func dotAt(s string, i int) int {
	if i < len(s) && s[i] == '.' {
		return 1
	}
	j := i
	if j < len(s) && s[j] == ' ' {
		j++
	}
	if j+5 <= len(s) && (s[j:j+5] == "[dot]" || s[j:j+5] == "(dot)") {
		j += 5
		if j < len(s) && s[j] == ' ' {
			j++
		}
		return j - i
	}
	return 0
}
