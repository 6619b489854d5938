// Package demotour walks the demo's devices through one visit, the way
// people would, so that whoever starts `admit demo` sees the whole system
// work at once: a clerk sells two seats at the POS (through the POS's
// local API, to the cloud), the buyer picks them up at the kiosk (the
// simulated printer prints them, as PNGs), and enters with the first one
// at the gate (the simulated scanner reads it, the turnstile opens and the
// visitor passes).
//
// It is demo equipment: it drives agents over their local APIs and the
// simulators, and decides nothing itself.
package demotour

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/admitbox/admit/cloud/loadgen"
	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/simrig"
)

// Tour is what the tour needs.
type Tour struct {
	CloudURL  string
	Clerk     string
	Password  string
	SessionID int64
	POS       *agent.Agent
	Kiosk     *agent.Agent
	Gate      *agent.Agent
	GateRig   *simrig.Rig
	KioskRig  *simrig.Rig
	Out       io.Writer
	HTTP      *http.Client // default: 10 s timeout
}

// Visit is what the tour did.
type Visit struct {
	PickupCode string
	Numbers    []string
	QRs        []string
	Printed    int
	Admitted   bool
}

// Run walks one visit and reports each step on Out.
func (t Tour) Run(ctx context.Context) (Visit, error) {
	if t.HTTP == nil {
		t.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	var v Visit
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var login struct{ Token string }
	if err := t.call(ctx, "POST", t.CloudURL+"/api/v1/auth/login", "", map[string]string{"username": t.Clerk, "password": t.Password}, &login); err != nil {
		return v, fmt.Errorf("demotour: clerk login: %w", err)
	}
	if err := t.POS.WaitUntil(ctx, func(s agent.Status) bool { return s.Connected }); err != nil {
		return v, fmt.Errorf("demotour: the POS is not online: %w", err)
	}
	var hold struct{ ID int64 }
	if err := t.call(ctx, "POST", t.POS.URL()+"/sell/holds", login.Token, map[string]any{"session_id": t.SessionID, "channel": "pos", "count": 2}, &hold); err != nil {
		return v, fmt.Errorf("demotour: POS hold: %w", err)
	}
	var order struct {
		ID         int64  `json:"id"`
		PickupCode string `json:"pickup_code"`
	}
	if err := t.call(ctx, "POST", t.POS.URL()+"/sell/orders", login.Token, map[string]any{"hold_id": hold.ID}, &order); err != nil {
		return v, fmt.Errorf("demotour: POS order: %w", err)
	}
	var paid struct {
		Tickets []struct {
			Number    string `json:"number"`
			QR        string `json:"qr"`
			SeatLabel string `json:"seat_label"`
		} `json:"tickets"`
	}
	if err := t.call(ctx, "POST", fmt.Sprintf("%s/sell/orders/%d/payments", t.POS.URL(), order.ID), login.Token, map[string]any{"method": "cash"}, &paid); err != nil {
		return v, fmt.Errorf("demotour: POS cash payment: %w", err)
	}
	v.PickupCode = order.PickupCode
	for _, tk := range paid.Tickets {
		v.Numbers, v.QRs = append(v.Numbers, tk.Number), append(v.QRs, tk.QR)
	}
	if len(v.Numbers) == 0 {
		return v, fmt.Errorf("demotour: the POS sale issued no tickets")
	}
	fmt.Fprintf(t.Out, "tour: the clerk sold 2 seats at the POS: order %d, pickup code %s, tickets %v\n", order.ID, order.PickupCode, v.Numbers)

	cached := func(a *agent.Agent) func(agent.Status) bool {
		return func(agent.Status) bool {
			for _, n := range v.Numbers {
				if _, ok, err := a.Cache().Ticket(n); err != nil || !ok {
					return false
				}
			}
			return true
		}
	}
	if err := t.Kiosk.WaitUntil(ctx, cached(t.Kiosk)); err != nil {
		return v, fmt.Errorf("demotour: the tickets did not reach the kiosk: %w", err)
	}
	var items []struct{ Number string }
	if err := t.call(ctx, "GET", t.Kiosk.URL()+"/pickup/"+order.PickupCode, "", nil, &items); err != nil {
		return v, fmt.Errorf("demotour: kiosk pickup: %w", err)
	}
	for _, it := range items {
		if err := t.call(ctx, "POST", t.Kiosk.URL()+"/print", "", map[string]any{"number": it.Number}, nil); err != nil {
			return v, fmt.Errorf("demotour: kiosk print %s: %w", it.Number, err)
		}
		v.Printed++
	}
	if err := t.KioskRig.WaitPrinted(ctx, v.Printed); err != nil {
		return v, fmt.Errorf("demotour: the kiosk printer: %w", err)
	}
	fmt.Fprintf(t.Out, "tour: the buyer entered %s at the kiosk and %d tickets printed\n", order.PickupCode, v.Printed)

	if err := t.Gate.WaitUntil(ctx, cached(t.Gate)); err != nil {
		return v, fmt.Errorf("demotour: the tickets did not reach the gate: %w", err)
	}
	if err := t.GateRig.Scanner.Send(v.QRs[0]); err != nil {
		return v, fmt.Errorf("demotour: scan at the gate: %w", err)
	}
	var last agent.ScanResult
	if err := t.Gate.WaitUntil(ctx, func(s agent.Status) bool {
		if s.LastScan != nil && s.LastScan.Number == v.Numbers[0] {
			last = *s.LastScan
			return true
		}
		return false
	}); err != nil {
		return v, fmt.Errorf("demotour: the gate did not judge the scan: %w", err)
	}
	v.Admitted = last.Admit
	fmt.Fprintf(t.Out, "tour: ticket %s scanned at the gate: %s (%s)\n", v.Numbers[0], last.Outcome, last.Message)
	return v, nil
}

// call sends a JSON request to a full URL and decodes a 2xx answer into
// out.
func (t Tour) call(ctx context.Context, method, url, token string, body, out any) error {
	c := loadgen.Client{Token: token, HTTP: t.HTTP}
	return c.Do(ctx, method, url, body, out)
}
