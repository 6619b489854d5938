package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/agency/agencyclient"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

// newAgency adds an agency to the tenant with a key, and an agency
// quota on session X; it returns the agency and a client with its key.
func (w *world) newAgency(tw tenantWorld, code string, rate, quota int) (agency.Agency, agency.NewKey, *agencyclient.Client) {
	w.t.Helper()
	var a agency.Agency
	w.ok(w.call(tw.admin, "POST", "/api/v1/agencies", agency.Agency{Code: code, Name: code + " Tickets", Enabled: true, CommissionBP: 300, ServiceFeeCents: 200, RatePerSecond: rate}), &a)
	var k agency.NewKey
	w.ok(w.call(tw.admin, "POST", fmt.Sprintf("/api/v1/agencies/%d/keys", a.ID), map[string]string{"label": "prod"}), &k)
	if quota > 0 {
		var ss sales.Session
		w.ok(w.call(tw.admin, "GET", fmt.Sprintf("/api/v1/sessions/%d", tw.sessionX), nil), &ss)
		qs := append(ss.Quotas, sales.Quota{Channel: sales.ChannelAgency, Party: a.Party(), Limit: quota})
		w.ok(w.call(tw.admin, "PUT", fmt.Sprintf("/api/v1/sessions/%d/quotas", tw.sessionX), map[string]any{"quotas": qs}), nil)
	}
	return a, k, &agencyclient.Client{Base: w.srv.URL, Key: k.Token, HTTP: w.http}
}

func apiCode(err error) string {
	var e *agencyclient.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAnAgencySellsOncePerIdempotencyKeyWithinItsQuota(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, _, cl := w.newAgency(w.a, "ctrip", 1000, 5)
	seat := func(i int) int64 { return w.a.seatsX[i].SeatID }

	ss, err := cl.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 {
		t.Fatalf("the agency sees %d sessions, want the tenant's 2", len(ss))
	}
	one, err := cl.Session(ctx, w.a.sessionX)
	if err != nil || len(one.Quotas) != 1 || one.Quotas[0].Limit != 5 || len(one.Tiers) != 1 {
		t.Fatalf("session X for the agency: %+v, %v; want its quota of 5 and one tier", one, err)
	}

	req := agencyclient.OrderRequest{SessionID: w.a.sessionX, SeatIDs: []int64{seat(0), seat(1)}, CustomerName: "Wang Fang", Reference: "CT-1001"}
	o, replayed, err := cl.Order(ctx, "order-1001", req)
	if err != nil || replayed {
		t.Fatalf("first order: replayed=%v err=%v", replayed, err)
	}
	if o.Status != "paid" || o.PaymentMethod != "agency" || o.PaymentRef != "CT-1001" || len(o.Tickets) != 2 || o.TotalCents != 9000 {
		t.Fatalf("agency order: %+v", o)
	}
	// The answer was lost: the agency retries with the same key.
	again, replayed, err := cl.Order(ctx, "order-1001", req)
	if err != nil || !replayed || again.ID != o.ID || len(again.Tickets) != 2 {
		t.Fatalf("retry: order %d replayed=%v err=%v; want order %d replayed", again.ID, replayed, err, o.ID)
	}
	// The same key for another order is a bug in the agency's system.
	other := req
	other.SeatIDs = []int64{seat(2)}
	if _, _, err := cl.Order(ctx, "order-1001", other); apiCode(err) != "idempotency_key_reused" {
		t.Fatalf("a reused key: %v, want idempotency_key_reused", err)
	}
	if _, _, err := cl.Order(ctx, "", other); apiCode(err) != "idempotency_key_required" {
		t.Fatalf("no key: %v, want idempotency_key_required", err)
	}

	// Eight retries racing with one key make one order: each is answered
	// with it, or told another request with the key is in flight.
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	errs := make([]error, 8)
	req2 := agencyclient.OrderRequest{SessionID: w.a.sessionX, SeatIDs: []int64{seat(3)}, Reference: "CT-1002"}
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, _, err := cl.Order(ctx, "order-1002", req2)
			ids[i], errs[i] = got.ID, err
		}()
	}
	wg.Wait()
	final, replayed, err := cl.Order(ctx, "order-1002", req2)
	if err != nil || !replayed {
		t.Fatalf("a retry after the race: replayed=%v %v", replayed, err)
	}
	for i := range ids {
		if !(errs[i] == nil && ids[i] == final.ID) && apiCode(errs[i]) != "idempotency_key_in_flight" {
			t.Fatalf("racing retries: ids %v errs %v; want order %d or in flight", ids, errs, final.ID)
		}
	}
	var n int
	if err := w.srv.Store.DB().QueryRow(`SELECT COUNT(*) FROM orders WHERE party = ?`, a.Party()).Scan(&n); err != nil || n != 2 {
		t.Fatalf("the agency's orders in the database: %d (%v), want 2", n, err)
	}

	// Its quota is 5: three seats sold, three more are refused, two pass.
	if _, _, err := cl.Order(ctx, "order-1003", agencyclient.OrderRequest{SessionID: w.a.sessionX, SeatIDs: []int64{seat(4), seat(5), seat(6)}}); apiCode(err) != "quota_exhausted" {
		t.Fatalf("over its quota: %v, want quota_exhausted", err)
	}
	best, _, err := cl.Order(ctx, "order-1004", agencyclient.OrderRequest{SessionID: w.a.sessionX, Count: 2})
	if err != nil || len(best.Tickets) != 2 {
		t.Fatalf("best available within the quota: %+v %v", best, err)
	}

	// Its orders only: not the box office's, not another tenant's agency's.
	pos := w.buy(w.a, seat(10))
	if _, err := cl.GetOrder(ctx, pos.ID); apiCode(err) != "not_found" {
		t.Fatalf("the box office's order through the agency: %v, want not_found", err)
	}
	_, _, bcl := w.newAgency(w.b, "ctrip", 1000, 0)
	if _, err := bcl.GetOrder(ctx, o.ID); apiCode(err) != "not_found" {
		t.Fatalf("another tenant's agency reads the order: %v, want not_found", err)
	}
	if _, err := bcl.Session(ctx, w.a.sessionX); apiCode(err) != "not_found" {
		t.Fatalf("another tenant's agency reads the session: %v, want not_found", err)
	}
	if _, err := bcl.Availability(ctx, w.a.sessionX); apiCode(err) != "not_found" {
		t.Fatalf("another tenant's agency reads the seat map: %v, want not_found", err)
	}
	if _, _, err := bcl.Order(ctx, "cross", agencyclient.OrderRequest{SessionID: w.a.sessionX, Count: 1}); apiCode(err) != "not_found" {
		t.Fatalf("another tenant's agency sells the session: %v, want not_found", err)
	}
	if _, _, err := bcl.RequestRefund(ctx, "cross", o.ID, agencyclient.RefundRequest{Reason: "not mine"}); apiCode(err) != "not_found" {
		t.Fatalf("another tenant's agency refunds the order: %v", err)
	}
	if _, _, err := cl.RequestRefund(ctx, "pos", pos.ID, agencyclient.RefundRequest{Reason: "not mine"}); apiCode(err) != "not_found" {
		t.Fatalf("the agency refunds the box office's order: %v", err)
	}
	if got, err := cl.GetOrder(ctx, o.ID); err != nil || got.ID != o.ID {
		t.Fatalf("its own order: %+v %v", got, err)
	}
	// An order's audit entry names the agency.
	var actor string
	if err := w.srv.Store.DB().QueryRow(`SELECT actor FROM audit_log WHERE object = ? AND action = 'order.create'`, fmt.Sprintf("order:%d", o.ID)).Scan(&actor); err != nil || actor != a.Party() {
		t.Fatalf("the order's audit actor: %q %v, want %q", actor, err, a.Party())
	}
}

func TestAnAgencyKeyIsRotatedRevokedAndRateLimited(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	a, k, cl := w.newAgency(w.a, "damai", 1, 0)

	// Rate 1/s, burst 2: the third request at once is refused with 429.
	var limited *agencyclient.Error
	for range 3 {
		if _, err := cl.Sessions(ctx); err != nil {
			if !errors.As(err, &limited) {
				t.Fatal(err)
			}
		}
	}
	if limited == nil || limited.Status != http.StatusTooManyRequests || limited.Code != "rate_limited" || limited.RetryAfter <= 0 {
		t.Fatalf("the third request at once: %+v, want 429 rate_limited with Retry-After", limited)
	}
	// A faster rate applies at once.
	var upd agency.Agency
	a.RatePerSecond = 1000
	w.ok(w.call(w.a.admin, "PUT", fmt.Sprintf("/api/v1/agencies/%d", a.ID), a), &upd)
	if _, err := cl.Sessions(ctx); err != nil {
		t.Fatalf("after raising the rate: %v", err)
	}

	// Rotation with a grace: both keys work until the old one ends.
	var next agency.NewKey
	w.ok(w.call(w.a.admin, "POST", fmt.Sprintf("/api/v1/agencies/%d/keys/%d/rotate", a.ID, k.Key.ID), map[string]int{"grace_hours": 24}), &next)
	ncl := &agencyclient.Client{Base: w.srv.URL, Key: next.Token, HTTP: w.http}
	for name, c := range map[string]*agencyclient.Client{"old": cl, "new": ncl} {
		if _, err := c.Sessions(ctx); err != nil {
			t.Fatalf("the %s key within the grace: %v", name, err)
		}
	}
	// Revoking the old one ends it at once.
	w.ok(w.call(w.a.admin, "POST", fmt.Sprintf("/api/v1/agencies/%d/keys/%d/revoke", a.ID, k.Key.ID), nil), nil)
	if _, err := cl.Sessions(ctx); apiCode(err) != "bad_api_key" {
		t.Fatalf("a revoked key: %v, want bad_api_key", err)
	}
	if _, err := ncl.Sessions(ctx); err != nil {
		t.Fatalf("the new key after the old one's revocation: %v", err)
	}
	// Forged and truncated keys. The forged one differs in its last
	// character whatever that is (a fixed "A" was the key itself once in
	// 64 runs).
	last := "A"
	if strings.HasSuffix(next.Token, last) {
		last = "B"
	}
	for _, bad := range []string{"", "agk_", next.Token[:len(next.Token)-1], next.Token[:len(next.Token)-1] + last, strings.ToUpper(next.Token)} {
		c := &agencyclient.Client{Base: w.srv.URL, Key: bad, HTTP: w.http}
		if _, err := c.Sessions(ctx); apiCode(err) != "bad_api_key" {
			t.Fatalf("key %q: %v, want bad_api_key", bad, err)
		}
	}
	// A disabled agency sells nothing.
	upd.Enabled = false
	w.ok(w.call(w.a.admin, "PUT", fmt.Sprintf("/api/v1/agencies/%d", a.ID), upd), nil)
	if _, _, err := ncl.Order(ctx, "x1", agencyclient.OrderRequest{SessionID: w.a.sessionX, Count: 1}); apiCode(err) != "agency_disabled" {
		t.Fatalf("a disabled agency's order: %v, want agency_disabled", err)
	}
	// Only the tenant's admin manages agencies; the key list shows no secret.
	if r := w.call(w.a.clerk, "GET", "/api/v1/agencies", nil); r.status != http.StatusForbidden {
		t.Fatalf("a clerk lists agencies: HTTP %d", r.status)
	}
	r := w.call(w.a.admin, "GET", fmt.Sprintf("/api/v1/agencies/%d/keys", a.ID), nil)
	if strings.Contains(string(r.body), next.Token) || strings.Contains(string(r.body), "hash") {
		t.Fatalf("the key list shows a secret: %s", r.body)
	}
	var ks []agency.Key
	w.ok(r, &ks)
	if len(ks) != 2 || ks[0].EndsAt == nil || ks[1].EndsAt != nil {
		t.Fatalf("keys after rotation and revocation: %+v", ks)
	}
}

// The test client is written from the agency document alone: every
// operation it calls is there, with the fields it sends and reads.
func TestTheAgencyClientUsesOnlyItsOpenAPIDocument(t *testing.T) {
	w := newWorld(t)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	w.ok(w.call("", "GET", "/api/v1/agency/openapi.json", nil), &doc)
	for _, op := range agencyclient.Operations() {
		if _, ok := doc.Paths[op.Path][strings.ToLower(op.Method)]; !ok {
			t.Errorf("the client calls %s %s, which the document lacks", op.Method, op.Path)
		}
	}
	if len(doc.Paths) != len(agencyclient.Operations())+1 { // and the document itself
		t.Errorf("the agency document has %d paths; it should hold only the agency's", len(doc.Paths))
	}
	var post struct {
		Parameters []struct{ Name, In string } `json:"parameters"`
		Security   []map[string]any            `json:"security"`
	}
	if err := json.Unmarshal(doc.Paths["/api/v1/agency/orders"]["post"], &post); err != nil {
		t.Fatal(err)
	}
	if len(post.Parameters) != 1 || post.Parameters[0].Name != "Idempotency-Key" || post.Parameters[0].In != "header" || len(post.Security) != 1 {
		t.Errorf("POST /agency/orders documents %+v", post)
	}
	fields := func(schema string, v any) {
		props := doc.Components.Schemas[schema].Properties
		b, _ := json.Marshal(v)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for f := range m {
			if _, ok := props[f]; !ok {
				t.Errorf("the client's %s field %q is not in the document's %s", schema, f, schema)
			}
		}
	}
	full := agencyclient.OrderRequest{SessionID: 1, SeatIDs: []int64{1}, Count: 1, TierID: 1, CustomerName: "x", Reference: "x", Holders: []agencyclient.Holder{{}}}
	fields("AgencyOrderRequest", full)
	fields("AgencyHolder", agencyclient.Holder{})
	fields("SalesOrder", agencyclient.Order{})
	fields("SalesTicket", agencyclient.Ticket{})
	fields("SalesHoldSeat", agencyclient.Seat{})
	fields("AgencySession", agencyclient.Session{})
	fields("SalesPriceTier", agencyclient.Tier{})
	fields("SalesQuota", agencyclient.Quota{})
	fields("AgencyRefundRequest", agencyclient.RefundRequest{TicketIDs: []int64{1}, Reason: "x"})
	fields("SalesRefundRequest", agencyclient.Refund{})
}

// An agency's settlement run over HTTP: its lines are its orders, no
// other's; the CSV adds up; a bad statement names its lines and changes
// nothing.
func TestAnAgencysSettlementLinesAreItsOrders(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	start := time.Now().Add(-time.Minute)
	a, _, cl := w.newAgency(w.a, "fliggy", 1000, 0)
	var mine []int64
	for i := range 3 {
		o, _, err := cl.Order(ctx, fmt.Sprintf("s-%d", i), agencyclient.OrderRequest{SessionID: w.a.sessionX, Count: i + 1, Reference: fmt.Sprintf("FL-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		mine = append(mine, o.ID)
	}
	// The agency asks for a refund of its first order; a retry with its
	// key is answered the same request, another key waits for it, and the
	// key cannot ask for something else; the organiser approves it.
	first, err := cl.GetOrder(ctx, mine[0])
	if err != nil {
		t.Fatal(err)
	}
	rf, replayed, err := cl.RequestRefund(ctx, "refund-1", mine[0], agencyclient.RefundRequest{Reason: "the buyer cancelled"})
	if err != nil || replayed || rf.Status != "pending" || rf.AmountCents != first.TotalCents {
		t.Fatalf("the agency's refund request: %+v %v", rf, err)
	}
	again, replayed, err := cl.RequestRefund(ctx, "refund-1", mine[0], agencyclient.RefundRequest{Reason: "the buyer cancelled"})
	if err != nil || !replayed || again.ID != rf.ID {
		t.Fatalf("the refund request retried: %+v replayed=%v %v", again, replayed, err)
	}
	if _, _, err := cl.RequestRefund(ctx, "refund-2", mine[0], agencyclient.RefundRequest{Reason: "the buyer cancelled"}); apiCode(err) != "refund_pending" {
		t.Fatalf("another request while one waits: %v", err)
	}
	if _, _, err := cl.RequestRefund(ctx, "refund-1", mine[1], agencyclient.RefundRequest{Reason: "another order"}); apiCode(err) != "idempotency_key_reused" {
		t.Fatalf("the key asking for another order: %v", err)
	}
	// Eight retries of one request at once: one refund request.
	var wg sync.WaitGroup
	ids := make([]int64, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _, err := cl.RequestRefund(ctx, "refund-race", mine[2], agencyclient.RefundRequest{Reason: "the buyer cancelled"})
			if err != nil {
				t.Errorf("a racing retry: %v", err)
			}
			ids[i] = r.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("racing retries made refund requests %v", ids)
		}
	}
	var pending []sales.RefundRequest
	w.ok(w.call(w.a.manager, "GET", "/api/v1/refunds?status=pending", nil), &pending)
	n := 0
	for _, p := range pending {
		if p.OrderID == mine[2] {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d refund requests of the raced order", n)
	}
	w.ok(w.call(w.a.manager, "POST", fmt.Sprintf("/api/v1/refunds/%d/reject", ids[0]), map[string]string{"note": "not refundable"}), nil)
	if _, _, err := cl.RequestRefund(ctx, "", mine[1], agencyclient.RefundRequest{Reason: "no key"}); apiCode(err) != "idempotency_key_required" {
		t.Fatalf("a refund without a key: %v", err)
	}
	w.ok(w.call(w.a.manager, "POST", fmt.Sprintf("/api/v1/refunds/%d/approve", rf.ID), map[string]string{}), nil)
	pos := w.buy(w.a, w.a.seatsX[0].SeatID)
	var u sales.User
	w.ok(w.call(w.a.admin, "POST", "/api/v1/users", sales.NewUser{Username: "alpha-finance", Password: pw, Role: "finance"}), &u)
	fin := w.login("alpha-finance")
	if r := w.call(w.a.clerk, "POST", "/api/v1/settlement/runs", settlement.NewRun{Party: a.Party(), From: start, To: time.Now()}); r.status != http.StatusForbidden {
		t.Fatalf("a clerk settles: HTTP %d %s", r.status, r.body)
	}
	// The period ends after the last sale's millisecond, and has ended.
	end := time.Now().Add(2 * time.Millisecond)
	for !time.Now().After(end) {
	}
	var run settlement.Run
	w.ok(w.call(fin, "POST", "/api/v1/settlement/runs", settlement.NewRun{Party: a.Party(), From: start, To: end}), &run)
	var got []int64
	for _, l := range run.Lines {
		got = append(got, l.OrderID)
		if l.OrderID == pos.ID {
			t.Fatalf("the box office's order %d is in the agency's run", pos.ID)
		}
	}
	slices.Sort(got)
	// Three sales and the refund of the first (one ticket).
	want := append([]int64{mine[0]}, mine...)
	if !slices.Equal(got, want) || run.Totals.Tickets != 5 || run.Totals.GrossCents != 5*4500 || run.Totals.FeeCents != 5*200 {
		t.Fatalf("run lines %v (want %v), totals %+v", got, want, run.Totals)
	}
	r := w.call(fin, "GET", fmt.Sprintf("/api/v1/settlement/runs/%d/lines.csv", run.ID), nil)
	recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil || len(recs) != 5 {
		t.Fatalf("lines.csv: %v %q", err, r.body)
	}
	var net int64
	for _, rec := range recs[1:] {
		n, _ := strconv.ParseInt(rec[9], 10, 64)
		net += n
	}
	if net != run.Totals.NetCents {
		t.Fatalf("the CSV's net %d, the run's %d", net, run.Totals.NetCents)
	}
	bad := w.call(fin, "POST", fmt.Sprintf("/api/v1/settlement/runs/%d/statement", run.ID), "order_id,reference,amount_cents\n1,,x\n2,,3\n")
	if bad.status != http.StatusBadRequest || bad.errorCode() != "bad_statement" || !strings.Contains(string(bad.body), `"line":2`) {
		t.Fatalf("a bad statement: %d %s", bad.status, bad.body)
	}
	var ds []settlement.Diff
	w.ok(w.call(fin, "GET", fmt.Sprintf("/api/v1/settlement/runs/%d/diffs", run.ID), nil), &ds)
	if len(ds) != 0 {
		t.Fatalf("a refused statement left differences: %+v", ds)
	}
	// The agency's statement for the run's period, by partner and period:
	// everything it lists agrees but one order it never sold through us.
	var stmt strings.Builder
	stmt.WriteString("order_id,reference,amount_cents\n")
	byOrder := map[int64]int64{}
	for _, l := range run.Lines {
		byOrder[l.OrderID] += l.NetCents
	}
	for id, n := range byOrder {
		fmt.Fprintf(&stmt, "%d,,%d\n", id, n)
	}
	stmt.WriteString("777777,,500\n")
	period := fmt.Sprintf("/api/v1/settlement/statement?party=%s&from=%s&to=%s", a.Party(), url.QueryEscape(run.From.Format(time.RFC3339Nano)), url.QueryEscape(run.To.Format(time.RFC3339Nano)))
	w.ok(w.call(fin, "POST", period, stmt.String()), &ds)
	if len(ds) != 1 || ds[0].OrderID != 777777 || ds[0].Kind != settlement.MissingInRun || ds[0].RunID != run.ID {
		t.Fatalf("the period's differences: %+v", ds)
	}
	if r := w.call(w.a.clerk, "POST", period, stmt.String()); r.status != http.StatusForbidden {
		t.Fatalf("a clerk reconciles: %d", r.status)
	}
	// Bad input changes nothing: a period backwards, a time that is not
	// one, a statement with a bad line.
	backwards := fmt.Sprintf("/api/v1/settlement/statement?party=%s&from=%s&to=%s", a.Party(), url.QueryEscape(run.To.Format(time.RFC3339Nano)), url.QueryEscape(run.From.Format(time.RFC3339Nano)))
	for name, c := range map[string]struct {
		path, body, code string
	}{
		"a period backwards": {backwards, stmt.String(), "bad_period"},
		"a time that is not": {fmt.Sprintf("/api/v1/settlement/statement?party=%s&from=yesterday&to=now", a.Party()), stmt.String(), "bad_query"},
		"a bad line":         {period, "order_id,reference,amount_cents\n777777,,x\n", "bad_statement"},
	} {
		if r := w.call(fin, "POST", c.path, c.body); r.status != http.StatusBadRequest || r.errorCode() != c.code {
			t.Fatalf("%s: %d %s", name, r.status, r.body)
		}
	}
	w.ok(w.call(fin, "GET", fmt.Sprintf("/api/v1/settlement/runs/%d/diffs", run.ID), nil), &ds)
	if len(ds) != 1 || ds[0].OrderID != 777777 {
		t.Fatalf("refused statements changed the differences: %+v", ds)
	}
}
