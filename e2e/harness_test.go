// Package e2e tests the whole system across processes and brokers: the
// cloud, the embedded broker or an external Mosquitto, and edge agents.
package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/broker"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/enroll"
)

const pw = "correct-horse-battery"

// world is a cloud with one venue, one priced session tomorrow evening and
// a clerk and a manager.
type world struct {
	t       *testing.T
	mode    brokerMode
	srv     *server.Server
	svc     *sales.Service
	broker  *restartable // nil unless the test controls the broker
	admin   sales.Principal
	clerk   sales.Principal
	manager sales.Principal
	venue   sales.Venue
	session sales.Session
	seats   []sales.SessionSeat
	next    int // next unsold seat
	// gateNow is inside the session's admission window.
	gateNow time.Time
}

type brokerMode int

const (
	embedded    brokerMode = iota // the cloud's own
	standalone                    // a mochi broker the test can stop and restart
	mosquitto                     // the external broker in ADMIT_TEST_MQTT_URL
	embeddedTLS                   // the cloud's own, speaking TLS with a self-signed certificate
)

// restartable is a mochi broker on a fixed port that a test stops and
// starts again, standing in for a network outage.
type restartable struct {
	cfg broker.Config
	b   *broker.Broker
}

func (r *restartable) start(t *testing.T) {
	t.Helper()
	b, err := broker.Start(r.cfg)
	if err != nil {
		t.Fatalf("start broker: %v", err)
	}
	r.b = b
}

func (r *restartable) stop() {
	if r.b != nil {
		r.b.Close()
		r.b = nil
	}
}

// lateAuth lets the broker start before the service it asks exists.
type lateAuth struct{ svc atomic.Pointer[sales.Service] }

func (l *lateAuth) AuthenticateDevice(ctx context.Context, id string, secret []byte) (string, error) {
	s := l.svc.Load()
	if s == nil {
		return "", errors.New("cloud not up yet")
	}
	return s.AuthenticateDevice(ctx, id, secret)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newWorld(t *testing.T, mode brokerMode) *world {
	t.Helper()
	return newWorldWith(t, mode, nil)
}

// newWorldWith is newWorld with the cloud's configuration adjusted first.
func newWorldWith(t *testing.T, mode brokerMode, adjust func(*server.Config)) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, mode: mode}
	cfg := server.Config{DataDir: t.TempDir(), Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, Logger: testLogger("cloud")}
	late := &lateAuth{}
	switch mode {
	case standalone:
		secret := make([]byte, 24)
		rand.Read(secret)
		w.broker = &restartable{cfg: broker.Config{Listen: freeAddr(t), CloudUser: "admit-cloud", CloudSecret: secret, Devices: late}}
		w.broker.start(t)
		t.Cleanup(w.broker.stop)
		cfg.MQTTURL, cfg.MQTTUser, cfg.MQTTPassword = w.broker.b.URL(), "admit-cloud", string(secret)
	case embeddedTLS:
		cfg.MQTTTLSCert, cfg.MQTTTLSKey = selfSigned(t)
	case mosquitto:
		url := os.Getenv("ADMIT_TEST_MQTT_URL")
		if url == "" {
			t.Skip("ADMIT_TEST_MQTT_URL is not set: no external broker to test against")
		}
		cfg.MQTTURL = url
	}
	if adjust != nil {
		adjust(&cfg)
	}
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	late.svc.Store(srv.Svc)
	w.srv, w.svc = srv, srv.Svc

	u, err := w.svc.CreatePlatformAdmin(ctx, "root", pw)
	w.must(err)
	root := principal(u)
	tn, err := w.svc.CreateTenant(ctx, root, sales.NewTenant{Code: "acme", Name: "Acme"})
	w.must(err)
	u, err = w.svc.CreateUser(ctx, root, sales.NewUser{TenantID: tn.ID, Username: "acme-admin", Password: pw, Role: "tenant_admin"})
	w.must(err)
	w.admin = principal(u)
	w.venue, err = w.svc.CreateVenue(ctx, w.admin, sales.NewVenue{Code: "31000001", Name: "Arena", Timezone: "Asia/Shanghai"})
	w.must(err)
	u, err = w.svc.CreateUser(ctx, w.admin, sales.NewUser{Username: "clerk", Password: pw, Role: "clerk", VenueIDs: []int64{w.venue.ID}})
	w.must(err)
	w.clerk = principal(u)
	u, err = w.svc.CreateUser(ctx, w.admin, sales.NewUser{Username: "manager", Password: pw, Role: "venue_manager", VenueIDs: []int64{w.venue.ID}})
	w.must(err)
	w.manager = principal(u)
	m := seatmap.Grid("A", "Stalls", 10, 20)
	h, err := w.svc.CreateHall(ctx, w.admin, w.venue.ID, sales.NewHall{Code: "H1", Name: "Hall", Map: &m})
	w.must(err)
	ev, err := w.svc.CreateEvent(ctx, w.admin, sales.NewEvent{Name: "Match", Kind: "match"})
	w.must(err)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	tomorrow := time.Now().In(sh).AddDate(0, 0, 1)
	start := time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), 19, 30, 0, 0, sh)
	w.session, err = w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: h.ID, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 1000})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, w.session.ID, []sales.PriceTier{{Name: "Std", PriceCents: 5000}})
	w.must(err)
	w.seats, err = w.svc.SessionSeats(ctx, w.clerk, w.session.ID)
	w.must(err)
	w.gateNow = start.Add(-30 * time.Minute)
	return w
}

// testLogger logs to stderr when ADMIT_E2E_LOG is set (to see why a test
// waited), and nowhere otherwise.
func testLogger(who string) *slog.Logger {
	if os.Getenv("ADMIT_E2E_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("who", who)
}

func principal(u sales.User) sales.Principal {
	return sales.Principal{UserID: u.ID, Username: u.Username, TenantID: u.TenantID, Role: u.Role, VenueIDs: u.VenueIDs}
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// sell sells n seats in one order and returns it with its tickets.
func (w *world) sell(n int) sales.Order {
	w.t.Helper()
	ctx := context.Background()
	var ids []int64
	for i := 0; i < n; i++ {
		ids = append(ids, w.seats[w.next].SeatID)
		w.next++
	}
	h, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS, SeatIDs: ids})
	w.must(err)
	o, err := w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID})
	w.must(err)
	o, err = w.svc.PayOrder(ctx, w.clerk, o.ID, sales.PaymentRequest{Method: "cash"})
	w.must(err)
	return o
}

// refund refunds a whole order with a clerk's request and a manager's approval.
func (w *world) refund(o sales.Order) {
	w.t.Helper()
	ctx := context.Background()
	r, err := w.svc.RequestRefund(ctx, w.clerk, sales.RefundInput{OrderID: o.ID, Reason: "customer ill"})
	w.must(err)
	_, err = w.svc.DecideRefund(ctx, w.manager, r.ID, true, "ok")
	w.must(err)
}

// device registers and enrolls a device over the real API and returns
// its data dir.
func (w *world) device(role, name string) string {
	w.t.Helper()
	return w.deviceInZone(role, name, "")
}

// deviceInZone registers a device that stands in a gate zone.
func (w *world) deviceInZone(role, name, zone string) string {
	w.t.Helper()
	_, code, err := w.svc.RegisterDevice(context.Background(), w.admin, w.venue.ID, sales.NewDevice{Role: role, Name: name, Zone: zone})
	w.must(err)
	c, err := enroll.Enroll(context.Background(), w.srv.URL, code, nil)
	w.must(err)
	dir := filepath.Join(w.t.TempDir(), name)
	w.must(enroll.Save(dir, c))
	return dir
}

// agent starts an in-process agent on a device's data dir.
func (w *world) agent(dir string) *agent.Agent {
	w.t.Helper()
	a, err := agent.Start(context.Background(), agent.Config{DataDir: dir, Listen: "127.0.0.1:0", Now: func() time.Time { return w.gateNow },
		HeartbeatEvery: time.Hour, ResendAfter: time.Second, Logger: testLogger(filepath.Base(dir))})
	w.must(err)
	w.t.Cleanup(func() {
		a.Close()
		if w.mode == mosquitto {
			forgetSession(w.srv.MQTTURL, dir)
		}
	})
	return a
}

// forgetSession ends a device's persistent session on a shared broker, so
// test devices do not pile up queued messages on the machine's Mosquitto.
func forgetSession(broker, dir string) {
	c, err := enroll.Load(dir)
	if err != nil {
		return
	}
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(c.DeviceID).SetUsername(c.DeviceID).
		SetPassword(string(c.Secret)).SetCleanSession(true).SetAutoReconnect(false)
	cl := paho.NewClient(o)
	if tok := cl.Connect(); tok.WaitTimeout(5*time.Second) && tok.Error() == nil {
		cl.Disconnect(0)
	}
}

// head is the venue feed's newest number.
func (w *world) head() uint64 {
	w.t.Helper()
	h, err := w.svc.FeedHead(context.Background(), w.venue.ID)
	w.must(err)
	return h
}

func wait(t *testing.T, a *agent.Agent, what string, cond func(agent.Status) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.WaitUntil(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// caughtUp waits until the agent holds every feed event written so far.
func (w *world) caughtUp(a *agent.Agent) {
	w.t.Helper()
	h := w.head()
	wait(w.t, a, fmt.Sprintf("feed position %d", h), func(s agent.Status) bool { return s.Connected && s.FeedSeq >= h })
}

// uploaded waits until the agent's outbox is empty: the cloud has it all.
func uploaded(t *testing.T, a *agent.Agent) {
	t.Helper()
	wait(t, a, "an empty outbox", func(s agent.Status) bool { return s.Connected && s.OutboxDepth == 0 })
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "admit-broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "broker.pem"), filepath.Join(dir, "broker.key")
	w := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w(certFile, "CERTIFICATE", der)
	w(keyFile, "EC PRIVATE KEY", kder)
	return certFile, keyFile
}
