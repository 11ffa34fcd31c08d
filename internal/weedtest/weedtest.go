// Package weedtest starts a real SeaweedFS server (weed) on loopback for
// tests of the S3 blob store. The binary is AMANA_TEST_WEED, else weed on
// the PATH; without either the test is skipped, saying so. .ci/run builds
// the pinned version (tools/seaweedfs) and sets AMANA_TEST_WEED.
package weedtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The credentials the server accepts; Start sets them in the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) for the test.
const (
	AccessKey = "amana-test"
	SecretKey = "amana-test-secret-key-not-a-real-one"
)

// Server is a running weed server.
type Server struct {
	// Endpoint is the S3 API's URL, http://127.0.0.1:PORT.
	Endpoint string
	Dir      string
}

// Binary returns the weed binary to run, or skips the test.
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("AMANA_TEST_WEED"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("AMANA_TEST_WEED=%s: %v", p, err)
		}
		return p
	}
	if p, err := exec.LookPath("weed"); err == nil {
		return p
	}
	t.Skip("SeaweedFS is not available: set AMANA_TEST_WEED to a weed binary (.ci/run builds the pinned one from tools/seaweedfs) to test the S3 blob store")
	return ""
}

func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}

// Start runs weed server with its S3 API in a temporary directory and
// stops it when the test ends. It sets the S3 credentials in the
// environment for the test.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir, err := os.MkdirTemp("", "amana-weed-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cfg, _ := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        "amana",
		"credentials": []any{map[string]string{"accessKey": AccessKey, "secretKey": SecretKey}},
		"actions":     []string{"Admin", "Read", "List", "Tagging", "Write"},
	}}})
	if err := os.WriteFile(filepath.Join(dir, "s3.json"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	p := freePorts(t, 8)
	args := []string{"server", "-dir=" + filepath.Join(dir, "data"), "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + strconv.Itoa(p[0]), "-master.port.grpc=" + strconv.Itoa(p[1]),
		"-volume.port=" + strconv.Itoa(p[2]), "-volume.port.grpc=" + strconv.Itoa(p[3]),
		"-filer.port=" + strconv.Itoa(p[4]), "-filer.port.grpc=" + strconv.Itoa(p[5]),
		"-s3", "-s3.port=" + strconv.Itoa(p[6]), "-s3.port.grpc=" + strconv.Itoa(p[7]),
		"-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.config=" + filepath.Join(dir, "s3.json"),
		"-master.volumeSizeLimitMB=256", "-volume.max=100", "-volume.preStopSeconds=0",
		"-master.telemetry=false", "-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
		"-s3.localSocket=" + filepath.Join(dir, "s3.sock")}
	log, err := os.Create(filepath.Join(dir, "weed.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// weed takes many seconds to stop on SIGTERM; its data is
		// thrown away, so kill its process group.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		log.Close()
		for _, port := range p {
			matches, _ := filepath.Glob(fmt.Sprintf("/tmp/seaweedfs-*-grpc-%d.sock", port))
			for _, m := range matches {
				os.Remove(m)
			}
		}
	})
	t.Setenv("AWS_ACCESS_KEY_ID", AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", SecretKey)
	s := &Server{Endpoint: "http://127.0.0.1:" + strconv.Itoa(p[6]), Dir: dir}
	c, err := minio.New("127.0.0.1:"+strconv.Itoa(p[6]), &minio.Options{
		Creds: credentials.NewStaticV4(AccessKey, SecretKey, ""), BucketLookup: minio.BucketLookupPath, Region: "us-east-1", MaxRetries: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Ready when a bucket can be made and written to (the volume server
	// registers with the master a little after the S3 API answers).
	deadline := time.Now().Add(3 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.MakeBucket(ctx, "amana-ready", minio.MakeBucketOptions{})
		if err == nil || minio.ToErrorResponse(err).Code == "BucketAlreadyOwnedByYou" {
			_, err = c.PutObject(ctx, "amana-ready", "probe", strings.NewReader("ok"), 2, minio.PutObjectOptions{})
		}
		cancel()
		if err == nil {
			break
		}
		if cmd.ProcessState != nil || time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "weed.log"))
			t.Fatalf("weed did not come up: %v\n%s", err, tail(b, 3000))
		}
		time.Sleep(300 * time.Millisecond)
	}
	return s
}

// URL returns the s3:// URL of bucket (and prefix) on the server.
func (s *Server) URL(bucketAndPrefix string) string {
	return "s3://" + bucketAndPrefix + "?" + url.Values{"endpoint": {s.Endpoint}, "region": {"us-east-1"}}.Encode()
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
