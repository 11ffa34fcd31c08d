package redact_test

import (
	"errors"
	"fmt"

	"github.com/amana-vault/amana/redact"
)

func ExampleRedactor_Redact() {
	r := redact.New([]string{"Amina Khalil", "أمينة خليل"})
	out, findings := r.Redact("Amina Khalil (0770 123 4567) met us at 36.3489, 43.1577.")
	fmt.Println(out)
	fmt.Println(findings)
	out, _ = r.Redact("قالت أمينة إن رقمها ٠٧٧٠ ١٢٣ ٤٥٦٧")
	fmt.Println(out)
	// Output:
	// [PERSON-1] ([PHONE-1]) met us at [GPS-1].
	// [{person 0 12 listed} {phone 14 27 } {gps 39 55 }]
	// قالت [PERSON-2] إن رقمها [PHONE-1]
}

func ExampleCheck() {
	err := redact.Check(map[string]string{
		"title":   "Testimony of [PERSON-1]",
		"summary": "Her card number is 199012345678.",
	}, []string{"Amina Khalil"})
	var ge *redact.GuardError
	if errors.As(err, &ge) {
		fmt.Println(ge.Field, ge.Kind, ge.Start, ge.End)
	}
	// Output: summary national_id 19 31
}
