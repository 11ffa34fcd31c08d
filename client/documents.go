package client

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/crypto/ssh"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/manifest"
)

// Limits on what the client accepts from a server.
const (
	maxSlot    = 16 << 10
	maxPrivate = 1 << 20
)

// DepositRequest describes a deposit. Public metadata must already be
// redacted: the server refuses personal data it still finds.
type DepositRequest struct {
	Collection string
	Kind       string
	Public     PublicMeta
	Consent    Consent
	// Private is the private metadata (file name, persons, places,
	// contacts, notes). It is encrypted with the content; the client adds
	// the plaintext's SHA-256 and size to it.
	Private map[string]any
	// To lists users, beyond the depositor and the custodians, who get a
	// key slot at once (members whose role the consent covers).
	To []string
	// Content is the document's plaintext, streamed.
	Content io.Reader
	// Classic makes the document key X25519 instead of post-quantum.
	Classic bool
	// Depositor is the caller's user id, and Signer its signing key: the
	// deposit's manifest is signed with it (manifest.Sign). Empty: the
	// client's User and Signer.
	Depositor string
	Signer    ssh.Signer
	// Sign, if set instead of Signer, signs the manifest's bytes (for keys
	// only OpenSSH can use, such as hardware keys).
	Sign func(manifest []byte) ([]byte, error)
}

// Deposited is the result of a deposit.
type Deposited struct {
	Document *Document
	Digest   envelope.Digest
}

// Deposit seals req.Content on this machine to a fresh document key, with a
// key slot for the depositor and every custodian whose role the consent
// covers (the server names them) and for req.To, and streams it to the
// server. The server sees only ciphertext. A depositor whose role the
// consent does not cover (a researcher without research) holds no slot.
func (c *Client) Deposit(ctx context.Context, req DepositRequest) (*Deposited, error) {
	p, err := c.prepareDeposit(ctx, &req)
	if err != nil {
		return nil, err
	}
	var digest envelope.Digest
	doc := new(Document)
	err = c.upload(ctx, http.MethodPost, "/v1/documents", "", p.meta(), func(w io.Writer) (map[string]any, error) {
		s, err := p.dep.Seal(w, req.Content, req.Private)
		if err != nil {
			return nil, err
		}
		digest = s.Digest
		p.seal(s)
		return p.final(&req, c.now())
	}, doc)
	if err != nil {
		return nil, err
	}
	return &Deposited{Document: doc, Digest: digest}, nil
}

// preparedDeposit is a deposit whose key slots are made: what its requests
// carry besides the ciphertext. It holds no secret once sealed (the
// document key is dropped), so a resumable deposit keeps it on disk.
type preparedDeposit struct {
	dep     *envelope.Deposit
	ID      string            `json:"id"`
	Public  json.RawMessage   `json:"public"` // as signed: its bytes must not change
	Consent Consent           `json:"consent"`
	Slots   map[string][]byte `json:"slots"`
	// From the request, for the manifest.
	Collection    string   `json:"collection"`
	Kind          string   `json:"kind"`
	Depositor     string   `json:"depositor"`
	PublicSHA256  string   `json:"public_sha256"`
	ConsentScopes []string `json:"consent_scopes"`
	// From sealing.
	Digest       envelope.Digest `json:"digest"`
	CipherSHA256 string          `json:"cipher_sha256"`
	Private      []byte          `json:"private"`
	Commitment   string          `json:"commitment"`
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// prepareDeposit fetches and checks the recipients of req and makes the
// document key and its slots.
func (c *Client) prepareDeposit(ctx context.Context, req *DepositRequest) (*preparedDeposit, error) {
	recips, err := c.Recipients(ctx, req.Collection, req.Consent.Scopes...)
	if err != nil {
		return nil, err
	}
	if len(recips) == 0 && len(req.To) == 0 {
		return nil, fmt.Errorf("the consent (%s) covers neither you nor any custodian of %s: nobody could read the document", strings.Join(req.Consent.Scopes, ", "), req.Collection)
	}
	for _, id := range req.To {
		r, err := c.UserRecipient(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("recipient of %s: %w", id, err)
		}
		recips[id] = r
	}
	rs, err := envelope.ParseRecipients(recips)
	if err != nil {
		return nil, err
	}
	var opts []envelope.Option
	if req.Classic {
		opts = append(opts, envelope.Classic())
	}
	dep, err := envelope.NewDeposit(rs, opts...)
	if err != nil {
		return nil, err
	}
	if req.Depositor == "" {
		req.Depositor = c.User
	}
	if req.Signer == nil && req.Sign == nil {
		req.Signer = c.Signer
	}
	if req.Signer == nil && req.Sign == nil {
		return nil, errors.New("a deposit must be signed: no signing key")
	}
	public, err := json.Marshal(req.Public)
	if err != nil {
		return nil, err
	}
	consent := req.Consent
	consent.Scopes = slices.Compact(slices.Sorted(slices.Values(consent.Scopes)))
	id := newDocID()
	return &preparedDeposit{
		dep: dep, ID: id, Public: public, Consent: consent, Slots: dep.Slots,
		Collection: req.Collection, Kind: req.Kind, Depositor: req.Depositor,
		PublicSHA256: manifest.PublicSHA256(public), ConsentScopes: consent.Scopes,
	}, nil
}

// meta is the deposit's meta part.
func (p *preparedDeposit) meta() map[string]any {
	return map[string]any{
		"id": p.ID, "collection": p.Collection, "kind": p.Kind, "public": p.Public, "consent": p.Consent, "slots": p.Slots,
	}
}

// seal records what sealing produced, and forgets the document key.
func (p *preparedDeposit) seal(s *envelope.Sealed) {
	p.Digest = s.Digest
	p.CipherSHA256 = hex.EncodeToString(s.CipherSHA256[:])
	p.Private = s.Private
	p.Commitment = s.Commitment
	p.dep = nil
}

// final signs the deposit's manifest, dated now, and returns the final part.
func (p *preparedDeposit) final(req *DepositRequest, now time.Time) (map[string]any, error) {
	m := &manifest.Manifest{
		Format: manifest.Format, ID: p.ID, Collection: p.Collection, Kind: p.Kind,
		Depositor: p.Depositor, DepositedAt: manifest.FormatTime(now),
		CipherSHA256:    p.CipherSHA256,
		PlainCommitment: p.Commitment,
		PublicSHA256:    p.PublicSHA256,
		ConsentScopes:   p.ConsentScopes,
	}
	var sig []byte
	var err error
	if req.Signer != nil {
		sig, err = manifest.Sign(m, req.Signer)
	} else if err = m.Check(); err == nil {
		sig, err = req.Sign(m.Bytes())
	}
	if err != nil {
		return nil, fmt.Errorf("signing the deposit: %w", err)
	}
	return map[string]any{"cipher_sha256": m.CipherSHA256, "private": p.Private,
		"manifest": string(m.Bytes()), "manifest_sig": string(sig)}, nil
}

// newDocID returns a fresh document id: 128 random bits as 26 lower-case
// base32 characters, the form the server gives its own ids.
func newDocID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// upload sends a multipart deposit or rekey: meta, then the content that
// write produces, then the final part write returns (the ciphertext hash,
// the sealed private metadata, the signed manifest).
func (c *Client) upload(ctx context.Context, method, path, totp string, meta any, write func(io.Writer) (map[string]any, error), out any) error {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(func() error {
			if err := writeJSONPart(mw, "meta", meta); err != nil {
				return err
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", `form-data; name="content"; filename="content.age"`)
			h.Set("Content-Type", "application/octet-stream")
			part, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			final, err := write(part)
			if err != nil {
				return err
			}
			if err := writeJSONPart(mw, "final", final); err != nil {
				return err
			}
			return mw.Close()
		}())
	}()
	req := request{method: method, path: path, raw: pr, contentType: mw.FormDataContentType()}
	resp, err := c.send(ctx, req, totp)
	if err != nil {
		pr.CloseWithError(err)
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		pr.CloseWithError(errors.New("server refused the upload"))
		return readError(resp)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}

func writeJSONPart(mw *multipart.Writer, name string, v any) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, name))
	h.Set("Content-Type", "application/json")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	return json.NewEncoder(w).Encode(v)
}

func docPath(id string, rest ...string) string {
	p := "/v1/documents/" + url.PathEscape(id)
	for _, r := range rest {
		p += "/" + r
	}
	return p
}

// Document returns a document's public metadata, consent and custody.
func (c *Client) Document(ctx context.Context, id string) (*Document, error) {
	var d Document
	return &d, c.call(ctx, request{method: http.MethodGet, path: docPath(id)}, &d)
}

// OpenKey fetches the caller's key slot and opens it with ids.
func (c *Client) OpenKey(ctx context.Context, id string, ids []age.Identity) (*envelope.DocKey, error) {
	slot, err := c.bytesOf(ctx, docPath(id, "keyslot"), maxSlot)
	if err != nil {
		return nil, err
	}
	return envelope.OpenSlot(slot, ids...)
}

// Private fetches and decrypts a document's private metadata with key;
// nil if it has none.
func (c *Client) Private(ctx context.Context, id string, key *envelope.DocKey) (map[string]any, error) {
	enc, err := c.bytesOf(ctx, docPath(id, "private"), maxPrivate)
	if err != nil {
		return nil, err
	}
	return envelope.OpenPrivateMeta(key, enc)
}

// ErrIntegrity is returned by Get when a hash does not match: the output
// must be discarded.
var ErrIntegrity = envelope.ErrIntegrity

// Got is the result of Get.
type Got struct {
	Document *Document
	Private  map[string]any
	Digest   envelope.Digest
	// Manifest is the deposit's signed manifest, verified with
	// DepositorKey, the signing key bound to the depositor when the
	// deposit was recorded (authorized_keys form).
	Manifest     *manifest.Manifest
	DepositorKey string
}

// Get downloads a document, decrypts it into dst on this machine and
// verifies both the ciphertext hash (recorded at deposit) and the
// plaintext hash (sealed in the private metadata). On error, dst holds
// partial or unverified data and must be discarded.
func (c *Client) Get(ctx context.Context, id string, ids []age.Identity, dst io.Writer) (*Got, error) {
	doc, err := c.Document(ctx, id)
	if err != nil {
		return nil, err
	}
	key, err := c.OpenKey(ctx, id, ids)
	if err != nil {
		return nil, err
	}
	priv, err := c.bytesOf(ctx, docPath(id, "private"), maxPrivate)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: docPath(id, "content")})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m, signingKey, err := c.verifyManifest(ctx, doc)
	if err != nil {
		return nil, err
	}
	o, err := envelope.Open(dst, resp.Body, key, priv, doc.CipherSHA256, m)
	if err != nil {
		return nil, err
	}
	return &Got{Document: doc, Private: o.Private, Digest: o.Digest, Manifest: m, DepositorKey: signingKey}, nil
}

// Content opens the raw ciphertext (an age file) of a document.
func (c *Client) Content(ctx context.Context, id string) (io.ReadCloser, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: docPath(id, "content")})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// KeySlot returns the caller's raw key slot (an age file).
func (c *Client) KeySlot(ctx context.Context, id string) ([]byte, error) {
	return c.bytesOf(ctx, docPath(id, "keyslot"), maxSlot)
}

// Grant gives user a key slot: the caller opens its own slot here and
// wraps the document key for the user's recipient. The content is not
// touched, so it costs the same for any document size.
func (c *Client) Grant(ctx context.Context, id, user string, ids []age.Identity) error {
	key, err := c.OpenKey(ctx, id, ids)
	if err != nil {
		return err
	}
	rs, err := c.UserRecipient(ctx, user)
	if err != nil {
		return err
	}
	slot, err := envelope.WrapFor(key, user, rs)
	if err != nil {
		return err
	}
	return c.call(ctx, request{method: http.MethodPost, path: docPath(id, "grants"), body: map[string]any{"user": user, "slot": slot}, stepUp: true}, nil)
}

// Revoke removes user's key slot.
func (c *Client) Revoke(ctx context.Context, id, user string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: docPath(id, "grants", url.PathEscape(user)), stepUp: true}, nil)
}

// Shred destroys a document (admins, after consent is withdrawn).
func (c *Client) Shred(ctx context.Context, id string) error {
	return c.call(ctx, request{method: http.MethodPost, path: docPath(id, "shred"), stepUp: true}, nil)
}

// Rekey re-encrypts a document under a new document key for its current
// slot holders, streaming: the content is downloaded, decrypted and
// re-encrypted on this machine and uploaded again. After a revocation,
// the revoked user's copy of the old key no longer opens what is stored.
func (c *Client) Rekey(ctx context.Context, id string, ids []age.Identity) (*Document, error) {
	doc, err := c.rekey(ctx, id, ids, "")
	var e *Error
	if errors.As(err, &e) && e.Code == "step_up_required" && c.TOTP != nil {
		code, terr := c.TOTP()
		if terr != nil {
			return nil, terr
		}
		return c.rekey(ctx, id, ids, code)
	}
	return doc, err
}

func (c *Client) rekey(ctx context.Context, id string, ids []age.Identity, totp string) (*Document, error) {
	doc, err := c.Document(ctx, id)
	if err != nil {
		return nil, err
	}
	old, err := c.OpenKey(ctx, id, ids)
	if err != nil {
		return nil, err
	}
	priv, err := c.Private(ctx, id, old)
	if err != nil {
		return nil, err
	}
	recips := map[string]string{}
	for _, u := range doc.SlotHolders {
		if recips[u], err = c.UserRecipient(ctx, u); err != nil {
			return nil, fmt.Errorf("recipient of %s: %w", u, err)
		}
	}
	rs, err := envelope.ParseRecipients(recips)
	if err != nil {
		return nil, err
	}
	dep, err := envelope.NewDeposit(rs)
	if err != nil {
		return nil, err
	}
	src, err := c.Content(ctx, id)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	out := new(Document)
	m, err := c.VerifyManifest(ctx, doc)
	if err != nil {
		return nil, err
	}
	err = c.upload(ctx, http.MethodPut, docPath(id, "content"), totp, map[string]any{"slots": dep.Slots}, func(w io.Writer) (map[string]any, error) {
		s, err := dep.Rekey(w, src, old, priv, m)
		if err != nil {
			return nil, err
		}
		return map[string]any{"cipher_sha256": hex.EncodeToString(s.CipherSHA256[:]), "private": s.Private}, nil
	}, out)
	return out, err
}

// VerifyManifest checks a document's signed manifest: the signature with
// the signing key bound to the depositor when the vault recorded the
// deposit (its audit event, which holds the same manifest, and the
// binding in effect then, both proven against the audit log), and its
// fields against the document record (id, collection, kind, depositor,
// consent, the public metadata as signed). Readers then check the
// plaintext against its commitment (envelope.Open). A document without a
// valid manifest is refused.
func (c *Client) VerifyManifest(ctx context.Context, doc *Document) (*manifest.Manifest, error) {
	m, _, err := c.verifyManifest(ctx, doc)
	return m, err
}

// verifyManifest is VerifyManifest, also returning the depositor's signing
// key it used.
func (c *Client) verifyManifest(ctx context.Context, doc *Document) (*manifest.Manifest, string, error) {
	key, err := c.signingKeyAtDeposit(ctx, doc)
	if err != nil {
		return nil, "", err
	}
	m, err := manifest.VerifyRecord(manifest.Record{
		ID: doc.ID, Collection: doc.Collection, Kind: doc.Kind, Depositor: doc.Depositor, ConsentScopes: doc.Consent.Scopes,
		Manifest: []byte(doc.Manifest), ManifestSig: []byte(doc.ManifestSig), PublicSigned: doc.PublicSigned,
	}, key)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrIntegrity, err)
	}
	return m, key, nil
}

// signingKeyAtDeposit returns the signing public key that was bound to
// doc's depositor when the vault recorded doc's deposit: through c.Keys if
// it is a DepositKeyVerifier; else, with a KeyVerifier, the depositor's
// keys as it verifies them now; without one, as the audit log shows it,
// its proofs checked against the verifier key the server states.
func (c *Client) signingKeyAtDeposit(ctx context.Context, doc *Document) (string, error) {
	switch v := c.Keys.(type) {
	case DepositKeyVerifier:
		return v.VerifyDepositKey(ctx, c, doc)
	case nil:
		vkey, err := c.Verifier(ctx)
		if err != nil {
			return "", err
		}
		key, _, err := c.depositKey(ctx, doc, vkey, nil, nil)
		return key, err
	default:
		_, sk, err := v.VerifyKeys(ctx, c, doc.Depositor)
		return sk, err
	}
}
