package redact

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// describe renders findings as "kind:value" so that test tables read like
// the text they check.
func describe(text string, fs []Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Kind+":"+text[f.Start:f.End])
	}
	return out
}

type findCase struct {
	name    string
	text    string
	persons []string
	want    []string // "kind:exact substring", in order
}

func runFindCases(t *testing.T, cases []findCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := New(tc.persons).Find(tc.text)
			checkInvariants(t, tc.text, fs)
			got := describe(tc.text, fs)
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("Find(%q)\n got  %q\n want %q", tc.text, got, want)
			}
		})
	}
}

// checkInvariants: findings in bounds, sorted, non-overlapping, on rune
// boundaries of the input.
func checkInvariants(t testing.TB, text string, fs []Finding) {
	t.Helper()
	boundary := make([]bool, len(text)+1)
	for i := range text {
		boundary[i] = true
	}
	boundary[len(text)] = true
	prev := 0
	for _, f := range fs {
		if f.Start < prev || f.End <= f.Start || f.End > len(text) {
			t.Fatalf("finding %+v out of order or bounds (previous end %d, len %d) in %q", f, prev, len(text), text)
		}
		if !boundary[f.Start] || !boundary[f.End] {
			t.Fatalf("finding %+v splits a rune in %q", f, text)
		}
		if _, ok := labels[f.Kind]; !ok {
			t.Fatalf("finding %+v has unknown kind", f)
		}
		prev = f.End
	}
}

func TestPhone(t *testing.T) {
	runFindCases(t, []findCase{
		{"intl spaces", "Her number is +964 770 123 4567.", nil, []string{"phone:+964 770 123 4567"}},
		{"intl dashes", "Call +964-750-987-6543 after six.", nil, []string{"phone:+964-750-987-6543"}},
		{"intl dots", "Tel. +964.781.555.0193", nil, []string{"phone:+964.781.555.0193"}},
		{"intl compact", "WhatsApp: +9647813340921", nil, []string{"phone:+9647813340921"}},
		{"intl trunk zero", "Office: +964 (0) 751 662 0048.", nil, []string{"phone:+964 (0) 751 662 0048"}},
		{"intl in brackets", "Reach her at (+964) 7701234567 today.", nil, []string{"phone:(+964) 7701234567"}},
		{"bracket not closed", "mobile (+9647701234567)", nil, []string{"phone:+9647701234567"}},
		{"00964", "Number: 00964 781 556 0193", nil, []string{"phone:00964 781 556 0193"}},
		{"national", "Mobile 0770 123 4567, landline later.", nil, []string{"phone:0770 123 4567"}},
		{"national compact", "The form says 07502147786.", nil, []string{"phone:07502147786"}},
		{"national brackets", "Call (0770) 845 1290.", nil, []string{"phone:(0770) 845 1290"}},
		{"national pairs", "Phone 0750 555 01 23 please.", nil, []string{"phone:0750 555 01 23"}},
		{"bare mobile", "Her sister: 770-123-4567.", nil, []string{"phone:770-123-4567"}},
		{"landline Baghdad", "Office +964 1 543 2100.", nil, []string{"phone:+964 1 543 2100"}},
		{"landline Erbil", "Office 066 212 3456.", nil, []string{"phone:066 212 3456"}},
		{"two numbers", "Try 0771 903 4412 or 0790-221-6634.", nil, []string{"phone:0771 903 4412", "phone:0790-221-6634"}},
		{"foreign", "Her cousin in Germany: +49 30 901820.", nil, []string{"phone:+49 30 901820"}},
		{"arabic-indic", "رقم هاتفها ٠٧٧٠ ١٢٣ ٤٥٦٧ حسب الاستمارة.", nil, []string{"phone:٠٧٧٠ ١٢٣ ٤٥٦٧"}},
		{"arabic-indic intl", "الهاتف: +٩٦٤ ٧٥٠ ٣١٨ ٢٢٧٤", nil, []string{"phone:+٩٦٤ ٧٥٠ ٣١٨ ٢٢٧٤"}},
		{"arabic-indic 00964", "اتصل من ٠٠٩٦٤٧٨١٥٥٦٠١٩٣ مرتين.", nil, []string{"phone:٠٠٩٦٤٧٨١٥٥٦٠١٩٣"}},
		{"arabic-indic bare", "اتصلوا على ٧٧٠١٢٣٤٥٦٧ بعد الظهر.", nil, []string{"phone:٧٧٠١٢٣٤٥٦٧"}},
		{"persian digits", "ژمارەی تەلەفۆن: ۰۷۵۰ ۴۴۴ ۳۲۱۰", nil, []string{"phone:۰۷۵۰ ۴۴۴ ۳۲۱۰"}},
		{"mixed digit scripts", "ژمارە ٠٧٥١ ۲۳۴ ٥٦٧٨ بوو.", nil, []string{"phone:٠٧٥١ ۲۳۴ ٥٦٧٨"}},
		{"rtl marks inside", "الهاتف: \u200f٠٧٧٠\u200f ٨٤٥ ١٢٩٠\u200f", nil, []string{"phone:٠٧٧٠\u200f ٨٤٥ ١٢٩٠"}},
		{"glued to arabic", "رقمها:٠٧٧٠١٢٣٤٥٦٧و", nil, []string{"phone:٠٧٧٠١٢٣٤٥٦٧"}},
		{"sorani suffix", "ژمارەکەی ٠٧٥٠ ١٢٣ ٤٥٦٧ە.", nil, []string{"phone:٠٧٥٠ ١٢٣ ٤٥٦٧"}},

		{"not: date with dashes", "The meeting on 02-03-2019 10:30 was postponed.", nil, nil},
		{"not: dotted date", "Archived on 07.06.2017 at 14:30.", nil, nil},
		// Without the date check these digits would read as landlines
		// (050 320 1910, 030 620 1714).
		{"not: date and time", "Met on 05-03-2019 10:30 in Erbil.", nil, nil},
		{"not: dotted date and time", "Recorded 03.06.2017 14:00.", nil, nil},
		{"not: money", "Donors pledged 7 500 000 000 dinars.", nil, nil},
		{"not: count", "The study sampled 770 households.", nil, nil},
		{"not: invalid mobile prefix", "Code 0720 123 4567 is not allocated.", nil, nil},
		{"not: too long", "Reference 077012345678901 in the ledger.", nil, nil},
		// Glued to letters is an evasion, not a code: over-redacting a code
		// that happens to hold a valid number is the safe error.
		{"glued inside letters", "Hash a07701234567b was logged.", nil, []string{"phone:07701234567"}},
		{"glued before letters", "Token 07701234567abc expired.", nil, []string{"phone:07701234567"}},
		{"glued tel", "tel07701234567 or 0770 123 9876x or 0750 221 3344ext", nil,
			[]string{"phone:07701234567", "phone:0770 123 9876", "phone:0750 221 3344"}},
		{"other separators", "0770/123/4567, 0770_123_4567, 0770·123·4567, 0770\n123\n4567, 0770    123    4567, 0770--123--4567", nil,
			[]string{"phone:0770/123/4567", "phone:0770_123_4567", "phone:0770·123·4567", "phone:0770\n123\n4567", "phone:0770    123    4567", "phone:0770--123--4567"}},
		{"other digit scripts", "०७७० १२३ ४५६७ / 𝟎𝟕𝟕𝟎 𝟏𝟐𝟑 𝟒𝟓𝟔𝟕 / ⁰⁷⁷⁰ ¹²³ ⁴⁵⁶⁷ / ⓪⑦⑦⓪ ①②③ ④⑤⑥⑦", nil,
			[]string{"phone:०७७० १२३ ४५६७", "phone:𝟎𝟕𝟕𝟎 𝟏𝟐𝟑 𝟒𝟓𝟔𝟕", "phone:⁰⁷⁷⁰ ¹²³ ⁴⁵⁶⁷", "phone:⓪⑦⑦⓪ ①②③ ④⑤⑥⑦"}},
		{"digit by digit", "Call 0 7 7 0 1 2 3 4 5 6 7 or 7-7-0-1-2-3-4-5-6-7.", nil, []string{"phone:0 7 7 0 1 2 3 4 5 6 7", "phone:7-7-0-1-2-3-4-5-6-7"}},
		{"not: digit by digit, too short", "Scores 0 7 7 0 1 2 3 4 5 6 were noted.", nil, nil},
		{"not: dates with slashes", "Seen 14/03/2022 09:30, again 03/2022 and 07/12/2019 14:30.", nil, nil},
		{"not: money with commas", "They paid 3,750,000 IQD and 770,000 IQD.", nil, nil},
		{"not: article and case numbers", "Article 4.2.1, case 2023/0871, file 17-448-2020, ref 07_12_2019.", nil, nil},
		{"not: short", "Room 112, extension 4567.", nil, nil},
		{"not: times", "الساعة ٠٧:٣٠ وصلت ٧٧٠ عائلة.", nil, nil},
	})
}

func TestEmail(t *testing.T) {
	runFindCases(t, []findCase{
		{"plain", "Write to amina.k@example.org today.", nil, []string{"email:amina.k@example.org"}},
		{"plus and subdomain", "CC nadia_s+interviews@mail.example.com.", nil, []string{"email:nadia_s+interviews@mail.example.com"}},
		{"upper case", "Contact AMINA.K@EXAMPLE.ORG only.", nil, []string{"email:AMINA.K@EXAMPLE.ORG"}},
		{"obfuscated brackets", "Send to transcripts [at] example [dot] org please.", nil, []string{"email:transcripts [at] example [dot] org"}},
		{"obfuscated parens", "أُرسل إلى rasha(at)example.com بالخطأ.", nil, []string{"email:rasha(at)example.com"}},
		{"in arabic", "البريد: docs-team@example.iq، شكراً.", nil, []string{"email:docs-team@example.iq"}},
		{"in sorani", "ئیمەیڵی ڕێکخراوەکە hero.mustafa@example.net ە.", nil, []string{"email:hero.mustafa@example.net"}},
		{"kurmanji diacritics", "Ji şîrîn.ehmed@example.org re binivîse.", nil, []string{"email:şîrîn.ehmed@example.org"}},
		{"trailing dot", "Mail info@women-centre.example.", nil, []string{"email:info@women-centre.example"}},

		{"small at", "Write to amina.k﹫example.org today.", nil, []string{"email:amina.k﹫example.org"}},
		{"fullwidth at and dot", "Write to amina.k＠example．org today.", nil, []string{"email:amina.k＠example．org"}},
		{"spaces around at and dot", "Write to amina.k @ example . org today.", nil, []string{"email:amina.k @ example . org"}},
		{"written at dot", "Write to amina.k at example dot org today.", nil, []string{"email:amina.k at example dot org"}},
		{"written at, plain dot", "Write to amina.k at example.org today.", nil, []string{"email:amina.k at example.org"}},
		{"arabic words", "البريد amina.k ات example نقطة org شكرا", nil, []string{"email:amina.k ات example نقطة org"}},
		{"kurdish words", "ئیمەیڵ amina.k ئات example خاڵ org", nil, []string{"email:amina.k ئات example خاڵ org"}},
		{"zero width inside", "amina\u200b.k@exa\u200dmple.org", nil, []string{"email:amina\u200b.k@exa\u200dmple.org"}},

		{"not: handle", "Follow @amana_vault for updates.", nil, nil},
		{"not: written at in prose", "She stayed at home. Then she waited at camp dot five.", nil, nil},
		{"not: sentence after domain", "Mail info@example.org. Then call.", nil, []string{"email:info@example.org"}},
		{"not: no tld", "user@localhost is not an address here.", nil, nil},
		{"not: at in prose", "We met at the office at 10:00.", nil, nil},
		{"not: dot before at", "Typo amina.@example.org in the form.", nil, nil},
	})
}

func TestNationalID(t *testing.T) {
	runFindCases(t, []findCase{
		{"english context", "Her national ID number, 199012345678, was copied by mistake.", nil, []string{"national_id:199012345678"}},
		{"card no", "ID card no. 200104478812, issued in Duhok.", nil, []string{"national_id:200104478812"}},
		{"grouped with context", "The intake sheet lists national card 1990 4471 2236.", nil, []string{"national_id:1990 4471 2236"}},
		{"other separators with context", "National ID 1990/4471/2236, ID card 1990_4471_2236, card no 1990·4471·2236.", nil,
			[]string{"national_id:1990/4471/2236", "national_id:1990_4471_2236", "national_id:1990·4471·2236"}},
		{"arabic context", "رقم البطاقة الوطنية: ١٩٨٥٣٢١٠٤٧٦٥", nil, []string{"national_id:١٩٨٥٣٢١٠٤٧٦٥"}},
		{"arabic hawiya", "سُجّل رقم الهوية ١٩٩٣٠٧٧١٢٠٤٥ خطأً.", nil, []string{"national_id:١٩٩٣٠٧٧١٢٠٤٥"}},
		{"arabic grouped persian digits", "البطاقة الموحدة: ۱۹۹۰ ۱۱۲۲ ۳۳۴۴", nil, []string{"national_id:۱۹۹۰ ۱۱۲۲ ۳۳۴۴"}},
		{"arabic ta marbuta as ha", "رقم البطاقه الوطنيه ١٩٨٥٣٢١٠٤٧٦٥", nil, []string{"national_id:١٩٨٥٣٢١٠٤٧٦٥"}},
		{"sorani", "ژمارەی کارتی نیشتمانی: ١٩٩٢٠٤٨٨١٢٣٤", nil, []string{"national_id:١٩٩٢٠٤٨٨١٢٣٤"}},
		{"sorani nasname", "ناسنامەکەی ژمارە ۱۹۸۷۰۶۵۵۴۳۲۱ی لەسەرە.", nil, []string{"national_id:۱۹۸۷۰۶۵۵۴۳۲۱"}},
		{"standalone", "The photocopy showed 199104227781 in the corner.", nil, []string{"national_id:199104227781"}},
		{"timestamp with context", "National ID 201706141230 on the card.", nil, []string{"national_id:201706141230"}},

		{"not: year", "The family left Sinjar in 2014.", nil, nil},
		{"not: iso date", "Consent recorded on 2017-06-14.", nil, nil},
		{"not: arabic date", "أُجريت المقابلة في ١٤/٦/٢٠١٧.", nil, nil},
		{"not: case slash", "Case 2018/114 was transferred.", nil, nil},
		{"not: case code", "File KRK-2018-0042 has three interviews.", nil, nil},
		{"not: short with context", "National ID was not shown; room 12.", nil, nil},
		{"not: timestamp", "Batch 202306141530 of audio files.", nil, nil},
		{"not: bare timestamp", "Imported 202306141530 overnight.", nil, nil},
		{"not: bare ddmmyyyy timestamp", "Imported 140620171530 overnight.", nil, nil},
		{"not: receipt", "Receipt 300215678904 covers the rent.", nil, nil},
		{"not: arabic receipt", "رقم الوصل ٣٠٠٢١٥٦٧٨٩٠٤ يخص الإيجار.", nil, nil},
		{"not: 11 digits", "The ID number 19901234567 is incomplete.", nil, nil},
		{"not: 13 digits", "National ID 1990123456789 has a typo.", nil, nil},
		{"not: decimal", "The ratio 0.199012345678 is small.", nil, nil},
		{"not: grouped without context", "Values 1990 4471 2236 in the table.", nil, nil},
		{"not: refugee is not ref", "Refugee camp record 199104227781 was reissued.", nil, []string{"national_id:199104227781"}},
	})
}

func TestGPS(t *testing.T) {
	runFindCases(t, []findCase{
		{"decimal pair", "The shelter is at 36.3489, 43.1577, east of the checkpoint.", nil, []string{"gps:36.3489, 43.1577"}},
		{"degrees and hemispheres", "Pin: 36.3489° N 43.1577° E.", nil, []string{"gps:36.3489° N 43.1577° E"}},
		{"compact hemispheres", "At 35.4681°N, 44.3922°E.", nil, []string{"gps:35.4681°N, 44.3922°E"}},
		{"hemisphere first", "Position N 36.8670 E 42.9885 recorded.", nil, []string{"gps:N 36.8670 E 42.9885"}},
		{"dms", "The site: 36°20'56\"N 43°09'28\"E.", nil, []string{"gps:36°20'56\"N 43°09'28\"E"}},
		{"dms primes", "36° 20′ 56″ N, 43° 09′ 28″ E was the pin.", nil, []string{"gps:36° 20′ 56″ N, 43° 09′ 28″ E"}},
		{"dms single", "Lat 36°20'56\"N only.", nil, []string{"gps:36°20'56\"N"}},
		{"map link", "https://maps.example.com/?q=36.3489,43.1577", nil, []string{"gps:36.3489,43.1577"}},
		{"labels", "latitude 36.1911, longitude 44.0092", nil, []string{"gps:36.1911, longitude 44.0092"}},
		{"negative", "Test point -33.8688, 151.2093 in the manual.", nil, []string{"gps:-33.8688, 151.2093"}},
		{"three decimals", "The pin was dropped at 36.348, 43.157, near the school.", nil, []string{"gps:36.348, 43.157"}},
		{"arabic-indic", "موقع المخيم: ٣٦٫٣٤٨٩، ٤٣٫١٥٧٧", nil, []string{"gps:٣٦٫٣٤٨٩، ٤٣٫١٥٧٧"}},
		{"arabic hemispheres", "الموقع ٣٥٫٤٦٨١° شمالاً ٤٤٫٣٩٢٢° شرقاً تقريباً", nil, []string{"gps:٣٥٫٤٦٨١° شمالاً ٤٤٫٣٩٢٢° شرقاً"}},
		{"arabic dms", "موقع المنزل: ٣٦°١١′٢٨″ شمالاً ٤٤°٠٠′٣٣″ شرقاً", nil, []string{"gps:٣٦°١١′٢٨″ شمالاً ٤٤°٠٠′٣٣″ شرقاً"}},
		{"persian digits", "شوێن: ۳۶٫۸۶۷۰، ۴۲٫۹۸۸۵", nil, []string{"gps:۳۶٫۸۶۷۰، ۴۲٫۹۸۸۵"}},

		{"decimal commas", "Reported from 36,3489 43,1577 near the river.", nil, []string{"gps:36,3489 43,1577"}},
		{"decimal commas with hemispheres", "Pin 36,3489° N; 43,1577° E.", nil, []string{"gps:36,3489° N; 43,1577° E"}},
		{"arabic decimal separator, latin digits", "الموقع 36٫3489 43٫1577 تقريبا", nil, []string{"gps:36٫3489 43٫1577"}},
		{"other digit scripts", "Pin 𝟑𝟔.𝟑𝟒𝟖𝟗, 𝟒𝟑.𝟏𝟓𝟕𝟕 and ३६.३४८९, ४३.१५७७", nil, []string{"gps:𝟑𝟔.𝟑𝟒𝟖𝟗, 𝟒𝟑.𝟏𝟓𝟕𝟕", "gps:३६.३४८९, ४३.१५७७"}},
		{"not: amounts with commas", "They paid 12,500, 25,000 and 1,250,000 dinars.", nil, nil},
		{"not: distances", "The camps are 36.5 km apart, 43.2 km from town.", nil, nil},
		{"not: percentages", "Rates were 36.3489%, 43.1577% and 12%.", nil, nil},
		{"not: version", "Version 2.3.1 adds a field.", nil, nil},
		{"not: ip", "Server 192.168.100.200 is internal.", nil, nil},
		{"not: money with dot thousands", "Costs were 12.500, 25.000 dinars.", nil, nil},
		{"not: out of range", "Readings 136.3489, 243.1577 from the sensor.", nil, nil},
		{"not: minutes out of range", "Angles 36°75'10\" and 43°09'28\" in the drawing.", nil, nil},
		{"not: minutes out of range with hemisphere", "Angle 36°75'10\"N on the sketch.", nil, nil},
		{"not: temperature", "It was 47.5° in the tents.", nil, nil},
		{"not: times", "From 10:30 to 11:45.", nil, nil},
		{"not: arabic decimals", "المسافة ٣٦٫٥ كم ونسبة ٨١٫٣٪.", nil, nil},
	})
}

func TestPerson(t *testing.T) {
	amina := []string{"أمينة خليل"}
	runFindCases(t, []findCase{
		{"latin full", "Amina Khalil gave consent.", []string{"Amina Khalil"}, []string{"person:Amina Khalil"}},
		{"latin case", "AMINA KHALIL and amina khalil.", []string{"Amina Khalil"}, []string{"person:AMINA KHALIL", "person:amina khalil"}},
		{"latin combining accent", "Amina\u0301 Khalil came.", []string{"Amina Khalil"}, []string{"person:Amina\u0301 Khalil"}},
		{"latin combining accent at the end", "Amina Khalil\u0301 came.", []string{"Amina Khalil"}, []string{"person:Amina Khalil\u0301"}},
		{"latin whitespace", "Amina \n  Khalil arrived.", []string{"Amina Khalil"}, []string{"person:Amina \n  Khalil"}},
		{"first name alone", "Later Amina said no.", []string{"Amina Khalil"}, []string{"person:Amina"}},
		{"possessive", "Amina's brother called.", []string{"Amina Khalil"}, []string{"person:Amina"}},
		{"not inside a word", "Aminata and Khalilzad are other people.", []string{"Amina Khalil"}, nil},
		{"kurmanji diacritics", "Sirin Ehmed and ŞÎRÎN EHMED and Şîrîn.", []string{"Şîrîn Ehmed"}, []string{"person:Sirin Ehmed", "person:ŞÎRÎN EHMED", "person:Şîrîn"}},
		{"sh transliteration", "Shirin Ehmed arrived.", []string{"Şîrîn Ehmed"}, []string{"person:Shirin Ehmed"}},
		{"particles", "Abdulrahman, Abd al-Rahman, Abdel Rahman.", []string{"Abd al-Rahman Saleh"}, []string{"person:Abdulrahman", "person:Abd al-Rahman", "person:Abdel Rahman"}},
		// The particle alone does not make Abu Ali a listed person; Ali and
		// Salma are names nobody listed.
		{"particle alone is not a name", "Umm Ahmed met Abu Ali; Umm Salma left.", []string{"Umm Ahmed"}, []string{"person:Umm Ahmed", "name:Ali", "name:Salma"}},
		{"unlisted names", "Karim and Layla work at the clinic.", []string{"Amina Khalil"}, []string{"name:Karim", "name:Layla"}},

		{"arabic exact", "قالت أمينة خليل إنها بخير.", amina, []string{"person:أمينة خليل"}},
		{"arabic bare alef and ha", "قالت امينه خليل إنها بخير.", amina, []string{"person:امينه خليل"}},
		{"arabic hamza below", "وصلت إمينة أمس.", amina, []string{"person:إمينة"}},
		{"arabic madda", "آمنة جاسم وامنه.", []string{"آمنة جاسم"}, []string{"person:آمنة جاسم", "person:امنه"}},
		{"arabic harakat", "قالت أَمِينَة خَلِيل ذلك.", amina, []string{"person:أَمِينَة خَلِيل"}},
		{"arabic tatweel", "قالت أمـيـنة خليل ذلك.", amina, []string{"person:أمـيـنة خليل"}},
		{"arabic trailing haraka", "جاءت أمينةُ أمس.", amina, []string{"person:أمينةُ"}},
		{"arabic prefixes", "وأمينة ولأمينة وبأمينة.", amina, []string{"person:أمينة", "person:أمينة", "person:أمينة"}},
		{"arabic lam tatweel prefix", "البطاقة لـأمينة.", amina, []string{"person:أمينة"}},
		{"arabic alef maqsura", "ليلي درويش وليلى.", []string{"ليلى درويش"}, []string{"person:ليلي درويش", "person:ليلى"}},
		{"arabic hamza carriers", "اسراء مويد وإسراء مؤيد.", []string{"إسراء مؤيد"}, []string{"person:اسراء مويد", "person:إسراء مؤيد"}},
		{"arabic ya for hamza", "عايشة حميد.", []string{"عائشة حميد"}, []string{"person:عايشة حميد"}},
		{"arabic compound", "فاطمه عبدالله وفاطمة عبد الله.", []string{"فاطمة عبد الله"}, []string{"person:فاطمه عبدالله", "person:فاطمة عبد الله"}},
		{"arabic not inside a word", "الأمينات في المكتب.", amina, nil},
		{"arabic preposition is not Ali", "وضعت الملف على الطاولة.", []string{"علي حسن"}, nil},
		{"arabic Ali", "قال علي إن حسن غادر.", []string{"علي حسن"}, []string{"person:علي", "person:حسن"}},

		{"sorani", "چاوپێکەوتن لەگەڵ شیلان ئەحمەد ئەنجامدرا.", []string{"شیلان ئەحمەد"}, []string{"person:شیلان ئەحمەد"}},
		{"sorani arabic yeh", "شيلان ئەحمەد گوتی.", []string{"شیلان ئەحمەد"}, []string{"person:شيلان ئەحمەد"}},
		{"sorani suffixes", "دایکی شیلانیش و شیلانەوە.", []string{"شیلان ئەحمەد"}, []string{"person:شیلان", "person:شیلان"}},
		{"sorani heh", "ئامینه خەلیل گوتی.", []string{"ئامینە خەلیل"}, []string{"person:ئامینه خەلیل"}},
		{"sorani keheh and kaf", "ڤیان كەریم هات.", []string{"ڤیان کەریم"}, []string{"person:ڤیان كەریم"}},
		{"sorani vowels", "هيرو مستەفا هات.", []string{"هێرۆ مستەفا"}, []string{"person:هيرو مستەفا"}},
		{"sorani seat of arabic name", "ئامینە گوتی.", amina, []string{"person:ئامینە"}},
		{"sorani word is not a name", "ژیان لە کەمپەکەدا قورس بوو.", []string{"ژینۆ ڕەسوڵ"}, nil},
	})
}

func TestOverlapAndPseudonymsNotFlagged(t *testing.T) {
	runFindCases(t, []findCase{
		{"email wins over name", "Mail amina.khalil@example.org now.", []string{"Amina Khalil"}, []string{"email:amina.khalil@example.org"}},
		{"pseudonyms", "[PERSON-1] told [PERSON-2] to call [PHONE-1] or [EMAIL-3]; [ID-1] at [GPS-12].", []string{"Person"}, nil},
		{"phone cannot hide in a pseudonym", "[PHONE-07701234567]", nil, []string{"phone:07701234567"}},
		{"id cannot hide in a pseudonym", "[ID-199012345678]", nil, []string{"national_id:199012345678"}},
		{"empty", "", []string{"Amina"}, nil},
	})
}

func TestRedact(t *testing.T) {
	r := New([]string{"Amina Khalil", "أمينة خليل"})
	text := "Amina Khalil (0770 123 4567, amina.k@example.org) met us at 36.3489, 43.1577. " +
		"قالت أمينة إن رقمها ٠٧٧٠ ١٢٣ ٤٥٦٧ وبريدها AMINA.K@EXAMPLE.ORG. National ID 199012345678."
	out, fs := r.Redact(text)
	want := "[PERSON-1] ([PHONE-1], [EMAIL-1]) met us at [GPS-1]. " +
		"قالت [PERSON-2] إن رقمها [PHONE-1] وبريدها [EMAIL-1]. National ID [ID-1]."
	if out != want {
		t.Errorf("Redact:\n got  %q\n want %q", out, want)
	}
	checkReconstruction(t, text, out, fs)

	// Stable across calls and fields of the same document.
	out2, _ := r.Redact("Amina called from +964 770 123 4567; Amina Khalil again.")
	if want := "[PERSON-1] called from [PHONE-1]; [PERSON-1] again."; out2 != want {
		t.Errorf("second call:\n got  %q\n want %q", out2, want)
	}
	out3, _ := r.Redact("New number 0750 987 6543.")
	if want := "New number [PHONE-2]."; out3 != want {
		t.Errorf("third call: got %q, want %q", out3, want)
	}

	// A fresh Redactor (another document) starts again at 1.
	out4, _ := New(nil).Redact("Call 0750 987 6543.")
	if want := "Call [PHONE-1]."; out4 != want {
		t.Errorf("fresh redactor: got %q, want %q", out4, want)
	}
}

func TestRedactSharedFamilyName(t *testing.T) {
	r := New([]string{"Amina Hassan", "Layla Hassan"})
	out, _ := r.Redact("Amina Hassan and Layla Hassan; Hassan was the family name. Amina, Layla.")
	want := "[PERSON-1] and [PERSON-2]; [PERSON-3] was the family name. [PERSON-1], [PERSON-2]."
	if out != want {
		t.Errorf("got  %q\nwant %q", out, want)
	}
}

// checkReconstruction verifies that the output is the input with each
// finding replaced by its pseudonym, in order.
func checkReconstruction(t testing.TB, text, out string, fs []Finding) {
	t.Helper()
	checkInvariants(t, text, fs)
	var b strings.Builder
	last := 0
	rest := out
	for _, f := range fs {
		b.WriteString(text[last:f.Start])
		if !strings.HasPrefix(rest, text[last:f.Start]) {
			t.Fatalf("output %q does not continue with %q", rest, text[last:f.Start])
		}
		rest = rest[f.Start-last:]
		end := strings.IndexByte(rest, ']')
		if !strings.HasPrefix(rest, "["+labels[f.Kind]+"-") || end < 0 {
			t.Fatalf("output %q: no %s pseudonym at finding %+v", rest, f.Kind, f)
		}
		b.WriteString(rest[:end+1])
		rest = rest[end+1:]
		last = f.End
	}
	b.WriteString(text[last:])
	if b.String() != out {
		t.Fatalf("reconstruction %q != output %q", b.String(), out)
	}
}

func TestRedactReconstructionOnCorpus(t *testing.T) {
	for _, l := range loadCorpus(t) {
		r := New(l.Persons)
		out, fs := r.Redact(l.Text)
		checkReconstruction(t, l.Text, out, fs)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 output for %q", l.Text)
		}
	}
}

func TestRedactExposedByReplacement(t *testing.T) {
	// "Amina" glued to coordinates is not a word on its own; once they are
	// replaced it is, and the guard would see it. Redact goes on until the
	// output is clean.
	persons := []string{"Amina Khalil"}
	text := "Pin from Amina36.3489, 43.1577 today."
	if got := describe(text, New(persons).Find(text)); !slices.Equal(got, []string{"gps:36.3489, 43.1577"}) {
		t.Fatalf("Find: %q", got)
	}
	out, fs := New(persons).Redact(text)
	if want := "Pin from [PERSON-1][GPS-1] today."; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
	checkReconstruction(t, text, out, fs)
	if err := Check(map[string]string{"t": out}, persons); err != nil {
		t.Fatalf("redacted output %q fails the guard: %v (findings %v)", out, err, fs)
	}
}

func TestCheck(t *testing.T) {
	persons := []string{"Amina Khalil"}
	if err := Check(map[string]string{
		"title":   "Testimony on checkpoint detentions",
		"summary": "Interview of 14/06/2017 in case 2018/114 with [PERSON-1].",
	}, persons); err != nil {
		t.Fatalf("clean fields: %v", err)
	}
	err := Check(map[string]string{
		"title":   "Testimony of [PERSON-1]",
		"summary": "She can be reached at 0770 123 4567.",
		"tags":    "amina",
	}, persons)
	var ge *GuardError
	if !errors.As(err, &ge) {
		t.Fatalf("want *GuardError, got %v", err)
	}
	// Fields are checked in name order: summary before tags.
	if ge.Field != "summary" || ge.Kind != KindPhone || ge.Start != 22 || ge.End != 35 {
		t.Errorf("got %+v", ge)
	}
	if strings.Contains(err.Error(), "0770") || strings.Contains(err.Error(), "4567") {
		t.Errorf("error message leaks the value: %v", err)
	}
}

func TestFindingJSON(t *testing.T) {
	// The shape `amana redact --json` prints.
	_, fs := New(nil).Redact("Call 0770 123 4567.")
	b, err := json.Marshal(struct {
		Text     string    `json:"text"`
		Findings []Finding `json:"findings"`
	}{"Call [PHONE-1].", fs})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"text":"Call [PHONE-1].","findings":[{"kind":"phone","start":5,"end":18}]}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestFoldOffsets(t *testing.T) {
	// Every folded byte maps to a whole rune of the input, in order.
	for _, text := range []string{
		"Şîrîn ﻻ أَمِينَة\u200f ٠٧٧٠ ß ＡＢ１ ئامینە \xff\xfe end",
		"ـــ\u064b", "ئ", "a\u0301", "",
	} {
		f := fold(text)
		if len(f.start) != len(f.s) || len(f.end) != len(f.s) {
			t.Fatalf("%q: map lengths %d %d for %d bytes", text, len(f.start), len(f.end), len(f.s))
		}
		for i := range f.s {
			if f.start[i] > f.end[i] || f.end[i] > len(text) || (i > 0 && f.start[i] < f.start[i-1]) {
				t.Fatalf("%q: bad map at %d: %d-%d", text, i, f.start[i], f.end[i])
			}
		}
	}
	if got := fold("ŞÎRÎN Ehmed ÇİĞ").s; got != "sirin ehmed cig" {
		t.Errorf("latin fold: %q", got)
	}
	if got := fold("أإآٱ ؤ ئ ة ى ی ک ە ـ ً").s; got != "اااا و ي ه ي ي ك ه  " {
		t.Errorf("arabic fold: %q", got)
	}
	if got := fold("٠١٢٣٤٥٦٧٨٩ ۰۱۲۳۴۵۶۷۸۹ ٫٬،").s; got != "0123456789 0123456789 .,," {
		t.Errorf("digit fold: %q", got)
	}
}

// TestLongInputs guards against quadratic scans: each input is about 256 KB
// of one pathological pattern and must finish quickly even on a slow machine.
func TestLongInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("long inputs")
	}
	const n = 256 << 10
	rep := func(s string) string { return strings.Repeat(s, n/len(s)+1)[:n] }
	inputs := map[string]string{
		"glued names":     rep("amina"),
		"glued arabic":    rep("وأمينة"),
		"digit groups":    rep("1 "),
		"dashed groups":   rep("07-"),
		"decimals":        rep("1.5x"),
		"degrees":         rep("1°"),
		"emails":          rep("a@b.cc "),
		"at signs":        rep("a@"),
		"obfuscated":      rep("a [at] b [dot] "),
		"twelve digits":   rep("199012345678 "),
		"pseudonym-like":  rep("[PHONE-1"),
		"arabic digits":   rep("٠٧٧٠ ١٢٣ "),
		"marks":           rep("\u064b"),
		"kurdish seats":   rep("ئئ"),
		"invalid utf8":    rep("\xff\xfe"),
		"plus signs":      rep("+9"),
		"brackets":        rep("(0"),
		"coordinate-ish":  rep("36.3489, "),
		"dms-ish":         rep("36°20'56\" "),
		"id context soup": rep("national id 1990 "),
	}
	persons := []string{"Amina Khalil", "أمينة خليل", "al Amina", "a"}
	for name, text := range inputs {
		start := time.Now()
		out, fs := New(persons).Redact(text)
		checkInvariants(t, text, fs)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: %v for %d bytes (%d findings, output %d bytes)", name, d, len(text), len(fs), len(out))
		}
	}
}
