package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machine describes where the numbers were taken.
type machine struct {
	CPU       string
	Cores     int
	GoVersion string
	Kernel    string
	MemTotal  string
	DiskFree  string // of the work directory's file system
	Dir       string
}

func describeMachine(dir string) machine {
	m := machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Dir: dir}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if kb := procField("/proc/meminfo", "MemTotal"); kb > 0 {
		m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
	}
	m.DiskFree = diskFree(dir)
	return m
}

func diskFree(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "?"
	}
	return fmt.Sprintf("%.1f GiB free of %.1f GiB", float64(st.Bavail*uint64(st.Bsize))/(1<<30), float64(st.Blocks*uint64(st.Bsize))/(1<<30))
}

// loadAvg returns the 1, 5 and 15 minute load averages as "1.23 1.10 0.98".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// load1 is the one-minute load average, shown next to each number.
func load1() string {
	return strings.Fields(loadAvg() + " ?")[0]
}

// procField reads a "Name:   123 kB" line of a /proc status-like file and
// returns the number (kB for memory fields), or -1.
func procField(path, name string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != name {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			return -1
		}
		n, err := strconv.ParseInt(fs[0], 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	return -1
}

// selfHWM is this process's VmHWM in bytes: its peak resident set since
// exec, mapped files included.
func selfHWM() int64 {
	kb := procField("/proc/self/status", "VmHWM")
	if kb < 0 {
		return -1
	}
	return kb << 10
}

// selfCPU is this process's user + system time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is another process's user + system time so far, from
// /proc/PID/stat (in clock ticks of 10 ms).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// the last ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// cpuMeter measures the CPU time this process and the server use over a
// stretch of work, independent of the machine's load.
type cpuMeter struct {
	srv         *server
	self0, srv0 time.Duration
}

func meterCPU(srv *server) *cpuMeter {
	m := &cpuMeter{srv: srv, self0: selfCPU()}
	if srv != nil && srv.PID != 0 {
		m.srv0 = srv.CPU()
	}
	return m
}

// Stop returns the CPU time used by this process and by the server child
// (0 in process: everything counts as this process's).
func (m *cpuMeter) Stop() (self, srv time.Duration) {
	self = selfCPU() - m.self0
	if m.srv != nil && m.srv.PID != 0 {
		srv = m.srv.CPU() - m.srv0
	}
	return self, srv
}

// selfMaxRSS is getrusage(RUSAGE_SELF).ru_maxrss in bytes.
func selfMaxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Maxrss << 10
}

// rssSampler polls RssAnon (and RssFile) of some processes until stopped and
// keeps the peaks. RssAnon is the process's own memory (heap, stacks);
// RssFile counts mapped file pages, such as bbolt's memory map of the vault,
// which belong to the page cache and are reclaimable.
type rssSampler struct {
	paths     []string // /proc/PID/status files
	peakAnon  []int64  // kB
	peakFile  []int64  // kB
	peakTotal []int64  // kB: Rss of /proc/PID/smaps_rollup, anonymous plus mapped
	stop      chan struct{}
	done      chan struct{}
}

func sampleRSS(every time.Duration, pids ...int) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	for _, pid := range pids {
		s.paths = append(s.paths, fmt.Sprintf("/proc/%d/status", pid))
	}
	s.peakAnon = make([]int64, len(pids))
	s.peakFile = make([]int64, len(pids))
	s.peakTotal = make([]int64, len(pids))
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			for i, p := range s.paths {
				s.peakAnon[i] = max(s.peakAnon[i], procField(p, "RssAnon"))
				s.peakFile[i] = max(s.peakFile[i], procField(p, "RssFile"))
				s.peakTotal[i] = max(s.peakTotal[i], procField(strings.TrimSuffix(p, "status")+"smaps_rollup", "Rss"))
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop stops sampling and returns the peaks in bytes, per process.
func (s *rssSampler) Stop() (anon, file []int64) {
	close(s.stop)
	<-s.done
	for i := range s.paths {
		anon = append(anon, s.peakAnon[i]<<10)
		file = append(file, s.peakFile[i]<<10)
	}
	return anon, file
}

// Totals returns the peaks of anonymous plus mapped memory (smaps_rollup's
// Rss) in bytes, per process, once stopped.
func (s *rssSampler) Totals() []int64 {
	var out []int64
	for _, kb := range s.peakTotal {
		out = append(out, kb<<10)
	}
	return out
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// percentile returns the p-th percentile (0..100) of ds by the nearest-rank
// method; ds is sorted in place.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(p/100*float64(len(ds))+0.999999) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

func secs(d time.Duration) string {
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// parseSize reads "1GiB", "64MiB", "512KiB", "1000000" (bytes).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = strings.TrimSpace(rest), u.m
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// count formats an integer with thousands separators: 100,000.
func count(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
