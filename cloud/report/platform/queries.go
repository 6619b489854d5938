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
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
)

// Answerer answers a regulator's query from what the cloud holds
// (report.Regulator).
type Answerer interface {
	Answer(ctx context.Context, i wire.Interface, q wire.RangeQuery) (any, error)
}

// QueryServer serves the platform's queries (§9.3) on their own HTTPS
// listener, to the platform alone: a client must present a certificate
// of the platform's CA in the platform's own name, and sign its query with
// that certificate's key. Everyone else is refused; nothing is written.
type QueryServer struct {
	http *http.Server
	ln   net.Listener
	ans  Answerer
	log  *slog.Logger
}

// ServeQueries listens on listen with the system's issued certificate.
func ServeQueries(listen string, certPEM, keyPEM, caPEM []byte, ans Answerer, log *slog.Logger) (*QueryServer, error) {
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
	q := &QueryServer{ln: ln, ans: ans, log: log}
	mux := http.NewServeMux()
	for _, i := range wire.Queries {
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
