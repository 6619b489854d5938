package storetest

import (
	"bytes"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
	wire "github.com/admitbox/admit/sync"
)

// Resident IDs with their check digits right (GB 11643's own examples and
// two made with its check digit).
const (
	docA = "11010519491231002X"
	docB = "440524188001010014"
	docD = "110105198506150014"
)

// testRealNameHolders: a real-name event names a checked document for
// every ticket; one document holds one ticket per session and at most the
// event's limit across its sessions, whatever the race; a refund frees the
// document; the holder is masked for a clerk.
func testRealNameHolders(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	plain := f.Session
	ev, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Final", Kind: "match", RealName: true, HolderLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	f.Event = ev
	day := Tomorrow(f.Clock, 9, 0).AddDate(0, 0, 1)
	var sessions []sales.Session
	for i := range 4 {
		ss, _ := f.AddSession(t, f.Hall.ID, day.Add(time.Duration(i)*3*time.Hour), 8000)
		sessions = append(sessions, ss)
	}
	seat := func(ss sales.Session, label string) int64 {
		f.Session = ss
		return f.SeatID(t, ss.ID, label)
	}
	hold := func(ss sales.Session, labels ...string) sales.Hold {
		t.Helper()
		var ids []int64
		for _, l := range labels {
			ids = append(ids, seat(ss, l))
		}
		h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: ss.ID, Channel: sales.ChannelPOS, SeatIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	holder := func(ss sales.Session, label, doc string) sales.HolderRequest {
		return sales.HolderRequest{SeatID: seat(ss, label), DocType: identity.ResidentID, DocNumber: doc, Name: "王小明"}
	}
	buy := func(h sales.Hold, hs ...sales.HolderRequest) (sales.Order, error) {
		return f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}, Holders: hs})
	}
	s1 := sessions[0]

	// Refused before anything is written: no holders, a wrong check
	// digit, one document twice, holders for an event that is not real-name.
	h := hold(s1, "B-1", "B-2")
	_, err = buy(h)
	WantError(t, err, sales.KindInvalid, "invalid_holders")
	_, err = buy(h, holder(s1, "B-1", docA), holder(s1, "B-2", docA[:17]+"1"))
	if e := WantError(t, err, sales.KindInvalid, "invalid_holders"); !strings.Contains(e.Fields[0].Field, "doc_number") || !strings.Contains(e.Fields[0].Message, "check digit") {
		t.Fatalf("a wrong check digit: %+v", e.Fields)
	}
	_, err = buy(h, holder(s1, "B-1", docA), holder(s1, "B-2", docA))
	WantError(t, err, sales.KindInvalid, "invalid_holders")
	f.Session = plain
	ph := f.Hold(t, f.Clerk, sales.ChannelPOS, "A-1")
	_, err = f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: ph.ID, Payment: &sales.PaymentRequest{Method: "cash"},
		Holders: []sales.HolderRequest{{SeatID: f.SeatID(t, plain.ID, "A-1"), DocType: identity.ResidentID, DocNumber: docA, Name: "x"}}})
	WantError(t, err, sales.KindInvalid, "")

	o, err := buy(h, holder(s1, "B-1", docA), holder(s1, "B-2", docB))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Holders) != 2 || o.Holders[0].Name != "王**" || o.Holders[0].IDKey != "" || !strings.Contains(o.Holders[0].DocMasked, "*") {
		t.Fatalf("the clerk sees holders %+v", o.Holders)
	}
	if got, _ := f.Svc.GetOrder(ctx, f.Manager, o.ID); got.Holders[0].Name != "王小明" {
		t.Fatalf("a manager sees %+v", got.Holders)
	}
	// One ticket per document per session: A again in s1 is refused, and
	// nothing of the second sale is kept.
	_, err = buy(hold(s1, "B-3"), holder(s1, "B-3", docA))
	WantError(t, err, sales.KindConflict, "holder_taken")
	if st := SeatStatus(t, f.Store, s1.ID, "B-3"); st == sales.SeatSold {
		t.Fatal("a refused holder's seat was sold")
	}
	// The event's limit: A in s2 (a second ticket) but not in s3.
	if _, err := buy(hold(sessions[1], "B-1"), holder(sessions[1], "B-1", docA)); err != nil {
		t.Fatal(err)
	}
	_, err = buy(hold(sessions[2], "B-1"), holder(sessions[2], "B-1", docA))
	WantError(t, err, sales.KindConflict, "holder_limit")
	// A refund frees the document.
	r, err := f.Svc.RequestRefund(ctx, f.Clerk, sales.RefundInput{OrderID: o.ID, Reason: "cannot come"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.DecideRefund(ctx, f.Manager, r.ID, true, "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := buy(hold(sessions[2], "B-2"), holder(sessions[2], "B-2", docA)); err != nil {
		t.Fatalf("after the refund: %v", err)
	}

	// A race: 12 buyers in each session name document D at once: one per
	// session at most, two in all (the limit).
	var wg sync.WaitGroup
	var sold atomic.Int32
	start := make(chan struct{})
	for _, ss := range sessions[:3] {
		for i := range 12 {
			h := hold(ss, "L-"+itoa(i+1))
			hr := holder(ss, "L-"+itoa(i+1), docD)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if _, err := buy(h, hr); err == nil {
					sold.Add(1)
				} else if !sales.IsKind(err, sales.KindConflict) {
					t.Errorf("a racing buyer: %v", err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if sold.Load() != 2 {
		t.Fatalf("%d tickets sold to one document with a limit of 2", sold.Load())
	}
}

// holderTags maps ticket numbers to the holder hash the venue feed gave
// them, over the whole feed.
func (f *Fixture) holderTags(t testing.TB, venueID int64) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, d := range decodeEvents[wire.TicketData](t, f.Feed(t, venueID), wire.EventTicket) {
		out[d.Number] = d.Holder
	}
	return out
}

// testHolderTagsReachGates: the gates of a real-name session get the
// tenant's holder key before the session, and every ticket's holder as
// the document hashed under it, over the feed, a card binding and a
// snapshot; another tenant's key differs; the cloud's own key is never sent.
func testHolderTagsReachGates(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	ev, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Final", Kind: "match", RealName: true})
	if err != nil {
		t.Fatal(err)
	}
	f.Event = ev
	before := f.head(t, f.Venue.ID)
	ss, _ := f.AddSession(t, f.Hall.ID, Tomorrow(f.Clock, 9, 0).AddDate(0, 0, 2), 8000)
	key := f.Svc.HolderKey(f.Tenant.ID)
	if len(key) < 16 {
		t.Fatalf("a %d-byte holder key", len(key))
	}
	added := f.after(t, f.Venue.ID, before)
	if k := kinds(added); len(k) < 2 || k[0] != wire.EventHolderKey || k[1] != wire.EventSession {
		t.Fatalf("a real-name session's feed events: %v, want the holder key first", k)
	}
	if got := decodeEvents[wire.HolderKeyData](t, added, wire.EventHolderKey)[0].Key; !bytes.Equal(got, key) {
		t.Fatal("the feed's holder key is not the tenant's")
	}
	other := f.AddTenant(t, "b", "31020203")
	if bytes.Equal(f.Svc.HolderKey(other.Tenant.ID), key) {
		t.Fatal("two tenants share a holder key")
	}

	f.Session = ss
	h := f.Hold(t, f.Clerk, sales.ChannelPOS, "C-1", "C-2")
	o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"},
		Holders: []sales.HolderRequest{
			{SeatID: f.SeatID(t, ss.ID, "C-1"), DocType: identity.ResidentID, DocNumber: docA, Name: "王小明"},
			{SeatID: f.SeatID(t, ss.ID, "C-2"), DocType: identity.ResidentID, DocNumber: docB, Name: "李华"}}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, tk := range o.Tickets {
		doc := docA
		if tk.SeatLabel == "C-2" {
			doc = docB
		}
		want[tk.Number] = identity.Document{Type: identity.ResidentID, Number: doc}.Key(key)
	}
	tags := f.holderTags(t, f.Venue.ID)
	for n, w := range want {
		if tags[n] != w {
			t.Fatalf("ticket %s reached the gates with holder %q, want the document under the tenant's key", n, tags[n])
		}
	}
	for _, oh := range o.Holders {
		if oh.GateTag != "" || oh.IDKey != "" {
			t.Fatalf("an order shows its holders' hashes: %+v", oh)
		}
	}
	// A card bound later re-sends the ticket: the holder stays.
	if _, err := f.Svc.BindCard(ctx, f.Manager, o.Tickets[0].Number, sales.CardBinding{UID: "04A1B2C3", Reason: "season card"}); err != nil {
		t.Fatal(err)
	}
	if got := f.holderTags(t, f.Venue.ID)[o.Tickets[0].Number]; got != want[o.Tickets[0].Number] {
		t.Fatalf("after a card binding the holder is %q", got)
	}
	// A snapshot: the key, then each ticket with its holder.
	_, evs, err := f.Svc.Snapshot(ctx, f.Venue.ID)
	if err != nil {
		t.Fatal(err)
	}
	keys := decodeEvents[wire.HolderKeyData](t, evs, wire.EventHolderKey)
	if len(keys) != 1 || !bytes.Equal(keys[0].Key, key) {
		t.Fatalf("the snapshot carries %d holder keys", len(keys))
	}
	for _, d := range decodeEvents[wire.TicketData](t, evs, wire.EventTicket) {
		if w, ok := want[d.Number]; ok && d.Holder != w {
			t.Fatalf("snapshot ticket %s: holder %q", d.Number, d.Holder)
		}
	}
	// The cloud's own document key (the one that finds a person across
	// tenants) is not the gates'.
	idKey, tag, err := f.Svc.DocumentKeys(ctx, f.Tenant.ID, identity.Document{Type: identity.ResidentID, Number: docA})
	if err != nil || idKey == tag || tag != want[o.Tickets[0].Number] && tag != want[o.Tickets[1].Number] {
		t.Fatalf("document keys %q %q, %v", idKey, tag, err)
	}
}

// testPublicShare: a real-name show of 5,000 seats or more keeps at most
// 15 % of its seats off public sale (reserved, held back, not for sale),
// checked in the change's transaction; a smaller show, or one that is not
// real-name, is not held to it.
func testPublicShare(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	m := seatmap.Grid("B", "Bowl", 50, 100)
	bowl, err := f.Svc.CreateHall(ctx, f.TenantAdmin, f.Venue.ID, sales.NewHall{Code: "BOWL", Name: "Bowl", Map: &m})
	if err != nil {
		t.Fatal(err)
	}
	plain := f.Event
	ev, err := f.Svc.CreateEvent(ctx, f.Manager, sales.NewEvent{Name: "Final", Kind: "match", RealName: true})
	if err != nil {
		t.Fatal(err)
	}
	f.Event = ev
	ss, _ := f.AddSession(t, bowl.ID, Tomorrow(f.Clock, 9, 0).AddDate(0, 0, 3), 8000)
	f.Event = plain
	other, _ := f.AddSession(t, bowl.ID, Tomorrow(f.Clock, 9, 0).AddDate(0, 0, 4), 8000)
	seats, err := f.Svc.SessionSeats(ctx, f.Manager, ss.ID)
	if err != nil || len(seats) != 5000 {
		t.Fatalf("%d seats, %v", len(seats), err)
	}
	ids := func(from, to int) []int64 {
		var out []int64
		for _, st := range seats[from:to] {
			out = append(out, st.SeatID)
		}
		return out
	}
	set := func(sid int64, seatIDs []int64, c sales.Category) error {
		return f.Svc.SetSeatCategory(ctx, f.Manager, sid, sales.CategoryChange{SeatIDs: seatIDs, Category: c, Reason: "sponsors"})
	}
	if err := set(ss.ID, ids(0, 500), sales.CategoryHeldBack); err != nil {
		t.Fatal(err)
	}
	if err := set(ss.ID, ids(500, 750), sales.CategoryNonSale); err != nil {
		t.Fatalf("750 of 5,000 (15 %%) kept back: %v", err)
	}
	err = set(ss.ID, ids(750, 751), sales.CategoryHeldBack)
	WantError(t, err, sales.KindConflict, "public_share")
	if got, _ := f.Svc.SessionSeats(ctx, f.Manager, ss.ID); got[750].Category != sales.CategorySellable {
		t.Fatalf("the refused change left seat 751 %s", got[750].Category)
	}
	// Releasing one makes room for another.
	if err := set(ss.ID, ids(0, 1), sales.CategorySellable); err != nil {
		t.Fatal(err)
	}
	if err := set(ss.ID, ids(750, 751), sales.CategoryHeldBack); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	// The same share at a show that is not real-name is the organiser's call.
	if err := set(other.ID, ids(0, 1000), sales.CategoryHeldBack); err != nil {
		t.Fatalf("a show that is not real-name: %v", err)
	}
}
