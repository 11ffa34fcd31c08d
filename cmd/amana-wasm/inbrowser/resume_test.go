package inbrowser

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// A deposit resumed after a reload (StartDeposit with a Resume: the
// depositor's slot and the age file's head) makes the same ciphertext as
// the first one, wraps the key for the recipients of the new request, and signs a
// deposit that opens; an identity that does not open the slot, or a head
// that is not the deposit's, cannot resume.
func TestResumeDepositMakesTheSameFile(t *testing.T) {
	users := demoUsers(t)
	k := signingKey(t, "r.ahmed")
	plain := bytes.Repeat([]byte("a long recording, cut by a reload of the page\n"), 20000)
	req := DepositRequest{
		Recipients: map[string]string{"r.ahmed": users["r.ahmed"].Recipient},
		Private:    map[string]any{"file_name": "interview.m4a"},
		Collection: "kirkuk-2018", Kind: "interview", Depositor: "r.ahmed",
		ConsentScopes: []string{"research"},
		Public:        []byte(`{"title":"A recording","language":"en"}`),
	}
	write := func(d *StreamDeposit, slice int) (content []byte, at map[int64][32]byte) {
		at = map[int64][32]byte{}
		head, err := d.Write(nil)
		if err != nil {
			t.Fatal(err)
		}
		content = append(content, head...)
		for rest := plain; len(rest) > 0; {
			n := min(len(rest), slice)
			ct, err := d.Write(rest[:n])
			if err != nil {
				t.Fatal(err)
			}
			content = append(content, ct...)
			rest = rest[n:]
			w, sum := d.Written()
			if w != int64(len(content)) {
				t.Fatalf("Written says %d bytes, %d were made", w, len(content))
			}
			at[w] = sum
		}
		return content, at
	}
	first, err := k.StartDeposit(req, int64(len(plain)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	content1, at1 := write(first, 256<<10)
	s1, err := first.Finish(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	content1 = append(content1, s1.Content...)
	headLen := len(content1) - len(plain) - (len(plain)+65535)/65536*16
	head := content1[:headLen]

	// After the reload the collection has a custodian too.
	req.Recipients["l.custodian"] = users["l.custodian"].Recipient
	ring := keyring(t, users["r.ahmed"])
	again, err := k.StartDeposit(req, int64(len(plain)), ring, &Resume{Slot: s1.Slots["r.ahmed"], Head: head})
	if err != nil {
		t.Fatal(err)
	}
	if again.Length != first.Length || len(again.Slots()) != 2 {
		t.Fatalf("resumed deposit of %d bytes with %d slots, want %d and 2", again.Length, len(again.Slots()), first.Length)
	}
	content2, at2 := write(again, 256<<10)
	for w, sum := range at1 {
		if at2[w] != sum {
			t.Fatalf("at %d bytes the resumed ciphertext hashes differently", w)
		}
	}
	s2, err := again.Finish(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	content2 = append(content2, s2.Content...)
	if !bytes.Equal(content1, content2) || s1.CipherSHA256 != s2.CipherSHA256 {
		t.Fatal("the resumed deposit made another file")
	}
	rec, _ := json.Marshal(map[string]any{
		"id": s2.ID, "collection": "kirkuk-2018", "kind": "interview", "depositor": "r.ahmed",
		"cipher_sha256": s2.CipherSHA256, "consent": map[string]any{"scopes": []string{"research"}},
		"manifest": string(s2.Manifest), "manifest_sig": string(s2.ManifestSig), "public_signed": json.RawMessage(s2.Public),
	})
	o, err := keyring(t, users["l.custodian"]).OpenDocument(s2.Slots["l.custodian"], s2.Private, content2, rec, k.PublicKey())
	if err != nil || !bytes.Equal(o.Plain, plain) || o.Private["file_name"] != "interview.m4a" {
		t.Fatalf("opening the resumed deposit as the new custodian: %v", err)
	}

	// Another user's identity does not open r.ahmed's slot.
	if _, err := k.StartDeposit(req, int64(len(plain)), keyring(t, users["r.hassan"]), &Resume{Slot: s1.Slots["r.ahmed"], Head: head}); ErrorCode(err) != "wrong_identity" {
		t.Errorf("resumed with another identity: %v", err)
	}
	// No identity loaded, nothing kept, another deposit's head.
	if _, err := k.StartDeposit(req, int64(len(plain)), nil, &Resume{Slot: s1.Slots["r.ahmed"], Head: head}); err == nil {
		t.Error("resumed without an identity")
	}
	if _, err := k.StartDeposit(req, int64(len(plain)), ring, &Resume{}); err == nil {
		t.Error("resumed from nothing")
	}
	other, _ := k.StartDeposit(req, 1, nil, nil)
	otherHead, _ := other.Write(nil)
	if _, err := k.StartDeposit(req, int64(len(plain)), ring, &Resume{Slot: s1.Slots["r.ahmed"], Head: otherHead}); ErrorCode(err) != "wrong_identity" {
		t.Errorf("resumed with another deposit's head: %v", err)
	}
}
