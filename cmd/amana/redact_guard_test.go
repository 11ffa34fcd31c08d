package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/amana-vault/amana/redact"
	"github.com/amana-vault/amana/vault"
)

// corpusCase is one sentence of the redaction corpus (redact/testdata).
type corpusCase struct {
	Lang    string   `json:"lang"`
	Text    string   `json:"text"`
	Persons []string `json:"persons"`
}

func loadRedactCorpus(t *testing.T) []corpusCase {
	t.Helper()
	var cases []corpusCase
	for _, name := range []string{"corpus.jsonl", "adversarial.jsonl"} {
		f, err := os.Open("../../redact/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var c corpusCase
			if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			cases = append(cases, c)
		}
		f.Close()
	}
	var heldout []byte
	for _, name := range []string{"heldout.txt", "heldout2.txt"} {
		b, err := os.ReadFile("../../redact/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		heldout = append(heldout, b...)
	}
	label := regexp.MustCompile(`\{[a-z_]+:([^}]*)\}`)
	for _, line := range strings.Split(string(heldout), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if line == "" || line[0] == '#' || len(parts) != 3 {
			continue
		}
		c := corpusCase{Lang: strings.TrimSpace(parts[0]), Text: label.ReplaceAllString(strings.TrimSpace(parts[2]), "$1")}
		for _, p := range strings.Split(parts[1], ";") {
			if p = strings.TrimSpace(p); p != "" {
				c.Persons = append(c.Persons, p)
			}
		}
		cases = append(cases, c)
	}
	if len(cases) < 2500 {
		t.Fatalf("only %d corpus cases", len(cases))
	}
	return cases
}

// redactJSON runs `amana redact - --json` (the command itself, in this
// process) on text.
func redactJSON(t *testing.T, text string, persons []string) (out string, findings []redact.Finding) {
	t.Helper()
	cmd := newRedactCmd()
	args := []string{"-", "--json"}
	for _, p := range persons {
		args = append(args, "--person", p)
	}
	var stdout, stderr bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(text))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("amana redact: %v: %s", err, stderr.String())
	}
	var res struct {
		Text     string           `json:"text"`
		Findings []redact.Finding `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	return res.Text, res.Findings
}

// TestRedactAgreesWithGuard runs `amana redact --json` and the server's
// guard (vault.CheckPublic, the 422 of a deposit) on every case of the
// redaction corpus (tuning, both held-out and adversarial parts):
//
//   - on the text as written, without persons (the server never sees them),
//     the guard refuses exactly when redact finds a kind the guard enforces
//     (every kind but names nobody listed), and names the same kind first;
//   - what redact publishes, with the persons, always passes the guard.
func TestRedactAgreesWithGuard(t *testing.T) {
	t.Parallel()
	refused, cases := 0, loadRedactCorpus(t)
	for _, c := range cases {
		_, fs := redactJSON(t, c.Text, nil)
		var first *redact.Finding
		for i := range fs {
			if redact.Enforced(fs[i].Kind) {
				first = &fs[i]
				break
			}
		}
		err := vault.CheckPublic(&vault.PublicMeta{Summary: c.Text})
		var re *vault.RedactionError
		switch {
		case first == nil && err != nil:
			t.Errorf("guard refuses what redact lets through (%v): %q", err, c.Text)
		case first != nil && !errors.As(err, &re):
			t.Errorf("redact finds %s, guard accepts (%v): %q", first.Kind, err, c.Text)
		case first != nil && re.Kind != first.Kind:
			t.Errorf("redact finds %s first, guard refuses %s: %q", first.Kind, re.Kind, c.Text)
		}
		if err != nil {
			refused++
		}

		out, _ := redactJSON(t, c.Text, c.Persons)
		if err := vault.CheckPublic(&vault.PublicMeta{Title: out, Summary: out, TranscriptRedacted: out, Tags: []string{out}}); err != nil {
			t.Errorf("guard refuses redact's output (%v): %q", err, out)
		}
	}
	if refused == 0 || refused == len(cases) {
		t.Errorf("guard refused %d of %d cases", refused, len(cases))
	}
	t.Logf("%d corpus cases, %d refused by the guard as written", len(cases), refused)
}
