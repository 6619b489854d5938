package api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/limit"
	"github.com/admitbox/admit/cloud/sales"
)

// classOf says what a route does, for flow control: sales (holds, orders,
// payments) are kept apart from reads so that reads are shed first.
func classOf(r route) limit.Class {
	switch {
	case r.path == "/auth/login" || strings.HasPrefix(r.path, "/shop/:tenant/auth/"):
		return limit.Login // the shop's codes, registrations and logins too
	case r.path == "/enroll":
		return limit.Enroll
	case r.method == http.MethodGet:
		return limit.Read
	case r.path == "/holds" || strings.HasPrefix(r.path, "/holds/") || r.path == "/orders" || strings.HasPrefix(r.path, "/orders/"),
		strings.HasPrefix(r.path, "/shop/:tenant/me/orders"), strings.HasPrefix(r.path, "/presales/:id/applications"), strings.HasPrefix(r.path, "/presales/:id/choice/"),
		strings.HasPrefix(r.path, "/shop/:tenant/me/presales/"), r.path == "/agency/orders":
		return limit.Sale // buying at the shop, applying to a presale and a winner picking seats are sales
	}
	return limit.Write
}

// tooManyBodies are the 429 answers, encoded once: a flood is answered
// at the least cost.
var tooManyBodies = func() map[limit.Class][]byte {
	out := map[limit.Class][]byte{}
	for _, class := range []limit.Class{limit.Read, limit.Sale, limit.Write, limit.Login, limit.Enroll} {
		out[class], _ = json.Marshal(errorBody{Error: errorDetail{Code: "rate_limited",
			Message: "too many " + string(class) + " requests: retry after the time in Retry-After"}})
	}
	return out
}()

// tooMany answers 429 with Retry-After.
func tooMany(c *gin.Context, class limit.Class, wait time.Duration) {
	c.Header("Retry-After", strconv.Itoa(limit.RetryAfterSeconds(wait)))
	c.Set(errCodeKey, "rate_limited")
	c.Data(http.StatusTooManyRequests, "application/json; charset=utf-8", tooManyBodies[class])
	c.Abort()
}

// admit applies the client's limits before a request is authenticated;
// done (never nil when ok) ends a read's slot.
func (a *API) admit(c *gin.Context, r route, class limit.Class) (done func(), ok bool) {
	l := a.opts.Limits
	if l == nil {
		return func() {}, true
	}
	if !a.pace(c, class, l.Allow(class, c.ClientIP(), "")) {
		return nil, false
	}
	if class != limit.Read || strings.HasSuffix(r.path, "/stream") {
		return func() {}, true
	}
	done, ok = l.StartRead()
	if !ok {
		tooMany(c, class, time.Second)
		return nil, false
	}
	return done, true
}

// admitCaller applies the tenant's and the user's limits once the caller
// is known.
func (a *API) admitCaller(c *gin.Context, class limit.Class, p sales.Principal) bool {
	l := a.opts.Limits
	if l == nil {
		return true
	}
	var tenant string
	if p.TenantID > 0 {
		tenant = strconv.FormatInt(p.TenantID, 10)
	}
	return a.pace(c, class, l.AllowCaller(class, "", tenant, strconv.FormatInt(p.UserID, 10)))
}

// pace carries out a decision: a refusal is answered 429; an admitted
// request first waits for its turn (the client may give up meanwhile).
func (a *API) pace(c *gin.Context, class limit.Class, d limit.Decision) bool {
	if !d.OK {
		if d.Hold > 0 && a.held.TryAcquire() {
			// A slow refusal: a client looping on 429s sends few of them.
			wait(c, d.Hold)
			a.held.Release()
		}
		tooMany(c, class, d.RetryAfter)
		return false
	}
	if d.Pace > 0 && !wait(c, d.Pace) {
		c.Abort()
		return false
	}
	return true
}

// wait waits d, or until the client goes; false if it went.
func wait(c *gin.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.Request.Context().Done():
		return false
	}
}

// maxHeld bounds the refusals waiting at once (a goroutine and a
// connection each); beyond, refusals are answered at once.
const maxHeld = 4096

// heldRefusals counts the refusals waiting to be answered.
type heldRefusals struct{ n atomic.Int64 }

func (h *heldRefusals) TryAcquire() bool {
	if h.n.Add(1) > maxHeld {
		h.n.Add(-1)
		return false
	}
	return true
}

func (h *heldRefusals) Release() { h.n.Add(-1) }
