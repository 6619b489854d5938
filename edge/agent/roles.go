package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/identity"
	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/hardware"
	"github.com/admitbox/admit/edge/kiosk"
	"github.com/admitbox/admit/edge/lane"
	"github.com/admitbox/admit/edge/screens"
	admitsync "github.com/admitbox/admit/sync"
)

// roles serves the local API; what a device may do depends on its role.
type roles struct {
	a       *Agent
	gate    *gate.Gate
	lane    *lane.Lane            // gate
	gateDev *hardware.GateDevices // gate
	kiosk   *kiosk.Kiosk
	printer *hardware.Printer // kiosk, pos; nil when none is configured
	sell    *http.Client
}

func newRoles(a *Agent, d hardware.Devices) (*roles, error) {
	loc, err := time.LoadLocation(orDefault(a.cred.Timezone, "Asia/Shanghai"))
	if err != nil {
		loc = time.Local
	}
	ro := &roles{a: a,
		gate:  &gate.Gate{Cache: a.cache, DeviceID: a.cred.DeviceID, VenueCode: a.cred.VenueCode, Zone: a.cred.Zone, Now: a.now, Location: loc},
		kiosk: &kiosk.Kiosk{Cache: a.cache, Now: a.now, Location: loc},
		sell:  &http.Client{Timeout: a.cfg.SellTimeout}}
	if a.cred.Role == "gate" {
		if ro.gateDev, err = hardware.OpenGate(d, hardware.Options{Log: a.log}); err != nil {
			return nil, fmt.Errorf("agent: gate devices: %w", err)
		}
		var idWait time.Duration
		if ro.gateDev.HasIDCard() {
			idWait = holderCardWait
		}
		ro.lane, err = lane.New(lane.Config{Gate: ro.gate, Barrier: ro.gateDev.Barrier(), Direction: gate.Direction(d.Direction),
			Now: a.now, Log: a.log, OnResult: ro.logScan, IDWait: idWait})
		if err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
	}
	if d.Printer != nil {
		if ro.printer, err = hardware.NewPrinter(d.Printer); err != nil {
			return nil, fmt.Errorf("agent: %w", err)
		}
	}
	return ro, nil
}

// start runs the gate's lane and devices until ctx is done.
func (ro *roles) start(ctx context.Context, wg *sync.WaitGroup) {
	if ro.lane == nil {
		return
	}
	wg.Add(2)
	go func() { defer wg.Done(); ro.lane.Run(ctx) }()
	go func() { defer wg.Done(); ro.gateDev.Run(ctx, ro.lane) }()
}

func (ro *roles) close() error {
	if ro.printer != nil {
		return ro.printer.Close()
	}
	return nil
}

// status adds the role's counters and devices to st.
func (ro *roles) status(st *Status) {
	if ro.lane != nil {
		c := ro.lane.Counts()
		st.Admitted, st.Rejected, st.NoPassage, st.DeviceFaults = c.Admitted, c.Refused, c.NoPassage, c.DeviceFault
		if r, ok := ro.lane.Last(); ok {
			sr := scanResult(r)
			st.LastScan = &sr
		}
		st.Devices = ro.gateDev.States()
	}
	if ro.printer != nil {
		ps := ro.printer.State()
		st.Printer = &ps
	}
}

func (ro *roles) logScan(r lane.Result) {
	ro.a.log.Info("scan", "source", r.Source, "outcome", r.Outcome, "ticket", r.Decision.Number, "reason", r.Decision.Reason)
	ro.a.moved()
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// apiError is the local API's error shape, the same as the cloud's.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

// decode reads a small JSON body strictly.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "bad_json", "malformed request: "+err.Error())
		return false
	}
	return true
}

// sameOrigin refuses a state-changing request that a page of another
// origin sent: the screens are served by the agent itself, and a web page
// the kiosk browser happens to show must not print or admit through it.
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			if u, err := url.Parse(o); err != nil || u.Host != r.Host {
				writeError(w, http.StatusForbidden, "cross_origin", "requests from other web pages are refused")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (ro *roles) handler() http.Handler {
	mux := http.NewServeMux()
	role := ro.a.cred.Role
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, ro.a.Status()) })
	mux.Handle("GET /metrics", ro.a.metricsHandler())
	ui := screens.Handler(role)
	mux.Handle("GET /ui/", ui)
	mux.Handle("GET /ui-common/", ui)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui/", http.StatusFound) })
	if role == "gate" {
		mux.HandleFunc("POST /validate", ro.validate)
	}
	if role == "kiosk" || role == "pos" {
		mux.HandleFunc("GET /pickup/{code}", ro.pickup)
		mux.HandleFunc("POST /print", ro.print)
		mux.HandleFunc("POST /print-failure", ro.printFailure)
		mux.HandleFunc("POST /print-pass", ro.printPass)
	}
	if role == "pos" {
		mux.HandleFunc("GET /sessions", ro.sessions)
		mux.HandleFunc("POST /sell/login", ro.proxy("/api/v1/auth/login"))
		mux.HandleFunc("GET /sell/sessions/{id}/seats", ro.proxy("/api/v1/sessions/{id}/seats"))
		mux.HandleFunc("GET /sell/sessions/{id}/availability", ro.proxy("/api/v1/sessions/{id}/availability"))
		mux.HandleFunc("GET /sell/sessions/{id}/availability/stream", ro.proxyStream("/api/v1/sessions/{id}/availability/stream"))
		mux.HandleFunc("POST /sell/refunds", ro.proxy("/api/v1/refunds"))
		mux.HandleFunc("POST /sell/orders/by-holder", ro.proxy("/api/v1/orders/by-holder"))
		mux.HandleFunc("GET /sell/passes/products", ro.proxy("/api/v1/passes/products"))
		mux.HandleFunc("POST /sell/passes/products/{id}/sell", ro.proxy("/api/v1/passes/products/{id}/sell"))
		mux.HandleFunc("POST /sell/holds", ro.proxy("/api/v1/holds"))
		mux.HandleFunc("DELETE /sell/holds/{id}", ro.proxy("/api/v1/holds/{id}"))
		mux.HandleFunc("POST /sell/orders", ro.proxy("/api/v1/orders"))
		mux.HandleFunc("POST /sell/orders/{id}/payments", ro.proxy("/api/v1/orders/{id}/payments"))
	}
	return sameOrigin(mux)
}

// holderCardWait is how long a real-name entry waits for the holder's ID
// card on the gate's reader (and how long a card read first stays good).
const holderCardWait = 15 * time.Second

type validateRequest struct {
	QR        string `json:"qr"`        // a scanned ticket QR, or
	RFID      string `json:"rfid"`      // the UID of a tapped card (hex)
	Direction string `json:"direction"` // in (default) or out
	// IDCard is the holder's identity document, read or typed at a
	// handheld, for a real-name session.
	IDCard *identity.Document `json:"id_card"`
}

// ScanResult is what the gate did with one scan, as its screen shows it.
type ScanResult struct {
	Admit bool `json:"admit"`
	// Outcome is admitted, refused, no_passage (the turnstile opened and
	// nobody passed: the ticket stays valid) or device_fault.
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason"`
	Message   string    `json:"message"`
	Number    string    `json:"number,omitempty"`
	SeatLabel string    `json:"seat_label,omitempty"`
	SessionID int64     `json:"session_id,omitempty"`
	Offline   bool      `json:"offline,omitempty"`
	Holder    bool      `json:"holder_checked,omitempty"` // the holder's ID card matched the ticket
	Source    string    `json:"source,omitempty"`
	At        time.Time `json:"at"`
}

func scanResult(r lane.Result) ScanResult {
	d := r.Decision
	return ScanResult{Admit: r.Outcome == lane.Admitted, Outcome: string(r.Outcome), Reason: string(d.Reason), Message: r.Message,
		Number: d.Number, SeatLabel: d.SeatLabel, SessionID: d.SessionID, Offline: d.Offline, Holder: d.Holder, Source: r.Source, At: r.At}
}

// validate judges one scan through the gate's lane: at a turnstile the
// answer comes once the visitor passed (or did not); at a handheld the
// admission is recorded at once.
func (ro *roles) validate(w http.ResponseWriter, r *http.Request) {
	var in validateRequest
	if !decode(w, r, &in) {
		return
	}
	dir := gate.In
	switch in.Direction {
	case "", "in":
	case "out":
		dir = gate.Out
	default:
		writeError(w, http.StatusBadRequest, "bad_direction", "direction must be in or out")
		return
	}
	if in.QR != "" && in.RFID != "" {
		writeError(w, http.StatusBadRequest, "bad_request", "send a qr or an rfid, not both")
		return
	}
	var doc *identity.Document
	if in.IDCard != nil {
		d, err := identity.Parse(in.IDCard.Type, in.IDCard.Number, ro.a.now())
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_id_card", err.Error())
			return
		}
		doc = &d
	}
	res, err := ro.lane.Submit(r.Context(), lane.Read{QR: in.QR, Card: in.RFID, ID: doc, Dir: dir, Source: "api"})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the gate could not judge the scan: "+err.Error())
		return
	}
	if res.Undecided {
		writeError(w, http.StatusInternalServerError, "internal", "the gate could not record the decision; do not open")
		return
	}
	writeJSON(w, http.StatusOK, scanResult(res))
}

func (ro *roles) pickup(w http.ResponseWriter, r *http.Request) {
	items, err := ro.kiosk.Lookup(r.PathValue("code"))
	switch {
	case errors.Is(err, kiosk.ErrInvalidCode):
		writeError(w, http.StatusBadRequest, "invalid_code", err.Error())
	case errors.Is(err, kiosk.ErrNotFound), errors.Is(err, kiosk.ErrWrongVenue):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case err != nil:
		ro.a.log.Error("pickup", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the kiosk could not read its cache")
	default:
		writeJSON(w, http.StatusOK, items)
	}
}

type printRequest struct {
	Number       string `json:"number"`
	Reprint      bool   `json:"reprint"`
	AuthorisedBy string `json:"authorised_by"`
}

// print prints a ticket on the device's printer and records it printed;
// a device without a configured printer records the print only (its
// printer is driven by something else).
func (ro *roles) print(w http.ResponseWriter, r *http.Request) {
	var in printRequest
	if !decode(w, r, &in) {
		return
	}
	var f admitsync.Fact
	err := ro.untilFound(r.Context(), func() error {
		var err error
		if ro.printer != nil {
			f, err = ro.kiosk.PrintTicket(r.Context(), in.Number, in.Reprint, in.AuthorisedBy, ro.printer)
		} else {
			f, err = ro.kiosk.Print(in.Number, in.Reprint, in.AuthorisedBy)
		}
		return err
	})
	ro.answerPrint(w, "ticket", err, "", f)
}

// answerPrint answers a print of a ticket or a pass: what was recorded,
// or why nothing was (notFound, if set, says what was not found).
func (ro *roles) answerPrint(w http.ResponseWriter, what string, err error, notFound string, done any) {
	if notFound == "" && err != nil {
		notFound = err.Error()
	}
	var pe *kiosk.PrintError
	switch {
	case errors.As(err, &pe):
		writeJSON(w, http.StatusServiceUnavailable, printProblem(pe))
	case errors.Is(err, kiosk.ErrInvalidPass):
		writeError(w, http.StatusBadRequest, "invalid_pass", err.Error())
	case errors.Is(err, kiosk.ErrAlreadyPrinted):
		writeError(w, http.StatusConflict, "already_printed", err.Error())
	case errors.Is(err, kiosk.ErrRefunded):
		writeError(w, http.StatusConflict, "refunded", err.Error())
	case errors.Is(err, kiosk.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", notFound)
	case err != nil:
		ro.a.log.Error("print "+what, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the "+what+" print could not be recorded")
	default:
		writeJSON(w, http.StatusOK, done)
	}
}

// untilFound is the agent's untilFound for a print: a ticket (or pass)
// just sold is waited for while the feed may still bring it.
func (ro *roles) untilFound(ctx context.Context, find func() error) error {
	return untilFound(ctx, feedWait, ro.a.connected.Load, ro.a.changes, find)
}

type printPassRequest struct {
	Code         string `json:"code"`
	Reprint      bool   `json:"reprint"`
	AuthorisedBy string `json:"authorised_by"`
}

// printPass prints a pass (its one code, for all its sessions) on the
// device's printer and records its tickets here printed.
func (ro *roles) printPass(w http.ResponseWriter, r *http.Request) {
	var in printPassRequest
	if !decode(w, r, &in) {
		return
	}
	if ro.printer == nil {
		writeError(w, http.StatusConflict, "no_printer", "this device has no printer configured to print a pass on")
		return
	}
	var facts []admitsync.Fact
	err := ro.untilFound(r.Context(), func() error {
		var err error
		facts, err = ro.kiosk.PrintPass(r.Context(), in.Code, in.Reprint, in.AuthorisedBy, ro.printer)
		return err
	})
	ro.answerPrint(w, "pass", err, "no ticket of this pass is at this venue yet", facts)
}

// printProblemError is the local API's answer to a ticket the printer did
// not print: the error shape, with the printer's problem for the screen.
type printProblemError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Problem string `json:"problem"`
		Number  string `json:"number"`
	} `json:"error"`
}

func printProblem(pe *kiosk.PrintError) printProblemError {
	var e printProblemError
	e.Error.Code, e.Error.Problem, e.Error.Number = "printer", pe.Problem, pe.Number
	e.Error.Message = "Your ticket was not printed: " + pe.Problem + ". Please ask staff; the ticket can be printed again."
	return e
}

// posSession is a session as the POS screen lists it, from the cache.
type posSession struct {
	admitsync.SessionData
	SeatMap *admitsync.SeatMapData `json:"seat_map,omitempty"`
}

type printFailure struct {
	Number string `json:"number"`
	Error  string `json:"error"` // what the printer reported, e.g. "paper end"
}

// printFailure records that a ticket did not print (the printer driver
// reports it), so the venue sees print problems; the ticket stays unprinted.
func (ro *roles) printFailure(w http.ResponseWriter, r *http.Request) {
	var in printFailure
	if !decode(w, r, &in) {
		return
	}
	if in.Number == "" || in.Error == "" || len(in.Error) > 200 {
		writeError(w, http.StatusBadRequest, "bad_request", "give the ticket number and the printer's error (at most 200 characters)")
		return
	}
	f, err := ro.kiosk.PrintFailed(in.Number, in.Error)
	switch {
	case errors.Is(err, kiosk.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case err != nil:
		ro.a.log.Error("print failure", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the failure could not be recorded")
	default:
		writeJSON(w, http.StatusOK, f)
	}
}

func (ro *roles) sessions(w http.ResponseWriter, r *http.Request) {
	var out []posSession
	err := ro.a.cache.View(func(tx *cache.Tx) error {
		ss, err := tx.Sessions()
		if err != nil {
			return err
		}
		for _, s := range ss {
			ps := posSession{SessionData: s}
			m, ok, err := tx.SeatMap(s.ID)
			if err != nil {
				return err
			}
			if ok {
				ps.SeatMap = &m
			}
			out = append(out, ps)
		}
		return nil
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the POS could not read its cache")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// offline is the one answer a POS gives to any sale it cannot make now.
const offlineMessage = "offline: sales disabled"

// proxy forwards a sale to the cloud, synchronously, with the clerk's own
// token. Nothing about a sale is ever written on the device: without the
// cloud there is no sale, and the clerk hears so within SellTimeout.
func (ro *roles) proxy(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !ro.a.connected.Load() {
			writeError(w, http.StatusServiceUnavailable, "offline", offlineMessage)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_body", "could not read the request")
			return
		}
		target := ro.a.cred.APIURL + strings.ReplaceAll(path, "{id}", r.PathValue("id"))
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, target, bytes.NewReader(body))
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		resp, err := ro.sell.Do(req)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "offline", offlineMessage)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, io.LimitReader(resp.Body, 4<<20))
	}
}

// proxyStream relays a server-sent events stream from the cloud (the live
// seat map) to the screen as it comes, for as long as both keep it open:
// no request timeout, and every chunk flushed at once.
func (ro *roles) proxyStream(path string) http.HandlerFunc {
	client := &http.Client{Transport: ro.sell.Transport}
	return func(w http.ResponseWriter, r *http.Request) {
		if !ro.a.connected.Load() {
			writeError(w, http.StatusServiceUnavailable, "offline", offlineMessage)
			return
		}
		target := ro.a.cred.APIURL + strings.ReplaceAll(path, "{id}", r.PathValue("id"))
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_request", err.Error())
			return
		}
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		resp, err := client.Do(req)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "offline", offlineMessage)
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(resp.StatusCode)
		rc := http.NewResponseController(w)
		buf := make([]byte, 32<<10)
		for {
			n, err := resp.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				rc.Flush()
			}
			if err != nil {
				return
			}
		}
	}
}
