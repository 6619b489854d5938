package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/admitbox/admit/cloud/broker"
	"github.com/admitbox/admit/edge/enroll"
	admitsync "github.com/admitbox/admit/sync"
)

// TestMosquittoFilesGiveEachDeviceExactlyItsTopics runs a Mosquitto of
// its own with the password and ACL files admit-cloud broker-config
// writes, and checks them with Mosquitto's own clients: a device logs in
// with its text credential and publishes its uplink; its publish on
// another device's uplink never reaches the cloud; it reads its downlink
// and not another's; a wrong password and a revoked device are refused.
func TestMosquittoFilesGiveEachDeviceExactlyItsTopics(t *testing.T) {
	for _, bin := range []string{"mosquitto", "mosquitto_pub", "mosquitto_sub"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("no %s (apt-get install mosquitto mosquitto-clients)", bin)
		}
	}
	w := newWorld(t, embedded)
	ctx := context.Background()
	creds := map[string]admitsync.Credential{}
	for _, name := range []string{"gate-a", "gate-b", "gate-c"} {
		c, err := enroll.Load(w.device("gate", name))
		w.must(err)
		creds[name] = c
	}
	_, err := w.svc.RevokeDevice(ctx, w.admin, creds["gate-c"].DeviceID, "stolen")
	w.must(err)

	logins, err := w.svc.BrokerLogins(ctx)
	w.must(err)
	var devices []broker.Account
	for _, l := range logins {
		devices = append(devices, broker.Account{User: l.DeviceID, Password: l.Password, Venue: l.VenueCode})
	}
	if len(devices) != 2 {
		t.Fatalf("%d broker logins for two active devices and a revoked one", len(devices))
	}
	passwd, acl, err := broker.MosquittoFiles(broker.Account{User: "admit-cloud", Password: "cloud-secret-1"}, devices)
	w.must(err)

	dir, err := os.MkdirTemp("", "admit-mosquitto-")
	w.must(err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	port := strconv.Itoa(freePort(t))
	conf := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\npersistence false\n",
		port, filepath.Join(dir, "passwd"), filepath.Join(dir, "acl"))
	if os.Geteuid() == 0 {
		conf += "user root\n"
	}
	for name, b := range map[string][]byte{"passwd": passwd, "acl": acl, "mosquitto.conf": []byte(conf)} {
		w.must(os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
	mq := exec.Command("mosquitto", "-c", filepath.Join(dir, "mosquitto.conf"))
	var mqLog bytes.Buffer
	mq.Stdout, mq.Stderr = &mqLog, &mqLog
	w.must(mq.Start())
	t.Cleanup(func() { mq.Process.Kill(); mq.Wait() })
	eventually(t, "mosquitto listening", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	a, b, c := creds["gate-a"], creds["gate-b"], creds["gate-c"]
	pub := func(user, pass, topic, msg string) error {
		out, err := exec.Command("mosquitto_pub", "-h", "127.0.0.1", "-p", port, "-u", user, "-P", pass, "-q", "1", "-t", topic, "-m", msg).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	// sub starts a subscriber and returns once the broker has answered
	// its subscription; wait returns the first message it got within 3 s
	// ("" when none came).
	sub := func(user, pass, topic string) (wait func() string) {
		// stdbuf: mosquitto_sub buffers a pipe until it exits.
		cmd := exec.Command("stdbuf", "-oL", "mosquitto_sub", "-d", "-h", "127.0.0.1", "-p", port, "-u", user, "-P", pass, "-q", "1", "-t", topic, "-C", "1", "-W", "3")
		stdout, err := cmd.StdoutPipe()
		w.must(err)
		w.must(cmd.Start())
		lines := bufio.NewScanner(stdout)
		for lines.Scan() && !strings.HasPrefix(lines.Text(), "Subscribed (") { // -d: after the broker's SUBACK
		}
		return func() string {
			msg := ""
			for lines.Scan() {
				if l := lines.Text(); !strings.HasPrefix(l, "Client ") && msg == "" {
					msg = l
				}
			}
			cmd.Wait()
			return msg
		}
	}

	ups := sub("admit-cloud", "cloud-secret-1", admitsync.UplinkTopic("+"))
	if err := pub(a.DeviceID, admitsync.DevicePassword(a.Secret), admitsync.UplinkTopic(b.DeviceID), "forged"); err != nil {
		t.Logf("the forged publish was refused outright: %v", err)
	}
	if err := pub(a.DeviceID, admitsync.DevicePassword(a.Secret), admitsync.UplinkTopic(a.DeviceID), "hello-a"); err != nil {
		t.Fatalf("a device publishing its uplink with its text credential: %v\n%s", err, mqLog.String())
	}
	if got := ups(); got != "hello-a" {
		t.Fatalf("the cloud's first uplink message is %q, want hello-a (the forged one must never arrive)\nacl:\n%s\nmosquitto:\n%s", got, acl, mqLog.String())
	}

	own := sub(a.DeviceID, admitsync.DevicePassword(a.Secret), admitsync.DownlinkTopic(a.DeviceID))
	other := sub(a.DeviceID, admitsync.DevicePassword(a.Secret), admitsync.DownlinkTopic(b.DeviceID))
	w.must(pub("admit-cloud", "cloud-secret-1", admitsync.DownlinkTopic(a.DeviceID), "for-a"))
	w.must(pub("admit-cloud", "cloud-secret-1", admitsync.DownlinkTopic(b.DeviceID), "for-b"))
	if got := own(); got != "for-a" {
		t.Fatalf("the device's own downlink gave %q", got)
	}
	if got := other(); got != "" {
		t.Fatalf("a device read another's downlink: %q", got)
	}

	if err := pub(a.DeviceID, "wrong-password", admitsync.UplinkTopic(a.DeviceID), "x"); err == nil {
		t.Fatal("a wrong password was let in")
	}
	if err := pub(c.DeviceID, admitsync.DevicePassword(c.Secret), admitsync.UplinkTopic(c.DeviceID), "x"); err == nil {
		t.Fatal("a revoked device was let in")
	}
}
