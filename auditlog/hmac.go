package auditlog

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// HMACPrefix begins every value in [Event.Hashed].
const HMACPrefix = "hmac-sha256:"

// HMAC returns "hmac-sha256:" and the lower-case hex HMAC-SHA256 of value
// under key. Equal values give equal results, so auditors can correlate
// events, and whoever holds the key can look up a known value, without the
// log holding the value itself.
func HMAC(key []byte, value string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(value))
	return HMACPrefix + hex.EncodeToString(m.Sum(nil))
}

// IsHMAC reports whether v has the form HMAC returns: "hmac-sha256:" and
// 64 lower-case hex digits.
func IsHMAC(v string) bool {
	h, ok := strings.CutPrefix(v, HMACPrefix)
	if !ok || len(h) != 64 {
		return false
	}
	for _, c := range h {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
