package broker

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	admitsync "github.com/admitbox/admit/sync"
)

// devices is the test's registry: the broker's real boundary is this
// interface; the cloud implements it with its device table.
type devices map[string]struct {
	secret []byte
	venue  string
}

func (d devices) AuthenticateDevice(_ context.Context, id string, secret []byte) (string, error) {
	x, ok := d[id]
	if !ok || !hmac.Equal(x.secret, secret) {
		return "", errors.New("unknown device or wrong secret")
	}
	return x.venue, nil
}

var cloudSecret = []byte("cloud-secret-0123456789abcdef")

func startBroker(t *testing.T) (*Broker, devices) {
	t.Helper()
	d := devices{
		"gate-1": {[]byte("secret-gate-1"), "11000001"},
		"gate-2": {[]byte("secret-gate-2"), "22000002"},
	}
	b, err := Start(Config{CloudUser: "admit-cloud", CloudSecret: cloudSecret, Devices: d})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, d
}

type client struct {
	paho.Client
	lost chan error
	msgs chan paho.Message
}

func connect(t *testing.T, b *Broker, clientID, user string, pass []byte) (*client, error) {
	t.Helper()
	c := &client{lost: make(chan error, 1), msgs: make(chan paho.Message, 16)}
	o := paho.NewClientOptions().AddBroker(b.URL()).SetClientID(clientID).SetUsername(user).SetPassword(string(pass)).
		SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(5 * time.Second).
		SetConnectionLostHandler(func(_ paho.Client, err error) { c.lost <- err }).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) { c.msgs <- m })
	c.Client = paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, nil
}

// subscribe returns the broker's granted QoS (0x80 is a refusal).
func subscribe(t *testing.T, c *client, topic string) byte {
	t.Helper()
	tok := c.Subscribe(topic, 1, nil)
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("subscribe timed out")
	}
	if err := tok.Error(); err != nil {
		return 0x80
	}
	return tok.(*paho.SubscribeToken).Result()[topic]
}

func TestADeviceReadsItsFeedAndDownlinkAndWritesItsUplink(t *testing.T) {
	b, d := startBroker(t)
	gate, err := connect(t, b, "gate-1", "gate-1", d["gate-1"].secret)
	if err != nil {
		t.Fatal(err)
	}
	cloud, err := connect(t, b, "admit-cloud-1", "admit-cloud", cloudSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{admitsync.FeedTopic("11000001"), admitsync.DownlinkTopic("gate-1")} {
		if q := subscribe(t, gate, topic); q == 0x80 {
			t.Fatalf("the gate may not subscribe to its own %s", topic)
		}
	}
	if q := subscribe(t, cloud, admitsync.AllUplinks); q == 0x80 {
		t.Fatal("the cloud may not subscribe to uplinks")
	}
	cloud.Publish(admitsync.FeedTopic("11000001"), 1, false, "feed").Wait()
	select {
	case m := <-gate.msgs:
		if string(m.Payload()) != "feed" {
			t.Fatalf("gate got %q", m.Payload())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gate did not get its venue's feed")
	}
	gate.Publish(admitsync.UplinkTopic("gate-1"), 1, false, "fact").Wait()
	select {
	case m := <-cloud.msgs:
		if m.Topic() != admitsync.UplinkTopic("gate-1") {
			t.Fatalf("cloud got %s", m.Topic())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the cloud did not get the gate's uplink")
	}
}

func TestADeviceCannotReachAnotherVenueOrDevice(t *testing.T) {
	b, d := startBroker(t)
	gate, err := connect(t, b, "gate-1", "gate-1", d["gate-1"].secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{
		admitsync.FeedTopic("22000002"),   // another venue's feed
		admitsync.DownlinkTopic("gate-2"), // another device's downlink
		admitsync.UplinkTopic("gate-2"),   // reading another device's uplink
		"admit/v1/#",                      // everything
		"admit/v1/venue/+/feed",           // every venue
	} {
		if q := subscribe(t, gate, topic); q != 0x80 {
			t.Errorf("the gate subscribed to %s (granted %d)", topic, q)
		}
	}
	// Writing anywhere but its own uplink gets it disconnected.
	gate.Publish(admitsync.FeedTopic("11000001"), 1, false, "forged feed")
	select {
	case <-gate.lost:
	case <-time.After(10 * time.Second):
		t.Fatal("a device publishing on the feed was not disconnected")
	}
}

func TestWrongCredentialsAreRefused(t *testing.T) {
	b, d := startBroker(t)
	cases := []struct{ name, clientID, user, pass string }{
		{"a wrong secret", "gate-1", "gate-1", "nope"},
		{"an unknown device", "gate-9", "gate-9", "secret-gate-1"},
		{"a client id that is not the device", "gate-2", "gate-1", string(d["gate-1"].secret)},
		{"no credentials", "anon", "", ""},
		{"a wrong cloud secret", "admit-cloud-x", "admit-cloud", "guess"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := connect(t, b, c.clientID, c.user, []byte(c.pass)); err == nil {
				t.Fatal("connected")
			}
		})
	}
}

func TestARevokedDeviceIsDisconnectedAndRefused(t *testing.T) {
	b, d := startBroker(t)
	gate, err := connect(t, b, "gate-1", "gate-1", d["gate-1"].secret)
	if err != nil {
		t.Fatal(err)
	}
	secret := d["gate-1"].secret
	delete(d, "gate-1") // the registry revokes it
	b.Disconnect("gate-1")
	select {
	case <-gate.lost:
	case <-time.After(10 * time.Second):
		t.Fatal("a revoked device stayed connected")
	}
	if _, err := connect(t, b, "gate-1", "gate-1", secret); err == nil {
		t.Fatal("a revoked device reconnected")
	}
}

// Close must return, cleanly, while clients keep connecting and leaving.
// With mochi's own TCP listener this test fails under the race detector
// (a connection's ClientsWg.Add racing Server.Close's Wait) and can hang
// (GetByListener's double read lock against a departing client,
// mochi-mqtt/server#488).
func TestCloseReturnsWhileClientsComeAndGo(t *testing.T) {
	for round := 0; round < 20; round++ {
		b, err := Start(Config{CloudUser: "admit-cloud", CloudSecret: cloudSecret, Devices: devices{}})
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					default:
					}
					o := paho.NewClientOptions().AddBroker(b.URL()).SetClientID(fmt.Sprintf("admit-cloud-%d-%d", i, n)).
						SetUsername("admit-cloud").SetPassword(string(cloudSecret)).SetCleanSession(true).
						SetAutoReconnect(false).SetConnectRetry(false).SetConnectTimeout(time.Second)
					c := paho.NewClient(o)
					if tok := c.Connect(); tok.WaitTimeout(2*time.Second) && tok.Error() == nil {
						c.Disconnect(0)
					}
				}
			}()
		}
		// Let the churn begin: wait for a client to be connected.
		for b.srv.Clients.Len() == 0 {
			runtime.Gosched()
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		close(stop)
		wg.Wait()
	}
}
