// Command amana-bench measures Amana's performance targets (BENCHMARKS.md) end to end: it
// creates a fresh vault in a temporary directory, runs `amana serve` as a
// separate process on loopback, drives it from this process through the
// API client, and prints a Markdown table of what was measured against
// the targets, with the machine and the load average next to each number.
//
//	go run ./cmd/amana-bench                 # full sizes: 1 GiB, 100,000 documents, 1,000,000 events
//	go run ./cmd/amana-bench --quick         # 64 MiB, 10,000 documents, 100,000 events
//	go run ./cmd/amana-bench --skip deposit,reindex --cpuprofile /tmp/prof
//	go run ./cmd/amana-bench --load-dir /dev/shm  # build the reindex vault on tmpfs (see BENCHMARKS.md)
//
// Parts: deposit (and get, next to the stock age CLI, with peak RSS),
// login, search (sequential latency), audited (concurrent searches),
// reindex, audit (offline verification). --inproc runs the server in this
// process so that --cpuprofile covers server code too.
//
// Run it from the repository root (it builds ./cmd/amana) or pass --amana.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"
)

// parts, in the order they run.
var allParts = []string{"deposit", "login", "search", "audited", "reindex", "audit"}

type config struct {
	work, workFlag     string
	keep, quick        bool
	amana, age         string
	ageKeygen          string
	sizeFlag           string
	size               int64
	rounds             int
	docs, events       int
	reindexDocs        int
	clients            int
	duration           time.Duration
	sharedDuration     time.Duration
	queries            int
	loginUsers         int
	loginUsersPQ       int
	indexBatch         int
	loadWorkers        int
	loadBudget         time.Duration
	loadDir            string
	diskSample         time.Duration
	scryptWF           int
	skip               map[string]bool
	inproc             bool
	cpuprofile, output string
	blobStore          string
}

func (c *config) run(part string) bool { return !c.skip[part] }

// profile runs fn, under a CPU profile of this process when --cpuprofile
// is set.
func (c *config) profile(name string, fn func() error) error {
	if c.cpuprofile == "" {
		return fn()
	}
	f, err := os.Create(filepath.Join(c.cpuprofile, name+".pprof"))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	return fn()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s amana-bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func main() {
	cfg := &config{}
	var skip string
	flag.StringVar(&cfg.workFlag, "work", "", "work directory (default: a new temporary directory, removed at the end unless --keep)")
	flag.BoolVar(&cfg.keep, "keep", false, "keep the work directory")
	flag.BoolVar(&cfg.quick, "quick", false, "small sizes for a quick run: 64 MiB, 10,000 documents, 100,000 audit events")
	flag.StringVar(&cfg.amana, "amana", "", "amana binary to test (default: go build ./cmd/amana into the work directory)")
	flag.StringVar(&cfg.age, "age", "", "stock age binary (default: from PATH, else go install filippo.io/age/cmd/age@v1.3.2)")
	flag.StringVar(&cfg.ageKeygen, "age-keygen", "", "stock age-keygen binary (default: like --age)")
	flag.StringVar(&cfg.sizeFlag, "size", "1GiB", "size of the large file to deposit and get")
	flag.IntVar(&cfg.rounds, "rounds", 2, "deposit/get rounds, each next to age -r / age -d; medians are reported")
	flag.IntVar(&cfg.docs, "docs", 100000, "documents in the search index")
	flag.IntVar(&cfg.reindexDocs, "reindex-docs", 0, "documents to load into the vault for reindex (default: --docs)")
	flag.IntVar(&cfg.events, "events", 1000000, "audit events for offline verification")
	flag.IntVar(&cfg.clients, "clients", 16, "concurrent clients for audited searches")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long the concurrent clients search")
	flag.DurationVar(&cfg.sharedDuration, "shared-duration", 0, "how long the concurrent clients search from one shared address (0: skip)")
	flag.IntVar(&cfg.queries, "queries", 1000, "sequential searches timed for latency")
	flag.IntVar(&cfg.loginUsers, "login-users", 300, "users (X25519 identities) who log in once each")
	flag.IntVar(&cfg.loginUsersPQ, "login-users-pq", 100, "users with post-quantum (age1pq1…) identities who log in once each")
	flag.IntVar(&cfg.indexBatch, "index-batch", 1000, "documents per index batch when loading the search index")
	flag.IntVar(&cfg.loadWorkers, "load-workers", 4, "concurrent depositors when loading the vault for reindex")
	flag.DurationVar(&cfg.loadBudget, "load-budget", 15*time.Minute, "time allowed for loading the vault for reindex; fewer documents are loaded if it runs out")
	flag.StringVar(&cfg.loadDir, "load-dir", "", "build the reindex vault here, e.g. on tmpfs (/dev/shm) where fsync costs nothing, then move it to the work directory for reindex; the on-disk deposit rate is then sampled for --disk-sample")
	flag.DurationVar(&cfg.diskSample, "disk-sample", 30*time.Second, "with --load-dir: how long to sample the deposit rate on disk first")
	flag.IntVar(&cfg.scryptWF, "scrypt-work-factor", 10, "scrypt work factor of the main vault's passphrase (the default 18 takes 256 MiB to unseal, which would hide the deposit's own memory; start-up at 18 is measured separately)")
	flag.StringVar(&skip, "skip", "", "comma-separated parts to skip: "+strings.Join(allParts, ","))
	flag.BoolVar(&cfg.inproc, "inproc", false, "run the server in this process instead of a child (for --cpuprofile of server code; RSS is then not separable)")
	flag.StringVar(&cfg.cpuprofile, "cpuprofile", "", "write a CPU profile of this process per phase into this directory")
	flag.StringVar(&cfg.output, "o", "", "also write the Markdown report to this file")
	flag.StringVar(&cfg.blobStore, "blob-store", "", "blob store of the main vault (default: its directory); an s3:// URL also measures minio-go alone uploading and downloading the same ciphertext (credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
	flag.Parse()

	if cfg.quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["size"] {
			cfg.sizeFlag = "64MiB"
		}
		if !set["docs"] {
			cfg.docs = 10000
		}
		if !set["events"] {
			cfg.events = 100000
		}
		if !set["duration"] {
			cfg.duration = 5 * time.Second
		}
		if !set["queries"] {
			cfg.queries = 300
		}
	}
	var err error
	if cfg.size, err = parseSize(cfg.sizeFlag); err != nil {
		fatal(err)
	}
	if cfg.reindexDocs == 0 {
		cfg.reindexDocs = cfg.docs
	}
	cfg.skip = map[string]bool{}
	for _, s := range strings.Split(skip, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(allParts, s) {
			fatal(fmt.Errorf("--skip: unknown part %q (parts: %s)", s, strings.Join(allParts, ",")))
		}
		cfg.skip[s] = true
	}
	if cfg.clients < 1 || cfg.clients > 200 || cfg.rounds < 1 || cfg.docs < 100 || cfg.indexBatch < 1 || cfg.loadWorkers < 1 {
		fatal(fmt.Errorf("--clients must be 1..200, --rounds ≥ 1, --docs ≥ 100, --index-batch and --load-workers ≥ 1"))
	}
	if cfg.cpuprofile != "" {
		if err := os.MkdirAll(cfg.cpuprofile, 0o755); err != nil {
			fatal(err)
		}
	}

	if cfg.workFlag != "" {
		cfg.work = cfg.workFlag
		if err := os.MkdirAll(cfg.work, 0o700); err != nil {
			fatal(err)
		}
	} else {
		if cfg.work, err = os.MkdirTemp("", "amana-bench-"); err != nil {
			fatal(err)
		}
		if !cfg.keep {
			defer os.RemoveAll(cfg.work)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := runAll(ctx, cfg)
	if rep != nil {
		md := rep.markdown(cfg)
		fmt.Print(md)
		if cfg.output != "" {
			if werr := os.WriteFile(cfg.output, []byte(md), 0o644); werr != nil {
				logf("writing %s: %v", cfg.output, werr)
			}
		}
	}
	if err != nil {
		if !cfg.keep && cfg.workFlag == "" {
			os.RemoveAll(cfg.work)
		}
		fatal(err)
	}
	if cfg.keep || cfg.workFlag != "" {
		logf("work directory kept: %s", cfg.work)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "amana-bench: %v\n", err)
	os.Exit(1)
}

// findAge returns the stock age binaries: flags, PATH, or a fresh
// go install of v1.3.2 into the work directory.
func findAge(cfg *config) error {
	if cfg.age == "" {
		cfg.age, _ = exec.LookPath("age")
	}
	if cfg.ageKeygen == "" {
		cfg.ageKeygen, _ = exec.LookPath("age-keygen")
	}
	if cfg.age != "" && cfg.ageKeygen != "" {
		return nil
	}
	bin := filepath.Join(cfg.work, "bin")
	logf("installing the stock age v1.3.2 into %s", bin)
	cmd := exec.Command("go", "install", "filippo.io/age/cmd/age@v1.3.2", "filippo.io/age/cmd/age-keygen@v1.3.2")
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("installing age: %w", err)
	}
	if cfg.age == "" {
		cfg.age = filepath.Join(bin, "age")
	}
	if cfg.ageKeygen == "" {
		cfg.ageKeygen = filepath.Join(bin, "age-keygen")
	}
	return nil
}

func runAll(ctx context.Context, cfg *config) (*report, error) {
	rep := &report{Started: time.Now(), LoadStart: loadAvg(), Machine: describeMachine(cfg.work)}
	defer func() {
		rep.LoadEnd = loadAvg()
		rep.Took = time.Since(rep.Started)
	}()
	var err error
	if cfg.amana, err = buildAmana(cfg.amana, cfg.work); err != nil {
		return rep, err
	}
	if cfg.run("deposit") {
		if err := findAge(cfg); err != nil {
			return rep, err
		}
	}
	logf("creating the benchmark vault with %d users", 2+cfg.clients+1+cfg.loginUsers+cfg.loginUsersPQ)
	w, err := createWorld(cfg)
	if err != nil {
		return rep, fmt.Errorf("creating the vault: %w", err)
	}
	rep.Setup = w.Setup

	if cfg.run("deposit") || cfg.run("login") {
		srv, err := startServer(ctx, cfg, w.Dir, w.PassFile, "server-1.log")
		if err != nil {
			return rep, err
		}
		err = func() error {
			if cfg.run("deposit") {
				if rep.Deposit, err = benchDeposit(ctx, cfg, w, srv); err != nil {
					return err
				}
			}
			if cfg.run("login") {
				logf("logging in %d users one after the other", len(w.Logins))
				l, err := benchLogin(ctx, cfg, srv, w.Logins, "login")
				if err != nil {
					return err
				}
				rep.Login = &l
				if len(w.LoginsPQ) > 0 {
					logf("logging in %d post-quantum users", len(w.LoginsPQ))
					l, err := benchLogin(ctx, cfg, srv, w.LoginsPQ, "login-pq")
					if err != nil {
						return err
					}
					rep.LoginPQ = &l
				}
			}
			return nil
		}()
		if serr := srv.Stop(); err == nil && serr != nil {
			err = fmt.Errorf("stopping the server: %w", serr)
		}
		if err != nil {
			return rep, err
		}
		if cfg.run("deposit") {
			logf("measuring amana serve start-up on a vault sealed at the default scrypt work factor")
			if rep.Startup, err = probeStartup(ctx, cfg); err != nil {
				return rep, err
			}
		}
	}

	var corp *corpus
	if cfg.run("search") || cfg.run("audited") {
		logf("generating and redacting %s documents", count(cfg.docs))
		corp = buildCorpus(cfg.docs)
		rep.Corpus = corp
		logf("loading the search index (%s documents, batches of %d)", count(cfg.docs), cfg.indexBatch)
		if rep.Index, err = loadIndex(cfg, filepath.Join(w.Dir, "index"), corp); err != nil {
			return rep, fmt.Errorf("loading the index: %w", err)
		}
		if err := benchSearch(ctx, cfg, w, corp, rep); err != nil {
			return rep, err
		}
	}

	if cfg.run("reindex") {
		if corp == nil || len(corp.Docs) != cfg.reindexDocs {
			logf("generating and redacting %s documents", count(cfg.reindexDocs))
			corp = buildCorpus(cfg.reindexDocs)
			if rep.Corpus == nil {
				rep.Corpus = corp
			}
		}
		dir := filepath.Join(cfg.work, "reindex", "vault")
		if cfg.loadDir != "" {
			sampleDir := filepath.Join(cfg.work, "reindex-disk-sample", "vault")
			logf("sampling the on-disk deposit rate for %s (%d workers)", cfg.diskSample, cfg.loadWorkers)
			sample, _, err := loadVault(cfg, corp, sampleDir, cfg.diskSample, "vault-load-disk")
			if err != nil {
				return rep, fmt.Errorf("loading the vault: %w", err)
			}
			rep.LoadDisk = sample
			os.RemoveAll(filepath.Dir(sampleDir))
			dir = filepath.Join(cfg.loadDir, fmt.Sprintf("amana-bench-reindex-%d", os.Getpid()), "vault")
			defer os.RemoveAll(filepath.Dir(dir))
		}
		logf("depositing %s documents into a second vault in %s through the vault API (%d workers, budget %s)", count(len(corp.Docs)), dir, cfg.loadWorkers, cfg.loadBudget)
		res, rw, err := loadVault(cfg, corp, dir, cfg.loadBudget, "vault-load")
		if err != nil {
			return rep, fmt.Errorf("loading the vault: %w", err)
		}
		rep.Reindex = res
		if cfg.loadDir != "" {
			// Reindex on the work directory's disk, not where it was loaded.
			to := filepath.Join(cfg.work, "reindex", "vault")
			logf("moving the loaded vault from %s to %s", dir, to)
			if err := copyDir(dir, to); err != nil {
				return rep, err
			}
			cp := filepath.Join(cfg.work, "reindex", "passphrase.txt")
			if err := copyFile(rw.passFile, cp); err != nil {
				return rep, err
			}
			os.RemoveAll(filepath.Dir(dir))
			rw.dir, rw.passFile = to, cp
		}
		logf("amana reindex --data %s (%s documents)", rw.dir, count(res.Loaded))
		if err := benchReindex(cfg, res, rw); err != nil {
			return rep, err
		}
	}

	if cfg.run("audit") {
		if rep.Audit, err = benchAuditVerify(cfg); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// benchSearch runs the search phase on a second server run, over the index
// loaded before it started.
func benchSearch(ctx context.Context, cfg *config, w *world, corp *corpus, rep *report) (err error) {
	srv, err := startServer(ctx, cfg, w.Dir, w.PassFile, "server-2.log")
	if err != nil {
		return err
	}
	defer func() {
		if serr := srv.Stop(); err == nil && serr != nil {
			err = fmt.Errorf("stopping the server: %w", serr)
		}
	}()
	login := func(u *benchUser, host int) (*clientT, error) {
		c := newClient(srv.URL, host)
		code, err := u.code()
		if err != nil {
			return nil, err
		}
		if _, err := c.Login(ctx, u.ID, identities(u), code); err != nil {
			return nil, fmt.Errorf("login %s: %w", u.ID, err)
		}
		return c, nil
	}
	seq, err := login(w.Searchers[0], 30)
	if err != nil {
		return err
	}
	rep.Filter = checkFilter(ctx, seq, corp.Visible)
	qs := queryMix(corp, 1000)
	noHit := []query{{Class: "no hit", Q: "zqxjvkw"}}
	if cfg.run("search") {
		logf("%d sequential searches", cfg.queries)
		if rep.Search, err = benchSearchSequential(ctx, cfg, srv, seq, qs, cfg.queries, "search-sequential"); err != nil {
			return err
		}
		logf("200 sequential searches that match nothing (the audited request pipeline alone)")
		if rep.NoHit, err = benchSearchSequential(ctx, cfg, srv, seq, noHit, 200, "search-sequential-nohit"); err != nil {
			return err
		}
	}
	if cfg.run("audited") {
		var cs []*clientT
		for i := range cfg.clients {
			c, err := login(w.Searchers[i+1], 40+i)
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		logf("%d concurrent searchers for %s, each from its own address", cfg.clients, cfg.duration)
		if rep.Audited, err = benchSearchLoad(ctx, cfg, srv, cs, qs, cfg.duration, "search-load"); err != nil {
			return err
		}
		logf("%d concurrent searchers for %s with a query that matches nothing", cfg.clients, cfg.duration/2)
		if rep.AuditedNoHit, err = benchSearchLoad(ctx, cfg, srv, cs, noHit, cfg.duration/2, "search-load-nohit"); err != nil {
			return err
		}
		if cfg.sharedDuration > 0 {
			for _, c := range cs {
				c.HTTP = httpFrom(1)
			}
			logf("%d concurrent searchers for %s, all from 127.0.0.1 (as behind a reverse proxy on the host), with a query that matches nothing", cfg.clients, cfg.sharedDuration)
			if rep.Shared, err = benchSearchLoad(ctx, cfg, srv, cs, noHit, cfg.sharedDuration, "search-load-shared"); err != nil {
				return err
			}
			rep.Shared.SharedAddr = true
		}
	}
	return nil
}
