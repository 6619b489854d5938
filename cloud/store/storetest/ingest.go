package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/ticket"
	wire "github.com/admitbox/admit/sync"
)

func fact(device string, seq uint64, kind string, at time.Time, data any) wire.Fact {
	b, err := json.Marshal(data)
	if err != nil {
		panic(err)
	}
	return wire.Fact{Device: device, Seq: seq, ID: fmt.Sprintf("%s-%d", device, seq), Kind: kind, At: at, Data: b}
}

func admission(device string, seq uint64, number string, sessionID int64, at time.Time) wire.Fact {
	return fact(device, seq, wire.FactAdmission, at, wire.AdmissionFact{Number: number, SessionID: sessionID})
}

func exit(device string, seq uint64, number string, sessionID int64, at time.Time) wire.Fact {
	return fact(device, seq, wire.FactExit, at, wire.AdmissionFact{Number: number, SessionID: sessionID})
}

func heartbeat(device string, seq uint64, at time.Time) wire.Fact {
	return fact(device, seq, wire.FactHeartbeat, at, wire.Heartbeat{FeedSeq: 12, FeedLag: 1, OutboxDepth: 3, CacheTickets: 240,
		Status: map[string]string{"printer": "ok", "scanner": "ok"}})
}

func (f *Fixture) admissions(t testing.TB, sessionID int64, number string) []sales.Admission {
	t.Helper()
	as, err := f.Store.TicketAdmissions(ctx, sessionID, number)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func (f *Fixture) alerts(t testing.TB, p sales.Principal) []sales.Alert {
	t.Helper()
	as, err := f.Svc.Alerts(ctx, p, sales.AlertFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func testIngestIdempotent(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	o := f.Buy(t, f.Clerk, "A-1", "A-2", "A-3")
	n1, n2, n3 := o.Tickets[0].Number, o.Tickets[1].Number, o.Tickets[2].Number
	gate, _ := f.Device(t, "gate", "Gate 1")
	at := f.Clock.Now()
	sid := f.Session.ID
	withID := func(x wire.Fact, id string) wire.Fact { x.ID = id; return x }
	withData := func(x wire.Fact, data string) wire.Fact { x.Data = json.RawMessage(data); return x }

	type want struct {
		ack        uint64
		admissions map[string]int // ticket -> admissions recorded so far
	}
	steps := []struct {
		name  string
		facts []wire.Fact
		want  want
	}{
		{"a first batch is stored and acknowledged", []wire.Fact{heartbeat(gate.ID, 1, at), admission(gate.ID, 2, n1, sid, at)},
			want{2, map[string]int{n1: 1}}},
		{"the same batch again changes nothing and gets the same ack", []wire.Fact{heartbeat(gate.ID, 1, at), admission(gate.ID, 2, n1, sid, at)},
			want{2, map[string]int{n1: 1}}},
		{"a fact beyond a gap is stored but not acknowledged", []wire.Fact{admission(gate.ID, 4, n2, sid, at)},
			want{2, map[string]int{n1: 1, n2: 1}}},
		{"filling the gap acknowledges up to the stored fact after it", []wire.Fact{admission(gate.ID, 3, n3, sid, at)},
			want{4, map[string]int{n1: 1, n2: 1, n3: 1}}},
		{"a resent seq with other content is skipped: the first write wins", []wire.Fact{admission(gate.ID, 3, n1, sid, at.Add(time.Minute))},
			want{4, map[string]int{n1: 1, n2: 1, n3: 1}}},
		{"a fact id stored before under another seq is skipped but acknowledged", []wire.Fact{withID(admission(gate.ID, 5, n1, sid, at), gate.ID+"-2")},
			want{5, map[string]int{n1: 1}}},
		{"invalid facts are skipped but acknowledged", []wire.Fact{
			fact(gate.ID, 6, "teleport", at, map[string]string{}),
			withData(admission(gate.ID, 7, n1, sid, at), `{"number":"`+n1+`","session_id":1,"extra":true}`),
			admission(gate.ID, 8, "1234", sid, at),
			admission(gate.ID, 9, ticket.FormatNumber("31020202", at, 1), sid, at),
			admission(gate.ID, 10, n1, 987654, at),
			withData(admission(gate.ID, 11, n1, sid, at), `[1,2]`),
			withData(admission(gate.ID, 12, n1, sid, at), `{"number":"`+n1+`","session_id":1} {}`),
			withID(admission(gate.ID, 13, n1, sid, at), ""),
		}, want{13, map[string]int{n1: 1}}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			ack, err := f.Svc.IngestFacts(ctx, gate.ID, st.facts)
			if err != nil {
				t.Fatal(err)
			}
			if ack != st.want.ack {
				t.Errorf("ack %d, want %d", ack, st.want.ack)
			}
			for n, c := range st.want.admissions {
				if got := len(f.admissions(t, sid, n)); got != c {
					t.Errorf("ticket %s has %d admissions, want %d", n, got, c)
				}
			}
		})
	}

	t.Run("out of order from the start: seq 3 first acks 0, then 1-2 ack 3", func(t *testing.T) {
		g2, _ := f.Device(t, "gate", "Gate 2")
		for _, c := range []struct {
			seqs []uint64
			ack  uint64
		}{{[]uint64{3}, 0}, {[]uint64{1, 2}, 3}, {[]uint64{2, 1, 3}, 3}} {
			var fs []wire.Fact
			for _, s := range c.seqs {
				fs = append(fs, heartbeat(g2.ID, s, at))
			}
			ack, err := f.Svc.IngestFacts(ctx, g2.ID, fs)
			if err != nil || ack != c.ack {
				t.Errorf("after seqs %v: ack %d, %v; want %d", c.seqs, ack, err, c.ack)
			}
		}
	})

	t.Run("uploads that are not the device's own are refused whole", func(t *testing.T) {
		g3, _ := f.Device(t, "gate", "Gate 3")
		revoked, _ := f.Device(t, "gate", "Gate 4")
		if _, err := f.Svc.RevokeDevice(ctx, f.TenantAdmin, revoked.ID, "lost"); err != nil {
			t.Fatal(err)
		}
		pending, _, err := f.Svc.RegisterDevice(ctx, f.TenantAdmin, f.Venue.ID, sales.NewDevice{Role: "gate", Name: "Gate 5"})
		if err != nil {
			t.Fatal(err)
		}
		headBefore := f.head(t, f.Venue.ID)
		for _, c := range []struct {
			name   string
			device string
			facts  []wire.Fact
		}{
			{"a fact claiming another device", g3.ID, []wire.Fact{admission(g3.ID, 1, n2, sid, at), admission(gate.ID, 14, n2, sid, at)}},
			{"a revoked device", revoked.ID, []wire.Fact{admission(revoked.ID, 1, n2, sid, at)}},
			{"a device never enrolled", pending.ID, []wire.Fact{admission(pending.ID, 1, n2, sid, at)}},
			{"an unknown device", "dev-unknown000", []wire.Fact{admission("dev-unknown000", 1, n2, sid, at)}},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.Svc.IngestFacts(ctx, c.device, c.facts)
				WantError(t, err, sales.KindForbidden, "")
			})
		}
		if got := len(f.admissions(t, sid, n2)); got != 1 {
			t.Errorf("refused uploads recorded admissions: %d", got)
		}
		if ack, err := f.Svc.IngestFacts(ctx, g3.ID, nil); err != nil || ack != 0 {
			t.Errorf("the refused upload moved the cursor to %d, %v", ack, err)
		}
		if h := f.head(t, f.Venue.ID); h != headBefore {
			t.Errorf("refused uploads moved the feed from %d to %d", headBefore, h)
		}
	})

	t.Run("a heartbeat records the device's state and when it was seen", func(t *testing.T) {
		f.Clock.Advance(time.Minute)
		if _, err := f.Svc.IngestFacts(ctx, gate.ID, []wire.Fact{heartbeat(gate.ID, 14, f.Clock.Now())}); err != nil {
			t.Fatal(err)
		}
		d, err := f.Svc.GetDevice(ctx, f.Manager, gate.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"feed_seq": "12", "feed_lag": "1", "outbox_depth": "3", "cache_tickets": "240", "printer": "ok", "scanner": "ok"}
		if fmt.Sprint(d.State) != fmt.Sprint(want) {
			t.Errorf("state %v, want %v", d.State, want)
		}
		if d.LastSeen == nil || !d.LastSeen.Equal(f.Clock.Now().UTC().Truncate(time.Millisecond)) {
			t.Errorf("last seen %v, want %v", d.LastSeen, f.Clock.Now())
		}
		// Any fact, even an invalid one, counts as being heard from.
		f.Clock.Advance(time.Minute)
		if _, err := f.Svc.IngestFacts(ctx, gate.ID, []wire.Fact{fact(gate.ID, 15, "bogus", f.Clock.Now(), map[string]int{})}); err != nil {
			t.Fatal(err)
		}
		d, _ = f.Svc.GetDevice(ctx, f.Manager, gate.ID)
		if d.LastSeen == nil || !d.LastSeen.Equal(f.Clock.Now().UTC().Truncate(time.Millisecond)) || d.State["feed_seq"] != "12" {
			t.Errorf("after an invalid fact: last seen %v, state %v", d.LastSeen, d.State)
		}
	})
}

func testPassback(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	other := f.AddTenant(t, "b", "31020202")
	g1, _ := f.Device(t, "gate", "Gate 1")
	g2, _ := f.Device(t, "gate", "Gate 2")
	again, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 13, 0), 4000)
	reentry, err := f.Svc.CreateSession(ctx, f.Manager, sales.NewSession{HallID: f.Hall.ID, EventID: f.Event.ID,
		StartsAt: Tomorrow(f.Clock, 9, 0), EndsAt: Tomorrow(f.Clock, 11, 0), MinPriceCents: 3000, Reentry: sales.ReentryAfterExit})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.SetPrices(ctx, f.Manager, reentry.ID, []sales.PriceTier{{Name: "Standard", PriceCents: 4000}}); err != nil {
		t.Fatal(err)
	}
	buy := func(sessionID int64, label string) string {
		h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: sessionID, Channel: sales.ChannelPOS, SeatIDs: []int64{f.SeatID(t, sessionID, label)}})
		if err != nil {
			t.Fatal(err)
		}
		return f.ConfirmAndPay(t, f.Clerk, h, sales.PaymentRequest{Method: "cash"}).Tickets[0].Number
	}
	t0 := Tomorrow(f.Clock, 19, 0)
	seqs := map[string]uint64{}
	next := func(dev string) uint64 { seqs[dev]++; return seqs[dev] }
	in := func(dev string, number string, sid int64, min int) []wire.Fact {
		return []wire.Fact{admission(dev, next(dev), number, sid, t0.Add(time.Duration(min)*time.Minute))}
	}
	out := func(dev string, number string, sid int64, min int) []wire.Fact {
		return []wire.Fact{exit(dev, next(dev), number, sid, t0.Add(time.Duration(min)*time.Minute))}
	}
	type upload struct {
		dev   string
		facts []wire.Fact
	}

	for _, c := range []struct {
		name       string
		session    int64
		label      string
		uploads    func(n string, sid int64) []upload
		admissions int
		alerts     int
	}{
		{"two gates admitting the same ticket keep both admissions and raise one alert", f.Session.ID, "A-1",
			func(n string, sid int64) []upload {
				return []upload{{g1.ID, in(g1.ID, n, sid, 0)}, {g2.ID, in(g2.ID, n, sid, 2)}}
			}, 2, 1},
		{"the same, uploaded in the opposite order of time, raises one alert", f.Session.ID, "A-2",
			func(n string, sid int64) []upload {
				return []upload{{g1.ID, in(g1.ID, n, sid, 5)}, {g2.ID, in(g2.ID, n, sid, 1)}}
			}, 2, 1},
		{"an exit then re-entry on an after_exit session raises no alert", reentry.ID, "A-1",
			func(n string, sid int64) []upload {
				return []upload{{g1.ID, in(g1.ID, n, sid, 0)}, {g1.ID, out(g1.ID, n, sid, 30)}, {g2.ID, in(g2.ID, n, sid, 45)}}
			}, 3, 0},
		{"an exit uploaded late still separates entries on an after_exit session", reentry.ID, "A-2",
			func(n string, sid int64) []upload {
				return []upload{{g1.ID, in(g1.ID, n, sid, 0)}, {g2.ID, in(g2.ID, n, sid, 45)}, {g1.ID, out(g1.ID, n, sid, 30)}}
			}, 3, 1}, // the alert raised before the exit arrived stays: staff look at it
		{"a second entry after an exit on a session without re-entry raises an alert", again.ID, "A-1",
			func(n string, sid int64) []upload {
				return []upload{{g1.ID, in(g1.ID, n, sid, 0)}, {g1.ID, out(g1.ID, n, sid, 30)}, {g2.ID, in(g2.ID, n, sid, 45)}}
			}, 3, 1},
		{"one entry raises nothing", again.ID, "A-2",
			func(n string, sid int64) []upload { return []upload{{g2.ID, in(g2.ID, n, sid, 0)}} }, 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := buy(c.session, c.label)
			alertsBefore := len(f.alerts(t, f.TenantAdmin))
			headBefore := f.head(t, f.Venue.ID)
			var facts int
			for _, u := range c.uploads(n, c.session) {
				if _, err := f.Svc.IngestFacts(ctx, u.dev, u.facts); err != nil {
					t.Fatal(err)
				}
				facts += len(u.facts)
			}
			if got := len(f.admissions(t, c.session, n)); got != c.admissions {
				t.Errorf("%d admissions kept, want %d", got, c.admissions)
			}
			as := f.alerts(t, f.TenantAdmin)
			if got := len(as) - alertsBefore; got != c.alerts {
				t.Fatalf("%d alerts raised, want %d: %+v", got, c.alerts, as)
			}
			if c.alerts > 0 {
				a := as[0]
				if a.Kind != sales.AlertDuplicateAdmission || a.TicketNumber != n || a.VenueID != f.Venue.ID ||
					!strings.Contains(a.Detail, g1.ID) || !strings.Contains(a.Detail, g2.ID) {
					t.Errorf("alert %+v", a)
				}
			}
			evs := f.after(t, f.Venue.ID, headBefore)
			ads := decodeEvents[wire.AdmissionData](t, evs, wire.EventAdmission)
			if len(ads) != facts || len(evs) != facts {
				t.Errorf("the feed got %v for %d accepted admissions and exits", kinds(evs), facts)
			}
		})
	}

	t.Run("alerts are walled off by tenant and venue", func(t *testing.T) {
		all := len(f.alerts(t, f.TenantAdmin))
		for _, c := range []struct {
			name string
			p    sales.Principal
			want int
		}{
			{"the tenant admin sees them", f.TenantAdmin, all},
			{"the venue's manager sees them", f.Manager, all},
			{"the venue's gate staff see them", f.Gate, all},
			{"another tenant's admin sees none", other.TenantAdmin, 0},
			{"another tenant's manager sees none", other.Manager, 0},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := len(f.alerts(t, c.p)); got != c.want {
					t.Errorf("%d alerts, want %d", got, c.want)
				}
			})
		}
		if all == 0 {
			t.Fatal("no alerts to wall off")
		}
	})
}

// testUnconfirmedAdmission: an entry a gate recovered after a crash, with
// no counter to confirm it, counts as an entry and raises an alert; it is
// not a duplicate admission.
func testUnconfirmedAdmission(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	o := f.Buy(t, f.Clerk, "A-1")
	n := o.Tickets[0].Number
	gate, _ := f.Device(t, "gate", "Gate 1")
	at := f.Clock.Now()
	fa := fact(gate.ID, 1, wire.FactAdmission, at, wire.AdmissionFact{Number: n, SessionID: f.Session.ID, Unconfirmed: true})
	if ack, err := f.Svc.IngestFacts(ctx, gate.ID, []wire.Fact{fa}); err != nil || ack != 1 {
		t.Fatalf("ack %d, %v", ack, err)
	}
	if as := f.admissions(t, f.Session.ID, n); len(as) != 1 {
		t.Fatalf("admissions %+v", as)
	}
	as := f.alerts(t, f.Manager)
	if len(as) != 1 || as[0].Kind != sales.AlertUnconfirmedAdmission || as[0].TicketNumber != n {
		t.Fatalf("alerts %+v", as)
	}
	d, err := f.Svc.Dashboard(ctx, f.Manager, f.Venue.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.Anomalies.DuplicateAdmissions != 0 || len(d.Anomalies.Recent) == 0 || d.Anomalies.Recent[0].Kind != sales.AlertUnconfirmedAdmission {
		t.Fatalf("anomalies %+v", d.Anomalies)
	}
}
