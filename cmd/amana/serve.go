package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

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
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve --data DIR [--listen 127.0.0.1:8443] [--passphrase-file F] [--tls-cert C --tls-key K]",
		Short: "Serve the vault's HTTP API",
		Long: `Unseal the vault with its passphrase and serve the /v1 HTTP API. A wrong
passphrase refuses to start. On SIGINT or SIGTERM the server stops taking
requests, lets those in flight finish, and closes the index and the vault
cleanly. Without --tls-cert and --tls-key it speaks plain HTTP: keep it on
loopback or behind a TLS-terminating proxy on the same host.`,
		Example: `  amana serve --data /srv/amana --passphrase-file /etc/amana/passphrase
  amana serve --data /srv/amana --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.data == "" {
				return usageError("--data is required")
			}
			if (o.tlsCert == "") != (o.tlsKey == "") {
				return usageError("--tls-cert and --tls-key go together")
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
		Logger:  slog.New(slog.NewJSONHandler(os.Stderr, nil)),
		Version: version,
		API: func(c *httpapi.Config) {
			c.AuthRate, c.AuthBurst = rate.Limit(o.authRate), o.authBurst
		},
	}, ready)
}
