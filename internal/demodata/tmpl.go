package demodata

import (
	"fmt"
	"strings"
)

// slot names a placeholder in a sentence template, written {name} in the
// template text.
type slot uint8

const (
	sLit       slot = iota // literal text, no placeholder
	sOrigin                // town or district the record is about
	sCamp                  // displacement camp
	sGov                   // governorate, in the document's language
	sYear                  // incident year, in the document's digits
	sWhen                  // "in August 2014" / "in 2014"
	sSince                 // "since August 2014" / "since 2014"
	sRecWhen               // when the interview was recorded
	sOrg                   // fictional organisation
	sKindCap               // "Testimony"
	sKind                  // "testimony"
	sKindDef               // "the testimony"
	sThisKind              // "this testimony"
	sTopic                 // short topic phrase
	sPerson                // first planted name, canonical spelling
	sPerson2               // second planted name
	sPersonAlt             // first planted name, variant spelling
	sPhone                 // planted phone number
	sEmail                 // planted e-mail address
	sNatID                 // planted national card number
	sGPS                   // planted coordinates
	sN                     // small number
	sM                     // small number
	sLandmark              // landmark phrase for private location detail
	sMonth                 // month name
	numSlots
)

var slotNames = map[string]slot{
	"origin": sOrigin, "camp": sCamp, "gov": sGov, "year": sYear,
	"when": sWhen, "since": sSince, "recwhen": sRecWhen, "org": sOrg,
	"Kind": sKindCap, "kind": sKind, "kind_def": sKindDef, "this_kind": sThisKind,
	"topic": sTopic, "person": sPerson, "person2": sPerson2, "person_alt": sPersonAlt,
	"phone": sPhone, "email": sEmail, "natid": sNatID, "gps": sGPS,
	"n": sN, "m": sM, "landmark": sLandmark, "month": sMonth,
}

type part struct {
	lit  string
	slot slot
}

// tmpl is a parsed sentence template.
type tmpl struct {
	src   string
	parts []part
	uses  uint32 // bit set of slots used
	size  int    // literal bytes
}

func (t tmpl) has(s slot) bool { return t.uses&(1<<s) != 0 }

// parse turns "text {slot} text" into a template. It panics on an unknown
// or unterminated placeholder: templates are package constants.
func parse(src string) tmpl {
	t := tmpl{src: src}
	rest := src
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t.parts = append(t.parts, part{lit: rest})
			t.size += len(rest)
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: rest[:i]})
			t.size += i
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			panic(fmt.Sprintf("demodata: unterminated placeholder in %q", src))
		}
		name := rest[i+1 : i+j]
		s, ok := slotNames[name]
		if !ok {
			panic(fmt.Sprintf("demodata: unknown placeholder {%s} in %q", name, src))
		}
		t.parts = append(t.parts, part{slot: s})
		t.uses |= 1 << s
		rest = rest[i+j+1:]
	}
	return t
}

func parseAll(srcs []string) []tmpl {
	out := make([]tmpl, len(srcs))
	for i, s := range srcs {
		out[i] = parse(s)
	}
	return out
}

// vals holds the values for one document.
type vals [numSlots]string

// write appends the expansion of t to b.
func (t tmpl) write(b []byte, v *vals) []byte {
	for _, p := range t.parts {
		if p.slot == sLit {
			b = append(b, p.lit...)
		} else {
			b = append(b, v[p.slot]...)
		}
	}
	return b
}

func (t tmpl) expand(v *vals) string {
	var a [512]byte
	return string(t.write(a[:0], v))
}
