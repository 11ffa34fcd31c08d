package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/internal/server"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// IndexDir is where a vault's search index lives inside its data directory.
const IndexDir = server.IndexDir

type serveOptions struct {
	data, listen, passFile, tlsCert, tlsKey string
	authRate                                float64
	authBurst                               int
	limits                                  connLimits
	mirror                                  string
	mirrorInterval                          time.Duration
}

// connLimits are how long a connection may take over each part of a
// request.
type connLimits struct {
	header, body, stall, idle time.Duration
}

// connLimitsHelp is what serve and demo say about their limits.
const connLimitsHelp = `A connection must send a request's headers within --header-timeout, and
its body within --body-timeout of the start of the request, signed in or
not: a client that announces a body and sends nothing, or sends it a byte
at a time, is answered and cut off then. A signed-in deposit or rekey
(PUT /v1/documents/ID/content) may take as long as it keeps sending, and is
cut off after --stall-timeout without a byte. An idle connection is closed
after --idle-timeout.`

// addLimitFlags adds the connection limits' flags, with their defaults.
func addLimitFlags(cmd *cobra.Command, l *connLimits) {
	cmd.Flags().DurationVar(&l.header, "header-timeout", server.DefaultHeaderTimeout, "time a client has to send a request's headers")
	cmd.Flags().DurationVar(&l.body, "body-timeout", server.DefaultBodyTimeout, "time a client has to send a request's body, from the start of the request")
	cmd.Flags().DurationVar(&l.stall, "stall-timeout", server.DefaultStallTimeout, "time a signed-in deposit or rekey may go without sending a byte")
	cmd.Flags().DurationVar(&l.idle, "idle-timeout", server.DefaultIdleTimeout, "time an idle connection is kept open")
}

func (l connLimits) check() error {
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"--header-timeout", l.header}, {"--body-timeout", l.body}, {"--stall-timeout", l.stall}, {"--idle-timeout", l.idle}} {
		if f.d <= 0 {
			return usageError("%s must be positive", f.name)
		}
	}
	return nil
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve --data DIR [--listen 127.0.0.1:8443] [--passphrase-file F] [--tls-cert C --tls-key K] [--mirror URL]",
		Short: "Serve the vault's HTTP API",
		Long: `Unseal the vault with its passphrase and serve the /v1 HTTP API. A wrong
passphrase refuses to start. On SIGINT or SIGTERM the server stops taking
requests, lets those in flight finish, and closes the index and the vault
cleanly. Without --tls-cert and --tls-key it speaks plain HTTP: keep it on
loopback or behind a TLS-terminating proxy on the same host.

` + connLimitsHelp + `

Requests the server refuses are audited, with their route and reason; the
refusals of one client address, user, route and reason are counted in at
most two events a minute, so that nobody can flood the log with them.

--mirror keeps an off-site mirror up to date, as 'amana mirror' does: a
round at start, then one every --mirror-interval after the last ended (the
mirror lags by at most an interval plus a round). Rounds are logged
("mirrored"); a failed one is logged and retried at the next.`,
		Example: `  amana serve --data /srv/amana --passphrase-file /etc/amana/passphrase
  amana serve --data /srv/amana --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem
  amana serve --data /srv/amana --mirror 's3://amana-mirror?endpoint=https://s3.abroad.example&region=eu-1'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.data == "" {
				return usageError("--data is required")
			}
			if (o.tlsCert == "") != (o.tlsKey == "") {
				return usageError("--tls-cert and --tls-key go together")
			}
			if err := o.limits.check(); err != nil {
				return err
			}
			pass, err := readPassphrase(o.passFile, false)
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", o.listen)
			if err != nil {
				return err
			}
			return serve(cmd.Context(), ln, o, pass, nil)
		},
	}
	cmd.Flags().StringVar(&o.data, "data", "", "the vault's data directory")
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8443", "address to listen on")
	cmd.Flags().StringVar(&o.passFile, "passphrase-file", "", "read the vault passphrase from this file (else AMANA_PASSPHRASE, else a prompt)")
	cmd.Flags().StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM)")
	cmd.Flags().StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	cmd.Flags().Float64Var(&o.authRate, "auth-rate", 10, "login requests per second allowed per client address")
	cmd.Flags().IntVar(&o.authBurst, "auth-burst", 60, "burst of login requests allowed per client address (an office behind one address)")
	cmd.Flags().StringVar(&o.mirror, "mirror", "", "keep an off-site mirror at this URL (file:///PATH or s3://BUCKET?endpoint=…)")
	cmd.Flags().DurationVar(&o.mirrorInterval, "mirror-interval", server.DefaultMirrorInterval, "time between the end of a mirror round and the start of the next")
	addLimitFlags(cmd, &o.limits)
	return cmd
}

// serve runs the server on ln until ctx is done or a signal arrives. ready,
// if not nil, is called with the base URL once the server accepts requests.
func serve(ctx context.Context, ln net.Listener, o serveOptions, passphrase string, ready func(url string)) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return server.Run(ctx, server.Config{
		DataDir: o.data, Passphrase: passphrase,
		Listener: ln, TLSCert: o.tlsCert, TLSKey: o.tlsKey,
		Logger:        slog.New(slog.NewJSONHandler(os.Stderr, nil)),
		Version:       version,
		HeaderTimeout: o.limits.header, BodyTimeout: o.limits.body,
		StallTimeout: o.limits.stall, IdleTimeout: o.limits.idle,
		Mirror: o.mirror, MirrorInterval: o.mirrorInterval,
		API: func(c *httpapi.Config) {
			c.AuthRate, c.AuthBurst = rate.Limit(o.authRate), o.authBurst
		},
	}, ready)
}
