package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/drivers/escpos"
	"github.com/admitbox/admit/drivers/render"
)

// eventStream writes server-sent events, each flushed at once. The
// server's write timeout is for requests; a stream lives as long as its
// viewer, so each write gets its own deadline.
type eventStream struct {
	w   gin.ResponseWriter
	rc  *http.ResponseController
	buf []byte
}

func openEventStream(c *gin.Context) *eventStream {
	w := c.Writer
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return &eventStream{w: w, rc: http.NewResponseController(w)}
}

func (s *eventStream) write(b []byte) error {
	s.rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	s.w.Flush()
	return nil
}

// send writes one event.
func (s *eventStream) send(event string, data []byte) error {
	s.buf = append(append(append(append(append(s.buf[:0], "event: "...), event...), "\ndata: "...), data...), "\n\n"...)
	return s.write(s.buf)
}

// keepAlive writes a comment, so proxies keep an idle stream open.
func (s *eventStream) keepAlive() error { return s.write([]byte(": still here\n\n")) }

// dashboardPoll is how often a live dashboard stream asks whether the
// dashboard changed: a sale shows within it plus one build.
const dashboardPoll = 500 * time.Millisecond

// streamDashboard serves a venue's dashboard as server-sent events: the
// dashboard at once, then again whenever its version changes, and a
// comment every 15 s so proxies keep the stream open.
func (a *API) streamDashboard(c *gin.Context, p sales.Principal) (any, error) {
	vid, err := id(c, "id")
	if err != nil {
		return nil, err
	}
	ctx, stop := a.streamContext(c)
	defer stop()
	d, err := a.svc.Dashboard(ctx, p, vid)
	if err != nil {
		return nil, err
	}
	es := openEventStream(c)
	send := func(d sales.Dashboard) error {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		return es.send("dashboard", b)
	}
	if err := send(d); err != nil {
		return nil, nil
	}
	version, _ := a.svc.DashboardVersion(ctx, p, vid)
	tick := time.NewTicker(dashboardPoll)
	defer tick.Stop()
	idle := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case <-tick.C:
		}
		v, err := a.svc.DashboardVersion(ctx, p, vid)
		if err != nil {
			return nil, nil // the client sees the stream end and reconnects
		}
		if v == version {
			if time.Since(idle) > 15*time.Second {
				idle = time.Now()
				if err := es.keepAlive(); err != nil {
					return nil, nil
				}
			}
			continue
		}
		d, err := a.svc.Dashboard(ctx, p, vid)
		if err != nil {
			return nil, nil
		}
		version, idle = v, time.Now()
		if err := send(d); err != nil {
			return nil, nil
		}
	}
}

// ticketPreview renders a ticket as the kiosk's 80 mm (or ?paper=58)
// printer prints it.
func (a *API) ticketPreview(c *gin.Context, p sales.Principal) (any, error) {
	paper := escpos.Paper80
	switch c.Query("paper") {
	case "", "80":
	case "58":
		paper = escpos.Paper58
	default:
		return nil, &sales.Error{Kind: sales.KindInvalid, Code: "bad_paper", Message: "paper must be 58 or 80"}
	}
	pr, err := a.svc.TicketPrintout(c.Request.Context(), p, c.Param("number"))
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(pr.Timezone)
	if err != nil {
		loc = time.UTC
	}
	t := pr.Ticket
	layout := escpos.TicketLayout{Venue: pr.Venue, Hall: pr.Hall, Event: pr.Event, SessionTime: pr.StartsAt, TimeZone: loc,
		Seat: t.SeatLabel, PriceCents: t.PriceCents, Currency: "CNY", TicketNumber: t.Number, QR: t.QR}
	var buf bytes.Buffer
	err = preview(&buf, layout, paper, true)
	if errors.Is(err, render.ErrNoCJKFont) {
		// A cloud without the CJK font still shows the ticket, with the
		// labels in English and a note saying why.
		buf.Reset()
		c.Header("X-Admit-Preview", "no CJK font on the server: Chinese text is not shown")
		err = preview(&buf, layout, paper, false)
	}
	if err != nil {
		return nil, fmt.Errorf("preview ticket %s: %w", t.Number, err)
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/png", buf.Bytes())
	return nil, nil
}

func preview(w io.Writer, t escpos.TicketLayout, paper escpos.Paper, chinese bool) error {
	job, err := escpos.TicketJob(t, paper, escpos.Options{ChineseMode: chinese})
	if err != nil {
		return err
	}
	return render.PNG(w, job, render.Options{Dots: paper.DotsPerLine})
}

// seatMapGap is the least time between two messages to one follower of a
// seat map: an on-sale changes a map thousands of times a second, and one
// message carries every change since the last, in order.
const seatMapGap = 10 * time.Millisecond

// streamSeatMap serves a session's seat map as server-sent events: the
// whole map (event: map), or the changes since ?since=V (event: delta),
// then a delta whenever the map moves, and a comment every 15 s.
func (a *API) streamSeatMap(c *gin.Context, p sales.Principal) (any, error) {
	sid, err := id(c, "id")
	if err != nil {
		return nil, err
	}
	since, haveSince, err := sinceParam(c)
	if err != nil {
		return nil, err
	}
	ctx, stop := a.streamContext(c)
	defer stop()
	m, err := a.svc.SeatMap(ctx, p, sid)
	if err != nil {
		return nil, err
	}
	es := openEventStream(c)
	send := es.send
	// next sends what the follower at version ver lacks.
	next := func(ver int64, have bool) (int64, error) {
		if have {
			if b, v, ok := m.Delta(ver); ok {
				return v, send("delta", b)
			}
		}
		b, v := m.Full()
		return v, send("map", b)
	}
	ver, err := next(since, haveSince)
	if err != nil {
		return nil, nil
	}
	ping := time.NewTicker(15 * time.Second)
	defer ping.Stop()
	gap := time.NewTimer(0)
	defer gap.Stop()
	last := time.Now()
	for {
		changed := m.Changed()
		if m.Version() == ver {
			select {
			case <-ctx.Done():
				return nil, nil
			case <-ping.C:
				// Still allowed to see it? (and keep the map loaded)
				cur, err := a.svc.SeatMap(ctx, p, sid)
				if err != nil {
					return nil, nil
				}
				if cur != m { // forgotten and loaded again: start over
					m = cur
					if ver, err = next(0, false); err != nil {
						return nil, nil
					}
					continue
				}
				if err := es.keepAlive(); err != nil {
					return nil, nil
				}
				continue
			case <-changed:
			}
		}
		if wait := seatMapGap - time.Since(last); wait > 0 {
			gap.Reset(wait)
			select {
			case <-ctx.Done():
				return nil, nil
			case <-gap.C:
			}
		}
		last = time.Now()
		if ver, err = next(ver, true); err != nil {
			return nil, nil
		}
	}
}

// sinceParam reads ?since=V, the version a client's copy of a map is at.
func sinceParam(c *gin.Context) (int64, bool, error) {
	v, ok := c.GetQuery("since")
	if !ok {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, false, &sales.Error{Kind: sales.KindInvalid, Code: "bad_since", Message: "since is the version of the map you have: a number",
			Fields: []sales.FieldError{{Field: "since", Message: "not a version"}}}
	}
	return n, true, nil
}
