package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/auditlog"
	"github.com/amana-vault/amana/bundle"
	"github.com/amana-vault/amana/envelope"
)

func newExportCmd() *cobra.Command {
	var (
		r      remote
		out    string
		force  bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "export DOC -o BUNDLE",
		Short: "Write a court bundle: content, manifest, custody trail and proofs",
		Long: `Write a court bundle for DOC, a zip that can be checked offline without
Amana's server: the decrypted content, the ciphertext and the document key
(age -d -i document.key content.age reproduces the content), a manifest
(document id, hashes, public metadata, consent), the custody trail (every
audit event about the document) with an inclusion proof of each, the signed
checkpoint and the log's verifier key. The bundle holds decrypted evidence:
handle it as the evidence itself. Check it with 'amana verify-bundle'.`,
		Example: `  amana export 7f3c9a… -o case-7f3c9a.zip
  amana verify-bundle case-7f3c9a.zip --verifier "amana.local/vault+454a3838+AQ…"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError("-o BUNDLE is required")
			}
			if err := checkOverwrite(out, force); err != nil {
				return err
			}
			k, err := r.connect()
			if err != nil {
				return err
			}
			ids, err := k.identities()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			id := args[0]
			// Decrypt into a temporary file first: the bundle is written only
			// from content whose hashes verified.
			tmp, err := os.CreateTemp("", "amana-export-*")
			if err != nil {
				return err
			}
			defer os.Remove(tmp.Name())
			defer tmp.Close()
			got, err := k.c.Get(ctx, id, ids, tmp)
			if err != nil {
				return k.done(err)
			}
			key, err := k.c.OpenKey(ctx, id, ids)
			if err != nil {
				return k.done(err)
			}
			cipher, err := k.c.Content(ctx, id)
			if err != nil {
				return k.done(err)
			}
			defer cipher.Close()
			trail, err := k.c.Custody(ctx, id)
			if err != nil {
				return k.done(err)
			}
			proofs := make([]bundle.Proof, len(trail.Proofs))
			for i, p := range trail.Proofs {
				proofs[i] = bundle.Proof{Seq: p.Seq, Proof: p.Proof}
			}
			events := make([][]byte, len(trail.Events))
			for i, e := range trail.Events {
				events[i] = e
			}
			pub, _ := json.Marshal(got.Document.Public)
			con, _ := json.Marshal(got.Document.Consent)
			name, _ := got.Private["file_name"].(string)
			media, _ := got.Private["media_type"].(string)
			nonce, _ := got.Private[envelope.NonceField].(string)
			if _, err := tmp.Seek(0, 0); err != nil {
				return err
			}
			d := got.Document
			var buf bytes.Buffer
			err = bundle.Write(&buf, bundle.Bundle{
				Manifest: bundle.Manifest{
					Document: d.ID, Collection: d.Collection, Kind: d.Kind, Depositor: d.Depositor,
					DepositedAt: d.DepositedAt, Generation: d.Generation, CipherSHA256: d.CipherSHA256,
					PlainSHA256: hex.EncodeToString(got.Digest.PlainSHA256[:]), PlainSize: got.Digest.PlainSize,
					PlainNonce: nonce, FileName: name, MediaType: media, Public: pub, Consent: con,
					ExportedBy: k.s.User, ExportedAt: time.Now().UTC(),
				},
				Content: tmp, Cipher: cipher, DocKey: key.String(),
				Events: events, Proofs: proofs, Checkpoint: []byte(trail.Checkpoint), Verifier: trail.Verifier,
				Deposit: bundle.Deposit{Manifest: []byte(d.Manifest), Signature: []byte(d.ManifestSig),
					SigningKey: got.DepositorKey, PublicSigned: d.PublicSigned},
			})
			if err != nil {
				return err
			}
			// Check what was written before handing it over.
			rep, err := bundle.Verify(bytes.NewReader(buf.Bytes()), int64(buf.Len()), trail.Verifier)
			if err != nil {
				return fmt.Errorf("the bundle does not verify: %w", err)
			}
			if err := writeFileAtomic(out, buf.Bytes(), 0o600); err != nil {
				return err
			}
			k.done(nil)
			if asJSON {
				return printJSON(cmd, map[string]any{"bundle": out, "document": d.ID, "events": rep.Events, "checkpoint_size": rep.CheckpointSize, "verifier_key": rep.VerifierKey})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Wrote %s: %s with %d custody events proven in a checkpoint of %d events.\n", out, d.ID, rep.Events, rep.CheckpointSize)
			return nil
		},
	}
	r.addServerFlags(cmd, true)
	cmd.Flags().StringVarP(&out, "output", "o", "", "the bundle (zip) to write")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing bundle")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// checkOverwrite refuses an existing output file unless force is set.
func checkOverwrite(out string, force bool) error {
	if _, err := os.Lstat(out); err == nil && !force {
		return fmt.Errorf("%s exists; pass --force to overwrite it", out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// writeFileAtomic writes b to name through a temporary file and a rename,
// so a crash never leaves half a file under the final name.
func writeFileAtomic(name string, b []byte, mode os.FileMode) error {
	tmp := name + ".partial"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, name)
}

func newVerifyBundleCmd() *cobra.Command {
	var verifier string
	var asJSON bool
	var wf witnessCheck
	cmd := &cobra.Command{
		Use:   "verify-bundle BUNDLE [--verifier KEY]",
		Short: "Check a court bundle offline",
		Long: `Check a court bundle without any server: the content hashes to the
manifest's plaintext hash; the ciphertext hashes to the manifest's
ciphertext hash, which the signed audit log also records at deposit; the
document key decrypts the ciphertext into the content; every custody event
is about this document and is included in the signed checkpoint's tree; and
the checkpoint is signed by the verifier key. Pass --verifier with the key
the vault's custodians published; without it the bundle's own key is used,
which proves consistency but not origin. With --witness VKEY (repeatable),
the checkpoint must also carry valid cosignatures of those witnesses (all
of them, or --quorum N). It says exactly what fails.

The custody trail can also be checked without Amana, with spicy from
filippo.io/torchwood, in the unzipped bundle:
  spicy -verify "VERIFIER_KEY" custody/*.json`,
		Example: `  amana verify-bundle case-7f3c9a.zip --verifier "amana.local/vault+454a3838+AQ…"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return err
			}
			rep, err := bundle.Verify(f, st.Size(), verifier)
			var cosigners []string
			if err == nil && len(wf.keys) > 0 {
				if _, cosigners, err = auditlog.OpenCosigned(rep.Checkpoint, rep.VerifierKey, wf.keys, wf.quorum); err != nil {
					err = fmt.Errorf("its checkpoint is not cosigned by the witnesses asked for: %w", err)
				}
			}
			if asJSON {
				res := map[string]any{"ok": err == nil}
				if rep != nil {
					res["document"] = rep.Manifest.Document
					res["events"] = rep.Events
					res["checkpoint_size"] = rep.CheckpointSize
					res["verifier_key"] = rep.VerifierKey
					res["verifier_from_bundle"] = rep.VerifierFromZip
					res["depositor_key"] = rep.DepositorKey
				}
				if cosigners != nil {
					res["cosigned_by"] = cosigners
				}
				if err != nil {
					res["error"] = err.Error()
				}
				if perr := printJSON(cmd, res); perr != nil {
					return perr
				}
			}
			if err != nil {
				return fmt.Errorf("bundle does NOT verify: %w", err)
			}
			if !asJSON {
				w := cmd.OutOrStdout()
				m := rep.Manifest
				fmt.Fprintf(w, "OK: %s (%s, %s) — content %s\n", m.Document, m.Kind, m.FileName, m.PlainSHA256)
				fmt.Fprintf(w, "Deposited and signed by %s (key %s); the content matches the signed manifest.\n", m.Depositor, rep.DepositorKey)
				fmt.Fprintf(w, "%d custody events proven in a checkpoint of %d events signed by %s\n", rep.Events, rep.CheckpointSize, rep.VerifierKey)
				if len(cosigners) > 0 {
					fmt.Fprintf(w, "The checkpoint is cosigned by the witnesses %s.\n", strings.Join(cosigners, ", "))
				}
				if rep.VerifierFromZip {
					fmt.Fprintln(w, "Note: checked with the key inside the bundle; compare it with the key the vault's custodians published (--verifier).")
				}
			}
			return nil
		},
	}
	wf.addFlags(cmd)
	cmd.Flags().StringVar(&verifier, "verifier", "", "the audit log's published verifier key")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
