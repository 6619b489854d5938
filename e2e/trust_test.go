package e2e

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/enroll"
	admitsync "github.com/admitbox/admit/sync"
)

// TestMain lets this test binary also be the agent process that
// TestKill9WhileOfflineLosesNoFact kills.
func TestMain(m *testing.M) {
	if dir := os.Getenv("ADMIT_E2E_AGENT_DIR"); dir != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		now, _ := time.Parse(time.RFC3339, os.Getenv("ADMIT_E2E_AGENT_NOW"))
		a, err := agent.Start(ctx, agent.Config{DataDir: dir, Listen: "127.0.0.1:0", HeartbeatEvery: time.Hour, ResendAfter: time.Second,
			Now: func() time.Time { return now }})
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		<-ctx.Done()
		a.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startAgentProcess(t *testing.T, w *world, dir string) (*exec.Cmd, string) {
	t.Helper()
	os.Remove(filepath.Join(dir, agent.AddrFile))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ADMIT_E2E_AGENT_DIR="+dir, "ADMIT_E2E_AGENT_NOW="+w.gateNow.Format(time.RFC3339))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, agent.AddrFile)); err == nil && len(b) > 0 {
			return cmd, strings.TrimSpace(string(b))
		}
		time.Sleep(10 * time.Millisecond) // another process: its file is the only signal
	}
	t.Fatal("the agent process did not start")
	return nil, ""
}

// status polls another process's status until cond holds.
func status(t *testing.T, url string, what string, cond func(agent.Status) bool) agent.Status {
	t.Helper()
	var st agent.Status
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if call(t, "GET", url+"/status", nil, &st) == 200 && cond(st) {
			return st
		}
		time.Sleep(10 * time.Millisecond) // another process: polling is the only way to watch it
	}
	t.Fatalf("waiting for %s: status %+v", what, st)
	return st
}

func TestKill9WhileOfflineLosesNoFact(t *testing.T) {
	w := newWorld(t, standalone)
	dir := w.device("gate", "gate")
	cmd, url := startAgentProcess(t, w, dir)
	o := w.sell(5)
	head := w.head()
	status(t, url, "the gate to catch up", func(s agent.Status) bool { return s.Connected && s.FeedSeq >= head })

	w.broker.stop()
	status(t, url, "the gate to go offline", func(s agent.Status) bool { return !s.Connected })
	for _, tk := range o.Tickets {
		if s := validate(t, url, tk.QR); !s.Admit {
			t.Fatalf("offline admission refused: %+v", s)
		}
	}
	// Power cut: no clean shutdown, the outbox must already be on disk.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	_, url = startAgentProcess(t, w, dir)
	if st := status(t, url, "the restarted gate", func(agent.Status) bool { return true }); st.OutboxDepth != 5 {
		t.Fatalf("after kill -9 the outbox holds %d facts, want 5", st.OutboxDepth)
	}
	// The restarted gate still refuses a second entry.
	if s := validate(t, url, o.Tickets[0].QR); s.Admit {
		t.Fatalf("after a restart a used ticket was admitted again: %+v", s)
	}
	w.broker.start(t)
	status(t, url, "every fact uploaded", func(s agent.Status) bool { return s.Connected && s.OutboxDepth == 0 })
	for _, tk := range o.Tickets {
		adm, err := w.srv.Store.TicketAdmissions(context.Background(), w.session.ID, tk.Number)
		if err != nil || len(adm) != 1 {
			t.Fatalf("cloud admissions of %s: %d %v", tk.Number, len(adm), err)
		}
	}
}

// rogue is an MQTT client with the cloud's own broker credential: the
// worst an attacker who got onto the broker could be.
func rogue(t *testing.T, w *world) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(w.broker.b.URL()).SetClientID("admit-cloud-rogue").
		SetUsername(w.broker.cfg.CloudUser).SetPassword(string(w.broker.cfg.CloudSecret)).SetAutoReconnect(false)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("rogue connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func publish(t *testing.T, c paho.Client, topic string, payload []byte) {
	t.Helper()
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
}

func TestForgedReplayedAndMalformedMessagesChangeNothing(t *testing.T) {
	w := newWorld(t, standalone)
	gate := w.agent(w.device("gate", "gate"))
	o := w.sell(1)
	w.caughtUp(gate)
	r := rogue(t, w)
	feed := admitsync.FeedTopic(w.venue.Code)
	before := gate.Status()

	// A feed batch revoking the ticket, signed with a key that is not the cloud's.
	_, forger, _ := ed25519.GenerateKey(nil)
	rev, _ := json.Marshal(admitsync.RevocationData{Number: o.Tickets[0].Number, Reason: "forged"})
	forged, err := admitsync.SealCloud(forger, feed, admitsync.KindFeed, admitsync.FeedBatch{Venue: w.venue.Code, Head: before.FeedSeq + 1,
		Events: []admitsync.FeedEvent{{Seq: before.FeedSeq + 1, Kind: admitsync.EventRevocation, At: time.Now(), Data: rev}}})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, r, feed, forged)
	// Malformed payloads.
	for _, junk := range [][]byte{[]byte("{not json"), []byte(`{"v":1,"k":"feed","b":{},"s":""}`), make([]byte, 10)} {
		publish(t, r, feed, junk)
	}
	// Each of those is dropped and counted; nothing applied.
	wait(t, gate, "4 dropped messages", func(s agent.Status) bool { return s.Dropped >= 4 })
	after := gate.Status()
	if after.FeedSeq != before.FeedSeq || after.CacheTickets != before.CacheTickets {
		t.Fatalf("forged or malformed messages moved the cache: %+v -> %+v", before, after)
	}
	if s := validate(t, gate.URL(), o.Tickets[0].QR); !s.Admit {
		t.Fatalf("a forged revocation took effect: %+v", s)
	}

	// Replay: genuine batches the gate already has, sent again (the feed is
	// at least once, and an attacker can record and resend).
	evs, err := w.svc.FeedSince(context.Background(), w.venue.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seq := gate.Status().FeedSeq
	replay, err := admitsync.SealCloud(w.svc.SyncKey(), feed, admitsync.KindFeed, admitsync.FeedBatch{Venue: w.venue.Code, Events: evs, Head: seq})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, r, feed, replay)
	publish(t, r, feed, replay)
	// A following genuine event proves the replays were handled before it.
	w.sell(1)
	w.caughtUp(gate)
	st := gate.Status()
	if st.CacheTickets != before.CacheTickets+1 {
		t.Fatalf("after replays the cache holds %d tickets, want %d", st.CacheTickets, before.CacheTickets+1)
	}
	if s := validate(t, gate.URL(), o.Tickets[0].QR); s.Admit || s.Reason != "already_admitted" {
		t.Fatalf("a replay reset the admission: %+v", s)
	}
}

func TestARevokedDeviceIsCutOffAndItsFactsChangeNothing(t *testing.T) {
	w := newWorld(t, embedded)
	dir := w.device("gate", "lost-gate")
	gate := w.agent(dir)
	o := w.sell(1)
	w.caughtUp(gate)
	cred, err := enroll.Load(dir)
	w.must(err)
	if _, err := w.svc.RevokeDevice(context.Background(), w.admin, cred.DeviceID, "stolen"); err != nil {
		t.Fatal(err)
	}
	wait(t, gate, "the revoked gate to be cut off", func(s agent.Status) bool { return !s.Connected })

	// Its credential no longer opens the broker.
	o2 := paho.NewClientOptions().AddBroker(w.srv.MQTTURL).SetClientID(cred.DeviceID).SetUsername(cred.DeviceID).
		SetPassword(string(cred.Secret)).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(o2)
	if tok := c.Connect(); tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
		c.Disconnect(0)
		t.Fatal("a revoked device connected")
	}
	// Facts in its name, even correctly signed, store nothing.
	fact := admitsync.Fact{Device: cred.DeviceID, Seq: 1, ID: "f1", Kind: admitsync.FactAdmission, At: time.Now()}
	fact.Data, _ = json.Marshal(admitsync.AdmissionFact{Number: o.Tickets[0].Number, SessionID: w.session.ID})
	if _, err := w.svc.IngestFacts(context.Background(), cred.DeviceID, []admitsync.Fact{fact}); err == nil {
		t.Fatal("the cloud ingested a revoked device's fact")
	}
	adm, _ := w.srv.Store.TicketAdmissions(context.Background(), w.session.ID, o.Tickets[0].Number)
	if len(adm) != 0 {
		t.Fatalf("a revoked device's admission was stored: %+v", adm)
	}
}

func TestADeviceCannotReadAnotherVenuesFeed(t *testing.T) {
	w := newWorld(t, embedded)
	dir := w.device("gate", "gate")
	cred, err := enroll.Load(dir)
	w.must(err)
	o := paho.NewClientOptions().AddBroker(w.srv.MQTTURL).SetClientID(cred.DeviceID).SetUsername(cred.DeviceID).
		SetPassword(string(cred.Secret)).SetAutoReconnect(false)
	c := paho.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect with a real credential: %v", tok.Error())
	}
	defer c.Disconnect(0)
	for _, topic := range []string{admitsync.FeedTopic("99999999"), admitsync.DownlinkTopic("dev-someoneelse"), admitsync.UplinkTopic("dev-someoneelse")} {
		tok := c.Subscribe(topic, 1, nil)
		tok.WaitTimeout(10 * time.Second)
		if tok.Error() == nil && tok.(*paho.SubscribeToken).Result()[topic] != 0x80 {
			t.Errorf("the broker let a device of venue %s subscribe to %s", cred.VenueCode, topic)
		}
	}
}
