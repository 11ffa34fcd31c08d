package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
)

// minPassphraseBits is the bar amana init sets for a vault passphrase: an
// estimated 60 bits, about 10^18 guesses. The passphrase seals the server
// key with scrypt (about a quarter of a second a guess at the default work
// factor), and whoever holds a copy of the database may guess offline for
// as long as they like.
const minPassphraseBits = 60

// passphraseStrength estimates how many bits of guessing a passphrase
// resists, the way guessing tools attack: the passphrase is cut into
// pieces, each costing what the cheapest way to guess it costs, and the
// cut that costs the least is the estimate (the idea of zxcvbn, much
// simplified). A piece is one of:
//
//   - a word of a short list of common passwords and words (and its
//     capitalised, reversed or leetspeak forms): log2 of the list's size,
//     plus a bit for each variation;
//   - a run of one character, or a block repeated: the block's cost, plus
//     log2 of the repetitions;
//   - a sequence (abc, 9753, zyx): its first character and its length;
//   - a walk on a QWERTY keyboard (qwerty, 1qaz, zxcvb): its first key,
//     its length and its turns;
//   - a year, 1900 to 2099;
//   - any character: log2 of the size of the character classes the
//     passphrase uses (lower case, upper case, digits, space, other ASCII,
//     and other scripts).
//
// It cannot know every dictionary: words a person chose are weaker than
// their letters suggest. It returns the estimate and the kinds of weak
// pieces it found.
func passphraseStrength(p string) (bits float64, weak []string) {
	rs := []rune(p)
	return estimate(rs, math.Log2(float64(charPool(rs))), map[string]float64{})
}

// estimate is passphraseStrength with the cost of a character given, and
// the costs of the blocks repeated so far.
func estimate(rs []rune, perChar float64, blocks map[string]float64) (bits float64, weak []string) {
	n := len(rs)
	if n == 0 {
		return 0, nil
	}
	matches := findPatterns(rs, perChar, blocks)
	best := make([]float64, n+1)
	kind := make([]string, n+1)
	from := make([]int, n+1)
	for i := 1; i <= n; i++ {
		best[i], kind[i], from[i] = best[i-1]+perChar, "", i-1
		for _, m := range matches[i] {
			if b := best[m.start] + m.bits; b < best[i] {
				best[i], kind[i], from[i] = b, m.kind, m.start
			}
		}
	}
	seen := map[string]bool{}
	for i := n; i > 0; i = from[i] {
		if k := kind[i]; k != "" && !seen[k] {
			seen[k] = true
			weak = append([]string{k}, weak...)
		}
	}
	return best[n], weak
}

// checkPassphrase refuses a passphrase below minPassphraseBits, saying why
// without repeating any of it.
func checkPassphrase(p string) error {
	bits, weak := passphraseStrength(p)
	if bits >= minPassphraseBits {
		return nil
	}
	why := ""
	if len(weak) > 0 {
		why = " (it holds " + strings.Join(weak, ", ") + ")"
	}
	return fmt.Errorf("the passphrase is too weak: an estimated %.0f bits, and the vault needs at least %d%s; "+
		"use five or more words picked at random, or 16 or more random characters", math.Floor(bits), minPassphraseBits, why)
}

// charPool is the number of characters in the classes p uses.
func charPool(p []rune) int {
	var lower, upper, digit, space, symbol, other bool
	for _, r := range p {
		switch {
		case 'a' <= r && r <= 'z':
			lower = true
		case 'A' <= r && r <= 'Z':
			upper = true
		case '0' <= r && r <= '9':
			digit = true
		case r == ' ':
			space = true
		case r < 0x80:
			symbol = true
		default:
			other = true
		}
	}
	n := 0
	for _, c := range []struct {
		used bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {space, 1}, {symbol, 33}, {other, 40}} {
		if c.used {
			n += c.size
		}
	}
	return max(n, 2)
}

// pattern is a guessable piece of a passphrase: runes [start, end).
type pattern struct {
	start int
	bits  float64
	kind  string
}

// maxBlock bounds the length of a repeated block that findPatterns looks
// for.
const maxBlock = 64

// findPatterns returns the patterns of p, indexed by where they end. From
// each start it keeps the longest repeat, sequence and walk only, and
// starts none inside one, so that it takes time in proportion to the
// length of p (a passphrase file may hold 4 KiB).
func findPatterns(p []rune, perChar float64, blocks map[string]float64) [][]pattern {
	n := len(p)
	out := make([][]pattern, n+1)
	add := func(start, end int, bits float64, kind string) {
		out[end] = append(out[end], pattern{start, bits, kind})
	}
	lower := []rune(strings.ToLower(string(p)))
	if len(lower) != n { // a case mapping that changes lengths: compare as is
		lower = p
	}
	plain := make([]rune, n) // lower case, leetspeak undone
	for i, r := range lower {
		plain[i] = unleet(r)
	}

	// Common words, forwards and backwards.
	wordBits := math.Log2(float64(len(commonWords)))
	for i := 0; i < n; i++ {
		for j := i + 3; j <= n && j-i <= maxCommonWord; j++ {
			for _, rev := range []bool{false, true} {
				w := string(plain[i:j])
				if rev {
					w = reverse(w)
				}
				if !commonWords[w] {
					continue
				}
				b := wordBits
				if rev {
					b++
				}
				if string(lower[i:j]) != string(plain[i:j]) {
					b++ // leetspeak
				}
				if string(p[i:j]) != string(lower[i:j]) {
					b++ // capitals
				}
				add(i, j, b, "a common word")
			}
		}
	}

	// Repeats: a run of one character, or a block repeated.
	for i := 0; i < n; i++ {
		for l := 1; l <= maxBlock && i+2*l <= n; l++ {
			if i >= l && slices.Equal(p[i-l:i], p[i:i+l]) {
				continue // inside a repeat that began before
			}
			k := 1
			for i+(k+1)*l <= n && slices.Equal(p[i+k*l:i+(k+1)*l], p[i:i+l]) {
				k++
			}
			if k < 2 || k*l < 3 {
				continue
			}
			block := string(p[i : i+l])
			b, ok := blocks[block]
			if !ok {
				b, _ = estimate(p[i:i+l], perChar, blocks)
				blocks[block] = b
			}
			add(i, i+k*l, b+math.Log2(float64(k)), "a repeat")
		}
	}

	// Sequences: steps of 1 or 2 code points, up or down.
	for i := 0; i+2 < n; i++ {
		d := lower[i+1] - lower[i]
		if d == 0 || d < -2 || d > 2 || i > 0 && lower[i]-lower[i-1] == d {
			continue
		}
		j := i + 2
		for j < n && lower[j]-lower[j-1] == d {
			j++
		}
		if j-i < 3 {
			continue
		}
		starts := perChar
		switch r := lower[i]; {
		case '0' <= r && r <= '9':
			starts = math.Log2(10)
		case 'a' <= r && r <= 'z':
			starts = math.Log2(26)
		}
		add(i, j, starts+math.Log2(float64(j-i))+1, "a sequence")
	}

	// Keyboard walks of four keys or more.
	for i := 0; i+3 < n; i++ {
		if _, inside := keyStep(lower[max(i-1, 0)], lower[i]); i > 0 && inside {
			continue
		}
		turns, dir, j := 0, [2]int{}, i+1
		for ; j < n; j++ {
			step, ok := keyStep(lower[j-1], lower[j])
			if !ok {
				break
			}
			if j > i+1 && step != dir {
				turns++
			}
			dir = step
		}
		if j-i >= 4 {
			add(i, j, math.Log2(float64(len(keyPos)))+math.Log2(float64(j-i))+2*float64(turns), "a keyboard walk")
		}
	}

	// Years.
	for i := 0; i+4 <= n; i++ {
		y := string(p[i : i+4])
		if (strings.HasPrefix(y, "19") || strings.HasPrefix(y, "20")) && isDigits(y) {
			add(i, i+4, math.Log2(200), "a year")
		}
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// unleet undoes the usual leetspeak substitutions.
func unleet(r rune) rune {
	switch r {
	case '0':
		return 'o'
	case '1', '!', '|':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7', '+':
		return 't'
	case '8':
		return 'b'
	case '9':
		return 'g'
	}
	return unicode.ToLower(r)
}

// The QWERTY rows, unshifted and shifted. Row r+1 is set half a key to the
// right of row r: the key at column c of row r+1 touches columns c and c+1
// of row r.
var keyRows = [2][4]string{
	{"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./"},
	{"~!@#$%^&*()_+", "QWERTYUIOP{}|", "ASDFGHJKL:\"", "ZXCVBNM<>?"},
}

var keyPos = func() map[rune][2]int {
	m := map[rune][2]int{}
	for _, rows := range keyRows {
		for r, row := range rows {
			for c, k := range []rune(row) {
				m[unicode.ToLower(k)] = [2]int{r, c}
			}
		}
	}
	return m
}()

// keyStep returns the direction from key a to key b if they touch.
func keyStep(a, b rune) ([2]int, bool) {
	pa, ok1 := keyPos[a]
	pb, ok2 := keyPos[b]
	if !ok1 || !ok2 {
		return [2]int{}, false
	}
	dr, dc := pb[0]-pa[0], pb[1]-pa[1]
	switch {
	case dr == 0 && (dc == 1 || dc == -1),
		dr == -1 && (dc == 0 || dc == 1),
		dr == 1 && (dc == 0 || dc == -1):
		return [2]int{dr, dc}, true
	}
	return [2]int{}, false
}

// maxCommonWord is the length of the longest common word.
var maxCommonWord = func() int {
	n := 0
	for w := range commonWords {
		n = max(n, len([]rune(w)))
	}
	return n
}()

// commonWords are passwords and words that guessing tools try first: the
// most used passwords, words about vaults and secrets, and names and places
// an organisation working in Iraq might reach for. Lower case, leetspeak
// undone, three letters or more.
var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		password passwort motdepasse contrasena passphrase passcode pass word secret secrets
		letmein welcome admin administrator root login user guest default changeme change
		test testing demo example sample temp qwerty azerty asdf zxcv iloveyou love lover
		monkey dragon master shadow sunshine princess football baseball soccer superman
		batman trustno whatever freedom hello hunter ranger killer charlie michael jordan
		jennifer thomas computer internet starwars pokemon cookie chocolate flower summer
		winter spring autumn secure security safe safety private confidential backup server
		service office company access system network amana vault evidence testimony
		witness justice truth peace salam shalom habibi hayati god jesus allah mohammed
		muhammad ali ahmed hassan hussein fatima zahra maryam omar baghdad kirkuk erbil
		hawler mosul sulaymaniyah slemani duhok dohuk basra najaf karbala sinjar halabja
		iraq iraqi kurd kurdish kurdistan arab arabic syria turkey iran europe
		abc xyz one two three four five six seven eight nine ten hundred thousand million
		monday tuesday wednesday thursday friday saturday sunday january february march
		april may june july august september october november december
		red blue green black white yellow orange purple pink gold silver
		cat dog lion tiger bear eagle horse
		qazwsx asdfgh zxcvbn qwertyuiop asdfghjkl zxcvbnm
	`) {
		m[w] = true
	}
	return m
}()
