package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/amana-vault/amana/client"
)

// generateFile writes size bytes from a seeded ChaCha8 stream, 1 MiB at a
// time: the file is never held in memory.
func generateFile(path string, size int64) (time.Duration, error) {
	start := time.Now()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	var seed [32]byte
	copy(seed[:], "amana-bench large deposit seed..")
	src := rand.NewChaCha8(seed)
	buf := make([]byte, 1<<20)
	for left := size; left > 0; {
		n := int(min(left, int64(len(buf))))
		src.Read(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return 0, err
		}
		left -= int64(n)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	return time.Since(start), f.Close()
}

func fsyncFile(name string) error {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ageKey makes an X25519 key with the stock age-keygen and returns the key
// file and its recipient.
func ageKey(keygen, dir string) (string, string, error) {
	file := filepath.Join(dir, "age-cli.key")
	if _, err := runTimed(io.Discard, keygen, "-o", file); err != nil {
		return "", "", err
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", "", err
	}
	for line := range strings.Lines(string(b)) {
		if r, ok := strings.CutPrefix(strings.TrimSpace(line), "# public key: "); ok {
			return file, r, nil
		}
	}
	return "", "", fmt.Errorf("%s: no public key line", file)
}

type depositResult struct {
	Size                   int64
	Rounds                 int
	AgeEnc, Deposit        []time.Duration
	AgeDec, Get            []time.Duration
	AgeEncCPU, AgeDecCPU   []time.Duration
	AgeEncDisk             []time.Duration    // age -r -o FILE on the work disk + fsync
	AgeDecDisk             []time.Duration    // age -d -o FILE on the work disk + fsync
	S3Put, S3Get           []time.Duration    // minio-go alone: the age file up, and down to a file + fsync
	DepositCPU, GetCPU     [][2]time.Duration // client, server
	AfterDeposit, AfterGet []string           // the server's RssAnon and RssFile then
	Load                   []string           // load average at the end of each round
	ClientMaxRSS           int64              // getrusage of this process at the end of the phase
	ClientHWM              int64              // VmHWM of this process at the end of the phase
	ClientAnon, ServerAnon int64              // sampled RssAnon peaks
	ServerFile             int64              // sampled RssFile peak (bbolt's memory map)
	ServerTotal            int64              // sampled peak of smaps_rollup Rss: anonymous plus mapped
	ServerHWM              int64              // VmHWM of the server at the end of the phase
	GenTime                time.Duration
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	return percentile(s, 50)
}

func mbps(n int64, d time.Duration) string {
	return fmt.Sprintf("%.0f MB/s", float64(n)/1e6/d.Seconds())
}

// benchDeposit deposits and gets the large file through the API, next to the
// stock age CLI on the same file, round after round.
func benchDeposit(ctx context.Context, cfg *config, w *world, srv *server) (*depositResult, error) {
	res := &depositResult{Size: cfg.size, Rounds: cfg.rounds}
	plain := filepath.Join(cfg.work, "large.bin")
	logf("generating %s of ChaCha8 output in %s", humanBytes(cfg.size), plain)
	var err error
	if res.GenTime, err = generateFile(plain, cfg.size); err != nil {
		return nil, err
	}
	keyFile, rcpt, err := ageKey(cfg.ageKeygen, cfg.work)
	if err != nil {
		return nil, err
	}
	// The age -d input: the same file encrypted by age itself.
	enc := plain + ".age"
	if _, err := runTimed(io.Discard, cfg.age, "-r", rcpt, "-o", enc, plain); err != nil {
		return nil, err
	}

	// Start from a clean slate: no garbage of the set-up left resident.
	runtime.GC()
	debug.FreeOSMemory()
	pids := []int{os.Getpid()}
	if srv.PID != 0 {
		pids = append(pids, srv.PID)
	}
	sampler := sampleRSS(20*time.Millisecond, pids...)

	c := newClient(srv.URL, 10)
	code, err := w.Depositor.code()
	if err != nil {
		return nil, err
	}
	ids := []age.Identity{w.Depositor.Identity}
	if _, err := c.Login(ctx, w.Depositor.ID, ids, code); err != nil {
		return nil, fmt.Errorf("depositor login: %w", err)
	}
	c.Signer = w.Depositor.Signer
	for round := range cfg.rounds {
		logf("deposit round %d/%d: age -r", round+1, cfg.rounds)
		run, err := runTimed(io.Discard, cfg.age, "-r", rcpt, "-o", "/dev/null", plain)
		if err != nil {
			return nil, err
		}
		res.AgeEnc = append(res.AgeEnc, run.Wall)
		res.AgeEncCPU = append(res.AgeEncCPU, run.CPU)

		// A like-for-like peer: age writing the ciphertext to the same
		// disk and making it durable, as the vault must.
		onDisk := filepath.Join(cfg.work, "age-to-disk.age")
		start := time.Now()
		if _, err := runTimed(io.Discard, cfg.age, "-r", rcpt, "-o", onDisk, plain); err != nil {
			return nil, err
		}
		if err := fsyncFile(onDisk); err != nil {
			return nil, err
		}
		res.AgeEncDisk = append(res.AgeEncDisk, time.Since(start))
		os.Remove(onDisk)

		logf("deposit round %d/%d: client deposit", round+1, cfg.rounds)
		var id string
		err = cfg.profile(fmt.Sprintf("deposit-%d", round+1), func() error {
			f, err := os.Open(plain)
			if err != nil {
				return err
			}
			defer f.Close()
			m := meterCPU(srv)
			start := time.Now()
			dep, err := c.Deposit(ctx, client.DepositRequest{
				Collection: colFiles, Kind: "media",
				Public:  client.PublicMeta{Title: "Benchmark recording", Language: "en", Governorate: "Kirkuk", IncidentDate: "2017"},
				Consent: client.Consent{Scopes: []string{"research"}, RecordedAt: "2018-01-01", RecordedBy: w.Depositor.ID},
				Private: map[string]any{"file_name": "large.bin", "media_type": "application/octet-stream"},
				Content: bufio.NewReaderSize(f, 64<<10),
			})
			if err != nil {
				return err
			}
			res.Deposit = append(res.Deposit, time.Since(start))
			cl, sv := m.Stop()
			res.DepositCPU = append(res.DepositCPU, [2]time.Duration{cl, sv})
			res.AfterDeposit = append(res.AfterDeposit, srv.rss())
			id = dep.Document.ID
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("deposit: %w", err)
		}

		logf("deposit round %d/%d: age -d", round+1, cfg.rounds)
		run, err = runTimed(io.Discard, cfg.age, "-d", "-i", keyFile, "-o", "/dev/null", enc)
		if err != nil {
			return nil, err
		}
		res.AgeDec = append(res.AgeDec, run.Wall)
		res.AgeDecCPU = append(res.AgeDecCPU, run.CPU)

		// Its like-for-like peer: age writing the plaintext to the same
		// disk and making it durable, as a get to a file does.
		outFile := filepath.Join(cfg.work, "got.bin")
		start = time.Now()
		if _, err := runTimed(io.Discard, cfg.age, "-d", "-i", keyFile, "-o", outFile, enc); err != nil {
			return nil, err
		}
		if err := fsyncFile(outFile); err != nil {
			return nil, err
		}
		res.AgeDecDisk = append(res.AgeDecDisk, time.Since(start))
		os.Remove(outFile)

		logf("deposit round %d/%d: client get", round+1, cfg.rounds)
		err = cfg.profile(fmt.Sprintf("get-%d", round+1), func() error {
			m := meterCPU(srv)
			start := time.Now()
			out, err := os.Create(outFile)
			if err != nil {
				return err
			}
			defer os.Remove(outFile)
			defer out.Close()
			got, err := c.Get(ctx, id, ids, out)
			if err == nil {
				err = out.Sync()
			}
			if err != nil {
				return err
			}
			if got.Digest.PlainSize != cfg.size {
				return fmt.Errorf("got %d bytes, deposited %d", got.Digest.PlainSize, cfg.size)
			}
			res.Get = append(res.Get, time.Since(start))
			cl, sv := m.Stop()
			res.GetCPU = append(res.GetCPU, [2]time.Duration{cl, sv})
			res.AfterGet = append(res.AfterGet, srv.rss())
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("get: %w", err)
		}
		if strings.HasPrefix(cfg.blobStore, "s3://") {
			logf("deposit round %d/%d: minio-go alone", round+1, cfg.rounds)
			up, down, err := plainS3(ctx, cfg.blobStore, enc, filepath.Join(cfg.work, "s3-got.age"))
			if err != nil {
				return nil, fmt.Errorf("minio-go alone: %w", err)
			}
			res.S3Put = append(res.S3Put, up)
			res.S3Get = append(res.S3Get, down)
		}
		res.Load = append(res.Load, load1())
	}
	anon, file := sampler.Stop()
	res.ClientMaxRSS, res.ClientHWM = selfMaxRSS(), selfHWM()
	res.ClientAnon = anon[0]
	res.ServerAnon, res.ServerFile, res.ServerHWM, res.ServerTotal = -1, -1, srv.HWM(), -1
	if len(anon) > 1 {
		res.ServerAnon, res.ServerFile, res.ServerTotal = anon[1], file[1], sampler.Totals()[1]
	}
	c.Logout(ctx)
	os.Remove(enc)
	return res, nil
}

type startupResult struct {
	Unseal     time.Duration // serve start to healthy
	HWM, Anon  int64         // VmHWM, and RssAnon 2 s after healthy
	WorkFactor string
}

// probeStartup creates a vault with `amana init` at the default scrypt work
// factor and measures what unsealing it costs `amana serve` at start.
func probeStartup(ctx context.Context, cfg *config) (*startupResult, error) {
	dir := filepath.Join(cfg.work, "startup")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	_, passFile, err := writePassphrase(dir)
	if err != nil {
		return nil, err
	}
	admin, err := newBenchUser("bench.admin", "admin", false)
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "vault")
	if _, err := runTimed(io.Discard, cfg.amana, "init", "--data", data, "--admin", admin.ID,
		"--admin-recipient", admin.Recipient, "--passphrase-file", passFile, "--json"); err != nil {
		return nil, err
	}
	inproc := cfg.inproc
	cfg.inproc = false
	start := time.Now()
	srv, err := startServer(ctx, cfg, data, passFile, "server-startup.log")
	cfg.inproc = inproc
	if err != nil {
		return nil, err
	}
	res := &startupResult{Unseal: time.Since(start), WorkFactor: "18 (default)"}
	time.Sleep(2 * time.Second)
	res.HWM = srv.HWM()
	if kb := procField(fmt.Sprintf("/proc/%d/status", srv.PID), "RssAnon"); kb >= 0 {
		res.Anon = kb << 10
	}
	return res, srv.Stop()
}
