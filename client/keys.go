package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/note"

	"github.com/amana-vault/amana/auditlog"
)

// Authentic keys. The client never uses a key only because the server sent
// it: before it encrypts to a user (a deposit, a grant, a rekey) or trusts
// a user's signature (a deposit's manifest), it asks its KeyVerifier.
// KeyPins, the verifier of the command line, checks that the audit log
// binds the keys to the user (auditlog.VerifyUserKeys: a checkpoint
// signed with the vault's verifier key, consistent with the last one the
// client saw, and the inclusion of the event that binds exactly these keys
// to exactly this user) and pins them, as ssh pins host keys in
// known_hosts: a key that differs from the pinned one stops the operation
// until the user accepts the change (KeyPins.Trust).
//
// A deposit's manifest is checked with the signing key that was bound to
// the depositor when the deposit was recorded, not with the depositor's
// key of today (DepositKeyVerifier): a change of keys leaves earlier
// deposits verifiable, and a key bound after a deposit cannot sign it.

// A KeyVerifier decides which keys of a user the client may use.
type KeyVerifier interface {
	// VerifyKeys returns the recipient to encrypt to and the signing key
	// ("" for none) to trust for user, or an error that stops the
	// operation. It may ask the server through c.
	VerifyKeys(ctx context.Context, c *Client, user string) (recipient, signingKey string, err error)
}

// KeyProof fetches user's keys with the proof that the audit log binds
// them, from since, the size of the newest checkpoint the caller verified
// before (0 for none). purpose is recorded in the server's audit log:
// "verify", "trust" or "".
func (c *Client) KeyProof(ctx context.Context, user string, since int64, purpose string) (*auditlog.UserKeys, error) {
	return c.keyProof(ctx, user, url.Values{}, since, purpose)
}

// KeyProofAt fetches the keys that were bound to user when event at was
// appended, with the proof (the latest binding before at, and the user's
// next binding, which shows none lies between), from since, the size of
// the newest checkpoint the caller verified before (0 for none); see
// CheckKeysAt.
func (c *Client) KeyProofAt(ctx context.Context, user string, at, since int64, purpose string) (*auditlog.UserKeys, error) {
	return c.keyProof(ctx, user, url.Values{"at": {strconv.FormatInt(at, 10)}}, since, purpose)
}

// keyProof asks GET /v1/users/{user}/keys with q, since and purpose.
func (c *Client) keyProof(ctx context.Context, user string, q url.Values, since int64, purpose string) (*auditlog.UserKeys, error) {
	if since > 0 {
		q.Set("since", strconv.FormatInt(since, 10))
	}
	if purpose != "" {
		q.Set("purpose", purpose)
	}
	var out auditlog.UserKeys
	err := c.call(ctx, request{method: http.MethodGet, path: "/v1/users/" + url.PathEscape(user) + "/keys", query: q}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DepositEvent fetches the audit event that recorded document id's
// deposit, which holds its signed manifest, with the proof that the log
// holds it, from since, the size of the newest checkpoint the caller
// verified before (0 for none); see CheckDepositEvent.
func (c *Client) DepositEvent(ctx context.Context, id string, since int64) (*auditlog.EventProof, error) {
	q := url.Values{}
	if since > 0 {
		q.Set("since", strconv.FormatInt(since, 10))
	}
	var out auditlog.EventProof
	if err := c.call(ctx, request{method: http.MethodGet, path: docPath(id, "manifest"), query: q}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// verifiedKeys returns user's keys through c.Keys, or as the server gives
// them when the client has no KeyVerifier.
func (c *Client) verifiedKeys(ctx context.Context, user string) (recipient, signingKey string, err error) {
	if c.Keys == nil {
		return c.serverKeys(ctx, user)
	}
	return c.Keys.VerifyKeys(ctx, c, user)
}

// KeyError stops an operation that needed a user's keys: they came without
// a valid proof that the audit log binds them to the user, or they differ
// from the keys pinned for the user.
type KeyError struct {
	User string
	// Pinned is what was pinned for User (nil: nothing); Got the keys the
	// server gave, when they were proven (nil otherwise).
	Pinned *PinnedKeys
	Got    *PinnedKeys
	Err    error
}

func (e *KeyError) Error() string {
	if e.Pinned != nil && e.Got != nil {
		return fmt.Sprintf("the keys of %s differ from the keys pinned for %s: %s", e.User, e.User, e.Err)
	}
	return fmt.Sprintf("the keys of %s are not proven by the audit log: %s", e.User, e.Err)
}

func (e *KeyError) Unwrap() error { return e.Err }

// ErrKeyChanged is the cause of a KeyError for keys that differ from the
// pinned ones.
var ErrKeyChanged = errors.New("key changed")

// PinnedKeys are the keys pinned for one user.
type PinnedKeys struct {
	Recipient  string `json:"recipient"`
	SigningKey string `json:"signing_key,omitempty"`
	// Seq is the binding event they were proven by.
	Seq      int64     `json:"seq"`
	PinnedAt time.Time `json:"pinned_at,omitzero"`
}

// Fingerprints returns how the pinned keys are shown: the recipient's and
// the signing key's fingerprints (see Fingerprint).
func (p *PinnedKeys) Fingerprints() (recipient, signingKey string) {
	return Fingerprint(p.Recipient), Fingerprint(p.SigningKey)
}

// Fingerprint returns the SHA-256 fingerprint of a public key, "SHA256:"
// and unpadded base64: for an SSH key (a signing key, or an SSH
// recipient), of its wire form, as ssh-keygen -l shows it; for an age
// recipient, of the recipient string. "" for "".
func Fingerprint(key string) string {
	if key == "" {
		return ""
	}
	if pub, _, _, _, err := ssh.ParseAuthorizedKey([]byte(key)); err == nil {
		return ssh.FingerprintSHA256(pub)
	}
	sum := sha256.Sum256([]byte(key))
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// CheckKeys is the whole check of a user's keys, without I/O, for any
// client (the command line through KeyPins, the browser with its own
// storage): it verifies k, the server's answer for user, with the vault's
// verifier key and last, the newest checkpoint the client kept (nil for
// none; see auditlog.VerifyUserKeys), and compares the keys with pinned,
// the keys pinned for user (nil for none). It returns the keys to pin
// (pinned, moved on to k's binding event, or new ones) and the checkpoint
// to keep (k's, when it is newer than last). A KeyError says why the keys
// cannot be used: no valid proof, keys that differ from the pinned ones,
// or a binding older than the pinned one.
func CheckKeys(user string, k *auditlog.UserKeys, verifierKey string, last []byte, pinned *PinnedKeys) (pin *PinnedKeys, keep []byte, err error) {
	b, cp, err := auditlog.VerifyUserKeys(k, user, verifierKey, last)
	if err != nil {
		return nil, nil, &KeyError{User: user, Pinned: pinned, Err: err}
	}
	got := &PinnedKeys{Recipient: k.Recipient, SigningKey: k.SigningKey, Seq: b.Seq}
	if pinned != nil {
		// An older binding is never accepted, not even as a change: it
		// may hold keys the user has since replaced.
		if b.Seq < pinned.Seq {
			return nil, nil, &KeyError{User: user, Pinned: pinned, Err: fmt.Errorf("the audit log gave event %d, older than event %d the keys were pinned from", b.Seq, pinned.Seq)}
		}
		if err := comparePin(pinned, got); err != nil {
			return nil, nil, &KeyError{User: user, Pinned: pinned, Got: got, Err: err}
		}
		got.PinnedAt = pinned.PinnedAt
	}
	keep = last
	if last == nil || lastSize(last, verifierKey) < cp.Size {
		keep = []byte(k.Checkpoint)
	}
	return got, keep, nil
}

// A DepositKeyVerifier decides which signing key a deposit's manifest is
// checked with: the one bound to the depositor when the deposit was
// recorded. KeyPins is one. A client whose KeyVerifier is not one checks
// manifests with the depositor's keys as VerifyKeys gives them now.
type DepositKeyVerifier interface {
	// VerifyDepositKey returns the signing key ("" for none) that was
	// bound to doc's depositor when the vault recorded doc's deposit, or
	// an error that stops the read. It may ask the server through c.
	VerifyDepositKey(ctx context.Context, c *Client, doc *Document) (signingKey string, err error)
}

// CheckDepositEvent is the first half of the check of the signing key a
// deposit's manifest is verified with, without I/O, for any client: it
// verifies dep, the server's answer for the audit event of doc's deposit
// (GET /v1/documents/{id}/manifest), with the vault's verifier key and
// last, the newest checkpoint the client kept (nil for none; see
// auditlog.VerifyEventProof), and that the event is the successful
// document.deposit of doc by its depositor and records exactly doc's
// manifest and signature. It returns the event's seq, at which the
// depositor's key is to be taken (CheckKeysAt), and the checkpoint to keep.
// A manifest other than the one the log recorded is an ErrIntegrity; an
// answer without a valid proof a KeyError about the depositor.
func CheckDepositEvent(doc *Document, dep *auditlog.EventProof, verifierKey string, last []byte) (seq int64, keep []byte, err error) {
	e, cp, err := auditlog.VerifyEventProof(dep, verifierKey, last)
	if err != nil {
		return 0, nil, &KeyError{User: doc.Depositor, Err: fmt.Errorf("the audit event of the deposit of %s: %w", doc.ID, err)}
	}
	switch {
	case e.Action != "document.deposit" || e.Outcome != auditlog.OutcomeOK || e.Doc != doc.ID:
		return 0, nil, &KeyError{User: doc.Depositor, Err: fmt.Errorf("event %d (%s of %q, %s) is not the deposit of %s", e.Seq, e.Action, e.Doc, e.Outcome, doc.ID)}
	case e.Actor != doc.Depositor:
		return 0, nil, fmt.Errorf("%w: the audit log records the deposit of %s by %q, not by %s (event %d)", ErrIntegrity, doc.ID, e.Actor, doc.Depositor, e.Seq)
	case e.Detail["manifest"] != doc.Manifest || e.Detail["manifest_sig"] != doc.ManifestSig:
		return 0, nil, fmt.Errorf("%w: the manifest of %s is not the one the audit log recorded at its deposit (event %d)", ErrIntegrity, doc.ID, e.Seq)
	}
	keep = last
	if last == nil || lastSize(last, verifierKey) < cp.Size {
		keep = []byte(dep.Checkpoint)
	}
	return e.Seq, keep, nil
}

// CheckKeysAt is the second half: it verifies k, the server's answer for
// the keys bound to user when event at was appended (KeyProofAt), with the
// vault's verifier key and last, the newest checkpoint the client kept
// (auditlog.VerifyUserKeysAt), and compares it with pinned, the keys
// pinned for user (nil for none): a pinned binding between k's and at, or
// after k's when the answer shows no later binding, refutes the answer (a
// server hiding a change of keys). Keys that differ from the pinned ones
// are not an error: the user's keys may have changed since. It returns the
// signing key bound at at ("" for none) and the checkpoint to keep.
func CheckKeysAt(user string, at int64, k *auditlog.UserKeys, verifierKey string, last []byte, pinned *PinnedKeys) (signingKey string, keep []byte, err error) {
	b, cp, err := auditlog.VerifyUserKeysAt(k, user, at, verifierKey, last)
	if err != nil {
		return "", nil, &KeyError{User: user, Err: err}
	}
	if pinned != nil && pinned.Seq > b.Seq {
		switch {
		case pinned.Seq < at:
			return "", nil, &KeyError{User: user, Pinned: pinned, Err: fmt.Errorf("the audit log gave event %d as the binding in effect at event %d, but the keys pinned were bound by event %d, between them", b.Seq, at, pinned.Seq)}
		case b.Next == nil:
			return "", nil, &KeyError{User: user, Pinned: pinned, Err: fmt.Errorf("the audit log gave no binding after event %d, but the keys pinned were bound by event %d", b.Seq, pinned.Seq)}
		}
	}
	keep = last
	if last == nil || lastSize(last, verifierKey) < cp.Size {
		keep = []byte(k.Checkpoint)
	}
	return b.SigningKey, keep, nil
}

// depositKey fetches and checks the signing key bound to doc's depositor
// at its deposit (CheckDepositEvent, then CheckKeysAt), from last, the
// newest checkpoint kept (nil for none), against pinned, the keys pinned
// for the depositor (nil for none). It returns the key and the checkpoint
// to keep.
func (c *Client) depositKey(ctx context.Context, doc *Document, verifierKey string, last []byte, pinned *PinnedKeys) (string, []byte, error) {
	since := int64(0)
	if last != nil {
		if since = lastSize(last, verifierKey); since < 0 {
			return "", nil, errors.New("the checkpoint kept does not verify with the verifier key")
		}
	}
	dep, err := c.DepositEvent(ctx, doc.ID, since)
	if err != nil {
		return "", nil, err
	}
	at, keep, err := CheckDepositEvent(doc, dep, verifierKey, last)
	if err != nil {
		return "", nil, err
	}
	k, err := c.KeyProofAt(ctx, doc.Depositor, at, lastSize(keep, verifierKey), "verify")
	if err != nil {
		return "", nil, &KeyError{User: doc.Depositor, Err: err}
	}
	return CheckKeysAt(doc.Depositor, at, k, verifierKey, keep, pinned)
}

// comparePin says how got differs from pinned, or nil.
func comparePin(pinned, got *PinnedKeys) error {
	var diffs []string
	if got.Recipient != pinned.Recipient {
		diffs = append(diffs, fmt.Sprintf("recipient %s, pinned %s", Fingerprint(got.Recipient), Fingerprint(pinned.Recipient)))
	}
	if got.SigningKey != pinned.SigningKey {
		fp := func(k string) string {
			if k == "" {
				return "none"
			}
			return Fingerprint(k)
		}
		diffs = append(diffs, fmt.Sprintf("signing key %s, pinned %s", fp(got.SigningKey), fp(pinned.SigningKey)))
	}
	if diffs == nil {
		return nil
	}
	return fmt.Errorf("%w (%s, bound by audit event %d)", ErrKeyChanged, strings.Join(diffs, "; "), got.Seq)
}

func lastSize(last []byte, verifierKey string) int64 {
	cp, err := auditlog.OpenCheckpoint(last, verifierKey)
	if err != nil {
		return -1
	}
	return cp.Size
}

// KeyPinsFile is the name of the pin file in a user's configuration
// directory.
const KeyPinsFile = "known_keys"

// KeyPins is the KeyVerifier of the command line. It keeps, in one file
// (mode 0600) and for each server, the vault's audit verifier key (given
// at login, or pinned when first used), the newest checkpoint the client
// verified, and each user's keys as first proven; see CheckKeys.
type KeyPins struct {
	// File is the pin file, e.g. $AMANA_CONFIG_DIR/known_keys.
	File string
	// Server names the vault in File: its base URL.
	Server string

	mu sync.Mutex
}

// knownKeys is the pin file.
type knownKeys struct {
	Servers map[string]*ServerPins `json:"servers"`
}

// ServerPins is what KeyPins keeps for one server.
type ServerPins struct {
	Verifier   string                 `json:"verifier"`
	Checkpoint string                 `json:"checkpoint,omitempty"`
	Users      map[string]*PinnedKeys `json:"users,omitempty"`
}

func (p *KeyPins) load() (*knownKeys, error) {
	var kk knownKeys
	data, err := os.ReadFile(p.File)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("pinned keys: %w", err)
	default:
		if err := json.Unmarshal(data, &kk); err != nil {
			return nil, fmt.Errorf("pinned keys: %s is damaged: %w", p.File, err)
		}
	}
	if kk.Servers == nil {
		kk.Servers = map[string]*ServerPins{}
	}
	return &kk, nil
}

// update applies fn to the server's pins, read afresh, and writes the file
// back atomically if fn succeeds.
func (p *KeyPins) update(fn func(s *ServerPins) error) error {
	kk, err := p.load()
	if err != nil {
		return err
	}
	s := kk.Servers[p.Server]
	if s == nil {
		s = &ServerPins{}
		kk.Servers[p.Server] = s
	}
	if err := fn(s); err != nil {
		return err
	}
	data, err := json.MarshalIndent(kk, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(p.File)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pinned keys: %w", err)
	}
	f, err := os.CreateTemp(dir, ".known_keys-*") // 0600
	if err != nil {
		return fmt.Errorf("pinned keys: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("pinned keys: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pinned keys: %w", err)
	}
	return os.Rename(f.Name(), p.File)
}

// Pins returns what is pinned for the server (empty if nothing).
func (p *KeyPins) Pins() (*ServerPins, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pins()
}

// ErrVerifierChanged is returned when the server's audit verifier key is
// not the one pinned or given.
var ErrVerifierChanged = errors.New("the vault's audit verifier key is not the one pinned")

// PinVerifier pins the vault's audit verifier key: given (out of band,
// e.g. printed by amana init), or, when given is "", the key the server
// states, if none is pinned yet. A given key that differs from the pinned
// one replaces it and forgets the server's pinned keys and checkpoint,
// which belong to another log; a server that states another key than the
// one pinned or given is refused (ErrVerifierChanged). It returns the
// pinned key.
func (p *KeyPins) PinVerifier(ctx context.Context, c *Client, given string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pinVerifier(ctx, c, given)
}

func (p *KeyPins) pinVerifier(ctx context.Context, c *Client, given string) (string, error) {
	given = strings.TrimSpace(given)
	if given != "" {
		if _, err := note.NewVerifier(given); err != nil {
			return "", fmt.Errorf("verifier key %q: %w", given, err)
		}
	}
	stated, err := c.Verifier(ctx)
	if err != nil {
		return "", err
	}
	var pinned string
	err = p.update(func(s *ServerPins) error {
		want := s.Verifier
		if given != "" {
			want = given
		}
		if want == "" {
			want = stated
		}
		if stated != want {
			return fmt.Errorf("%w: the server at %s states %s, expected %s", ErrVerifierChanged, p.Server, stated, want)
		}
		if s.Verifier != want {
			*s = ServerPins{Verifier: want}
		}
		pinned = want
		return nil
	})
	return pinned, err
}

// VerifyKeys implements KeyVerifier: it fetches user's keys with their
// proof, checks them (CheckKeys) and pins them on first use.
func (p *KeyPins) VerifyKeys(ctx context.Context, c *Client, user string) (string, string, error) {
	pin, err := p.Verify(ctx, c, user)
	if err != nil {
		return "", "", err
	}
	return pin.Recipient, pin.SigningKey, nil
}

// Verify checks user's keys against the audit log and the pin, pins them
// on first use, and returns them.
func (p *KeyPins) Verify(ctx context.Context, c *Client, user string) (*PinnedKeys, error) {
	_, pin, err := p.check(ctx, c, user, "verify", nil)
	return pin, err
}

// Trust accepts a change of user's keys: it fetches and verifies them
// against the audit log like Verify and, if they differ from the pinned
// ones, asks confirm (which shows both and gets the user's agreement after
// confirming the change out of band) before it replaces the pin. The
// request is recorded in the server's audit log as a "trust" read. It
// returns the keys pinned before (nil if none) and now.
func (p *KeyPins) Trust(ctx context.Context, c *Client, user string, confirm func(old, new *PinnedKeys) error) (old, now *PinnedKeys, err error) {
	return p.check(ctx, c, user, "trust", confirm)
}

// check fetches and verifies user's keys, and pins them. With accept, keys
// that differ from the pinned ones replace them if accept agrees. It
// returns the keys pinned before (nil if none) and now.
func (p *KeyPins) check(ctx context.Context, c *Client, user, purpose string, accept func(pinned, got *PinnedKeys) error) (before, now *PinnedKeys, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.pins()
	if err != nil {
		return nil, nil, err
	}
	verifier := s.Verifier
	if verifier == "" {
		if verifier, err = p.pinVerifier(ctx, c, ""); err != nil {
			return nil, nil, err
		}
	}
	var last []byte
	since := int64(0)
	if s.Checkpoint != "" {
		last = []byte(s.Checkpoint)
		if since = lastSize(last, verifier); since < 0 {
			return nil, nil, fmt.Errorf("the checkpoint kept in %s does not verify with the pinned verifier key", p.File)
		}
	}
	k, err := c.KeyProof(ctx, user, since, purpose)
	if err != nil {
		return nil, nil, &KeyError{User: user, Err: err}
	}
	var out *PinnedKeys
	err = p.update(func(s *ServerPins) error {
		if s.Verifier != verifier {
			return fmt.Errorf("%w: it changed in %s during the check", ErrVerifierChanged, p.File)
		}
		pinned := s.Users[user]
		before = pinned
		pin, keep, err := CheckKeys(user, k, verifier, last, pinned)
		var ke *KeyError
		if accept != nil && errors.Is(err, ErrKeyChanged) && errors.As(err, &ke) {
			if err := accept(ke.Pinned, ke.Got); err != nil {
				return err
			}
			pin, keep, err = CheckKeys(user, k, verifier, last, nil)
		}
		if err != nil {
			return err
		}
		if pin.PinnedAt.IsZero() {
			pin.PinnedAt = time.Now().UTC().Truncate(time.Second)
		}
		if s.Users == nil {
			s.Users = map[string]*PinnedKeys{}
		}
		s.Users[user] = pin
		// Another process may have kept a newer checkpoint meanwhile.
		if lastSize(keep, verifier) > lastSize([]byte(s.Checkpoint), verifier) {
			s.Checkpoint = string(keep)
		}
		out = pin
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return before, out, nil
}

// VerifyDepositKey implements DepositKeyVerifier: it fetches the audit
// event of doc's deposit and the keys bound to the depositor then, with
// their proofs, checks them against the pinned verifier key, the
// checkpoint kept and the depositor's pin (CheckDepositEvent,
// CheckKeysAt), and keeps the newer checkpoint. The keys pinned are not
// changed: a depositor's current keys that differ from the ones bound at
// the deposit are no reason to refuse it (they still need Trust before
// they are used).
func (p *KeyPins) VerifyDepositKey(ctx context.Context, c *Client, doc *Document) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.pins()
	if err != nil {
		return "", err
	}
	verifier := s.Verifier
	if verifier == "" {
		if verifier, err = p.pinVerifier(ctx, c, ""); err != nil {
			return "", err
		}
	}
	var last []byte
	if s.Checkpoint != "" {
		last = []byte(s.Checkpoint)
		if lastSize(last, verifier) < 0 {
			return "", fmt.Errorf("the checkpoint kept in %s does not verify with the pinned verifier key", p.File)
		}
	}
	key, keep, err := c.depositKey(ctx, doc, verifier, last, s.Users[doc.Depositor])
	if err != nil {
		return "", err
	}
	err = p.update(func(s *ServerPins) error {
		if s.Verifier != verifier {
			return fmt.Errorf("%w: it changed in %s during the check", ErrVerifierChanged, p.File)
		}
		if lastSize(keep, verifier) > lastSize([]byte(s.Checkpoint), verifier) {
			s.Checkpoint = string(keep)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// pins returns the server's pins as the file holds them now.
func (p *KeyPins) pins() (*ServerPins, error) {
	kk, err := p.load()
	if err != nil {
		return nil, err
	}
	if s := kk.Servers[p.Server]; s != nil {
		return s, nil
	}
	return &ServerPins{}, nil
}

// checkRecipients checks recips, recipients by user id as the server
// gave them, against c.Keys.
func (c *Client) checkRecipients(ctx context.Context, recips map[string]string) error {
	for _, id := range slices.Sorted(maps.Keys(recips)) {
		r, _, err := c.Keys.VerifyKeys(ctx, c, id)
		if err != nil {
			return err
		}
		if r != recips[id] {
			return &KeyError{User: id, Err: errors.New("the server named another recipient for this deposit than the one the audit log binds")}
		}
	}
	return nil
}
