package api

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
)

type resolveBody struct {
	Note string `json:"note"`
}

// settlementRoutes serve finance: runs with each partner, their lines as
// CSV, a partner's statement reconciled against a run, and differences
// resolved with a note.
func (a *API) settlementRoutes() []route {
	with := func(fn func(*gin.Context, *settlement.Service, sales.Principal) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Settlement == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server settles nothing"}
			}
			return fn(c, a.opts.Settlement, p)
		}
	}
	run := func(fn func(*gin.Context, *settlement.Service, sales.Principal, int64) (any, error)) handler {
		return with(func(c *gin.Context, s *settlement.Service, p sales.Principal) (any, error) {
			rid, err := id(c, "id")
			if err != nil {
				return nil, err
			}
			return fn(c, s, p, rid)
		})
	}
	return []route{
		{method: "GET", path: "/settlement/partners", summary: "The parties settled with and their rules", tag: "settlement", resp: []settlement.Partner{},
			h: with(func(c *gin.Context, s *settlement.Service, p sales.Principal) (any, error) {
				return s.Partners(c.Request.Context(), p)
			})},
		{method: "PUT", path: "/settlement/rules/:party", summary: "Set the rule of the organiser (party organiser: the platform's commission and fees on all sales) or of the printing house (party printer: a fee per commemorative ticket made)", tag: "settlement",
			body: settlement.Rule{}, resp: settlement.Partner{},
			h: with(func(c *gin.Context, s *settlement.Service, p sales.Principal) (any, error) {
				var in settlement.Rule
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.SetRule(c.Request.Context(), p, c.Param("party"), in)
			})},
		{method: "GET", path: "/settlement/runs", summary: "Settlement runs, newest first (party: one partner's)", tag: "settlement", query: []string{"party"}, resp: []settlement.Run{},
			h: with(func(c *gin.Context, s *settlement.Service, p sales.Principal) (any, error) {
				return s.Runs(c.Request.Context(), p, c.Query("party"))
			})},
		{method: "POST", path: "/settlement/runs", summary: "Settle a partner for a period that has ended: one line per order paid and refund approved in it", tag: "settlement",
			body: settlement.NewRun{}, resp: settlement.Run{},
			h: with(func(c *gin.Context, s *settlement.Service, p sales.Principal) (any, error) {
				var in settlement.NewRun
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Create(c.Request.Context(), p, in)
			})},
		{method: "GET", path: "/settlement/runs/:id", summary: "A run with its lines, each naming its order", tag: "settlement", resp: settlement.Run{},
			h: run(func(c *gin.Context, s *settlement.Service, p sales.Principal, rid int64) (any, error) {
				return s.Run(c.Request.Context(), p, rid)
			})},
		{method: "GET", path: "/settlement/runs/:id/lines.csv", summary: "A run's lines as CSV", tag: "settlement",
			h: run(func(c *gin.Context, s *settlement.Service, p sales.Principal, rid int64) (any, error) {
				r, err := s.Run(c.Request.Context(), p, rid)
				if err != nil {
					return nil, err
				}
				var b bytes.Buffer
				w := csv.NewWriter(&b)
				_ = w.Write([]string{"kind", "order_id", "refund_id", "reference", "tickets", "at", "gross_cents", "commission_cents", "fee_cents", "net_cents"})
				for _, l := range r.Lines {
					_ = w.Write([]string{string(l.Kind), strconv.FormatInt(l.OrderID, 10), strconv.FormatInt(l.RefundID, 10), l.Reference, strconv.Itoa(l.Tickets),
						l.At.UTC().Format("2006-01-02T15:04:05Z"), strconv.FormatInt(l.GrossCents, 10), strconv.FormatInt(l.CommissionCents, 10),
						strconv.FormatInt(l.FeeCents, 10), strconv.FormatInt(l.NetCents, 10)})
				}
				w.Flush()
				c.Header("Content-Disposition", `attachment; filename="settlement-`+c.Param("id")+`.csv"`)
				c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
				return nil, nil
			})},
		{method: "POST", path: "/settlement/runs/:id/rebuild", summary: "Rebuild an open run's lines from the data now", tag: "settlement", resp: settlement.Run{},
			h: run(func(c *gin.Context, s *settlement.Service, p sales.Principal, rid int64) (any, error) {
				return s.Rebuild(c.Request.Context(), p, rid)
			})},
		{method: "POST", path: "/settlement/runs/:id/close", summary: "Close a run: it never changes again", tag: "settlement", resp: settlement.Run{},
			h: run(func(c *gin.Context, s *settlement.Service, p sales.Principal, rid int64) (any, error) {
				return s.Close(c.Request.Context(), p, rid)
			})},
		{method: "POST", path: "/settlement/runs/:id/statement", summary: "Reconcile the partner's statement (CSV: order_id,reference,amount_cents) against a run; answers the differences", tag: "settlement",
			resp: []settlement.Diff{},
			h: run(func(c *gin.Context, s *settlement.Service, p sales.Principal, rid int64) (any, error) {
				lines, err := statement(c)
				if err != nil {
					return nil, err
				}
				return s.Reconcile(c.Request.Context(), p, rid, lines)
			})},
		{method: "POST", path: "/settlement/statement", summary: "Reconcile a partner's statement for a period (party, from, to) against the runs that settle it whole, a month's statement against its daily runs: each difference goes on the run that settled its order",
			tag: "settlement", query: []string{"party", "from", "to"}, resp: []settlement.Diff{},
			h: with(func(c *gin.Context, s *settlement.Service, p sales.Principal) (any, error) {
				from, to, err := queryPeriod(c)
				if err != nil {
					return nil, err
				}
				lines, err := statement(c)
				if err != nil {
					return nil, err
				}
				return s.ReconcilePeriod(c.Request.Context(), p, c.Query("party"), from, to, lines)
			})},
		{method: "GET", path: "/settlement/runs/:id/diffs", summary: "A run's differences from its partner's statement, resolved or not", tag: "settlement", resp: []settlement.Diff{},
			h: run(func(c *gin.Context, s *settlement.Service, p sales.Principal, rid int64) (any, error) {
				return s.Diffs(c.Request.Context(), p, rid)
			})},
		{method: "POST", path: "/settlement/diffs/:id/resolve", summary: "Resolve a difference with a note (audited)", tag: "settlement", body: resolveBody{}, resp: settlement.Diff{},
			h: run(func(c *gin.Context, s *settlement.Service, p sales.Principal, did int64) (any, error) {
				var in resolveBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Resolve(c.Request.Context(), p, did, in.Note)
			})},
	}
}

// statement reads a partner's statement (CSV) from the body; a bad one
// names its lines.
func statement(c *gin.Context) ([]settlement.StatementLine, error) {
	lines, errs := settlement.ParseStatement(c.Request.Body)
	if len(errs) > 0 {
		return nil, fileError("bad_statement", "the statement has "+strconv.Itoa(len(errs))+" bad lines; nothing was reconciled", "statement", len(errs),
			func(i int) (int, string) { return errs[i].Line, errs[i].Msg })
	}
	return lines, nil
}
