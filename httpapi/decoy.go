package httpapi

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"
)

// Decoy challenges. Every name gets a login challenge, whether the vault
// holds it or not, and what an onlooker sees of it is its stanza type and
// size (an SSH stanza also shows a tag of the key). A name the vault does
// not hold gets a challenge encrypted to a decoy recipient: of a type drawn
// from the mix of the vault's users' key types, weighted by how many users
// have each, and chosen for the name by a keyed HMAC; and the decoy key
// itself derived from the name by the same keyed HMAC. The key comes from
// the server key, so a name keeps its type and its decoy key across
// restarts, as a real user keeps its own. Nobody, the server included,
// holds the decoys' private keys in a usable form, and no response opens
// a decoy challenge.
//
// Plugin recipients (age1yubikey1…) cannot be imitated: a name whose
// challenge shows a plugin stanza is a real user's.

// Shapes: what a challenge encrypted to a recipient looks like.
const (
	shapeX25519  = "X25519"
	shapePQ      = "mlkem768x25519"
	shapeEd25519 = "ssh-ed25519"
	shapeRSA     = "ssh-rsa-" // followed by the modulus size in bits, a multiple of 8
)

// mixRefresh is how often the mix of key types is read from the vault again.
const mixRefresh = time.Minute

type decoys struct {
	key  []byte
	list func(func(recipient string)) error // the vault's users' recipients
	now  func() time.Time

	mu    sync.Mutex
	mix   []shapeWeight // sorted by shape
	mixAt time.Time
}

type shapeWeight struct {
	shape string
	n     int
}

func newDecoys(key []byte, list func(func(string)) error, now func() time.Time) *decoys {
	return &decoys{key: key, list: list, now: now}
}

// shapeOf returns the shape of a challenge encrypted to recipient r (in the
// vault's canonical form), and false for what decoys cannot imitate.
func shapeOf(r string) (string, bool) {
	switch {
	case strings.HasPrefix(r, "age1pq1"):
		return shapePQ, true
	case strings.HasPrefix(r, "age1") && strings.Count(r, "1") == 1:
		return shapeX25519, true
	case strings.HasPrefix(r, "ssh-ed25519 "):
		return shapeEd25519, true
	case strings.HasPrefix(r, "ssh-rsa "):
		pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(r))
		if err != nil {
			return "", false
		}
		cpk, ok := pk.(ssh.CryptoPublicKey)
		if !ok {
			return "", false
		}
		rk, ok := cpk.CryptoPublicKey().(*rsa.PublicKey)
		if !ok {
			return "", false
		}
		return fmt.Sprintf("%s%d", shapeRSA, (rk.N.BitLen()+7)/8*8), true
	}
	return "", false
}

// currentMix returns the users' shapes with how many users have each,
// read from the vault at most once a minute.
func (d *decoys) currentMix() []shapeWeight {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	if d.mix != nil && !now.Before(d.mixAt) && now.Sub(d.mixAt) < mixRefresh {
		return d.mix
	}
	counts := map[string]int{}
	if d.list != nil {
		d.list(func(r string) {
			if sh, ok := shapeOf(r); ok {
				counts[sh]++
			}
		})
	}
	mix := make([]shapeWeight, 0, len(counts))
	for sh, n := range counts {
		mix = append(mix, shapeWeight{sh, n})
	}
	if len(mix) == 0 {
		mix = append(mix, shapeWeight{shapePQ, 1})
	}
	slices.SortFunc(mix, func(a, b shapeWeight) int { return strings.Compare(a.shape, b.shape) })
	d.mix, d.mixAt = mix, now
	return mix
}

// mac is the HMAC of length-prefixed parts under the decoy key.
func (d *decoys) mac(parts ...string) []byte {
	m := hmac.New(sha256.New, d.key)
	for _, p := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// choose returns the shape of name's decoy: weighted rendezvous hashing
// over the mix, so that a name keeps its shape when users are added or
// removed unless its own draw changes (a new shape takes names from all
// the others in proportion).
func (d *decoys) choose(name string, mix []shapeWeight) string {
	best, bestScore := mix[0].shape, math.Inf(1)
	for _, sw := range mix {
		h := binary.BigEndian.Uint64(d.mac("shape", sw.shape, name))
		u := (float64(h>>11) + 0.5) / (1 << 53) // in (0, 1)
		if score := -math.Log(u) / float64(sw.n); score < bestScore {
			best, bestScore = sw.shape, score
		}
	}
	return best
}

// derive returns name's decoy recipient of the given shape, and its
// string form as the vault would store it.
func (d *decoys) derive(shape, name string) (string, error) {
	seed := d.mac("key", shape, name)
	switch {
	case shape == shapeX25519:
		id, err := age.ParseX25519Identity(strings.ToUpper(bech32Encode("age-secret-key-", seed)))
		if err != nil {
			return "", err
		}
		return id.Recipient().String(), nil
	case shape == shapePQ:
		id, err := age.ParseHybridIdentity(strings.ToUpper(bech32Encode("age-secret-key-pq-", seed)))
		if err != nil {
			return "", err
		}
		return id.Recipient().String(), nil
	case shape == shapeEd25519:
		pk, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), nil
	case strings.HasPrefix(shape, shapeRSA):
		// Only the modulus's size shows (the stanza's body is as long as
		// it); nobody ever decrypts, so it need not be a product of primes.
		var bits int
		if _, err := fmt.Sscanf(shape[len(shapeRSA):], "%d", &bits); err != nil || bits < 2048 || bits > 16384 || bits%8 != 0 {
			return "", fmt.Errorf("decoy shape %q", shape)
		}
		n := make([]byte, bits/8)
		x := sha3.NewSHAKE256()
		x.Write(seed)
		x.Read(n)
		n[0] |= 0x80
		n[len(n)-1] |= 1
		pk, err := ssh.NewPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pk))), nil
	}
	return "", errors.New("no decoy for shape " + shape)
}

// bech32Encode encodes data as Bech32 (BIP 173) with human-readable part
// hrp, in lower case and without BIP 173's length limit, as age does.
func bech32Encode(hrp string, data []byte) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	values := make([]byte, 0, len(data)*8/5+1)
	acc, bits := 0, 0
	for _, b := range data {
		acc = (acc<<8 | int(b)) & 0xfff
		bits += 8
		for bits >= 5 {
			bits -= 5
			values = append(values, byte(acc>>bits)&31)
		}
	}
	if bits > 0 {
		values = append(values, byte(acc<<(5-bits))&31)
	}
	exp := make([]byte, 0, 2*len(hrp)+1+len(values)+6)
	for i := 0; i < len(hrp); i++ {
		exp = append(exp, hrp[i]>>5)
	}
	exp = append(exp, 0)
	for i := 0; i < len(hrp); i++ {
		exp = append(exp, hrp[i]&31)
	}
	exp = append(exp, values...)
	exp = append(exp, 0, 0, 0, 0, 0, 0)
	mod := bech32Polymod(exp) ^ 1
	var sb strings.Builder
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, v := range values {
		sb.WriteByte(charset[v])
	}
	for i := 0; i < 6; i++ {
		sb.WriteByte(charset[(mod>>(5*(5-i)))&31])
	}
	return sb.String()
}

func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}
