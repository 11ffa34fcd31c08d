//go:build !js

package envelope_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	mrand.NewChaCha8([32]byte{byte(n), byte(n >> 8), byte(n >> 16)}).Read(b)
	return b
}

type sealed struct {
	*sealedDoc
	content []byte // ciphertext
	private []byte // sealed private metadata
}

func seal(t testing.TB, plain []byte, users map[string]*user, opts ...envelope.Option) sealed {
	t.Helper()
	rs := make(map[string]age.Recipient, len(users))
	for name, u := range users {
		rs[name] = u.r
	}
	var ct bytes.Buffer
	s, err := sealTo(&ct, bytes.NewReader(plain), rs, opts...)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	priv, err := envelope.SealPrivate(s.Key, []byte(`{"notes":"private"}`))
	if err != nil {
		t.Fatalf("SealPrivate: %v", err)
	}
	return sealed{sealedDoc: s, content: ct.Bytes(), private: priv}
}

// open is what a user's client does to read a document.
func open(t testing.TB, u *user, s sealed, slot string) []byte {
	t.Helper()
	k, err := envelope.OpenSlot(s.Slots[slot], u.ids...)
	if err != nil {
		t.Fatalf("OpenSlot(%s): %v", slot, err)
	}
	if k.String() != s.Key.String() {
		t.Fatalf("OpenSlot(%s) returned a different key", slot)
	}
	var out bytes.Buffer
	d, err := envelope.Decrypt(&out, bytes.NewReader(s.content), k)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if d != s.Digest {
		t.Fatalf("Decrypt digest %+v, Seal digest %+v", d, s.Digest)
	}
	priv, err := envelope.OpenPrivate(k, s.private)
	if err != nil || string(priv) != `{"notes":"private"}` {
		t.Fatalf("OpenPrivate = %q, %v", priv, err)
	}
	return out.Bytes()
}

func checkDigest(t testing.TB, s sealed, plain []byte) {
	t.Helper()
	if s.PlainSHA256 != sha256.Sum256(plain) || s.PlainSize != int64(len(plain)) {
		t.Errorf("plaintext digest/size wrong: %x %d", s.PlainSHA256, s.PlainSize)
	}
	if s.CipherSHA256 != sha256.Sum256(s.content) || s.CipherSize != int64(len(s.content)) {
		t.Errorf("ciphertext digest/size wrong: %x %d", s.CipherSHA256, s.CipherSize)
	}
}

func TestRoundTripEveryRecipientKind(t *testing.T) {
	plain := randomBytes(200 << 10)
	for _, kind := range userKinds {
		for _, classic := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/classic=%v", kind, classic), func(t *testing.T) {
				u := newUser(t, kind)
				var opts []envelope.Option
				if classic {
					opts = append(opts, envelope.Classic())
				}
				s := seal(t, plain, map[string]*user{"alice": u}, opts...)
				if s.Key.PostQuantum() == classic {
					t.Errorf("PostQuantum() = %v with classic=%v", s.Key.PostQuantum(), classic)
				}
				checkDigest(t, s, plain)
				if bytes.Contains(s.content, plain[:64]) {
					t.Fatal("ciphertext contains plaintext")
				}
				if got := open(t, u, s, "alice"); !bytes.Equal(got, plain) {
					t.Fatal("decrypted content differs")
				}
			})
		}
	}
}

func TestRoundTripSizes(t *testing.T) {
	u := newUser(t, "x25519")
	const chunk = 64 << 10
	for _, n := range []int{0, 1, chunk - 1, chunk, chunk + 1, 3*chunk + 17} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			plain := randomBytes(n)
			s := seal(t, plain, map[string]*user{"u": u})
			checkDigest(t, s, plain)
			if got := open(t, u, s, "u"); !bytes.Equal(got, plain) {
				t.Fatal("decrypted content differs")
			}
		})
	}
}

// Post-quantum and classic users share a document through separate slots,
// and each slot only opens for its own user.
func TestMixedUsers(t *testing.T) {
	users := map[string]*user{}
	for _, kind := range userKinds {
		users[kind] = newUser(t, kind)
	}
	plain := randomBytes(100 << 10)
	s := seal(t, plain, users)
	if len(s.Slots) != len(users) {
		t.Fatalf("%d slots for %d users", len(s.Slots), len(users))
	}
	for name, u := range users {
		if got := open(t, u, s, name); !bytes.Equal(got, plain) {
			t.Errorf("%s: decrypted content differs", name)
		}
		for other := range users {
			if other == name {
				continue
			}
			if _, err := envelope.OpenSlot(s.Slots[other], u.ids...); !errors.Is(err, envelope.ErrWrongIdentity) {
				t.Errorf("%s opened %s's slot: err = %v, want ErrWrongIdentity", name, other, err)
			}
		}
	}
	// The slot's own stanza type shows the user's kind.
	wantStanza := map[string]string{"x25519": "X25519", "pq": "mlkem768x25519", "ssh-ed25519": "ssh-ed25519",
		"ssh-rsa": "ssh-rsa", "plugin:" + pluginName: pluginName}
	for name, stanza := range wantStanza {
		if !bytes.Contains(s.Slots[name], []byte("\n-> "+stanza+" ")) {
			t.Errorf("slot for %s has no %s stanza", name, stanza)
		}
	}
}

func TestWrongIdentity(t *testing.T) {
	for _, kind := range []string{"x25519", "pq", "ssh-ed25519", "plugin:" + pluginName} {
		t.Run(kind, func(t *testing.T) {
			alice, bob := newUser(t, kind), newUser(t, kind)
			s := seal(t, []byte("testimony"), map[string]*user{"alice": alice})
			_, err := envelope.OpenSlot(s.Slots["alice"], bob.ids...)
			if !errors.Is(err, envelope.ErrWrongIdentity) || errors.Is(err, envelope.ErrMalformed) {
				t.Fatalf("OpenSlot with bob's identity: %v, want ErrWrongIdentity", err)
			}
		})
	}
	t.Run("document key", func(t *testing.T) {
		u := newUser(t, "x25519")
		s := seal(t, []byte("testimony"), map[string]*user{"u": u})
		other, err := envelope.NewDocKey()
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := envelope.Decrypt(&out, bytes.NewReader(s.content), other); !errors.Is(err, envelope.ErrWrongIdentity) {
			t.Errorf("Decrypt with another key: %v, want ErrWrongIdentity", err)
		}
		if out.Len() != 0 {
			t.Error("Decrypt with another key wrote output")
		}
		if _, err := envelope.OpenPrivate(other, s.private); !errors.Is(err, envelope.ErrWrongIdentity) {
			t.Errorf("OpenPrivate with another key: %v, want ErrWrongIdentity", err)
		}
	})
}

// badChecksum changes the last character of a Bech32 string.
func badChecksum(s string) string {
	c := "Q"
	if strings.HasSuffix(s, "Q") {
		c = "P"
	}
	return s[:len(s)-1] + c
}

// flip returns a copy of b with byte i changed.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

// headerLen is the length of an age header, up to and including the MAC line.
func headerLen(t testing.TB, file []byte) int {
	t.Helper()
	i := bytes.Index(file, []byte("\n--- "))
	if i < 0 {
		t.Fatal("no age header MAC line")
	}
	return i + 1 + bytes.IndexByte(file[i+1:], '\n') + 1
}

func isDetected(err error) bool {
	return errors.Is(err, envelope.ErrMalformed) || errors.Is(err, envelope.ErrWrongIdentity)
}

func TestTamperedSlot(t *testing.T) {
	for _, kind := range []string{"x25519", "pq"} {
		t.Run(kind, func(t *testing.T) {
			u := newUser(t, kind)
			slot := seal(t, nil, map[string]*user{"u": u}).Slots["u"]
			hl := headerLen(t, slot)
			// Every single-byte change anywhere in the slot is detected. A
			// change in the stanza looks like a foreign stanza (ErrWrongIdentity);
			// after the header it is always ErrMalformed.
			for i := range slot {
				_, err := envelope.OpenSlot(flip(slot, i), u.ids...)
				if !isDetected(err) {
					t.Fatalf("flipped byte %d of %d: err = %v", i, len(slot), err)
				}
				if i >= hl && !errors.Is(err, envelope.ErrMalformed) {
					t.Fatalf("flipped payload byte %d: err = %v, want ErrMalformed", i, err)
				}
			}
			for n := range len(slot) {
				if _, err := envelope.OpenSlot(slot[:n], u.ids...); !errors.Is(err, envelope.ErrMalformed) {
					t.Fatalf("slot truncated to %d bytes: err = %v, want ErrMalformed", n, err)
				}
			}
			if _, err := envelope.OpenSlot(append(bytes.Clone(slot), 0), u.ids...); !errors.Is(err, envelope.ErrMalformed) {
				t.Fatalf("slot with a trailing byte: err = %v, want ErrMalformed", err)
			}
		})
	}
}

func TestTamperedPrivate(t *testing.T) {
	u := newUser(t, "x25519")
	s := seal(t, nil, map[string]*user{"u": u})
	for i := range s.private {
		if _, err := envelope.OpenPrivate(s.Key, flip(s.private, i)); !isDetected(err) {
			t.Fatalf("flipped byte %d of private metadata: err = %v", i, err)
		}
	}
	for n := range len(s.private) {
		if _, err := envelope.OpenPrivate(s.Key, s.private[:n]); !errors.Is(err, envelope.ErrMalformed) {
			t.Fatalf("private metadata truncated to %d: err = %v, want ErrMalformed", n, err)
		}
	}
}

func TestTamperedContent(t *testing.T) {
	const chunk = 64<<10 + 16 // ciphertext chunk: 64 KiB and a Poly1305 tag
	u := newUser(t, "pq")
	plain := randomBytes(3<<16 + 1000) // three full chunks and a short one
	s := seal(t, plain, map[string]*user{"u": u})
	ct := s.content
	hl := headerLen(t, ct)
	payload := hl + 16 // after the stream nonce

	cases := map[string][]byte{}
	for _, i := range []int{0, 5, hl - 2, hl - 1} { // intro, stanza, MAC
		cases[fmt.Sprintf("header byte %d", i)] = flip(ct, i)
	}
	for _, i := range []int{hl, hl + 15, payload, payload + chunk - 1, payload + chunk, payload + 2*chunk + 100, len(ct) - 17, len(ct) - 1} {
		cases[fmt.Sprintf("payload byte %d", i)] = flip(ct, i)
	}
	for _, n := range []int{0, 10, hl, payload, payload + chunk, payload + 3*chunk, len(ct) - 16, len(ct) - 1} {
		cases[fmt.Sprintf("truncated to %d", n)] = ct[:n]
	}
	cases["trailing byte"] = append(bytes.Clone(ct), 0)
	cases["trailing chunk"] = append(bytes.Clone(ct), ct[payload:payload+chunk]...)
	swapped := bytes.Clone(ct)
	copy(swapped[payload:], ct[payload+chunk:payload+2*chunk])
	copy(swapped[payload+chunk:], ct[payload:payload+chunk])
	cases["chunks swapped"] = swapped

	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := envelope.Decrypt(&out, bytes.NewReader(bad), s.Key)
			if !errors.Is(err, envelope.ErrMalformed) {
				t.Fatalf("Decrypt: err = %v, want ErrMalformed", err)
			}
			// Only authenticated chunks are released: nothing from a
			// modified chunk or after it reaches the output.
			if !bytes.Equal(out.Bytes(), plain[:out.Len()]) {
				t.Fatal("Decrypt wrote plaintext that is not a prefix of the original")
			}
			if strings.HasPrefix(name, "payload byte") {
				var i int
				fmt.Sscanf(name, "payload byte %d", &i)
				if maxOut := max(0, (i-payload)/chunk*(64<<10)); out.Len() > maxOut {
					t.Fatalf("Decrypt released %d bytes, past the modified chunk (%d)", out.Len(), maxOut)
				}
			}
		})
	}
}

func TestMalformedInput(t *testing.T) {
	u := newUser(t, "x25519")
	k, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	encrypt := func(plain string) []byte {
		var b bytes.Buffer
		w, err := age.Encrypt(&b, u.r)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, plain)
		w.Close()
		return b.Bytes()
	}
	garbage := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"intro only", []byte("age-encryption.org/v1\n")},
		{"intro without newline", []byte("age-encryption.org/v1")},
		{"wrong version", []byte("age-encryption.org/v2\n-> X25519 abc\nabc\n--- abc\n")},
		{"no stanzas", []byte("age-encryption.org/v1\n--- " + strings.Repeat("A", 43) + "\n")},
		{"stanza without body", []byte("age-encryption.org/v1\n-> X25519\n")},
		{"bad MAC encoding", []byte("age-encryption.org/v1\n-> X25519 AAAA\nAAAA\n--- !!!\n")},
		{"random bytes", randomBytes(300)},
		{"armored", []byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n")},
		{"text", []byte("hello, world\n")},
		{"huge stanza line", append([]byte("age-encryption.org/v1\n-> "), bytes.Repeat([]byte("A"), 1<<20)...)},
	}
	for _, g := range garbage {
		t.Run(g.name, func(t *testing.T) {
			if _, err := envelope.OpenSlot(g.in, u.ids...); !errors.Is(err, envelope.ErrMalformed) {
				t.Errorf("OpenSlot: %v, want ErrMalformed", err)
			}
			if _, err := envelope.Decrypt(io.Discard, bytes.NewReader(g.in), k); !errors.Is(err, envelope.ErrMalformed) {
				t.Errorf("Decrypt: %v, want ErrMalformed", err)
			}
			if _, err := envelope.OpenPrivate(k, g.in); !errors.Is(err, envelope.ErrMalformed) {
				t.Errorf("OpenPrivate: %v, want ErrMalformed", err)
			}
			if _, err := rekeyTo(io.Discard, bytes.NewReader(g.in), k, map[string]age.Recipient{"u": u.r}); !errors.Is(err, envelope.ErrMalformed) {
				t.Errorf("Rekey: %v, want ErrMalformed", err)
			}
		})
	}

	// Intact age files whose plaintext is not exactly a document key.
	for name, plain := range map[string]string{
		"empty plaintext":     "",
		"not a key":           "hello",
		"key and more":        k.String() + "\nAGE-SECRET-KEY-1QQQ\n",
		"key with two lines":  k.String() + "\n\n",
		"key with space":      " " + k.String(),
		"recipient, not key":  "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
		"bad checksum":        badChecksum(k.String()),
		"lower case key":      strings.ToLower(k.String()),
		"long plaintext":      strings.Repeat("A", 5000),
		"plugin identity":     "AGE-PLUGIN-YUBIKEY-1QQQQQQ",
		"comment and the key": "# key\n" + k.String(),
	} {
		t.Run("slot/"+name, func(t *testing.T) {
			_, err := envelope.OpenSlot(encrypt(plain), u.ids...)
			if !errors.Is(err, envelope.ErrMalformed) {
				t.Fatalf("OpenSlot: %v, want ErrMalformed", err)
			}
			if strings.Contains(err.Error(), k.String()[20:40]) {
				t.Fatalf("error quotes the key: %v", err)
			}
		})
	}
	// Both forms the slot plaintext may take.
	for _, plain := range []string{k.String(), k.String() + "\n"} {
		if got, err := envelope.OpenSlot(encrypt(plain), u.ids...); err != nil || got.String() != k.String() {
			t.Errorf("OpenSlot(%q…) = %v", plain[:20], err)
		}
	}
}

func TestParseDocKey(t *testing.T) {
	for _, newKey := range []func() (*envelope.DocKey, error){envelope.NewDocKey, envelope.NewClassicDocKey} {
		k, err := newKey()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{k.String(), k.String() + "\n", k.String() + "\r\n"} {
			p, err := envelope.ParseDocKey(s)
			if err != nil || p.String() != k.String() || p.PostQuantum() != k.PostQuantum() {
				t.Fatalf("ParseDocKey: %v", err)
			}
			// Same public key: what one seals, the other opens.
			priv, err := envelope.SealPrivate(k, []byte("x"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := envelope.OpenPrivate(p, priv); err != nil || string(got) != "x" {
				t.Fatalf("parsed key does not open: %v", err)
			}
		}
		for _, s := range []string{"", "\n", k.String() + "\n\n", "\t" + k.String(), k.String() + " ", k.String()[:30], "AGE-SECRET-KEY-", "AGE-SECRET-KEY-PQ-1"} {
			if _, err := envelope.ParseDocKey(s); !errors.Is(err, envelope.ErrMalformed) {
				t.Errorf("ParseDocKey(%.20q) = %v, want ErrMalformed", s, err)
			}
		}
	}
}

func TestSealErrors(t *testing.T) {
	if _, err := sealTo(io.Discard, strings.NewReader("x"), nil); err == nil {
		t.Error("Seal with no recipients succeeded: nobody could open the document")
	}
	if _, err := sealTo(io.Discard, strings.NewReader("x"), map[string]age.Recipient{"u": nil}); err == nil {
		t.Error("Seal with a nil recipient succeeded")
	}
	u := newUser(t, "x25519")
	rs := map[string]age.Recipient{"u": u.r}
	readErr := errors.New("disk on fire")
	if _, err := sealTo(io.Discard, io.MultiReader(strings.NewReader("abc"), errReader{readErr}), rs); !errors.Is(err, readErr) {
		t.Errorf("Seal with a failing reader: %v", err)
	}
	writeErr := errors.New("network down")
	if _, err := sealTo(errWriter{writeErr}, strings.NewReader("abc"), rs); !errors.Is(err, writeErr) {
		t.Errorf("Seal with a failing writer: %v", err)
	}

	// Errors of the reader and writer given to Decrypt are theirs, not
	// evidence of tampering.
	s := seal(t, randomBytes(100<<10), map[string]*user{"u": u})
	half := io.MultiReader(bytes.NewReader(s.content[:len(s.content)/2]), errReader{readErr})
	if _, err := envelope.Decrypt(io.Discard, half, s.Key); !errors.Is(err, readErr) || isDetected(err) {
		t.Errorf("Decrypt with a failing reader: %v", err)
	}
	if _, err := envelope.Decrypt(errWriter{writeErr}, bytes.NewReader(s.content), s.Key); !errors.Is(err, writeErr) || isDetected(err) {
		t.Errorf("Decrypt with a failing writer: %v", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type errWriter struct{ err error }

func (w errWriter) Write([]byte) (int, error) { return 0, w.err }

func TestPrivateLimit(t *testing.T) {
	k, err := envelope.NewDocKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := envelope.SealPrivate(k, make([]byte, envelope.MaxPrivateSize+1)); err == nil {
		t.Error("SealPrivate accepted more than MaxPrivateSize")
	}
	big, err := envelope.SealPrivate(k, make([]byte, envelope.MaxPrivateSize))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := envelope.OpenPrivate(k, big); err != nil || len(got) != envelope.MaxPrivateSize {
		t.Fatalf("OpenPrivate at the limit: %d bytes, %v", len(got), err)
	}
	// A larger file made by someone else is refused, not read into memory.
	var b bytes.Buffer
	w, _ := age.Encrypt(&b, k.Recipient())
	w.Write(make([]byte, envelope.MaxPrivateSize+1))
	w.Close()
	if _, err := envelope.OpenPrivate(k, b.Bytes()); !errors.Is(err, envelope.ErrMalformed) {
		t.Errorf("OpenPrivate over the limit: %v, want ErrMalformed", err)
	}
}

// sealedDoc is a document sealed by the tests' helpers: the deposit's key and
// slots and the content's digests.
type sealedDoc struct {
	Key   *envelope.DocKey
	Slots map[string][]byte
	envelope.Digest
}

// sealTo is NewDeposit then Encrypt: the primitives under Deposit.Seal,
// without the protocol's private metadata.
func sealTo(dst io.Writer, src io.Reader, rs map[string]age.Recipient, opts ...envelope.Option) (*sealedDoc, error) {
	d, err := envelope.NewDeposit(rs, opts...)
	if err != nil {
		return nil, err
	}
	dg, err := envelope.Encrypt(dst, src, d.Key)
	if err != nil {
		return nil, err
	}
	return &sealedDoc{Key: d.Key, Slots: d.Slots, Digest: dg}, nil
}

// rekeyTo is NewDeposit then Reencrypt.
func rekeyTo(dst io.Writer, src io.Reader, old *envelope.DocKey, rs map[string]age.Recipient, opts ...envelope.Option) (*sealedDoc, error) {
	d, err := envelope.NewDeposit(rs, opts...)
	if err != nil {
		return nil, err
	}
	dg, err := envelope.Reencrypt(dst, src, old, d.Key)
	if err != nil {
		return nil, err
	}
	return &sealedDoc{Key: d.Key, Slots: d.Slots, Digest: dg}, nil
}
