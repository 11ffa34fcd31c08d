package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/internal/amanatest"
	"github.com/amana-vault/amana/witness"
)

type health struct {
	Witnesses []witness.Status `json:"witnesses"`
}

func getHealth(t *testing.T, s *amanatest.Server) health {
	t.Helper()
	resp, err := http.Get(s.URL + "/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCheckpointCosigned: with a witness, /v1/audit/checkpoint serves the
// checkpoint with the witness's cosignature (a real litewitness); when the
// witness is down, writes go on, /v1/health says so, and the checkpoint
// served is the newest one it cosigned.
func TestCheckpointCosigned(t *testing.T) {
	w := amanatest.StartWitness(t, "example.org/w1")
	s := amanatest.NewServer(t, amanatest.Options{Witnesses: []witness.Witness{{Key: w.Key, URL: w.URL}}})
	w.AddLog("amana.local/vault", s.Vault.VerifierKey())
	ctx := context.Background()
	auditor := s.Login("auditor")
	vkey := s.Vault.VerifierKey()

	msg, err := auditor.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, names, err := auditlog.OpenCosigned(msg, vkey, []string{w.Key}, 1)
	if err != nil || len(names) != 1 || names[0] != "example.org/w1" {
		t.Fatalf("checkpoint not cosigned: %v %v\n%s", names, err, msg)
	}
	if h := getHealth(t, s); len(h.Witnesses) != 1 || !h.Witnesses[0].OK || h.Witnesses[0].Size < first.Size {
		t.Fatalf("health: %+v", h)
	}

	w.Stop()
	researcher := s.Login("r.hassan") // a write (login events) while the witness is down
	if _, err := researcher.Collections(ctx); err != nil {
		t.Fatal(err)
	}
	msg, err = auditor.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := auditlog.OpenCosigned(msg, vkey, []string{w.Key}, 1)
	if err != nil {
		t.Fatalf("no cosigned checkpoint served while the witness is down: %v", err)
	}
	_, latest, _ := s.Vault.LatestCheckpoint()
	if again.Size >= latest || again.Size < first.Size {
		t.Fatalf("served a cosigned checkpoint of %d events; first %d, log %d", again.Size, first.Size, latest)
	}
	h := getHealth(t, s)
	if len(h.Witnesses) != 1 || h.Witnesses[0].OK || h.Witnesses[0].Error != "unreachable" || h.Witnesses[0].Since == nil {
		t.Fatalf("health while the witness is down: %+v", h)
	}
}
