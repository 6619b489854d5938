package wire

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
)

func keys(t testing.TB) (RSASigner, SM2Signer, Keys) {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return RSASigner{rk}, SM2Signer{sk}, Keys{RSA: &rk.PublicKey, SM2: &sk.PublicKey}
}

func sale() TicketRecord {
	at := time.Date(2026, 12, 3, 19, 30, 0, 0, time.UTC)
	return TicketRecord{Cinema: "31000001", CinemaStatus: StatusOpen, BusinessDate: "2026-12-03", Hall: "H1", Film: "001101232026",
		Session: "S42", StartsAt: at, Operation: OpSale, Ticket: "310000012026120300000001", Seat: "A-1", PriceCents: 4500, OperatedAt: at.Add(-time.Hour)}
}

func TestASealedMessageOpensVerifiesAndReadsBackWithEitherAlgorithm(t *testing.T) {
	rs, ss, pub := keys(t)
	for _, s := range []Signer{rs, ss} {
		e, err := Seal(s, "ADMIT", RawTicket, "ADMIT-1", time.Now(), sale())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(e)
		got, err := Open(b)
		if err != nil {
			t.Fatalf("%s: open: %v", s.Alg(), err)
		}
		if err := got.Verify(pub); err != nil {
			t.Fatalf("%s: verify: %v", s.Alg(), err)
		}
		body, err := got.ReadBody()
		if err != nil {
			t.Fatalf("%s: body: %v", s.Alg(), err)
		}
		if r := *body.(*TicketRecord); r != sale() {
			t.Fatalf("%s: body read back as %+v", s.Alg(), r)
		}
	}
}

func TestATamperedOrForeignMessageDoesNotVerify(t *testing.T) {
	rs, ss, pub := keys(t)
	_, _, other := keys(t)
	for _, s := range []Signer{rs, ss} {
		e, err := Seal(s, "ADMIT", RawTicket, "ADMIT-1", time.Now(), sale())
		if err != nil {
			t.Fatal(err)
		}
		for name, change := range map[string]func(e *Envelope){
			"body":      func(e *Envelope) { e.Body = []byte(strings.Replace(string(e.Body), "4500", "450", 1)) },
			"serial":    func(e *Envelope) { e.Serial = "ADMIT-2" },
			"system":    func(e *Envelope) { e.System = "OTHER" },
			"interface": func(e *Envelope) { e.Interface = DailyStats },
			"sent_at":   func(e *Envelope) { e.SentAt = e.SentAt.Add(time.Second) },
			"signature": func(e *Envelope) { e.Signature = append([]byte{}, e.Signature[:len(e.Signature)-1]...) },
		} {
			x := e
			change(&x)
			if err := x.Verify(pub); !errors.Is(err, ErrSignature) {
				t.Errorf("%s: a changed %s verified: %v", s.Alg(), name, err)
			}
		}
		if err := e.Verify(other); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: another system's keys verified the message: %v", s.Alg(), err)
		}
		if err := e.Verify(Keys{}); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: a system with no key of the algorithm verified: %v", s.Alg(), err)
		}
	}
}

func TestBadMessagesAreRefusedWithAReason(t *testing.T) {
	rs, _, _ := keys(t)
	good, err := Seal(rs, "ADMIT", RawTicket, "ADMIT-1", time.Now(), sale())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(good)
	for name, msg := range map[string]string{
		"not json":          `{"system_code":`,
		"unknown field":     strings.Replace(string(b), `"serial"`, `"extra":1,"serial"`, 1),
		"trailing data":     string(b) + `{}`,
		"unknown interface": strings.Replace(string(b), `"tickets"`, `"nothing"`, 1),
		"unknown algorithm": strings.Replace(string(b), AlgRSA, "MD5", 1),
		"serial with space": strings.Replace(string(b), `"ADMIT-1"`, `"ADMIT 1"`, 1),
	} {
		if _, err := Open([]byte(msg)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: opened: %v", name, err)
		}
	}
	unsigned := good
	unsigned.Signature = nil
	if b, _ := json.Marshal(unsigned); true {
		if _, err := Open(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("an unsigned message opened: %v", err)
		}
	}
	bad := sale()
	bad.Film = "short"
	e, _ := Seal(rs, "ADMIT", RawTicket, "ADMIT-2", time.Now(), bad)
	var fe *FieldError
	if _, err := e.ReadBody(); !errors.As(err, &fe) || fe.Field != "film_code" {
		t.Errorf("a short film code: %v", err)
	}
	bad = sale()
	bad.NetworkFeeCents = 300
	e, _ = Seal(rs, "ADMIT", RawTicket, "ADMIT-3", time.Now(), bad)
	if _, err := e.ReadBody(); !errors.As(err, &fe) || fe.Field != "network_fee_cents" {
		t.Errorf("a network fee on a box-office sale: %v", err)
	}
}

func TestAnAnswerThatIsNotOneIsNeverASuccess(t *testing.T) {
	for _, s := range []string{``, `ok`, `<html>502</html>`, `{"ok":true}`, `{"ok":true,"code":"bad_field"}`, `{"ok":false,"code":"ok"}`, `{"ok":true,"code":"ok"} x`} {
		if a, err := ReadAnswer([]byte(s)); err == nil {
			t.Errorf("%q read as %+v", s, a)
		}
	}
	if a, err := ReadAnswer([]byte(`{"ok":true,"code":"ok","serial":"A-1","duplicate":true}`)); err != nil || !a.OK || !a.Duplicate {
		t.Errorf("a duplicate's answer: %+v, %v", a, err)
	}
}

// BenchmarkSeal is the signing cost of one raw ticket record, per algorithm.
func BenchmarkSeal(b *testing.B) {
	rs, ss, _ := keys(b)
	for _, s := range []Signer{rs, ss} {
		b.Run(s.Alg(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := Seal(s, "ADMIT", RawTicket, "S-1", time.Now(), sale()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify is the platform's cost of checking one.
func BenchmarkVerify(b *testing.B) {
	rs, ss, pub := keys(b)
	for _, s := range []Signer{rs, ss} {
		e, _ := Seal(s, "ADMIT", RawTicket, "S-1", time.Now(), sale())
		b.Run(s.Alg(), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := e.Verify(pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestAQueryNamesACinemaAndAShortRangeOfDays(t *testing.T) {
	rs, _, _ := keys(t)
	for _, c := range []struct {
		i     Interface
		q     RangeQuery
		field string
	}{
		{QueryCinema, RangeQuery{Cinema: "31000001"}, ""},
		{QueryPlans, RangeQuery{Cinema: "31000001", From: "2026-12-01", To: "2026-12-03"}, ""},
		{QueryPlans, RangeQuery{Cinema: "31000001"}, "from"},
		{QueryStats, RangeQuery{Cinema: "31000001", From: "2026-12-03", To: "2026-12-01"}, "to"},
		{QueryLog, RangeQuery{Cinema: "31000001", From: "2024-01-01", To: "2026-01-01"}, "to"},
		{QueryTickets, RangeQuery{Cinema: "3100", From: "2026-12-01", To: "2026-12-01"}, "cinema_code"},
		{QueryHalls, RangeQuery{Cinema: "31000001", Hall: "bad hall"}, "hall_code"},
	} {
		e, err := Seal(rs, PlatformSystem, c.i, "Q-1", time.Now(), c.q)
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.ReadBody()
		var fe *FieldError
		switch {
		case c.field == "" && (err != nil || *Query(b) != c.q):
			t.Errorf("%s %+v: %v", c.i, c.q, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field):
			t.Errorf("%s %+v: %v, want a %s error", c.i, c.q, err, c.field)
		}
	}
}
