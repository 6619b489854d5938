package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/admitbox/admit/edge/cache"
	"github.com/admitbox/admit/edge/gate"
	"github.com/admitbox/admit/edge/kiosk"
	admitsync "github.com/admitbox/admit/sync"
)

// roles serves the local API; what a device may do depends on its role.
type roles struct {
	a        *Agent
	gate     *gate.Gate
	kiosk    *kiosk.Kiosk
	sell     *http.Client
	admitted atomic.Int64
	rejected atomic.Int64
}

func newRoles(a *Agent) *roles {
	loc, err := time.LoadLocation(orDefault(a.cred.Timezone, "Asia/Shanghai"))
	if err != nil {
		loc = time.Local
	}
	return &roles{a: a,
		gate:  &gate.Gate{Cache: a.cache, DeviceID: a.cred.DeviceID, VenueCode: a.cred.VenueCode, Zone: a.cred.Zone, Now: a.now, Location: loc},
		kiosk: &kiosk.Kiosk{Cache: a.cache, Now: a.now},
		sell:  &http.Client{Timeout: a.cfg.SellTimeout}}
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

func (ro *roles) handler() http.Handler {
	mux := http.NewServeMux()
	role := ro.a.cred.Role
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, ro.a.Status()) })
	if role == "gate" {
		mux.HandleFunc("POST /validate", ro.validate)
	}
	if role == "kiosk" || role == "pos" {
		mux.HandleFunc("GET /pickup/{code}", ro.pickup)
		mux.HandleFunc("POST /print", ro.print)
		mux.HandleFunc("POST /print-failure", ro.printFailure)
	}
	if role == "pos" {
		mux.HandleFunc("GET /sessions", ro.sessions)
		mux.HandleFunc("POST /sell/holds", ro.proxy("/api/v1/holds"))
		mux.HandleFunc("DELETE /sell/holds/{id}", ro.proxy("/api/v1/holds/{id}"))
		mux.HandleFunc("POST /sell/orders", ro.proxy("/api/v1/orders"))
		mux.HandleFunc("POST /sell/orders/{id}/payments", ro.proxy("/api/v1/orders/{id}/payments"))
	}
	return mux
}

type validateRequest struct {
	QR        string `json:"qr"`        // a scanned ticket QR, or
	RFID      string `json:"rfid"`      // the UID of a tapped card (hex)
	Direction string `json:"direction"` // in (default) or out
}

type decision struct {
	Admit     bool   `json:"admit"`
	Reason    string `json:"reason"`
	Message   string `json:"message"`
	Number    string `json:"number,omitempty"`
	SeatLabel string `json:"seat_label,omitempty"`
	SessionID int64  `json:"session_id,omitempty"`
	Offline   bool   `json:"offline,omitempty"`
}

// validate decides one scan. An admission is durable (in the outbox)
// before the answer leaves, so the turnstile opens only for a recorded one.
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
	var d gate.Decision
	var err error
	switch {
	case in.QR != "" && in.RFID != "":
		writeError(w, http.StatusBadRequest, "bad_request", "send a qr or an rfid, not both")
		return
	case in.RFID != "":
		d, err = ro.gate.ValidateCard(in.RFID, dir)
	default:
		d, err = ro.gate.Validate(in.QR, dir)
	}
	if err != nil {
		ro.a.log.Error("validate", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the gate could not record the decision; do not open")
		return
	}
	if d.Admit {
		ro.admitted.Add(1)
	} else {
		ro.rejected.Add(1)
	}
	writeJSON(w, http.StatusOK, decision{Admit: d.Admit, Reason: string(d.Reason), Message: d.Message, Number: d.Number,
		SeatLabel: d.SeatLabel, SessionID: d.SessionID, Offline: d.Offline})
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

// print records a ticket as printed (the printer driver arrives with the
// device drivers; until then a print is recorded, not rendered).
func (ro *roles) print(w http.ResponseWriter, r *http.Request) {
	var in printRequest
	if !decode(w, r, &in) {
		return
	}
	f, err := ro.kiosk.Print(in.Number, in.Reprint, in.AuthorisedBy)
	switch {
	case errors.Is(err, kiosk.ErrAlreadyPrinted):
		writeError(w, http.StatusConflict, "already_printed", err.Error())
	case errors.Is(err, kiosk.ErrRefunded):
		writeError(w, http.StatusConflict, "refunded", err.Error())
	case errors.Is(err, kiosk.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case err != nil:
		ro.a.log.Error("print", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the print could not be recorded")
	default:
		writeJSON(w, http.StatusOK, f)
	}
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
