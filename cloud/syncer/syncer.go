// Package syncer is the cloud's side of the sync contract on a broker
// (the embedded one or an external one by URL): it publishes each venue's
// feed in order, answers devices' catch-up requests with batches or a
// snapshot, and ingests device facts, acknowledging what is stored.
package syncer

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	admitsync "github.com/admitbox/admit/sync"
)

// VenueHead is a venue's newest feed number.
type VenueHead struct {
	VenueID int64
	Code    string
	Seq     uint64
}

// Feed is what the syncer reads of the venue feeds.
type Feed interface {
	FeedHeads(ctx context.Context) ([]VenueHead, error)
	FeedSince(ctx context.Context, venueID int64, after uint64, limit int) ([]admitsync.FeedEvent, error)
	Snapshot(ctx context.Context, venueID int64) (head uint64, events []admitsync.FeedEvent, err error)
}

// DeviceInfo is what the syncer needs to trust a device's messages.
type DeviceInfo struct {
	ID        string
	VenueID   int64
	VenueCode string
	Secret    []byte
}

// Devices authenticates devices and stores their facts.
type Devices interface {
	DeviceInfo(ctx context.Context, deviceID string) (DeviceInfo, error)
	IngestFacts(ctx context.Context, deviceID string, facts []admitsync.Fact) (ackUpTo uint64, err error)
}

// Config configures a Syncer.
type Config struct {
	BrokerURL string
	ClientID  string // unique per cloud process
	Username  string
	Password  []byte
	TLS       *tls.Config
	Key       ed25519.PrivateKey // the cloud's sync key
	Feed      Feed
	Devices   Devices
	// ShareGroup, when set, subscribes to uplinks through that shared
	// subscription group, so the replicas of one installation split
	// device traffic.
	ShareGroup string
	// PollEvery is how often feed heads are checked (default 50 ms).
	PollEvery time.Duration
	// PublishEvery spaces publication rounds (default 20 ms): a Kick
	// after a quiet spell publishes at once, but the commits of a busy
	// on-sale, hundreds a second, go out together, one message a venue a
	// round instead of one each, every message sealed and signed.
	PublishEvery time.Duration
	// BatchMax caps events per message (default 500).
	BatchMax int
	// SnapshotBehind: a device further behind than this gets a snapshot
	// instead of the events it missed (default 20,000).
	SnapshotBehind uint64
	Logger         *slog.Logger
}

// Stats counts what the syncer did.
type Stats struct {
	Published, FactsIngested, Dropped, Catchups, Snapshots atomic.Int64
	// MessagesIn and MessagesOut count MQTT messages: uplinks received,
	// feed batches, snapshots and commands sent.
	MessagesIn, MessagesOut atomic.Int64
}

// Syncer is a running cloud sync endpoint.
type Syncer struct {
	cfg    Config
	log    *slog.Logger
	client paho.Client
	Stats  Stats

	mu        sync.Mutex
	published map[int64]uint64 // venue id -> last published seq
	devices   map[string]cachedDevice

	work   []chan paho.Message
	cancel context.CancelFunc
	wg     sync.WaitGroup
	kick   chan struct{}
}

type cachedDevice struct {
	info  DeviceInfo
	until time.Time
}

const workers = 8

// Start connects to the broker and runs until Close.
func Start(ctx context.Context, cfg Config) (*Syncer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PollEvery == 0 {
		cfg.PollEvery = 50 * time.Millisecond
	}
	if cfg.PublishEvery == 0 {
		cfg.PublishEvery = 20 * time.Millisecond
	}
	if cfg.BatchMax == 0 {
		cfg.BatchMax = 500
	}
	if cfg.SnapshotBehind == 0 {
		cfg.SnapshotBehind = 20_000
	}
	if len(cfg.Key) != ed25519.PrivateKeySize || cfg.Feed == nil || cfg.Devices == nil {
		return nil, errors.New("syncer: key, feed and devices are required")
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &Syncer{cfg: cfg, log: cfg.Logger.With("component", "syncer"), published: map[int64]uint64{},
		devices: map[string]cachedDevice{}, cancel: cancel, kick: make(chan struct{}, 1)}
	for i := 0; i < workers; i++ {
		ch := make(chan paho.Message, 256)
		s.work = append(s.work, ch)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				select {
				case <-bg.Done():
					return
				case m := <-ch:
					s.handleUplink(bg, m)
				}
			}
		}()
	}
	uplinks := admitsync.AllUplinks
	if cfg.ShareGroup != "" {
		uplinks = admitsync.SharedUplinks(cfg.ShareGroup)
	}
	// Start returns once the uplinks are subscribed: paho runs the
	// on-connect handler asynchronously, after Connect's token completes.
	subscribed := make(chan struct{})
	var once sync.Once
	o := paho.NewClientOptions().AddBroker(cfg.BrokerURL).SetClientID(cfg.ClientID).
		SetUsername(cfg.Username).SetPassword(string(cfg.Password)).SetTLSConfig(cfg.TLS).
		// A clean session: devices re-send until acknowledged, so the cloud
		// needs no queue at the broker, and a replica that is gone must not
		// keep a member's share of a shared subscription.
		SetCleanSession(true).SetOrderMatters(true).SetAutoReconnect(true).
		SetConnectRetry(true).SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(10 * time.Second).
		// A connect that reaches a broker still starting (or a dead peer)
		// must give up soon and retry, not hold the cloud off for paho's
		// default 30 s.
		SetConnectTimeout(5 * time.Second).SetKeepAlive(10 * time.Second).SetPingTimeout(5 * time.Second).
		SetOnConnectHandler(func(c paho.Client) {
			// (Re)subscribe on every connect: the broker may have lost the
			// session. The SUBACK is awaited elsewhere: with ordered
			// delivery paho reads nothing from the connection while this
			// handler runs, so waiting here would stall until the timeout.
			tok := c.Subscribe(uplinks, 1, func(_ paho.Client, m paho.Message) { s.dispatch(m) })
			go func() {
				if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
					s.log.Error("subscribe to uplinks", "err", tok.Error())
					return
				}
				once.Do(func() { close(subscribed) })
				s.Kick()
			}()
		}).
		SetConnectionLostHandler(func(_ paho.Client, err error) { s.log.Warn("broker connection lost", "err", err) }).
		SetReconnectingHandler(func(paho.Client, *paho.ClientOptions) { s.log.Info("reconnecting to the broker") })
	s.client = paho.NewClient(o)
	tok := s.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			cancel()
			return nil, fmt.Errorf("syncer: connect %s: %w", cfg.BrokerURL, err)
		}
	case <-ctx.Done():
		cancel()
		return nil, ctx.Err()
	}
	select {
	case <-subscribed:
	case <-time.After(30 * time.Second):
		cancel()
		s.client.Disconnect(0)
		return nil, fmt.Errorf("syncer: could not subscribe to device uplinks on %s", cfg.BrokerURL)
	case <-ctx.Done():
		cancel()
		s.client.Disconnect(0)
		return nil, ctx.Err()
	}
	// Start publishing from the current heads: devices fetch what came
	// before through catch-up when they connect.
	heads, err := cfg.Feed.FeedHeads(ctx)
	if err != nil {
		cancel()
		s.client.Disconnect(0)
		return nil, fmt.Errorf("syncer: read feed heads: %w", err)
	}
	for _, h := range heads {
		s.published[h.VenueID] = h.Seq
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.publishLoop(bg)
	}()
	return s, nil
}

// Connected says whether the broker session is up.
func (s *Syncer) Connected() bool { return s.client.IsConnectionOpen() }

// Kick makes the publisher look for new events now instead of at its next
// poll; the cloud calls it after a committed change.
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Close stops the syncer.
func (s *Syncer) Close() {
	s.cancel()
	s.wg.Wait()
	s.client.Disconnect(250)
}

// Forget drops a device from the credential cache (after a revocation).
func (s *Syncer) Forget(deviceID string) {
	s.mu.Lock()
	delete(s.devices, deviceID)
	s.mu.Unlock()
}

// Command sends a command to one device.
func (s *Syncer) Command(deviceID, name string) error {
	return s.send(admitsync.DownlinkTopic(deviceID), admitsync.KindCommand, admitsync.Command{Name: name})
}

func (s *Syncer) send(topic, kind string, v any) error {
	b, err := admitsync.SealCloud(s.cfg.Key, topic, kind, v)
	if err != nil {
		return err
	}
	tok := s.client.Publish(topic, 1, false, b)
	s.Stats.MessagesOut.Add(1)
	if !tok.WaitTimeout(30 * time.Second) {
		return fmt.Errorf("syncer: publish to %s timed out", topic)
	}
	return tok.Error()
}

func (s *Syncer) publishLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollEvery)
	defer t.Stop()
	p := pacer{every: s.cfg.PublishEvery}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		if wait := p.wait(time.Now()); wait > 0 {
			// Kicks meanwhile join this round (the channel holds one).
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		// A kick that came while this round waited is answered by it: the
		// round reads the heads after its commit.
		select {
		case <-s.kick:
		default:
		}
		p.started(time.Now())
		if err := s.publishNew(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("publish feed", "err", err)
		}
	}
}

// pacer spaces rounds at least every apart.
type pacer struct {
	every time.Duration
	last  time.Time // the last round's start; zero before the first
}

// wait is how long a round due at now must wait.
func (p *pacer) wait(now time.Time) time.Duration {
	if p.last.IsZero() {
		return 0
	}
	return max(0, p.last.Add(p.every).Sub(now))
}

func (p *pacer) started(now time.Time) { p.last = now }

// publishNew publishes every venue's events after the last published one,
// in order; a failure leaves the position where it was, so the next round
// publishes them again (at least once; devices drop replays).
func (s *Syncer) publishNew(ctx context.Context) error {
	heads, err := s.cfg.Feed.FeedHeads(ctx)
	if err != nil {
		return err
	}
	for _, h := range heads {
		s.mu.Lock()
		from, seen := s.published[h.VenueID]
		s.mu.Unlock()
		if !seen {
			from = 0
		}
		for from < h.Seq {
			evs, err := s.cfg.Feed.FeedSince(ctx, h.VenueID, from, s.cfg.BatchMax)
			if err != nil {
				return err
			}
			if len(evs) == 0 {
				break
			}
			topic := admitsync.FeedTopic(h.Code)
			if err := s.send(topic, admitsync.KindFeed, admitsync.FeedBatch{Venue: h.Code, Events: evs, Head: h.Seq}); err != nil {
				return err
			}
			from = evs[len(evs)-1].Seq
			s.mu.Lock()
			s.published[h.VenueID] = from
			s.mu.Unlock()
			s.Stats.Published.Add(int64(len(evs)))
		}
	}
	return nil
}

// dispatch hands a message to the worker of its device. paho delivers in
// order on one goroutine (OrderMatters), so one device's messages are
// handled in order, and different devices in parallel.
func (s *Syncer) dispatch(m paho.Message) {
	h := fnv.New32a()
	h.Write([]byte(m.Topic()))
	s.work[h.Sum32()%workers] <- m
}

func (s *Syncer) device(ctx context.Context, id string) (DeviceInfo, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.devices[id]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.info, nil
	}
	info, err := s.cfg.Devices.DeviceInfo(ctx, id)
	if err != nil {
		return DeviceInfo{}, err
	}
	s.mu.Lock()
	s.devices[id] = cachedDevice{info: info, until: now.Add(10 * time.Second)}
	s.mu.Unlock()
	return info, nil
}

func (s *Syncer) handleUplink(ctx context.Context, m paho.Message) {
	s.Stats.MessagesIn.Add(1)
	kind, id := admitsync.ParseTopic(m.Topic())
	if kind != admitsync.TopicUplink {
		s.drop(m.Topic(), "not an uplink topic")
		return
	}
	dev, err := s.device(ctx, id)
	if err != nil {
		s.drop(m.Topic(), "unknown or revoked device")
		return
	}
	env, err := admitsync.OpenDevice(dev.Secret, m.Topic(), m.Payload())
	if err != nil {
		s.drop(m.Topic(), err.Error())
		return
	}
	switch env.Kind {
	case admitsync.KindFacts:
		var b admitsync.FactBatch
		if err := env.Decode(&b); err != nil {
			s.drop(m.Topic(), err.Error())
			return
		}
		up, err := s.cfg.Devices.IngestFacts(ctx, id, b.Facts)
		if err != nil {
			s.log.Warn("ingest facts", "device", id, "err", err)
			return
		}
		s.Stats.FactsIngested.Add(int64(len(b.Facts)))
		if err := s.send(admitsync.DownlinkTopic(id), admitsync.KindAck, admitsync.Ack{Device: id, UpTo: up}); err != nil {
			s.log.Warn("ack", "device", id, "err", err)
		}
	case admitsync.KindCatchup:
		var r admitsync.CatchupRequest
		if err := env.Decode(&r); err != nil || r.Device != id {
			s.drop(m.Topic(), "bad catch-up request")
			return
		}
		if err := s.catchup(ctx, dev, r.From); err != nil {
			s.log.Warn("catch-up", "device", id, "err", err)
		}
	default:
		s.drop(m.Topic(), "unexpected kind "+env.Kind)
	}
}

func (s *Syncer) drop(topic, why string) {
	s.Stats.Dropped.Add(1)
	s.log.Warn("dropped device message", "topic", topic, "why", why)
}

// catchup sends a device the events after from, or a snapshot when it is
// too far behind.
func (s *Syncer) catchup(ctx context.Context, dev DeviceInfo, from uint64) error {
	topic := admitsync.DownlinkTopic(dev.ID)
	heads, err := s.cfg.Feed.FeedHeads(ctx)
	if err != nil {
		return err
	}
	var head uint64
	for _, h := range heads {
		if h.VenueID == dev.VenueID {
			head = h.Seq
		}
	}
	if head-min(from, head) > s.cfg.SnapshotBehind {
		return s.snapshot(ctx, dev)
	}
	s.Stats.Catchups.Add(1)
	for {
		evs, err := s.cfg.Feed.FeedSince(ctx, dev.VenueID, from, s.cfg.BatchMax)
		if err != nil {
			return err
		}
		last := len(evs) == 0 || evs[len(evs)-1].Seq >= head
		if err := s.send(topic, admitsync.KindFeed, admitsync.FeedBatch{Venue: dev.VenueCode, Events: evs, Head: head, Final: last}); err != nil {
			return err
		}
		if last {
			return nil
		}
		from = evs[len(evs)-1].Seq
	}
}

func (s *Syncer) snapshot(ctx context.Context, dev DeviceInfo) error {
	s.Stats.Snapshots.Add(1)
	head, evs, err := s.cfg.Feed.Snapshot(ctx, dev.VenueID)
	if err != nil {
		return err
	}
	topic := admitsync.DownlinkTopic(dev.ID)
	for i := 0; i == 0 || i < len(evs); i += s.cfg.BatchMax {
		part := evs[i:min(i+s.cfg.BatchMax, len(evs))]
		b := admitsync.FeedBatch{Venue: dev.VenueCode, Events: part, Snapshot: true, First: i == 0,
			Final: i+s.cfg.BatchMax >= len(evs), Head: head}
		if err := s.send(topic, admitsync.KindFeed, b); err != nil {
			return err
		}
	}
	return nil
}
