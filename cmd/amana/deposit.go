package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/manifest"
	"github.com/amana-vault/amana/redact"
)

// kinds of documents, for help and completion.
var kinds = []string{"testimony", "interview", "case_study", "report", "media"}

// Limits on the small files a deposit reads whole.
const (
	maxMetaFile       = 1 << 20
	maxTranscriptFile = 4 << 20 // the server takes 1 MiB once redacted
)

// depositMeta is META.json (README, "A walkthrough"). Unknown fields are refused: a typo
// must not silently drop private data or send it somewhere public.
type depositMeta struct {
	Title        string         `json:"title"`
	Summary      string         `json:"summary"`
	Language     string         `json:"language"`
	Governorate  string         `json:"governorate"`
	IncidentDate string         `json:"incident_date"`
	Tags         []string       `json:"tags"`
	Consent      client.Consent `json:"consent"`
	Persons      []string       `json:"persons"`
	Private      map[string]any `json:"private"`

	keep []string // --keep: names nobody listed that the depositor publishes
}

// redaction is one piece of personal data removed from a public field:
// where and what kind, never the value.
type redaction struct {
	Field string `json:"field"`
	Kind  string `json:"kind"`
}

func newDepositCmd() *cobra.Command {
	var (
		r                                      remote
		collection, kind, metaFile, transcript string
		to                                     []string
		classic, asJSON                        bool
		keep                                   []string
	)
	cmd := &cobra.Command{
		Use:   "deposit FILE --collection C --kind K --meta META.json [--transcript T] [--to ID ...]",
		Short: "Redact, seal and upload a document",
		Long: `Deposit FILE into a collection. On this machine, before anything is sent:

  - the public fields of META.json (title, summary, tags) and the transcript
    (--transcript, a text file) are redacted: e-mail addresses, Iraqi phone
    numbers, national card numbers, GPS coordinates, the names listed in
    "persons" and probable names nobody listed become pseudonyms such as
    [PERSON-1] or [NAME-1], the same in every field; what was found is
    reported on stderr (kind and field, never the value); --keep TEXT
    publishes the names nobody listed found with that text (preview with
    amana redact), and the decision is recorded in the private metadata;
  - FILE is encrypted, streaming, to a fresh document key, wrapped for you,
    the collection's custodians and --to users, each only if the consent
    covers their role (lawyers: legal_proceedings; researchers, you
    included: research; admins: any); the server refuses any other slot;
  - private metadata ("private" from META.json, the persons, the names kept
    with --keep, the original file name and media type, the plaintext's
    SHA-256 and size) is sealed with the document key.

The server sees only ciphertext and redacted public metadata. META.json:

  {"title": "…", "summary": "…", "language": "ar|ckb|kmr|en",
   "governorate": "Kirkuk", "incident_date": "2017-06", "tags": ["…"],
   "consent": {"scopes": ["research", "legal_proceedings"],
               "recorded_at": "2018-03-02", "recorded_by": "r.hassan"},
   "persons": ["names that must never appear in public fields"],
   "private": {"location_detail": "…", "contact": "…", "notes": "…"}}

The ciphertext goes as a resumable upload (tus, /v1/uploads), sent as it
is sealed. After a network error the command waits, asks the server how
much it holds and sends the rest. If the command itself is stopped, run
the same command again: it continues the same upload from its spool in
AMANA_CONFIG_DIR/uploads/ (ciphertext only, removed once the deposit is
recorded), or, if it was stopped before sealing ended, discards that
upload and starts afresh. An upload whose address was lost (the command
was stopped just after the server made it, or the answer never arrived)
is found again on the server by a token the spool keeps. A second run of
the same deposit while one is running stops at once. 'amana uploads'
lists your unfinished uploads and cancels those no command will continue.

With --json it prints {"id","collection","kind","size","cipher_size",
"cipher_sha256","plain_sha256","redactions":[{"field","kind"}],"upload":
{"restarted","resumptions","offsets","sent","new_uploads","terminated",
"found"}}; size is the plaintext's.`,
		Example: `  amana deposit interview-07.m4a --collection kirkuk-2018 --kind interview \
      --meta interview-07.json --transcript interview-07.txt
  amana deposit report.pdf --collection kirkuk-2018 --kind report --meta report.json --to a.karim --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if collection == "" || kind == "" || metaFile == "" {
				return usageError("--collection, --kind and --meta are required")
			}
			if !slices.Contains(kinds, kind) {
				return usageError("unknown kind %q: use one of %s", kind, strings.Join(kinds, ", "))
			}
			meta, err := readDepositMeta(metaFile)
			if err != nil {
				return err
			}
			var text string
			if transcript != "" {
				b, err := readSmallFile(transcript, maxTranscriptFile)
				if err != nil {
					return fmt.Errorf("transcript: %w", err)
				}
				text = string(b)
			}
			if err := checkKeep(keep, meta.Persons, publicTexts(meta, text)...); err != nil {
				return err
			}
			meta.keep = keep
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return err
			}
			if !st.Mode().IsRegular() {
				return fmt.Errorf("%s is not a regular file", args[0])
			}
			mediaType, err := sniff(f)
			if err != nil {
				return err
			}
			k, err := r.connect()
			if err != nil {
				return err
			}

			pub, found := redactPublic(meta, text)
			reportRedactions(cmd.ErrOrStderr(), found)
			private := privateMeta(meta, filepath.Base(args[0]), mediaType)

			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			sk, err := k.signer()
			if err != nil {
				return err
			}
			cdir, err := configDir()
			if err != nil {
				return err
			}
			dreq := client.DepositRequest{
				Collection: collection, Kind: kind, Public: pub, Consent: meta.Consent,
				Private: private, To: to, Content: f, Classic: classic,
				Depositor: k.s.User,
				Sign:      func(m []byte) ([]byte, error) { return sk.Sign(manifest.Namespace, m) },
			}
			spool := client.SpoolDir(filepath.Join(cdir, "uploads"), args[0], st, dreq)
			// The file's size is known, so sealing and uploading overlap:
			// one bar shows what the server acknowledged.
			var sendBar *progress
			res, rep, err := k.c.DepositResumable(ctx, dreq, client.ResumeOptions{
				Spool: spool,
				Size:  st.Size(),
				Sent: func(done, total int64) {
					if sendBar == nil {
						sendBar = newProgress(total, "uploading")
					}
					sendBar.set(done)
				},
				Resumed: func(offset int64, restarted bool) {
					if restarted {
						fmt.Fprintf(cmd.ErrOrStderr(), "Continuing an earlier upload of this file at %d bytes.\n", offset)
					}
				},
			})
			if sendBar != nil {
				sendBar.end(err)
			}
			if rep != nil && rep.Terminated > 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "An earlier run of this deposit left an upload that could not be finished (it stopped while sealing): it was discarded and the file sent afresh.")
			}
			again := !client.IsUploadQuota(err) && !errors.Is(err, client.ErrSpoolBusy)
			if err := k.done(err); err != nil {
				if _, serr := os.Stat(spool); serr == nil && again {
					return fmt.Errorf("deposit failed: %w (run the same command again to continue the upload)", err)
				}
				return fmt.Errorf("deposit failed: %w", err)
			}
			d := res.Document
			if asJSON {
				return printJSON(cmd, map[string]any{
					"id": d.ID, "collection": d.Collection, "kind": d.Kind,
					"size": res.Digest.PlainSize, "cipher_size": d.Size,
					"cipher_sha256": d.CipherSHA256,
					"plain_sha256":  hex.EncodeToString(res.Digest.PlainSHA256[:]),
					"redactions":    found,
					"upload":        rep,
				})
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Deposited %s into %s as %s (%d bytes, sealed to %s).\n",
				d.ID, d.Collection, d.Kind, res.Digest.PlainSize, strings.Join(d.SlotHolders, ", "))
			fmt.Fprintf(w, "  plaintext SHA-256:  %s\n  ciphertext SHA-256: %s\n", hex.EncodeToString(res.Digest.PlainSHA256[:]), d.CipherSHA256)
			if !slices.Contains(d.SlotHolders, k.s.User) {
				fmt.Fprintf(w, "You hold no key slot for it: its consent (%s) does not cover your role.\n", strings.Join(d.Consent.Scopes, ", "))
			}
			return nil
		},
	}
	r.addServerFlags(cmd, false)
	r.addSigningKeyFlag(cmd)
	cmd.Flags().StringVar(&collection, "collection", "", "collection to deposit into")
	cmd.Flags().StringVar(&kind, "kind", "", "testimony, interview, case_study, report or media")
	cmd.Flags().StringVar(&metaFile, "meta", "", "META.json with public metadata, consent, persons and private metadata")
	cmd.Flags().StringVar(&transcript, "transcript", "", "a text transcript; its redacted text becomes searchable")
	cmd.Flags().StringArrayVar(&to, "to", nil, "also give this member a key slot now (repeatable; consent permitting)")
	cmd.Flags().StringArrayVar(&keep, "keep", nil, "publish the names nobody listed found with this text (repeatable; see amana redact)")
	cmd.Flags().BoolVar(&classic, "classic", false, "use an X25519 document key instead of a post-quantum one")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.RegisterFlagCompletionFunc("kind", fixedCompletion(kinds...))
	cmd.MarkFlagFilename("meta", "json")
	cmd.MarkFlagFilename("transcript")
	return cmd
}

// redactPublic redacts the public fields of meta and the transcript with
// one redactor, so that [PERSON-1] is the same person in the title and in
// the transcript, and reports what it removed.
func redactPublic(meta *depositMeta, transcript string) (client.PublicMeta, []redaction) {
	red := redact.New(meta.Persons)
	red.Keep(meta.keep...)
	found := []redaction{}
	clean := func(field, s string) string {
		out, fs := red.Redact(s)
		for _, f := range fs {
			found = append(found, redaction{Field: field, Kind: f.Kind})
		}
		return out
	}
	pub := client.PublicMeta{
		Title:        clean("title", meta.Title),
		Summary:      clean("summary", meta.Summary),
		Language:     meta.Language,
		Governorate:  meta.Governorate,
		IncidentDate: meta.IncidentDate,
	}
	for _, t := range meta.Tags {
		pub.Tags = append(pub.Tags, clean("tags", t))
	}
	if transcript != "" {
		pub.TranscriptRedacted = clean("transcript", transcript)
	}
	return pub, found
}

// publicTexts are the texts redactPublic redacts.
func publicTexts(meta *depositMeta, transcript string) []string {
	return append([]string{meta.Title, meta.Summary, transcript}, meta.Tags...)
}

// privateMeta is what is sealed with the content: META.json's private
// fields, the persons, the names kept with --keep (the depositor's
// redaction decisions, which the server must not see), the original file
// name and media type.
func privateMeta(meta *depositMeta, fileName, mediaType string) map[string]any {
	private := maps.Clone(meta.Private)
	if private == nil {
		private = map[string]any{}
	}
	if len(meta.Persons) > 0 {
		private["persons"] = meta.Persons
	}
	if len(meta.keep) > 0 {
		private["redaction_kept"] = meta.keep
	}
	private["file_name"] = fileName
	private["media_type"] = mediaType
	return private
}

func readDepositMeta(name string) (*depositMeta, error) {
	b, err := readSmallFile(name, maxMetaFile)
	if err != nil {
		return nil, fmt.Errorf("meta: %w", err)
	}
	return parseDepositMeta(b, name)
}

// parseDepositMeta decodes META.json strictly.
func parseDepositMeta(b []byte, name string) (*depositMeta, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m depositMeta
	if err := dec.Decode(&m); err != nil {
		// json errors quote field names, never values.
		return nil, fmt.Errorf("meta %s: %v", name, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("meta %s: trailing data after the object", name)
	}
	if strings.TrimSpace(m.Title) == "" {
		return nil, fmt.Errorf("meta %s: title is required", name)
	}
	if len(m.Consent.Scopes) == 0 {
		return nil, fmt.Errorf("meta %s: consent.scopes is required (research, advocacy, legal_proceedings, public_anonymised)", name)
	}
	return &m, nil
}

// sniff returns the media type of f from its first 512 bytes and rewinds.
func sniff(f *os.File) (string, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return http.DetectContentType(head[:n]), nil
}

// reportRedactions tells the depositor what was removed, by field and
// kind, before anything is sealed or sent.
func reportRedactions(w io.Writer, found []redaction) {
	if len(found) == 0 {
		fmt.Fprintln(w, "Redaction: no personal data found in the public fields.")
		return
	}
	type key struct{ field, kind string }
	counts := map[key]int{}
	var fields []string
	kindsOf := map[string][]string{}
	for _, f := range found {
		k := key{f.Field, f.Kind}
		if counts[k] == 0 {
			if len(kindsOf[f.Field]) == 0 {
				fields = append(fields, f.Field)
			}
			kindsOf[f.Field] = append(kindsOf[f.Field], f.Kind)
		}
		counts[k]++
	}
	fmt.Fprintf(w, "Redaction: %d item(s) of personal data replaced by pseudonyms before sealing:\n", len(found))
	for _, field := range fields {
		var parts []string
		for _, kind := range kindsOf[field] {
			parts = append(parts, fmt.Sprintf("%d %s", counts[key{field, kind}], kind))
		}
		fmt.Fprintf(w, "  %s: %s\n", field, strings.Join(parts, ", "))
	}
}
