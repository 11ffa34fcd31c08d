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
// # Normalisation
//
// Every detector works on one normalised form of the text (fold.go), with a
// map from each of its bytes back to the original rune, so that findings
// are offsets into the original and the pseudonym replaces the original
// span. Normalisation maps every decimal digit script (Unicode Nd:
// Arabic-Indic, Persian, Devanagari, mathematical bold…) to ASCII digits;
// applies the NFKC compatibility mapping (full-width forms, superscript and
// circled digits, the small and full-width at-signs ﹫ ＠, ligatures); maps
// look-alike dots (middle dot, bullet, ideographic full stop) to "."; drops
// format characters (zero-width spaces and joiners, bidi marks, soft
// hyphens) and marks; unifies Arabic and Kurdish letter variants and Latin
// case and diacritics. Written-out at-signs and dots ("at", "dot", آت, دوت,
// نقطة, خاڵ) are recognised by the e-mail detector, where they are whole
// words between spaces or in brackets.
//
// # What it finds
//
//   - email: addresses, also with spaces around "@" and ".", look-alike
//     at-signs, and written out: "name [at] example [dot] org", "name at
//     example dot org", "name آت example نقطة org" (written-out forms and
//     spaced dots need a common ending: org, com, iq, example…).
//   - phone: Iraqi numbers (+964 7xx xxx xxxx, 00964…, 07xx xxx xxxx,
//     7xx xxx xxxx, landlines with their area code) and numbers of other
//     countries written with a leading + or 00, in any digit script, with
//     any run of separators between digit groups (spaces, line breaks,
//     "-", ".", "/", "_", ",", "·", brackets; up to six characters, not
//     ":", so times do not join numbers), and glued to letters
//     (tel07701234567, 0770 123 4567ext). Candidates are validated against
//     the numbering plans of libphonenumber's metadata (phone_iq.go,
//     phoneplans.txt); the grouping of an Iraqi number must be plausible
//     (07xx / 7xx first), which keeps dates, times, money, case and article
//     numbers written with the same separators out.
//   - national_id: 12-digit numbers (the Iraqi national card has no public
//     checksum) near words about identity documents in English, Arabic,
//     Sorani or Kurmanji (national ID, البطاقة الوطنية, الهوية, کارتی
//     نیشتمانی, ناسنامە…), or standing alone when they do not read as a
//     timestamp or follow a case, file or receipt reference. Grouped forms
//     (1990 1234 5678, 1990/1234/5678) need the context words. Years, dates,
//     case numbers (2018/114, KRK-2018-0042), amounts and counts are never 12
//     bare digits.
//   - gps: latitude/longitude pairs in decimal degrees (36.3489, 43.1577;
//     36.3489° N 43.1577° E; شمالاً / شرقاً) or degrees-minutes-seconds, in
//     any digit script, with a decimal point, the Arabic decimal separator
//     (٫) or a decimal comma (36,3489 43,1577). Unmarked pairs need four
//     decimals (three with two-digit degrees, not ending in 00, so 12.500,
//     25.000 stays an amount; with decimal commas, three only when no comma
//     stands between the two numbers, so 12,345, 45,678 stays one).
//   - person: the names listed for the deposit, and every part of them except
//     particles (Abu, Umm, bin, al-, عبد…) and parts shorter than three
//     letters: a first name alone identifies a survivor in a small community.
//   - name: probable names nobody listed (names.go): common given names from
//     the gazetteers names_en.txt, names_ar.txt, names_ckb.txt and
//     names_kmr.txt (compiled for this package, CC0; capitalised in Latin
//     script; names that are also common words, such as أمل "hope" or Baran
//     "rain", only next to a title or another name), name-shaped words after
//     a title (Mrs, Dr, السيدة, الدكتور, کاک, خاتوو, مام…), and given names
//     after a kinship word (أم, أبو, بنت, ابن, Umm, Abu). A name extends over
//     the names or capitalised words that follow it; the title stays outside
//     ("Mrs [NAME-1]"). Each finding says why (Finding.Reason).
//     Over-redaction is the safe error: the depositor reviews the findings
//     and keeps a name on purpose with Redactor.Keep (amana redact --keep,
//     amana deposit --keep, the web preview), a decision recorded in the
//     deposit's encrypted private metadata.
//
// # What the server's guard enforces
//
// Check, the server's guard, refuses e-mail addresses, phone numbers, card
// numbers, coordinates and listed persons (the server is given no persons,
// so in practice the first four), but not names nobody listed (Enforced).
// The server sees only public metadata: it cannot see the persons, nor the
// depositor's decision to keep a name, and refusing every name-shaped word
// would refuse deposits whose depositor kept a name deliberately. Structured
// data is enforced strictly; names are the client's decision. A modified
// client can therefore publish names; the guard is a net for data that has
// an unambiguous format.
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
//     national_id, gps, person, name); a name nobody listed never covers a
//     listed person: the rest of it stays a name.
//   - Redact replaces each finding with [PERSON-n], [NAME-n], [PHONE-n],
//     [EMAIL-n], [ID-n] or [GPS-n]. The same value after normalisation gets the same
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
//   - names in no gazetteer and after no title (rare names, nicknames,
//     family names alone), other transliterations of listed names
//     (Mohammed / Muhammad), and a name listed in one script written in
//     another (caught only when it is a common given name);
//   - free-form addresses, villages, camp blocks and tents, tribes,
//     employers, and combinations of details (age, place, date) that
//     identify a person together;
//   - numbers spelled out in words, with one digit per group (0 7 7 0 …),
//     or in other formats (older civil status IDs, passport numbers,
//     UTM/MGRS grid references, plus codes); foreign phone numbers written
//     without + or 00; Iraqi landlines written without their area code;
//   - e-mail addresses with non-ASCII local parts or internationalised
//     domain names, or written out with an uncommon ending.
//
// It over-redacts listed names that are also common words (أمل is "hope"),
// capitalised words after a title, common given names that name no one
// ("Layla is a common name"), valid phone numbers inside longer codes, and
// standalone 12-digit numbers that are not card numbers.
//
// testdata/ holds a labelled corpus in three parts (tuning, held-out,
// adversarial); go test -run TestCorpusReport -v ./redact/ prints precision
// and recall per part, kind and language.
package redact
