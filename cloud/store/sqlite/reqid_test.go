package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/storetest"
	"github.com/admitbox/admit/internal/reqid"
)

// A sale made under a request id leaves that id on its audit entries and
// on the feed events it produced, and nowhere else.
func TestTheRequestIDFollowsTheSaleIntoAuditAndFeed(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "admit.db"))
	f := storetest.NewFixture(t, st)
	all := `SELECT COUNT(*) FROM feed`
	withID := func(table string) int {
		return count(t, st, `SELECT COUNT(*) FROM `+table+` WHERE request_id = ?`, "req-sale-42")
	}
	feedBefore, auditBefore := count(t, st, all), f.AuditSeq(t)
	ctx := reqid.With(context.Background(), "req-sale-42")
	seats := f.SeatIDs(t, "B-1", "B-2")
	h, err := f.Svc.HoldSeats(ctx, f.Clerk, sales.HoldRequest{SessionID: f.Session.ID, Channel: sales.ChannelPOS, SeatIDs: seats})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Svc.ConfirmOrder(ctx, f.Clerk, sales.OrderRequest{HoldID: h.ID, Payment: &sales.PaymentRequest{Method: "cash"}}); err != nil {
		t.Fatal(err)
	}
	fed, tagged := count(t, st, all), withID("feed")
	if tagged == 0 || tagged != fed-feedBefore {
		t.Fatalf("%d feed events, %d with the request id", fed-feedBefore, tagged)
	}
	audited, auditTagged := f.AuditSeq(t)-auditBefore, int64(withID("audit_log"))
	if audited == 0 || auditTagged != audited {
		t.Fatalf("%d audit entries, %d with the request id", audited, auditTagged)
	}
	f.Buy(t, f.Clerk, "C-1") // no request id
	if withID("feed") != tagged || count(t, st, all) == fed {
		t.Fatal("a later sale carries the id")
	}
	f.VerifyAudit(t)
}
