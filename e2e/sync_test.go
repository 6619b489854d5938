package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/edge/agent"
)

type scan struct {
	Admit   bool   `json:"admit"`
	Reason  string `json:"reason"`
	Message string `json:"message"`
	Number  string `json:"number"`
	Offline bool   `json:"offline"`
}

func call(t *testing.T, method, url string, body any, out any) int {
	t.Helper()
	return callAs(t, "", method, url, body, out)
}

// callAs is call with a bearer token (none when empty).
func callAs(t *testing.T, token, method, url string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, b)
		}
	}
	return resp.StatusCode
}

func validate(t *testing.T, gateURL, qr string) scan {
	t.Helper()
	var s scan
	if code := call(t, "POST", gateURL+"/validate", map[string]string{"qr": qr}, &s); code != 200 {
		t.Fatalf("validate answered %d", code)
	}
	return s
}

func modes(t *testing.T, fn func(t *testing.T, mode brokerMode)) {
	t.Run("embedded mochi", func(t *testing.T) { fn(t, embedded) })
	t.Run("embedded mochi over TLS", func(t *testing.T) { fn(t, embeddedTLS) })
	t.Run("external mosquitto", func(t *testing.T) { fn(t, mosquitto) })
}

func TestASoldTicketIsAdmittedAndARefundedOneIsNot(t *testing.T) {
	modes(t, func(t *testing.T, mode brokerMode) {
		w := newWorld(t, mode)
		gate := w.agent(w.device("gate", "north-gate"))
		kept, refunded := w.sell(1), w.sell(1)
		w.refund(refunded)
		w.caughtUp(gate)

		if s := validate(t, gate.URL(), kept.Tickets[0].QR); !s.Admit || s.Offline || s.Number != kept.Tickets[0].Number {
			t.Fatalf("a sold ticket at the gate: %+v", s)
		}
		if s := validate(t, gate.URL(), refunded.Tickets[0].QR); s.Admit || s.Reason != "refunded" {
			t.Fatalf("a refunded ticket at the gate: %+v", s)
		}
		if s := validate(t, gate.URL(), kept.Tickets[0].QR); s.Admit || s.Reason != "already_admitted" {
			t.Fatalf("the same ticket twice: %+v", s)
		}
		// The admission reaches the cloud once.
		uploaded(t, gate)
		adm, err := w.srv.Store.TicketAdmissions(context.Background(), w.session.ID, kept.Tickets[0].Number)
		if err != nil || len(adm) != 1 {
			t.Fatalf("cloud admissions of the ticket: %v %v", adm, err)
		}
	})
}

func TestOfflineGatesAdmitKiosksPrintAndPOSRefusesToSell(t *testing.T) {
	w := newWorld(t, standalone)
	gate := w.agent(w.device("gate", "gate"))
	kiosk := w.agent(w.device("kiosk", "kiosk"))
	pos := w.agent(w.device("pos", "pos"))
	cached, revoked := w.sell(2), w.sell(1)
	w.refund(revoked)
	w.caughtUp(gate)
	w.caughtUp(kiosk)
	w.caughtUp(pos)

	w.broker.stop()
	wait(t, gate, "the gate to notice the outage", func(s agent.Status) bool { return !s.Connected })
	wait(t, pos, "the POS to notice the outage", func(s agent.Status) bool { return !s.Connected })
	// Sold in the cloud seconds after the network dropped: never reaches the gate.
	late := w.sell(1)

	if s := validate(t, gate.URL(), cached.Tickets[0].QR); !s.Admit || s.Offline {
		t.Fatalf("a cached ticket offline: %+v", s)
	}
	if s := validate(t, gate.URL(), late.Tickets[0].QR); !s.Admit || !s.Offline {
		t.Fatalf("a signed ticket the gate never heard of, offline: %+v", s)
	}
	if s := validate(t, gate.URL(), revoked.Tickets[0].QR); s.Admit || s.Reason != "refunded" {
		t.Fatalf("a refunded ticket offline: %+v", s)
	}
	if d := gate.Status().OutboxDepth; d != 2 {
		t.Fatalf("the gate queued %d facts, want 2 admissions", d)
	}

	// The POS sells nothing, at once, and the cloud records nothing.
	seq, _, _ := w.srv.Store.AuditHead(context.Background())
	var e struct {
		Error struct{ Code, Message string }
	}
	start := time.Now()
	code := call(t, "POST", pos.URL()+"/sell/holds", sales.HoldRequest{SessionID: w.session.ID, Channel: "pos", Count: 1}, &e)
	if code != http.StatusServiceUnavailable || e.Error.Message != "offline: sales disabled" || time.Since(start) > 2*time.Second {
		t.Fatalf("an offline sale: %d %+v after %v", code, e, time.Since(start))
	}
	if after, _, _ := w.srv.Store.AuditHead(context.Background()); after != seq {
		t.Fatal("an offline sale wrote to the cloud")
	}

	// The kiosk still prints cached pickups.
	var items []struct{ Number string }
	if code := call(t, "GET", kiosk.URL()+"/pickup/"+cached.PickupCode, nil, &items); code != 200 || len(items) != 2 {
		t.Fatalf("offline pickup: %d %+v", code, items)
	}
	if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": cached.Tickets[1].Number}, nil); code != 200 {
		t.Fatalf("offline print: %d", code)
	}
	// A print that failed is recorded too, and the ticket stays printable.
	if code := call(t, "POST", kiosk.URL()+"/print-failure", map[string]any{"number": cached.Tickets[0].Number, "error": "paper end"}, nil); code != 200 {
		t.Fatalf("offline print failure: %d", code)
	}
	if code := call(t, "POST", kiosk.URL()+"/print", map[string]any{"number": cached.Tickets[0].Number}, nil); code != 200 {
		t.Fatalf("printing after a failure: %d", code)
	}

	// Back online: every fact reaches the cloud, once.
	w.broker.start(t)
	uploaded(t, gate)
	uploaded(t, kiosk)
	var kinds []string
	rows, err := w.srv.Store.DB().Query(`SELECT kind FROM device_facts WHERE kind LIKE 'print%' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		kinds = append(kinds, k)
	}
	rows.Close()
	if strings.Join(kinds, ",") != "print,print_failure,print" {
		t.Fatalf("the kiosk's print facts in the cloud: %v", kinds)
	}
	for _, n := range []string{cached.Tickets[0].Number, late.Tickets[0].Number} {
		adm, err := w.srv.Store.TicketAdmissions(context.Background(), w.session.ID, n)
		if err != nil || len(adm) != 1 {
			t.Fatalf("cloud admissions of %s after the outage: %v %v", n, adm, err)
		}
	}
	// And the late sale now reaches the gate's cache.
	w.caughtUp(gate)
	if s := validate(t, gate.URL(), late.Tickets[0].QR); s.Admit || s.Reason != "already_admitted" {
		t.Fatalf("re-scan of the late ticket once synced: %+v", s)
	}
}

func TestTwoPartitionedGatesAdmittingOneTicketRaiseAnAlert(t *testing.T) {
	w := newWorld(t, standalone)
	g1 := w.agent(w.device("gate", "gate-east"))
	g2 := w.agent(w.device("gate", "gate-west"))
	o := w.sell(1)
	w.caughtUp(g1)
	w.caughtUp(g2)
	w.broker.stop()
	wait(t, g1, "gate 1 offline", func(s agent.Status) bool { return !s.Connected })
	wait(t, g2, "gate 2 offline", func(s agent.Status) bool { return !s.Connected })
	for _, g := range []interface{ URL() string }{g1, g2} {
		if s := validate(t, g.URL(), o.Tickets[0].QR); !s.Admit {
			t.Fatalf("a partitioned gate refused a valid ticket: %+v", s)
		}
	}
	w.broker.start(t)
	uploaded(t, g1)
	uploaded(t, g2)
	alerts, err := w.svc.Alerts(context.Background(), w.admin, sales.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].TicketNumber != o.Tickets[0].Number || alerts[0].Kind != sales.AlertDuplicateAdmission {
		t.Fatalf("alerts after the partition: %+v", alerts)
	}
	adm, _ := w.srv.Store.TicketAdmissions(context.Background(), w.session.ID, o.Tickets[0].Number)
	if len(adm) != 2 {
		t.Fatalf("both admissions must be kept, got %d", len(adm))
	}
}

func TestATappedCardIsAdmittedAtTheGate(t *testing.T) {
	w := newWorld(t, embedded)
	gate := w.agent(w.device("gate", "gate"))
	o := w.sell(1)
	if _, err := w.svc.BindCard(context.Background(), w.clerk, o.Tickets[0].Number, sales.CardBinding{UID: "04:A2:2B:1A:7C:80:01"}); err != nil {
		t.Fatal(err)
	}
	w.caughtUp(gate)
	var s scan
	if code := call(t, "POST", gate.URL()+"/validate", map[string]string{"rfid": "04A22B1A7C8001"}, &s); code != 200 || !s.Admit || s.Number != o.Tickets[0].Number {
		t.Fatalf("a tapped card: %d %+v", code, s)
	}
	if code := call(t, "POST", gate.URL()+"/validate", map[string]string{"rfid": "04A22B1A7C8002"}, &s); code != 200 || s.Admit || s.Reason != "unknown_card" {
		t.Fatalf("an unknown card: %d %+v", code, s)
	}
}
