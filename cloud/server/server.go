// Package server wires the cloud: store, sales service, HTTP API and the
// background sweeper, as one value a test or a main can start and stop
// in-process.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/api"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// Config is everything a cloud needs to start.
type Config struct {
	Listen      string `json:"listen"`      // host:port; port 0 picks a free one
	DataDir     string `json:"data_dir"`    // holds admit.db
	Synchronous string `json:"synchronous"` // SQLite synchronous mode: NORMAL or FULL
	SystemCode  string `json:"system_code"` // the regulator's code for this system
	// SweepEvery is how often expired holds are released (default 5s).
	SweepEvery time.Duration       `json:"-"`
	Logger     *slog.Logger        `json:"-"`
	Now        func() time.Time    `json:"-"`
	Passwords  auth.PasswordParams `json:"-"`
	Version    string              `json:"-"`
}

// Server is a running cloud.
type Server struct {
	Svc   *sales.Service
	Store *sqlite.Store
	URL   string // http://host:port

	http   *http.Server
	ln     net.Listener
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger
}

// Start opens the store, migrates it, and serves HTTP until Close.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		return nil, errors.New("server: data dir is required")
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = 5 * time.Second
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "admit.db"), sqlite.Options{Synchronous: cfg.Synchronous})
	if err != nil {
		return nil, err
	}
	svc, err := sales.New(ctx, st, sales.Config{SystemCode: cfg.SystemCode, Now: cfg.Now, Logger: cfg.Logger, Passwords: cfg.Passwords})
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("server: listen %s: %w", cfg.Listen, err)
	}
	gin.SetMode(gin.ReleaseMode)
	a := api.New(svc, api.Options{Logger: cfg.Logger, Version: cfg.Version})
	s := &Server{Svc: svc, Store: st, URL: "http://" + ln.Addr().String(), ln: ln, log: cfg.Logger,
		http: &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second}}
	bg, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer s.wg.Done()
		s.sweep(bg, cfg.SweepEvery)
	}()
	s.log.Info("cloud listening", "url", s.URL, "data_dir", cfg.DataDir)
	return s, nil
}

// sweep releases expired holds so availability and quotas stay tidy; the
// hold logic never depends on it (expired holds are overtaken anyway).
func (s *Server) sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Svc.ExpireHolds(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("expire holds", "err", err)
			} else if n > 0 {
				s.log.Info("expired holds", "count", n)
			}
		}
	}
}

// Close stops serving and closes the store.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	s.cancel()
	s.wg.Wait()
	return errors.Join(err, s.Store.Close())
}
