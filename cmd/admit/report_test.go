package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

func TestReportStatusShowsARefusalAndResendQueuesIt(t *testing.T) {
	ctx := context.Background()
	data := seededDataDir(t)
	st, err := sqlite.Open(ctx, data+"/admit.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := st.Reports()
	now := time.Now()
	if _, err := rs.Enqueue(ctx, 0, 0, []report.Report{{TenantID: 1, VenueID: 1, Serial: "T9-0", Interface: wire.RawTicket, Key: "3101010126120300000011",
		Body: []byte(`{}`), CreatedAt: now, State: report.StatePending, NextAt: now}}); err != nil {
		t.Fatal(err)
	}
	due, err := rs.Due(ctx, now.Add(time.Second), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %v", due, err)
	}
	due[0].State, due[0].Answer, due[0].LastError, due[0].Sends = report.StateRefused, wire.CodeField, "film_code: a 12-character film code", 1
	if err := rs.Finish(ctx, due); err != nil {
		t.Fatal(err)
	}
	st.Close()

	var out bytes.Buffer
	err = run(ctx, []string{"report", "status", "-data", data}, &out)
	var code exitCode
	if !errors.As(err, &code) || code != 1 {
		t.Fatalf("status with a refusal: %v\n%s", err, out.String())
	}
	for _, want := range []string{"0 waiting", "1 refused", "T9-0", "bad_field", "film_code"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(ctx, []string{"report", "resend", "-data", data, "-id", "1"}, &out); err != nil || !strings.Contains(out.String(), "queued again") {
		t.Fatalf("resend: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"report", "status", "-data", data}, &out); err != nil || !strings.Contains(out.String(), "1 waiting") {
		t.Fatalf("status after the resend: %v\n%s", err, out.String())
	}
	// A 补登 waiting for a second manager shows.
	st, err = sqlite.Open(ctx, data+"/admit.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Reports().InsertMakeup(ctx, report.Makeup{TenantID: 1, VenueID: 1, SessionID: 1, Kind: report.MakeupSale, BusinessDate: "2026-12-01",
		Lines: []report.MakeupLine{{SeatID: 1, SeatLabel: "A-1", PriceCents: 4500}}, AmountCents: 4500, Evidence: "stub", State: report.MakeupProposed,
		ProposedByID: 2, ProposedBy: "user:2 manager", ProposedAt: now}, audit.Entry{At: now, Actor: "test", Action: "report.makeup.propose"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	if err := run(ctx, []string{"report", "status", "-data", data}, &out); err != nil || !strings.Contains(out.String(), "补登: 1 waiting for a second manager") {
		t.Fatalf("status with a 补登 waiting: %v\n%s", err, out.String())
	}
	if err := run(ctx, []string{"report", "resend", "-data", data, "-id", "1"}, &out); err == nil {
		t.Fatal("a waiting report was re-sent")
	}
	out.Reset()
	if err := run(ctx, []string{"audit", "verify", "-data", data}, &out); err != nil {
		t.Fatalf("the audit chain after a resend: %v\n%s", err, out.String())
	}
}

func TestReportReconcileListsTheDaysAndFailsBelowTheRule(t *testing.T) {
	ctx := context.Background()
	data := seededDataDir(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"report", "reconcile", "-data", data}, &out); err != nil || !strings.Contains(out.String(), "no business day reconciled") {
		t.Fatalf("nothing reconciled: %v\n%s", err, out.String())
	}
	st, err := sqlite.Open(ctx, data+"/admit.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	day := report.Reconciliation{VenueID: 1, TenantID: 1, Cinema: "31000001", BusinessDate: "2026-12-01", At: time.Now(), Tickets: 4, Records: 4,
		Platform: 3, Completeness: 75, Missing: []string{"T7-0"}, Resent: 1}
	if err := st.Reports().SaveReconciliation(ctx, day); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	err = run(ctx, []string{"report", "reconcile", "-data", data}, &out)
	var code exitCode
	if !errors.As(err, &code) || code != 1 {
		t.Fatalf("a day below 98 %%: %v\n%s", err, out.String())
	}
	for _, want := range []string{"31000001 2026-12-01", "75.0 % complete BELOW 98 %", "1 lost by the platform, sent again: T7-0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("reconcile lacks %q:\n%s", want, out.String())
		}
	}
	st, err = sqlite.Open(ctx, data+"/admit.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	day.Platform, day.Completeness, day.Missing = 4, 100, nil
	if err := st.Reports().SaveReconciliation(ctx, day); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out.Reset()
	if err := run(ctx, []string{"report", "reconcile", "-data", data}, &out); err != nil || !strings.Contains(out.String(), "100.0 % complete\n") {
		t.Fatalf("the day reconciled again: %v\n%s", err, out.String())
	}
}
