package presale

import (
	"errors"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/lottery"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	both := []string{ChannelPage, ChannelShop}
	ok := Presale{Name: "Final", Tickets: 100, PerPerson: 4, OpensAt: t0, ClosesAt: t0.Add(time.Hour), Channels: both}
	if fe := ok.Validate(t0); len(fe) != 0 {
		t.Fatalf("a good presale: %v", fe)
	}
	for name, p := range map[string]Presale{
		"no name":          {Tickets: 1, PerPerson: 1, OpensAt: t0, ClosesAt: t0.Add(time.Hour), Channels: both},
		"no tickets":       {Name: "x", PerPerson: 1, OpensAt: t0, ClosesAt: t0.Add(time.Hour), Channels: both},
		"limit too high":   {Name: "x", Tickets: 1, PerPerson: MaxPerPerson + 1, OpensAt: t0, ClosesAt: t0.Add(time.Hour), Channels: both},
		"closes first":     {Name: "x", Tickets: 1, PerPerson: 1, OpensAt: t0, ClosesAt: t0.Add(-time.Hour), Channels: both},
		"closed already":   {Name: "x", Tickets: 1, PerPerson: 1, OpensAt: t0.Add(-2 * time.Hour), ClosesAt: t0.Add(-time.Hour), Channels: both},
		"no times":         {Name: "x", Tickets: 1, PerPerson: 1, Channels: both},
		"no channel":       {Name: "x", Tickets: 1, PerPerson: 1, OpensAt: t0, ClosesAt: t0.Add(time.Hour)},
		"a fax channel":    {Name: "x", Tickets: 1, PerPerson: 1, OpensAt: t0, ClosesAt: t0.Add(time.Hour), Channels: []string{"fax"}},
		"too many tickets": {Name: "x", Tickets: MaxTickets + 1, PerPerson: 1, OpensAt: t0, ClosesAt: t0.Add(time.Hour), Channels: both},
	} {
		if fe := p.Validate(t0); len(fe) != 1 {
			t.Errorf("%s: %v", name, fe)
		}
	}
}

func TestWindows(t *testing.T) {
	p := Presale{State: Open, OpensAt: t0, ClosesAt: t0.Add(time.Hour)}
	for _, c := range []struct {
		at    time.Time
		apply bool
		lock  bool
	}{
		{t0.Add(-time.Second), false, false},
		{t0, true, false},
		{t0.Add(time.Hour - time.Nanosecond), true, false},
		{t0.Add(time.Hour), false, true},
	} {
		if err := p.CanApply(c.at); (err == nil) != c.apply || (err != nil && !errors.Is(err, ErrClosed)) {
			t.Errorf("apply at %s: %v", c.at, err)
		}
		if err := p.CanLock(c.at); (err == nil) != c.lock {
			t.Errorf("lock at %s: %v", c.at, err)
		}
	}
	p.State = Locked
	if p.CanApply(t0.Add(time.Minute)) == nil || p.CanLock(t0.Add(2*time.Hour)) == nil {
		t.Fatal("a locked presale took an application or a second lock")
	}
}

func TestListAndOutcome(t *testing.T) {
	p := Presale{ID: 7, Tickets: 3}
	apps := []Application{
		{Ref: "A1", Quantity: 2, State: Applied, InDraw: true},
		{Ref: "A2", Quantity: 1, State: Applied, InDraw: true},
		{Ref: "A3", Quantity: 2, State: Applied, InDraw: true},
		{Ref: "A4", Quantity: 1, State: Lapsed},
	}
	list := List(p, apps)
	if len(list) != 3 || list[0].Pool != "presale-7" {
		t.Fatalf("list %v", list)
	}
	seed := make([]byte, lottery.MinSeed)
	res, err := lottery.Draw(seed, []lottery.Pool{p.Pool()}, list)
	if err != nil {
		t.Fatal(err)
	}
	out := Outcome(res.Pools[0], apps)
	if len(out) != 3 {
		t.Fatalf("outcome of %d applications, 3 were drawn", len(out))
	}
	won, tickets := 0, 0
	for _, a := range out {
		switch a.State {
		case Won:
			won++
			tickets += a.Quantity
			if a.Rank < 1 {
				t.Errorf("winner %s without a rank", a.Ref)
			}
		case Lost:
		default:
			t.Errorf("%s is %s", a.Ref, a.State)
		}
	}
	if won != len(res.Pools[0].Winners) || tickets > p.Tickets {
		t.Fatalf("%d winners with %d tickets; the draw gave %d", won, tickets, len(res.Pools[0].Winners))
	}
}
