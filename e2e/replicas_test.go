package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/storetest"
	"github.com/admitbox/admit/edge/enroll"
	"github.com/admitbox/admit/internal/pgtest"
)

// eventually polls cond until it holds, failing the test after a bound
// far above what it asserts (a replica's caches follow the store within
// a second).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestAnyReplicaAnswersAnyRequest: two cloud processes on one store and
// Mosquitto. A gate enrolls through the second; a sale made on the second
// reaches the gate's cache and the first's seat map and dashboard; the
// gate's admission, uploaded through the shared subscription, is stored
// once.
func TestAnyReplicaAnswersAnyRequest(t *testing.T) {
	testAnyReplica(t, "")
}

// TestAnyReplicaOnPostgreSQLAnswersAnyRequest: the same on PostgreSQL.
func TestAnyReplicaOnPostgreSQLAnswersAnyRequest(t *testing.T) {
	dsn, _, _ := pgtest.Schema(t)
	testAnyReplica(t, dsn)
}

func testAnyReplica(t *testing.T, db string) {
	data := t.TempDir()
	w := newWorldWith(t, mosquitto, func(c *server.Config) { c.DataDir, c.DB = data, db })
	ctx := context.Background()
	other, err := server.Start(ctx, server.Config{DataDir: data, DB: db, Listen: "127.0.0.1:0", MQTTURL: w.srv.MQTTURL,
		Passwords: auth.PasswordParams{Time: 1, MemoryKiB: 64, Threads: 1}, Logger: testLogger("other")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })

	// Enrolled through the second replica.
	_, code, err := w.svc.RegisterDevice(ctx, w.admin, w.venue.ID, sales.NewDevice{Role: "gate", Name: "east-gate"})
	w.must(err)
	c, err := enroll.Enroll(ctx, other.URL, code, nil)
	w.must(err)
	dir := filepath.Join(t.TempDir(), "east-gate")
	w.must(enroll.Save(dir, c))
	gate := w.agent(dir)

	// Sold on the second replica.
	seat := w.seats[0]
	h, err := other.Svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: w.session.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seat.SeatID}})
	w.must(err)
	o, err := other.Svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}})
	w.must(err)

	w.caughtUp(gate) // the gate has the ticket
	eventually(t, "the first replica's seat map shows the sale", func() bool {
		b, err := w.svc.AvailabilityJSON(ctx, w.clerk, w.session.ID)
		return err == nil && storetest.DecodeAvailability(t, b).Seats[seat.Ord] == 'S'
	})
	mgr := w.token("manager")
	eventually(t, "the first replica's dashboard counts the sale", func() bool {
		_, d := w.dashboardAs(mgr)
		return len(d.Sessions) == 1 && d.Sessions[0].Sold == 1
	})

	// The gate admits; one of the replicas stores the admission, once.
	if s := validate(t, gate.URL(), o.Tickets[0].QR); !s.Admit {
		t.Fatalf("admit: %+v", s)
	}
	uploaded(t, gate)
	adm, err := w.srv.Store.TicketAdmissions(ctx, w.session.ID, o.Tickets[0].Number)
	if err != nil || len(adm) != 1 {
		t.Fatalf("admissions of the ticket: %+v %v", adm, err)
	}
}
