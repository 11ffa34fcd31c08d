package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"
)

type report struct {
	Started   time.Time
	Took      time.Duration
	LoadStart string
	LoadEnd   string
	Machine   machine
	Setup     time.Duration

	Deposit      *depositResult
	Startup      *startupResult
	LoadDisk     *reindexResult
	Login        *latencies
	LoginPQ      *latencies
	Corpus       *corpus
	Index        *indexResult
	Filter       string
	Search       *searchResult
	NoHit        *searchResult
	Audited      *loadResult
	AuditedNoHit *loadResult
	Shared       *loadResult
	Reindex      *reindexResult
	Audit        *auditResult
}

type row struct{ what, measured, target, result, load string }

func verdict(ok bool) string {
	if ok {
		return "pass"
	}
	return "**miss**"
}

const rssLimit = 64 << 20

// blobStoreName is the main vault's blob store as the report names it.
func blobStoreName(cfg *config) string {
	if cfg.blobStore == "" {
		return "the vault's directory"
	}
	u := cfg.blobStore
	if i := strings.Index(u, "?"); i >= 0 {
		u = u[:i]
	}
	return "`" + u + "`"
}

func (r *report) rows(cfg *config) []row {
	var rows []row
	add := func(what, measured, target, result, load string) {
		rows = append(rows, row{what, measured, target, result, load})
	}
	if d := r.Deposit; d != nil {
		size := humanBytes(d.Size)
		dep, ageEnc := median(d.Deposit), median(d.AgeEnc)
		get, ageDec := median(d.Get), median(d.AgeDec)
		rd, rg := dep.Seconds()/ageEnc.Seconds(), get.Seconds()/ageDec.Seconds()
		load := strings.Join(d.Load, ", ")
		add("deposit of "+size+": client encrypt + upload + store",
			fmt.Sprintf("%s (%s); `age -r` %s (%s): **%.2f×**", secs(dep), mbps(d.Size, dep), secs(ageEnc), mbps(d.Size, ageEnc), rd),
			"≤ 1.5× `age -r`", verdict(rd <= 1.5), load)
		if len(d.AgeEncDisk) > 0 {
			ad := median(d.AgeEncDisk)
			r := dep.Seconds() / ad.Seconds()
			add("deposit, against `age -r -o FILE` on the same disk + fsync (blob store: "+blobStoreName(cfg)+")",
				fmt.Sprintf("%s (%s); age to disk %s (%s): **%.2f×**", secs(dep), mbps(d.Size, dep), secs(ad), mbps(d.Size, ad), r),
				"≤ 1.2×", verdict(r <= 1.2), load)
		}
		add("get of the same file to a file + fsync: download + decrypt + verify both hashes",
			fmt.Sprintf("%s (%s); `age -d -o /dev/null` %s (%s): **%.2f×**", secs(get), mbps(d.Size, get), secs(ageDec), mbps(d.Size, ageDec), rg),
			"≤ 1.5× `age -d`", verdict(rg <= 1.5), load)
		if len(d.AgeDecDisk) > 0 {
			ad := median(d.AgeDecDisk)
			r := get.Seconds() / ad.Seconds()
			add("get, against `age -d -o FILE` on the same disk + fsync (blob store: "+blobStoreName(cfg)+")",
				fmt.Sprintf("%s (%s); age to disk %s (%s): **%.2f×**", secs(get), mbps(d.Size, get), secs(ad), mbps(d.Size, ad), r),
				"≤ 1.2×", verdict(r <= 1.2), load)
		}
		if len(d.S3Put) > 0 {
			up, down := median(d.S3Put), median(d.S3Get)
			add("S3: deposit against minio-go alone uploading the same size of age ciphertext (`PutObject`, its defaults)",
				fmt.Sprintf("deposit %s; minio-go %s (%s): %.2f×", secs(dep), secs(up), mbps(d.Size, up), dep.Seconds()/up.Seconds()), "—", "", load)
			add("S3: get against minio-go alone downloading it to a file + fsync (`GetObject`)",
				fmt.Sprintf("get %s; minio-go %s (%s): %.2f×", secs(get), secs(down), mbps(d.Size, down), get.Seconds()/down.Seconds()), "—", "", load)
		}
		add("peak RSS, client (this process, during deposit and get)",
			fmt.Sprintf("VmHWM %s; RssAnon peak %s", mib(d.ClientHWM), mib(d.ClientAnon)),
			"< 64 MiB", verdict(d.ClientHWM < rssLimit), load)
		if d.ServerAnon >= 0 {
			add(fmt.Sprintf("peak RSS, server, during deposit and get (vault sealed at scrypt work factor %d)", cfg.scryptWF),
				fmt.Sprintf("anonymous + mapped (smaps_rollup Rss) peak **%s**; VmHWM %s; RssAnon peak %s, RssFile peak %s (bbolt's mmap of vault.db)", mib(d.ServerTotal), mib(d.ServerHWM), mib(d.ServerAnon), mib(d.ServerFile)),
				"< 64 MiB", verdict(d.ServerHWM < rssLimit && d.ServerTotal < rssLimit), load)
		}
		if s := r.Startup; s != nil {
			add("peak RSS, server, start-up with the default scrypt work factor (18)",
				fmt.Sprintf("VmHWM %s, RssAnon %s 2 s after start; unseal + start %s", mib(s.HWM), mib(s.Anon), secs(s.Unseal)),
				"< 64 MiB", verdict(s.HWM < rssLimit), load)
		}
	}
	if l := r.Login; l != nil {
		add(fmt.Sprintf("login (challenge + age decrypt + TOTP), %d X25519 users once each", l.N+l.Errors),
			fmt.Sprintf("p50 %s, p99 %s%s", ms(l.P50), ms(l.P99), errNote(l.Errors)),
			"p99 ≤ 50 ms", verdict(l.P99 <= 50*time.Millisecond && l.Errors == 0), l.Load)
	}
	if l := r.LoginPQ; l != nil {
		add(fmt.Sprintf("login, %d post-quantum (age1pq1…) users", l.N+l.Errors),
			fmt.Sprintf("p50 %s, p99 %s%s", ms(l.P50), ms(l.P99), errNote(l.Errors)),
			"p99 ≤ 50 ms", verdict(l.P99 <= 50*time.Millisecond && l.Errors == 0), l.Load)
	}
	if ix := r.Index; ix != nil {
		add(fmt.Sprintf("index %s documents in-process (`search.Put`, batches of %d)", count(ix.Docs), ix.Batch),
			fmt.Sprintf("%.0f docs/s (%s); %s on disk", float64(ix.Docs)/ix.Took.Seconds(), secs(ix.Took), mib(ix.Size)),
			"—", "", ix.Load)
	}
	if s := r.Search; s != nil {
		ok := s.All.P50 <= 5*time.Millisecond && s.All.P99 <= 50*time.Millisecond && s.All.Errors == 0
		add(fmt.Sprintf("search at %s documents, HTTP, facets + access filter, %d sequential searches", count(r.Index.Docs), s.Queries),
			fmt.Sprintf("p50 %s, p99 %s%s (server `took_ms` p50 %s, p99 %s)", ms(s.All.P50), ms(s.All.P99), errNote(s.All.Errors), ms(s.ServerP50), ms(s.ServerP99)),
			"p50 ≤ 5 ms, p99 ≤ 50 ms", verdict(ok), s.All.Load)
	}
	if a := r.Audited; a != nil {
		add(fmt.Sprintf("audited searches, %d clients (own addresses), %s", a.Clients, secs(a.Elapsed)),
			fmt.Sprintf("**%.0f/s** (p50 %s, p99 %s)%s%s", a.PerSecond, ms(a.Lat.P50), ms(a.Lat.P99), loadNote(a), capacity(a.Lat, cfg)),
			"≥ 2,000/s", verdict(a.PerSecond >= 2000 && a.Errors == 0), a.Lat.Load)
	}
	if s := r.NoHit; s != nil {
		add("the same, with a query that matches nothing (HTTP + session + index lookups without hits + audit append + group commit)",
			fmt.Sprintf("p50 %s, p99 %s%s", ms(s.All.P50), ms(s.All.P99), errNote(s.All.Errors)),
			"—", "", s.All.Load)
	}
	if a := r.AuditedNoHit; a != nil {
		add(fmt.Sprintf("audited searches that match nothing, %d clients (own addresses)", a.Clients),
			fmt.Sprintf("%.0f/s (p50 %s, p99 %s)%s%s", a.PerSecond, ms(a.Lat.P50), ms(a.Lat.P99), loadNote(a), capacity(a.Lat, cfg)),
			"—", "", a.Lat.Load)
	}
	if a := r.Shared; a != nil {
		add(fmt.Sprintf("audited searches that match nothing, %d clients from one address (a reverse proxy on the host)", a.Clients),
			fmt.Sprintf("%.0f/s (p50 %s, p99 %s)%s", a.PerSecond, ms(a.Lat.P50), ms(a.Lat.P99), loadNote(a)),
			"—", "", a.Lat.Load)
	}
	if x := r.LoadDisk; x != nil {
		add(fmt.Sprintf("deposits through the vault API in-process, on disk, %d workers", x.Workers),
			fmt.Sprintf("%s in %s: %.0f deposits/s", count(x.Loaded), secs(x.LoadTook), float64(x.Loaded)/x.LoadTook.Seconds()),
			"—", "", x.LoadLoad)
	}
	if x := r.Reindex; x != nil {
		where := "on disk"
		if cfg.loadDir != "" {
			where = "in " + cfg.loadDir + " (tmpfs: fsync is free), then copied to disk"
		}
		add(fmt.Sprintf("load the reindex vault: deposits through the vault API in-process, %s, %d workers", where, x.Workers),
			fmt.Sprintf("%s of %s in %s: %.0f deposits/s", count(x.Loaded), count(x.Want), secs(x.LoadTook), float64(x.Loaded)/x.LoadTook.Seconds()),
			"—", "", x.LoadLoad)
		if x.Wall > 0 {
			rate := float64(x.Indexed) / x.Wall.Seconds()
			m := fmt.Sprintf("%s (%s in `indexer.Rebuild`), %.0f docs/s", secs(x.Wall), secs(x.Internal), rate)
			est := x.Wall
			what := fmt.Sprintf("reindex of %s documents (`amana reindex`, child)", count(x.Indexed))
			if x.Indexed < x.Want {
				est = time.Duration(float64(x.Wall) * float64(x.Want) / float64(x.Indexed))
				m += fmt.Sprintf("; **extrapolated to %s: %s**", count(x.Want), secs(est))
			}
			add(what, m, "≤ 60 s", verdict(est <= 60*time.Second), x.Load)
		}
	}
	if a := r.Audit; a != nil {
		add(fmt.Sprintf("offline verification of %s audit events (`amana audit verify --data`, child)", count(a.Events)),
			fmt.Sprintf("%s (%.0f events/s)", secs(a.Wall), float64(a.Events)/a.Wall.Seconds()),
			"≤ 10 s", verdict(a.Wall <= 10*time.Second), a.Load)
	}
	return rows
}

// capacity turns the server's CPU time per search into the most searches
// per second it could serve with every core to itself.
func capacity(l latencies, cfg *config) string {
	if l.CPUServer <= 0 || cfg.inproc {
		return ""
	}
	cores := float64(runtime.NumCPU())
	return fmt.Sprintf("; server CPU %s/search, so ≤ %.0f/s with %.0f idle cores", ms(l.CPUServer), cores/l.CPUServer.Seconds(), cores)
}

func errNote(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d errors", n)
}

func loadNote(a *loadResult) string {
	var s []string
	if a.Limited > 0 {
		s = append(s, fmt.Sprintf("%s answered 429", count(a.Limited)))
	}
	if a.Errors > 0 {
		s = append(s, fmt.Sprintf("%d errors", a.Errors))
	}
	if len(s) == 0 {
		return ""
	}
	return "; " + strings.Join(s, ", ")
}

func command() string {
	args := []string{"go run ./cmd/amana-bench"}
	for _, a := range os.Args[1:] {
		if strings.ContainsAny(a, " '\"$*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

func (r *report) markdown(cfg *config) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	m := r.Machine
	p("## amana-bench, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	p("Command: `%s`\n\n", command())
	p("Machine: %s, %d cores, %s RAM, Linux %s, %s; disk %s (%s).\n", m.CPU, m.Cores, m.MemTotal, m.Kernel, m.GoVersion, m.DiskFree, m.Dir)
	p("Load average (1, 5, 15 min): %s at start, %s at end; the run took %s.\n", r.LoadStart, r.LoadEnd, r.Took.Round(time.Second))
	if cfg.inproc {
		p("**Server in process (--inproc)**: numbers are for profiling only.\n")
	}
	p("\n| what | measured | target | result | load (1 min) |\n| --- | --- | --- | --- | --- |\n")
	for _, rw := range r.rows(cfg) {
		p("| %s | %s | %s | %s | %s |\n", rw.what, rw.measured, rw.target, rw.result, rw.load)
	}
	p("\nDetails:\n\n")
	if d := r.Deposit; d != nil {
		var rounds []string
		for i := range d.Deposit {
			rounds = append(rounds, fmt.Sprintf("round %d: age -r %s, age -r to disk + fsync %s, deposit %s, age -d %s, age -d to disk + fsync %s, get %s (load %s)",
				i+1, secs(d.AgeEnc[i]), secs(d.AgeEncDisk[i]), secs(d.Deposit[i]), secs(d.AgeDec[i]), secs(d.AgeDecDisk[i]), secs(d.Get[i]), d.Load[i]))
		}
		p("- Large file: %s of ChaCha8 output written in %s; %s. age runs `age -r R -o /dev/null FILE` and `age -d -i KEY -o /dev/null FILE.age` (X25519); the client uses a post-quantum document key and writes what it gets to a file it syncs; the server stores the ciphertext as one blob.\n",
			humanBytes(d.Size), secs(d.GenTime), strings.Join(rounds, "; "))
	}
	if d := r.Deposit; d != nil && len(d.DepositCPU) > 0 {
		i := len(d.DepositCPU) - 1
		p("- CPU time of the last round (user + system; load-independent): `age -r` %s; deposit client %s + server %s; `age -d` %s; get client %s + server %s.\n",
			secs(d.AgeEncCPU[i]), secs(d.DepositCPU[i][0]), secs(d.DepositCPU[i][1]), secs(d.AgeDecCPU[i]), secs(d.GetCPU[i][0]), secs(d.GetCPU[i][1]))
	}
	if d := r.Deposit; d != nil && len(d.AfterDeposit) > 0 {
		p("- Server memory, round by round: ")
		for i := range d.AfterDeposit {
			if i > 0 {
				p("; ")
			}
			p("after deposit %d %s, after get %d %s", i+1, d.AfterDeposit[i], i+1, d.AfterGet[i])
		}
		p(".\n")
	}
	if d := r.Deposit; d != nil {
		p("- Client memory: getrusage ru_maxrss %s (it includes the high-water mark of the parent that exec'd this process, e.g. `go run`; VmHWM does not).\n", mib(d.ClientMaxRSS))
	}
	if r.Login != nil {
		p("- Logins: one after the other over one keep-alive connection, each with the current TOTP code; serve runs with `--auth-rate %s --auth-burst %s` so that the per-address login limiter (10/s, burst 60) does not answer 429. CPU per login: client %s, server %s (X25519)",
			authRate, authRate, ms(r.Login.CPUClient), ms(r.Login.CPUServer))
		if r.LoginPQ != nil {
			p("; client %s, server %s (post-quantum)", ms(r.LoginPQ.CPUClient), ms(r.LoginPQ.CPUServer))
		}
		p("; max %s.\n", ms(r.Login.Max))
	}
	if ix := r.Index; ix != nil {
		p("- Index load used %s of CPU (%.2f ms/doc).\n", secs(ix.CPU), float64(ix.CPU.Microseconds())/1000/float64(ix.Docs))
	}
	if c := r.Corpus; c != nil {
		p("- Corpus: `demodata.Generate(%s, 1)` in %s, client-side redaction of public fields in %s (%.0f docs/s on %d cores); every fifth document is in `%s`, which no searcher belongs to.\n",
			count(len(c.Docs)), secs(c.Generate), secs(c.Redact), float64(len(c.Docs))/c.Redact.Seconds(), m.Cores, colRestricted)
	}
	if r.Filter != "" {
		p("- Access filter check: %s.\n", r.Filter)
	}
	if s := r.Search; s != nil {
		p("- Searches use `facets=%s`, page size 20. By kind of query (client-side round trip):\n\n", strings.Join(benchFacets, ","))
		p("  | query | example | n | median hits | p50 | p99 | max |\n  | --- | --- | --- | --- | --- | --- | --- |\n")
		for _, class := range sortedClasses(s.ByClass) {
			l := s.ByClass[class]
			p("  | %s | `%s` | %d | %s | %s | %s | %s |\n", class, s.Examples[class], l.N, count(int(s.Hits[class])), ms(l.P50), ms(l.P99), ms(l.Max))
		}
		p("\n  %d of %d searches found nothing. CPU per search: client %s, server %s.", s.Zero, s.Queries, ms(s.All.CPUClient), ms(s.All.CPUServer))
		if s.FirstErr != nil {
			p(" First error: %v.", s.FirstErr)
		}
		p("\n")
	}
	if s := r.NoHit; s != nil {
		p("- No-hit searches: CPU per search client %s, server %s.\n", ms(s.All.CPUClient), ms(s.All.CPUServer))
	}
	if r.Audited != nil {
		p("- The server rate-limits each client address (500 requests/s, burst 1,000; `serve` has no flag for it), so each concurrent client connects from its own loopback address (127.0.0.40…)")
		if r.Shared != nil {
			p("; the shared-address run shows what all users behind one reverse proxy on the host would get")
		}
		p(".\n")
	}
	for _, a := range []*loadResult{r.Audited, r.AuditedNoHit, r.Shared} {
		if a != nil {
			p("- Concurrent searches (%s): %s ok, %s answered 429, %d other errors in %s after a 1 s warm-up; each ok search appended an audit event. CPU per request: client %s, server %s.", a.Name, count(a.OK), count(a.Limited), a.Errors, secs(a.Elapsed), ms(a.Lat.CPUClient), ms(a.Lat.CPUServer))
			if a.FirstErr != nil {
				p(" First error: %v.", a.FirstErr)
			}
			p("\n")
		}
	}
	if x := r.Reindex; x != nil {
		p("- Reindex vault: %s after loading (%s documents, each with 2 key slots, classic X25519 document keys, demodata's short content); loaded in %s.",
			mib(x.VaultSize), count(x.Loaded), x.LoadDir)
		p(" Loading used %s of CPU in this process (%.2f ms/deposit).", secs(x.LoadCPU), float64(x.LoadCPU.Microseconds())/1000/float64(max(x.Loaded, 1)))
		if x.Wall > 0 {
			p(" `amana reindex`: CPU %s, peak RSS (VmHWM) %s, new index %s.", secs(x.CPU), mib(x.MaxRSS), mib(x.IndexSize))
		}
		p("\n")
	}
	if a := r.Audit; a != nil {
		p("- Audit log: %s events built in-process in %s (%s bbolt file, load %s); `amana audit verify`: CPU %s, peak RSS (VmHWM) %s.\n",
			count(a.Events), secs(a.Build), mib(a.DBSize), a.BuildLoad, secs(a.CPU), mib(a.MaxRSS))
	}
	p("- Vault set-up (users and collections, in process): %s.\n", secs(r.Setup))
	return b.String()
}
