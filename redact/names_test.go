package redact

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

func TestName(t *testing.T) {
	runFindCases(t, []findCase{
		{"given name", "Bushra arrived with two children.", nil, []string{"name:Bushra"}},
		{"title and family name", "Mrs Huda Kareem translated; Dr. Salwa Mahdi listened.", nil, []string{"name:Huda Kareem", "name:Salwa Mahdi"}},
		{"title before an unknown name", "Mr Qarani from the committee came.", nil, []string{"name:Qarani"}},
		{"lower case is not a name", "the amina of the story", nil, nil},
		{"common word alone", "Hope and Grace were the words she used.", nil, nil},
		{"common word next to a name", "Amal Hassan came.", nil, []string{"name:Amal Hassan"}},
		{"arabic given name", "قالت خديجة إنها لم تغادر.", nil, []string{"name:خديجة"}},
		{"arabic kinship", "رافقتها أم حسين وأخبرنا أبو علي وابن عمر.", nil, []string{"name:حسين", "name:علي", "name:عمر"}},
		{"arabic kinship needs a name", "هل بقيت أم رحلت؟", nil, nil},
		{"arabic common word", "لديها أمل كبير ونور في عينيها.", nil, nil},
		{"arabic title", "حضرت الدكتورة سهى والسيد قرداغي.", nil, []string{"name:سهى", "name:قرداغي"}},
		{"arabic prefix stays outside", "وصلت زينب ورقية صباحا.", nil, []string{"name:زينب", "name:رقية"}},
		{"ala is not ali", "جلست على الأرض.", nil, nil},
		{"sorani title", "کاک ئاراس و خاتوو نەسرین هاتن.", nil, []string{"name:ئاراس", "name:نەسرین"}},
		{"sorani suffix stays outside", "ژمارەی هێرۆی نووسی.", nil, []string{"name:هێرۆ"}},
		{"sorani common word", "هیوا و ژیان وشەی سەرەکی بوون.", nil, nil},
		{"kurmanji", "Berfîn got ku Rojda jî li kampê ye.", nil, []string{"name:Berfîn", "name:Rojda"}},
		{"sh spelling", "Ask for Shirin at reception.", nil, []string{"name:Shirin"}},
		{"listed wins", "Nadia Sabri said so.", []string{"Nadia Sabri"}, []string{"person:Nadia Sabri"}},
		{"rest of a longer name", "Nadia Sabri Hassan said so.", []string{"Nadia Sabri"}, []string{"person:Nadia Sabri", "name:Hassan"}},
		{"zero width inside", "Bu\u200bshra came.", nil, []string{"name:Bu\u200bshra"}},
		{"form field", "Name: Qarani / Age: 34. الاسم: قرداغي", nil, []string{"name:Qarani", "name:قرداغي"}},
		{"form word without colon", "The name of the village was not given; اسم القرية غير معروف", nil, nil},
		{"relative", "My uncle Haji Farhan and her cousin Qarani; xwişka wê Qarani.", nil, []string{"name:Farhan", "name:Qarani", "name:Qarani"}},
		{"arabic relative needs a given name", "كانت أختها زينب معها، وأختها الكبرى غائبة.", nil, []string{"name:زينب"}},
		{"now is not alan", "لم تعرف مصيره حتى الآن.", nil, nil},
	})
}

func TestNameReasons(t *testing.T) {
	text := "Bushra met Mrs Qarani and Nadia."
	fs := New([]string{"Nadia Sabri"}).Find(text)
	want := []string{"Bushra/given_name", "Qarani/title", "Nadia/listed"}
	if len(fs) != len(want) {
		t.Fatalf("findings %v", fs)
	}
	for i, f := range fs {
		if got := text[f.Start:f.End] + "/" + f.Reason; got != want[i] {
			t.Errorf("finding %d: %s, want %s", i, got, want[i])
		}
	}
}

func TestKeep(t *testing.T) {
	text := "Judge Karim Hassan heard Bushra; Nadia Sabri and Dr Karim Hassan."
	r := New([]string{"Nadia Sabri"})
	r.Keep("karim  hassan", "Nadia Sabri", "0770 123 4567")
	out, fs := r.Redact(text)
	if want := "Judge Karim Hassan heard [NAME-1]; [PERSON-1] and Dr Karim Hassan."; out != want {
		t.Errorf("got  %q\nwant %q", out, want)
	}
	for _, f := range fs {
		if KeepMatches("Karim Hassan", text, f) {
			t.Errorf("kept name still reported: %+v", f)
		}
	}
	// A listed person or a phone number cannot be kept.
	r = New([]string{"Nadia Sabri"})
	r.Keep("Nadia Sabri", "0770 123 4567")
	if out, _ := r.Redact("Nadia Sabri: 0770 123 4567"); out != "[PERSON-1]: [PHONE-1]" {
		t.Errorf("kept what cannot be kept: %q", out)
	}
	fs = New(nil).Find("Bushra came")
	if len(fs) != 1 || !KeepMatches("BUSHRA", "Bushra came", fs[0]) || KeepMatches("Bush", "Bushra came", fs[0]) || KeepMatches("", "Bushra came", fs[0]) {
		t.Errorf("KeepMatches: %v", fs)
	}
}

// TestCheckLeavesNamesToTheClient: the guard refuses structured data and
// listed persons, not names nobody listed (the depositor may keep one, and
// the server cannot see that decision).
func TestCheckLeavesNamesToTheClient(t *testing.T) {
	if err := Check(map[string]string{"summary": "Dr Karim Hassan met Bushra."}, nil); err != nil {
		t.Errorf("guard refused unlisted names: %v", err)
	}
	err := Check(map[string]string{"summary": "Dr Karim Hassan, 0770 123 4567."}, nil)
	var ge *GuardError
	if !errors.As(err, &ge) || ge.Kind != KindPhone {
		t.Errorf("guard: %v", err)
	}
	if Enforced(KindName) || !Enforced(KindPerson) || !Enforced(KindPhone) {
		t.Error("Enforced")
	}
}

// TestDigitValue checks, for every decimal digit in Unicode, the assumption
// digitValue rests on (runs of ten from zero) and that folding agrees with
// NFKC wherever NFKC maps the digit to an ASCII one.
func TestDigitValue(t *testing.T) {
	n := 0
	for _, tab := range [][]unicode.Range16{unicode.Nd.R16} {
		for _, rg := range tab {
			if (int(rg.Hi)-int(rg.Lo)+1)%10 != 0 || rg.Stride != 1 {
				t.Errorf("Nd range %U-%U is not runs of ten", rg.Lo, rg.Hi)
			}
		}
	}
	for _, rg := range unicode.Nd.R32 {
		if (int(rg.Hi)-int(rg.Lo)+1)%10 != 0 || rg.Stride != 1 {
			t.Errorf("Nd range %U-%U is not runs of ten", rg.Lo, rg.Hi)
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !unicode.Is(unicode.Nd, r) {
			continue
		}
		n++
		got := fold(string(r)).s
		if len(got) != 1 || got[0] < '0' || got[0] > '9' {
			t.Errorf("fold(%U) = %q, want an ASCII digit", r, got)
			continue
		}
		if k := norm.NFKC.String(string(r)); len(k) == 1 && k != got {
			t.Errorf("fold(%U) = %q, NFKC gives %q", r, got, k)
		}
	}
	if n < 600 {
		t.Errorf("only %d decimal digits", n)
	}
	// Known values in a few scripts.
	for in, want := range map[string]string{"०७७०": "0770", "𝟗𝟔𝟒": "964", "๑๒": "12", "᠐᠑": "01", "⁰⁷⁷⁰": "0770", "①②③": "123", "⑩": "10"} {
		if got := fold(in).s; got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFoldCompat: confusable at-signs and dots, and compatibility forms.
func TestFoldCompat(t *testing.T) {
	for in, want := range map[string]string{
		"a﹫b": "a@b", "a＠b": "a@b", "a．b": "a.b", "a。b": "a.b", "a·b": "a.b", "ａｂｃ": "abc",
		"37⁰ N": "37° n", "a\u200bb\u2060c\u00add": "abcd",
	} {
		if got := fold(in).s; got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
	// Offsets still point into the original.
	in := "x ①②③ y"
	f := fold(in)
	i := strings.Index(f.s, "123")
	if a, b := f.span(i, i+3); in[a:b] != "①②③" {
		t.Errorf("span %q", in[a:b])
	}
}
