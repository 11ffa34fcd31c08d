package inbrowser

import (
	"bytes"
	"encoding/hex"

	"github.com/amana-vault/amana/envelope"
)

// ErrIntegrity is returned when a document is not what was deposited: what
// was decrypted must be thrown away.
var ErrIntegrity = envelope.ErrIntegrity

// Sealed is a deposit sealed in the browser, ready to upload: key slots,
// the content as an age file, the sealed private metadata and the
// ciphertext's SHA-256, as the multipart parts meta, content and final
// carry them.
type Sealed struct {
	Slots        map[string][]byte
	Content      []byte
	Private      []byte
	CipherSHA256 string
	PlainSHA256  string
}

// Seal is the document protocol's deposit (envelope.NewDeposit and
// Deposit.Seal), as the command line does it, for recipients given as user
// id → age recipient.
func Seal(recipients map[string]string, private map[string]any, plain []byte) (*Sealed, error) {
	rs, err := envelope.ParseRecipients(recipients)
	if err != nil {
		return nil, err
	}
	dep, err := envelope.NewDeposit(rs)
	if err != nil {
		return nil, err
	}
	var ct bytes.Buffer
	s, err := dep.Seal(&ct, bytes.NewReader(plain), private)
	if err != nil {
		return nil, err
	}
	return &Sealed{
		Slots:        dep.Slots,
		Content:      ct.Bytes(),
		Private:      s.Private,
		CipherSHA256: hex.EncodeToString(s.CipherSHA256[:]),
		PlainSHA256:  hex.EncodeToString(s.PlainSHA256[:]),
	}, nil
}

// Opened is a document decrypted and verified in the browser.
type Opened struct {
	Plain       []byte
	Private     map[string]any
	PlainSHA256 string
}

// Open is the document protocol's open (envelope.OpenSlot and
// envelope.Open): the caller's key slot, the sealed private metadata and the
// content, checked against the deposit record's ciphertext SHA-256 (hex).
func (k *Keyring) Open(slot, private, content []byte, cipherSHA256 string) (*Opened, error) {
	ids, err := k.identities()
	if err != nil {
		return nil, err
	}
	key, err := envelope.OpenSlot(slot, ids...)
	if err != nil {
		return nil, err
	}
	var pt bytes.Buffer
	o, err := envelope.Open(&pt, bytes.NewReader(content), key, private, cipherSHA256)
	if err != nil {
		return nil, err
	}
	return &Opened{Plain: pt.Bytes(), Private: o.Private, PlainSHA256: hex.EncodeToString(o.PlainSHA256[:])}, nil
}
