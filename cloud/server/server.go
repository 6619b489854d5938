// Package server wires the cloud: store, sales service, HTTP API and the
// background sweeper, as one value a test or a main can start and stop
// in-process.
package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/accounts"
	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/api"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/broker"
	"github.com/admitbox/admit/cloud/contract"
	"github.com/admitbox/admit/cloud/inventory"
	"github.com/admitbox/admit/cloud/limit"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/ops"
	"github.com/admitbox/admit/cloud/outlet"
	"github.com/admitbox/admit/cloud/pass"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/portal"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/platform"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
	"github.com/admitbox/admit/cloud/shop"
	"github.com/admitbox/admit/cloud/store/postgres"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/cloud/store/sqlstore"
	"github.com/admitbox/admit/cloud/storefront"
	"github.com/admitbox/admit/cloud/syncer"
	"github.com/admitbox/admit/cloud/webshop"
	"github.com/admitbox/admit/internal/reqid"
	"github.com/admitbox/admit/internal/webui"
)

// Config is everything a cloud needs to start.
type Config struct {
	Listen  string `json:"listen"`   // host:port; port 0 picks a free one
	DataDir string `json:"data_dir"` // holds admit.db
	// DB names a PostgreSQL database (postgres://…) instead of the data
	// dir's SQLite: several cloud processes can share one.
	DB string `json:"db"`
	// SingleLoginRoles are roles whose users hold one login at a time: a
	// new login ends the others (e.g. ["clerk"]: one POS per clerk).
	SingleLoginRoles []auth.Role `json:"single_login_roles"`
	// IdleTimeoutMinutes ends a login unused this long (0: 30; -1: never).
	IdleTimeoutMinutes int `json:"idle_timeout_minutes"`
	// MasterKeyFile holds the master key (base64 of 32 bytes) that seals
	// the store's secrets; without it, ADMIT_MASTER_KEY; without either,
	// secrets are stored as they are.
	MasterKeyFile string `json:"master_key_file"`
	// PasswordPolicy is what users' passwords must be: length, mix of
	// character classes, no reuse of the last few, expiry.
	PasswordPolicy auth.PasswordPolicy `json:"password_policy"`
	// TLSCert and TLSKey (PEM files) make the API and portal HTTPS, with
	// Strict-Transport-Security on every answer.
	TLSCert string `json:"tls_cert"`
	TLSKey  string `json:"tls_key"`
	// RateLimits is the flow control in front of the API (none by
	// default): token buckets per client address and per tenant by
	// request class, and a cap on reads in flight.
	RateLimits limit.Config `json:"rate_limits"`
	// TrustedProxies are the load balancers (addresses or CIDRs) whose
	// X-Forwarded-For names the client for the per-client limits.
	TrustedProxies []string `json:"trusted_proxies"`
	Synchronous    string   `json:"synchronous"` // SQLite synchronous mode: FULL (default) or NORMAL
	SystemCode     string   `json:"system_code"` // the regulator's code for this system
	// SweepEvery is how often expired holds are released and drawn
	// presales settled (default 1s).
	SweepEvery time.Duration `json:"-"`
	// Payments is the card acquirer; nil is the simulator, in memory.
	Payments Payments `json:"-"`
	// Verifier is the identity provider; nil is its simulator.
	Verifier accounts.Verifier `json:"-"`
	// Messages are the channels' providers and paces; a channel left out
	// is simulated (nothing leaves the machine).
	Messages  map[messages.Channel]messages.ChannelConfig `json:"-"`
	Logger    *slog.Logger                                `json:"-"`
	Now       func() time.Time                            `json:"-"`
	Passwords auth.PasswordParams                         `json:"-"`
	Version   string                                      `json:"-"`

	// MQTT. By default the cloud embeds a broker on MQTTListen. With
	// MQTTURL it uses that external broker instead (Mosquitto, EMQX), as
	// MQTTUser/MQTTPassword, sharing device uplinks with other replicas.
	MQTTListen string `json:"mqtt_listen"`
	// MQTTTLSCert and MQTTTLSKey (PEM files) make the embedded broker
	// speak TLS (ssl://); devices then verify it like any TLS server.
	MQTTTLSCert  string `json:"mqtt_tls_cert"`
	MQTTTLSKey   string `json:"mqtt_tls_key"`
	MQTTURL      string `json:"mqtt_url"`
	MQTTUser     string `json:"mqtt_user"`
	MQTTPassword string `json:"mqtt_password"`
	// What enrolled devices are told: the broker and API as they reach
	// them (default: the addresses this process listens on).
	PublicMQTTURL string `json:"public_mqtt_url"`
	PublicURL     string `json:"public_url"`

	// Platform reports every film ticket to the national data platform.
	// Without a URL nothing is reported.
	Platform PlatformConfig `json:"platform"`

	// Retention prunes the working rows that have done their job (feed,
	// device facts, planned outbox entries, delivered reports) once older
	// than its horizon; tickets, orders, refunds and the audit log are
	// kept, reports at least a year (§6.2.6).
	Retention RetentionConfig `json:"retention"`

	// DrainDelay is how long a closing cloud answers /health/ready with
	// 503 before it stops taking connections, so a load balancer's health
	// check takes it out of rotation first (its interval times its fall
	// count; default 0: close at once).
	DrainDelay Duration `json:"drain_delay"`
}

// RetentionConfig is when pruning runs and what it keeps.
type RetentionConfig struct {
	Horizon Duration `json:"horizon"` // default 90 days ("2160h")
	Every   Duration `json:"every"`   // default 1 h; negative ("-1s"): never prune
}

// Defaults of the retention.
const (
	defaultHorizon    = 90 * 24 * time.Hour
	defaultPruneEvery = time.Hour
	// feedKeep is what every venue keeps of its latest feed events whatever
	// their age: the syncer sends a device further behind a snapshot.
	feedKeep = 20_000
)

// Duration is a time.Duration written as in Go ("5s", "1m30s") in the
// config file.
type Duration time.Duration

// UnmarshalJSON reads "5s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"5s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes "5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// PlatformConfig is how the cloud reaches the national data platform:
// what the platform issued to this system when it registered (§8.2.2).
type PlatformConfig struct {
	URL     string `json:"url"`         // https://…
	System  string `json:"system_code"` // as registered (default: SystemCode)
	Cert    string `json:"cert"`        // PEM files
	Key     string `json:"key"`
	SM2Key  string `json:"sm2_key"`
	CA      string `json:"ca"`
	SignAlg string `json:"sign_alg"` // RSA-SHA256 (default) or SM2-SM3
	// Policy bounds each communication (default: 3 sends, 60 s each);
	// Poll is how often the reporter looks for new sales besides being
	// woken by them.
	Policy report.Policy  `json:"-"`
	Poll   time.Duration  `json:"-"`
	Report *report.Config `json:"-"`
	// QueryListen is where the platform's queries (§9.3) are served, over
	// HTTPS with the issued certificate, to the platform alone: the address
	// registered with the platform (empty: not served).
	QueryListen string `json:"query_listen"`
	// LeaseTTL is how long the sender's lease lasts unrenewed: of the
	// cloud processes on one store only its holder sends, and one that
	// dies is replaced within this plus a third (default 15s).
	LeaseTTL Duration `json:"lease_ttl"`
}

// seatLogPoll is how often a cloud process reads the seat change log for
// commits made by other processes on its store.
const seatLogPoll = 100 * time.Millisecond

// Server is a running cloud.
type Server struct {
	Svc     *sales.Service
	Store   Store
	URL     string         // http://host:port
	MQTTURL string         // the broker the cloud and its devices use
	Broker  *broker.Broker // nil with an external broker
	Syncer  *syncer.Syncer
	// Presales runs presales by lottery; Messages tells the public;
	// Accounts are the public's.
	Presales *presale.Service
	Accounts *accounts.Service
	WebShop  *webshop.Service
	// Agencies sell through their API keys.
	Agencies *agency.Service
	// Settlement settles with the parties who sell (agencies).
	Settlement *settlement.Service
	// Passes sells passes over several sessions.
	Passes *pass.Service
	// Contract sells to contract customers through representatives.
	Contract *contract.Service
	// Inventory is the ticket inventory and production.
	Inventory *inventory.Service
	// Outlets are the channels\' booths and shops.
	Outlets  *outlet.Service
	Messages *messages.Service
	// Reports is the national data platform reporter's queue; Reporter is
	// nil when no platform is configured, Queries when it does not query.
	Reports  report.Store
	Reporter *report.Reporter
	Queries  *platform.QueryServer

	reporting *report.Service

	http     *http.Server
	ln       net.Listener
	brokerCA []byte
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	log      *slog.Logger

	closeOnce  sync.Once
	closeErr   error
	draining   atomic.Bool
	drainDelay time.Duration
}

// Payments is the card acquirer: charges for sales, authorisations for
// presale applications.
type Payments interface {
	sales.PaymentProvider
	presale.Payments
}

// Start opens the store, migrates it, and serves HTTP until Close.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" && cfg.DB == "" {
		return nil, errors.New("server: a data dir or a database is required")
	}
	for _, p := range cfg.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return nil, fmt.Errorf("server: trusted proxy %q: want an address or a CIDR", p)
		}
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = time.Second
	}
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := st.WriterPriority(); err != nil {
		cfg.Logger.Info("the store's writer runs at the process's priority", "err", err)
	} else {
		cfg.Logger.Info("the store's writer runs at a raised priority", "nice", sqlstore.WriterNice)
	}
	masterKey, err := LoadMasterKey(cfg.MasterKeyFile)
	if err != nil {
		st.Close()
		return nil, err
	}
	if cfg.Payments == nil {
		cfg.Payments = payment.NewSimulator()
	}
	svc, err := sales.New(ctx, st, sales.Config{Payments: cfg.Payments, SystemCode: cfg.SystemCode, Now: cfg.Now, Logger: cfg.Logger, Passwords: cfg.Passwords,
		PasswordPolicy: cfg.PasswordPolicy, MasterKey: masterKey, SingleLoginRoles: cfg.SingleLoginRoles,
		IdleTimeout: time.Duration(cfg.IdleTimeoutMinutes) * time.Minute})
	if err != nil {
		st.Close()
		return nil, err
	}
	ln, scheme, err := listen(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	chans := map[messages.Channel]messages.ChannelConfig{}
	for _, c := range messages.Channels() { // a channel not configured is simulated
		chans[c] = messages.ChannelConfig{Provider: messages.NewSimulator(c)}
		if cc, ok := cfg.Messages[c]; ok {
			chans[c] = cc
		}
	}
	cfg.Messages = chans
	msgs := messages.New(st.Messages(), svc, cfg.Messages, cfg.Now, cfg.Logger)
	s := &Server{Svc: svc, Store: st, Messages: msgs, Presales: presale.New(st.Presales(), svc, cfg.Payments, cfg.Now, cfg.Logger), URL: scheme + "://" + ln.Addr().String(), ln: ln, log: cfg.Logger, drainDelay: time.Duration(cfg.DrainDelay)}
	s.Presales.Notify = presale.BySMS(msgs)
	s.Presales.ShopURL = strings.TrimSuffix(orDefault(cfg.PublicURL, s.URL), "/") + "/shop/"
	if cfg.Verifier == nil {
		cfg.Verifier = accounts.NewVerifierSim()
	}
	s.Accounts = accounts.New(st.Accounts(), svc, cfg.Verifier, accounts.CodeBySMS(msgs), cfg.Passwords, cfg.Now, cfg.Logger)
	s.WebShop = webshop.New(st.WebShop(), svc, s.Accounts, s.Presales, cfg.Now)
	s.WebShop.Inbox = msgs
	s.Agencies = agency.New(st.Agencies(), svc, cfg.Now)
	s.Passes = pass.New(st.Passes(), svc, cfg.Now)
	s.Contract = contract.New(st.Contract(), svc, cfg.Now)
	s.Inventory = inventory.New(st.Inventory(), svc, cfg.Now)
	s.Outlets = outlet.New(st.Outlets(), cfg.Now)
	s.Outlets.Forget = svc.ForgetLogins
	s.Settlement = settlement.New(st.Settlement(), settlement.Multi{s.Agencies, s.Outlets, s.Contract}, cfg.Now)
	if err := s.startSync(ctx, cfg); err != nil {
		ln.Close()
		st.Close()
		return nil, err
	}
	gin.SetMode(gin.ReleaseMode)
	public := func() (string, string) {
		return orDefault(cfg.PublicMQTTURL, s.MQTTURL), orDefault(cfg.PublicURL, s.URL)
	}
	s.Reports = st.Reports()
	s.reporting = report.NewService(s.Reports, cfg.Platform.URL != "", cfg.Now)
	svc.SetReportingSource(s.reporting)
	m := newMetrics(st, s.Reports, cfg.Now, cfg.Logger)
	if s.Syncer != nil {
		m.observeSync(&s.Syncer.Stats)
	}
	var limits *limit.Limiter
	if cfg.RateLimits.Enabled() {
		limits = limit.New(cfg.RateLimits, nil)
	}
	a := api.New(svc, api.Options{Logger: cfg.Logger, Version: cfg.Version, Endpoints: public, BrokerCA: s.brokerCA, Reporting: s.reporting,
		Ops: ops.New(svc, st, cfg.Now), Presales: s.Presales, Messages: msgs, Storefront: storefront.New(svc, time.Second, cfg.Now), Accounts: s.Accounts, WebShop: s.WebShop, Agencies: s.Agencies, Settlement: s.Settlement, Passes: s.Passes, Contract: s.Contract, Inventory: s.Inventory, Outlets: s.Outlets, Observer: m, Limits: limits, TrustedProxies: cfg.TrustedProxies})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler())
	mux.HandleFunc("GET /health/live", s.live)
	mux.HandleFunc("GET /health/ready", s.ready)
	mux.Handle("/api/", a.Handler())
	mux.Handle("/ui-common/", http.StripPrefix("/ui-common", webui.Handler()))
	mux.Handle("/shop", shop.Handler())
	mux.Handle("/shop/", shop.Handler())
	mux.Handle("/", portal.Handler())
	s.http = &http.Server{Handler: securityHeaders(reqid.Middleware(mux), scheme == "https"), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second}
	s.http.RegisterOnShutdown(a.CloseStreams)
	bg, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.startReporter(cfg); err != nil {
		s.Syncer.Close()
		if s.Broker != nil {
			s.Broker.Close()
		}
		ln.Close()
		st.Close()
		cancel()
		return nil, err
	}
	if s.Reporter != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.Reporter.Run(bg)
		}()
	}
	s.wg.Add(3)
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
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		msgs.Run(bg, cfg.SweepEvery)
	}()
	if every := time.Duration(cfg.Retention.Every); every >= 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.prune(bg, cfg.Retention, cfg.Now)
		}()
	}
	go func() {
		defer s.wg.Done()
		// Other cloud processes on the same store: their sales reach this
		// process's seat maps within this interval.
		svc.FollowSeatChanges(bg, seatLogPoll)
	}()
	s.log.Info("cloud listening", "url", s.URL, "mqtt", s.MQTTURL, "data_dir", cfg.DataDir)
	return s, nil
}

// Store is the cloud's store: the sales contract and what running it
// takes (health, pruning, the reporter's queue, tools' direct reads).
type Store interface {
	sales.Store
	Ping(ctx context.Context) error
	Prune(ctx context.Context, p sqlstore.Retention, now time.Time) (sqlstore.Pruned, error)
	Reports() report.Store
	Presales() presale.Store
	Messages() messages.Store
	Accounts() accounts.Store
	WebShop() webshop.Store
	Agencies() agency.Store
	Settlement() settlement.Store
	Passes() pass.Store
	Contract() contract.Store
	Inventory() inventory.Store
	Outlets() outlet.Store
	DB() *sql.DB
	ObserveCommits(fn func(jobs, failed int, d time.Duration))
	WriterPriority() error
	WriterTimes() (run, wait time.Duration, err error)
}

// OpenStore opens the configured store: PostgreSQL when a database is
// named, else SQLite in the data dir.
func OpenStore(ctx context.Context, cfg Config) (Store, error) {
	if cfg.DB == "" {
		st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "admit.db"), sqlite.Options{Synchronous: cfg.Synchronous})
		if err != nil {
			return nil, err
		}
		return st, nil
	}
	if !strings.HasPrefix(cfg.DB, "postgres://") && !strings.HasPrefix(cfg.DB, "postgresql://") {
		return nil, fmt.Errorf("server: db %q: want a postgres:// URL", cfg.DB)
	}
	st, err := postgres.Open(ctx, cfg.DB, postgres.Options{})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// listen opens the HTTP listener: TLS when a certificate is configured.
func listen(cfg Config) (net.Listener, string, error) {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, "", errors.New("server: tls_cert and tls_key go together")
	}
	var tlsCfg *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, "", fmt.Errorf("server: TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"h2", "http/1.1"}}
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, "", fmt.Errorf("server: listen %s: %w", cfg.Listen, err)
	}
	if tlsCfg == nil {
		return ln, "http", nil
	}
	return tls.NewListener(ln, tlsCfg), "https", nil
}

// securityHeaders sets what every answer carries: no content sniffing, no
// referrer, and, over HTTPS, Strict-Transport-Security (a year). Pages
// add their Content-Security-Policy (internal/webui).
func securityHeaders(next http.Handler, https bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// startSync starts the embedded broker (unless an external one is named)
// and the sync endpoint on it, and wires device revocation to both.
func (s *Server) startSync(ctx context.Context, cfg Config) error {
	user, pass := cfg.MQTTUser, cfg.MQTTPassword
	group, err := s.Svc.InstallationSecret(ctx, "mqtt-share-group")
	if err != nil {
		return err
	}
	group = "admit-" + group[:12]
	if cfg.MQTTURL == "" {
		secret, err := s.Svc.InstallationSecret(ctx, "mqtt-cloud")
		if err != nil {
			return err
		}
		user, pass, group = "admit-cloud", secret, ""
		listen := orDefault(cfg.MQTTListen, "127.0.0.1:0")
		var tlsCfg *tls.Config
		if cfg.MQTTTLSCert != "" || cfg.MQTTTLSKey != "" {
			cert, err := tls.LoadX509KeyPair(cfg.MQTTTLSCert, cfg.MQTTTLSKey)
			if err != nil {
				return fmt.Errorf("server: MQTT TLS certificate: %w", err)
			}
			tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		b, err := broker.Start(broker.Config{Listen: listen, TLS: tlsCfg, CloudUser: user, CloudSecret: []byte(pass), Devices: s.Svc, Logger: cfg.Logger})
		if err != nil {
			return err
		}
		s.Broker, s.MQTTURL = b, b.URL()
	} else {
		s.MQTTURL = cfg.MQTTURL
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	var clientTLS *tls.Config
	if s.Broker != nil && cfg.MQTTTLSCert != "" {
		// The cloud reaches its own broker on loopback: it trusts the
		// certificate it serves rather than a CA.
		pem, err := os.ReadFile(cfg.MQTTTLSCert)
		if err != nil {
			return err
		}
		s.brokerCA = pem
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		clientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	sy, err := syncer.Start(ctx, syncer.Config{BrokerURL: s.MQTTURL, ClientID: fmt.Sprintf("admit-cloud-%x", id), Username: user, Password: []byte(pass), TLS: clientTLS,
		Key: s.Svc.SyncKey(), Feed: syncAdapter{s.Svc}, Devices: syncAdapter{s.Svc}, ShareGroup: group, Logger: cfg.Logger})
	if err != nil {
		if s.Broker != nil {
			s.Broker.Close()
		}
		return fmt.Errorf("server: sync over %s: %w", s.MQTTURL, err)
	}
	s.Syncer = sy
	s.Svc.SubscribeFeed(func(int64) { sy.Kick() })
	s.Svc.SubscribeDeviceRevoked(func(id string) {
		sy.Forget(id)
		if s.Broker != nil {
			s.Broker.Disconnect(id)
		}
		// An external broker keeps its own credentials: tell the device.
		go func() {
			if err := sy.Command(id, "revoked"); err != nil {
				s.log.Warn("tell device it is revoked", "device", id, "err", err)
			}
		}()
	})
	return nil
}

// live answers while the process serves: a load balancer or supervisor
// restarts a cloud that stops answering.
func (s *Server) live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"live"}` + "\n"))
}

// readiness is what /health/ready says.
type readiness struct {
	Ready    bool   `json:"ready"`
	Store    string `json:"store"`  // "ok" or the problem
	Broker   string `json:"broker"` // "ok" or "disconnected"
	Draining bool   `json:"draining"`
}

// ready says whether this cloud should be sent requests: its store
// answers, its broker session is up, and it is not draining.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	rd := readiness{Store: "ok", Broker: "ok", Draining: s.draining.Load()}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		rd.Store = err.Error()
	}
	if !s.Syncer.Connected() {
		rd.Broker = "disconnected"
	}
	rd.Ready = rd.Store == "ok" && rd.Broker == "ok" && !rd.Draining
	code := http.StatusOK
	if !rd.Ready {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(rd)
}

// Reporting is what people see and do of the reporting to the national
// data platform.
func (s *Server) Reporting() *report.Service { return s.reporting }

// startReporter prepares the national data platform reporter when one is
// configured.
func (s *Server) startReporter(cfg Config) error {
	pc := cfg.Platform
	if pc.URL == "" {
		return nil
	}
	read := func(name, path string) ([]byte, error) {
		if path == "" {
			return nil, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("server: platform %s: %w", name, err)
		}
		// A key file sealed with the master key (admit-cloud secrets
		// seal-file) opens only with it.
		if b, err = OpenFile(b, cfg.MasterKeyFile); err != nil {
			return nil, fmt.Errorf("server: platform %s %s: %w", name, path, err)
		}
		return b, nil
	}
	cert, err := read("cert", pc.Cert)
	if err != nil {
		return err
	}
	key, err := read("key", pc.Key)
	if err != nil {
		return err
	}
	sm2Key, err := read("sm2_key", pc.SM2Key)
	if err != nil {
		return err
	}
	ca, err := read("ca", pc.CA)
	if err != nil {
		return err
	}
	signer, err := platform.Signer(pc.SignAlg, key, sm2Key)
	if err != nil {
		return err
	}
	client, err := platform.New(platform.Config{URL: pc.URL, System: orDefault(pc.System, cfg.SystemCode), CertPEM: cert, KeyPEM: key,
		CAPEM: ca, Signer: signer, Policy: pc.Policy, Now: cfg.Now})
	if err != nil {
		return err
	}
	rc := report.Config{Poll: pc.Poll, Now: cfg.Now, Logger: cfg.Logger.With("component", "reporter")}
	if pc.Report != nil {
		rc = *pc.Report
		rc.Logger = cfg.Logger.With("component", "reporter")
		if rc.Now == nil {
			rc.Now = cfg.Now
		}
	}
	if rc.LeaseTTL == 0 {
		rc.LeaseTTL = time.Duration(pc.LeaseTTL)
	}
	s.reporting.SetFilmSource(client)
	s.reporting.SetHoldings(client)
	facts := &reportFacts{svc: s.Svc}
	s.reporting.SetFacts(facts)
	s.Reporter = report.New(s.Reports, facts, client, rc)
	if pc.QueryListen != "" {
		reg := report.NewRegulator(facts, s.Reports, orDefault(pc.System, cfg.SystemCode), orDefault(cfg.Version, "dev"), cfg.Now)
		if s.Queries, err = platform.ServeQueries(pc.QueryListen, cert, key, ca, reg, s.reporting, cfg.Logger.With("component", "platform-queries")); err != nil {
			return err
		}
		s.log.Info("serving the platform's queries", "addr", s.Queries.Addr())
	}
	s.Svc.SubscribeFeed(func(int64) { s.Reporter.Kick() })
	s.log.Info("reporting to the national data platform", "url", pc.URL, "system", orDefault(pc.System, cfg.SystemCode), "alg", signer.Alg())
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// prune removes the working rows past the retention horizon, now and
// then every Every.
func (s *Server) prune(ctx context.Context, rc RetentionConfig, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	p := sqlstore.Retention{Horizon: time.Duration(rc.Horizon), FeedKeep: feedKeep}
	if p.Horizon <= 0 {
		p.Horizon = defaultHorizon
	}
	every := time.Duration(rc.Every)
	if every <= 0 {
		every = defaultPruneEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.Store.Prune(ctx, p, now())
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("prune", "err", err)
		case n != (sqlstore.Pruned{}):
			s.log.Info("pruned rows past the retention horizon", "feed", n.Feed, "facts", n.Facts, "outbox", n.Outbox, "reports", n.Reports)
		}
	}
}

// sweep releases expired holds so availability and quotas stay tidy (the
// hold logic never depends on it: expired holds are overtaken anyway),
// tells and settles drawn presales, and once a minute queues the shop's
// entry reminders.
func (s *Server) sweep(ctx context.Context, every time.Duration) {
	var reminded, alerted time.Time // entry reminders are looked for once a minute; sale alerts, seats after presale choice windows and card refunds every ten seconds
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
			if err := s.Presales.SettleAll(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("settle presales", "err", err)
			}
			if time.Since(alerted) >= 10*time.Second { // a sale's opening is told within seconds
				alerted = time.Now()
				if err := s.Presales.AssignDue(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("assign presale seats after the choice window", "err", err)
				}
				if n, err := s.Svc.PayBackRefunds(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("refunds to cards", "err", err)
				} else if n > 0 {
					s.log.Info("refunds paid back to cards", "count", n)
				}
				if n, err := s.WebShop.SaleAlerts(ctx, s.Messages, s.Presales.ShopURL); err != nil && ctx.Err() == nil {
					s.log.Warn("sale alerts", "err", err)
				} else if n > 0 {
					s.log.Info("sale alerts queued", "count", n)
				}
			}
			if time.Since(reminded) >= time.Minute {
				reminded = time.Now()
				if n, err := s.WebShop.Remind(ctx, s.Messages); err != nil && ctx.Err() == nil {
					s.log.Warn("entry reminders", "err", err)
				} else if n > 0 {
					s.log.Info("entry reminders queued", "count", n)
				}
				if n, err := s.Settlement.Scheduled(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("scheduled settlement runs", "err", err)
				} else if n > 0 {
					s.log.Info("scheduled settlement runs made", "count", n)
				}
				if n, err := s.Inventory.TakeExports(ctx); err != nil && ctx.Err() == nil {
					s.log.Warn("inventory exports", "err", err)
				} else if n > 0 {
					s.log.Info("inventory exports taken", "count", n)
				}
			}
		}
	}
}

// drainTimeout bounds how long Close waits for requests in flight. It is
// longer than the 5 s net/http gives a connection that has sent nothing yet
// before counting it idle, so such a connection (a browser's preconnect, a
// load generator's spare) delays a drain but never fails it.
const drainTimeout = 10 * time.Second

// Close drains and stops serving: no new requests, live streams ended,
// requests in flight finished (or cut after drainTimeout), then the
// background work, the broker session and the store are closed.
// A second Close returns the first one's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Server) close() error {
	s.draining.Store(true)
	if s.drainDelay > 0 {
		s.log.Info("draining: not ready; closing after the load balancer notices", "delay", s.drainDelay)
		time.Sleep(s.drainDelay) // the load balancer's health checks see 503 meanwhile
	}
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.log.Warn("requests still in flight after the drain timeout; closing them", "err", err)
		err = errors.Join(fmt.Errorf("server: drain: %w", err), s.http.Close())
	}
	s.cancel()
	s.wg.Wait()
	s.Syncer.Close()
	if s.Queries != nil {
		err = errors.Join(err, s.Queries.Close())
	}
	if s.Broker != nil {
		err = errors.Join(err, s.Broker.Close())
	}
	return errors.Join(err, s.Store.Close())
}
