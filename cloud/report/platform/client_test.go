package platform

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/internal/platformsim"
)

// fixture is the platform simulator with this system and its cinema
// registered, and a client holding what the platform issued.
type fixture struct {
	sim    *platformsim.Sim
	issued platformsim.Issued
	system string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sim, err := platformsim.Start(platformsim.Config{AdminToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	f := &fixture{sim: sim, system: "ADMIT"}
	if f.issued, err = sim.RegisterSystem(platformsim.SystemRequest{Code: "ADMIT", Version: "1", Address: "https://cloud.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.RegisterCinema(platformsim.CinemaRequest{System: "ADMIT", Cinema: wire.Cinema{Code: "31000001", Name: "Arena", Company: "Acme",
		Circuit: "United", Status: wire.StatusOpen, Halls: 1}}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) client(t *testing.T, alg string, p report.Policy) *Client {
	t.Helper()
	var s wire.Signer
	switch alg {
	case wire.AlgRSA:
		blk, _ := pem.Decode([]byte(f.issued.KeyPEM))
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		s = wire.RSASigner{Key: k.(*rsa.PrivateKey)}
	case wire.AlgSM2:
		blk, _ := pem.Decode([]byte(f.issued.SM2PEM))
		k, err := smx509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		s = wire.SM2Signer{Key: k.(*sm2.PrivateKey)}
	}
	c, err := New(Config{URL: f.sim.URL(), System: f.system, CertPEM: []byte(f.issued.CertPEM), KeyPEM: []byte(f.issued.KeyPEM),
		CAPEM: []byte(f.issued.CAPEM), Signer: s, Policy: p})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var quick = report.Policy{Sends: 3, Timeout: 2 * time.Second, Pause: 10 * time.Millisecond}

func sale(n int) wire.TicketRecord {
	at := time.Now().UTC().Truncate(time.Second)
	return wire.TicketRecord{Cinema: "31000001", CinemaStatus: wire.StatusOpen, BusinessDate: at.Format("2006-01-02"), Hall: "H1",
		Film: "001101232026", Session: "S1", StartsAt: at.Add(time.Hour), Operation: wire.OpSale, Ticket: fmt.Sprintf("T-%d", n),
		Seat: "A-1", PriceCents: 4500, OperatedAt: at}
}

func TestACommunicationIsDeliveredWithEitherSignature(t *testing.T) {
	f := newFixture(t)
	for i, alg := range []string{wire.AlgRSA, wire.AlgSM2} {
		r := f.client(t, alg, quick).Send(context.Background(), wire.RawTicket, fmt.Sprintf("S-%d", i), sale(i))
		if r.Outcome != report.Delivered || r.Sends != 1 || r.Answer.Duplicate {
			t.Fatalf("%s: %+v", alg, r)
		}
	}
	if n := len(f.sim.Records()); n != 2 {
		t.Fatalf("the platform holds %d records", n)
	}
}

func TestSilenceIsSentAgainUpToThreeTimesThenFails(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, wire.AlgRSA, quick)
	ctx := context.Background()

	// Two 5xx, then an answer: delivered on the third send.
	f.sim.SetFaults(platformsim.Faults{Status: 503, Count: 2})
	if r := c.Send(ctx, wire.RawTicket, "S-1", sale(1)); r.Outcome != report.Delivered || r.Sends != 3 {
		t.Fatalf("after two 503s: %+v", r)
	}
	// A reset every time: failed after three sends, nothing stored.
	f.sim.SetFaults(platformsim.Faults{Reset: true})
	r := c.Send(ctx, wire.RawTicket, "S-2", sale(2))
	if r.Outcome != report.Failed || r.Sends != 3 || r.Err == nil {
		t.Fatalf("three resets: %+v", r)
	}
	// Answers slower than the timeout: failed after three sends.
	f.sim.SetFaults(platformsim.Faults{DelaySeconds: 30})
	slow := f.client(t, wire.AlgRSA, report.Policy{Sends: 3, Timeout: 200 * time.Millisecond, Pause: time.Millisecond})
	if r := slow.Send(ctx, wire.RawTicket, "S-3", sale(3)); r.Outcome != report.Failed || r.Sends != 3 {
		t.Fatalf("three slow answers: %+v", r)
	}
	// The answer lost once: the resend is a duplicate, and a success.
	f.sim.SetFaults(platformsim.Faults{LoseAnswer: true, Count: 1})
	if r := c.Send(ctx, wire.RawTicket, "S-4", sale(4)); r.Outcome != report.Delivered || r.Sends != 2 || !r.Answer.Duplicate {
		t.Fatalf("a lost answer: %+v", r)
	}
	f.sim.SetFaults(platformsim.Faults{})
	var stored []string
	for _, rec := range f.sim.Records() {
		stored = append(stored, rec.Serial)
	}
	if fmt.Sprint(stored) != "[S-1 S-4]" {
		t.Fatalf("the platform stored %v; want S-1 and S-4 once each", stored)
	}
}

func TestARefusalEndsTheCommunicationWithTheReason(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, wire.AlgSM2, quick)
	f.sim.SetFaults(platformsim.Faults{RefuseSignature: true, Count: 1})
	r := c.Send(context.Background(), wire.RawTicket, "S-1", sale(1))
	if r.Outcome != report.Refused || r.Sends != 1 || r.Answer.Code != wire.CodeSignature {
		t.Fatalf("a refused signature: %+v", r)
	}
	bad := sale(2)
	bad.Cinema = "39999999"
	r = c.Send(context.Background(), wire.RawTicket, "S-2", bad)
	if r.Outcome != report.Refused || r.Answer.Code != wire.CodeUnknownCinema || r.Answer.Reason == "" {
		t.Fatalf("another system's cinema: %+v", r)
	}
}

func TestAClientWithoutItsIssuedCertificateIsRefusedAtConstruction(t *testing.T) {
	f := newFixture(t)
	if _, err := New(Config{URL: f.sim.URL(), System: "ADMIT", CertPEM: []byte(f.issued.CertPEM), KeyPEM: []byte(f.issued.SM2PEM),
		CAPEM: []byte(f.issued.CAPEM), Signer: wire.RSASigner{}}); err == nil {
		t.Fatal("a certificate with another key was accepted")
	}
	if _, err := New(Config{URL: "http://" + f.sim.URL()[len("https://"):], System: "ADMIT"}); err == nil {
		t.Fatal("plain HTTP was accepted")
	}
}
