package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/drivers/escpos"
	"github.com/admitbox/admit/drivers/render"
)

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
	ctx := c.Request.Context()
	d, err := a.svc.Dashboard(ctx, p, vid)
	if err != nil {
		return nil, err
	}
	w := c.Writer
	// The server's write timeout is for requests; a stream lives as long
	// as its viewer, so each send gets its own deadline.
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(d sales.Dashboard) error {
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: dashboard\ndata: %s\n\n", b); err != nil {
			return err
		}
		w.Flush()
		return nil
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
				rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
				if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
					return nil, nil
				}
				w.Flush()
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
