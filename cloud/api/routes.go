package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/ops"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/seatmap"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type health struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

type reasonBody struct {
	Reason string `json:"reason"`
}

type decisionBody struct {
	Note string `json:"note"`
}

type pricesBody struct {
	Tiers []sales.PriceTier `json:"tiers"`
}

type quotasBody struct {
	Quotas []sales.Quota `json:"quotas"`
}

type seatStateBody struct {
	State  seatmap.PhysicalState `json:"state"`
	Reason string                `json:"reason"`
}

type verifyBody struct {
	QR string `json:"qr"`
}

type registerDeviceBody struct {
	VenueID int64 `json:"venue_id"`
	sales.NewDevice
}

// registeredDevice is the only answer that ever shows the enrollment code.
type registeredDevice struct {
	Device         sales.Device `json:"device"`
	EnrollmentCode string       `json:"enrollment_code"`
}

type enrollBody struct {
	Code string `json:"code"`
}

type hallSeatMap struct {
	Hall  sales.Hall       `json:"hall"`
	Map   seatmap.Map      `json:"seat_map"`
	Seats []sales.HallSeat `json:"seats"`
}

type availabilityDoc struct {
	SessionID int64          `json:"session_id"`
	Version   int64          `json:"version"`
	Legend    string         `json:"legend,omitempty"`
	Counts    map[string]int `json:"counts"`
	Seats     string         `json:"seats,omitempty"`   // the whole map
	Since     int64          `json:"since,omitempty"`   // a delta: from this version
	AtUS      int64          `json:"at_us,omitempty"`   // when the newest change was applied (unix µs)
	Changes   [][2]any       `json:"changes,omitempty"` // a delta: [position, code] in order
}

// handler is what a route runs once the caller is authenticated.
type handler = func(c *gin.Context, p sales.Principal) (any, error)

// The adapters below turn a service method into a handler by its shape,
// so most routes name one method: parse the id, decode the body, call.

// list serves fn(ctx, p).
func list[Out any](fn func(context.Context, sales.Principal) (Out, error)) handler {
	return func(c *gin.Context, p sales.Principal) (any, error) { return fn(c.Request.Context(), p) }
}

// byID serves fn(ctx, p, :id).
func byID[Out any](fn func(context.Context, sales.Principal, int64) (Out, error)) handler {
	return func(c *gin.Context, p sales.Principal) (any, error) {
		n, err := id(c, "id")
		if err != nil {
			return nil, err
		}
		return fn(c.Request.Context(), p, n)
	}
}

// withBody serves fn(ctx, p, body).
func withBody[In, Out any](fn func(context.Context, sales.Principal, In) (Out, error)) handler {
	return func(c *gin.Context, p sales.Principal) (any, error) {
		var in In
		if err := decode(c, &in); err != nil {
			return nil, err
		}
		return fn(c.Request.Context(), p, in)
	}
}

// byStrID serves fn(ctx, p, :id) for string ids (devices).
func byStrID[Out any](fn func(context.Context, sales.Principal, string) (Out, error)) handler {
	return func(c *gin.Context, p sales.Principal) (any, error) {
		s, err := strID(c, "id")
		if err != nil {
			return nil, err
		}
		return fn(c.Request.Context(), p, s)
	}
}

// byIDWithBody serves fn(ctx, p, :id, body).
func byIDWithBody[In, Out any](fn func(context.Context, sales.Principal, int64, In) (Out, error)) handler {
	return func(c *gin.Context, p sales.Principal) (any, error) {
		n, err := id(c, "id")
		if err != nil {
			return nil, err
		}
		var in In
		if err := decode(c, &in); err != nil {
			return nil, err
		}
		return fn(c.Request.Context(), p, n, in)
	}
}

// byIDWithReason serves fn(ctx, p, :id, reason) for state changes whose
// body is only the reason a person gives (cancel, revoke).
func byIDWithReason[Out any](fn func(context.Context, sales.Principal, int64, string) (Out, error)) handler {
	return byIDWithBody(func(ctx context.Context, p sales.Principal, id int64, in reasonBody) (Out, error) {
		return fn(ctx, p, id, in.Reason)
	})
}

// byStrIDWithReason is byIDWithReason for string ids (devices).
func byStrIDWithReason[Out any](fn func(context.Context, sales.Principal, string, string) (Out, error)) handler {
	return func(c *gin.Context, p sales.Principal) (any, error) {
		sid, err := strID(c, "id")
		if err != nil {
			return nil, err
		}
		var in reasonBody
		if err := decode(c, &in); err != nil {
			return nil, err
		}
		return fn(c.Request.Context(), p, sid, in.Reason)
	}
}

// withOps serves fn when the System page's service is wired.
func (a *API) withOps(fn func(*gin.Context, *ops.Service, sales.Principal) (any, error)) handler {
	return func(c *gin.Context, p sales.Principal) (any, error) {
		if a.opts.Ops == nil {
			return nil, &sales.Error{Kind: sales.KindNotFound, Code: "not_configured", Message: "this server has no system figures"}
		}
		return fn(c, a.opts.Ops, p)
	}
}

func (a *API) table() []route {
	return []route{
		{method: "GET", path: "/health", summary: "Liveness; the benchmark's baseline endpoint", tag: "system", public: true, resp: health{},
			h: func(c *gin.Context, _ sales.Principal) (any, error) {
				return health{Status: "ok", Version: a.opts.Version}, nil
			}},
		{method: "POST", path: "/auth/login", summary: "Log in; returns a bearer token", tag: "access", public: true, body: loginRequest{}, resp: sales.LoginResult{},
			h: func(c *gin.Context, _ sales.Principal) (any, error) {
				var in loginRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				res, err := a.svc.Login(c.Request.Context(), in.Username, in.Password)
				if err != nil {
					return nil, err
				}
				c.JSON(http.StatusOK, res)
				return nil, nil
			}},
		{method: "GET", path: "/me", summary: "The logged-in principal", tag: "access", resp: sales.Principal{},
			h: func(c *gin.Context, p sales.Principal) (any, error) { return p, nil }},
		{method: "POST", path: "/auth/logout", summary: "End this login at once (the token is refused from now on, by every cloud process)", tag: "access",
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				tok, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
				if err := a.svc.Logout(c.Request.Context(), p, tok); err != nil {
					return nil, err
				}
				c.Status(http.StatusNoContent)
				return nil, nil
			}},
		{method: "GET", path: "/system", summary: "How the platform runs: users and devices online, sales per minute, lags, and the figures outside their ranges", tag: "system",
			resp: ops.Snapshot{}, h: a.withOps(func(c *gin.Context, o *ops.Service, p sales.Principal) (any, error) {
				return o.Snapshot(c.Request.Context(), p)
			})},
		{method: "GET", path: "/system/ranges", summary: "The tenant's safe ranges for the system figures", tag: "system", resp: []ops.Range{},
			h: a.withOps(func(c *gin.Context, o *ops.Service, p sales.Principal) (any, error) {
				return o.Ranges(c.Request.Context(), p)
			})},
		{method: "PUT", path: "/system/ranges", summary: "Set the tenant's safe ranges (admins); a figure outside its range is an anomaly", tag: "system",
			body: []ops.Range{}, resp: []ops.Range{}, h: a.withOps(func(c *gin.Context, o *ops.Service, p sales.Principal) (any, error) {
				var in []ops.Range
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return o.SetRanges(c.Request.Context(), p, in)
			})},

		{method: "GET", path: "/tenants", summary: "List tenants", tag: "tenants", resp: []sales.Tenant{},
			h: list(a.svc.ListTenants)},
		{method: "POST", path: "/tenants", summary: "Create a tenant (platform admin)", tag: "tenants", body: sales.NewTenant{}, resp: sales.Tenant{},
			h: withBody(a.svc.CreateTenant)},
		{method: "GET", path: "/users", summary: "List users of the tenant", tag: "access", query: []string{"tenant_id"}, resp: []sales.User{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				t, err := queryInt(c, "tenant_id")
				if err != nil {
					return nil, err
				}
				return a.svc.ListUsers(c.Request.Context(), p, t)
			}},
		{method: "POST", path: "/users", summary: "Create a user", tag: "access", body: sales.NewUser{}, resp: sales.User{},
			h: withBody(a.svc.CreateUser)},
		{method: "PATCH", path: "/users/:id", summary: "Change a user (venues, password, disable, unlock)", tag: "access", body: sales.UserPatch{}, resp: sales.User{},
			h: byIDWithBody(a.svc.UpdateUser)},

		{method: "GET", path: "/venues", summary: "List venues in scope", tag: "venues", resp: []sales.Venue{},
			h: list(a.svc.ListVenues)},
		{method: "POST", path: "/venues", summary: "Create a venue", tag: "venues", body: sales.NewVenue{}, resp: sales.Venue{},
			h: withBody(a.svc.CreateVenue)},
		{method: "GET", path: "/venues/:id", summary: "Get a venue", tag: "venues", resp: sales.Venue{},
			h: byID(a.svc.GetVenue)},
		{method: "POST", path: "/venues/:id/business-status", summary: "Set the venue's business status at the national data platform (trial, open, closed)", tag: "venues",
			body: sales.VenueStatus{}, resp: sales.Venue{}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				vid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in sales.VenueStatus
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return a.svc.SetVenueStatus(c.Request.Context(), p, vid, in)
			}},
		{method: "GET", path: "/venues/:id/halls", summary: "List a venue's halls", tag: "venues", resp: []sales.Hall{},
			h: byID(a.svc.ListHalls)},
		{method: "POST", path: "/venues/:id/halls", summary: "Create a hall, optionally with its seat map", tag: "venues", body: sales.NewHall{}, resp: sales.Hall{},
			h: byIDWithBody(a.svc.CreateHall)},
		{method: "GET", path: "/halls/:id", summary: "Get a hall", tag: "venues", resp: sales.Hall{},
			h: byID(a.svc.GetHall)},
		{method: "GET", path: "/halls/:id/seatmap", summary: "Export the seat map (JSON, or CSV with ?format=csv)", tag: "venues", query: []string{"format"}, resp: hallSeatMap{},
			h: a.exportSeatMap},
		{method: "PUT", path: "/halls/:id/seatmap", summary: "Import a seat map (JSON body, or CSV with Content-Type text/csv); a bad file is refused by line and changes nothing", tag: "venues", body: seatmap.Map{}, resp: sales.Hall{},
			query: []string{"reason"}, h: a.importSeatMap},
		{method: "PUT", path: "/halls/:id/seats/:label/state", summary: "Set a seat's physical state (ok, damaged, removed, obstructed)", tag: "venues", body: seatStateBody{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				hid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in seatStateBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				switch in.State {
				case seatmap.StateOK, seatmap.StateDamaged, seatmap.StateRemoved, seatmap.StateObstructed:
				default:
					return nil, &sales.Error{Kind: sales.KindInvalid, Code: "bad_state", Message: "state must be ok, damaged, removed or obstructed"}
				}
				return nil, a.svc.SetSeatState(c.Request.Context(), p, hid, c.Param("label"), in.State, in.Reason)
			}},

		{method: "GET", path: "/events", summary: "List events", tag: "sessions", resp: []sales.Event{},
			h: list(a.svc.ListEvents)},
		{method: "POST", path: "/events", summary: "Create an event (a film, a match)", tag: "sessions", body: sales.NewEvent{}, resp: sales.Event{},
			h: withBody(a.svc.CreateEvent)},
		{method: "GET", path: "/events/:id", summary: "Get an event", tag: "sessions", resp: sales.Event{},
			h: byID(a.svc.GetEvent)},
		{method: "GET", path: "/sessions", summary: "List sessions in scope", tag: "sessions", query: []string{"venue_id", "business_date"}, resp: []sales.Session{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				vid, err := queryInt(c, "venue_id")
				if err != nil {
					return nil, err
				}
				return a.svc.ListSessions(c.Request.Context(), p, sales.SessionFilter{VenueID: vid, BusinessDate: c.Query("business_date")})
			}},
		{method: "POST", path: "/sessions", summary: "Schedule a session in a hall (copies the hall's seat map)", tag: "sessions", body: sales.NewSession{}, resp: sales.Session{},
			h: withBody(a.svc.CreateSession)},
		{method: "GET", path: "/sessions/:id", summary: "Get a session", tag: "sessions", resp: sales.Session{},
			h: byID(a.svc.GetSession)},
		{method: "POST", path: "/sessions/:id/cancel", summary: "Cancel a session", tag: "sessions", body: reasonBody{}, resp: sales.Session{},
			h: byIDWithReason(a.svc.CancelSession)},
		{method: "POST", path: "/sessions/:id/postpone", summary: "Postpone a session: its tickets stay valid at the new time and may be refunded until it starts", tag: "sessions",
			body: sales.Postponement{}, resp: sales.Session{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in sales.Postponement
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return a.svc.PostponeSession(c.Request.Context(), p, sid, in)
			}},
		{method: "GET", path: "/sessions/:id/prices", summary: "A session's price tiers", tag: "sessions", resp: []sales.PriceTier{},
			h: byID(a.svc.Prices)},
		{method: "PUT", path: "/sessions/:id/prices", summary: "Replace a session's price tiers (minimum price enforced)", tag: "sessions", body: pricesBody{}, resp: []sales.PriceTier{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in pricesBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return a.svc.SetPrices(c.Request.Context(), p, sid, in.Tiers)
			}},
		{method: "PUT", path: "/sessions/:id/quotas", summary: "Replace per-channel and per-tier quotas", tag: "sessions", body: quotasBody{}, resp: sales.Session{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in quotasBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return a.svc.SetQuotas(c.Request.Context(), p, sid, in.Quotas)
			}},
		{method: "POST", path: "/sessions/:id/seat-categories", summary: "Reserve, hold back, mark non-sale or release seats", tag: "sessions", body: sales.CategoryChange{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in sales.CategoryChange
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return nil, a.svc.SetSeatCategory(c.Request.Context(), p, sid, in)
			}},
		{method: "GET", path: "/sessions/:id/seats", summary: "The session's seats with ids, in availability order", tag: "sessions", resp: []sales.SessionSeat{},
			h: byID(a.svc.SessionSeats)},
		{method: "GET", path: "/sessions/:id/availability", summary: "Availability: one character per seat in seat order (A=available H=held S=sold X=out of service R=reserved B=held back N=non-sale -=no price) at a version; with ?since=V only the changes since V ([position, code] in order), or the whole map when V is too old", tag: "sales",
			query: []string{"since"}, resp: availabilityDoc{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				sid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				since, ok, err := sinceParam(c)
				if err != nil {
					return nil, err
				}
				var body []byte
				if ok {
					body, err = a.svc.AvailabilitySince(c.Request.Context(), p, sid, since)
				} else {
					body, err = a.svc.AvailabilityJSON(c.Request.Context(), p, sid)
				}
				if err != nil {
					return nil, err
				}
				c.Header("Cache-Control", "no-store")
				c.Data(http.StatusOK, "application/json; charset=utf-8", body)
				return nil, nil
			}},
		{method: "GET", path: "/sessions/:id/availability/stream", summary: "The seat map live as server-sent events: event: map (the whole document) or, with ?since=V, event: delta; then event: delta with every change since the last message, in order", tag: "sales",
			query: []string{"since"}, resp: availabilityDoc{}, h: a.streamSeatMap},

		{method: "GET", path: "/channels", summary: "Per-channel settings (hold time to live)", tag: "sales", resp: []sales.ChannelSettings{},
			h: list(a.svc.ChannelSettings)},
		{method: "PUT", path: "/channels/:channel", summary: "Set a channel's hold time to live", tag: "sales", body: sales.ChannelSettings{}, resp: sales.ChannelSettings{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in sales.ChannelSettings
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				in.Channel = sales.Channel(c.Param("channel"))
				return a.svc.PutChannelSettings(c.Request.Context(), p, in)
			}},
		{method: "POST", path: "/holds", summary: "Hold seats (specific, or best-available N in a tier), all or nothing", tag: "sales", body: sales.HoldRequest{}, resp: sales.Hold{},
			h: withBody(a.svc.HoldSeats)},
		{method: "GET", path: "/holds/:id", summary: "Get a hold", tag: "sales", resp: sales.Hold{},
			h: byID(a.svc.GetHold)},
		{method: "DELETE", path: "/holds/:id", summary: "Release a hold", tag: "sales", resp: sales.Hold{},
			h: byID(a.svc.ReleaseHold)},
		{method: "POST", path: "/orders", summary: "Confirm a hold into an order awaiting payment; with a payment (cash at the box office, or a card: its attempt keyed within the hold, a resent attempt answers the order it made), the whole sale in one step", tag: "sales", body: sales.OrderRequest{}, resp: sales.Order{},
			h: withBody(a.svc.ConfirmOrder)},
		{method: "GET", path: "/orders", summary: "Find orders by pickup code, ticket number or customer name", tag: "sales",
			query: []string{"pickup_code", "ticket_number", "customer_name", "session_id"}, resp: []sales.Order{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				sid, err := queryInt(c, "session_id")
				if err != nil {
					return nil, err
				}
				return a.svc.FindOrders(c.Request.Context(), p, sales.OrderFilter{PickupCode: c.Query("pickup_code"),
					TicketNumber: c.Query("ticket_number"), CustomerName: c.Query("customer_name"), SessionID: sid})
			}},
		{method: "GET", path: "/orders/:id", summary: "Get an order with its tickets", tag: "sales", resp: sales.Order{},
			h: byID(a.svc.GetOrder)},
		{method: "POST", path: "/orders/:id/payments", summary: "Pay an order (cash at the box office, or card); issues the signed tickets. Each attempt has its idempotency key (idempotency_key or the Idempotency-Key header): the same attempt resent after a timeout charges once and answers the paid order", tag: "sales", body: sales.PaymentRequest{}, resp: sales.Order{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				n, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				var in sales.PaymentRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				if h := c.GetHeader("Idempotency-Key"); h != "" {
					if in.IdempotencyKey != "" && in.IdempotencyKey != h {
						return nil, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_payment", Message: "the Idempotency-Key header and idempotency_key differ",
							Fields: []sales.FieldError{{Field: "idempotency_key", Message: "differs from the Idempotency-Key header"}}}
					}
					in.IdempotencyKey = h
				}
				return a.svc.PayOrder(c.Request.Context(), p, n, in)
			}},
		{method: "GET", path: "/tickets/:number/preview.png", summary: "The ticket as the kiosk printer prints it (PNG; ?paper=58 or 80)", tag: "sales",
			query: []string{"paper"}, h: a.ticketPreview},
		{method: "GET", path: "/tickets/:number", summary: "Get a ticket by its number", tag: "sales", resp: sales.Ticket{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				return a.svc.GetTicket(c.Request.Context(), p, c.Param("number"))
			}},
		{method: "POST", path: "/orders/by-holder", summary: "A booth's pickup: the orders of your venues with a ticket naming the document you checked (not kept)", tag: "sales",
			body: sales.HolderLookup{}, resp: []sales.Order{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in sales.HolderLookup
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				os, err := a.svc.FindOrdersByHolder(c.Request.Context(), p, in)
				if err != nil {
					return nil, err
				}
				c.JSON(http.StatusOK, os)
				return nil, nil
			}},
		{method: "POST", path: "/tickets/:number/returned", summary: "Mark a printed ticket handed back: its refund can then be approved", tag: "sales",
			body: reasonBody{}, resp: sales.Ticket{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in reasonBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return a.svc.MarkReturned(c.Request.Context(), p, c.Param("number"), in.Reason)
			}},
		{method: "PUT", path: "/tickets/:number/card", summary: "Bind an RFID card (UID in hex) to a valid ticket: gates admit the card like the QR", tag: "sales",
			body: sales.CardBinding{}, resp: sales.Ticket{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in sales.CardBinding
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				out, err := a.svc.BindCard(c.Request.Context(), p, c.Param("number"), in)
				if err != nil {
					return nil, err
				}
				c.JSON(http.StatusOK, out)
				return nil, nil
			}},
		{method: "POST", path: "/tickets/verify", summary: "Verify a ticket QR's signature and status", tag: "sales", body: verifyBody{}, resp: sales.TicketCheck{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in verifyBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				out, err := a.svc.VerifyTicket(c.Request.Context(), p, in.QR)
				if err != nil {
					return nil, err
				}
				c.JSON(http.StatusOK, out)
				return nil, nil
			}},

		{method: "GET", path: "/refunds", summary: "List refund requests (status=pending is the approval queue)", tag: "refunds", query: []string{"status"}, resp: []sales.RefundRequest{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				return a.svc.ListRefunds(c.Request.Context(), p, sales.RefundStatus(c.Query("status")))
			}},
		{method: "POST", path: "/refunds", summary: "Request a refund of an order or some of its tickets", tag: "refunds", body: sales.RefundInput{}, resp: sales.RefundRequest{},
			h: withBody(a.svc.RequestRefund)},
		{method: "GET", path: "/refunds/:id", summary: "Get a refund request", tag: "refunds", resp: sales.RefundRequest{},
			h: byID(a.svc.GetRefund)},
		{method: "POST", path: "/refunds/:id/approve", summary: "Approve a refund (not your own request)", tag: "refunds", body: decisionBody{}, resp: sales.RefundRequest{},
			h: func(c *gin.Context, p sales.Principal) (any, error) { return a.decide(c, p, true) }},
		{method: "POST", path: "/refunds/:id/reject", summary: "Reject a refund request", tag: "refunds", body: decisionBody{}, resp: sales.RefundRequest{},
			h: func(c *gin.Context, p sales.Principal) (any, error) { return a.decide(c, p, false) }},

		{method: "GET", path: "/reporting", summary: "The national data platform reporting: queue, lag, the reports that need a person", tag: "reporting",
			resp: report.Overview{}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				rep, err := a.reporting()
				if err != nil {
					return nil, err
				}
				return rep.Overview(c.Request.Context(), p)
			}},
		{method: "GET", path: "/reporting/films", summary: "The films the national data platform has for the months around now, to choose a film's code", tag: "reporting",
			resp: wire.Films{}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				rep, err := a.reporting()
				if err != nil {
					return nil, err
				}
				return rep.Films(c.Request.Context(), p)
			}},
		{method: "POST", path: "/reporting/reports/:id/resend", summary: "Send a refused or failing report again, signed afresh", tag: "reporting",
			resp: report.Report{}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				rid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				rep, err := a.reporting()
				if err != nil {
					return nil, err
				}
				return rep.Resend(c.Request.Context(), p, rid)
			}},

		{method: "POST", path: "/reporting/reconcile", summary: "Reconcile a venue's business day three ways (the cloud, the platform's download, the devices) and send again what the platform lacks",
			tag: "reporting", body: report.ReconcileRequest{}, resp: report.Reconciliation{}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in report.ReconcileRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				rep, err := a.reporting()
				if err != nil {
					return nil, err
				}
				return rep.Reconcile(c.Request.Context(), p, in)
			}},
		{method: "GET", path: "/reporting/makeups", summary: "补登: late sales and refunds, newest first, with their state", tag: "reporting",
			resp: []report.Makeup{}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				rep, err := a.reporting()
				if err != nil {
					return nil, err
				}
				return rep.Makeups(c.Request.Context(), p)
			}},
		{method: "POST", path: "/reporting/makeups", summary: "Record a 补登 (a late sale of seats, or a refund after the show) with its evidence; another manager decides it",
			tag: "reporting", body: report.MakeupRequest{}, resp: report.Makeup{}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in report.MakeupRequest
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				rep, err := a.reporting()
				if err != nil {
					return nil, err
				}
				out, err := rep.ProposeMakeup(c.Request.Context(), p, in)
				if err != nil {
					return nil, err
				}
				c.JSON(http.StatusCreated, out)
				return nil, nil
			}},
		{method: "POST", path: "/reporting/makeups/:id/approve", summary: "Approve a 补登 (not your own): within 7 days it is reported at once, older it is applied for at the platform",
			tag: "reporting", body: decisionBody{}, resp: report.Makeup{}, h: func(c *gin.Context, p sales.Principal) (any, error) { return a.decideMakeup(c, p, true) }},
		{method: "POST", path: "/reporting/makeups/:id/reject", summary: "Reject a 补登, with the reason", tag: "reporting", body: decisionBody{}, resp: report.Makeup{},
			h: func(c *gin.Context, p sales.Principal) (any, error) { return a.decideMakeup(c, p, false) }},

		{method: "GET", path: "/keys", summary: "The tenant's ticket signing keys (public parts)", tag: "keys", query: []string{"tenant_id"}, resp: []sales.SigningKey{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				t, err := queryInt(c, "tenant_id")
				if err != nil {
					return nil, err
				}
				return a.svc.SigningKeys(c.Request.Context(), p, t)
			}},
		{method: "POST", path: "/keys/rotate", summary: "Rotate the signing key: the old one retires and keeps verifying", tag: "keys", body: reasonBody{}, resp: sales.SigningKey{},
			query: []string{"tenant_id"}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				t, err := queryInt(c, "tenant_id")
				if err != nil {
					return nil, err
				}
				var in reasonBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return a.svc.RotateKey(c.Request.Context(), p, t, in.Reason)
			}},
		{method: "POST", path: "/keys/:id/revoke", summary: "Revoke a retired key: it verifies nothing from now on", tag: "keys", body: reasonBody{},
			query: []string{"tenant_id"}, h: func(c *gin.Context, p sales.Principal) (any, error) {
				kid, err := id(c, "id")
				if err != nil {
					return nil, err
				}
				t, err := queryInt(c, "tenant_id")
				if err != nil {
					return nil, err
				}
				var in reasonBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				return nil, a.svc.RevokeKey(c.Request.Context(), p, t, uint32(kid), in.Reason)
			}},

		{method: "POST", path: "/devices", summary: "Register an edge device (pos, kiosk, gate) at a venue; the answer shows its one-time enrollment code, valid 24 hours", tag: "devices",
			body: registerDeviceBody{}, resp: registeredDevice{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				var in registerDeviceBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				d, code, err := a.svc.RegisterDevice(c.Request.Context(), p, in.VenueID, in.NewDevice)
				if err != nil {
					return nil, err
				}
				return registeredDevice{Device: d, EnrollmentCode: code}, nil
			}},
		{method: "GET", path: "/devices", summary: "List devices in scope, with their last heartbeat", tag: "devices", resp: []sales.Device{},
			h: list(a.svc.ListDevices)},
		{method: "GET", path: "/devices/:id", summary: "Get a device", tag: "devices", resp: sales.Device{},
			h: byStrID(a.svc.GetDevice)},
		{method: "POST", path: "/devices/:id/revoke", summary: "Revoke a device: its credential stops working at once", tag: "devices", body: reasonBody{}, resp: sales.Device{},
			h: byStrIDWithReason(a.svc.RevokeDevice)},
		{method: "POST", path: "/enroll", summary: "Exchange a one-time enrollment code for the device's credential (secret in base64)", tag: "devices", public: true,
			body: enrollBody{}, resp: sales.DeviceCredential{},
			h: func(c *gin.Context, _ sales.Principal) (any, error) {
				var in enrollBody
				if err := decode(c, &in); err != nil {
					return nil, err
				}
				cred, err := a.svc.Enroll(c.Request.Context(), in.Code)
				if err != nil {
					return nil, err
				}
				if a.opts.Endpoints != nil {
					cred.BrokerURL, cred.APIURL = a.opts.Endpoints()
				}
				cred.BrokerCA = a.opts.BrokerCA
				c.Header("Cache-Control", "no-store")
				return cred, nil
			}},
		{method: "GET", path: "/alerts", summary: "Alerts (duplicate admissions…) of the venues in scope, newest first", tag: "devices",
			query: []string{"venue_id", "kind", "since", "limit"}, resp: []sales.Alert{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				f := sales.AlertFilter{Kind: c.Query("kind")}
				var err error
				if f.VenueID, err = queryInt(c, "venue_id"); err != nil {
					return nil, err
				}
				if f.Limit, f.Since, err = paging(c); err != nil {
					return nil, err
				}
				return a.svc.Alerts(c.Request.Context(), p, f)
			}},

		{method: "GET", path: "/venues/:id/dashboard", summary: "The venue's live dashboard: sold and remaining per session, sales per minute, channels, attendance per gate, devices, anomalies", tag: "dashboard",
			resp: sales.Dashboard{}, h: byID(a.svc.Dashboard)},
		{method: "GET", path: "/venues/:id/dashboard/stream", summary: "The dashboard as server-sent events (event: dashboard), again on every change", tag: "dashboard",
			resp: sales.Dashboard{}, h: a.streamDashboard},

		{method: "GET", path: "/audit", summary: "Read the audit log (filters: action, object, since, after_seq, limit)", tag: "audit",
			query: []string{"action", "object", "since", "after_seq", "limit", "tenant_id"}, resp: []audit.Entry{},
			h: func(c *gin.Context, p sales.Principal) (any, error) {
				f := sales.AuditFilter{Action: c.Query("action"), Object: c.Query("object")}
				var err error
				if f.AfterSeq, err = queryInt(c, "after_seq"); err != nil {
					return nil, err
				}
				if f.TenantID, err = queryInt(c, "tenant_id"); err != nil {
					return nil, err
				}
				if f.Limit, f.Since, err = paging(c); err != nil {
					return nil, err
				}
				return a.svc.AuditLog(c.Request.Context(), p, f)
			}},
		{method: "GET", path: "/audit/verify", summary: "Verify the audit hash chain; names the first altered, removed or reordered entry", tag: "audit", resp: sales.AuditReport{},
			h: func(c *gin.Context, p sales.Principal) (any, error) { return a.svc.VerifyAudit(c.Request.Context(), p) }},
	}
}

// reporting is the national data platform reporting, or not found on a
// cloud without it.
func (a *API) reporting() (*report.Service, error) {
	if a.opts.Reporting == nil {
		return nil, sales.NotFound("reporting")
	}
	return a.opts.Reporting, nil
}

func (a *API) decideMakeup(c *gin.Context, p sales.Principal, approve bool) (any, error) {
	rid, err := id(c, "id")
	if err != nil {
		return nil, err
	}
	var in decisionBody
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	rep, err := a.reporting()
	if err != nil {
		return nil, err
	}
	return rep.DecideMakeup(c.Request.Context(), p, rid, approve, in.Note)
}

func (a *API) decide(c *gin.Context, p sales.Principal, approve bool) (any, error) {
	rid, err := id(c, "id")
	if err != nil {
		return nil, err
	}
	var in decisionBody
	if err := decode(c, &in); err != nil {
		return nil, err
	}
	out, err := a.svc.DecideRefund(c.Request.Context(), p, rid, approve, in.Note)
	if err != nil {
		return nil, err
	}
	c.JSON(http.StatusOK, out)
	return nil, nil
}

func (a *API) exportSeatMap(c *gin.Context, p sales.Principal) (any, error) {
	hid, err := id(c, "id")
	if err != nil {
		return nil, err
	}
	m, seats, err := a.svc.HallSeatMap(c.Request.Context(), p, hid)
	if err != nil {
		return nil, err
	}
	if c.Query("format") == "csv" {
		var b bytes.Buffer
		if err := seatmap.WriteCSV(&b, m); err != nil {
			return nil, err
		}
		c.Header("Content-Disposition", `attachment; filename="hall-`+c.Param("id")+`.csv"`)
		c.Data(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
		return nil, nil
	}
	h, err := a.svc.GetHall(c.Request.Context(), p, hid)
	if err != nil {
		return nil, err
	}
	return hallSeatMap{Hall: h, Map: m, Seats: seats}, nil
}

func (a *API) importSeatMap(c *gin.Context, p sales.Principal) (any, error) {
	hid, err := id(c, "id")
	if err != nil {
		return nil, err
	}
	// Check access before reading a possibly large body.
	if _, err := a.svc.GetHall(c.Request.Context(), p, hid); err != nil {
		return nil, err
	}
	var m seatmap.Map
	if strings.HasPrefix(c.ContentType(), "text/csv") {
		m, err = seatmap.ParseCSV(c.Request.Body)
	} else {
		m, err = seatmap.ParseJSON(c.Request.Body)
	}
	var ie *seatmap.ImportError
	if errors.As(err, &ie) {
		e := &sales.Error{Kind: sales.KindInvalid, Code: "invalid_seat_map", Message: "the seat map has problems; nothing was changed"}
		for _, pr := range ie.Problems {
			e.Fields = append(e.Fields, sales.FieldError{Field: pr.Field, Line: pr.Line, Message: pr.Message})
		}
		return nil, e
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, err
	}
	if err != nil {
		return nil, &sales.Error{Kind: sales.KindInvalid, Code: "invalid_seat_map", Message: err.Error()}
	}
	h, err := a.svc.ImportSeatMap(c.Request.Context(), p, hid, m, c.Query("reason"))
	if err != nil {
		return nil, err
	}
	c.JSON(http.StatusOK, h)
	return nil, nil
}
