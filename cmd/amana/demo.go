package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/amana-vault/amana/client"
	"github.com/amana-vault/amana/internal/demodata"
	"github.com/amana-vault/amana/internal/demokeys"
	"github.com/amana-vault/amana/vault"
)

// demoUser is one line of keys-example/users.json.
type demoUser = demokeys.User

// demoMembers says who belongs to which demo collection: both researchers
// everywhere, each lawyer in three case files, the auditor nowhere.
var demoMembers = map[string][]string{
	"sinjar-2017": {"r.hassan", "r.ahmed", "a.karim"},
	"kirkuk-2018": {"r.hassan", "r.ahmed", "a.karim", "a.salih"},
	"mosul-2019":  {"r.hassan", "r.ahmed", "a.karim"},
	"anbar-2018":  {"r.hassan", "r.ahmed", "a.salih"},
	"camps-2019":  {"r.hassan", "r.ahmed", "a.salih"},
}

const demoDocuments = 240

func newDemoCmd() *cobra.Command {
	var (
		data, listen, keys, blobStore, logFile string
		limits                                 connLimits
		witnesses                              witnessFlags
	)
	cmd := &cobra.Command{
		Use:   "demo [--data DIR] [--listen ADDR] [--blob-store URL]",
		Short: "Start a demo vault with example users and synthetic data",
		Long: `Start a demo: a vault in DIR (default ./amana-demo) with the example users of
keys-example/ (an admin, two researchers, two lawyers and an auditor), five
case files, and 240 fictional, non-graphic documents in English, Arabic and
Sorani Kurdish, deposited through the same client code as real deposits:
redacted (the synthetic texts carry fake names, phone numbers and e-mail
addresses, so redaction can be seen working), sealed and uploaded. Then it
serves on 127.0.0.1 and prints how to log in as each role, once the
documents are in. The server's log (every request, as JSON lines) goes to
--log, by default access.log in DIR, so that it does not bury the guide;
--log - sends it to standard error.

Running it again reuses the existing demo vault. The keys in keys-example/
are public: never use them, or a demo vault, for real data.

--blob-store puts a new demo vault's ciphertext in another store, as for
'amana init' (file:///PATH or s3://BUCKET?endpoint=…; default DIR/blobs).

` + connLimitsHelp + ``,
		Example: `  go run ./cmd/amana demo
  go run ./cmd/amana demo --data /tmp/amana-demo --listen 127.0.0.1:9443`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := limits.check(); err != nil {
				return err
			}
			if _, err := witnesses.parse(); err != nil {
				return err
			}
			users, pass, err := loadDemoKeys(keys)
			if err != nil {
				return err
			}
			fresh := false
			if _, err := os.Stat(filepath.Join(data, vault.DBFile)); errors.Is(err, os.ErrNotExist) {
				if err := createDemoVault(data, pass, keys, blobStore, users); err != nil {
					return err
				}
				fresh = true
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("%w (is another amana demo running? use --listen)", err)
			}
			out := cmd.OutOrStdout()
			logPath := logFile
			var logTo io.Writer = cmd.ErrOrStderr()
			if logPath != "-" {
				if logPath == "" {
					logPath = filepath.Join(data, "access.log")
				}
				f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
				if err != nil {
					ln.Close()
					return fmt.Errorf("server log: %w", err)
				}
				defer f.Close()
				logTo = f
			}
			return serve(cmd.Context(), ln, serveOptions{data: data, listen: listen, authRate: 10, authBurst: 60, limits: limits, witnesses: witnesses, logTo: logTo}, pass, func(url string) {
				if fresh {
					fmt.Fprintf(out, "Loading %d synthetic documents into %s …\n", demoDocuments, data)
					ids, err := seedDemo(cmd.Context(), url, keys, users)
					if err != nil {
						fmt.Fprintf(cmd.ErrOrStderr(), "amana: demo data: %v\n", err)
						return
					}
					saveDemoIDs(data, ids)
				}
				if logPath != "-" {
					fmt.Fprintf(out, "The server's log is in %s.\n", logPath)
				}
				printDemoGuide(out, url, data, keys, users, loadDemoIDs(data))
			})
		},
	}
	cmd.Flags().StringVar(&data, "data", "amana-demo", "data directory of the demo vault")
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:8443", "address to serve on")
	cmd.Flags().StringVar(&keys, "keys", "keys-example", "directory of the demo users' keys (public; demo only)")
	cmd.Flags().StringVar(&blobStore, "blob-store", "", "where a new demo vault's ciphertext goes: file:///PATH or s3://BUCKET?endpoint=http://HOST:PORT&region=R (default DIR/blobs)")
	cmd.Flags().StringVar(&logFile, "log", "", "file the server's log is appended to (default DIR/access.log; - for standard error)")
	addLimitFlags(cmd, &limits)
	addWitnessFlags(cmd, &witnesses)
	return cmd
}

func loadDemoKeys(dir string) ([]demoUser, string, error) {
	users, pass, err := demokeys.Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("demo keys: %w (run the demo from the repository root, or pass --keys)", err)
	}
	if err != nil {
		return nil, "", fmt.Errorf("demo keys: %w", err)
	}
	return users, pass, nil
}

func demoUserByRole(users []demoUser, role string) []demoUser { return demokeys.ByRole(users, role) }

func createDemoVault(dir, pass, keys, blobStore string, users []demoUser) error {
	admins := demoUserByRole(users, vault.RoleAdmin)
	if len(admins) == 0 {
		return errors.New("demo keys: no admin in users.json")
	}
	admin := admins[0]
	// Every demo user can sign deposits: their signing keys are in keys.
	signingKeys := map[string]string{}
	for _, u := range users {
		k, err := u.SigningKey(keys)
		if err != nil {
			return fmt.Errorf("demo keys: %w", err)
		}
		signingKeys[u.ID] = k
	}
	v, _, err := vault.Create(dir, pass, vault.NewUser{
		ID: admin.ID, Name: admin.Name, Recipient: admin.Recipient, SigningKey: signingKeys[admin.ID], TOTPSecret: admin.TOTPSecret,
	}, vault.Options{BlobStore: blobStore})
	if err != nil {
		return err
	}
	ac := vault.Caller{User: admin.ID, RequestID: "demo-setup"}
	for _, u := range users {
		if u.ID == admin.ID {
			continue
		}
		if _, _, err := v.AddUser(ac, vault.NewUser{
			ID: u.ID, Name: u.Name, Role: u.Role, Recipient: u.Recipient, SigningKey: signingKeys[u.ID], TOTPSecret: u.TOTPSecret,
		}); err != nil {
			v.Close()
			return fmt.Errorf("demo user %s: %w", u.ID, err)
		}
	}
	for _, c := range demodata.Collections() {
		if _, err := v.CreateCollection(ac, vault.Collection{ID: c.ID, Name: c.Name, Members: demoMembers[c.ID]}); err != nil {
			v.Close()
			return fmt.Errorf("demo collection %s: %w", c.ID, err)
		}
	}
	return v.Close()
}

// demoLogin logs in as u with a TOTP code of the previous time step, which
// the server still accepts: the user's own login with the current code
// right after the demo starts is then not a replay.
func demoLogin(ctx context.Context, url, keys string, u demoUser) (*client.Client, []age.Identity, error) {
	ids, err := u.Identities(keys)
	if err != nil {
		return nil, nil, err
	}
	code, err := demokeys.Code(u.TOTPSecret, time.Now().Add(-30*time.Second))
	if err != nil {
		return nil, nil, err
	}
	c := client.New(url)
	if _, err := c.Login(ctx, u.ID, ids, code); err != nil {
		return nil, nil, fmt.Errorf("demo login as %s: %w", u.ID, err)
	}
	if u.SigningKeyFile != "" {
		if c.Signer, err = u.Signer(keys); err != nil {
			return nil, nil, err
		}
	}
	return c, ids, nil
}

// seedDemo deposits the synthetic dataset as its researchers would: META
// redacted by the same code as 'amana deposit', sealed on the client,
// streamed to the server. Documents whose consent covers legal
// proceedings are also sealed to a lawyer of their collection.
func seedDemo(ctx context.Context, url, keys string, users []demoUser) (map[string]string, error) {
	clients := map[string]*client.Client{}
	for _, u := range demoUserByRole(users, vault.RoleResearcher) {
		c, _, err := demoLogin(ctx, url, keys, u)
		if err != nil {
			return nil, err
		}
		clients[u.ID] = c
	}
	examples := map[string]string{}
	redacted := 0
	for i, d := range demodata.Generate(demoDocuments, 1) {
		c := clients[d.Depositor]
		if c == nil {
			return nil, fmt.Errorf("demo document %d: no researcher %s", i, d.Depositor)
		}
		mb, err := demodata.MetaJSON(d)
		if err != nil {
			return nil, err
		}
		meta, err := parseDepositMeta(mb, fmt.Sprintf("demo document %d", i))
		if err != nil {
			return nil, err
		}
		pub, found := redactPublic(meta, d.Transcript)
		if len(found) > 0 {
			redacted++
		}
		var to []string
		if slices.Contains(d.Consent.Scopes, vault.ScopeLegalProceedings) {
			for _, m := range demoMembers[d.Collection] {
				if strings.HasPrefix(m, "a.") {
					to = append(to, m)
					break
				}
			}
		}
		res, err := c.Deposit(ctx, client.DepositRequest{
			Collection: d.Collection, Kind: d.Kind, Public: pub, Consent: meta.Consent,
			Private: privateMeta(meta, d.FileName, d.MediaType), To: to,
			Content: bytes.NewReader(d.Content),
		})
		if err != nil {
			return nil, fmt.Errorf("demo document %d: %w", i, err)
		}
		for _, lawyer := range to {
			if examples[lawyer] == "" {
				examples[lawyer] = res.Document.ID
			}
		}
		if examples[d.Depositor] == "" && len(found) > 0 && slices.Contains(res.Document.SlotHolders, d.Depositor) {
			examples[d.Depositor] = res.Document.ID
		}
	}
	for _, c := range clients {
		c.Logout(ctx)
	}
	fmt.Printf("Deposited %d documents; redaction removed planted personal data from %d of them.\n", demoDocuments, redacted)
	return examples, nil
}

// The demo remembers an example document per user, to print in the guide.
const demoIDsFile = "demo-examples.json"

func saveDemoIDs(dir string, ids map[string]string) {
	b, _ := json.MarshalIndent(ids, "", "  ")
	os.WriteFile(filepath.Join(dir, demoIDsFile), b, 0o600)
}

func loadDemoIDs(dir string) map[string]string {
	ids := map[string]string{}
	if b, err := os.ReadFile(filepath.Join(dir, demoIDsFile)); err == nil {
		json.Unmarshal(b, &ids)
	}
	return ids
}

func printDemoGuide(w io.Writer, url, data, keys string, users []demoUser, examples map[string]string) {
	fmt.Fprintf(w, `
Amana demo: serving %s with the vault in %s.
FICTIONAL DATA AND PUBLIC KEYS ONLY: never put real testimonies in a demo vault.

Web interface: open %s/ and log in with a user id, its identity file from %s/
and a TOTP code (English, العربية, کوردی).

In another terminal, at the repository root, build the client once:
  go build -o amana ./cmd/amana
Each user logs in with the age identity file and a TOTP code; the TOTP secrets
are in %s/users.json (use any authenticator app, or oathtool from Debian's
oathtool package). Use one AMANA_CONFIG_DIR per user to keep sessions apart.
`, url, data, url, keys, keys)
	for _, role := range []string{vault.RoleResearcher, vault.RoleLawyer, vault.RoleAuditor, vault.RoleAdmin} {
		for _, u := range demoUserByRole(users, role) {
			fmt.Fprintf(w, "\n# %s (%s)\n", u.ID, role)
			fmt.Fprintf(w, "export AMANA_CONFIG_DIR=/tmp/amana-%s\n", u.ID)
			fmt.Fprintf(w, "./amana login --server %s --user %s --identity %s --totp \"$(oathtool --totp -b %s)\"\n",
				url, u.ID, filepath.Join(keys, u.IdentityFile), u.TOTPSecret)
			doc := examples[u.ID]
			switch role {
			case vault.RoleResearcher:
				fmt.Fprintln(w, "./amana search 'checkpoint OR displacement' --facet kind --facet governorate")
				if doc != "" {
					fmt.Fprintf(w, "./amana show %s      # public metadata was redacted; private metadata decrypts here\n", doc)
					fmt.Fprintf(w, "./amana get %s -o /tmp/%s.txt\n", doc, doc)
				}
			case vault.RoleLawyer:
				fmt.Fprintln(w, "./amana search 'شهادة' --facet collection --facet language")
				if doc != "" {
					fmt.Fprintf(w, "./amana get %s -o /tmp/%s.txt   # sealed to you: consent covers legal proceedings\n", doc, doc)
					fmt.Fprintf(w, "./amana export %s -o /tmp/%s-bundle.zip && ./amana verify-bundle /tmp/%s-bundle.zip\n", doc, doc, doc)
				}
			case vault.RoleAuditor:
				fmt.Fprintln(w, "./amana audit checkpoint -o /tmp/checkpoint-1.txt")
				fmt.Fprintln(w, "./amana audit log --json | head -40")
				fmt.Fprintln(w, "./amana audit verify --checkpoint /tmp/checkpoint-1.txt")
			case vault.RoleAdmin:
				fmt.Fprintln(w, "./amana user list")
				fmt.Fprintln(w, "./amana stats --by governorate,year")
			}
		}
	}
	fmt.Fprintln(w, "\nPress Ctrl-C to stop the server; run 'go run ./cmd/amana demo' again to reuse this vault.")
}
