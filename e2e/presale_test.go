package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/cloud/payment"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/storetest"
)

// A presale over HTTP, as the public and the organiser see it: people
// apply with their ID and a card, the list is locked after closing and
// published, the draw's files verify with `admit lottery verify` (and a
// forged list does not), and the settlement, cut off by a crash halfway,
// finishes after the restart with each loser voided once.
func TestAPresaleIsDrawnVerifiablyAndSettledAcrossARestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the admit CLI")
	}
	var offset atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	sim := payment.NewSimulator()
	data := t.TempDir()
	crash := &storetest.CrashingPayments{Simulator: sim, After: 2}
	w := newWorldWith(t, embedded, func(c *server.Config) {
		c.DataDir, c.Now, c.Payments = data, now, crash
		c.SweepEvery = time.Hour // settled by hand here, so the crash falls where the test says
	})
	admin := w.token("acme-admin")
	api := w.srv.URL + "/api/v1"
	tiers, err := w.svc.Prices(context.Background(), w.admin, w.session.ID)
	w.must(err)

	var ps presale.Presale
	if code := callAs(t, admin, "POST", api+"/presales", presale.NewPresale{SessionID: w.session.ID, TierID: tiers[0].ID, Name: "Final, presale",
		Tickets: 6, PerPerson: 2, OpensAt: now().Add(-time.Minute), ClosesAt: now().Add(time.Hour)}, &ps); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	if len(ps.Commitment) != 64 || ps.Seed != "" {
		t.Fatalf("created %+v", ps)
	}
	apply := func(i, qty int) int {
		return call(t, "POST", fmt.Sprintf("%s/presales/%d/applications", api, ps.ID), presale.ApplyRequest{
			Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: storetest.ResidentID(i), Name: "李雷"}, Quantity: qty, CardToken: payment.TokenApprove}, nil)
	}
	for i := 1; i <= 10; i++ {
		if code := apply(i, 1+i%2); code != http.StatusCreated {
			t.Fatalf("applicant %d: %d", i, code)
		}
	}
	if code := apply(3, 1); code != http.StatusConflict {
		t.Fatalf("a second application of one person: %d", code)
	}
	bad := storetest.ResidentID(11)
	bad = bad[:16] + string('0'+(bad[16]-'0'+1)%10) + bad[17:]
	if code := call(t, "POST", fmt.Sprintf("%s/presales/%d/applications", api, ps.ID), presale.ApplyRequest{
		Applicant: presale.Person{DocType: identity.ResidentID, DocNumber: bad, Name: "李雷"}, Quantity: 1, CardToken: payment.TokenApprove}, nil); code != http.StatusBadRequest {
		t.Fatalf("a wrong check digit: %d", code)
	}

	offset.Store(int64(2 * time.Hour))
	admin = w.token("acme-admin") // two hours idle ended the last login
	if code := apply(12, 1); code != http.StatusConflict {
		t.Fatalf("an application after closing: %d", code)
	}
	for _, step := range []string{"lock", "draw"} {
		if code := callAs(t, admin, "POST", fmt.Sprintf("%s/presales/%d/%s", api, ps.ID, step), nil, &ps); code != http.StatusCreated {
			t.Fatalf("%s: %d", step, code)
		}
	}
	if ps.State != presale.Drawn || ps.Result == nil || ps.Seed == "" {
		t.Fatalf("drawn %+v", ps)
	}
	winners := len(ps.Result.Winners)
	losers := 10 - winners

	// Anyone re-runs the draw from the published files.
	dir := t.TempDir()
	for _, f := range []string{"pools.csv", "applications.csv", "result.json"} {
		resp, err := http.Get(fmt.Sprintf("%s/presales/%d/%s", api, ps.ID, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s %v", f, resp.StatusCode, b, err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "admit")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/admitbox/admit/cmd/admit").CombinedOutput(); err != nil {
		t.Fatalf("build admit: %v\n%s", err, out)
	}
	verify := func(apps string) (string, error) {
		out, err := exec.Command(bin, "lottery", "verify", "-pools", filepath.Join(dir, "pools.csv"), "-applications", apps,
			"-result", filepath.Join(dir, "result.json"), "-commitment", ps.Commitment).CombinedOutput()
		return string(out), err
	}
	if out, err := verify(filepath.Join(dir, "applications.csv")); err != nil {
		t.Fatalf("admit lottery verify refused the published draw: %v\n%s", err, out)
	}
	apps, _ := os.ReadFile(filepath.Join(dir, "applications.csv"))
	lines := strings.Split(strings.TrimSpace(string(apps)), "\n")
	if len(lines) != 11 {
		t.Fatalf("the list has %d lines, want a header and 10", len(lines))
	}
	lines = append(lines[:1], lines[2:]...) // one application struck off
	forged := filepath.Join(dir, "forged.csv")
	if err := os.WriteFile(forged, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(forged); err == nil {
		t.Fatalf("a forged list verified:\n%s", out)
	}

	// The settlement dies after two voids; the next process finishes it.
	if code := callAs(t, admin, "POST", fmt.Sprintf("%s/presales/%d/settle", api, ps.ID), nil, nil); code < 500 {
		t.Fatalf("the crashed settlement answered %d", code)
	}
	w.must(w.srv.Close())
	srv, err := server.Start(context.Background(), server.Config{DataDir: data, Now: now, Payments: sim, Logger: testLogger("cloud2")})
	w.must(err)
	t.Cleanup(func() { srv.Close() })
	api = srv.URL + "/api/v1"
	login := func(user string) string {
		r, err := srv.Svc.Login(context.Background(), user, pw)
		w.must(err)
		return r.Token
	}
	if code := callAs(t, login("acme-admin"), "POST", fmt.Sprintf("%s/presales/%d/settle", api, ps.ID), nil, nil); code != http.StatusCreated {
		t.Fatalf("settle after the restart: %d", code)
	}
	var got presale.Presale
	if code := call(t, "GET", fmt.Sprintf("%s/presales/%d", api, ps.ID), nil, &got); code != http.StatusOK {
		t.Fatalf("get: %d", code)
	}
	if got.State != presale.Settled || got.Counts[presale.Captured] != winners || got.Counts[presale.Voided] != losers {
		t.Fatalf("after settling: %s %v (winners %d)", got.State, got.Counts, winners)
	}
	if sim.Voids() != losers || sim.Captured() != winners || sim.Held() != 0 {
		t.Fatalf("provider: voided %d captured %d held %d; want %d, %d, 0", sim.Voids(), sim.Captured(), sim.Held(), losers, winners)
	}
	// The winners get seats together, best first, and their tickets.
	var ac presale.AssignCounts
	if code := callAs(t, login("manager"), "POST", fmt.Sprintf("%s/presales/%d/assign", api, ps.ID), nil, &ac); code != http.StatusCreated {
		t.Fatalf("assign: %d", code)
	}
	if ac.Issued != winners || ac.Tickets != ps.Result.Awarded {
		t.Fatalf("assigned %+v, want %d winners with %d tickets", ac, winners, ps.Result.Awarded)
	}
	// The manager sees who applied, masked.
	var list []presale.Application
	if code := callAs(t, login("manager"), "GET", fmt.Sprintf("%s/presales/%d/applications", api, ps.ID), nil, &list); code != http.StatusOK || len(list) != 10 {
		t.Fatalf("applications: %d, %d", code, len(list))
	}
	if list[0].Name != "李*" || !strings.Contains(list[0].DocMasked, "*") {
		t.Fatalf("shown %q %q", list[0].Name, list[0].DocMasked)
	}
	for _, a := range list {
		if a.Rank == 0 {
			continue
		}
		var o sales.Order
		if code := callAs(t, login("manager"), "GET", fmt.Sprintf("%s/orders/%d", api, a.OrderID), nil, &o); code != http.StatusOK {
			t.Fatalf("winner %s's order %d: %d", a.Ref, a.OrderID, code)
		}
		if o.Status != sales.OrderPaid || len(o.Tickets) != a.Quantity || o.PickupCode == "" {
			t.Fatalf("winner %s's order: %s with %d tickets", a.Ref, o.Status, len(o.Tickets))
		}
	}
}
