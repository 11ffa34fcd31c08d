package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/vault/audit"
)

type auditResult struct {
	Events    int
	Build     time.Duration
	DBSize    int64
	Wall      time.Duration
	CPU       time.Duration
	MaxRSS    int64
	Verified  int64
	Load      string
	BuildLoad string
}

// buildAuditLog writes a vault file whose audit log holds n events, typical
// audited searches (hashed query and client address), appended with the
// audit package in transactions of 50,000 events each signed by a
// checkpoint, as vault/audit's BenchmarkVerify builds its log. Nothing else
// is needed by the offline verifier.
func buildAuditLog(dir string, n int) (time.Duration, error) {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	db, err := bbolt.Open(filepath.Join(dir, vault.DBFile), 0o600, nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.NoSync = true // setup only; verify reads the file afterwards
	hmacKey := make([]byte, 32)
	rand.Read(hmacKey)
	_, signing, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return 0, err
	}
	l, err := audit.New("bench.local/vault", hmacKey, signing)
	if err != nil {
		return 0, err
	}
	if err := db.Update(l.Init); err != nil {
		return 0, err
	}
	client := l.HMAC("198.51.100.7")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const perTx = 50_000
	for i := 0; i < n; i += perTx {
		err := db.Update(func(tx *bbolt.Tx) error {
			for j := i; j < min(i+perTx, n); j++ {
				ev := &audit.Event{
					Time: t0.Add(time.Duration(j) * time.Millisecond), Actor: "bench.lawyer001", Action: "search",
					Outcome: auditlog.OutcomeOK, RequestID: fmt.Sprintf("%024x", j),
					Hashed: map[string]string{"query": l.HMAC("detention " + strconv.Itoa(j%5000)), "client": client},
					Detail: map[string]string{"hits": strconv.Itoa(j % 97)},
				}
				if err := l.Append(tx, ev); err != nil {
					return err
				}
			}
			return l.Sign(tx)
		})
		if err != nil {
			return 0, err
		}
	}
	if err := db.Sync(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// benchAuditVerify times `amana audit verify --data DIR` as a child.
func benchAuditVerify(cfg *config) (*auditResult, error) {
	dir := filepath.Join(cfg.work, "audit")
	res := &auditResult{Events: cfg.events}
	logf("building an audit log of %s events", count(cfg.events))
	var err error
	err = cfg.profile("audit-build", func() error {
		res.Build, err = buildAuditLog(dir, cfg.events)
		return err
	})
	if err != nil {
		return nil, err
	}
	res.BuildLoad = load1()
	res.DBSize = dirSize(dir)
	logf("amana audit verify --data %s", dir)
	var out bytes.Buffer
	run, err := runTimed(&out, cfg.amana, "audit", "verify", "--data", dir, "--json")
	res.Load = load1()
	if err != nil {
		return nil, err
	}
	res.Wall, res.MaxRSS, res.CPU = run.Wall, run.HWM, run.CPU
	var rep struct {
		OK   bool  `json:"ok"`
		Size int64 `json:"size"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return nil, fmt.Errorf("amana audit verify --json: %w: %s", err, strings.TrimSpace(out.String()))
	}
	if !rep.OK || rep.Size != int64(cfg.events) {
		return nil, fmt.Errorf("amana audit verify: ok=%v size=%d, want %d events", rep.OK, rep.Size, cfg.events)
	}
	res.Verified = rep.Size
	return res, nil
}
