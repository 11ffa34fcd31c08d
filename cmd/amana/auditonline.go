package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/vault/audit"
)

// auditPage is how many events one request asks for (the server's maximum).
const auditPage = 1000

func newAuditLogCmd() *cobra.Command {
	var (
		r                 remote
		actor, doc, since string
		after             int64
		asJSON            bool
	)
	cmd := &cobra.Command{
		Use:   "log [--actor ID] [--doc DOC] [--since T]",
		Short: "List audit events (auditors, admins)",
		Long: `Page through the audit log and list its events, filtered here by actor,
document and time. --since takes a date (2026-01-31), an RFC 3339 time or a
duration back from now (24h, 90m). Search text and client addresses appear
only as keyed hashes. Reading the log is itself audited.

With --json it prints an array of the events with every field the log
holds: seq, time, actor, action, outcome, and doc, collection or target
where there is one. ('amana audit export' keeps their exact bytes.)`,
		Example: `  amana audit log --since 24h
  amana audit log --doc 7f3c9a… --json
  amana audit log --actor a.karim --since 2026-01-01`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var from time.Time
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return err
				}
				from = t
			}
			k, err := r.connect()
			if err != nil {
				return err
			}
			var events []json.RawMessage
			var parsed []*audit.Event
			for next := after; ; {
				page, n, err := k.c.AuditEvents(cmd.Context(), next, auditPage)
				if err != nil {
					return k.done(err)
				}
				for _, raw := range page {
					e, err := audit.ParseEvent(raw)
					if err != nil {
						return fmt.Errorf("event after seq %d: %w", next, err)
					}
					if actor != "" && e.Actor != actor || doc != "" && e.Doc != doc || !from.IsZero() && e.Time.Before(from) {
						continue
					}
					events, parsed = append(events, raw), append(parsed, e)
				}
				// Every read appends an event: stop at a short page, or the
				// log would never end.
				if len(page) < auditPage || n <= next {
					break
				}
				next = n
			}
			k.done(nil)
			if asJSON {
				if events == nil {
					events = []json.RawMessage{}
				}
				return printJSON(cmd, events)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tOUTCOME\tON")
			for _, e := range parsed {
				on := e.Doc
				if on == "" {
					on = e.Collection
				}
				if on == "" {
					on = e.Target
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Outcome, on)
			}
			return tw.Flush()
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().StringVar(&actor, "actor", "", "only events by this user")
	cmd.Flags().StringVar(&doc, "doc", "", "only events about this document")
	cmd.Flags().StringVar(&since, "since", "", "only events from this time on (date, RFC 3339 time or duration)")
	cmd.Flags().Int64Var(&after, "after", 0, "start at this sequence number")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the events as a JSON array")
	return cmd
}

// parseSince reads --since: a duration back from now, a date or a time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError("--since %q: give a date (2026-01-31), an RFC 3339 time or a duration (24h)", s)
}

func newAuditCheckpointCmd() *cobra.Command {
	var (
		r      remote
		out    string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "checkpoint [-o FILE]",
		Short: "Get a freshly signed checkpoint of the audit log",
		Long: `Ask the server to sign a checkpoint covering the log so far (C2SP
tlog-checkpoint: origin, size, root hash, Ed25519 signature), check its
signature with the log's verifier key, and print it or save it to FILE.
Keep it somewhere the server cannot reach: later, 'amana audit verify
--checkpoint FILE' proves that nothing it covers was changed or removed.`,
		Example: `  amana audit checkpoint -o checkpoint-$(date +%F).txt
  amana audit checkpoint --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			vkey, err := k.c.Verifier(ctx)
			if err != nil {
				return k.done(err)
			}
			note, err := k.c.Checkpoint(ctx)
			if err != nil {
				return k.done(err)
			}
			k.done(nil)
			cp, err := audit.OpenCheckpoint(note, vkey)
			if err != nil {
				return fmt.Errorf("the server's checkpoint does not verify: %w", err)
			}
			if out != "" {
				if err := os.WriteFile(out, note, 0o644); err != nil {
					return err
				}
			}
			switch {
			case asJSON:
				return printJSON(cmd, map[string]any{
					"origin": cp.Origin, "size": cp.Size, "root": cp.Root.String(),
					"verifier_key": vkey, "checkpoint": string(note),
				})
			case out != "":
				fmt.Fprintf(cmd.OutOrStdout(), "Saved a checkpoint of %d events (root %s) to %s.\nSigned by %s.\n", cp.Size, cp.Root, out, vkey)
			default:
				cmd.OutOrStdout().Write(note)
			}
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	cmd.Flags().StringVarP(&out, "output", "o", "", "save the checkpoint note to FILE")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print origin, size, root, verifier key and the note as JSON")
	return cmd
}

// memHashes is the Merkle tree's stored hashes in memory, as
// tlog.StoredHashes lays them out: 2n hashes for n events.
type memHashes []tlog.Hash

func (m *memHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(*m)) {
			return nil, fmt.Errorf("hash %d not computed", x)
		}
		out[i] = (*m)[x]
	}
	return out, nil
}

// add hashes the next event into the tree.
func (m *memHashes) add(n int64, leaf []byte) error {
	hs, err := tlog.StoredHashes(n, leaf, m)
	if err != nil {
		return err
	}
	*m = append(*m, hs...)
	return nil
}

// eachEvent fetches events [0, n) in order and calls f with each one's
// leaf data, exactly as the server returned it.
func eachEvent(ctx context.Context, c *client.Client, n int64, f func(seq int64, leaf []byte) error) error {
	for next := int64(0); next < n; {
		page, _, err := c.AuditEvents(ctx, next, auditPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return &audit.TamperError{Seq: next, Reason: fmt.Sprintf("the server returned %d events, but its checkpoint covers %d: events were removed", next, n)}
		}
		for _, leaf := range page {
			if next == n {
				break
			}
			if err := f(next, leaf); err != nil {
				return err
			}
			next++
		}
	}
	return nil
}

// leafSeq returns the seq an event records.
func leafSeq(leaf []byte) (int64, error) {
	var e struct {
		Seq *int64 `json:"seq"`
	}
	if err := json.Unmarshal(leaf, &e); err != nil || e.Seq == nil {
		return 0, errors.New("malformed event")
	}
	return *e.Seq, nil
}

// onlineLog is what the online audit commands fetched and checked.
type onlineLog struct {
	vkey   string
	note   []byte
	cp     audit.Checkpoint
	hashes memHashes
}

// fetchLog gets the log's verifier key and a fresh checkpoint, checks its
// signature, and fetches the events it covers, hashing them into a tree
// and passing each to f (if not nil). trusted, if set, is the verifier key
// the caller was given; the server must use it.
func fetchLog(ctx context.Context, c *client.Client, trusted string, f func(seq int64, leaf []byte) error) (*onlineLog, error) {
	vkey, err := c.Verifier(ctx)
	if err != nil {
		return nil, err
	}
	if trusted != "" && vkey != trusted {
		return nil, fmt.Errorf("the server's log is signed by %s, not by the key you were given", vkey)
	}
	note, err := c.Checkpoint(ctx)
	if err != nil {
		return nil, err
	}
	cp, err := audit.OpenCheckpoint(note, vkey)
	if err != nil {
		return nil, &audit.TamperError{Seq: 0, Reason: "the server's checkpoint does not verify: " + err.Error(), Err: err}
	}
	l := &onlineLog{vkey: vkey, note: note, cp: cp, hashes: make(memHashes, 0, 2*cp.Size)}
	var bad *audit.TamperError
	err = eachEvent(ctx, c, cp.Size, func(seq int64, leaf []byte) error {
		if s, err := leafSeq(leaf); bad == nil && (err != nil || s != seq) {
			bad = &audit.TamperError{Seq: seq, Reason: fmt.Sprintf("event %d does not record its own sequence number: events were reordered or rewritten", seq)}
		}
		if f != nil {
			if err := f(seq, leaf); err != nil {
				return err
			}
		}
		return l.hashes.add(seq, leaf)
	})
	if err != nil {
		return l, err
	}
	if bad != nil {
		return l, bad
	}
	return l, nil
}

// root is the tree hash of the first n events fetched.
func (l *onlineLog) root(n int64) (tlog.Hash, error) {
	if n == 0 {
		return tlog.Hash{}, nil
	}
	return tlog.TreeHash(n, &l.hashes)
}

// firstBad finds the first event that is not in the signed tree (size,
// root): the largest k whose first k events form a prefix of that tree, as
// a consistency proof from the server shows. The proofs are checked
// against the signed root, so a lying server cannot move the answer past
// a changed event.
func (l *onlineLog) firstBad(ctx context.Context, c *client.Client, size int64, root tlog.Hash) (int64, error) {
	prefix := func(k int64) (bool, error) {
		h, err := l.root(k)
		if err != nil {
			return false, err
		}
		if k == size {
			return h == root, nil
		}
		p, err := c.ConsistencyProof(ctx, k, size)
		if err != nil {
			return false, err
		}
		return tlog.CheckTree(p, size, root, k, h) == nil, nil
	}
	lo, hi := int64(0), size // the first lo events are good; the first hi are not
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := prefix(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// verifyOnline checks the server's log as 'audit verify' does offline, from
// what the API serves: the events are rehashed here into an RFC 6962 tree
// whose root must be the one in a freshly signed checkpoint, and an earlier
// checkpoint (old) must be a prefix of it. A failed check is an
// *audit.TamperError naming the first bad seq. fatal is set instead for
// errors that say nothing about the log (no session, no network).
func verifyOnline(ctx context.Context, r *remote, old []byte, trusted string) (rep *audit.Report, err, fatal error) {
	k, err := r.connect()
	if err != nil {
		return nil, nil, err
	}
	rep, err = checkOnline(ctx, k.c, old, trusted)
	var ae *client.Error
	var ue *url.Error
	if errors.As(err, &ae) || errors.As(err, &ue) {
		return nil, nil, k.done(err)
	}
	k.done(nil)
	return rep, err, nil
}

func checkOnline(ctx context.Context, c *client.Client, old []byte, trusted string) (*audit.Report, error) {
	l, err := fetchLog(ctx, c, trusted, nil)
	if l == nil {
		return nil, err
	}
	rep := &audit.Report{VerifierKey: l.vkey, Size: int64(len(l.hashes) / 2)}
	var seqBad *audit.TamperError
	if err != nil && !errors.As(err, &seqBad) {
		return rep, err
	}
	cp := l.cp
	rep.Size = cp.Size
	if rep.Root, err = l.root(cp.Size); err != nil {
		return rep, err
	}
	var problems []*audit.TamperError
	if seqBad != nil {
		problems = append(problems, seqBad)
	}
	if rep.Root != cp.Root {
		bad, err := l.firstBad(ctx, c, cp.Size, cp.Root)
		if err != nil {
			return rep, err
		}
		problems = append(problems, &audit.TamperError{Seq: bad, Reason: fmt.Sprintf("the events served do not hash to the signed checkpoint of size %d: event %d was changed, removed or reordered", cp.Size, bad)})
	} else {
		rep.Latest = &cp
	}
	if old != nil {
		oc, err := audit.OpenCheckpoint(old, l.vkey)
		if err != nil {
			return rep, fmt.Errorf("audit: verify: earlier checkpoint does not verify with the log's key %s: %w", l.vkey, err)
		}
		rep.Old = &oc
		switch {
		case oc.Size > cp.Size:
			problems = append(problems, &audit.TamperError{Seq: cp.Size, Reason: fmt.Sprintf("the log has %d events but your checkpoint covers %d: the log was rolled back", cp.Size, oc.Size)})
		case oc.Size > 0:
			h, err := l.root(oc.Size)
			if err != nil {
				return rep, err
			}
			if h != oc.Root {
				bad, err := l.firstBad(ctx, c, oc.Size, oc.Root)
				if err != nil {
					return rep, err
				}
				problems = append(problems, &audit.TamperError{Seq: bad, Reason: fmt.Sprintf("the tree of size %d does not match your checkpoint: event %d was changed, removed or reordered since", oc.Size, bad)})
			} else if oc.Size < cp.Size {
				p, err := c.ConsistencyProof(ctx, oc.Size, cp.Size)
				if err != nil {
					return rep, err
				}
				if err := tlog.CheckTree(p, cp.Size, cp.Root, oc.Size, oc.Root); err != nil {
					problems = append(problems, &audit.TamperError{Seq: oc.Size, Reason: fmt.Sprintf("consistency proof from size %d to %d fails: %v", oc.Size, cp.Size, err), Err: err})
				}
			}
		}
	}
	if len(problems) == 0 {
		return rep, nil
	}
	first := problems[0]
	for _, p := range problems[1:] {
		if p.Seq < first.Seq {
			first = p
		}
	}
	return rep, first
}

// exportOnline writes what 'audit export' writes from a data directory,
// from the API: events.jsonl (each line the leaf data exactly as served),
// the checkpoint and the verifier key. It refuses to call the copy good
// when the events do not hash to the checkpoint.
func exportOnline(ctx context.Context, r *remote, dir string) (int64, error) {
	k, err := r.connect()
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(dir, ".events-*.jsonl")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	w := bufio.NewWriterSize(tmp, 1<<20)
	l, err := fetchLog(ctx, k.c, "", func(_ int64, leaf []byte) error {
		if bytes.IndexByte(leaf, '\n') >= 0 {
			return errors.New("an event contains a newline; it cannot be one line of events.jsonl")
		}
		if _, err := w.Write(leaf); err != nil {
			return err
		}
		return w.WriteByte('\n')
	})
	var te *audit.TamperError
	if err != nil && !errors.As(err, &te) {
		return 0, k.done(err)
	}
	k.done(nil)
	if err == nil {
		if root, rerr := l.root(l.cp.Size); rerr != nil || root != l.cp.Root {
			err = errors.New("the events served do not hash to the signed checkpoint")
		}
	}
	if err != nil {
		return 0, fmt.Errorf("not exported: %w", err)
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	if err := writeFileSync(filepath.Join(dir, audit.ExportCheckpoint), l.note); err != nil {
		return 0, err
	}
	if err := writeFileSync(filepath.Join(dir, audit.ExportVerifier), []byte(l.vkey+"\n")); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, audit.ExportEvents)); err != nil {
		return 0, err
	}
	return l.cp.Size, nil
}

func writeFileSync(name string, b []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
