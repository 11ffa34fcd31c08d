package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/client"
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

Refused requests are there too: those the vault refused under the action
they asked for (outcome denied or invalid, with the reason), the others
(no valid session, no fresh TOTP, a malformed, oversize or late body, a rate
limit) as request.refused, with the route and the reason, and how many
refusals of one client address, user, route and reason the event counts.

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
			var parsed []*auditlog.Event
			for next := after; ; {
				page, n, err := k.c.AuditEvents(cmd.Context(), next, auditPage)
				if err != nil {
					return k.done(err)
				}
				for _, raw := range page {
					e, err := auditlog.ParseEvent(raw)
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
			fmt.Fprintln(tw, "SEQ\tTIME\tACTOR\tACTION\tOUTCOME\tON\tDETAIL")
			for _, e := range parsed {
				on := e.Doc
				if on == "" {
					on = e.Collection
				}
				if on == "" {
					on = e.Target
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Outcome, on, eventNote(e))
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

// eventNote is the DETAIL column of audit log: for a refusal, the route
// and how many it counts; for a failed action, its reason.
func eventNote(e *auditlog.Event) string {
	d := e.Detail
	if e.Action == "request.refused" {
		note := d["route"] + " " + d["reason"]
		if d["count"] != "1" {
			note += " (" + d["count"] + " times)"
		}
		if d["sources"] == "many" {
			note += " (many sources)"
		}
		return note
	}
	return d["reason"]
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
			cp, err := auditlog.OpenCheckpoint(note, vkey)
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

// serverLeaves reads the events [0, n) from the API, page by page, each
// exactly as the server returned it.
type serverLeaves struct {
	ctx  context.Context
	c    *client.Client
	n    int64 // the size of the checkpoint being verified: read no further
	next int64
	page []json.RawMessage
}

func (s *serverLeaves) ReadLeaf() (int64, []byte, error) {
	if s.next >= s.n {
		return 0, nil, io.EOF
	}
	if len(s.page) == 0 {
		page, _, err := s.c.AuditEvents(s.ctx, s.next, auditPage)
		if err != nil {
			return 0, nil, err
		}
		if len(page) == 0 {
			s.n = s.next // fewer events than the checkpoint covers
			return 0, nil, io.EOF
		}
		s.page = page
	}
	leaf := s.page[0]
	s.page = s.page[1:]
	s.next++
	return s.next - 1, leaf, nil
}

// serverProofs asks the API for consistency proofs; the verifier checks them.
type serverProofs struct {
	ctx context.Context
	c   *client.Client
}

func (p serverProofs) ProveTree(oldSize, newSize int64) (tlog.TreeProof, error) {
	return p.c.ConsistencyProof(p.ctx, oldSize, newSize)
}

// serverSource gets the log's verifier key and a freshly signed checkpoint,
// checks its signature, and returns the log as the API serves it: the
// events that checkpoint covers, and consistency proofs. trusted, if set,
// is the verifier key the caller was given; the server must use it.
func serverSource(ctx context.Context, c *client.Client, trusted string) (*auditlog.Source, error) {
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
	cp, err := auditlog.OpenCheckpoint(note, vkey)
	if err != nil {
		return nil, &auditlog.TamperError{Seq: 0, Reason: "the server's checkpoint does not verify: " + err.Error(), Err: err}
	}
	return &auditlog.Source{
		VerifierKey: vkey,
		Checkpoint:  note,
		Leaves:      &serverLeaves{ctx: ctx, c: c, n: cp.Size},
		Prover:      serverProofs{ctx: ctx, c: c},
	}, nil
}

// isFatal reports whether err says nothing about the log (no session, no
// network), only that it could not be read.
func isFatal(err error) bool {
	var ae *client.Error
	var ue *url.Error
	return errors.As(err, &ae) || errors.As(err, &ue)
}

// verifyOnline checks the server's log as 'audit verify' does offline, from
// what the API serves, with auditlog.Verify: the events are rehashed here
// into an RFC 6962 tree whose root must be the one in a freshly signed
// checkpoint, and an earlier checkpoint (old) must be a prefix of it; the
// server's consistency proofs locate a changed event. A failed check is an
// *auditlog.TamperError naming the first bad seq. fatal is set instead for
// errors that say nothing about the log (no session, no network).
//
// With witnesses (wc), the checkpoint must carry their cosignatures. Split
// views: the largest checkpoint verified before (kept in the config
// directory) must be no larger than the server's and consistent with it;
// the server's becomes the one kept when it verifies.
func verifyOnline(ctx context.Context, r *remote, old []byte, trusted string, wc witnessCheck) (rep *auditlog.Report, on *onlineResult, err, fatal error) {
	k, err := r.connect()
	if err != nil {
		return nil, nil, nil, err
	}
	on = &onlineResult{}
	src, err := serverSource(ctx, k.c, trusted)
	if err == nil {
		rep, err = on.verify(ctx, k.c, src, old, wc)
	}
	if isFatal(err) {
		return nil, nil, nil, k.done(err)
	}
	k.done(nil)
	return rep, on, err, nil
}

// onlineResult is what verifyOnline adds to the report.
type onlineResult struct {
	CosignedBy []string `json:"cosigned_by,omitempty"`
	SeenSize   int64    `json:"previously_seen_size,omitempty"`
}

func (on *onlineResult) verify(ctx context.Context, c *client.Client, src *auditlog.Source, old []byte, wc witnessCheck) (*auditlog.Report, error) {
	cp, err := auditlog.OpenCheckpoint(src.Checkpoint, src.VerifierKey)
	if err != nil {
		return nil, err
	}
	if len(wc.keys) > 0 {
		if _, on.CosignedBy, err = auditlog.OpenCosigned(src.Checkpoint, src.VerifierKey, wc.keys, wc.quorum); err != nil {
			return nil, fmt.Errorf("the server's checkpoint is not cosigned by the witnesses asked for: %w", err)
		}
	}
	seenNote, seen, err := loadSeen(src.VerifierKey)
	if err != nil {
		return nil, err
	}
	if seen != nil {
		on.SeenSize = seen.Size
		if cp.Size < seen.Size {
			return nil, fmt.Errorf("the server's checkpoint covers %d events, fewer than the %d of a checkpoint you verified before: the log was rolled back, or you are shown another history than before (a split view)", cp.Size, seen.Size)
		}
		if old == nil {
			old = seenNote // Verify checks consistency with it, and locates a change
		}
	}
	rep, err := auditlog.Verify(src, old)
	if err != nil {
		return rep, err
	}
	if seen != nil && !bytes.Equal(old, seenNote) {
		var proof tlog.TreeProof
		if seen.Size > 0 && seen.Size < cp.Size {
			if proof, err = c.ConsistencyProof(ctx, seen.Size, cp.Size); err != nil {
				return rep, err
			}
		}
		if err := auditlog.CheckConsistency(*seen, cp, proof); err != nil {
			return rep, fmt.Errorf("not consistent with the checkpoint of %d events you verified before (a split view, or a rewritten log): %w", seen.Size, err)
		}
	}
	if err := keepSeen(src.VerifierKey, src.Checkpoint); err != nil {
		return rep, fmt.Errorf("keeping the checkpoint: %w", err)
	}
	return rep, nil
}

// tee writes every leaf it reads to an export.
type tee struct {
	auditlog.LeafReader
	x *auditlog.ExportWriter
}

func (t tee) ReadLeaf() (int64, []byte, error) {
	i, leaf, err := t.LeafReader.ReadLeaf()
	if err == nil {
		err = t.x.WriteLeaf(leaf)
	}
	return i, leaf, err
}

// exportOnline writes what 'audit export' writes from a data directory,
// from the API: events.jsonl (each line the leaf data exactly as served),
// a freshly signed checkpoint and the verifier key. It refuses to call the
// copy good, and leaves the directory as it was, when the events do not
// verify against the checkpoint.
func exportOnline(ctx context.Context, r *remote, dir string) (int64, error) {
	k, err := r.connect()
	if err != nil {
		return 0, err
	}
	x, err := auditlog.CreateExport(dir)
	if err != nil {
		return 0, err
	}
	defer x.Abort()
	src, err := serverSource(ctx, k.c, "")
	if err == nil {
		src.Leaves = tee{src.Leaves, x}
		src.Prover = nil // nothing to locate: the copy is kept or not
		_, err = auditlog.Verify(src, nil)
	}
	if isFatal(err) {
		return 0, k.done(err)
	}
	k.done(nil)
	if err != nil {
		return 0, fmt.Errorf("not exported: %w", err)
	}
	return x.Commit(src.Checkpoint, src.VerifierKey)
}
