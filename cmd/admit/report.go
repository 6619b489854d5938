package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/store/sqlite"
)

// reportCmd is `admit report status|resend|reconcile`: the operator's
// view of the national data platform reporting, on the cloud's data dir
// (the cloud may be running: a re-sent report is picked up by its
// reporter). reconcile lists the latest three-way reconciliation of each
// venue's business day, which the running cloud makes every few minutes
// and on the Reporting page's request.
func reportCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "status" && args[0] != "resend" && args[0] != "reconcile") {
		return fmt.Errorf("usage: admit report status|resend|reconcile [-data DIR] [-id N] [-json]")
	}
	fs := flag.NewFlagSet("admit report "+args[0], flag.ContinueOnError)
	data := fs.String("data", "admit-data", "the cloud's data directory")
	id := fs.Int64("id", 0, "resend: the report to send again")
	asJSON := fs.Bool("json", false, "status: print JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	path := filepath.Join(*data, "admit.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database at %s: %w", path, err)
	}
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	rs := st.Reports()
	switch args[0] {
	case "reconcile":
		days, err := rs.Reconciliations(ctx, report.All, 200)
		if err != nil {
			return err
		}
		if *asJSON {
			if days == nil {
				days = []report.Reconciliation{}
			}
			return json.NewEncoder(out).Encode(days)
		}
		if len(days) == 0 {
			fmt.Fprintln(out, "no business day reconciled yet")
		}
		bad := false
		for _, d := range days {
			fmt.Fprintf(out, "%s %s: %d tickets (%d refunded, %d printed, %d admitted), %d records, %d at the platform: %.1f %% complete",
				d.Cinema, d.BusinessDate, d.Tickets, d.Refunded, d.Printed, d.Admitted, d.Records, d.Platform, d.Completeness)
			if d.Alert() {
				fmt.Fprint(out, " BELOW 98 %")
			}
			fmt.Fprintln(out)
			for _, l := range []struct {
				what string
				xs   []string
			}{{"lost by the platform, sent again", d.Missing}, {"at the platform, unknown to the cloud", d.Unknown},
				{"tickets not reported", d.Unreported}, {"refunded tickets printed or admitted", d.UsedRefunded}} {
				if len(l.xs) > 0 {
					fmt.Fprintf(out, "  %d %s: %s\n", len(l.xs), l.what, strings.Join(l.xs, " "))
				}
			}
			bad = bad || d.Alert() || d.Differences()
		}
		if bad {
			return exitCode(1)
		}
		return nil
	case "status":
		q, err := rs.Queue(ctx, report.All)
		if err != nil {
			return err
		}
		att, err := rs.Attention(ctx, report.All, 50)
		if err != nil {
			return err
		}
		makeups, err := rs.ListMakeups(ctx, report.All, 200)
		if err != nil {
			return err
		}
		waiting := map[report.MakeupState]int{}
		for _, m := range makeups {
			waiting[m.State]++
		}
		if *asJSON {
			return json.NewEncoder(out).Encode(map[string]any{"queue": q, "attention": att,
				"makeups": map[string]int{"proposed": waiting[report.MakeupProposed], "applied": waiting[report.MakeupApplied]}})
		}
		lag := "-"
		if q.OldestPending != nil {
			lag = time.Since(*q.OldestPending).Round(time.Second).String()
		}
		fmt.Fprintf(out, "reports: %d waiting (oldest %s), %d delivered, %d failing, %d refused\n", q.Pending, lag, q.Delivered, q.Failing, q.Refused)
		if q.LastError != "" {
			fmt.Fprintf(out, "last error: %s\n", q.LastError)
		}
		for _, r := range att {
			fmt.Fprintf(out, "  #%d %s ticket %s: %s after %d sends, %d failed communications; answer %q: %s\n",
				r.ID, r.Serial, r.Key, r.State, r.Sends, r.Failures, r.Answer, r.LastError)
		}
		if n, a := waiting[report.MakeupProposed], waiting[report.MakeupApplied]; n+a > 0 {
			fmt.Fprintf(out, "补登: %d waiting for a second manager, %d waiting for the platform's review\n", n, a)
		}
		if q.Refused > 0 || q.Failing > 0 {
			return exitCode(1)
		}
		return nil
	default:
		if *id <= 0 {
			return errors.New("admit report resend: -id N is required")
		}
		who := "cli"
		if u, err := user.Current(); err == nil {
			who = "cli:" + u.Username
		}
		now := time.Now().UTC()
		after, _ := json.Marshal(map[string]any{"state": report.StatePending, "due": now})
		r, err := rs.Resend(ctx, report.All, *id, now, audit.Entry{At: now, Actor: who, Action: "report.resend", Object: "report:" + strconv.FormatInt(*id, 10), After: after})
		if errors.Is(err, report.ErrNotResendable) {
			return fmt.Errorf("admit report resend: report %d is not refused or failing", *id)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "report #%d %s (ticket %s) queued again\n", r.ID, r.Serial, r.Key)
		return nil
	}
}
