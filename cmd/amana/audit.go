package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.etcd.io/bbolt"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/vault/audit"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read, verify and export the tamper-evident audit log",
		Long: `Every action on the vault appends an event to an append-only Merkle tree
(RFC 6962) whose checkpoints the server signs. An auditor who keeps a copy
of an earlier checkpoint can prove that the log only grew since.`,
		Example: `  amana audit log --since 24h
  amana audit checkpoint -o checkpoint-$(date +%F).txt
  amana audit verify --checkpoint checkpoint-2026-01-31.txt
  amana audit export -o ./audit-copy && amana audit verify --export ./audit-copy`,
	}
	cmd.AddCommand(newAuditLogCmd(), newAuditCheckpointCmd(), newAuditVerifyCmd(), newAuditExportCmd())
	return cmd
}

// verifyResult is what audit verify reports, also as JSON.
type verifyResult struct {
	OK          bool   `json:"ok"`
	Size        int64  `json:"size"`
	Root        string `json:"root,omitempty"`
	LatestSize  int64  `json:"latest_checkpoint_size,omitempty"`
	OldSize     int64  `json:"old_checkpoint_size,omitempty"`
	VerifierKey string `json:"verifier_key,omitempty"`
	FirstBadSeq *int64 `json:"first_bad_seq,omitempty"`
	Error       string `json:"error,omitempty"`
	*onlineResult
}

func newAuditVerifyCmd() *cobra.Command {
	var (
		data, export, oldFile, verifier string
		asJSON                          bool
		r                               remote
		wc                              witnessCheck
	)
	cmd := &cobra.Command{
		Use:   "verify [--data DIR | --export DIR] [--checkpoint OLD] [--verifier KEY]",
		Short: "Recompute the audit log's Merkle tree and check its signed checkpoints",
		Long: `Verify the audit log online, through the API of the server you are logged
in to (auditors, admins), or offline, from a stopped vault's data directory
(--data) or from an export (--export). Every event is rehashed, the tree is
rebuilt and compared with the newest signed checkpoint (online: one signed
for this check, its consistency with the events checked by proofs the
server serves); with --checkpoint, the
earlier checkpoint you kept must be signed by the same key and consistent
with the log: nothing it covers was changed or removed. With --verifier, the
log's key must be the one you were given at init. On failure it names the
first sequence number that cannot be trusted and exits non-zero.

Online, it also keeps the largest checkpoint it verified (in the config
directory, under checkpoints/) and refuses a later one that is smaller or
not consistent with it: a server that rolled its log back, or shows you
another history than before (a split view), is caught. With --witness VKEY
(repeatable), online or with --export, the checkpoint must carry valid
cosignatures of those witnesses (all, or --quorum N): independent services
that cosign only a tree consistent with every tree they cosigned before,
so that what you verify is what everyone else is shown.`,
		Example: `  amana audit verify --checkpoint checkpoint-2026-01.txt --verifier "$(cat verifier.txt)"
  amana audit verify --witness "witness.example.org+1fd6e0a8+BO8c…" --quorum 1
  amana audit verify --data /srv/amana --checkpoint checkpoint-2026-01.txt
  amana audit verify --export ./audit-copy --verifier "amana.local/vault+454a3838+AQ…"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if data != "" && export != "" {
				return usageError("give at most one of --data DIR or --export DIR (neither: verify online)")
			}
			if err := wc.check(); err != nil {
				return err
			}
			if len(wc.keys) > 0 && data != "" {
				return usageError("--witness checks a served checkpoint: verify online or an export (--export)")
			}
			var old []byte
			if oldFile != "" {
				b, err := readSmallFile(oldFile, 64<<10)
				if err != nil {
					return fmt.Errorf("checkpoint: %w", err)
				}
				old = b
			}
			var rep *auditlog.Report
			var on *onlineResult
			var err error
			if data != "" {
				err = vault.ViewFile(data, func(tx *bbolt.Tx) error {
					var verr error
					rep, verr = audit.Verify(tx, old)
					return verr
				})
			} else if export != "" {
				rep, err = auditlog.VerifyExport(export, old)
				if err == nil && len(wc.keys) > 0 {
					// The export keeps the checkpoint as the server served
					// it, with the witnesses' cosignatures.
					on = &onlineResult{}
					var note []byte
					if note, err = readSmallFile(filepath.Join(export, "checkpoint"), 64<<10); err == nil {
						if _, on.CosignedBy, err = auditlog.OpenCosigned(note, rep.VerifierKey, wc.keys, wc.quorum); err != nil {
							err = fmt.Errorf("the export's checkpoint is not cosigned by the witnesses asked for: %w", err)
						}
					}
				}
			} else {
				var fatal error
				if rep, on, err, fatal = verifyOnline(cmd.Context(), &r, old, verifier, wc); fatal != nil {
					return fatal
				}
			}
			res := verifyResult{OK: err == nil, onlineResult: on}
			if rep != nil {
				res.Size, res.VerifierKey = rep.Size, rep.VerifierKey
				res.Root = rep.Root.String()
				if rep.Latest != nil {
					res.LatestSize = rep.Latest.Size
				}
				if rep.Old != nil {
					res.OldSize = rep.Old.Size
				}
			}
			if err == nil && verifier != "" && rep.VerifierKey != verifier {
				err = fmt.Errorf("the log is signed by %s, not by the key you were given", rep.VerifierKey)
				res.OK = false
			}
			var te *auditlog.TamperError
			if errors.As(err, &te) {
				res.FirstBadSeq = &te.Seq
			}
			if err != nil {
				res.Error = err.Error()
			}
			if asJSON {
				if perr := printJSON(cmd, res); perr != nil {
					return perr
				}
			} else if err == nil {
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "OK: %d events verified, root %s\n", res.Size, res.Root)
				fmt.Fprintf(w, "newest signed checkpoint covers %d events; signed by %s\n", res.LatestSize, res.VerifierKey)
				if res.OldSize > 0 {
					fmt.Fprintf(w, "consistent with your checkpoint of %d events: the log only grew\n", res.OldSize)
				}
				if on != nil && on.SeenSize > 0 {
					fmt.Fprintf(w, "consistent with the largest checkpoint you verified before (%d events): no rollback, no split view\n", on.SeenSize)
				}
				if on != nil && len(on.CosignedBy) > 0 {
					fmt.Fprintf(w, "cosigned by the witnesses %s\n", strings.Join(on.CosignedBy, ", "))
				}
			}
			if err != nil {
				if te != nil {
					return fmt.Errorf("audit log does NOT verify: first bad event %d: %s", te.Seq, te.Reason)
				}
				return fmt.Errorf("audit log does NOT verify: %w", err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "verify the vault in this data directory (the server must be stopped)")
	cmd.Flags().StringVar(&export, "export", "", "verify an export made by 'amana audit export'")
	cmd.Flags().StringVar(&oldFile, "checkpoint", "", "an earlier signed checkpoint to prove consistency with")
	cmd.Flags().StringVar(&verifier, "verifier", "", "the verifier key you were given; fail if the log uses another")
	wc.addFlags(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	r.addServerFlags(cmd, false)
	return cmd
}

func newAuditExportCmd() *cobra.Command {
	var data, out string
	var asJSON bool
	var r remote
	cmd := &cobra.Command{
		Use:   "export [--data DIR] -o OUT",
		Short: "Write an independent copy of the audit log for auditors",
		Long: `Write OUT/events.jsonl (one event a line; each line without its newline is
exactly the leaf data hashed into the Merkle tree), OUT/checkpoint (the
newest signed checkpoint) and OUT/verifier (the verifier key). Any RFC 6962
implementation can recompute the checkpoint's root from events.jsonl.
Without --data the copy is fetched through the API of the server you are
logged in to, with a freshly signed checkpoint, and checked before it is
kept.`,
		Example: `  amana audit export -o ./audit-copy
  amana audit export --data /srv/amana -o ./audit-copy
  amana audit verify --export ./audit-copy`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError("-o OUT is required")
			}
			var n int64
			var err error
			if data == "" {
				n, err = exportOnline(cmd.Context(), &r, out)
			} else {
				err = vault.ViewFile(data, func(tx *bbolt.Tx) error {
					var err error
					if n, err = audit.Size(tx); err != nil {
						return err
					}
					return audit.Export(tx, out)
				})
			}
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(cmd, map[string]any{"dir": out, "events": n})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Exported %d events to %s\n", n, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "the vault's data directory (the server must be stopped); without it, export online")
	cmd.Flags().StringVarP(&out, "output", "o", "", "directory to write the export to")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	r.addServerFlags(cmd, false)
	return cmd
}

// readSmallFile reads a file that must not be larger than max bytes.
func readSmallFile(name string, max int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, max)
	}
	b := make([]byte, st.Size())
	_, err = io.ReadFull(f, b)
	return b, err
}
