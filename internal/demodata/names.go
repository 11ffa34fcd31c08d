package demodata

import "strings"

// Fictional people: common first names paired with deliberately uncommon
// surnames (spices, fruit and trees in Arabic; springs, trees and mirrors in
// Kurdish), so no combination points at a real public figure.

// Arabic first names: English transliteration, Arabic script. Many start
// with a hamza on alef or end in ta marbuta or alef maqsura, so that variant
// spellings between mentions exercise the redaction normaliser.
var arFirst = [][2]string{
	{"Ahmed", "أحمد"}, {"Ibrahim", "إبراهيم"}, {"Ilham", "إلهام"}, {"Amina", "آمنة"},
	{"Israa", "إسراء"}, {"Amal", "أمل"}, {"Iman", "إيمان"}, {"Anwar", "أنوار"},
	{"Yahya", "يحيى"}, {"Mustafa", "مصطفى"}, {"Salma", "سلمى"}, {"Huda", "هدى"},
	{"Muna", "منى"}, {"Fatima", "فاطمة"}, {"Ruqaya", "رقية"}, {"Zainab", "زينب"},
	{"Maryam", "مريم"}, {"Omar", "عمر"}, {"Yousif", "يوسف"}, {"Khalid", "خالد"},
	{"Suad", "سعاد"}, {"Nour", "نور"}, {"Israa", "اسراء"}, {"Afrah", "أفراح"},
}

var arLast = [][2]string{
	{"al-Zaafarani", "الزعفراني"}, {"al-Qaranfuli", "القرنفلي"}, {"al-Ballouti", "البلوطي"},
	{"al-Summaqi", "السماقي"}, {"al-Kammouni", "الكموني"}, {"al-Hinnai", "الحنائي"},
	{"al-Rummani", "الرماني"}, {"al-Unnabi", "العنابي"}, {"al-Laymouni", "الليموني"},
	{"al-Naanai", "النعناعي"}, {"al-Utruji", "الأترجي"}, {"al-Urjuwani", "الأرجواني"},
	{"al-Asi", "الآسي"},
}

// Kurdish names: English, Arabic-script (as an Arabic text would write
// them), Sorani, Kurmanji.
var kuFirst = []name{
	{"Shilan", "شيلان", "شیلان", "Şîlan"},
	{"Rebaz", "ريباز", "ڕێباز", "Rêbaz"},
	{"Hemin", "هيمن", "هێمن", "Hêmin"},
	{"Hana", "هانا", "هانا", "Hana"},
	{"Dilshad", "دلشاد", "دڵشاد", "Dilşad"},
	{"Nasrin", "نسرين", "نەسرین", "Nesrîn"},
	{"Kawa", "كاوة", "کاوە", "Kawa"},
	{"Sozan", "سوزان", "سۆزان", "Sozan"},
	{"Bahar", "بهار", "بەهار", "Bahar"},
	{"Aso", "آسو", "ئاسۆ", "Aso"},
	{"Tara", "تارا", "تارا", "Tara"},
	{"Vian", "فيان", "ڤیان", "Viyan"},
	{"Sherzad", "شيرزاد", "شێرزاد", "Şêrzad"},
	{"Gulala", "كلالة", "گوڵاڵە", "Gulale"},
	{"Berivan", "بيريفان", "بێریڤان", "Bêrîvan"},
}

var kuLast = []name{
	{"Kanispi", "كانيسبي", "کانیسپی", "Kanîspî"},
	{"Darhanar", "دارهنار", "دارهەنار", "Darhenar"},
	{"Chinarayi", "جناري", "چنارەیی", "Çinareyî"},
	{"Bardasur", "بردسور", "بەردەسوور", "Berdesor"},
	{"Gulzari", "كلزاري", "گوڵزاری", "Gulzarî"},
	{"Kanizard", "كانيزرد", "کانیزەرد", "Kanîzerd"},
	{"Bafrawi", "بفراوي", "بەفراوی", "Befrawî"},
	{"Awenayi", "آويني", "ئاوێنەیی", "Awêneyî"},
}

// person is one fictional person in all the spellings the generator uses.
type person struct {
	n       name // en, ar-script, ckb-script, kmr
	arabic  bool // an Arabic name (as opposed to a Kurdish one)
	emailID string
}

func arabicPerson(f, l [2]string) person {
	return person{
		n:       name{f[0] + " " + l[0], f[1] + " " + l[1], f[1] + " " + l[1], f[0] + " " + l[0]},
		arabic:  true,
		emailID: asciiSlug(f[0]) + "." + asciiSlug(strings.TrimPrefix(l[0], "al-")),
	}
}

func kurdishPerson(f, l name) person {
	return person{
		n:       name{f[0] + " " + l[0], f[1] + " " + l[1], f[2] + " " + l[2], f[3] + " " + l[3]},
		emailID: asciiSlug(f[0]) + "." + asciiSlug(l[0]),
	}
}

func asciiSlug(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return string(b)
}

// arabicVariant returns the spelling of an Arabic-script name that a
// different note-taker might use: bare alef for hamza forms, ha for a final
// ta marbuta, ya for alef maqsura.
func arabicVariant(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		end := i+1 == len(rs) || rs[i+1] == ' '
		switch {
		case r == 'أ' || r == 'إ' || r == 'آ':
			r = 'ا'
		case r == 'ة' && end:
			r = 'ه'
		case r == 'ى' && end:
			r = 'ي'
		}
		b.WriteRune(r)
	}
	return b.String()
}
