package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/sales"
)

// messageService is a messages service on the fixture's store with a
// simulator per channel.
func messageService(t *testing.T, f *Fixture) (*messages.Service, map[messages.Channel]*messages.Simulator) {
	t.Helper()
	st, ok := f.Store.(interface{ Messages() messages.Store })
	if !ok {
		t.Fatal("the store keeps no messages")
	}
	sims := map[messages.Channel]*messages.Simulator{}
	cfg := map[messages.Channel]messages.ChannelConfig{}
	for _, c := range messages.Channels() {
		sims[c] = messages.NewSimulator(c)
		cfg[c] = messages.ChannelConfig{Provider: sims[c], PerSec: 1000, Burst: 100}
	}
	return messages.New(st.Messages(), f.Svc, cfg, f.Clock.Now, nil), sims
}

// testMessages: a message is queued once per key, sent once even by two
// senders at once, retried while its provider is down, given up for a
// recipient that does not exist, and sent again by hand; recipients are
// masked for who may not read personal data.
func testMessages(t *testing.T, open func(t *testing.T) sales.Store) {
	f := fixture(t, open)
	svc, sims := messageService(t, f)
	req := func(i int, to string) messages.Request {
		return messages.Request{TenantID: f.Tenant.ID, Channel: messages.SMS, Recipient: to, Template: "presale.lost", Lang: "en",
			Vars: map[string]string{"org": "Arena", "presale": "Final", "ref": fmt.Sprintf("A%d", i)}, Key: fmt.Sprintf("test/%d", i)}
	}
	var rs []messages.Request
	for i := range 40 {
		rs = append(rs, req(i, fmt.Sprintf("1380013%04d", i)))
	}
	if n, err := svc.Queue(ctx, rs); err != nil || n != 40 {
		t.Fatalf("queued %d: %v", n, err)
	}
	if n, err := svc.Queue(ctx, rs[:10]); err != nil || n != 0 {
		t.Fatalf("the same keys again queued %d: %v", n, err)
	}
	if _, err := svc.Queue(ctx, []messages.Request{{TenantID: f.Tenant.ID, Channel: messages.SMS, Recipient: "1", Template: "presale.won", Key: "x"}}); err == nil {
		t.Fatal("a message with a hole in it was queued")
	}

	// Two senders at once: every message once.
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.SendDue(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	sms := sims[messages.SMS]
	if len(sms.Sent()) != 40 || sms.Calls() != 40 {
		t.Fatalf("sent %d with %d calls; want 40 and 40", len(sms.Sent()), sms.Calls())
	}
	if !strings.Contains(sms.Sent()[0].Body, "[Arena]") {
		t.Fatalf("body %q", sms.Sent()[0].Body)
	}

	// The provider is down for two tries; an unknown number fails for good.
	sms.FailNext(2)
	sms.Unknown("19900000000")
	if _, err := svc.Queue(ctx, []messages.Request{req(100, "13900000000"), req(101, "19900000000")}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := svc.SendDue(ctx); err != nil {
			t.Fatal(err)
		}
		f.Clock.Advance(time.Minute)
	}
	list, err := svc.List(ctx, f.Manager, messages.Filter{Key: "test/10"})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]messages.Message{}
	for _, m := range list {
		byKey[m.Key] = m
	}
	if m := byKey["test/100"]; m.State != messages.Sent || m.Attempts < 2 {
		t.Fatalf("after the provider came back: %+v", m)
	}
	failed := byKey["test/101"]
	if failed.State != messages.Failed || failed.LastError == "" {
		t.Fatalf("an unknown number: %+v", failed)
	}
	if failed.Recipient != "19900000000" {
		t.Fatalf("a manager, who reads personal data, saw %q", failed.Recipient)
	}
	seen, err := svc.List(ctx, f.Auditor, messages.Filter{Key: "test/101"})
	if err != nil || len(seen) != 1 || seen[0].Recipient != "199****0000" {
		t.Fatalf("an auditor saw %+v %v", seen, err)
	}
	if _, err := svc.Resend(ctx, f.Clerk, failed.ID); !isKind(err, sales.KindForbidden) {
		t.Fatalf("a clerk sent again: %v", err)
	}
	if _, err := svc.Resend(ctx, f.Manager, byKey["test/100"].ID); !isCode(err, "message_not_failed") {
		t.Fatalf("a sent message sent again: %v", err)
	}
	if m, err := svc.Resend(ctx, f.Manager, failed.ID); err != nil || m.State != messages.Queued {
		t.Fatalf("resend: %+v %v", m, err)
	}
	// A member's sign-in code is never shown to staff.
	if _, err := svc.Queue(ctx, []messages.Request{{TenantID: f.Tenant.ID, Channel: messages.SMS, Recipient: "13800138000", Template: "account.code",
		Vars: map[string]string{"org": "Arena", "code": "424242"}, Key: "test/code"}}); err != nil {
		t.Fatal(err)
	}
	codes, err := svc.List(ctx, f.TenantAdmin, messages.Filter{Key: "test/code"})
	if err != nil || len(codes) != 1 || strings.Contains(codes[0].Body, "424242") {
		t.Fatalf("a code shown to staff: %+v %v", codes, err)
	}
}
