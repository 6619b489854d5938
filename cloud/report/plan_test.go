package report

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
)

// facts is the planner's lookup, as tables: Plan is pure and its only
// boundary is this interface.
type facts map[int64]SessionFacts

func (f facts) SessionFacts(_ context.Context, _, id int64) (SessionFacts, error) {
	x, ok := f[id]
	if !ok {
		return SessionFacts{}, errors.New("no such session")
	}
	return x, nil
}

var halls = map[int64]HallFacts{
	3: {CinemaCode: "31000001", HallCode: "H1", Name: "Hall 1", Films: true, Seats: []wire.HallSeat{{Code: "101", Section: "A", Row: "1", Col: "1", Type: "standard"}}},
	4: {CinemaCode: "31000001", HallCode: "ARENA", Name: "Arena", Films: false, Seats: []wire.HallSeat{{Code: "5", Section: "S", Row: "1", Col: "1", Type: "standard"}}},
}

func (f facts) Venues(context.Context) ([]VenueFacts, error) { return nil, nil }

func (f facts) DayFigures(context.Context, int64, int64, string) ([]sales.SessionFigures, error) {
	return nil, nil
}

func (f facts) VenueHalls(context.Context, int64, int64) ([]int64, error) { return nil, nil }

func (f facts) VenueSessions(context.Context, int64, int64, string) ([]int64, error) { return nil, nil }

func (f facts) HallFacts(_ context.Context, _, id int64) (HallFacts, error) {
	x, ok := halls[id]
	if !ok {
		return HallFacts{}, errors.New("no such hall")
	}
	return x, nil
}

func entry(t *testing.T, id int64, kind string, v any) OutboxEntry {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return OutboxEntry{ID: id, TenantID: 1, VenueID: 2, Kind: kind, Payload: b, At: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
}

func TestPlanReportsFilmTicketsOnceEachWithStableSerials(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Date(2026, 12, 5, 19, 30, 0, 0, sh)
	f := facts{
		7: {Film: true, CinemaCode: "31000001", Location: sh, HallCode: "H1", FilmCode: "001X02212023", SessionCode: "7", StartsAt: start, BusinessDate: "2026-12-05"},
		8: {Film: false, CinemaCode: "31000001", Location: sh, SessionCode: "8", StartsAt: start, BusinessDate: "2026-12-05"},
	}
	soldAt := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC) // 11:00 in Shanghai, the session's day
	early := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC) // 23:00 on the day before: a presale
	entries := []OutboxEntry{
		entry(t, 10, "key.added", map[string]any{"id": 1}),
		entry(t, 11, "tickets.issued", sales.TicketsIssued{OrderID: 1, Tickets: []sales.TicketFact{
			{Number: "N1", SessionID: 7, SeatID: 101, PriceCents: 4500, Channel: sales.ChannelPOS, At: soldAt},
			{Number: "N2", SessionID: 7, SeatID: 102, PriceCents: 4500, Channel: sales.ChannelWeb, At: early},
			{Number: "M1", SessionID: 8, SeatID: 5, PriceCents: 9000, Channel: sales.ChannelPOS, At: soldAt},
		}}),
		entry(t, 12, "tickets.revoked", sales.TicketsRevoked{RefundID: 1, OrderID: 1, Tickets: []sales.TicketFact{
			{Number: "N1", SessionID: 7, SeatID: 101, PriceCents: 4500, Channel: sales.ChannelPOS, At: soldAt.Add(time.Hour)},
		}}),
	}
	rs, err := Plan(context.Background(), entries, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d reports; want the film's two sales and one refund", len(rs))
	}
	want := []struct{ serial, key, op string }{{"T11-0", "N1", wire.OpSale}, {"T11-1", "N2", wire.OpPresale}, {"T12-0", "N1", wire.OpRefund}}
	for i, w := range want {
		var rec wire.TicketRecord
		if err := json.Unmarshal(rs[i].Body, &rec); err != nil {
			t.Fatal(err)
		}
		if rs[i].Serial != w.serial || rs[i].Key != w.key || rec.Operation != w.op || rs[i].State != StatePending {
			t.Errorf("report %d: %s %s %s %s; want %v", i, rs[i].Serial, rs[i].Key, rec.Operation, rs[i].State, w)
		}
		if err := rec.Validate(); err != nil {
			t.Errorf("report %d is not a valid record: %v", i, err)
		}
	}
	var web wire.TicketRecord
	json.Unmarshal(rs[1].Body, &web)
	if !web.Network || web.Seat != "102" || web.Film != "001X02212023" || web.Hall != "H1" || web.Session != "7" {
		t.Errorf("the web presale: %+v", web)
	}
	again, _ := Plan(context.Background(), entries, f)
	for i := range rs {
		if again[i].Serial != rs[i].Serial || string(again[i].Body) != string(rs[i].Body) {
			t.Fatalf("planning twice gave %s, then %s", rs[i].Serial, again[i].Serial)
		}
	}
	if _, err := Plan(context.Background(), []OutboxEntry{entry(t, 13, "tickets.issued", sales.TicketsIssued{Tickets: []sales.TicketFact{{SessionID: 99}}})}, f); err == nil {
		t.Fatal("a ticket of an unknown session was planned")
	}
	if _, err := Plan(context.Background(), []OutboxEntry{{ID: 14, Kind: "tickets.issued", Payload: []byte(`{"tickets":`)}}, f); err == nil {
		t.Fatal("a broken outbox payload was planned")
	}
}

func TestPlanReportsFilmHallsAndPlanChangesWithinTheirOwnOrder(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Date(2026, 12, 5, 19, 30, 0, 0, sh)
	f := facts{
		7: {Film: true, CinemaCode: "31000001", Location: sh, HallID: 3, HallCode: "H1", FilmCode: "001X02212023", SessionCode: "7", StartsAt: start,
			EndsAt: start.Add(2 * time.Hour), BusinessDate: "2026-12-05", MinCents: 2000, StandardCents: 6000},
		8: {Film: false, CinemaCode: "31000001", Location: sh, HallID: 4, HallCode: "ARENA", SessionCode: "8", StartsAt: start, BusinessDate: "2026-12-05"},
	}
	rs, err := Plan(context.Background(), []OutboxEntry{
		entry(t, 20, "catalog.changed", sales.CatalogChange{Action: "session.create", SessionID: 7}),
		entry(t, 21, "catalog.changed", sales.CatalogChange{Action: "prices.set", SessionID: 7}),
		entry(t, 22, "catalog.changed", sales.CatalogChange{Action: "session.cancel", SessionID: 7}),
		entry(t, 23, "catalog.changed", sales.CatalogChange{Action: "session.create", SessionID: 8}), // a match
		entry(t, 24, "catalog.changed", sales.CatalogChange{Action: "seatmap.import", HallID: 3}),
		entry(t, 25, "catalog.changed", sales.CatalogChange{Action: "seatmap.import", HallID: 4}), // screens no film
	}, f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		b, err := bodyOf(r)
		if err != nil {
			t.Fatalf("%s: %v", r.Serial, err)
		}
		op := ""
		if p, ok := b.(*wire.PlanReport); ok {
			op = p.Sessions[0].Operation
			if p.Sessions[0].StandardCents != 6000 || p.Sessions[0].MinCents != 2000 || !p.Sessions[0].Seated {
				t.Errorf("plan entry %+v", p.Sessions[0])
			}
		}
		got = append(got, r.Serial+" "+string(r.Interface)+" "+r.Key+" "+op)
	}
	want := []string{"C20-1 hall-seats hall:3 ", "C20-0 plans session:7 create", "C21-0 plans session:7 update", "C22-0 plans session:7 delete", "C24-0 hall-seats hall:3 "}
	if len(got) != len(want) {
		t.Fatalf("planned %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("planned %q, want %q", got, want)
		}
	}
}

// bodyOf decodes and validates a report's body as its interface's.
func bodyOf(r Report) (wire.Body, error) {
	b, err := wire.NewBody(r.Interface)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(r.Body, b); err != nil {
		return nil, err
	}
	return b, b.Validate()
}

func TestPlanDayReportsEachFilmSessionsFiguresOnce(t *testing.T) {
	sh, _ := time.LoadLocation("Asia/Shanghai")
	start := time.Date(2026, 12, 5, 19, 30, 0, 0, sh)
	f := facts{
		7: {Film: true, CinemaCode: "31000001", Location: sh, HallID: 3, HallCode: "H1", FilmCode: "001X02212023", SessionCode: "7", StartsAt: start, BusinessDate: "2026-12-05"},
		8: {Film: false, CinemaCode: "31000001", Location: sh, SessionCode: "8", StartsAt: start, BusinessDate: "2026-12-05"},
	}
	v := VenueFacts{ID: 2, TenantID: 1, Code: "31000001", Location: sh, DayStart: 360}
	// 05:59 on the 6th in Shanghai still belongs to the 5th's business day.
	if d := v.BusinessDate(time.Date(2026, 12, 6, 5, 59, 0, 0, sh)); d != "2026-12-05" {
		t.Fatalf("business date at 05:59: %s", d)
	}
	figs := []sales.SessionFigures{{SessionID: 7, LocalSold: 5, LocalRefunded: 1, LocalSoldCents: 22500, LocalRefundedCents: 4500, NetworkSold: 2, NetworkSoldCents: 9000},
		{SessionID: 8, LocalSold: 100}}
	at := time.Date(2026, 12, 6, 7, 0, 0, 0, sh)
	rs, err := PlanDay(context.Background(), v, "2026-12-05", figs, nil, f, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Serial != "D2-20261205-7" || rs[0].Interface != wire.DailyStats {
		t.Fatalf("planned %+v; want the film session's statistics once", rs)
	}
	b, err := bodyOf(rs[0])
	if err != nil {
		t.Fatal(err)
	}
	st := b.(*wire.SessionStats)
	if st.LocalSold != 5 || st.LocalRefunded != 1 || st.LocalSoldCents != 22500 || st.NetworkSold != 2 || st.NetworkSoldCents != 9000 || st.Film != "001X02212023" {
		t.Fatalf("statistics %+v", st)
	}
}
