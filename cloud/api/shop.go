package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/storefront"
)

// shopRoutes serve the public shop's catalogue: a tenant's events on
// sale, and an event's sessions with the seats left by price level.
func (a *API) shopRoutes() []route {
	serve := func(c *gin.Context, b []byte, err error) (any, error) {
		if errors.Is(err, storefront.ErrNotFound) {
			return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_found", Message: "no such shop, event or session on sale"}
		}
		if err != nil {
			return nil, err
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", b)
		return nil, nil
	}
	with := func(fn func(*gin.Context, *storefront.Service) (any, error)) handler {
		return func(c *gin.Context, _ sales.Principal) (any, error) {
			if a.opts.Storefront == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server runs no shop"}
			}
			return fn(c, a.opts.Storefront)
		}
	}
	return []route{
		{method: "GET", path: "/shop/:tenant", summary: "A shop's events on sale, with the seats left (at most a second old)", tag: "shop", public: true,
			resp: storefront.Home{}, h: with(func(c *gin.Context, s *storefront.Service) (any, error) {
				b, err := s.HomeJSON(c.Request.Context(), c.Param("tenant"))
				return serve(c, b, err)
			})},
		{method: "GET", path: "/shop/:tenant/events/:id", summary: "An event's sessions on sale with the seats left by price level", tag: "shop", public: true,
			resp: storefront.EventPage{}, h: with(func(c *gin.Context, s *storefront.Service) (any, error) {
				eid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				b, err := s.EventJSON(c.Request.Context(), c.Param("tenant"), eid)
				return serve(c, b, err)
			})},
		{method: "GET", path: "/shop/:tenant/sessions/:id/seats", summary: "A session's seat map: each seat, its price level, whether it can be bought now (at most a second old)", tag: "shop", public: true,
			resp: storefront.SeatsPage{}, h: with(func(c *gin.Context, s *storefront.Service) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				b, err := s.SeatsJSON(c.Request.Context(), c.Param("tenant"), sid)
				return serve(c, b, err)
			})},
	}
}
