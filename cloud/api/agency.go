package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/limit"
	"github.com/admitbox/admit/cloud/sales"
)

type keyBody struct {
	Label string `json:"label"`
}

type rotateBody struct {
	GraceHours int `json:"grace_hours"`
}

// IdempotencyHeader names an agency's order, so a retry is the same order.
const IdempotencyHeader = "Idempotency-Key"

// agencyRoutes serve the organiser's management of agencies and their
// keys (bearer token, tenant admin) and the agencies' own sales interface
// under /agency (an agency's API key as the bearer, its own rate).
func (a *API) agencyRoutes() []route {
	with := func(fn func(*gin.Context, *agency.Service, sales.Principal) (any, error)) handler {
		return func(c *gin.Context, p sales.Principal) (any, error) {
			if a.opts.Agencies == nil {
				return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server has no agencies"}
			}
			return fn(c, a.opts.Agencies, p)
		}
	}
	// selling authenticates the agency by its key, and applies its rate.
	selling := func(fn func(*gin.Context, *agency.Service, agency.Caller) (any, error)) handler {
		return with(func(c *gin.Context, s *agency.Service, _ sales.Principal) (any, error) {
			tok, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
			caller, err := s.Authenticate(c.Request.Context(), tok)
			var rl *agency.RateLimited
			if errors.As(err, &rl) {
				tooMany(c, limit.Sale, rl.Wait)
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			return fn(c, s, caller)
		})
	}
	agencyID := func(c *gin.Context) (int64, error) { return id(c, "id") }
	return []route{
		{method: "GET", path: "/agencies", summary: "The tenant's agencies", tag: "agencies", resp: []agency.Agency{},
			h: with(func(c *gin.Context, s *agency.Service, p sales.Principal) (any, error) {
				return s.List(c.Request.Context(), p)
			})},
		{method: "POST", path: "/agencies", summary: "Add an agency: its code, name, commission (basis points), service fee per ticket and request rate", tag: "agencies",
			body: agency.Agency{}, resp: agency.Agency{},
			h: with(func(c *gin.Context, s *agency.Service, p sales.Principal) (any, error) {
				var in agency.Agency
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.Create(c.Request.Context(), p, in)
			})},
		{method: "PUT", path: "/agencies/:id", summary: "Change an agency's name, terms, rate, or enable or disable it (its code stays)", tag: "agencies",
			body: agency.Agency{}, resp: agency.Agency{},
			h: with(func(c *gin.Context, s *agency.Service, p sales.Principal) (any, error) {
				aid, err := agencyID(c)
				if err != nil {
					return nil, err
				}
				var in agency.Agency
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				in.ID = aid
				return s.Update(c.Request.Context(), p, in)
			})},
		{method: "GET", path: "/agencies/:id/keys", summary: "An agency's API keys, current and ended (never their secrets)", tag: "agencies", resp: []agency.Key{},
			h: with(func(c *gin.Context, s *agency.Service, p sales.Principal) (any, error) {
				aid, err := agencyID(c)
				if err != nil {
					return nil, err
				}
				return s.Keys(c.Request.Context(), p, aid)
			})},
		{method: "POST", path: "/agencies/:id/keys", summary: "Make an API key for an agency: the answer is the only time its token is shown", tag: "agencies",
			body: keyBody{}, resp: agency.NewKey{},
			h: with(func(c *gin.Context, s *agency.Service, p sales.Principal) (any, error) {
				aid, err := agencyID(c)
				if err != nil {
					return nil, err
				}
				var in keyBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.IssueKey(c.Request.Context(), p, aid, in.Label)
			})},
		{method: "POST", path: "/agencies/:id/keys/:key/rotate", summary: "Replace a key: a new token now, the old one ends after grace_hours (0: at once)", tag: "agencies",
			body: rotateBody{}, resp: agency.NewKey{},
			h: with(func(c *gin.Context, s *agency.Service, p sales.Principal) (any, error) {
				aid, err := agencyID(c)
				if err != nil {
					return nil, err
				}
				kid, err := id(c, "key")
				if err != nil {
					return nil, err
				}
				var in rotateBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return s.RotateKey(c.Request.Context(), p, aid, kid, time.Duration(in.GraceHours)*time.Hour)
			})},
		{method: "POST", path: "/agencies/:id/keys/:key/revoke", summary: "End a key at once: its next request is refused", tag: "agencies", resp: agency.Key{},
			h: with(func(c *gin.Context, s *agency.Service, p sales.Principal) (any, error) {
				aid, err := agencyID(c)
				if err != nil {
					return nil, err
				}
				kid, err := id(c, "key")
				if err != nil {
					return nil, err
				}
				return s.RevokeKey(c.Request.Context(), p, aid, kid)
			})},

		{method: "GET", path: "/agency/sessions", summary: "The sessions the agency may sell, with their prices and its quotas", tag: "agency", public: true, keyAuth: true,
			resp: []agency.Session{}, h: selling(func(c *gin.Context, s *agency.Service, caller agency.Caller) (any, error) {
				return s.Sessions(c.Request.Context(), caller)
			})},
		{method: "GET", path: "/agency/sessions/:id", summary: "One session with its prices and the agency's quotas", tag: "agency", public: true, keyAuth: true,
			resp: agency.Session{}, h: selling(func(c *gin.Context, s *agency.Service, caller agency.Caller) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				return s.Session(c.Request.Context(), caller, sid)
			})},
		{method: "GET", path: "/agency/sessions/:id/availability", summary: "A session's live seat map: each seat's state and price level", tag: "agency", public: true, keyAuth: true,
			resp: availabilityDoc{}, h: selling(func(c *gin.Context, s *agency.Service, caller agency.Caller) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				b, err := s.Availability(c.Request.Context(), caller, sid)
				if err != nil {
					return nil, err
				}
				c.Data(http.StatusOK, "application/json; charset=utf-8", b)
				return nil, nil
			})},
		{method: "POST", path: "/agency/orders", summary: "Sell seats, paid on the agency's word; one order per Idempotency-Key (a retry answers 200 with the same order)", tag: "agency",
			public: true, keyAuth: true, headers: []string{IdempotencyHeader}, body: agency.OrderRequest{}, resp: sales.Order{},
			h: selling(func(c *gin.Context, s *agency.Service, caller agency.Caller) (any, error) {
				var in agency.OrderRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				o, replayed, err := s.Order(c.Request.Context(), caller, c.GetHeader(IdempotencyHeader), in)
				return idempotent(c, o, replayed, err)
			})},
		{method: "POST", path: "/agency/orders/:id/refund", summary: "Ask the organiser to refund tickets of one of your orders (none named: all), once per Idempotency-Key (a retry answers 200 with the same request); one request per order waits at a time (another meanwhile: 409 refund_pending)", tag: "agency",
			public: true, keyAuth: true, headers: []string{IdempotencyHeader}, body: agency.RefundRequest{}, resp: sales.RefundRequest{},
			h: selling(func(c *gin.Context, s *agency.Service, caller agency.Caller) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in agency.RefundRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				r, replayed, err := s.Refund(c.Request.Context(), caller, oid, c.GetHeader(IdempotencyHeader), in)
				return idempotent(c, r, replayed, err)
			})},
		{method: "GET", path: "/agency/orders/:id", summary: "One of the agency's orders with its tickets", tag: "agency", public: true, keyAuth: true,
			resp: sales.Order{}, h: selling(func(c *gin.Context, s *agency.Service, caller agency.Caller) (any, error) {
				oid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				return s.GetOrder(c.Request.Context(), caller, oid)
			})},
	}
}

// idempotent answers a write made once per Idempotency-Key: 201 with what
// it made, or, for a retry answered what the key made before, 200 with
// Idempotent-Replayed.
func idempotent(c *gin.Context, v any, replayed bool, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if replayed {
		c.Header("Idempotent-Replayed", "true")
		c.JSON(http.StatusOK, v)
		return nil, nil
	}
	return v, nil
}
