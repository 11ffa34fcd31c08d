package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/time/rate"

	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// IndexDir is where a vault's search index lives inside its data directory.
const IndexDir = "index"

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
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	v, err := vault.Open(o.data, passphrase, vault.Options{})
	if err != nil {
		ln.Close()
		return err
	}
	// Unsealing used a quarter GiB for scrypt: give it back to the system
	// now rather than whenever the heap next shrinks.
	debug.FreeOSMemory()
	ix, err := search.Open(filepath.Join(o.data, IndexDir))
	if err != nil {
		v.Close()
		ln.Close()
		return err
	}
	idx := indexer.New(v, ix)
	// Repair: apply what a crash left between vault commits and the index.
	if n, err := idx.Drain(); err != nil {
		logger.Error("index repair failed", "err", err.Error())
	} else if n > 0 {
		logger.Info("index repaired", "changes", n)
	}

	api := httpapi.New(httpapi.Config{
		Vault: v, Index: ix, Indexer: idx, Logger: logger, Version: version,
		AuthRate: rate.Limit(o.authRate), AuthBurst: o.authBurst,
	})
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	// Periodic work: sign a checkpoint for new audit events and retry
	// pending index changes.
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := v.SignCheckpoint(); err != nil {
					logger.Error("signing checkpoint", "err", err.Error())
				}
				if _, err := idx.Drain(); err != nil {
					logger.Error("index update", "err", err.Error())
				}
			}
		}
	}()

	errc := make(chan error, 1)
	scheme := "http"
	go func() {
		if o.tlsCert != "" {
			errc <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	if o.tlsCert != "" {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	logger.Info("serving", "url", url, "data", o.data, "version", version)
	if ready != nil {
		ready(url)
	}

	var serveErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case serveErr = <-errc:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	err = errors.Join(err, ix.Close(), v.Close())
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(serveErr, err)
	}
	if err == nil {
		logger.Info("stopped cleanly")
	}
	return err
}
