package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/httpapi"
	amanaserver "github.com/amana-vault/amana/internal/server"
)

// buildAmana builds ./cmd/amana into dir, unless path names a binary already.
func buildAmana(path, dir string) (string, error) {
	if path != "" {
		return path, nil
	}
	out := filepath.Join(dir, "amana")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/amana")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building amana (run amana-bench from the repository root, or pass --amana): %w", err)
	}
	return out, nil
}

// server is a running `amana serve`: a child process, or, with --inproc,
// the same handler in this process (for CPU profiles of the server side).
type server struct {
	URL string
	PID int // the child's pid; 0 in process

	cmd     *exec.Cmd
	waitErr chan error
	logFile *os.File

	// in process
	srv *amanaserver.Server
}

// authRate lifts serve's login rate limit (10/s, burst 60 per address) so
// that hundreds of sequential logins from one machine measure latency, not
// the limiter.
const authRate = "100000"

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func startServer(ctx context.Context, cfg *config, dataDir, passFile, logName string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &server{URL: "http://" + addr}
	logf, err := os.Create(filepath.Join(cfg.work, logName))
	if err != nil {
		return nil, err
	}
	s.logFile = logf
	if cfg.inproc {
		if err := s.startInProcess(dataDir, passFile, addr); err != nil {
			logf.Close()
			return nil, err
		}
	} else {
		cmd := exec.Command(cfg.amana, "serve", "--data", dataDir, "--listen", addr, "--passphrase-file", passFile,
			"--auth-rate", authRate, "--auth-burst", authRate)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			logf.Close()
			return nil, err
		}
		s.cmd, s.PID = cmd, cmd.Process.Pid
		s.waitErr = make(chan error, 1)
		go func() { s.waitErr <- cmd.Wait() }()
	}
	c := client.New(s.URL)
	deadline := time.Now().Add(60 * time.Second)
	for {
		hctx, cancel := context.WithTimeout(ctx, time.Second)
		h, err := c.Health(hctx)
		cancel()
		if err == nil && h.Unsealed {
			return s, nil
		}
		if s.waitErr != nil {
			select {
			case werr := <-s.waitErr:
				s.waitErr <- werr
				return nil, fmt.Errorf("amana serve exited (%v); see %s", werr, logf.Name())
			default:
			}
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("amana serve did not become healthy in 60 s: %v; see %s", err, logf.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startInProcess runs the assembly of `amana serve` in this process.
func (s *server) startInProcess(dataDir, passFile, addr string) error {
	pass, err := os.ReadFile(passFile)
	if err != nil {
		return err
	}
	s.srv, err = amanaserver.Start(amanaserver.Config{
		DataDir: dataDir, Passphrase: strings.TrimRight(string(pass), "\r\n"), Addr: addr,
		Logger: slog.New(slog.NewJSONHandler(s.logFile, nil)), Version: "bench",
		API: func(c *httpapi.Config) { c.AuthRate, c.AuthBurst = rate.Limit(100000), 100000 },
	})
	return err
}

// CPU returns the user + system time the server child has used so far
// (in process: this whole process's).
func (s *server) CPU() time.Duration {
	if s.PID == 0 {
		return selfCPU()
	}
	return procCPU(s.PID)
}

// HWM returns the child's VmHWM (peak resident set, including mapped file
// pages) in bytes, or -1.
func (s *server) HWM() int64 {
	if s.PID == 0 {
		return -1
	}
	kb := procField(fmt.Sprintf("/proc/%d/status", s.PID), "VmHWM")
	if kb < 0 {
		return -1
	}
	return kb << 10
}

// rss describes the child's current resident set.
func (s *server) rss() string {
	if s.PID == 0 {
		return "in process"
	}
	st := fmt.Sprintf("/proc/%d/status", s.PID)
	return fmt.Sprintf("RssAnon %s, RssFile %s", mib(procField(st, "RssAnon")<<10), mib(procField(st, "RssFile")<<10))
}

// Stop sends SIGTERM and waits for a clean exit.
func (s *server) Stop() error {
	defer s.logFile.Close()
	if s.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return s.srv.Shutdown(ctx)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.waitErr:
		return err
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		return fmt.Errorf("amana serve did not stop in 60 s; killed")
	}
}

// httpFrom returns an HTTP client whose connections come from the loopback
// address 127.0.0.<host>. The server rate-limits per client address (500
// requests/s, burst 1000, not configurable in serve), so each simulated
// user machine gets an address of its own, as it would in the field.
func httpFrom(host int) *http.Client {
	d := &net.Dialer{
		LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(host))},
		Timeout:   10 * time.Second,
	}
	return &http.Client{Transport: &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

func newClient(url string, host int) *client.Client {
	c := client.New(url)
	c.HTTP = httpFrom(host)
	return c
}

// runTimed runs a command and returns its wall time and its peak resident
// set, VmHWM polled every 10 ms from /proc while it runs. (wait4's
// ru_maxrss is no use here: Go starts children with vfork semantics, and
// Linux carries the parent's high-water mark into the child at exec.)
func runTimed(stdout io.Writer, name string, args ...string) (childRun, error) {
	cmd := exec.Command(name, args...)
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return childRun{}, err
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		var hwm int64 = -1
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			hwm = max(hwm, procField(status, "VmHWM"))
			select {
			case <-done:
				peak <- hwm
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	took := time.Since(start)
	close(done)
	run := childRun{Wall: took, HWM: <-peak}
	if run.HWM > 0 {
		run.HWM <<= 10
	}
	if cmd.ProcessState != nil {
		run.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return run, fmt.Errorf("%s %s: %w: %s", filepath.Base(name), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return run, nil
}

// childRun is what runTimed measured of a child process.
type childRun struct {
	Wall, CPU time.Duration // CPU: user + system, from wait4
	HWM       int64         // peak resident set, bytes
}
