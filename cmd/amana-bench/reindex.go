package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/internal/demodata"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/vault"
)

type reindexResult struct {
	Want, Loaded int
	LoadTook     time.Duration
	LoadLoad     string
	LoadDir      string
	VaultSize    int64
	Workers      int

	Wall      time.Duration // `amana reindex` as a child, start to exit
	CPU       time.Duration // its user + system time
	LoadCPU   time.Duration // this process's CPU time while loading
	Internal  time.Duration // what the command reports for indexer.Rebuild
	Indexed   int
	MaxRSS    int64
	IndexSize int64
	Load      string
}

// depositor of the reindex vault, with the admin as custodian of every
// collection: each deposit carries two key slots.
type reindexWorld struct {
	dir, passFile string
	admin, dep    *benchUser
	adminR, depR  age.Recipient
}

// loadVault creates a second vault and deposits the corpus into it through
// the vault API in this process (no HTTP): for each document a fresh X25519
// document key, key slots for the depositor and the custodian, the content
// (demodata's short text) and the private metadata sealed to it, all
// checked and committed by the vault as a real deposit is. It stops at the
// time budget and reports how far it got.
func loadVault(cfg *config, c *corpus, dir string, budget time.Duration, profile string) (*reindexResult, *reindexWorld, error) {
	res := &reindexResult{Want: len(c.Docs), Workers: cfg.loadWorkers, LoadDir: dir}
	rw := &reindexWorld{dir: dir}
	var err error
	var pass string
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, nil, err
	}
	if pass, rw.passFile, err = writePassphrase(filepath.Dir(dir)); err != nil {
		return nil, nil, err
	}
	if rw.admin, err = newBenchUser("bench.admin", vault.RoleAdmin, false); err != nil {
		return nil, nil, err
	}
	if rw.dep, err = newBenchUser("bench.depositor", vault.RoleResearcher, false); err != nil {
		return nil, nil, err
	}
	rw.adminR = rw.admin.Identity.(*age.X25519Identity).Recipient()
	rw.depR = rw.dep.Identity.(*age.X25519Identity).Recipient()
	v, _, err := vault.Create(dir, pass, vault.NewUser{ID: rw.admin.ID, Recipient: rw.admin.Recipient}, vault.Options{})
	if err != nil {
		return nil, nil, err
	}
	ac := vault.Caller{User: rw.admin.ID, RequestID: "bench-setup"}
	if _, _, err := v.AddUser(ac, vault.NewUser{ID: rw.dep.ID, Role: vault.RoleResearcher, Recipient: rw.dep.Recipient}); err != nil {
		v.Close()
		return nil, nil, err
	}
	cols := append(demodata.Collections(), demodata.Collection{ID: colRestricted, Name: "Restricted"})
	for _, col := range cols {
		if _, err := v.CreateCollection(ac, vault.Collection{ID: col.ID, Name: col.Name, Members: []string{rw.dep.ID}}); err != nil {
			v.Close()
			return nil, nil, err
		}
	}

	var next, done atomic.Int64
	var firstErr error
	var errOnce sync.Once
	deadline := time.Now().Add(budget)
	start := time.Now()
	stopProgress := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				n := done.Load()
				el := time.Since(start)
				logf("vault loading: %s of %s deposits in %s (%.0f/s, load %s)", count(int(n)), count(len(c.Docs)), el.Round(time.Second), float64(n)/el.Seconds(), load1())
			}
		}
	}()
	cpu0 := selfCPU()
	err = cfg.profile(profile, func() error {
		var wg sync.WaitGroup
		for range cfg.loadWorkers {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					i := int(next.Add(1) - 1)
					if i >= len(c.Docs) {
						return
					}
					if err := rw.deposit(v, &c.Raw[i], &c.Docs[i]); err != nil {
						errOnce.Do(func() { firstErr = fmt.Errorf("deposit %d: %w", i, err) })
						return
					}
					done.Add(1)
				}
			})
		}
		wg.Wait()
		return firstErr
	})
	close(stopProgress)
	res.LoadTook = time.Since(start)
	res.LoadCPU = selfCPU() - cpu0
	res.Loaded = int(done.Load())
	res.LoadLoad = load1()
	if cerr := v.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, nil, err
	}
	res.VaultSize = dirSize(dir)
	return res, rw, nil
}

func (rw *reindexWorld) deposit(v *vault.Vault, raw *demodata.Document, doc *search.Doc) error {
	dep, err := envelope.NewDeposit(map[string]age.Recipient{rw.dep.ID: rw.depR, rw.admin.ID: rw.adminR}, envelope.Classic())
	if err != nil {
		return err
	}
	var content bytes.Buffer
	sealed, err := dep.Seal(&content, bytes.NewReader(raw.Content), map[string]any{
		"file_name": raw.FileName, "media_type": raw.MediaType, "persons": raw.Persons,
	})
	if err != nil {
		return err
	}
	up, err := v.BeginDeposit(vault.Caller{User: rw.dep.ID, RequestID: "bench-load"}, vault.DepositRequest{
		Collection: doc.Collection, Kind: raw.Kind,
		Public: vault.PublicMeta{
			Title: doc.Title, Summary: doc.Summary, TranscriptRedacted: doc.Transcript, Language: doc.Language,
			Governorate: doc.Governorate, IncidentDate: doc.IncidentDate, Tags: doc.Tags,
		},
		Consent: vault.Consent{Scopes: raw.Consent.Scopes, RecordedAt: raw.Consent.RecordedAt, RecordedBy: raw.Consent.RecordedBy},
		Slots:   dep.Slots,
	})
	if err != nil {
		return err
	}
	if _, err := up.Write(content.Bytes()); err != nil {
		return err
	}
	_, err = up.Commit(sealed.CipherSHA256, sealed.Private)
	return err
}

// benchReindex runs `amana reindex` as a child on the loaded vault.
func benchReindex(cfg *config, res *reindexResult, rw *reindexWorld) error {
	var out bytes.Buffer
	run, err := runTimed(&out, cfg.amana, "reindex", "--data", rw.dir, "--passphrase-file", rw.passFile, "--json")
	if err != nil {
		return err
	}
	var rep struct {
		Documents int     `json:"documents"`
		Seconds   float64 `json:"seconds"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return fmt.Errorf("amana reindex --json: %w: %s", err, strings.TrimSpace(out.String()))
	}
	res.Wall, res.MaxRSS, res.CPU, res.Load = run.Wall, run.HWM, run.CPU, load1()
	res.Indexed = rep.Documents
	res.Internal = time.Duration(rep.Seconds * float64(time.Second))
	res.IndexSize = dirSize(filepath.Join(rw.dir, "index"))
	if rep.Documents != res.Loaded {
		return fmt.Errorf("amana reindex indexed %d documents, the vault holds %d", rep.Documents, res.Loaded)
	}
	return nil
}
