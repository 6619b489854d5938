// Package api is the cloud's HTTP JSON API under /api/v1/ (gin). Handlers
// are short: decode strictly, call one sales.Service method, encode. The
// route table below also produces the OpenAPI 3 document, so the document
// cannot drift from the routes.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/admitbox/admit/cloud/accounts"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/agency"
	"github.com/admitbox/admit/cloud/contract"
	"github.com/admitbox/admit/cloud/inventory"
	"github.com/admitbox/admit/cloud/limit"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/ops"
	"github.com/admitbox/admit/cloud/outlet"
	"github.com/admitbox/admit/cloud/pass"
	"github.com/admitbox/admit/cloud/presale"
	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/settlement"
	"github.com/admitbox/admit/cloud/storefront"
	"github.com/admitbox/admit/cloud/webshop"
)

// Options configure the API.
type Options struct {
	Logger *slog.Logger
	// MaxBody caps JSON request bodies; seat map uploads get MaxUpload.
	MaxBody   int64
	MaxUpload int64
	Version   string
	// Endpoints tells enrolling devices where the broker and the API are,
	// as devices reach them (not necessarily as this process binds them).
	Endpoints func() (brokerURL, apiURL string)
	// BrokerCA is the PEM enrolling devices must trust for a TLS broker.
	BrokerCA []byte
	// Reporting serves the national data platform reporting (nil: none).
	Reporting *report.Service
	// Ops serves the System page's figures and ranges (nil: none).
	Ops *ops.Service
	// Presales runs presales by lottery (nil: none).
	Presales *presale.Service
	// Messages tells the public (nil: none).
	Messages *messages.Service
	// Storefront is the public shop's catalogue (nil: none).
	Storefront *storefront.Service
	// Accounts are the public's accounts, WebShop their purchases (nil: none).
	Accounts *accounts.Service
	WebShop  *webshop.Service
	// Agencies sell through their API keys (nil: none).
	Agencies *agency.Service
	// Settlement settles with partners (nil: none).
	Settlement *settlement.Service
	// Passes sells passes (nil: none).
	Passes *pass.Service
	// Contract sells to contract customers (nil: none).
	Contract *contract.Service
	// Inventory is the ticket inventory and production (nil: none).
	Inventory *inventory.Service
	// Outlets are the channels' booths and shops (nil: none).
	Outlets *outlet.Service
	// Observer hears of every request the API answered (nil: none).
	Observer RequestObserver
	// Limits is the flow control in front of every route (nil: none).
	Limits *limit.Limiter
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client (none: the connection's address is the client).
	TrustedProxies []string
}

// RequestObserver counts requests: route is the route's template
// (/api/v1/orders/:id/pay), never a path with ids in it; errCode is the
// error's code ("seat_taken", "internal") or "" on success.
type RequestObserver interface {
	ObserveRequest(method, route string, status int, errCode string, d time.Duration)
}

// errCodeKey holds, on a gin context, the code of the error answered.
const errCodeKey = "admit.error_code"

// API serves the sales service over HTTP.
type API struct {
	svc    *sales.Service
	log    *slog.Logger
	opts   Options
	routes []route

	// streams ends every server-sent event stream when cancelled
	// (CloseStreams): a stream never finishes on its own, so a draining
	// server would otherwise wait for it.
	streams     context.Context
	stopStreams context.CancelFunc

	held heldRefusals // refusals waiting to be answered (flow control)
}

// route is one endpoint: what gin serves and what OpenAPI documents.
type route struct {
	method, path string // gin syntax: /sessions/:id
	summary      string
	tag          string
	public       bool // no login needed
	keyAuth      bool // an agency's API key (checked by the handler)
	headers      []string
	body         any // request body type, for the document
	resp         any // response type, for the document
	query        []string
	h            handler
}

// New builds the API handler.
func New(svc *sales.Service, o Options) *API {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBody == 0 {
		o.MaxBody = 1 << 20
	}
	if o.MaxUpload == 0 {
		o.MaxUpload = 16 << 20
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	a := &API{svc: svc, log: o.Logger, opts: o}
	a.streams, a.stopStreams = context.WithCancel(context.Background())
	a.routes = slices.Concat(a.table(), a.presaleRoutes(), a.messageRoutes(), a.shopRoutes(), a.accountRoutes(), a.agencyRoutes(), a.settlementRoutes(), a.passRoutes(), a.contractRoutes(), a.inventoryRoutes(), a.outletRoutes())
	return a
}

// CloseStreams ends the server-sent event streams open now and any opened
// later; their clients reconnect elsewhere. A server calls it when it
// starts to drain.
func (a *API) CloseStreams() { a.stopStreams() }

// streamContext is a stream's context: it ends with the request or with
// CloseStreams.
func (a *API) streamContext(c *gin.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(c.Request.Context())
	stop := context.AfterFunc(a.streams, cancel)
	return ctx, func() { stop(); cancel() }
}

// Register mounts the API on a gin engine under /api/v1.
func (a *API) Register(e *gin.Engine) {
	g := e.Group("/api/v1")
	g.GET("/openapi.json", func(c *gin.Context) { c.JSON(http.StatusOK, a.OpenAPI()) })
	g.GET("/agency/openapi.json", func(c *gin.Context) { c.JSON(http.StatusOK, a.AgencyOpenAPI()) })
	for _, r := range a.routes {
		g.Handle(r.method, r.path, a.wrap(r))
	}
}

// Handler returns a standalone http.Handler with the API and a JSON 404.
func (a *API) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	if err := e.SetTrustedProxies(a.opts.TrustedProxies); err != nil {
		a.log.Error("trusted proxies", "err", err)
	}
	e.Use(gin.Recovery())
	e.HandleMethodNotAllowed = true
	e.NoRoute(func(c *gin.Context) {
		writeError(c, &sales.Error{Kind: sales.KindNotFound, Code: "no_route", Message: "no such endpoint"})
	})
	e.NoMethod(func(c *gin.Context) {
		c.JSON(http.StatusMethodNotAllowed, errorBody{Error: errorDetail{Code: "method_not_allowed", Message: "method not allowed on this endpoint"}})
	})
	a.Register(e)
	return e
}

func (a *API) wrap(r route) gin.HandlerFunc {
	template := "/api/v1" + r.path
	class := classOf(r)
	return func(c *gin.Context) {
		if o := a.opts.Observer; o != nil {
			start := time.Now()
			defer func() {
				o.ObserveRequest(r.method, template, c.Writer.Status(), c.GetString(errCodeKey), time.Since(start))
			}()
		}
		// The access log (§6.1.15(3)): every request, with the request id
		// its context carries (internal/reqid).
		start := time.Now()
		defer func() {
			if !a.log.Enabled(c.Request.Context(), slog.LevelInfo) {
				return
			}
			a.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "api request", slog.String("method", r.method), slog.String("route", template),
				slog.String("path", c.Request.URL.Path), slog.Int("status", c.Writer.Status()), slog.String("error", c.GetString(errCodeKey)),
				slog.String("client", c.ClientIP()), slog.Float64("ms", float64(time.Since(start).Microseconds())/1000))
		}()
		done, ok := a.admit(c, r, class)
		if !ok {
			return
		}
		defer done()
		maxBody := a.opts.MaxBody
		if strings.HasSuffix(r.path, "/seatmap") {
			maxBody = a.opts.MaxUpload
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
		var p sales.Principal
		if !r.public {
			tok, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
			if !ok || tok == "" {
				writeError(c, &sales.Error{Kind: sales.KindUnauthenticated, Code: "unauthenticated", Message: "log in and send Authorization: Bearer <token>"})
				return
			}
			var err error
			if p, err = a.svc.Authenticate(c.Request.Context(), tok); err != nil {
				writeError(c, err)
				return
			}
			if !a.admitCaller(c, class, p) {
				return
			}
		}
		out, err := r.h(c, p)
		if err != nil {
			if !isClientError(err) {
				a.log.ErrorContext(c.Request.Context(), "request failed", "method", r.method, "path", r.path, "err", err)
			}
			writeError(c, err)
			return
		}
		if c.Writer.Written() {
			return
		}
		status := http.StatusOK
		if r.method == http.MethodPost {
			status = http.StatusCreated
		}
		if out == nil {
			c.Status(http.StatusNoContent)
			return
		}
		c.JSON(status, out)
	}
}

func isClientError(err error) bool {
	var e *sales.Error
	return errors.As(err, &e)
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []sales.FieldError  `json:"fields,omitempty"`
	Seats   []sales.SeatProblem `json:"seats,omitempty"`
}

var kindStatus = map[sales.Kind]int{
	sales.KindInvalid:         http.StatusBadRequest,
	sales.KindNotFound:        http.StatusNotFound,
	sales.KindConflict:        http.StatusConflict,
	sales.KindForbidden:       http.StatusForbidden,
	sales.KindUnauthenticated: http.StatusUnauthorized,
	sales.KindLocked:          http.StatusLocked,
	sales.KindPayment:         http.StatusPaymentRequired,
}

func writeError(c *gin.Context, err error) {
	var e *sales.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		code := e.Code
		if code == "" {
			code = string(e.Kind)
		}
		c.Set(errCodeKey, code)
		c.AbortWithStatusJSON(kindStatus[e.Kind], errorBody{Error: errorDetail{Code: code, Message: e.Message, Fields: e.Fields, Seats: e.Seats}})
	case errors.As(err, &mbe):
		c.Set(errCodeKey, "body_too_large")
		c.AbortWithStatusJSON(http.StatusRequestEntityTooLarge, errorBody{Error: errorDetail{Code: "body_too_large",
			Message: fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)}})
	default:
		c.Set(errCodeKey, "internal")
		c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: errorDetail{Code: "internal", Message: "internal error; it has been logged"}})
	}
}

// decode reads a JSON body strictly: unknown fields, trailing data, wrong
// types and oversize bodies are refused with a message naming the problem.
func decode(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return &sales.Error{Kind: sales.KindInvalid, Code: "bad_body", Message: "could not read the request body"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &sales.Error{Kind: sales.KindInvalid, Code: "bad_json", Message: "unexpected data after the JSON object"}
	}
	return nil
}

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	e := &sales.Error{Kind: sales.KindInvalid, Code: "bad_json"}
	switch {
	case errors.Is(err, io.EOF):
		e.Message = "the request body is empty; send a JSON object"
	case errors.As(err, &se):
		e.Message = fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		e.Message = fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value)
		e.Fields = []sales.FieldError{{Field: te.Field, Message: "must be " + te.Type.String()}}
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e.Code, e.Message = "unknown_field", "unknown field "+strconv.Quote(f)
		e.Fields = []sales.FieldError{{Field: f, Message: "is not a field of this request"}}
	default:
		e.Message = "malformed JSON: " + err.Error()
	}
	return e
}

// id parses a positive integer path parameter.
func id(c *gin.Context, name string) (int64, error) {
	v, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || v <= 0 {
		return 0, &sales.Error{Kind: sales.KindInvalid, Code: "bad_id", Message: name + " must be a positive integer"}
	}
	return v, nil
}

// strID reads a string path parameter (device ids): 1-64 characters.
func strID(c *gin.Context, name string) (string, error) {
	v := c.Param(name)
	if v == "" || len(v) > 64 {
		return "", &sales.Error{Kind: sales.KindInvalid, Code: "bad_id", Message: name + " must be 1-64 characters"}
	}
	return v, nil
}

func queryInt(c *gin.Context, name string) (int64, error) {
	s := c.Query(name)
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0, &sales.Error{Kind: sales.KindInvalid, Code: "bad_query", Message: name + " must be a non-negative integer"}
	}
	return v, nil
}

func queryTime(c *gin.Context, name string) (time.Time, error) {
	s := c.Query(name)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, &sales.Error{Kind: sales.KindInvalid, Code: "bad_query", Message: name + " must be an RFC 3339 time"}
	}
	return t, nil
}

// queryPeriod reads the from and to query parameters (RFC 3339; either
// may be missing: zero).
func queryPeriod(c *gin.Context) (from, to time.Time, err error) {
	if from, err = queryTime(c, "from"); err != nil {
		return from, to, err
	}
	to, err = queryTime(c, "to")
	return from, to, err
}

// paging reads the limit and since query parameters lists share.
func paging(c *gin.Context) (int, time.Time, error) {
	lim, err := queryInt(c, "limit")
	if err != nil {
		return 0, time.Time{}, err
	}
	since, err := queryTime(c, "since")
	return int(lim), since, err
}

// fileError refuses an uploaded file (CSV) for its bad lines, naming
// each: line(i) is the i-th problem's line number and message.
func fileError(code, msg, field string, n int, line func(i int) (int, string)) error {
	e := &sales.Error{Kind: sales.KindInvalid, Code: code, Message: msg}
	for i := range n {
		l, m := line(i)
		e.Fields = append(e.Fields, sales.FieldError{Field: field, Line: l, Message: m})
	}
	return e
}
