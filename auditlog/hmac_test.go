package auditlog

import (
	"bytes"
	"regexp"
	"testing"
)

func TestHMAC(t *testing.T) {
	a := testHMACKey("vault")
	a2 := testHMACKey("vault")
	b := testHMACKey("other")
	format := regexp.MustCompile(`^hmac-sha256:[0-9a-f]{64}$`)
	for _, v := range []string{"", "198.51.100.7", "نادية مراد", "checkpoint detentions"} {
		h := HMAC(a, v)
		if !format.MatchString(h) || !IsHMAC(h) {
			t.Errorf("HMAC(%q) = %q", v, h)
		}
		if HMAC(a, v) != h || HMAC(a2, v) != h {
			t.Errorf("HMAC(%q) differs for equal values and keys", v)
		}
		if HMAC(b, v) == h {
			t.Errorf("HMAC(%q) equal under different keys", v)
		}
		if HMAC(a, v+" ") == h {
			t.Errorf("HMAC(%q) equal for different values", v)
		}
	}

	// RFC 4231 test case 6 (a key longer than the block size).
	key := bytes.Repeat([]byte{0xaa}, 131)
	const want = "hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
	if got := HMAC(key, "Test Using Larger Than Block-Size Key - Hash Key First"); got != want {
		t.Errorf("RFC 4231 case 6: %s, want %s", got, want)
	}
}

func TestIsHMAC(t *testing.T) {
	for _, v := range []string{
		"", "hmac-sha256:", "hmac-sha256:abcd", "Nadia Murad",
		"hmac-sha256:60E431591EE0B67F0D8A26AACBF5B77F8E0BC6213728C5140546040F0EE37F54",
		"hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f5",
		"hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54 ",
		"sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
		"hmac-sha256:60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37fzz",
	} {
		if IsHMAC(v) {
			t.Errorf("IsHMAC(%q) = true", v)
		}
	}
}
