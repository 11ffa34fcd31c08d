package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/vault"
)

func initWith(t *testing.T, data, blobStore string, extraEnv ...string) result {
	t.Helper()
	id, _ := age.GenerateX25519Identity()
	args := []string{"init", "--data", data, "--admin", "l.custodian", "--admin-recipient", id.Recipient().String(),
		"--scrypt-work-factor", "10", "--json"}
	if blobStore != "" {
		args = append(args, "--blob-store", blobStore)
	}
	return runEnv(t, t.TempDir(), append([]string{"AMANA_PASSPHRASE=" + initPassphrase}, extraEnv...), args...)
}

// TestInitBlobStore: init records the blob store it is given, refuses a
// store already holding blobs, credentials in the URL, and URLs that name
// no store; serve and Open use the recorded one.
func TestInitBlobStore(t *testing.T) {
	tmp := t.TempDir()
	store := filepath.Join(tmp, "elsewhere")
	data := filepath.Join(tmp, "vault")
	if r := initWith(t, data, "file://"+store); r.code != 0 {
		t.Fatalf("init --blob-store file://: exit %d, %s", r.code, r.stderr)
	}
	v, err := vault.Open(data, initPassphrase, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := v.BlobStoreURL(); got != "file://"+store {
		t.Errorf("recorded blob store %s, want file://%s", got, store)
	}
	v.Close()
	if _, err := os.Stat(filepath.Join(data, "blobs")); err == nil {
		t.Error("DIR/blobs was made although the store is elsewhere")
	}
	// Another vault on the same store, once it holds a blob, is refused.
	os.MkdirAll(filepath.Join(store, "ab"), 0o700)
	os.WriteFile(filepath.Join(store, "ab", "ab"+strings.Repeat("0", 62)), []byte("x"), 0o600)
	if r := initWith(t, filepath.Join(tmp, "second"), "file://"+store); r.code != 1 || !strings.Contains(r.stderr, "already holds blobs") {
		t.Fatalf("init on a used store: exit %d, %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(tmp, "second", vault.DBFile)); err == nil {
		t.Error("a refused init left a vault")
	}
	for _, bad := range []string{
		"s3://key:secret@bucket?endpoint=http://127.0.0.1:1",
		"s3://bucket",
		"file://relative",
		"ftp://host/x",
	} {
		r := initWith(t, filepath.Join(tmp, "bad"), bad, "AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s")
		if r.code != 1 || strings.Contains(r.stderr, "secret@") {
			t.Errorf("init --blob-store %s: exit %d, %s", bad, r.code, r.stderr)
		}
	}
}

// TestInitBlobStoreS3: init makes the bucket; the vault records the URL
// without credentials and opens on it.
func TestInitBlobStoreS3(t *testing.T) {
	w := weedtest.Start(t)
	data := filepath.Join(t.TempDir(), "vault")
	if r := initWith(t, data, w.URL("org-evidence")); r.code != 0 {
		t.Fatalf("init --blob-store s3://: exit %d, %s", r.code, r.stderr)
	}
	v, err := vault.Open(data, initPassphrase, vault.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if got := v.BlobStoreURL(); !strings.HasPrefix(got, "s3://org-evidence?endpoint=") {
		t.Errorf("recorded blob store %s", got)
	}
	raw, _ := os.ReadFile(filepath.Join(data, vault.DBFile))
	if strings.Contains(string(raw), weedtest.SecretKey) || strings.Contains(string(raw), weedtest.AccessKey) {
		t.Error("the vault file holds the S3 credentials")
	}
}
