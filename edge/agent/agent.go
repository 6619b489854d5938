// Package agent is the edge agent a POS, kiosk or gate runs: it keeps the
// venue's cache current from the signed feed (catching up after gaps,
// restarts and outages), uploads the device's durable facts until the
// cloud acknowledges them, and serves the device's local API on loopback.
// It never records a sale: a POS sells only through the cloud, online.
//
// It is pure Go (CGO_ENABLED=0) and imports no cloud package but the
// ticket format.
package agent

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/edge/enroll"
	"github.com/admitbox/admit/edge/hardware"
	"github.com/admitbox/admit/edge/kiosk"
	admitsync "github.com/admitbox/admit/sync"
)

// Config configures an agent.
type Config struct {
	DataDir string
	// Listen is the local API address; it must be loopback (default
	// 127.0.0.1:8481, port 0 picks one).
	Listen string
	// BrokerURL overrides the credential's broker (tests, relocations).
	BrokerURL      string
	Now            func() time.Time
	Logger         *slog.Logger
	HeartbeatEvery time.Duration // default 15 s
	// ResendAfter is how long uploaded facts wait for an ack before they
	// are sent again (default 5 s).
	ResendAfter time.Duration
	// SellTimeout bounds a POS sale's call to the cloud (default 2 s).
	SellTimeout time.Duration
	// UploadEvery batches new facts: a busy gate uploads (and, on the
	// ack, prunes its outbox) once per interval instead of once per scan,
	// so scans do not queue behind prune commits (default 200 ms).
	UploadEvery time.Duration
	// DevicesFile is the device config (hardware.Config); default
	// devices.json in the data dir. A missing file means no devices: the
	// agent is driven through its local API alone.
	DevicesFile string
}

// AddrFile, in the data dir, holds the running agent's local API address.
const AddrFile = "agent.addr"

// Agent is a running edge agent.
type Agent struct {
	cfg   Config
	cred  admitsync.Credential
	pub   ed25519.PublicKey
	cache *cache.Cache
	log   *slog.Logger
	now   func() time.Time

	mqtt      paho.Client
	connected atomic.Bool
	revoked   atomic.Bool
	dropped   atomic.Int64

	catchMu     sync.Mutex
	catchSentAt time.Time
	catchFrom   uint64

	upMu       sync.Mutex
	sentUpTo   uint64
	sentAt     time.Time
	kickUpload chan struct{}

	// progress is closed and replaced whenever the cache or the outbox
	// moves, so waiters wake without polling.
	progMu   sync.Mutex
	progress chan struct{}

	roles  *roles
	http   *http.Server
	ln     net.Listener
	url    string
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Start opens the cache, serves the local API and connects to the broker
// in the background: the device works from its cache whether or not the
// network is there.
func Start(ctx context.Context, cfg Config) (*Agent, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8481"
	}
	if cfg.HeartbeatEvery == 0 {
		cfg.HeartbeatEvery = 15 * time.Second
	}
	if cfg.ResendAfter == 0 {
		cfg.ResendAfter = 5 * time.Second
	}
	if cfg.SellTimeout == 0 {
		cfg.SellTimeout = 2 * time.Second
	}
	if cfg.UploadEvery == 0 {
		cfg.UploadEvery = 200 * time.Millisecond
	}
	cred, err := enroll.Load(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.BrokerURL != "" {
		cred.BrokerURL = cfg.BrokerURL
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return nil, fmt.Errorf("agent: the local API must listen on loopback, not %q", cfg.Listen)
	}
	devices, err := loadDevices(cfg, cred.Role)
	if err != nil {
		return nil, err
	}
	c, err := cache.Open(filepath.Join(cfg.DataDir, "cache.db"), cache.Options{DeviceID: cred.DeviceID, VenueCode: cred.VenueCode})
	if err != nil {
		return nil, err
	}
	a := &Agent{cfg: cfg, cred: cred, pub: ed25519.PublicKey(cred.SyncPublicKey), cache: c, now: cfg.Now,
		log: cfg.Logger.With("device", cred.DeviceID, "role", cred.Role), kickUpload: make(chan struct{}, 1), progress: make(chan struct{})}
	if a.roles, err = newRoles(a, devices); err != nil {
		c.Close()
		return nil, err
	}
	if a.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		c.Close()
		return nil, fmt.Errorf("agent: listen %s: %w", cfg.Listen, err)
	}
	a.url = "http://" + a.ln.Addr().String()
	if err := os.WriteFile(filepath.Join(cfg.DataDir, AddrFile), []byte(a.url), 0o600); err != nil {
		a.ln.Close()
		c.Close()
		return nil, fmt.Errorf("agent: %w", err)
	}
	a.http = &http.Server{Handler: a.roles.handler(), ReadHeaderTimeout: 5 * time.Second}
	bg, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	a.connect()
	a.roles.start(bg, &a.wg)
	a.wg.Add(3)
	go func() {
		defer a.wg.Done()
		if err := a.http.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("local API stopped", "err", err)
		}
	}()
	go func() { defer a.wg.Done(); a.uploadLoop(bg) }()
	go func() { defer a.wg.Done(); a.heartbeatLoop(bg) }()
	a.log.Info("agent running", "local_api", a.url, "broker", cred.BrokerURL)
	return a, nil
}

// URL is the local API's base URL.
func (a *Agent) URL() string { return a.url }

// Cache exposes the cache (status, tests).
func (a *Agent) Cache() *cache.Cache { return a.cache }

// Close stops the agent cleanly.
func (a *Agent) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := a.http.Shutdown(ctx)
	a.cancel()
	a.wg.Wait()
	a.mqtt.Disconnect(250)
	os.Remove(filepath.Join(a.cfg.DataDir, AddrFile))
	return errors.Join(err, a.roles.close(), a.cache.Close())
}

func (a *Agent) connect() {
	c := a.cred
	o := paho.NewClientOptions().AddBroker(c.BrokerURL).SetClientID(c.DeviceID).
		SetUsername(c.DeviceID).SetPassword(admitsync.DevicePassword(c.Secret)).
		SetCleanSession(false).SetOrderMatters(true).SetStore(newCopyStore()).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(10 * time.Second).SetConnectTimeout(5 * time.Second).
		SetKeepAlive(10 * time.Second).SetPingTimeout(5 * time.Second).
		SetOnConnectHandler(a.onConnect).
		SetConnectionLostHandler(func(_ paho.Client, err error) {
			a.connected.Store(false)
			a.moved()
			a.log.Warn("broker connection lost; working from the cache", "err", err)
		})
	if len(c.BrokerCA) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c.BrokerCA) {
			a.log.Error("the credential's broker certificate is not PEM; trusting the system's CAs")
		} else {
			o.SetTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})
		}
	}
	a.mqtt = paho.NewClient(o)
	a.mqtt.Connect() // retries in the background until it succeeds
}

func (a *Agent) onConnect(c paho.Client) {
	// The SUBACKs are awaited in another goroutine: with ordered delivery
	// paho may read nothing more from the connection while this handler
	// runs, and waiting here would stall the reconnect until the timeout.
	var toks []paho.Token
	topics := []string{admitsync.FeedTopic(a.cred.VenueCode), admitsync.DownlinkTopic(a.cred.DeviceID)}
	for _, topic := range topics {
		toks = append(toks, c.Subscribe(topic, 1, a.onMessage))
	}
	go a.subscribed(topics, toks)
}

// subscribed finishes a connect once the subscriptions are acknowledged.
func (a *Agent) subscribed(topics []string, toks []paho.Token) {
	for i, tok := range toks {
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			a.log.Error("subscribe", "topic", topics[i], "err", tok.Error())
			return
		}
	}
	a.connected.Store(true)
	a.moved()
	a.log.Info("connected to the broker")
	a.upMu.Lock()
	a.sentUpTo = 0 // whatever was in flight may be lost: send it again
	a.upMu.Unlock()
	a.requestCatchup(true)
	a.kick()
}

// onMessage runs for every message, one at a time and in order.
func (a *Agent) onMessage(_ paho.Client, m paho.Message) {
	env, err := admitsync.OpenCloud(a.pub, m.Topic(), m.Payload())
	if err != nil {
		a.drop(m.Topic(), err)
		return
	}
	switch env.Kind {
	case admitsync.KindFeed:
		var b admitsync.FeedBatch
		if err := env.Decode(&b); err != nil {
			a.drop(m.Topic(), err)
			return
		}
		a.applyBatch(b)
	case admitsync.KindAck:
		var ack admitsync.Ack
		if err := env.Decode(&ack); err != nil || ack.Device != a.cred.DeviceID {
			a.drop(m.Topic(), fmt.Errorf("bad ack: %v", err))
			return
		}
		if _, err := a.cache.Outbox().Prune(ack.UpTo); err != nil {
			a.log.Error("prune outbox", "err", err)
		}
		a.moved()
		a.upMu.Lock()
		if ack.UpTo >= a.sentUpTo {
			a.sentUpTo, a.sentAt = 0, time.Time{}
		}
		a.upMu.Unlock()
		a.kick()
	case admitsync.KindCommand:
		var cmd admitsync.Command
		if err := env.Decode(&cmd); err != nil {
			a.drop(m.Topic(), err)
			return
		}
		if cmd.Name == "revoked" {
			a.log.Error("this device was revoked by the venue; it keeps its cache but syncs no more")
			a.revoked.Store(true)
			go a.mqtt.Disconnect(0)
		}
	default:
		a.drop(m.Topic(), fmt.Errorf("unexpected kind %q", env.Kind))
	}
}

func (a *Agent) drop(topic string, err error) {
	a.dropped.Add(1)
	a.moved()
	a.log.Warn("dropped message", "topic", topic, "err", err)
}

// applyBatch applies feed events in order; a gap asks for a catch-up.
func (a *Agent) applyBatch(b admitsync.FeedBatch) {
	if err := a.cache.NoteHead(b.Head); err != nil {
		a.log.Error("note feed head", "err", err)
	}
	_, err := a.cache.Apply(b)
	a.moved()
	var gap *cache.GapError
	switch {
	case errors.As(err, &gap):
		a.requestCatchup(false)
		return
	case err != nil:
		a.drop("feed", err)
		return
	}
	if b.Final || b.Snapshot {
		a.catchMu.Lock()
		if b.Final {
			a.catchSentAt = time.Time{}
		}
		a.catchMu.Unlock()
	}
	if b.Final && a.cache.Cursor() < a.cache.Head() {
		a.requestCatchup(false)
	}
}

// retryCatchup asks again when a catch-up went unanswered or the cache is
// behind the head it heard of: a request published while the cloud was
// not yet subscribed (both reconnecting after an outage) is lost, and a
// gap noticed soon after it would otherwise wait for the next sale.
// requestCatchup keeps this to one request per point every few seconds.
func (a *Agent) retryCatchup() {
	a.catchMu.Lock()
	outstanding := !a.catchSentAt.IsZero()
	a.catchMu.Unlock()
	if outstanding || a.cache.Cursor() < a.cache.Head() {
		a.requestCatchup(false)
	}
}

// requestCatchup asks for the events after the cursor, unless a request
// for the same point is still being answered.
func (a *Agent) requestCatchup(force bool) {
	if !a.connected.Load() {
		return
	}
	from := a.cache.Cursor()
	if a.cache.Stale() {
		from = 0
	}
	a.catchMu.Lock()
	if !force && from == a.catchFrom && time.Since(a.catchSentAt) < 5*time.Second {
		a.catchMu.Unlock()
		return
	}
	a.catchFrom, a.catchSentAt = from, time.Now()
	a.catchMu.Unlock()
	go func() {
		if err := a.publish(admitsync.KindCatchup, admitsync.CatchupRequest{Device: a.cred.DeviceID, From: from}); err != nil {
			a.log.Warn("ask for catch-up", "err", err)
		}
	}()
}

func (a *Agent) publish(kind string, v any) error {
	topic := admitsync.UplinkTopic(a.cred.DeviceID)
	b, err := admitsync.SealDevice(a.cred.Secret, topic, kind, v)
	if err != nil {
		return err
	}
	tok := a.mqtt.Publish(topic, 1, false, b)
	if !tok.WaitTimeout(10 * time.Second) {
		return errors.New("publish timed out")
	}
	return tok.Error()
}

func (a *Agent) kick() {
	select {
	case a.kickUpload <- struct{}{}:
	default:
	}
}

// uploadLoop sends the outbox's oldest facts every UploadEvery, and at
// once after an ack while a backlog remains, as long as the last upload
// is acknowledged (or waited too long for its ack).
func (a *Agent) uploadLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.UploadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.kickUpload:
		}
		if !a.connected.Load() || a.revoked.Load() {
			continue
		}
		a.retryCatchup()
		a.upMu.Lock()
		waiting := a.sentUpTo != 0 && time.Since(a.sentAt) < a.cfg.ResendAfter
		a.upMu.Unlock()
		if waiting {
			continue
		}
		facts, err := a.cache.Outbox().Pending(200)
		if err != nil {
			a.log.Error("read outbox", "err", err)
			continue
		}
		if len(facts) == 0 {
			continue
		}
		if err := a.publish(admitsync.KindFacts, admitsync.FactBatch{Facts: facts}); err != nil {
			a.log.Warn("upload facts", "err", err)
			continue
		}
		a.upMu.Lock()
		a.sentUpTo, a.sentAt = facts[len(facts)-1].Seq, time.Now()
		a.upMu.Unlock()
	}
}

// heartbeatLoop records the device's state as a fact while online.
func (a *Agent) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(a.cfg.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !a.connected.Load() {
			continue
		}
		st := a.Status()
		hb := admitsync.Heartbeat{FeedSeq: st.FeedSeq, FeedLag: st.FeedLag, OutboxDepth: st.OutboxDepth, CacheTickets: st.CacheTickets,
			Status: heartbeatStatus(st)}
		if _, err := a.cache.Outbox().Append(admitsync.FactHeartbeat, hb, a.now()); err != nil {
			a.log.Error("record heartbeat", "err", err)
			continue
		}
		a.kick()
	}
}

// Status is what `admit-edge status` prints.
type Status struct {
	DeviceID     string `json:"device_id"`
	Role         string `json:"role"`
	Venue        string `json:"venue"`
	Connected    bool   `json:"connected"`
	Revoked      bool   `json:"revoked,omitempty"`
	FeedSeq      uint64 `json:"feed_seq"`
	FeedHead     uint64 `json:"feed_head"`
	FeedLag      uint64 `json:"feed_lag"`
	OutboxDepth  int    `json:"outbox_depth"`
	CacheTickets int    `json:"cache_tickets"`
	CacheBytes   int64  `json:"cache_bytes"`
	Dropped      int64  `json:"dropped_messages"`
	Admitted     int64  `json:"admitted"`
	Rejected     int64  `json:"rejected"`
	// NoPassage counts gate openings nobody passed through (the tickets
	// stay valid); DeviceFaults, scans the gate's devices failed.
	NoPassage    int64 `json:"no_passage,omitempty"`
	DeviceFaults int64 `json:"device_faults,omitempty"`
	// Devices is each configured device's state, by slot.
	Devices map[string]hardware.DeviceState `json:"devices,omitempty"`
	Printer *hardware.PrinterState          `json:"printer,omitempty"`
	// LastScan is the gate's last result, as its screen shows it.
	LastScan *ScanResult `json:"last_scan,omitempty"`
}

// Status reports the agent's state.
func (a *Agent) Status() Status {
	st := Status{DeviceID: a.cred.DeviceID, Role: a.cred.Role, Venue: a.cred.VenueCode, Connected: a.connected.Load(),
		Revoked: a.revoked.Load(), Dropped: a.dropped.Load()}
	a.roles.status(&st)
	if s, err := a.cache.Stats(); err == nil {
		st.FeedSeq, st.FeedHead, st.CacheTickets, st.CacheBytes = s.Cursor, s.Head, s.Tickets, s.FileBytes
		if s.Head > s.Cursor {
			st.FeedLag = s.Head - s.Cursor
		}
	}
	if n, err := a.cache.Outbox().Depth(); err == nil {
		st.OutboxDepth = n
	}
	return st
}

func (a *Agent) moved() {
	a.progMu.Lock()
	close(a.progress)
	a.progress = make(chan struct{})
	a.progMu.Unlock()
}

// changes is closed at the next feed batch applied, ack, dropped message,
// connect or disconnect.
func (a *Agent) changes() <-chan struct{} {
	a.progMu.Lock()
	defer a.progMu.Unlock()
	return a.progress
}

// feedWait is how long a print of a ticket the device does not hold waits
// for the feed while the device is online.
const feedWait = 5 * time.Second

// untilFound runs find, and runs it again each time changed() fires while
// it answers kiosk.ErrNotFound and the device is online, for at most wait.
// A ticket sold at this POS a moment ago is on its way down the feed: the
// clerk who presses Print at once is not told it is unknown. Offline, or
// once wait has passed, not found is the answer.
func untilFound(ctx context.Context, wait time.Duration, online func() bool, changed func() <-chan struct{}, find func() error) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		ch := changed() // before find: a change during it wakes the next wait
		err := find()
		if !errors.Is(err, kiosk.ErrNotFound) || !online() {
			return err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return err
		}
	}
}

// WaitUntil blocks until cond holds (checked now and after every feed
// batch applied, every ack, every dropped message, and every connect or
// disconnect), or ctx ends.
func (a *Agent) WaitUntil(ctx context.Context, cond func(Status) bool) error {
	for {
		ch := a.changes()
		if cond(a.Status()) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("agent %s: %w (status %+v)", a.cred.DeviceID, ctx.Err(), a.Status())
		}
	}
}

// loadDevices reads and checks the device config: a config that does not
// fit the device (a profile of the wrong kind, a port it cannot use, a
// slot the role has not) stops the agent before it starts.
func loadDevices(cfg Config, role string) (hardware.Devices, error) {
	file := cfg.DevicesFile
	if file == "" {
		file = filepath.Join(cfg.DataDir, hardware.ConfigFile)
	}
	hc, err := hardware.LoadConfig(file)
	if err != nil {
		return hardware.Devices{}, fmt.Errorf("agent: %w", err)
	}
	if hc == (hardware.Config{}) {
		return hardware.Devices{Direction: "in"}, nil
	}
	set, err := hc.LoadProfiles(file)
	if err != nil {
		return hardware.Devices{}, fmt.Errorf("agent: %w", err)
	}
	d, err := hc.Resolve(file, role, set)
	if err != nil {
		return hardware.Devices{}, fmt.Errorf("agent: %w", err)
	}
	return d, nil
}

// heartbeatStatus is the device state the cloud shows for the device.
func heartbeatStatus(st Status) map[string]string {
	m := map[string]string{"role": st.Role}
	for slot, d := range st.Devices {
		m[slot] = "online"
		if !d.Online {
			m[slot] = "offline"
		}
		if d.LastError != "" {
			m[slot+"_error"] = truncate(d.LastError, 200)
		}
	}
	if p := st.Printer; p != nil {
		m["printer"] = "ok"
		if p.Problem != "" {
			m["printer"] = truncate(p.Problem, 200)
		}
	}
	return m
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
