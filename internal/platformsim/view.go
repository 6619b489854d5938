package platformsim

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"
	"time"

	"github.com/admitbox/admit/cloud/report/wire"
)

// Day is what the platform holds of one cinema's business day.
type Day struct {
	Cinema       string `json:"cinema_code"`
	BusinessDate string `json:"business_date"`
	// Raw ticket records received, by operation.
	Sales         int   `json:"sales"`
	SalesCents    int64 `json:"sales_cents"`
	Refunds       int   `json:"refunds"`
	RefundsCents  int64 `json:"refunds_cents"`
	Presales      int   `json:"presales"`
	Makeups       int   `json:"makeups"`    // 补登 raw records, sales and refunds
	Late          int   `json:"late"`       // arrived more than 60 s after the operation
	Duplicates    int   `json:"duplicates"` // copies received again and not stored
	Plans         int   `json:"plan_reports"`
	StatsSessions int   `json:"stats_sessions"` // daily statistics received, one per session
	// The system's own figures (its daily statistics): tickets sold and
	// refunded in every channel, and the share of them the raw records
	// cover (-1 before the statistics arrive).
	ReportedSold     int     `json:"reported_sold"`
	ReportedRefunded int     `json:"reported_refunded"`
	ReportedMakeups  int     `json:"reported_makeups"`
	Completeness     float64 `json:"completeness_pct"`
}

// lateAfter is the rule: a raw record reaches the platform within a minute.
const lateAfter = time.Minute

// Summary is the received data per cinema and business day.
func (s *Sim) Summary() []Day {
	s.mu.Lock()
	defer s.mu.Unlock()
	days := map[[2]string]*Day{}
	day := func(c, d string) *Day {
		k := [2]string{c, d}
		if days[k] == nil {
			days[k] = &Day{Cinema: c, BusinessDate: d, Completeness: -1}
		}
		return days[k]
	}
	// A session's statistics restated (after a 补登) replace the earlier.
	stats := map[[3]string]*wire.SessionStats{}
	for _, r := range s.order {
		if r.BusinessDate == "" {
			continue
		}
		d := day(r.Cinema, r.BusinessDate)
		d.Duplicates += r.Duplicates
		switch b := r.body.(type) {
		case *wire.TicketRecord:
			switch b.Operation {
			case wire.OpSale:
				d.Sales++
				d.SalesCents += b.PriceCents
			case wire.OpRefund:
				d.Refunds++
				d.RefundsCents += b.PriceCents
			case wire.OpPresale:
				d.Presales++
			case wire.OpMakeupSale, wire.OpMakeupRefund:
				d.Makeups++
			}
			if r.ArrivedAt.Sub(b.OperatedAt) > lateAfter {
				d.Late++
			}
		case *wire.PlanReport:
			d.Plans++
		case *wire.SessionStats:
			stats[[3]string{r.Cinema, r.BusinessDate, b.Session}] = b
		}
	}
	for k, b := range stats {
		d := day(k[0], k[1])
		d.StatsSessions++
		d.ReportedSold += b.LocalSold + b.NetworkSold
		d.ReportedRefunded += b.LocalRefunded + b.NetworkRefunded
		d.ReportedMakeups += b.MakeupCount
	}
	out := make([]Day, 0, len(days))
	for _, d := range days {
		if d.StatsSessions > 0 {
			want := d.ReportedSold + d.ReportedRefunded + d.ReportedMakeups
			have := d.Sales + d.Presales + d.Refunds + d.Makeups
			d.Completeness = 100
			if want > 0 {
				d.Completeness = min(100, 100*float64(have)/float64(want))
			}
		}
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cinema != out[j].Cinema {
			return out[i].Cinema < out[j].Cinema
		}
		return out[i].BusinessDate < out[j].BusinessDate
	})
	return out
}

func (s *Sim) summaryJSON(*http.Request) (any, int, error) { return s.Summary(), http.StatusOK, nil }

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"money": func(c int64) string { return template.HTMLEscapeString(formatCents(c)) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>National film data platform (simulator)</title>
<style>body{font:15px system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse}th,td{padding:.3rem .6rem;white-space:nowrap;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}.bad{color:#b00020;font-weight:600}</style></head>
<body><h1>National film data platform <small>(simulator)</small></h1>
<p>{{.Systems}} systems, {{.Cinemas}} cinemas, {{.Films}} films registered; {{.Records}} messages stored.</p>
<table data-test="days"><thead><tr><th>Cinema</th><th>Business day</th><th>Sales</th><th>Amount</th><th>Refunds</th><th>Amount</th><th>Presales</th><th>补登</th><th>Late</th><th>Duplicates</th><th>Reported sold</th><th>Completeness</th></tr></thead><tbody>
{{range .Days}}<tr><td>{{.Cinema}}</td><td>{{.BusinessDate}}</td><td>{{.Sales}}</td><td>{{money .SalesCents}}</td><td>{{.Refunds}}</td><td>{{money .RefundsCents}}</td><td>{{.Presales}}</td><td>{{.Makeups}}</td><td{{if .Late}} class="bad"{{end}}>{{.Late}}</td><td>{{.Duplicates}}</td><td>{{.ReportedSold}}</td><td{{if and (ge .Completeness 0.0) (lt .Completeness 98.0)}} class="bad"{{end}}>{{if lt .Completeness 0.0}}—{{else}}{{printf "%.1f" .Completeness}} %{{end}}</td></tr>
{{else}}<tr><td colspan="12">Nothing received yet.</td></tr>{{end}}
</tbody></table>
<h2>补登 applications</h2>
<table data-test="applications"><thead><tr><th>Serial</th><th>System</th><th>Cinema</th><th>Business day</th><th>Kind</th><th>Tickets</th><th>Amount</th><th>Review</th></tr></thead><tbody>
{{range .Applications}}<tr data-serial="{{.Serial}}"><td>{{.Serial}}</td><td>{{.System}}</td><td>{{.Cinema}}</td><td>{{.BusinessDate}}</td><td>{{.Kind}}</td><td>{{.Count}}</td><td>{{money .AmountCents}}</td>
<td>{{if .Review}}<span class="review">{{.Review}}</span>{{if .ReviewReason}}: {{.ReviewReason}}{{end}}{{else}}<form method="post" action="/review"><input type="hidden" name="system_code" value="{{.System}}"><input type="hidden" name="serial" value="{{.Serial}}"><input name="token" type="password" placeholder="admin token" required> <input name="reason" placeholder="reason"> <button name="decision" value="approve">Approve</button> <button name="decision" value="reject">Reject</button></form>{{end}}</td></tr>
{{else}}<tr><td colspan="8">No applications.</td></tr>{{end}}
</tbody></table>
<p>JSON: <code>GET /admin/received</code>, <code>GET /admin/records</code>, <code>GET /admin/applications</code> (admin token); review with <code>POST /admin/reviews</code>.</p>
</body></html>`))

// application is an application as the page shows it.
type application struct {
	Record
	Kind        string
	Count       int
	AmountCents int64
}

func formatCents(c int64) string {
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, c/100, c%100)
}

// summaryPage is the page a person reads: what arrived, per cinema and day.
func (s *Sim) summaryPage(w http.ResponseWriter, _ *http.Request) {
	days := s.Summary()
	s.mu.Lock()
	data := struct {
		Systems, Cinemas, Films, Records int
		Days                             []Day
		Applications                     []application
	}{len(s.systems), len(s.cinemas), len(s.films), len(s.order), days, nil}
	s.mu.Unlock()
	for _, r := range s.Applications() {
		a := application{Record: r, Kind: "sale"}
		if r.Interface == wire.RefundMakeup {
			a.Kind = "refund"
		}
		if b, ok := r.body.(*wire.MakeupApplication); ok {
			a.Count, a.AmountCents = b.Count, b.AmountCents
		}
		data.Applications = append(data.Applications, a)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := page.Execute(w, data); err != nil {
		s.log.Warn("render the summary page", "err", err)
	}
}
