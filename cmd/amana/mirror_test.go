package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amana-vault/amana/internal/weedtest"
	"github.com/amana-vault/amana/vault"
)

// TestMirrorRestoreDrill is the restore drill of the README: the demo
// vault is mirrored (to a directory, and to SeaweedFS when it is
// available), lost, and restored from the mirror and the passphrase alone
// into a new directory; every document's ciphertext comes back the same,
// the index is rebuilt, and the audit log verifies against the checkpoint
// an auditor exported before the loss.
func TestMirrorRestoreDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo deposits 240 documents")
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "demo")
	cmd, _, _, _ := startDemo(t, data)
	stopDemo(t, cmd)
	_, pass, err := loadDemoKeys("../../keys-example")
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"AMANA_PASSPHRASE=" + pass}
	home := t.TempDir()

	// The auditor's checkpoint, taken before the loss.
	if r := runEnv(t, home, env, "audit", "export", "--data", data, "-o", filepath.Join(tmp, "audit")); r.code != 0 {
		t.Fatalf("audit export: %s", r.stderr)
	}
	checkpoint := filepath.Join(tmp, "audit", "checkpoint")

	targets := map[string]string{"file": "file://" + filepath.Join(tmp, "mirror")}
	if os.Getenv("AMANA_TEST_WEED") != "" {
		w := weedtest.Start(t)
		targets["s3"] = w.URL("amana-mirror/org-a") // the first round makes the bucket
	} else {
		t.Log("SeaweedFS is not available (AMANA_TEST_WEED): the S3 mirror is not tested")
	}
	orig := blobFiles(t, filepath.Join(data, "blobs"))
	if len(orig) != 240 {
		t.Fatalf("%d blobs in the demo vault, want 240", len(orig))
	}
	for kind, url := range targets {
		t.Run(kind, func(t *testing.T) {
			r := runEnv(t, home, env, "mirror", "--data", data, "--to", url, "--json")
			var out struct {
				Report vault.MirrorReport
			}
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Report.Documents != 240 || out.Report.Copied != 240 {
				t.Fatalf("mirror: exit %d, %s %s", r.code, r.stdout, r.stderr)
			}
			r = runEnv(t, home, env, "mirror", "--data", data, "--to", url, "--json")
			if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Report.Copied != 0 {
				t.Fatalf("second mirror round: exit %d, %s %s", r.code, r.stdout, r.stderr)
			}

			restored := filepath.Join(t.TempDir(), "restored")
			if r := runEnv(t, home, []string{"AMANA_PASSPHRASE=wrong passphrase for the drill"}, "restore", "--from", url, "--data", restored); r.code != 1 || !strings.Contains(r.stderr, "passphrase") {
				t.Fatalf("restore with a wrong passphrase: exit %d, %s", r.code, r.stderr)
			}
			start := time.Now()
			r = runEnv(t, home, env, "restore", "--from", url, "--data", restored)
			if r.code != 0 || !strings.Contains(r.stdout, "Restored 240 documents") || !strings.Contains(r.stdout, "240 documents indexed") {
				t.Fatalf("restore: exit %d, %s %s", r.code, r.stdout, r.stderr)
			}
			t.Logf("restore of the demo from %s took %s", kind, time.Since(start).Round(time.Millisecond))
			got := blobFiles(t, filepath.Join(restored, "blobs"))
			if len(got) != len(orig) {
				t.Fatalf("%d blobs restored, want %d", len(got), len(orig))
			}
			for name, b := range orig {
				if !bytes.Equal(got[name], b) {
					t.Fatalf("blob %s differs after restore", name)
				}
			}
			if r := runEnv(t, home, env, "audit", "verify", "--data", restored, "--checkpoint", checkpoint); r.code != 0 || !strings.Contains(r.stdout, "only grew") {
				t.Fatalf("audit verify against the checkpoint before the loss: exit %d, %s %s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// TestServeMirror: serve --mirror brings the mirror up to date at start.
func TestServeMirror(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo deposits 240 documents")
	}
	tmp := t.TempDir()
	data := filepath.Join(tmp, "demo")
	cmd, _, _, _ := startDemo(t, data)
	stopDemo(t, cmd)
	_, pass, _ := loadDemoKeys("../../keys-example")
	mirror := filepath.Join(tmp, "mirror")
	srv := exec.Command(amanaBin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--mirror", "file://"+mirror, "--mirror-interval", "1h")
	srv.Env = append(os.Environ(), "AMANA_PASSPHRASE="+pass)
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	mirrored := make(chan map[string]any, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && (line["msg"] == "mirrored" || line["msg"] == "mirror") {
				mirrored <- line
			}
		}
	}()
	select {
	case line := <-mirrored:
		if line["msg"] != "mirrored" || line["documents"] != float64(240) || line["copied"] != float64(240) {
			t.Errorf("first mirror round: %v", line)
		}
	case <-time.After(2 * time.Minute):
		t.Error("no mirror round within 2 minutes")
	}
	stopDemo(t, srv)
	if n := len(blobFiles(t, mirror)); n != 240 {
		t.Fatalf("%d blobs in the mirror, want 240", n)
	}
	if _, err := os.Stat(filepath.Join(mirror, "files", "records.age")); err != nil {
		t.Fatal(err)
	}
}

// blobFiles reads every blob of a directory blob store, by name.
func blobFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || len(d.Name()) != 64 || filepath.Base(filepath.Dir(p)) != d.Name()[:2] {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[d.Name()] = b
		return nil
	})
	return out
}
