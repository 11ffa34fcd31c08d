package httpapi_test

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/sshsig"
)

// TestSigningKeysOverHTTP: an admin registers, changes and removes a
// user's signing key (POST and PATCH /v1/users); fellow members get it with
// the recipient (GET /v1/users/{id}/recipient).
func TestSigningKeysOverHTTP(t *testing.T) {
	e := newEnv(t)
	admin := e.login("l.custodian")
	_, key, err := sshsig.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	created, err := admin.AddUser(ctx, client.NewUser{
		ID: "r.new", Role: "researcher", Recipient: e.users["r.ahmed"].rcpt, SigningKey: key + " rania@laptop",
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.User.SigningKey != key {
		t.Errorf("created with signing key %q, want %q (no comment)", created.User.SigningKey, key)
	}

	// A fellow member gets both keys; the answer always names signing_key.
	r := e.login("r.hassan")
	want := e.srv.Users["r.ahmed"].SigningKey
	if rcpt, sk, err := r.UserKeys(ctx, "r.ahmed"); err != nil || rcpt != e.users["r.ahmed"].rcpt || sk != want || want == "" {
		t.Errorf("UserKeys(r.ahmed) = %q, %q, %v; want the signing key %q", rcpt, sk, err, want)
	}
	resp := e.raw(r, "GET", "/v1/users/r.ahmed/recipient", nil, "")
	var body map[string]string
	if err := json.Unmarshal(e.body(resp), &body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("recipient: %d %v", resp.StatusCode, err)
	}
	if keys := slices.Sorted(maps.Keys(body)); !slices.Equal(keys, []string{"id", "recipient", "signing_key"}) {
		t.Errorf("recipient answer has %v", keys)
	}
	if rcpt, err := r.UserRecipient(ctx, "r.ahmed"); err != nil || rcpt != e.users["r.ahmed"].rcpt {
		t.Errorf("UserRecipient: %q %v", rcpt, err)
	}

	// Changed, listed, refused, removed.
	_, key2, _ := sshsig.GenerateSigningKey()
	if u, err := admin.SetSigningKey(ctx, "r.new", key2); err != nil || u.SigningKey != key2 {
		t.Fatalf("SetSigningKey: %+v %v", u, err)
	}
	users, err := admin.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.ID == "r.new" && u.SigningKey != key2 {
			t.Errorf("listed with %q", u.SigningKey)
		}
	}
	for _, bad := range []string{"ssh-rsa AAAAB3NzaC1yc2E", e.users["r.ahmed"].rcpt, "-----BEGIN OPENSSH PRIVATE KEY-----"} {
		_, err := admin.SetSigningKey(ctx, "r.new", bad)
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != 400 || ce.Code != "invalid" {
			t.Errorf("signing key %.20q: %v", bad, err)
		}
	}
	if _, err := r.SetSigningKey(ctx, "r.new", key); !client.IsStatus(err, 403) {
		t.Errorf("a researcher set a signing key: %v", err)
	}
	if u, err := admin.SetSigningKey(ctx, "r.new", ""); err != nil || u.SigningKey != "" {
		t.Errorf("removing: %+v %v", u, err)
	}
	resp = e.raw(admin, "GET", "/v1/users/r.new/recipient", nil, "")
	if b := e.body(resp); resp.StatusCode != 200 || !json.Valid(b) || string(b) == "" {
		t.Fatalf("recipient of r.new: %d %s", resp.StatusCode, b)
	} else if err := json.Unmarshal(b, &body); err != nil || body["signing_key"] != "" {
		t.Errorf("removed key still given: %s", b)
	}
}
