package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/storetest"
)

// A booth's pickup: the clerk checks the buyer's ID card and finds the
// orders naming that document, in the clerk's venues, and no one else's.
func TestABoothFindsAHoldersOrdersByTheDocumentItChecked(t *testing.T) {
	w := newWorld(t)
	tw := w.a
	var ev sales.Event
	w.ok(w.call(tw.admin, "POST", "/api/v1/events", sales.NewEvent{Name: "Final", Kind: "match", RealName: true}), &ev)
	var ss sales.Session
	start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	w.ok(w.call(tw.admin, "POST", "/api/v1/sessions", sales.NewSession{HallID: tw.hallX, EventID: ev.ID, StartsAt: start, EndsAt: start.Add(2 * time.Hour), MinPriceCents: 3000}), &ss)
	w.ok(w.call(tw.admin, "PUT", fmt.Sprintf("/api/v1/sessions/%d/prices", ss.ID), map[string]any{"tiers": []sales.PriceTier{{Name: "Standard", PriceCents: 4500}}}), nil)
	var h sales.Hold
	w.ok(w.call(tw.clerk, "POST", "/api/v1/holds", sales.HoldRequest{SessionID: ss.ID, Channel: "pos", Count: 2}), &h)
	a, b := storetest.ResidentID(11), storetest.ResidentID(12)
	var o sales.Order
	w.ok(w.call(tw.clerk, "POST", "/api/v1/orders", sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}, Holders: []sales.HolderRequest{
		{SeatID: h.Seats[0].SeatID, DocType: identity.ResidentID, DocNumber: a, Name: "张三"},
		{SeatID: h.Seats[1].SeatID, DocType: identity.ResidentID, DocNumber: b, Name: "李四"}}}), &o)

	find := func(token, number string) reply {
		return w.call(token, "POST", "/api/v1/orders/by-holder", sales.HolderLookup{DocType: identity.ResidentID, DocNumber: number})
	}
	var got []sales.Order
	w.ok(find(tw.clerk, a), &got)
	if len(got) != 1 || got[0].ID != o.ID || len(got[0].Tickets) != 2 {
		t.Fatalf("the holder's orders: %+v", got)
	}
	w.ok(find(tw.clerk, storetest.ResidentID(13)), &got)
	if len(got) != 0 {
		t.Fatalf("a document naming no ticket found %d orders", len(got))
	}
	if r := find(tw.clerk, "110105199001010000"); r.status != http.StatusBadRequest || r.errorCode() != "invalid_document" {
		t.Fatalf("a mistyped document: %d %s", r.status, r.body)
	}
	for name, tok := range map[string]string{"another tenant's clerk": w.b.clerk, "a clerk of another venue": tw.clerkY} {
		w.ok(find(tok, a), &got)
		if len(got) != 0 {
			t.Fatalf("%s found the holder's order", name)
		}
	}
	if r := find(tw.auditor, a); r.status != http.StatusForbidden {
		t.Fatalf("an auditor looks a person up: %d", r.status)
	}
}
