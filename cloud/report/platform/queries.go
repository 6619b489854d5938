package platform

import (
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// Answerer answers a regulator's query from what the cloud holds
// (report.Regulator).
type Answerer interface {
	Answer(ctx context.Context, i wire.Interface, q wire.RangeQuery) (any, error)
}

// Reviewer takes the platform's review of a 补登 application
// (report.Service); duplicate says the cloud had it already.
type Reviewer interface {
	Review(ctx context.Context, r wire.ReviewResult) (duplicate bool, err error)
}

// QueryServer serves the platform's queries (§9.3) on their own HTTPS
// listener, to the platform alone: a client must present a certificate
// of the platform's CA in the platform's own name, and sign its query with
// that certificate's key. Everyone else is refused; nothing is written.
type QueryServer struct {
	http *http.Server
	ln   net.Listener
	ans  Answerer
	rev  Reviewer
	log  *slog.Logger
}

// ServeQueries listens on listen with the system's issued certificate; it
// answers queries with ans and takes reviews with rev (nil: refused).
func ServeQueries(listen string, certPEM, keyPEM, caPEM []byte, ans Answerer, rev Reviewer, log *slog.Logger) (*QueryServer, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("platform queries: the issued certificate and key: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("platform queries: no certificate in the platform's CA")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("platform queries: listen %s: %w", listen, err)
	}
	q := &QueryServer{ln: ln, ans: ans, rev: rev, log: log}
	mux := http.NewServeMux()
	for _, i := range append(slices.Clone(wire.Queries), wire.Callbacks...) {
		mux.HandleFunc("POST "+i.SystemPath(), q.handle(i))
	}
	q.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	go func() {
		if err := q.http.Serve(tls.NewListener(ln, tc)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("platform queries stopped", "err", err)
		}
	}()
	return q, nil
}

// Addr is where it listens.
func (q *QueryServer) Addr() string { return q.ln.Addr().String() }

// Close stops serving.
func (q *QueryServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.http.Shutdown(ctx); err != nil {
		return q.http.Close()
	}
	return nil
}

func (q *QueryServer) handle(i wire.Interface) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a, status := q.answer(r, i)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(a)
	}
}

func (q *QueryServer) answer(r *http.Request, i wire.Interface) (wire.Answer, int) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != wire.PlatformSystem {
		q.log.Warn("a query not from the platform was refused", "remote", r.RemoteAddr)
		return wire.Failed("", wire.CodeUnknownSystem, "only the national data platform may query this system"), http.StatusForbidden
	}
	pub, ok := r.TLS.PeerCertificates[0].PublicKey.(*rsa.PublicKey)
	if !ok {
		return wire.Failed("", wire.CodeSignature, "the platform's certificate holds no RSA key"), http.StatusForbidden
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, wire.MaxMessage))
	if err != nil {
		return wire.Failed("", wire.CodeMalformed, "the query could not be read: "+err.Error()), http.StatusBadRequest
	}
	e, err := wire.Open(b)
	if err != nil {
		return wire.Failed("", wire.CodeMalformed, err.Error()), http.StatusBadRequest
	}
	if e.System != wire.PlatformSystem || e.Interface != i {
		return wire.Failed(e.Serial, wire.CodeMalformed, fmt.Sprintf("a %s message from %s sent to %s", e.Interface, e.System, i.SystemPath())), http.StatusBadRequest
	}
	if err := e.Verify(wire.Keys{RSA: pub}); err != nil {
		q.log.Warn("a query with a bad signature was refused", "serial", e.Serial)
		return wire.Failed(e.Serial, wire.CodeSignature, err.Error()), http.StatusForbidden
	}
	body, err := e.ReadBody()
	if err != nil {
		return wire.Failed(e.Serial, wire.CodeField, err.Error()), http.StatusBadRequest
	}
	if rr, ok := body.(*wire.ReviewResult); ok {
		return q.review(r.Context(), e.Serial, *rr)
	}
	v, err := q.ans.Answer(r.Context(), i, *wire.Query(body))
	if err != nil {
		var fe *wire.FieldError
		if errors.As(err, &fe) {
			return wire.Failed(e.Serial, wire.CodeUnknownCinema, err.Error()), http.StatusBadRequest
		}
		q.log.Error("answer a query", "interface", i, "err", err)
		return wire.Failed(e.Serial, wire.CodeUnavailable, "the system could not answer"), http.StatusInternalServerError
	}
	a := wire.Received(e.Serial, false)
	if a.Data, err = json.Marshal(v); err != nil {
		return wire.Failed(e.Serial, wire.CodeUnavailable, "the answer could not be encoded"), http.StatusInternalServerError
	}
	return a, http.StatusOK
}

// review hands the platform's review to the cloud.
func (q *QueryServer) review(ctx context.Context, serial string, rr wire.ReviewResult) (wire.Answer, int) {
	if q.rev == nil {
		return wire.Failed(serial, wire.CodeUnknownApplication, "this system takes no reviews"), http.StatusNotFound
	}
	dup, err := q.rev.Review(ctx, rr)
	switch {
	case err == nil:
		q.log.Info("the platform reviewed a 补登 application", "application", rr.Application, "approved", rr.Approved)
		return wire.Received(serial, dup), http.StatusOK
	case sales.IsKind(err, sales.KindNotFound):
		return wire.Failed(serial, wire.CodeUnknownApplication, err.Error()), http.StatusNotFound
	case sales.IsKind(err, sales.KindConflict):
		return wire.Failed(serial, wire.CodeDecided, err.Error()), http.StatusConflict
	}
	q.log.Error("take a review", "application", rr.Application, "err", err)
	return wire.Failed(serial, wire.CodeUnavailable, "the system could not take the review"), http.StatusInternalServerError
}
