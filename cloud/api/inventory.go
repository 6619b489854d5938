package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/inventory"
	"github.com/admitbox/admit/cloud/sales"
)

type numbersBody struct {
	Numbers []string `json:"numbers"`
}

type countBody struct {
	Count int `json:"count"`
}

// inventoryRoutes serve the ticket inventory (as of a moment, as JSON
// counts or a CSV of every seat) and commemorative production (print
// data out, the printing house's result with each ticket's RFID chip in).
func (a *API) inventoryRoutes() []route {
	with := func(fn func(*gin.Context, *inventory.Service, sales.Principal, int64) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Inventory == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server keeps no inventory"}
			}
			var vid int64
			if c.Param("id") != "" {
				var err error
				if vid, err = id(c, "id"); err != nil {
					return nil, err
				}
			}
			return fn(c, a.opts.Inventory, p, vid)
		}
	}
	asOf := func(c *gin.Context, s *inventory.Service, p sales.Principal, vid int64) (inventory.Inventory, error) {
		at, err := queryTime(c, "as_of")
		if err != nil {
			return inventory.Inventory{}, err
		}
		return s.Build(c.Request.Context(), p, vid, at, c.Query("period"))
	}
	return []route{
		{method: "GET", path: "/venues/:id/inventory", summary: "The venue's ticket inventory as of a moment (as_of; period=daily|weekly: the end of the last day or week): each session's seats by sale, production and use state, and its public share",
			tag: "inventory", query: []string{"as_of", "period"}, resp: inventory.Inventory{},
			h: with(func(c *gin.Context, s *inventory.Service, p sales.Principal, vid int64) (any, error) {
				return asOf(c, s, p, vid)
			})},
		{method: "GET", path: "/venues/:id/inventory.csv", summary: "The inventory as CSV, a line per seat; the same moment gives the same file", tag: "inventory", query: []string{"as_of", "period"},
			h: with(func(c *gin.Context, s *inventory.Service, p sales.Principal, vid int64) (any, error) {
				inv, err := asOf(c, s, p, vid)
				if err != nil {
					return nil, err
				}
				c.Header("Content-Disposition", `attachment; filename="inventory-`+c.Param("id")+"-"+inv.AsOf.Format("20060102T150405Z")+`.csv"`)
				c.Data(http.StatusOK, "text/csv; charset=utf-8", inv.CSV())
				return nil, nil
			})},
		{method: "GET", path: "/venues/:id/inventory/exports", summary: "The daily and weekly exports the server took, newest first: each file's SHA-256, counts, tickets by channel and the sessions where the inventory and the channels' sales disagree",
			tag: "inventory", resp: []inventory.Export{},
			h: with(func(c *gin.Context, s *inventory.Service, p sales.Principal, vid int64) (any, error) {
				return s.Exports(c.Request.Context(), p, vid)
			})},
		{method: "GET", path: "/venues/:id/inventory/exports/:export", summary: "An export's file as it was taken (CSV; its SHA-256 in X-Content-SHA256)", tag: "inventory",
			h: with(func(c *gin.Context, s *inventory.Service, p sales.Principal, vid int64) (any, error) {
				eid, err := id(c, "export")
				if err != nil {
					return nil, err
				}
				e, body, err := s.ExportFile(c.Request.Context(), p, vid, eid)
				if err != nil {
					return nil, err
				}
				c.Header("X-Content-SHA256", e.SHA256)
				c.Header("Content-Disposition", `attachment; filename="inventory-`+c.Param("id")+"-"+e.Period+"-"+e.AsOf.Format("20060102T150405Z")+`.csv"`)
				c.Data(http.StatusOK, "text/csv; charset=utf-8", body)
				return nil, nil
			})},
		{method: "POST", path: "/tickets/commemorative", summary: "Have tickets made as commemorative tickets by the printing house", tag: "inventory", body: numbersBody{}, resp: countBody{},
			h: with(func(c *gin.Context, s *inventory.Service, p sales.Principal, _ int64) (any, error) {
				var in numbersBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				n, err := a.svc.OrderCommemorative(c.Request.Context(), p, in.Numbers)
				return countBody{n}, err
			})},
		{method: "GET", path: "/venues/:id/commemorative.csv", summary: "Print data for the printing house: the venue's commemorative tickets not yet made", tag: "inventory",
			h: with(func(c *gin.Context, s *inventory.Service, p sales.Principal, vid int64) (any, error) {
				b, err := s.PrintData(c.Request.Context(), p, vid)
				if err != nil {
					return nil, err
				}
				c.Header("Content-Disposition", `attachment; filename="commemorative-`+c.Param("id")+`.csv"`)
				c.Data(http.StatusOK, "text/csv; charset=utf-8", b)
				return nil, nil
			})},
		{method: "POST", path: "/venues/:id/commemorative", summary: "The printing house's result (CSV number,rfid): each ticket made, its chip admitting it at the gates; all lines or none", tag: "inventory",
			resp: countBody{},
			h: with(func(c *gin.Context, s *inventory.Service, p sales.Principal, vid int64) (any, error) {
				n, err := s.ImportProduction(c.Request.Context(), p, vid, c.Request.Body)
				var pe *inventory.ProductionError
				if errors.As(err, &pe) {
					return nil, fileError("bad_production", "the result file has problems; nothing was recorded", "file", len(pe.Lines),
						func(i int) (int, string) { return pe.Lines[i].Line, pe.Lines[i].Message })
				}
				return countBody{n}, err
			})},
	}
}
