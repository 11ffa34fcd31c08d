package search

import (
	"fmt"
	"slices"
	"strings"
)

// Closed vocabularies of the keyword fields, with display labels. The
// vault accepts only these kinds, languages and governorates (package
// vault keeps the same lists; a test in search/indexer compares them), so
// a filter on another value is a mistake the caller should hear about.

// Kinds are the document kinds, in display order.
var Kinds = []string{"testimony", "interview", "case_study", "report", "media"}

// Governorates are the canonical governorate names of Iraq, as the vault
// stores them.
var Governorates = []string{
	"Anbar", "Babil", "Baghdad", "Basra", "Dhi Qar", "Diyala", "Duhok", "Erbil",
	"Halabja", "Karbala", "Kirkuk", "Maysan", "Muthanna", "Najaf", "Nineveh",
	"Qadisiyyah", "Salah al-Din", "Sulaymaniyah", "Wasit",
}

// LabelLanguages are the languages facet labels come in; the first is the
// default.
var LabelLanguages = []string{"en", "ar", "ckb"}

// labels maps field → value → [ar, ckb] display labels; the English label
// is the value itself, or englishLabels'.
var labels = map[string]map[string][2]string{
	"kind": {
		"testimony":  {"شهادة", "شایەتی"},
		"interview":  {"مقابلة", "چاوپێکەوتن"},
		"case_study": {"دراسة حالة", "لێکۆڵینەوەی کەیس"},
		"report":     {"تقرير", "ڕاپۆرت"},
		"media":      {"وسائط", "میدیا"},
	},
	"language": {
		"en":  {"الإنكليزية", "ئینگلیزی"},
		"ar":  {"العربية", "عەرەبی"},
		"ckb": {"الكردية (السورانية)", "کوردی (سۆرانی)"},
		"kmr": {"الكردية (الكرمانجية)", "کوردی (کورمانجی)"},
	},
	"governorate": {
		"Anbar":        {"الأنبار", "ئەنبار"},
		"Babil":        {"بابل", "بابل"},
		"Baghdad":      {"بغداد", "بەغدا"},
		"Basra":        {"البصرة", "بەسرە"},
		"Dhi Qar":      {"ذي قار", "زیقار"},
		"Diyala":       {"ديالى", "دیالە"},
		"Duhok":        {"دهوك", "دهۆک"},
		"Erbil":        {"أربيل", "هەولێر"},
		"Halabja":      {"حلبجة", "هەڵەبجە"},
		"Karbala":      {"كربلاء", "کەربەلا"},
		"Kirkuk":       {"كركوك", "کەرکووک"},
		"Maysan":       {"ميسان", "میسان"},
		"Muthanna":     {"المثنى", "موسەننا"},
		"Najaf":        {"النجف", "نەجەف"},
		"Nineveh":      {"نينوى", "نەینەوا"},
		"Qadisiyyah":   {"القادسية", "قادسیە"},
		"Salah al-Din": {"صلاح الدين", "سەلاحەدین"},
		"Sulaymaniyah": {"السليمانية", "سلێمانی"},
		"Wasit":        {"واسط", "واست"},
	},
}

var englishLabels = map[string]map[string]string{
	"kind":     {"testimony": "Testimony", "interview": "Interview", "case_study": "Case study", "report": "Report", "media": "Media"},
	"language": {"en": "English", "ar": "Arabic", "ckb": "Kurdish (Sorani)", "kmr": "Kurdish (Kurmanji)"},
}

// Label returns the display label of a facet value in lang (en, ar or
// ckb): governorates, kinds, languages, and tags the thesaurus knows.
// Other values, collections and years are their own label.
func Label(field, value, lang string) string {
	i := slices.Index(LabelLanguages, lang)
	if field == "tags" {
		if c := theThesaurus().concept(value); c != nil {
			switch lang {
			case "ar":
				return c.terms["ar"][0]
			case "ckb":
				return c.terms["ckb"][0]
			}
			return c.terms["en"][0]
		}
		return value
	}
	if i > 0 {
		if l, ok := labels[field][value]; ok {
			return l[i-1]
		}
	}
	if l, ok := englishLabels[field][value]; ok {
		return l
	}
	return value
}

// checkFilter checks the values of one filter and returns them folded as
// the field's _fold twin indexes them (years as they are). Kinds,
// languages and governorates must be known values; collections must be
// among the caller's (an unknown collection and one the caller cannot see
// get the same answer); years must be four digits; tags are an open
// vocabulary, limited in length only.
func checkFilter(name string, vals, collections []string) ([]string, error) {
	var out []string
	var unknown []string
	for _, v := range vals {
		v = strings.TrimSpace(clean(v))
		if v == "" {
			continue
		}
		if len(v) > maxKeywordLen {
			return nil, badRequest("filter %s: value longer than %d bytes", name, maxKeywordLen)
		}
		f := foldKeyword(v)
		ok := true
		switch name {
		case "kind":
			ok = slices.Contains(Kinds, f)
		case "language":
			ok = slices.Contains(languages, f)
		case "governorate":
			ok = slices.ContainsFunc(Governorates, func(g string) bool { return foldKeyword(g) == f })
		case "collection":
			ok = slices.ContainsFunc(collections, func(c string) bool { return foldKeyword(c) == f })
		case fieldYear:
			ok = len(v) == 4 && strings.Trim(v, "0123456789") == ""
			f = v
		}
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", v))
			continue
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	if len(unknown) > 0 {
		return nil, badRequest("filter %s: unknown value %s%s", name, strings.Join(unknown, ", "), knownValues(name))
	}
	return out, nil
}

func knownValues(name string) string {
	switch name {
	case "kind":
		return " (kinds: " + strings.Join(Kinds, ", ") + ")"
	case "language":
		return " (languages: " + strings.Join(languages, ", ") + ")"
	case "governorate":
		return " (governorates: " + strings.Join(Governorates, ", ") + ")"
	case fieldYear:
		return " (years: four digits)"
	}
	return ""
}

// foldKeyword folds a keyword value as the keywordFold analyzer does:
// Latin diacritics and case.
func foldKeyword(s string) string { return prefixTerm("fold", s) }
