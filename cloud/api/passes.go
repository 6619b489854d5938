package api

import (
	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/pass"
	"github.com/admitbox/admit/cloud/sales"
)

// passRoutes serve passes: products over several sessions, sold at the
// box office in one transaction (refunded whole through POST /refunds
// with the pass's bundle_id).
func (a *API) passRoutes() []route {
	with := func(fn func(*gin.Context, *pass.Service, sales.Principal) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Passes == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server sells no passes"}
			}
			return fn(c, a.opts.Passes, p)
		}
	}
	return []route{
		{method: "GET", path: "/passes/products", summary: "The tenant's passes on sale", tag: "passes", resp: []pass.Product{},
			h: with(func(c *gin.Context, s *pass.Service, p sales.Principal) (any, error) {
				return s.List(c.Request.Context(), p)
			})},
		{method: "POST", path: "/passes/products", summary: "Put a pass on sale: its sessions, seated or not, one price or prices by level, a stock", tag: "passes",
			body: pass.Product{}, resp: pass.Product{},
			h: with(func(c *gin.Context, s *pass.Service, p sales.Principal) (any, error) {
				var in pass.Product
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Create(c.Request.Context(), p, in)
			})},
		{method: "POST", path: "/passes/products/:id/sell", summary: "Sell a pass for cash: every session's seat, order and ticket in one transaction, and the pass's one code", tag: "passes",
			body: pass.SellRequest{}, resp: sales.Bundle{},
			h: with(func(c *gin.Context, s *pass.Service, p sales.Principal) (any, error) {
				pid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in pass.SellRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Sell(c.Request.Context(), p, pid, in)
			})},
		{method: "GET", path: "/passes/:id", summary: "A sold pass with its code and its orders", tag: "passes", resp: sales.Bundle{},
			h: with(func(c *gin.Context, s *pass.Service, p sales.Principal) (any, error) {
				bid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				return s.Get(c.Request.Context(), p, bid)
			})},
	}
}
