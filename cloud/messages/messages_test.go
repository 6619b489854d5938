package messages

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestRender(t *testing.T) {
	vars := map[string]string{"org": "Arena", "presale": "Final", "ref": "A1"}
	zh, lang, err := Render("presale.lost", "zh", vars)
	if err != nil || lang != "zh" || !strings.Contains(zh, "「Final」") || !strings.Contains(zh, "A1") || strings.Contains(zh, "{{") {
		t.Fatalf("zh: %q %s %v", zh, lang, err)
	}
	en, lang, err := Render("presale.lost", "en", vars)
	if err != nil || lang != "en" || !strings.HasPrefix(en, "[Arena]") {
		t.Fatalf("en: %q %s %v", en, lang, err)
	}
	if _, lang, _ := Render("presale.lost", "fr", vars); lang != "zh" {
		t.Fatalf("an unknown language fell back to %q", lang)
	}
	if _, _, err := Render("presale.won", "en", vars); !errors.Is(err, ErrVars) {
		t.Fatalf("a missing variable: %v", err)
	}
	if _, _, err := Render("nope", "en", vars); !errors.Is(err, ErrTemplate) {
		t.Fatalf("an unknown template: %v", err)
	}
	for _, tp := range Templates() {
		for _, l := range []string{"zh", "en"} {
			if tp.Text[l] == "" {
				t.Errorf("%s has no %s text", tp.Name, l)
			}
		}
	}
}

func TestMake(t *testing.T) {
	ok := Request{Channel: SMS, Recipient: "13800138000", Template: "presale.lost", Vars: map[string]string{"org": "o", "presale": "p", "ref": "r"}, Key: "k"}
	m, err := Make(ok, t0)
	if err != nil || m.State != Queued || !m.NextAt.Equal(t0) || m.Lang != "zh" {
		t.Fatalf("%+v %v", m, err)
	}
	for name, r := range map[string]Request{
		"no key":       {Channel: SMS, Recipient: "1", Template: "presale.lost", Vars: ok.Vars},
		"no recipient": {Channel: SMS, Template: "presale.lost", Vars: ok.Vars, Key: "k"},
		"bad channel":  {Channel: "fax", Recipient: "1", Template: "presale.lost", Vars: ok.Vars, Key: "k"},
	} {
		if _, err := Make(r, t0); !errors.Is(err, ErrRequest) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestOutcome(t *testing.T) {
	m := Message{State: Queued}
	sent := Outcome(m, "ref-1", nil, t0)
	if sent.State != Sent || sent.Ref != "ref-1" || sent.SentAt == nil || sent.Attempts != 1 {
		t.Fatalf("sent: %+v", sent)
	}
	retry := Outcome(m, "", ErrDown, t0)
	if retry.State != Queued || !retry.NextAt.Equal(t0.Add(10*time.Second)) || retry.LastError == "" {
		t.Fatalf("retry: %+v", retry)
	}
	again := Outcome(retry, "", ErrDown, t0)
	if !again.NextAt.Equal(t0.Add(20 * time.Second)) {
		t.Fatalf("the second retry waits %s", again.NextAt.Sub(t0))
	}
	gone := Outcome(m, "", ErrPermanent, t0)
	if gone.State != Failed {
		t.Fatalf("a permanent refusal: %+v", gone)
	}
	last := Message{State: Queued, Attempts: MaxAttempts - 1}
	if o := Outcome(last, "", ErrDown, t0); o.State != Failed {
		t.Fatalf("after %d attempts: %+v", MaxAttempts, o)
	}
}
