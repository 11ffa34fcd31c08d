// Package server assembles an Amana server from a vault's data directory:
// it unseals the vault, opens its search index and repairs it, serves the
// HTTP API and the web interface, signs audit checkpoints and retries index
// updates periodically, and shuts all of it down in order. 'amana serve',
// 'amana demo', the benchmark and the test harness (internal/amanatest)
// all run this one assembly.
//
// A Server's lifetime:
//
//	s, err := server.Start(server.Config{DataDir: dir, Passphrase: pass, Addr: "127.0.0.1:8443"})
//	…
//	err = s.Shutdown(ctx) // requests in flight finish; then the index and the vault close
//
// or Run, which does both and stops when its context is done.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/amana-vault/amana/blobstore"
	"github.com/amana-vault/amana/httpapi"
	"github.com/amana-vault/amana/search"
	"github.com/amana-vault/amana/search/indexer"
	"github.com/amana-vault/amana/vault"
	"github.com/amana-vault/amana/witness"
)

// IndexDir is where a vault's search index lives inside its data directory.
const IndexDir = "index"

// Defaults of Config.
const (
	DefaultInterval        = 10 * time.Second
	DefaultMaxHeaderBytes  = 64 << 10
	DefaultShutdownTimeout = 30 * time.Second

	// A connection must send a request's headers within HeaderTimeout of
	// its first byte, and its body within BodyTimeout of the headers; an
	// authenticated upload may take longer while it keeps sending, but
	// no more than StallTimeout without a byte. A connection is closed
	// after IdleTimeout without a request.
	DefaultHeaderTimeout = 10 * time.Second
	DefaultBodyTimeout   = httpapi.DefaultBodyTimeout
	DefaultStallTimeout  = httpapi.DefaultStallTimeout
	DefaultIdleTimeout   = 60 * time.Second
)

// Config says what to serve and how. Only DataDir and Passphrase are
// required; a zero field means its default.
type Config struct {
	// DataDir is the vault's data directory; Passphrase unseals it.
	DataDir    string
	Passphrase string
	// Vault holds the vault's options (chunk size, lock timeout…). Its Now
	// is replaced by Now when Now is set.
	Vault vault.Options

	// Listener is where to serve; if nil, Start listens on Addr (TCP).
	Listener net.Listener
	Addr     string
	// TLSCert and TLSKey, both or neither, are PEM files; without them
	// the server speaks plain HTTP.
	TLSCert, TLSKey string

	// Logger receives the server's lines and, unless API changes it, the
	// API's access log (default: discarded).
	Logger  *slog.Logger
	Version string
	// Now is the clock of the vault and the API (default time.Now).
	Now func() time.Time

	// API, if not nil, adjusts the API's configuration (rate limits,
	// sizes) after the server filled it in.
	API func(*httpapi.Config)
	// Wrap, if not nil, wraps the whole handler.
	Wrap func(http.Handler) http.Handler

	// Interval is how often the server signs a checkpoint of new audit
	// events and retries pending index updates (default DefaultInterval;
	// negative: never).
	Interval time.Duration
	// MaxHeaderBytes bounds a request's header (default
	// DefaultMaxHeaderBytes).
	MaxHeaderBytes int
	// ShutdownTimeout bounds how long Run waits for requests in flight
	// (default DefaultShutdownTimeout).
	ShutdownTimeout time.Duration

	// HeaderTimeout, BodyTimeout, StallTimeout and IdleTimeout bound how
	// long a connection may take to send a request's headers, its body,
	// the next bytes of an authenticated upload, and its next request
	// (defaults DefaultHeaderTimeout…). BodyTimeout and StallTimeout go
	// to the API's configuration, where API may still change them.
	HeaderTimeout, BodyTimeout, StallTimeout, IdleTimeout time.Duration

	// Witnesses cosign the audit log's checkpoints (C2SP tlog-witness);
	// WitnessQuorum of them make a checkpoint cosigned (default: all).
	// WitnessWait bounds how long GET /v1/audit/checkpoint waits for a
	// quorum to cosign a fresh checkpoint (default DefaultWitnessWait).
	// WitnessBackoff is the first wait before retrying a witness that
	// failed (default 1 s; it doubles up to 5 min).
	Witnesses      []witness.Witness
	WitnessQuorum  int
	WitnessWait    time.Duration
	WitnessBackoff time.Duration

	// Mirror, if set, is the URL of an off-site mirror (a blob store URL:
	// file:///PATH or s3://…) that the server brings up to date at start
	// and then every MirrorInterval (default DefaultMirrorInterval), one
	// round at a time (vault.Mirror).
	Mirror         string
	MirrorInterval time.Duration
}

// DefaultMirrorInterval is how often a mirror round starts, at most.
const DefaultMirrorInterval = 5 * time.Minute

// DefaultWitnessWait is the default of Config.WitnessWait.
const DefaultWitnessWait = 5 * time.Second

// Server is a running server.
type Server struct {
	cfg     Config
	log     *slog.Logger
	url     string
	ln      net.Listener
	http    *http.Server
	api     *httpapi.Server
	v       *vault.Vault
	ix      *search.Index
	indexer *indexer.Indexer
	cosign  *witness.Cosigner

	served   chan struct{} // closed when Serve returned
	serveErr error

	stopTick context.CancelFunc
	ticking  sync.WaitGroup

	shutOnce sync.Once
	shutErr  error
}

// Start unseals the vault, opens and repairs its index, and starts serving.
// It takes ownership of cfg.Listener, closing it if it fails.
func Start(cfg Config) (s *Server, err error) {
	ln := cfg.Listener
	defer func() {
		if err != nil && ln != nil {
			ln.Close()
		}
	}()
	if cfg.DataDir == "" {
		return nil, errors.New("server: no data directory")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("server: a TLS certificate and key go together")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MaxHeaderBytes == 0 {
		cfg.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = DefaultShutdownTimeout
	}
	if cfg.HeaderTimeout <= 0 {
		cfg.HeaderTimeout = DefaultHeaderTimeout
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = DefaultStallTimeout
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Now != nil {
		cfg.Vault.Now = cfg.Now
	}
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("server: TLS: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, err
		}
	}

	s = &Server{cfg: cfg, log: cfg.Logger, ln: ln, served: make(chan struct{})}
	if s.v, err = vault.Open(cfg.DataDir, cfg.Passphrase, cfg.Vault); err != nil {
		return nil, err
	}
	// Unsealing used a quarter GiB for scrypt: give it back to the system
	// now rather than whenever the heap next shrinks.
	debug.FreeOSMemory()
	var mirror blobstore.Store
	if cfg.Mirror != "" {
		if mirror, err = blobstore.OpenCreate(context.Background(), cfg.Mirror, ""); err != nil {
			s.v.Close()
			return nil, fmt.Errorf("mirror: %w", err)
		}
		if cfg.MirrorInterval <= 0 {
			cfg.MirrorInterval = DefaultMirrorInterval
		}
	}
	ixDir := filepath.Join(cfg.DataDir, IndexDir)
	s.ix, err = search.Open(ixDir)
	if errors.Is(err, search.ErrIncompatible) {
		// The index is derived from the vault's public metadata: one built
		// by another version of Amana is rebuilt, as amana reindex would.
		s.log.Warn("search index built by another version: rebuilding it", "dir", ixDir)
		var n int
		if n, err = indexer.Rebuild(s.v, ixDir); err == nil {
			s.log.Info("search index rebuilt", "documents", n)
			s.ix, err = search.Open(ixDir)
		}
	}
	if err != nil {
		s.v.Close()
		return nil, err
	}
	s.indexer = indexer.New(s.v, s.ix)
	// Repair: apply what a crash left between vault commits and the index.
	if n, err := s.indexer.Drain(); err != nil {
		s.log.Error("index repair failed", "err", err.Error())
	} else if n > 0 {
		s.log.Info("index repaired", "changes", n)
	}

	if len(cfg.Witnesses) > 0 {
		if cfg.WitnessWait <= 0 {
			cfg.WitnessWait = DefaultWitnessWait
		}
		s.cosign, err = witness.Start(witness.Config{Log: s.v, Witnesses: cfg.Witnesses, Quorum: cfg.WitnessQuorum,
			Logger: s.log, MinBackoff: cfg.WitnessBackoff})
		if err != nil {
			s.ix.Close()
			s.v.Close()
			return nil, err
		}
		s.v.OnCheckpoint(s.cosign.Notify)
	}

	api := httpapi.Config{
		Vault: s.v, Index: s.ix, Indexer: s.indexer, Logger: s.log, Version: cfg.Version, Now: cfg.Now,
		BodyTimeout: cfg.BodyTimeout, StallTimeout: cfg.StallTimeout,
		Witnesses: s.cosign, WitnessWait: cfg.WitnessWait,
	}
	if cfg.API != nil {
		cfg.API(&api)
	}
	s.api = httpapi.New(api)
	var h http.Handler = s.api
	if cfg.Wrap != nil {
		h = cfg.Wrap(h)
	}
	s.http = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.HeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}

	tickCtx, stop := context.WithCancel(context.Background())
	s.stopTick = stop
	if cfg.Interval > 0 {
		s.ticking.Go(func() { s.tick(tickCtx, cfg.Interval) })
	}
	if mirror != nil {
		s.ticking.Go(func() { s.mirror(tickCtx, mirror, cfg.MirrorInterval) })
	}

	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	s.url = fmt.Sprintf("%s://%s", scheme, ln.Addr())
	go func() {
		defer close(s.served)
		if tlsConfig != nil {
			s.serveErr = s.http.ServeTLS(ln, "", "")
		} else {
			s.serveErr = s.http.Serve(ln)
		}
	}()
	s.log.Info("serving", "url", s.url, "data", cfg.DataDir, "blob_store", s.v.BlobStoreURL(), "version", cfg.Version)
	return s, nil
}

// tick is the periodic work: sign a checkpoint for new audit events and
// retry pending index changes.
func (s *Server) tick(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Refusals first, so that the checkpoint covers them.
			s.api.FlushRefusals(false)
			if err := s.v.SignCheckpoint(); err != nil {
				s.log.Error("signing checkpoint", "err", err.Error())
			}
			if _, err := s.indexer.Drain(); err != nil {
				s.log.Error("index update", "err", err.Error())
			}
			if _, err := s.v.SweepUploads(); err != nil {
				s.log.Error("sweeping expired uploads", "err", err.Error())
			}
		}
	}
}

// mirror runs a mirror round at once and then every interval after the
// last one ended, until ctx is done. A failed round is logged and the
// next one tries again: the mirror lags by up to an interval plus a round.
func (s *Server) mirror(ctx context.Context, to blobstore.Store, every time.Duration) {
	for {
		start := time.Now()
		rep, err := s.v.Mirror(ctx, to)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Error("mirror", "to", to.URL(), "err", err.Error())
		default:
			s.log.Info("mirrored", "to", to.URL(), "documents", rep.Documents, "copied", rep.Copied,
				"copied_bytes", rep.CopiedBytes, "removed", rep.Removed, "audit_events", rep.AuditSize,
				"seconds", time.Since(start).Seconds())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// URL is the server's base URL, such as http://127.0.0.1:8443.
func (s *Server) URL() string { return s.url }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Handler is the server's whole handler: the API, the web interface and
// what Config.Wrap added.
func (s *Server) Handler() http.Handler { return s.http.Handler }

// HTTPServer is the http.Server that serves Handler.
func (s *Server) HTTPServer() *http.Server { return s.http }

// API is the HTTP API that Handler serves.
func (s *Server) API() *httpapi.Server { return s.api }

// Vault is the unsealed vault.
func (s *Server) Vault() *vault.Vault { return s.v }

// Index is the search index.
func (s *Server) Index() *search.Index { return s.ix }

// Done is closed when the server stopped serving: after Shutdown, or when
// serving failed.
func (s *Server) Done() <-chan struct{} { return s.served }

// Shutdown stops taking requests and lets those in flight finish (until
// ctx is done; then their connections are closed), stops the periodic work,
// brings the index up to date, and closes the index and the vault. It
// returns the first error, serving's included; later calls return the same.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutOnce.Do(func() { s.shutErr = s.shutdown(ctx) })
	return s.shutErr
}

func (s *Server) shutdown(ctx context.Context) error {
	var errs []error
	keep := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.http.Shutdown(ctx); err != nil {
		keep(err)
		keep(s.http.Close())
	}
	<-s.served
	if s.serveErr != nil && !errors.Is(s.serveErr, http.ErrServerClosed) {
		errs = append([]error{s.serveErr}, errs...)
	}
	s.stopTick()
	s.ticking.Wait()
	if s.cosign != nil {
		s.v.OnCheckpoint(nil)
		s.cosign.Close()
	}
	// The refusals still folded, before the vault closes.
	s.api.FlushRefusals(true)
	// No request and no tick runs now: leave the index in step, so that
	// the next start has nothing to repair. What fails here stays in the
	// vault's outbox for that repair.
	if _, err := s.indexer.Drain(); err != nil {
		s.log.Error("index update", "err", err.Error())
	}
	keep(s.ix.Close())
	keep(s.v.Close())
	if len(errs) == 0 {
		s.log.Info("stopped cleanly")
		return nil
	}
	for _, err := range errs[1:] {
		s.log.Error("shutting down", "err", err.Error())
	}
	return errs[0]
}

// Run starts a server for cfg, calls ready (if not nil) with its URL once
// it accepts requests, and serves until ctx is done or serving fails; then
// it shuts the server down, waiting up to cfg.ShutdownTimeout for requests
// in flight.
func Run(ctx context.Context, cfg Config, ready func(url string)) error {
	s, err := Start(cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s.URL())
	}
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case <-s.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	return s.Shutdown(shutCtx)
}
