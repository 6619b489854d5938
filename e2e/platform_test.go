package e2e

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/internal/platformsim"
)

// TestAPersonReadsWhatThePlatformReceived: a system reports sales, a
// refund and its day's figures to the platform simulator; its page, in
// Chromium, shows the cinema's day with the amounts and the completeness.
func TestAPersonReadsWhatThePlatformReceived(t *testing.T) {
	sim, err := platformsim.Start(platformsim.Config{AdminToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	is, err := sim.RegisterSystem(platformsim.SystemRequest{Code: "ADMIT", Version: "1.0", Address: "https://cloud.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.RegisterCinema(platformsim.CinemaRequest{System: "ADMIT", Cinema: wire.Cinema{Code: "31000001", Name: "Arena", Company: "Acme",
		Circuit: "United", Status: wire.StatusOpen, Halls: 1}}); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(sim.CAPEM())
	cert, err := tls.X509KeyPair([]byte(is.CertPEM), []byte(is.KeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
	blk, _ := pem.Decode([]byte(is.KeyPEM))
	key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	signer := wire.RSASigner{Key: key.(*rsa.PrivateKey)}
	now := time.Now().UTC().Truncate(time.Second)
	day := now.Format("2006-01-02")
	send := func(n int, i wire.Interface, body any) {
		t.Helper()
		e, err := wire.Seal(signer, "ADMIT", i, fmt.Sprintf("ADMIT-%d", n), now, body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(e)
		resp, err := client.Post(sim.URL()+i.Path(), "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if a, err := wire.ReadAnswer(raw); err != nil || !a.OK {
			t.Fatalf("report %d: %s", n, raw)
		}
	}
	rec := func(op, number string) wire.TicketRecord {
		return wire.TicketRecord{Cinema: "31000001", CinemaStatus: wire.StatusOpen, BusinessDate: day, Hall: "H1", Film: "001101232026",
			Session: "S1", StartsAt: now.Add(2 * time.Hour), Operation: op, Ticket: number, Seat: "A-1", PriceCents: 4500, OperatedAt: now}
	}
	send(1, wire.RawTicket, rec(wire.OpSale, "T-1"))
	send(2, wire.RawTicket, rec(wire.OpSale, "T-2"))
	send(3, wire.RawTicket, rec(wire.OpRefund, "T-1"))
	send(4, wire.DailyStats, wire.SessionStats{BusinessDate: day, Cinema: "31000001", CinemaStatus: wire.StatusOpen, Hall: "H1", Film: "001101232026",
		Session: "S1", StartsAt: now.Add(2 * time.Hour), LocalSold: 3, LocalRefunded: 1, LocalSoldCents: 13500, LocalRefundedCents: 4500})

	// Chromium trusts exactly the simulator's server key, not any certificate.
	parsed, err := x509.ParseCertificate(sim.ServerCertDER())
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(parsed.RawSubjectPublicKeyInfo)
	ctx := browser(t, chromedp.Flag("ignore-certificate-errors-spki-list", base64.StdEncoding.EncodeToString(spki[:])))
	run(t, ctx, "open the platform's page",
		chromedp.Navigate(sim.URL()+"/"),
		waitText(`[data-test=days] tbody`, "31000001"),
		waitText(`[data-test=days] tbody`, day),
		waitText(`[data-test=days] tbody`, "¥90.00"), // two sales of ¥45
		waitText(`[data-test=days] tbody`, "75.0 %"), // 3 of the 4 operations the system counted
	)
	shot(t, ctx, "platform-sim")
}
