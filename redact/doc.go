// Package redact finds personal data in the public metadata of a deposit and
// replaces it with pseudonyms. The same code runs in two places: in the
// client (compiled to WebAssembly for the browser, and in `amana redact`)
// before anything is uploaded, and in the server as a guard that refuses
// public metadata in which personal data remains (HTTP 422).
//
//	r := redact.New(meta.Persons)       // one Redactor per document
//	title, _ := r.Redact(meta.Title)     // "Testimony of [PERSON-1]"
//	summary, fs := r.Redact(meta.Summary) // fs: kind and byte offsets only
//
//	// server side
//	if err := redact.Check(publicFields, persons); err != nil {
//		var ge *redact.GuardError // field and kind, never the value
//	}
//
// # What it finds
//
//   - email: addresses, also written "name [at] example [dot] org".
//   - phone: Iraqi numbers (+964 7xx xxx xxxx, 00964…, 07xx xxx xxxx,
//     7xx xxx xxxx, landlines with their area code), with spaces, dashes, dots
//     or brackets, in Latin, Arabic-Indic (٠-٩) or Persian (۰-۹) digits, with
//     right-to-left marks inside; and numbers of other countries written
//     with a leading + or 00. Candidates are validated against the numbering
//     plans of libphonenumber's metadata (phone_iq.go, phoneplans.txt).
//   - national_id: 12-digit numbers (the Iraqi national card has no public
//     checksum) near words about identity documents in English, Arabic,
//     Sorani or Kurmanji (national ID, البطاقة الوطنية, الهوية, کارتی
//     نیشتمانی, ناسنامە…), or standing alone when they do not read as a
//     timestamp or follow a case, file or receipt reference. Grouped forms
//     (1990 1234 5678) need the context words. Years, dates, case numbers
//     (2018/114, KRK-2018-0042), amounts and counts are never 12 bare digits.
//   - gps: latitude/longitude pairs in decimal degrees (36.3489, 43.1577;
//     36.3489° N 43.1577° E; شمالاً / شرقاً) or degrees-minutes-seconds, in
//     any of the digit scripts. Unmarked pairs need four decimals (three with
//     two-digit degrees, not ending in 00, so 12.500, 25.000 stays an amount).
//   - person: the names listed for the deposit, and every part of them except
//     particles (Abu, Umm, bin, al-, عبد…) and parts shorter than three
//     letters: a first name alone identifies a survivor in a small community.
//
// Names are matched after folding both the name and the text: Arabic alef
// forms, hamza carriers, ta marbuta, alef maqsura, Persian and Kurdish yeh,
// kaf and heh variants are unified, tatweel and harakat removed; a Kurdish
// word-initial ئ (ئامینە) matches the Arabic spelling (أمينة); Latin is
// case-folded without diacritics (ê î û ç ş → e i u c s), and ş/ç also match
// sh/ch. Matches are on word boundaries, with any whitespace between the
// parts of a name, with or without the space in compounds (عبد الله /
// عبدالله, Abdul Rahman / Abdulrahman), with the Arabic prefixes و ف ب ل ك ال
// and Sorani suffixes (ی ش دا ەوە یان …) left outside the replacement.
//
// # Guarantees
//
//   - Findings hold a kind and byte offsets into the input, never the value.
//     Offsets fall on rune boundaries of the original text, whatever the
//     folding did, and include the marks (harakat) that belong to the
//     letters found. Findings are sorted and do not overlap; where detections
//     overlap the longest wins, then the most specific kind (email, phone,
//     national_id, gps, person).
//   - Redact replaces each finding with [PERSON-n], [PHONE-n], [EMAIL-n],
//     [ID-n] or [GPS-n]. The same value after normalisation gets the same
//     pseudonym in all calls on one Redactor (a phone number written
//     0770 123 4567 or +964 770 123 4567; a person by full or first name);
//     the Redactor keeps only hashes of the values. A name part shared by two
//     listed persons (a family name) gets its own pseudonym so that it does
//     not link them.
//   - Text produced by Redact passes Check with the same persons: Redact
//     rescans its output and also replaces what a replacement exposed (a
//     name glued to a phone number). Pseudonyms themselves are never
//     findings; their number has at most five digits, so no phone or card
//     number can hide in one.
//   - Pure Go, no cgo, no file, network or clock access; nothing is logged.
//     Running time grows linearly with the input (times the number of listed
//     names); no input makes it panic.
//
// # Limits
//
// This is a safety net, not an anonymiser; a person must still read what is
// published. It cannot catch:
//
//   - names that are not listed, nicknames, and spellings that folding does
//     not unify: other transliterations (Mohammed / Muhammad), and a name
//     listed in Latin script written in Arabic script or the reverse;
//   - free-form addresses, villages, camp blocks and tents, tribes,
//     employers, and combinations of details (age, place, date) that
//     identify a person together;
//   - numbers spelled out in words, split across lines, or in other formats
//     (older civil status IDs, passport numbers, UTM/MGRS grid references,
//     plus codes); foreign phone numbers written without + or 00; Iraqi
//     landlines written without their area code;
//   - e-mail addresses with non-ASCII local parts or internationalised
//     domain names.
//
// It over-redacts listed names that are also common words (أمل is "hope")
// and standalone 12-digit numbers that are not card numbers.
package redact
