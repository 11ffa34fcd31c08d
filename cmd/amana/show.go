package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/envelope"
	"github.com/amana-vault/amana/manifest"
)

func newShowCmd() *cobra.Command {
	var (
		r      remote
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "show DOC",
		Short: "Show a document's metadata, consent and custody",
		Long: `Show a document's public (redacted) metadata, its consent and a custody
summary (depositor, who holds key slots, state). If you hold a key slot,
your identity opens it here and the private metadata (original file name,
persons, contacts, notes, plaintext hash) is decrypted and shown too; the
server never sees it in clear.`,
		Example: `  amana show 7f3c9a…
  amana show 7f3c9a… --json | jq .private`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := r.connect()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			doc, err := k.c.Document(ctx, args[0])
			if err != nil {
				return k.done(err)
			}
			var private map[string]any
			var signed *manifest.Manifest
			note := ""
			if doc.State != "shredded" {
				// What the depositor signed at deposit, checked before anything
				// about the document is shown as fact.
				if signed, err = k.c.VerifyManifest(ctx, doc); err != nil {
					return k.done(err)
				}
			}
			switch {
			case doc.State == "shredded":
				note = "shredded: content, private metadata and key slots were destroyed"
			case !slices.Contains(doc.SlotHolders, k.s.User):
				note = "you hold no key slot for this document"
			default:
				private, note = openPrivate(ctx, k, doc)
				if err := checkPrivate(signed, private); err != nil {
					return k.done(err)
				}
			}
			k.done(nil)
			if asJSON {
				return printJSON(cmd, struct {
					*client.Document
					ManifestVerified bool           `json:"manifest_verified"`
					Private          map[string]any `json:"private,omitempty"`
					PrivateNote      string         `json:"private_note,omitempty"`
				}{doc, signed != nil, private, note})
			}
			printDocument(cmd.OutOrStdout(), doc, private, note)
			return nil
		},
	}
	r.addServerFlags(cmd, true)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the document (and private metadata, if you hold a slot) as JSON")
	return cmd
}

// checkPrivate compares the plaintext hash and size sealed in the private
// metadata with the signed manifest's commitment: private metadata re-sealed
// around substituted content does not match it, and show says so without
// downloading the content.
func checkPrivate(m *manifest.Manifest, private map[string]any) error {
	if m == nil || private == nil {
		return nil
	}
	sum, _ := private[envelope.PlainSHA256Field].(string)
	nonce, _ := private[envelope.NonceField].(string)
	b, err := hex.DecodeString(sum)
	size, serr := strconv.ParseInt(fmt.Sprint(private[envelope.PlainSizeField]), 10, 64)
	if err != nil || len(b) != 32 || serr != nil {
		return fmt.Errorf("%w: the private metadata records no valid plaintext hash and size", client.ErrIntegrity)
	}
	if err := m.CheckPlaintext(nonce, [32]byte(b), size); err != nil {
		return fmt.Errorf("%w: %w", client.ErrIntegrity, err)
	}
	return nil
}

// openPrivate opens the caller's key slot and decrypts the private
// metadata; on failure it says why instead.
func openPrivate(ctx context.Context, k *conn, doc *client.Document) (map[string]any, string) {
	ids, err := k.identities()
	if err != nil {
		return nil, "private metadata not shown: " + err.Error()
	}
	key, err := k.c.OpenKey(ctx, doc.ID, ids)
	if errors.Is(err, envelope.ErrWrongIdentity) {
		return nil, "private metadata not shown: your key slot does not open with " + k.identity
	}
	if err != nil {
		return nil, "private metadata not shown: " + explain(err, k.s).Error()
	}
	p, err := k.c.Private(ctx, doc.ID, key)
	if err != nil {
		return nil, "private metadata not shown: " + explain(err, k.s).Error()
	}
	if p == nil {
		return nil, "the document has no private metadata"
	}
	return p, ""
}

func printDocument(w io.Writer, d *client.Document, private map[string]any, note string) {
	p := d.Public
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-14s %s\n", k+":", v)
		}
	}
	line("id", d.ID)
	line("title", p.Title)
	line("collection", d.Collection)
	line("kind", d.Kind)
	line("language", p.Language)
	line("governorate", p.Governorate)
	line("incident date", p.IncidentDate)
	line("tags", strings.Join(p.Tags, ", "))
	line("summary", p.Summary)
	if p.TranscriptRedacted != "" {
		line("transcript", fmt.Sprintf("%d bytes (redacted)", len(p.TranscriptRedacted)))
	}
	fmt.Fprintln(w)
	line("consent", strings.Join(d.Consent.Scopes, ", "))
	line("recorded", strings.TrimSpace(d.Consent.RecordedAt+" by "+d.Consent.RecordedBy))
	fmt.Fprintln(w)
	line("state", d.State)
	line("depositor", d.Depositor)
	if !d.DepositedAt.IsZero() {
		line("deposited", d.DepositedAt.UTC().Format(time.RFC3339))
	}
	line("key slots", listOrNone(d.SlotHolders))
	line("generation", fmt.Sprint(d.Generation))
	line("size", fmt.Sprintf("%d bytes (ciphertext)", d.Size))
	line("cipher sha256", d.CipherSHA256)
	if d.Manifest != "" && d.State != "shredded" {
		line("signed", "by "+d.Depositor+" at deposit; the signature and the record verified")
	}
	fmt.Fprintln(w)
	if private == nil {
		fmt.Fprintf(w, "Private metadata: %s.\n", note)
		return
	}
	fmt.Fprintln(w, "Private metadata (decrypted on this machine):")
	for _, key := range sortedKeys(private) {
		fmt.Fprintf(w, "  %-14s %s\n", key+":", formatValue(private[key]))
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func formatValue(v any) string {
	switch v := v.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = formatValue(x)
		}
		return strings.Join(parts, "; ")
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
