package e2e

import (
	"context"
	"testing"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

func TestPOSListsSessionsWithSeatMapsAndGatesKeepToTheirZones(t *testing.T) {
	w := newWorld(t, embedded)
	ctx := context.Background()
	// A VIP box admitting only through the vip entrance.
	m := seatmap.Grid("V", "VIP box", 2, 5)
	h, err := w.svc.CreateHall(ctx, w.admin, w.venue.ID, sales.NewHall{Code: "VIP", Name: "VIP box", Map: &m})
	w.must(err)
	vip, err := w.svc.CreateSession(ctx, w.admin, sales.NewSession{HallID: h.ID, EventID: w.session.EventID, StartsAt: w.session.StartsAt,
		EndsAt: w.session.EndsAt, MinPriceCents: 1000, Zones: []string{"vip"}})
	w.must(err)
	_, err = w.svc.SetPrices(ctx, w.admin, vip.ID, []sales.PriceTier{{Name: "VIP", PriceCents: 20000}})
	w.must(err)
	seats, err := w.svc.SessionSeats(ctx, w.clerk, vip.ID)
	w.must(err)
	hd, err := w.svc.HoldSeats(ctx, w.clerk, sales.HoldRequest{SessionID: vip.ID, Channel: sales.ChannelPOS, SeatIDs: []int64{seats[0].SeatID}})
	w.must(err)
	o, err := w.svc.ConfirmOrder(ctx, w.clerk, sales.OrderRequest{HoldID: hd.ID})
	w.must(err)
	o, err = w.svc.PayOrder(ctx, w.clerk, o.ID, sales.PaymentRequest{Method: "cash"})
	w.must(err)

	general := w.agent(w.deviceInZone("gate", "general-gate", "general"))
	vipGate := w.agent(w.deviceInZone("gate", "vip-gate", "vip"))
	pos := w.agent(w.device("pos", "pos"))
	w.caughtUp(general)
	w.caughtUp(vipGate)
	w.caughtUp(pos)

	if s := validate(t, general.URL(), o.Tickets[0].QR); s.Admit || s.Reason != "wrong_zone" {
		t.Fatalf("a VIP ticket at the general entrance: %+v", s)
	}
	if s := validate(t, vipGate.URL(), o.Tickets[0].QR); !s.Admit {
		t.Fatalf("a VIP ticket at the VIP entrance: %+v", s)
	}

	var list []struct {
		ID      int64    `json:"id"`
		Zones   []string `json:"zones"`
		SeatMap *struct {
			Total, Available int
			Seats            string
		} `json:"seat_map"`
	}
	if code := call(t, "GET", pos.URL()+"/sessions", nil, &list); code != 200 || len(list) != 2 {
		t.Fatalf("the POS lists %d sessions (%d)", len(list), code)
	}
	for _, s := range list {
		if s.SeatMap == nil || len(s.SeatMap.Seats) != s.SeatMap.Total {
			t.Fatalf("session %d has no usable seat map on the POS: %+v", s.ID, s.SeatMap)
		}
		if s.ID == vip.ID && (len(s.Zones) != 1 || s.Zones[0] != "vip" || s.SeatMap.Total != 10) {
			t.Fatalf("the VIP session on the POS: %+v", s)
		}
	}
}
