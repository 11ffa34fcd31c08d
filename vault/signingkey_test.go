package vault

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/sshsig"
)

func newSigningKey(t testing.TB) string {
	t.Helper()
	_, pub, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestSigningKeys: a user's signing public key is validated, stored without
// its comment, changed and removed by admins only, shown with the
// recipient, and every change is audited with the key, which the log binds
// to the user (auditlog.KeyBinding).
func TestSigningKeys(t *testing.T) {
	f := newFixture(t)
	a := f.admin.caller()
	key := newSigningKey(t)
	var u *User
	var err error
	e := f.expectEvent(t, f.admin.id, "user.create", "ok", func() {
		u, _, err = f.v.AddUser(a, NewUser{ID: "r.signer", Role: RoleResearcher, Recipient: f.r3.recipient, SigningKey: "  " + key + " rania@laptop\n"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if u.SigningKey != key {
		t.Errorf("stored %q, want %q without the comment", u.SigningKey, key)
	}
	if e.Detail[auditlog.DetailSigningKey] != key || e.Detail["role"] != RoleResearcher {
		t.Errorf("user.create detail %v, want signing_key %s", e.Detail, key)
	}

	// Fellow members see it next to the recipient; a user sees its own.
	if _, err := f.v.UpdateCollection(a, "kirkuk-2018", CollectionUpdate{AddMembers: []string{"r.signer"}}); err != nil {
		t.Fatal(err)
	}
	rcpt, sk, err := f.v.UserKeys(f.r1.caller(), "r.signer")
	if err != nil || rcpt != f.r3.recipient || sk != key {
		t.Errorf("UserKeys: %q %q %v", rcpt, sk, err)
	}
	if r, err := f.v.UserRecipient(f.r1.caller(), "r.signer"); err != nil || r != f.r3.recipient {
		t.Errorf("UserRecipient: %q %v", r, err)
	}
	if _, sk, err := f.v.UserKeys(f.r1.caller(), f.r2.id); err != nil || sk != "" {
		t.Errorf("a user without a signing key: %q %v", sk, err)
	}
	if _, _, err := f.v.UserKeys(f.r3.caller(), "r.signer"); !isErr(err, ErrNotFound) && !isErr(err, ErrForbidden) {
		t.Errorf("UserKeys by an outsider: %v", err)
	}
	if got, err := f.v.GetUser(Caller{User: "r.signer"}, "r.signer"); err != nil || got.SigningKey != key {
		t.Errorf("GetUser: %+v %v", got, err)
	}

	// Changed, refused, removed.
	key2 := newSigningKey(t)
	e = f.expectEvent(t, f.admin.id, "user.update", "ok", func() {
		u, err = f.v.UpdateUser(a, "r.signer", UserUpdate{SigningKey: &key2})
	})
	if err != nil || u.SigningKey != key2 || e.Detail[auditlog.DetailSigningKey] != key2 || e.Detail[auditlog.DetailOldSigningKey] != key {
		t.Errorf("change: %+v %v, detail %v", u, err, e.Detail)
	}
	for _, bad := range []string{"ssh-ed25519 AAAA", "sk-ssh-ed25519@openssh.com AAAA", f.admin.recipient, "-----BEGIN OPENSSH PRIVATE KEY-----"} {
		_, err := f.v.UpdateUser(a, "r.signer", UserUpdate{SigningKey: &bad})
		var inv *InvalidError
		if !errors.As(err, &inv) || inv.Field != "signing_key" {
			t.Errorf("signing key %.30q: %v", bad, err)
		}
		if _, _, err := f.v.AddUser(a, NewUser{ID: "r.bad", Role: RoleResearcher, Recipient: f.r3.recipient, SigningKey: bad}); !isInvalidErr(err) {
			t.Errorf("AddUser with signing key %.30q: %v", bad, err)
		}
	}
	if _, err := f.v.UpdateUser(f.r1.caller(), "r.signer", UserUpdate{SigningKey: &key}); !isErr(err, ErrForbidden) {
		t.Errorf("a researcher changed a signing key: %v", err)
	}
	empty := ""
	e = f.expectEvent(t, f.admin.id, "user.update", "ok", func() {
		u, err = f.v.UpdateUser(a, "r.signer", UserUpdate{SigningKey: &empty})
	})
	if _, set := e.Detail[auditlog.DetailSigningKey]; err != nil || u.SigningKey != "" || set || e.Detail[auditlog.DetailOldSigningKey] != key2 {
		t.Errorf("remove: %+v %v, detail %v", u, err, e.Detail)
	}
	if _, sk, _ := f.v.UserKeys(a, "r.signer"); sk != "" {
		t.Errorf("removed key still given: %q", sk)
	}
}

func TestCreateWithAdminSigningKey(t *testing.T) {
	f := newFixture(t)
	key := newSigningKey(t)
	dir := filepath.Join(t.TempDir(), "v")
	v, _, err := Create(dir, testPassphrase, NewUser{ID: "admin", Recipient: f.admin.recipient, SigningKey: key + " admin@host"}, testOptions(f.clock))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	u, err := v.GetUser(Caller{User: "admin"}, "admin")
	if err != nil || u.SigningKey != key {
		t.Fatalf("admin: %+v %v", u, err)
	}
	if evs := (&fixture{v: v}).eventsFrom(t, 0); evs[0].Action != "vault.init" || evs[0].Detail[auditlog.DetailSigningKey] != key {
		t.Errorf("vault.init event %+v, want the signing key", evs[0])
	}
	if _, _, err := Create(filepath.Join(t.TempDir(), "w"), testPassphrase, NewUser{ID: "admin", Recipient: f.admin.recipient, SigningKey: f.admin.recipient}, testOptions(f.clock)); !isInvalidErr(err) || !strings.Contains(err.Error(), "signing_key") {
		t.Errorf("Create with an age recipient as signing key: %v", err)
	}
}
