package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/sessionguard/sessionguard/server/httpserver"
)

// Serve serves Handler on ln (HTTPS with TLSCertFile and TLSKeyFile),
// and /metrics on MetricsAddr when set, until ctx ends; then it stops
// accepting, ends the live event streams and lets requests in flight
// finish (for up to 30 seconds). It does not Close the Server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	o := s.opts
	if o.MetricsAddr != "" {
		mln, err := net.Listen("tcp", o.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("-metrics-addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", o.Metrics.Handler())
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		s.logger.Info("metrics", "url", "http://"+mln.Addr().String()+"/metrics")
	}
	hs := httpserver.New(s.Handler())
	hs.ErrorLog = slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn)
	hs.TLSConfig = s.tls
	hs.RegisterOnShutdown(s.http.Close) // end the live event streams, so shutdown does not wait for them

	errc := make(chan error, 1)
	scheme := "http"
	if s.tls != nil {
		scheme = "https"
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	s.logger.Info("listening", "url", scheme+"://"+ln.Addr().String(), "strategy", o.Strategy, "store", s.storeName(), "secure_cookies", !o.InsecureCookies)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.logger.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// storeName is the store for the log: its kind, or "custom" for one the
// caller opened.
func (s *Server) storeName() string {
	if s.opts.Store != nil {
		return "custom"
	}
	return s.opts.StoreKind
}

// loadTLS reads the certificate and key: both or neither (nil: plain http).
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("-tls-cert and -tls-key go together: give both or neither")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("-tls-cert/-tls-key: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
