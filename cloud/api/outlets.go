package api

import (
	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/outlet"
	"github.com/admitbox/admit/cloud/sales"
)

type enableBody struct {
	Enabled bool   `json:"enabled"`
	Reason  string `json:"reason"`
}

type staffBody struct {
	UserID int64 `json:"user_id"`
}

// outletRoutes serve the channels' outlets: booths and agency shops, who
// works at each, and what each sold.
func (a *API) outletRoutes() []route {
	with := func(fn func(*gin.Context, *outlet.Service, sales.Principal) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Outlets == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server has no outlets"}
			}
			return fn(c, a.opts.Outlets, p)
		}
	}
	return []route{
		{method: "GET", path: "/outlets", summary: "The tenant's outlets (booths, agency shops)", tag: "outlets", resp: []outlet.Outlet{},
			h: with(func(c *gin.Context, s *outlet.Service, p sales.Principal) (any, error) {
				return s.List(c.Request.Context(), p)
			})},
		{method: "POST", path: "/outlets", summary: "Add an outlet of a channel (pos: a booth; agency: an agency's shop)", tag: "outlets", body: outlet.Outlet{}, resp: outlet.Outlet{},
			h: with(func(c *gin.Context, s *outlet.Service, p sales.Principal) (any, error) {
				var in outlet.Outlet
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Create(c.Request.Context(), p, in)
			})},
		{method: "POST", path: "/outlets/:id/enable", summary: "Enable or disable an outlet: a disabled outlet's staff sell nothing", tag: "outlets", body: enableBody{}, resp: outlet.Outlet{},
			h: with(func(c *gin.Context, s *outlet.Service, p sales.Principal) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in enableBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.SetEnabled(c.Request.Context(), p, oid, in.Enabled, in.Reason)
			})},
		{method: "POST", path: "/outlets/:id/staff", summary: "Make a user work at the outlet: their sales record it", tag: "outlets", body: staffBody{},
			h: with(func(c *gin.Context, s *outlet.Service, p sales.Principal) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in staffBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return nil, s.Assign(c.Request.Context(), p, oid, in.UserID)
			})},
		{method: "GET", path: "/outlets/report", summary: "What each outlet sold from from to to (RFC 3339; to: now)", tag: "outlets", query: []string{"from", "to"}, resp: []outlet.Sales{},
			h: with(func(c *gin.Context, s *outlet.Service, p sales.Principal) (any, error) {
				from, to, err := queryPeriod(c)
				if err != nil {
					return nil, err
				}
				return s.Report(c.Request.Context(), p, from, to)
			})},
	}
}
