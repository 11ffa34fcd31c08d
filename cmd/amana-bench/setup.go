package main

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"github.com/amana-vault/amana/sshsig"
	"golang.org/x/crypto/ssh"
	"os"
	"path/filepath"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/internal/demodata"
	"github.com/amana-vault/amana/internal/demokeys"
	"github.com/amana-vault/amana/vault"
)

// benchUser is a user the benchmark acts as: its age identity stays here,
// as it would on the user's machine.
type benchUser struct {
	ID, Role   string
	Identity   age.Identity
	Recipient  string
	TOTPSecret string
	SigningKey string // authorized_keys form
	Signer     ssh.Signer
}

func newBenchUser(id, role string, pq bool) (*benchUser, error) {
	u := &benchUser{ID: id, Role: role}
	if pq {
		k, err := age.GenerateHybridIdentity()
		if err != nil {
			return nil, err
		}
		u.Identity, u.Recipient = k, k.Recipient().String()
	} else {
		k, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, err
		}
		u.Identity, u.Recipient = k, k.Recipient().String()
	}
	secret := make([]byte, 20)
	rand.Read(secret)
	u.TOTPSecret = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
	pemBytes, authorized, err := sshsig.GenerateSigningKey()
	if err != nil {
		return nil, err
	}
	if u.Signer, err = sshsig.ParseSigningKey(pemBytes); err != nil {
		return nil, err
	}
	u.SigningKey = authorized
	return u, nil
}

// code is the user's TOTP code for now, as an authenticator app shows it.
func (u *benchUser) code() (string, error) {
	return demokeys.Code(u.TOTPSecret, time.Now())
}

// Collections of the benchmark vault besides demodata's case files:
// restricted holds a share of the indexed documents that no searcher may
// see (so the access filter has work to do); files holds the large
// deposit, so that it does not show up in searches.
const (
	colRestricted = "bench-restricted"
	colFiles      = "bench-files"
)

// world is the main benchmark vault and who uses it.
type world struct {
	Dir, PassFile string
	Pass          string
	Admin         *benchUser
	Depositor     *benchUser
	Searchers     []*benchUser // lawyers, members of every demodata collection
	Logins        []*benchUser // X25519 users who only log in
	LoginsPQ      []*benchUser // post-quantum (age1pq1…) users who only log in
	Setup         time.Duration
}

func writePassphrase(dir string) (pass, file string, err error) {
	b := make([]byte, 24)
	rand.Read(b)
	pass = base32.StdEncoding.EncodeToString(b)
	file = filepath.Join(dir, "passphrase.txt")
	return pass, file, os.WriteFile(file, []byte(pass+"\n"), 0o600)
}

// createWorld makes the main vault in process, before any server starts:
// its users (each with its own identity and TOTP secret) and collections.
func createWorld(cfg *config) (*world, error) {
	start := time.Now()
	w := &world{Dir: filepath.Join(cfg.work, "vault")}
	var err error
	if w.Pass, w.PassFile, err = writePassphrase(cfg.work); err != nil {
		return nil, err
	}
	if w.Admin, err = newBenchUser("bench.admin", vault.RoleAdmin, false); err != nil {
		return nil, err
	}
	if w.Depositor, err = newBenchUser("bench.depositor", vault.RoleResearcher, false); err != nil {
		return nil, err
	}
	all := []*benchUser{w.Depositor}
	for i := range cfg.clients + 1 {
		u, err := newBenchUser(fmt.Sprintf("bench.lawyer%03d", i), vault.RoleLawyer, false)
		if err != nil {
			return nil, err
		}
		w.Searchers = append(w.Searchers, u)
		all = append(all, u)
	}
	for i := range cfg.loginUsers {
		u, err := newBenchUser(fmt.Sprintf("bench.user%04d", i), vault.RoleResearcher, false)
		if err != nil {
			return nil, err
		}
		w.Logins = append(w.Logins, u)
		all = append(all, u)
	}
	for i := range cfg.loginUsersPQ {
		u, err := newBenchUser(fmt.Sprintf("bench.pquser%04d", i), vault.RoleResearcher, true)
		if err != nil {
			return nil, err
		}
		w.LoginsPQ = append(w.LoginsPQ, u)
		all = append(all, u)
	}

	v, _, err := vault.Create(w.Dir, w.Pass, vault.NewUser{
		ID: w.Admin.ID, Recipient: w.Admin.Recipient, TOTPSecret: w.Admin.TOTPSecret,
	}, vault.Options{ScryptWorkFactor: cfg.scryptWF, BlobStore: cfg.blobStore})
	if err != nil {
		return nil, err
	}
	ac := vault.Caller{User: w.Admin.ID, RequestID: "bench-setup"}
	// Users in parallel: audited writes share group-committed transactions.
	work := make(chan *benchUser)
	errs := make(chan error, len(all))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for u := range work {
				if _, _, err := v.AddUser(ac, vault.NewUser{ID: u.ID, Role: u.Role, Recipient: u.Recipient, SigningKey: u.SigningKey, TOTPSecret: u.TOTPSecret}); err != nil {
					errs <- fmt.Errorf("user %s: %w", u.ID, err)
				}
			}
		})
	}
	for _, u := range all {
		work <- u
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		v.Close()
		return nil, err
	}
	members := []string{w.Depositor.ID}
	for _, u := range w.Searchers {
		members = append(members, u.ID)
	}
	for _, c := range demodata.Collections() {
		if _, err := v.CreateCollection(ac, vault.Collection{ID: c.ID, Name: c.Name, Members: members}); err != nil {
			v.Close()
			return nil, fmt.Errorf("collection %s: %w", c.ID, err)
		}
	}
	for _, c := range []vault.Collection{
		{ID: colRestricted, Name: "Restricted case file (no searcher is a member)"},
		{ID: colFiles, Name: "Large files", Members: []string{w.Depositor.ID}},
	} {
		if _, err := v.CreateCollection(ac, c); err != nil {
			v.Close()
			return nil, fmt.Errorf("collection %s: %w", c.ID, err)
		}
	}
	if err := v.Close(); err != nil {
		return nil, err
	}
	w.Setup = time.Since(start)
	return w, nil
}
