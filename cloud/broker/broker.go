// Package broker is the MQTT broker the cloud embeds by default
// (github.com/mochi-mqtt/server/v2): one process is a whole system. It
// authenticates every client and enforces the topic scope of the sync
// contract: a device reads only its venue's feed and its own downlink and
// writes only its own uplink; the cloud's own clients may do anything.
package broker

import (
	"context"
	"crypto/hmac"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	admitsync "github.com/admitbox/admit/sync"
)

// DeviceAuth tells the broker whether a credential is an active device's,
// and which venue the device belongs to.
type DeviceAuth interface {
	AuthenticateDevice(ctx context.Context, deviceID string, secret []byte) (venueCode string, err error)
}

// Config configures the embedded broker.
type Config struct {
	Listen string      // host:port; port 0 picks a free one
	TLS    *tls.Config // optional
	// CloudUser and CloudSecret are the credential of the cloud's own
	// clients (client ids must start with CloudUser).
	CloudUser   string
	CloudSecret []byte
	Devices     DeviceAuth
	Logger      *slog.Logger
}

const listenerID = "admit"

// Broker is a running embedded broker.
type Broker struct {
	srv  *mqtt.Server
	addr string
	tls  bool
	hook *scope
}

// Start listens and serves until Close.
func Start(cfg Config) (*Broker, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CloudUser == "" || len(cfg.CloudSecret) < 16 || cfg.Devices == nil {
		return nil, errors.New("broker: cloud credential and device authentication are required")
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker: listen %s: %w", cfg.Listen, err)
	}
	addr := ln.Addr().String()
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}

	srv := mqtt.New(&mqtt.Options{InlineClient: false, Logger: cfg.Logger.With("component", "broker")})
	h := &scope{cfg: cfg, clients: map[string]principal{}}
	if err := srv.AddHook(h, nil); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: add hook: %w", err)
	}
	if err := srv.AddListener(newListener(listenerID, ln, srv)); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: listener %s: %w", addr, err)
	}
	if err := srv.Serve(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("broker: serve: %w", err)
	}
	return &Broker{srv: srv, addr: addr, tls: cfg.TLS != nil, hook: h}, nil
}

// URL is how clients reach the broker.
func (b *Broker) URL() string {
	if b.tls {
		return "ssl://" + b.addr
	}
	return "tcp://" + b.addr
}

// Disconnect drops a device's connection now (after its revocation, which
// also makes any reconnect fail authentication).
func (b *Broker) Disconnect(deviceID string) {
	b.hook.forget(deviceID)
	if cl, ok := b.srv.Clients.Get(deviceID); ok {
		cl.Stop(errors.New("device revoked"))
	}
}

// Close disconnects every client and stops the broker.
func (b *Broker) Close() error { return b.srv.Close() }

// principal is an authenticated client.
type principal struct {
	cloud  bool
	device string
	venue  string
}

// scope authenticates clients and checks every subscribe, publish and
// delivery against the client's scope.
type scope struct {
	mqtt.HookBase
	cfg     Config
	mu      sync.Mutex
	clients map[string]principal // by client id
}

func (h *scope) ID() string { return "admit-scope" }

func (h *scope) Provides(b byte) bool {
	return b == mqtt.OnConnectAuthenticate || b == mqtt.OnACLCheck || b == mqtt.OnDisconnect
}

func (h *scope) OnConnectAuthenticate(cl *mqtt.Client, pk packets.Packet) bool {
	user, pass := string(pk.Connect.Username), pk.Connect.Password
	if user == h.cfg.CloudUser && hmac.Equal(pass, h.cfg.CloudSecret) {
		h.remember(cl.ID, principal{cloud: true})
		return true
	}
	// A device connects as itself: client id = username = device id.
	if user == "" || cl.ID != user || !admitsync.ValidDeviceID(user) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	venue, err := h.cfg.Devices.AuthenticateDevice(ctx, user, pass)
	if err != nil {
		h.cfg.Logger.Warn("device refused", "device", user, "remote", cl.Net.Remote, "err", err)
		return false
	}
	h.remember(cl.ID, principal{device: user, venue: venue})
	return true
}

func (h *scope) OnACLCheck(cl *mqtt.Client, topic string, write bool) bool {
	h.mu.Lock()
	p, ok := h.clients[cl.ID]
	h.mu.Unlock()
	switch {
	case !ok:
		return false
	case p.cloud:
		return true
	case write:
		return topic == admitsync.UplinkTopic(p.device)
	default:
		return topic == admitsync.FeedTopic(p.venue) || topic == admitsync.DownlinkTopic(p.device)
	}
}

func (h *scope) OnDisconnect(cl *mqtt.Client, err error, expire bool) {
	if expire {
		h.forget(cl.ID)
	}
}

func (h *scope) remember(id string, p principal) {
	h.mu.Lock()
	h.clients[id] = p
	h.mu.Unlock()
}

func (h *scope) forget(id string) {
	h.mu.Lock()
	delete(h.clients, id)
	h.mu.Unlock()
}
