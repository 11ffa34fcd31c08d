package search

import (
	"html"
	"strings"
	"testing"
	"unicode/utf8"
)

// Highlight fragments of long texts start and end between words, in every
// script, and keep their matches.
func TestFragmentsOnWordBoundaries(t *testing.T) {
	filler := map[string]string{
		"en":  "The family waited near the river for news of relatives and neighbours. ",
		"ar":  "انتظرت الأسرة قرب النهر أخباراً عن الأقارب والجيران المفقودين. ",
		"ckb": "خێزانەکە لە نزیک ڕووبارەکە چاوەڕێی هەواڵی خزم و دراوسێکانیان دەکرد. ",
		"kmr": "Malbatê li nêzîkî çem li benda nûçeyên xizm û cîranan ma. ",
	}
	word := map[string]string{"en": "checkpoint", "ar": "التفتيش", "ckb": "پشکنین", "kmr": "kontrolê"}
	var docs []Doc
	texts := map[string]string{}
	for l, f := range filler {
		// The match at different distances from the start, so that the
		// fragment's raw ends fall at different places inside words.
		for k := range 7 {
			id := l + string(rune('0'+k))
			text := strings.Repeat(f, 4) + f[:len(f)*k/7] + " " + word[l] + " " + strings.Repeat(f, 4)
			text = strings.ToValidUTF8(text, "")
			texts[id] = text
			docs = append(docs, Doc{ID: id, Collection: "c", Language: l, Title: "x", Transcript: text})
		}
	}
	ix := openWith(t, docs...)
	checked := 0
	for l, w := range word {
		res := find(t, ix, Request{Query: w, Collections: []string{"c"}, Highlight: true, Filters: map[string][]string{"language": {l}}, Size: MaxSize})
		if len(res.Hits) != 7 {
			t.Fatalf("%s: %d hits", w, len(res.Hits))
		}
		for _, h := range res.Hits {
			for _, fr := range h.Highlights["transcript"] {
				if !strings.Contains(fr, "<mark>") {
					t.Errorf("%s: fragment without its match: %q", h.ID, fr)
				}
				plain := html.UnescapeString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(fr))
				// Bleve marks a cut end with an ellipsis.
				plain = strings.TrimSuffix(strings.TrimPrefix(plain, "…"), "…")
				src := texts[h.ID]
				i := strings.Index(src, plain)
				if i < 0 {
					t.Fatalf("%s: fragment %q not in the text", h.ID, plain)
				}
				before, _ := utf8.DecodeLastRuneInString(src[:i])
				after, _ := utf8.DecodeRuneInString(src[i+len(plain):])
				if i > 0 && isWordRune(before) || i+len(plain) < len(src) && isWordRune(after) {
					t.Errorf("%s: fragment cuts a word: …%q[%s]%q…", h.ID, src[max(0, i-12):i], plain, src[i+len(plain):min(len(src), i+len(plain)+12)])
				}
				first, _ := utf8.DecodeRuneInString(plain)
				last, _ := utf8.DecodeLastRuneInString(plain)
				if !isWordRune(first) && first != '<' || last == ' ' {
					t.Errorf("%s: fragment starts or ends with a space: %q", h.ID, plain)
				}
				checked++
			}
		}
	}
	if checked < 28 {
		t.Errorf("checked %d fragments", checked)
	}
}
