package platformsim

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/admitbox/admit/cloud/report/wire"
)

const token = "admin-secret"

// world is a running platform with one registered system, its cinema
// and a film, and the system's client.
type world struct {
	t      *testing.T
	sim    *Sim
	admin  *http.Client
	client *http.Client // presents the system's certificate
	rsa    wire.Signer
	sm2    wire.Signer
	serial int
}

func newWorld(t *testing.T) *world { return newWorldIn(t, "") }

// newWorldIn is newWorld keeping the platform's data in dir ("": none).
func newWorldIn(t *testing.T, dir string) *world {
	t.Helper()
	sim, err := Start(Config{AdminToken: token, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(sim.CAPEM())
	w := &world{t: t, sim: sim, admin: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}}
	var is Issued
	if code := w.adminCall("POST", "/admin/systems", SystemRequest{Code: "ADMIT", Version: "1.0.0", Address: "https://cloud.example:443"}, &is); code != 201 {
		t.Fatalf("register system: %d", code)
	}
	cert, err := tls.X509KeyPair([]byte(is.CertPEM), []byte(is.KeyPEM))
	if err != nil {
		t.Fatalf("the issued certificate and key: %v", err)
	}
	w.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
	blk, _ := pem.Decode([]byte(is.KeyPEM))
	rk, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	w.rsa = wire.RSASigner{Key: rk.(*rsa.PrivateKey)}
	blk, _ = pem.Decode([]byte(is.SM2PEM))
	sk, err := smx509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	w.sm2 = wire.SM2Signer{Key: sk.(*sm2.PrivateKey)}
	if code := w.adminCall("POST", "/admin/cinemas", CinemaRequest{System: "ADMIT", Cinema: wire.Cinema{Code: "31000001", Name: "Arena Cinema",
		Company: "Acme", Circuit: "Shanghai United", Status: wire.StatusOpen, Halls: 3}}, nil); code != 201 {
		t.Fatalf("register cinema: %d", code)
	}
	for _, f := range []wire.Film{
		{Code: "001101232026", Name: "The Match", Version: "2D", DurationMin: 110, ReleaseDate: "2026-11-20", Distributor: "D", Producer: "P", Director: "X", Cast: "Y", Synopsis: "Z"},
		{Code: "001101242027", Name: "Next Year", Version: "IMAX", DurationMin: 95, ReleaseDate: "2027-02-01"},
	} {
		if code := w.adminCall("POST", "/admin/films", f, nil); code != 201 {
			t.Fatalf("register film: %d", code)
		}
	}
	return w
}

func (w *world) adminCall(method, path string, in, out any) int {
	w.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, w.sim.URL()+path, body)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := w.admin.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			w.t.Fatalf("%s %s: %d: %v", method, path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// send seals body and posts it; it returns the answer, or the transport
// error.
func (w *world) send(c *http.Client, s wire.Signer, i wire.Interface, serial string, body any) (wire.Answer, int, error) {
	w.t.Helper()
	e, err := wire.Seal(s, "ADMIT", i, serial, time.Now(), body)
	if err != nil {
		w.t.Fatal(err)
	}
	return w.post(c, i, e)
}

func (w *world) post(c *http.Client, i wire.Interface, e wire.Envelope) (wire.Answer, int, error) {
	w.t.Helper()
	b, _ := json.Marshal(e)
	resp, err := c.Post(w.sim.URL()+i.Path(), "application/json", bytes.NewReader(b))
	if err != nil {
		return wire.Answer{}, 0, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a, err := wire.ReadAnswer(raw)
	return a, resp.StatusCode, err
}

func (w *world) next() string { w.serial++; return fmt.Sprintf("ADMIT-%d", w.serial) }

func ticket(op, number string, cents int64) wire.TicketRecord {
	at := time.Now().UTC().Truncate(time.Second)
	return wire.TicketRecord{Cinema: "31000001", CinemaStatus: wire.StatusOpen, BusinessDate: at.Format("2006-01-02"), Hall: "H1",
		Film: "001101232026", Session: "S1", StartsAt: at.Add(3 * time.Hour), Operation: op, Ticket: number, Seat: "A-1", PriceCents: cents, OperatedAt: at}
}

func wantCode(t *testing.T, what string, a wire.Answer, err error, code string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if a.Code != code {
		t.Fatalf("%s: answered %s (%s), want %s", what, a.Code, a.Reason, code)
	}
}

func TestAReportIsStoredOnceByItsSerialWithEitherSignature(t *testing.T) {
	w := newWorld(t)
	serial := w.next()
	a, status, err := w.send(w.client, w.rsa, wire.RawTicket, serial, ticket(wire.OpSale, "T-1", 4500))
	wantCode(t, "an RSA-signed sale", a, err, wire.CodeOK)
	if status != 200 || a.Duplicate || a.Serial != serial {
		t.Fatalf("answer %+v status %d", a, status)
	}
	// The same message again (a sender that lost the answer): success, stored once.
	a, _, err = w.send(w.client, w.rsa, wire.RawTicket, serial, ticket(wire.OpSale, "T-1", 4500))
	wantCode(t, "the resend", a, err, wire.CodeOK)
	if !a.Duplicate {
		t.Fatal("a resent serial was not called a duplicate")
	}
	a, _, err = w.send(w.client, w.sm2, wire.RawTicket, w.next(), ticket(wire.OpRefund, "T-1", 4500))
	wantCode(t, "an SM2-signed refund", a, err, wire.CodeOK)
	recs := w.sim.Records()
	if len(recs) != 2 || recs[0].Serial != serial || recs[0].Duplicates != 1 || recs[1].Alg != wire.AlgSM2 {
		t.Fatalf("stored %+v", recs)
	}
	if recs[0].ArrivedAt.IsZero() || recs[0].Cinema != "31000001" {
		t.Fatalf("a record without its arrival or cinema: %+v", recs[0])
	}
	var listed []Record
	w.adminCall("GET", "/admin/records?system=ADMIT", nil, &listed)
	if len(listed) != 2 {
		t.Fatalf("the admin API lists %d records", len(listed))
	}
}

func TestBadMessagesAreRefusedWithTheirReasonAndStoreNothing(t *testing.T) {
	w := newWorld(t)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(w.sim.CAPEM())
	anonymous := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	a, _, err := w.send(anonymous, w.rsa, wire.RawTicket, w.next(), ticket(wire.OpSale, "T-1", 4500))
	wantCode(t, "no client certificate", a, err, wire.CodeUnknownSystem)

	// Signed with another system's key.
	other := newWorld(t)
	a, _, err = w.send(w.client, other.rsa, wire.RawTicket, w.next(), ticket(wire.OpSale, "T-2", 4500))
	wantCode(t, "another system's key", a, err, wire.CodeSignature)

	// A body changed after signing.
	e, _ := wire.Seal(w.rsa, "ADMIT", wire.RawTicket, w.next(), time.Now(), ticket(wire.OpSale, "T-3", 4500))
	e.Body = bytes.Replace(e.Body, []byte("4500"), []byte("45"), 1)
	a, _, err = w.post(w.client, wire.RawTicket, e)
	wantCode(t, "a changed body", a, err, wire.CodeSignature)

	bad := ticket(wire.OpSale, "T-4", 4500)
	bad.Film = "FILM"
	a, status, err := w.send(w.client, w.rsa, wire.RawTicket, w.next(), bad)
	wantCode(t, "a bad film code", a, err, wire.CodeField)
	if status != 400 || !strings.Contains(a.Reason, "film_code") {
		t.Fatalf("a bad field answered %d %q", status, a.Reason)
	}
	bad = ticket(wire.OpSale, "T-5", 4500)
	bad.Cinema = "39999999"
	a, _, err = w.send(w.client, w.rsa, wire.RawTicket, w.next(), bad)
	wantCode(t, "another cinema", a, err, wire.CodeUnknownCinema)
	a, _, err = w.send(w.client, w.rsa, wire.DailyStats, w.next(), ticket(wire.OpSale, "T-6", 4500))
	wantCode(t, "a ticket sent as statistics", a, err, wire.CodeField)

	resp, err := w.client.Post(w.sim.URL()+wire.RawTicket.Path(), "application/json", strings.NewReader(`{"system_code":`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if a, err := wire.ReadAnswer(raw); err != nil || a.Code != wire.CodeMalformed {
		t.Fatalf("malformed JSON answered %s: %+v %v", raw, a, err)
	}
	if n := len(w.sim.Records()); n != 0 {
		t.Fatalf("%d records stored from refused messages", n)
	}
	if code := w.adminCall("GET", "/admin/received", nil, nil); code != 200 {
		t.Fatalf("the admin API with its token: %d", code)
	}
	req, _ := http.NewRequest("GET", w.sim.URL()+"/admin/records", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err = w.admin.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("the admin API with a wrong token: %d", resp.StatusCode)
	}
}

func TestDownloadsAnswerTheSystemsCinemasAndTheFilmsOfAPeriod(t *testing.T) {
	w := newWorld(t)
	a, _, err := w.send(w.client, w.rsa, wire.FilmDownload, w.next(), wire.FilmQuery{From: "2026-12-01", To: "2026-12-31"})
	wantCode(t, "films", a, err, wire.CodeOK)
	var films wire.Films
	if err := json.Unmarshal(a.Data, &films); err != nil || films.Count != 1 || films.Films[0].Code != "001101232026" || films.Films[0].DurationMin != 110 {
		t.Fatalf("films of December: %s (%v)", a.Data, err)
	}
	a, _, err = w.send(w.client, w.sm2, wire.CinemaDownload, w.next(), wire.CinemaQuery{})
	wantCode(t, "cinemas", a, err, wire.CodeOK)
	var cs wire.Cinemas
	if err := json.Unmarshal(a.Data, &cs); err != nil || cs.Count != 1 || cs.Cinemas[0].Vendor != "ADMIT" || cs.Cinemas[0].SoftwareVersion != "1.0.0" {
		t.Fatalf("cinemas: %s (%v)", a.Data, err)
	}
	if n := len(w.sim.Records()); n != 0 {
		t.Fatalf("downloads stored %d records", n)
	}
}

func TestFaultsOnDemand(t *testing.T) {
	w := newWorld(t)
	sale := func(n string) wire.TicketRecord { return ticket(wire.OpSale, n, 4500) }

	w.sim.SetFaults(Faults{Status: 503, Count: 1})
	_, status, err := w.send(w.client, w.rsa, wire.RawTicket, w.next(), sale("T-1"))
	if status != 503 || err == nil {
		t.Fatalf("a 503 fault answered %d, %v", status, err)
	}
	a, _, err := w.send(w.client, w.rsa, wire.RawTicket, w.next(), sale("T-2"))
	wantCode(t, "after a one-message fault", a, err, wire.CodeOK)

	w.sim.SetFaults(Faults{Reset: true, Count: 1})
	if _, _, err := w.send(w.client, w.rsa, wire.RawTicket, w.next(), sale("T-3")); err == nil {
		t.Fatal("a reset connection answered")
	}
	lost := w.next()
	w.sim.SetFaults(Faults{LoseAnswer: true, Count: 1})
	if _, _, err := w.send(w.client, w.rsa, wire.RawTicket, lost, sale("T-4")); err == nil {
		t.Fatal("a lost answer arrived")
	}
	a, _, err = w.send(w.client, w.rsa, wire.RawTicket, lost, sale("T-4"))
	wantCode(t, "the resend after a lost answer", a, err, wire.CodeOK)
	if !a.Duplicate {
		t.Fatal("the message whose answer was lost was not stored the first time")
	}

	w.sim.SetFaults(Faults{RefuseSignature: true, Count: 1})
	a, _, err = w.send(w.client, w.rsa, wire.RawTicket, w.next(), sale("T-5"))
	wantCode(t, "a refused signature", a, err, wire.CodeSignature)

	slow := &http.Client{Timeout: 300 * time.Millisecond, Transport: w.client.Transport}
	w.sim.SetFaults(Faults{DelaySeconds: 30, Count: 1})
	var ne net.Error
	if _, _, err := w.send(slow, w.rsa, wire.RawTicket, w.next(), sale("T-6")); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("a 30 s answer reached a client that waits 300 ms: %v", err)
	}

	w.sim.SetFaults(Faults{DownUntil: time.Now().Add(time.Hour)})
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: w.client.Transport.(*http.Transport).Clone()}
	if _, _, err := w.send(fresh, w.rsa, wire.RawTicket, w.next(), sale("T-7")); err == nil {
		t.Fatal("a platform that is down answered")
	}
	w.sim.SetFaults(Faults{})
	a, _, err = w.send(fresh, w.rsa, wire.RawTicket, w.next(), sale("T-8"))
	wantCode(t, "back up", a, err, wire.CodeOK)

	var stored []string
	for _, r := range w.sim.Records() {
		var x wire.TicketRecord
		json.Unmarshal(r.Body, &x)
		stored = append(stored, x.Ticket)
	}
	if strings.Join(stored, ",") != "T-2,T-4,T-8" {
		t.Fatalf("stored %v, want T-2, T-4 (once) and T-8", stored)
	}
	var f Faults
	if code := w.adminCall("POST", "/admin/faults", Faults{Status: 200}, nil); code != 400 {
		t.Fatalf("a fault answering 200: %d", code)
	}
	w.adminCall("POST", "/admin/faults", Faults{Status: 500, Count: 2}, nil)
	w.adminCall("GET", "/admin/faults", nil, &f)
	if f.Status != 500 || f.Count != 2 {
		t.Fatalf("faults set by the admin API read back as %+v", f)
	}
}

func TestTheSummaryCountsPerCinemaAndDayAgainstTheSystemsOwnFigures(t *testing.T) {
	w := newWorld(t)
	today := time.Now().UTC().Format("2006-01-02")
	for i, c := range []int64{4500, 4500, 6000} {
		a, _, err := w.send(w.client, w.rsa, wire.RawTicket, w.next(), ticket(wire.OpSale, fmt.Sprintf("T-%d", i), c))
		wantCode(t, "sale", a, err, wire.CodeOK)
	}
	a, _, err := w.send(w.client, w.rsa, wire.RawTicket, w.next(), ticket(wire.OpRefund, "T-0", 4500))
	wantCode(t, "refund", a, err, wire.CodeOK)
	late := ticket(wire.OpSale, "T-9", 4500)
	late.OperatedAt = late.OperatedAt.Add(-5 * time.Minute)
	a, _, err = w.send(w.client, w.rsa, wire.RawTicket, w.next(), late)
	wantCode(t, "a late sale", a, err, wire.CodeOK)
	d := w.sim.Summary()
	if len(d) != 1 || d[0].Sales != 4 || d[0].SalesCents != 19500 || d[0].Refunds != 1 || d[0].Late != 1 || d[0].Completeness != -1 {
		t.Fatalf("summary before the statistics: %+v", d)
	}
	// The system says it sold 5 and refunded 1: 5 of 6 operations arrived.
	st := wire.SessionStats{BusinessDate: today, Cinema: "31000001", CinemaStatus: wire.StatusOpen, Hall: "H1", Film: "001101232026", Session: "S1",
		StartsAt: time.Now().Add(3 * time.Hour), LocalSold: 5, LocalRefunded: 1, LocalSoldCents: 24000, LocalRefundedCents: 4500}
	a, _, err = w.send(w.client, w.sm2, wire.DailyStats, w.next(), st)
	wantCode(t, "statistics", a, err, wire.CodeOK)
	d = w.sim.Summary()
	if d[0].ReportedSold != 5 || d[0].Completeness < 83 || d[0].Completeness > 84 {
		t.Fatalf("summary after the statistics: %+v", d[0])
	}
	resp, err := w.admin.Get(w.sim.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"31000001", today, "¥195.00", "83.3 %"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestThePlatformKeepsWhatItWasToldAcrossARestart: a platform with a data
// dir restarts with its authority, registrations, messages, duplicates,
// reviews and losses; a system's certificate and keys still work, and a
// message sent before the restart is a duplicate after it.
func TestThePlatformKeepsWhatItWasToldAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	w := newWorldIn(t, dir)
	serials := []string{w.next(), w.next(), w.next()}
	for i, s := range serials {
		signer := w.rsa
		if i == 1 {
			signer = w.sm2
		}
		if a, _, err := w.send(w.client, signer, wire.RawTicket, s, ticket(wire.OpSale, fmt.Sprintf("T-%d", i), 4500)); err != nil || !a.OK {
			t.Fatalf("send %s: %+v %v", s, a, err)
		}
	}
	if a, _, err := w.send(w.client, w.rsa, wire.RawTicket, serials[0], ticket(wire.OpSale, "T-0", 4500)); err != nil || !a.Duplicate {
		t.Fatalf("a copy: %+v %v", a, err)
	}
	status := w.next()
	if a, _, err := w.send(w.client, w.rsa, wire.BusinessStatus, status, wire.StatusReport{Cinema: "31000001", Status: wire.StatusClosed,
		Effective: time.Now().Format("2006-01-02")}); err != nil || !a.OK {
		t.Fatalf("status: %+v %v", a, err)
	}
	if w.sim.Forget("ADMIT", serials[2]) != 1 {
		t.Fatal("forget")
	}
	before, ca := w.sim.Records(), string(w.sim.CAPEM())
	if err := w.sim.Close(); err != nil {
		t.Fatal(err)
	}

	again, err := Start(Config{AdminToken: token, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	w.sim = again
	if string(again.CAPEM()) != ca {
		t.Fatal("a new certificate authority after the restart")
	}
	after := again.Records()
	if len(after) != len(before) || len(after) != 3 {
		t.Fatalf("%d records after the restart, %d before", len(after), len(before))
	}
	for i := range after {
		b, a := before[i], after[i]
		if a.Serial != b.Serial || a.Duplicates != b.Duplicates || string(a.Body) != string(b.Body) || !a.ArrivedAt.Equal(b.ArrivedAt) || a.body == nil {
			t.Fatalf("record %d: %+v, was %+v", i, a, b)
		}
	}
	if cs := again.cinemasOf("ADMIT", "31000001"); cs.Count != 1 || cs.Cinemas[0].Status != wire.StatusClosed {
		t.Fatalf("the cinema after the restart: %+v", cs)
	}
	if again.filmsFor(wire.FilmQuery{From: "2026-01-01", To: "2027-12-31"}).Count != 2 {
		t.Fatal("the films after the restart")
	}
	// The issued certificate and keys still work; the copies still count once.
	if a, _, err := w.send(w.client, w.sm2, wire.RawTicket, serials[1], ticket(wire.OpSale, "T-1", 4500)); err != nil || !a.Duplicate {
		t.Fatalf("a copy after the restart: %+v %v", a, err)
	}
	if a, _, err := w.send(w.client, w.rsa, wire.RawTicket, serials[2], ticket(wire.OpSale, "T-2", 4500)); err != nil || !a.OK || a.Duplicate {
		t.Fatalf("the lost record sent again: %+v %v", a, err)
	}
	if n := len(again.Records()); n != 4 {
		t.Fatalf("%d records", n)
	}
}
