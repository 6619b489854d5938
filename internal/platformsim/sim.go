// Package platformsim is a faithful stand-in for the national film data
// platform (国家数据平台), the one boundary Admit cannot reach: an HTTPS
// server with its own certificate authority that registers ticketing
// systems (issuing their reporting certificate and keys), cinemas and
// films, serves the downloads of §9.2.1–9.2.2 and receives every report
// of §9.2.3–9.2.8. It checks each message's client certificate, signature
// and fields, answers success or a failure with its reason, stores each
// message once by its serial and records when it arrived, and shows what
// it received. Faults on demand let tests and benches prove a reporter.
//
// cmd/platform-sim runs it in its own process.
package platformsim

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
)

// Config configures a simulator.
type Config struct {
	Listen     string // host:port; port 0 picks one
	AdminToken string // bearer token of the admin API; required
	Hosts      []string
	Faults     Faults // from the start
	// DataDir keeps the platform's registrations and messages across
	// restarts ("": in memory only).
	DataDir string
	Now     func() time.Time
	Logger  *slog.Logger
}

// Sim is a running platform.
type Sim struct {
	cfg Config
	now func() time.Time
	log *slog.Logger
	ca  *authority
	// journal is where stored messages and reviews are appended (nil
	// without a DataDir).
	journal *os.File
	srv     tls.Certificate
	// id is the platform's own certificate and key: it calls systems with them.
	id     tls.Certificate
	idKey  *rsa.PrivateKey
	caPool *x509.CertPool
	serial atomic.Int64
	http   *http.Server
	ln     net.Listener
	url    string

	mu       sync.Mutex
	faults   Faults
	systems  map[string]*system
	cinemas  map[string]*cinema
	films    []wire.Film
	received map[string]*Record // by system + "/" + serial
	order    []*Record          // in arrival order
	changed  chan struct{}      // closed and replaced when a record is stored or received again
}

type system struct {
	Code     string    `json:"system_code"`
	Version  string    `json:"software_version"`
	Address  string    `json:"address"`
	Callback string    `json:"callback_url,omitempty"`
	At       time.Time `json:"registered_at"`
	cert     *x509.Certificate
	keys     wire.Keys
}

type cinema struct {
	wire.Cinema
	System string `json:"system_code"`
}

// Record is one message the platform stored.
type Record struct {
	System       string          `json:"system_code"`
	Serial       string          `json:"serial"`
	Interface    wire.Interface  `json:"interface"`
	Cinema       string          `json:"cinema_code,omitempty"`
	BusinessDate string          `json:"business_date,omitempty"`
	SentAt       time.Time       `json:"sent_at"`
	ArrivedAt    time.Time       `json:"arrived_at"`
	Alg          string          `json:"sign_alg"`
	Duplicates   int             `json:"duplicates"` // copies received after the first
	Body         json.RawMessage `json:"body"`
	// A 补登 application's review: approved or rejected (empty: waiting),
	// once the system took it.
	Review       string     `json:"review,omitempty"`
	ReviewReason string     `json:"review_reason,omitempty"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
	body         wire.Body
}

// Start listens and serves HTTPS until Close.
func Start(cfg Config) (*Sim, error) {
	if cfg.AdminToken == "" {
		return nil, errors.New("platformsim: an admin token is required")
	}
	if err := cfg.Faults.validate(); err != nil {
		return nil, fmt.Errorf("platformsim: faults: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if len(cfg.Hosts) == 0 {
		cfg.Hosts = []string{"127.0.0.1", "localhost"}
	}
	s := &Sim{cfg: cfg, now: cfg.Now, log: cfg.Logger, faults: cfg.Faults,
		systems: map[string]*system{}, cinemas: map[string]*cinema{}, received: map[string]*Record{}, changed: make(chan struct{})}
	if err := s.open(); err != nil {
		return nil, err
	}
	srvCert, err := s.ca.serverCert(s.now(), cfg.Hosts...)
	if err != nil {
		return nil, err
	}
	s.srv = srvCert
	if s.id, s.idKey, err = s.ca.identity(s.now()); err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.ca.cert)
	s.caPool = pool
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("platformsim: listen %s: %w", cfg.Listen, err)
	}
	s.ln = ln
	host := ln.Addr().String()
	s.url = "https://" + host
	tc := &tls.Config{Certificates: []tls.Certificate{srvCert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	s.http = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)}
	go func() {
		if err := s.http.Serve(tls.NewListener(downListener{ln, s}, tc)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("platform stopped serving", "err", err)
		}
	}()
	s.log.Info("platform simulator listening", "url", s.url)
	return s, nil
}

// URL is the platform's base address.
func (s *Sim) URL() string { return s.url }

// CAPEM is the platform's certificate authority, which a system trusts.
func (s *Sim) CAPEM() []byte { return s.ca.pem }

// ServerCertDER is the platform's own HTTPS certificate (DER), for a
// client that pins it rather than trusting the CA.
func (s *Sim) ServerCertDER() []byte { return s.srv.Certificate[0] }

// Close stops serving.
func (s *Sim) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if err != nil {
		err = s.http.Close()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.journal != nil {
		err = errors.Join(err, s.journal.Sync(), s.journal.Close())
		s.journal = nil
	}
	return err
}

func (s *Sim) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/systems", s.admin(s.registerSystem))
	mux.HandleFunc("POST /admin/cinemas", s.admin(s.registerCinema))
	mux.HandleFunc("POST /admin/films", s.admin(s.registerFilm))
	mux.HandleFunc("GET /admin/faults", s.admin(s.getFaults))
	mux.HandleFunc("POST /admin/faults", s.admin(s.setFaults))
	mux.HandleFunc("GET /admin/records", s.admin(s.listRecords))
	mux.HandleFunc("GET /admin/received", s.admin(s.summaryJSON))
	mux.HandleFunc("POST /admin/query", s.admin(s.queryAPI))
	mux.HandleFunc("GET /admin/applications", s.admin(s.listApplications))
	mux.HandleFunc("POST /admin/forget", s.admin(s.forgetAPI))
	mux.HandleFunc("POST /admin/reviews", s.admin(s.reviewAPI))
	mux.HandleFunc("POST /review", s.reviewForm)
	mux.HandleFunc("GET /{$}", s.summaryPage)
	for _, i := range append([]wire.Interface{wire.FilmDownload, wire.CinemaDownload, wire.ReceivedDownload}, wire.Reports...) {
		mux.HandleFunc("POST "+i.Path(), s.receive(i))
	}
	return mux
}

// admin guards the operator's API with the admin token.
func (s *Sim) admin(h func(r *http.Request) (any, int, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.AdminToken)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "the admin API needs the admin token"})
			return
		}
		v, code, err := h(r)
		if err != nil {
			writeJSON(w, code, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, code, v)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func decodeStrict(r *http.Request, v any) error {
	d := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("bad request body: %w", err)
	}
	if d.More() {
		return errors.New("bad request body: data after the object")
	}
	return nil
}

// SystemRequest registers a ticketing system (§8.2.2: its code, software
// version, and the address the platform reaches it at).
type SystemRequest struct {
	Code     string `json:"system_code"`
	Version  string `json:"software_version"`
	Address  string `json:"address"`
	Callback string `json:"callback_url,omitempty"`
}

func (s *Sim) registerSystem(r *http.Request) (any, int, error) {
	var in SystemRequest
	if err := decodeStrict(r, &in); err != nil {
		return nil, http.StatusBadRequest, err
	}
	is, err := s.RegisterSystem(in)
	if err != nil {
		return nil, statusOf(err), err
	}
	return is, http.StatusCreated, nil
}

// Errors of a registration.
var (
	errBadRequest = errors.New("bad request")
	errConflict   = errors.New("conflict")
	errNotFound   = errors.New("not found")
)

func statusOf(err error) int {
	switch {
	case errors.Is(err, errConflict):
		return http.StatusConflict
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, errNotFound):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

// RegisterSystem registers a ticketing system and issues its reporting
// certificate and keys.
func (s *Sim) RegisterSystem(in SystemRequest) (Issued, error) {
	if in.Code == "" || len(in.Code) > 32 || strings.ContainsAny(in.Code, " /\t\n") || in.Version == "" || in.Address == "" {
		return Issued{}, fmt.Errorf("%w: system_code (1 to 32 characters, no spaces), software_version and address are required", errBadRequest)
	}
	host := ""
	if u, err := url.Parse(in.Address); err == nil {
		host = u.Hostname()
	}
	is, cert, rk, sk, err := s.ca.issue(s.now(), in.Code, host)
	if err != nil {
		return Issued{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.systems[in.Code]; ok {
		return Issued{}, fmt.Errorf("%w: system %s is registered already", errConflict, in.Code)
	}
	s.systems[in.Code] = &system{Code: in.Code, Version: in.Version, Address: in.Address, Callback: in.Callback, At: s.now(),
		cert: cert, keys: wire.Keys{RSA: rk, SM2: sk}}
	if err := s.saveState(); err != nil {
		delete(s.systems, in.Code)
		return Issued{}, err
	}
	s.log.Info("system registered", "system", in.Code, "version", in.Version)
	return is, nil
}

// Registered says whether a system is registered.
func (s *Sim) Registered(system string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.systems[system] != nil
}

// SetAddress changes where a registered system answers the platform's
// queries and reviews (a system that moved keeps its certificate).
func (s *Sim) SetAddress(system, address string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sys := s.systems[system]
	if sys == nil {
		return fmt.Errorf("%w: system %q is not registered", errNotFound, system)
	}
	sys.Address = address
	return s.saveState()
}

// CinemaRequest registers a cinema to a system.
type CinemaRequest struct {
	wire.Cinema
	System string `json:"system_code"`
}

func (s *Sim) registerCinema(r *http.Request) (any, int, error) {
	var in CinemaRequest
	if err := decodeStrict(r, &in); err != nil {
		return nil, http.StatusBadRequest, err
	}
	c, err := s.RegisterCinema(in)
	if err != nil {
		return nil, statusOf(err), err
	}
	return c, http.StatusCreated, nil
}

// RegisterCinema registers a cinema to a registered system.
func (s *Sim) RegisterCinema(in CinemaRequest) (wire.Cinema, error) {
	switch {
	case !wire.ValidCinemaCode(in.Code):
		return wire.Cinema{}, fmt.Errorf("%w: code: an 8-digit cinema code", errBadRequest)
	case in.Name == "" || in.Company == "" || in.Circuit == "":
		return wire.Cinema{}, fmt.Errorf("%w: name, company and circuit are required", errBadRequest)
	case in.Halls < 1:
		return wire.Cinema{}, fmt.Errorf("%w: halls: at least one", errBadRequest)
	case wire.StatusReport{Cinema: in.Code, Status: in.Status, Effective: "2000-01-01"}.Validate() != nil:
		return wire.Cinema{}, fmt.Errorf("%w: status: trial, open or closed", errBadRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sys, ok := s.systems[in.System]
	if !ok {
		return wire.Cinema{}, fmt.Errorf("%w: system %q is not registered", errBadRequest, in.System)
	}
	if c, ok := s.cinemas[in.Code]; ok && c.System != in.System {
		return wire.Cinema{}, fmt.Errorf("%w: cinema %s belongs to system %s", errConflict, in.Code, c.System)
	}
	c := &cinema{Cinema: in.Cinema, System: in.System}
	c.Vendor, c.SoftwareVersion = sys.Code, sys.Version
	s.cinemas[in.Code] = c
	return c.Cinema, s.saveState()
}

func (s *Sim) registerFilm(r *http.Request) (any, int, error) {
	var f wire.Film
	if err := decodeStrict(r, &f); err != nil {
		return nil, http.StatusBadRequest, err
	}
	created, err := s.RegisterFilm(f)
	if err != nil {
		return nil, statusOf(err), err
	}
	if created {
		return f, http.StatusCreated, nil
	}
	return f, http.StatusOK, nil
}

// RegisterFilm adds a film, or replaces the one with its code.
func (s *Sim) RegisterFilm(f wire.Film) (created bool, err error) {
	if !wire.ValidFilmCode(f.Code) {
		return false, fmt.Errorf("%w: code: a 12-character film code", errBadRequest)
	}
	if _, err := time.Parse("2006-01-02", f.ReleaseDate); err != nil || f.Name == "" || f.DurationMin <= 0 {
		return false, fmt.Errorf("%w: name, duration_min and release_date (YYYY-MM-DD) are required", errBadRequest)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, x := range s.films {
		if x.Code == f.Code {
			s.films[i] = f
			return false, s.saveState()
		}
	}
	s.films = append(s.films, f)
	return true, s.saveState()
}

func (s *Sim) getFaults(*http.Request) (any, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults, http.StatusOK, nil
}

func (s *Sim) setFaults(r *http.Request) (any, int, error) {
	var f Faults
	if err := decodeStrict(r, &f); err != nil {
		return nil, http.StatusBadRequest, err
	}
	if err := f.validate(); err != nil {
		return nil, http.StatusBadRequest, err
	}
	s.SetFaults(f)
	return f, http.StatusOK, nil
}

// SetFaults changes how the platform misbehaves from the next message on.
func (s *Sim) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
	s.log.Info("faults set", "faults", f)
}

func (s *Sim) listRecords(r *http.Request) (any, int, error) {
	sys := r.URL.Query().Get("system")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []Record{}
	for _, rec := range s.order {
		if sys == "" || rec.System == sys {
			out = append(out, *rec)
		}
	}
	return out, http.StatusOK, nil
}

// WaitRecords waits until ok holds for the stored messages (in arrival
// order), or ctx ends; it returns the last it saw.
func (s *Sim) WaitRecords(ctx context.Context, ok func([]Record) bool) ([]Record, error) {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		recs := s.Records()
		if ok(recs) {
			return recs, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return recs, ctx.Err()
		}
	}
}

// Since waits until more than n messages are stored (or ctx ends) and
// returns copies of those after the first n, in arrival order, and how
// many are stored: a watcher that keeps count reads each message once,
// however many arrive. (Forget shifts the positions of later messages.)
func (s *Sim) Since(ctx context.Context, n int) ([]Record, int, error) {
	for {
		s.mu.Lock()
		ch, total := s.changed, len(s.order)
		var out []Record
		if total > n {
			out = make([]Record, 0, total-n)
			for _, r := range s.order[n:] {
				out = append(out, *r)
			}
		}
		s.mu.Unlock()
		if out != nil {
			return out, total, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, total, ctx.Err()
		}
	}
}

// Records returns copies of the stored messages, in arrival order.
func (s *Sim) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Record, len(s.order))
	for i, r := range s.order {
		out[i] = *r
	}
	return out
}

// receive serves one interface: the client certificate names the system,
// the envelope must be that system's and verify with its keys, the body
// must be valid and about one of its cinemas; a report is stored once by
// its serial.
func (s *Sim) receive(i wire.Interface) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.down() { // a connection opened before the platform went down
			resetConn(w)
			return
		}
		f := s.takeFaults()
		if f.DelaySeconds > 0 {
			select {
			case <-time.After(time.Duration(f.DelaySeconds * float64(time.Second))):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case f.Reset:
			resetConn(w)
			return
		case f.Status != 0:
			writeJSON(w, f.Status, map[string]string{"error": "fault injected"})
			return
		}
		a := s.handle(r, i, f.RefuseSignature)
		if f.LoseAnswer {
			resetConn(w)
			return
		}
		code := http.StatusOK
		if !a.OK {
			code = http.StatusBadRequest
		}
		writeJSON(w, code, a)
	}
}

func (s *Sim) handle(r *http.Request, i wire.Interface, refuseSignature bool) wire.Answer {
	arrived := s.now()
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, wire.MaxMessage))
	if err != nil {
		return wire.Failed("", wire.CodeMalformed, "the message could not be read: "+err.Error())
	}
	e, err := wire.Open(b)
	if err != nil {
		return wire.Failed("", wire.CodeMalformed, err.Error())
	}
	if e.Interface != i {
		return wire.Failed(e.Serial, wire.CodeMalformed, fmt.Sprintf("a %s message sent to %s", e.Interface, i.Path()))
	}
	s.mu.Lock()
	sys := s.systems[e.System]
	s.mu.Unlock()
	if sys == nil {
		return wire.Failed(e.Serial, wire.CodeUnknownSystem, "system "+e.System+" is not registered")
	}
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || !r.TLS.PeerCertificates[0].Equal(sys.cert) {
		return wire.Failed(e.Serial, wire.CodeUnknownSystem, "the client certificate is not the one issued to "+e.System)
	}
	if refuseSignature {
		return wire.Failed(e.Serial, wire.CodeSignature, "signature refused (fault injected)")
	}
	if err := e.Verify(sys.keys); err != nil {
		return wire.Failed(e.Serial, wire.CodeSignature, err.Error())
	}
	body, err := e.ReadBody()
	if err != nil {
		return wire.Failed(e.Serial, wire.CodeField, err.Error())
	}
	cinemaCode, date := about(body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if cinemaCode != "" {
		if c, ok := s.cinemas[cinemaCode]; !ok || c.System != e.System {
			return wire.Failed(e.Serial, wire.CodeUnknownCinema, "cinema "+cinemaCode+" is not registered to system "+e.System)
		}
	}
	switch q := body.(type) {
	case *wire.FilmQuery:
		return s.answerData(e.Serial, s.filmsFor(*q))
	case *wire.CinemaQuery:
		return s.answerData(e.Serial, s.cinemasOf(e.System, q.Code))
	case *wire.ReceivedQuery:
		return s.answerData(e.Serial, s.receivedOf(e.System, *q))
	}
	key := e.System + "/" + e.Serial
	if rec, ok := s.received[key]; ok {
		rec.Duplicates++
		s.appendLog(logLine{Duplicate: key})
		s.bump()
		return wire.Received(e.Serial, true)
	}
	if st, ok := body.(*wire.StatusReport); ok {
		s.cinemas[st.Cinema].Status = st.Status
	}
	rec := &Record{System: e.System, Serial: e.Serial, Interface: e.Interface, Cinema: cinemaCode, BusinessDate: date, SentAt: e.SentAt,
		ArrivedAt: arrived, Alg: e.Alg, Body: e.Body, body: body}
	s.received[key] = rec
	s.order = append(s.order, rec)
	s.appendLog(logLine{Record: rec})
	s.bump()
	return wire.Received(e.Serial, false)
}

func (s *Sim) answerData(serial string, v any) wire.Answer {
	a := wire.Received(serial, false)
	a.Data, _ = json.Marshal(v)
	return a
}

// about is the cinema and business day a body concerns.
func about(b wire.Body) (cinema, date string) {
	switch x := b.(type) {
	case *wire.StatusReport:
		return x.Cinema, x.Effective
	case *wire.HallReport:
		return x.Cinema, ""
	case *wire.PlanReport:
		return x.Cinema, x.BusinessDate
	case *wire.TicketRecord:
		return x.Cinema, x.BusinessDate
	case *wire.SessionStats:
		return x.Cinema, x.BusinessDate
	case *wire.MakeupApplication:
		return x.Cinema, x.BusinessDate
	case *wire.CinemaQuery:
		return x.Code, ""
	case *wire.ReceivedQuery:
		return x.Cinema, x.BusinessDate
	}
	return "", ""
}

// filmsFor lists the films released by the end of the period (and so
// possibly screening in it), by code.
func (s *Sim) filmsFor(q wire.FilmQuery) wire.Films {
	out := wire.Films{Films: []wire.Film{}}
	for _, f := range s.films {
		if f.ReleaseDate <= q.To {
			out.Films = append(out.Films, f)
		}
	}
	sort.Slice(out.Films, func(i, j int) bool { return out.Films[i].Code < out.Films[j].Code })
	out.Count = len(out.Films)
	return out
}

// receivedOf lists the raw ticket records a system's cinema's business day
// has at the platform, in arrival order (s.mu held).
func (s *Sim) receivedOf(system string, q wire.ReceivedQuery) wire.Holdings {
	out := wire.Holdings{Cinema: q.Cinema, BusinessDate: q.BusinessDate, Records: []wire.ReceivedRecord{}}
	for _, r := range s.order {
		if t, ok := r.body.(*wire.TicketRecord); ok && r.System == system && r.Cinema == q.Cinema && r.BusinessDate == q.BusinessDate {
			out.Records = append(out.Records, wire.ReceivedRecord{Serial: r.Serial, Ticket: t.Ticket, Operation: t.Operation, PriceCents: t.PriceCents})
		}
	}
	return out
}

func (s *Sim) cinemasOf(system, code string) wire.Cinemas {
	out := wire.Cinemas{Cinemas: []wire.Cinema{}}
	for _, c := range s.cinemas {
		if c.System == system && (code == "" || c.Code == code) {
			out.Cinemas = append(out.Cinemas, c.Cinema)
		}
	}
	sort.Slice(out.Cinemas, func(i, j int) bool { return out.Cinemas[i].Code < out.Cinemas[j].Code })
	out.Count = len(out.Cinemas)
	return out
}

// QueryRequest asks the platform to call a system's query interface.
type QueryRequest struct {
	System    string          `json:"system_code"`
	Interface wire.Interface  `json:"interface"`
	Query     wire.RangeQuery `json:"query"`
}

func (s *Sim) queryAPI(r *http.Request) (any, int, error) {
	var in QueryRequest
	if err := decodeStrict(r, &in); err != nil {
		return nil, http.StatusBadRequest, err
	}
	a, err := s.Query(r.Context(), in.System, in.Interface, in.Query)
	if err != nil {
		return nil, statusOf(err), err
	}
	return a, http.StatusOK, nil
}

// Query calls a system's query interface (§9.3) at the address it
// registered: mutual TLS with the platform's own certificate, the query
// signed with the platform's key. It returns the system's answer.
func (s *Sim) Query(ctx context.Context, system string, i wire.Interface, q wire.RangeQuery) (wire.Answer, error) {
	if !slices.Contains(wire.Queries, i) {
		return wire.Answer{}, fmt.Errorf("%w: %q is not a query", errBadRequest, i)
	}
	return s.call(ctx, system, i, q)
}

// call sends a system a message of the platform's, signed with its key,
// over mutual TLS with its certificate, and returns the system's answer.
func (s *Sim) call(ctx context.Context, system string, i wire.Interface, body any) (wire.Answer, error) {
	s.mu.Lock()
	sys := s.systems[system]
	s.mu.Unlock()
	if sys == nil {
		return wire.Answer{}, fmt.Errorf("%w: system %q is not registered", errBadRequest, system)
	}
	var err error
	key := s.idKey
	s.mu.Lock()
	forge := s.faults.ForgeQueries
	s.mu.Unlock()
	if forge {
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return wire.Answer{}, err
		}
	}
	e, err := wire.Seal(wire.RSASigner{Key: key}, wire.PlatformSystem, i, fmt.Sprintf("Q%d", s.serial.Add(1)), s.now(), body)
	if err != nil {
		return wire.Answer{}, err
	}
	b, _ := json.Marshal(e)
	c := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.caPool,
		Certificates: []tls.Certificate{s.id}, MinVersion: tls.VersionTLS12}}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, "POST", strings.TrimSuffix(sys.Address, "/")+i.SystemPath(), bytes.NewReader(b))
	if err != nil {
		return wire.Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return wire.Answer{}, fmt.Errorf("platformsim: %s of %s: %w", i, system, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return wire.Answer{}, err
	}
	a, err := wire.ReadAnswer(raw)
	if err != nil {
		return wire.Answer{}, fmt.Errorf("platformsim: %s of %s answered %s: %w", i, system, resp.Status, err)
	}
	return a, nil
}

// bump wakes whoever waits for a change (s.mu held).
func (s *Sim) bump() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// ForgetRequest names records the platform loses.
type ForgetRequest struct {
	System  string   `json:"system_code"`
	Serials []string `json:"serials"`
}

func (s *Sim) forgetAPI(r *http.Request) (any, int, error) {
	var in ForgetRequest
	if err := decodeStrict(r, &in); err != nil {
		return nil, http.StatusBadRequest, err
	}
	return map[string]int{"forgotten": s.Forget(in.System, in.Serials...)}, http.StatusOK, nil
}

// Forget loses stored records, as a platform whose storage failed would:
// the system finds out by reconciling and sends them again. It says how
// many it lost.
func (s *Sim) Forget(system string, serials ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, serial := range serials {
		if s.forget(system + "/" + serial) {
			s.appendLog(logLine{Forget: system + "/" + serial})
			n++
		}
	}
	if n > 0 {
		s.bump()
	}
	return n
}

// forget drops a stored message (s.mu held).
func (s *Sim) forget(key string) bool {
	rec := s.received[key]
	if rec == nil {
		return false
	}
	delete(s.received, key)
	s.order = slices.DeleteFunc(s.order, func(r *Record) bool { return r == rec })
	return true
}
