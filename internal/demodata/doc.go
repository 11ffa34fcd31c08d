// Package demodata generates the synthetic data set of `amana demo` and of
// the benchmarks: multilingual (English, Arabic, Sorani Kurdish and a few
// Kurmanji) records of documentation work with people displaced or affected
// by the conflict with ISIS in Iraq.
//
// The data is synthetic, fictional and non-graphic by design. Every record
// says it is a fictional demonstration record; every person, phone number,
// e-mail address, card number and address in it is invented (phone numbers
// use the 000 subscriber block, e-mail addresses only the example.org,
// example.com and example.net domains). The records describe documentation
// work — interviews about displacement, detention at checkpoints, missing
// family members, access to services in camps, property loss and legal aid —
// in neutral, institutional language, and never describe violence. Real
// place names and governorates are used so that search and statistics look
// realistic; the organisations are fictional.
//
// About 40% of the documents carry planted fake personal data in their
// title, summary or transcript (names, with variant Arabic spellings between
// mentions, Iraqi mobile numbers in Latin and Arabic-Indic digits, e-mail
// addresses, national card numbers, coordinates), listed in
// Document.Persons and Document.Planted, so that redaction can be seen
// working. Real testimonies never enter the repository.
package demodata
