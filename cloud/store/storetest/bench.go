package storetest

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

// BenchHoldConfirmPay sells one seat per op (hold, confirm, pay cash) on
// st from parallel clerks, across as many 5,000-seat sessions as b.N
// needs: each op is three transactions, the group commit's work. 16
// clerks per CPU sell at once, so that batches form as they do under load.
func BenchHoldConfirmPay(b *testing.B, st sales.Store) {
	ctx := context.Background()
	f := NewFixture(b, st)
	m := seatmap.Grid("S1", "Stand", 50, 100)
	hall, err := f.Svc.CreateHall(ctx, f.TenantAdmin, f.Venue.ID, sales.NewHall{Code: "S1", Name: "Stand", Map: &m})
	if err != nil {
		b.Fatal(err)
	}
	const perSession = 50 * 100
	sessions := make([]int64, b.N/perSession+1)
	start := f.Session.StartsAt.Add(24 * time.Hour)
	for i := range sessions {
		ss, _ := f.AddSession(b, hall.ID, start.Add(time.Duration(i)*24*time.Hour), 4500)
		sessions[i] = ss.ID
	}
	seats, err := st.SessionSeats(ctx, sessions[0])
	if err != nil {
		b.Fatal(err)
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: sessions[i/perSession], Channel: sales.ChannelPOS,
				SeatIDs: []int64{seats[i%perSession].SeatID}})
			if err != nil {
				b.Error(err)
				return
			}
			o, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID})
			if err != nil {
				b.Error(err)
				return
			}
			if _, err := f.Svc.PayOrder(ctx, f.Clerk, o.ID, sales.PaymentRequest{Method: "cash"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
