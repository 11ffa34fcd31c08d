package redact

import "strings"

// The numbering plan of Iraq (+964), as libphonenumber's metadata states it;
// phone_equiv_test.go checks this code against libphonenumber itself.
//
// A national significant number (without +964 or the trunk 0) is
//
//   - mobile: 7[3-9] and 8 digits (10 digits: 0770 123 4567);
//   - fixed line, Baghdad: 1 and 7 digits (8 digits: 01 543 2100);
//   - fixed line elsewhere: a two-digit area code 21 23 24 25, 30 32 33 36 37,
//     40 42 43, 50 53, 60 62 66 and 6 or 7 digits (8 or 9 digits:
//     066 212 3456).
//
// Nothing else is valid: no toll-free, premium or shared-cost ranges, and
// the 6 and 7 digit local forms need their area code.

// iraqNumber is the kind of an Iraqi national significant number.
type iraqNumber int

const (
	iraqInvalid iraqNumber = iota
	iraqFixed
	iraqMobile
)

// iraqAreaCodes marks the two-digit area codes outside Baghdad, by their
// digits: iraqAreaCodes[2] has bit 1 set for 21.
var iraqAreaCodes = [10]uint16{
	2: 1<<1 | 1<<3 | 1<<4 | 1<<5,
	3: 1<<0 | 1<<2 | 1<<3 | 1<<6 | 1<<7,
	4: 1<<0 | 1<<2 | 1<<3,
	5: 1<<0 | 1<<3,
	6: 1<<0 | 1<<2 | 1<<6,
}

// classifyIraq tells whether nsn, digits only, is an Iraqi mobile or fixed
// line number.
func classifyIraq(nsn string) iraqNumber {
	for i := 0; i < len(nsn); i++ {
		if !isDigit(nsn[i]) {
			return iraqInvalid
		}
	}
	switch {
	case len(nsn) == 10 && nsn[0] == '7' && nsn[1] >= '3':
		return iraqMobile
	case len(nsn) == 8 && nsn[0] == '1':
		return iraqFixed
	case len(nsn) == 8 || len(nsn) == 9:
		if iraqAreaCodes[nsn[0]-'0']&(1<<(nsn[1]-'0')) != 0 {
			return iraqFixed
		}
	}
	return iraqInvalid
}

// validIQ reads number as an Iraqi number: "+964" and the national
// significant number (with or without the trunk 0 after it), the national
// form with its trunk 0, or a bare national significant number. It returns
// the number in E.164 form. With mobileOnly, only mobile numbers are valid.
func validIQ(number string, mobileOnly bool) (string, bool) {
	nsn := strings.TrimPrefix(strings.TrimPrefix(number, "+964"), "0")
	switch classifyIraq(nsn) {
	case iraqMobile:
	case iraqFixed:
		if mobileOnly {
			return "", false
		}
	default:
		return "", false
	}
	return "+964" + nsn, true
}
