package messages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"golang.org/x/time/rate"

	"github.com/admitbox/admit/cloud/audit"
	"github.com/admitbox/admit/cloud/auth"
	"github.com/admitbox/admit/cloud/sales"
)

// Store keeps the messages.
type Store interface {
	// Enqueue stores the messages whose key is new and says how many.
	Enqueue(ctx context.Context, ms []Message) (int, error)
	// Claim takes up to limit queued messages due at now for this sender,
	// moving their next try lease later, so that another sender does not
	// take them meanwhile.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Message, error)
	// Finish stores a send's outcome.
	Finish(ctx context.Context, m Message) error
	List(ctx context.Context, tenantID int64, f Filter) ([]Message, error)
	// Requeue queues a failed message again, with an audit entry.
	Requeue(ctx context.Context, tenantID, id int64, now time.Time, e audit.Entry) (Message, error)
}

// Filter narrows a listing.
type Filter struct {
	State State
	Key   string // a prefix of the key ("presale/7/")
	Limit int
}

// ErrNotFound: no such message of the tenant; ErrNotFailed: only a failed
// message is queued again.
var (
	ErrNotFound  = errors.New("messages: no such message")
	ErrNotFailed = errors.New("messages: only a failed message is sent again")
)

// Provider sends on one channel. It is idempotent by the message's key: a
// message sent twice (a sender that died before recording the first send)
// reaches its person once. An error wrapping ErrPermanent will not change
// on a retry.
type Provider interface {
	Send(ctx context.Context, m Message) (ref string, err error)
}

// Sealer seals recipients and bodies at rest (cloud/sales implements it).
type Sealer interface {
	SealText(v string) string
	OpenText(v string) (string, error)
}

// ChannelConfig is a channel's provider and its pace.
type ChannelConfig struct {
	Provider Provider
	PerSec   float64 // the provider's rate limit; 0: 50 a second
	Burst    int     // 0: 1
}

// Service queues, sends and shows messages.
type Service struct {
	st       Store
	seal     Sealer
	channels map[Channel]*channel
	now      func() time.Time
	log      *slog.Logger
}

type channel struct {
	p   Provider
	lim *rate.Limiter
}

// New returns a Service sending over the configured channels.
func New(st Store, seal Sealer, chans map[Channel]ChannelConfig, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{st: st, seal: seal, channels: map[Channel]*channel{}, now: now, log: log}
	for c, cfg := range chans {
		per, burst := cfg.PerSec, cfg.Burst
		if per <= 0 {
			per = 50
		}
		if burst <= 0 {
			burst = 1
		}
		s.channels[c] = &channel{p: cfg.Provider, lim: rate.NewLimiter(rate.Limit(per), burst)}
	}
	return s
}

// Queue renders and stores messages; a key already queued is skipped.
func (s *Service) Queue(ctx context.Context, rs []Request) (int, error) {
	now := s.now()
	ms := make([]Message, 0, len(rs))
	for _, r := range rs {
		m, err := Make(r, now)
		if err != nil {
			return 0, err
		}
		if _, ok := s.channels[m.Channel]; !ok {
			return 0, fmt.Errorf("%w: channel %s has no provider", ErrRequest, m.Channel)
		}
		m.Recipient, m.Body = s.seal.SealText(m.Recipient), s.seal.SealText(m.Body)
		ms = append(ms, m)
	}
	return s.st.Enqueue(ctx, ms)
}

// lease is how long a claimed message is another sender's to leave alone.
const lease = time.Minute

// SendDue sends what is due, each channel at its pace, and says how many
// were sent.
func (s *Service) SendDue(ctx context.Context) (int, error) {
	ms, err := s.st.Claim(ctx, s.now(), lease, 200)
	if err != nil {
		return 0, err
	}
	sent := 0
	for _, m := range ms {
		ch := s.channels[m.Channel]
		if ch == nil {
			continue // this process cannot send it; its lease runs out
		}
		if err := ch.lim.Wait(ctx); err != nil {
			return sent, err
		}
		out := m
		if out.Recipient, err = s.seal.OpenText(m.Recipient); err == nil {
			out.Body, err = s.seal.OpenText(m.Body)
		}
		if err != nil {
			return sent, fmt.Errorf("message %d: %w", m.ID, err)
		}
		ref, serr := ch.p.Send(ctx, out)
		if serr != nil && ctx.Err() != nil {
			return sent, ctx.Err() // the lease brings it back
		}
		done := Outcome(m, ref, serr, s.now())
		if err := s.st.Finish(ctx, done); err != nil {
			return sent, err
		}
		if done.State == Sent {
			sent++
		} else {
			s.log.Warn("message not sent", "id", m.ID, "channel", m.Channel, "attempt", done.Attempts, "state", done.State, "err", serr)
		}
	}
	return sent, nil
}

// Run sends due messages every period until ctx ends.
func (s *Service) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.SendDue(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("send messages", "err", err)
			}
		}
	}
}

// List shows the caller's tenant's messages, recipients masked and bodies
// as sent.
func (s *Service) List(ctx context.Context, p sales.Principal, f Filter) ([]Message, error) {
	if !auth.Can(p.Role, auth.ReadAudit) {
		return nil, forbidden()
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	ms, err := s.st.List(ctx, p.TenantID, f)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if err := s.show(&ms[i], auth.Can(p.Role, auth.ReadPersonalData)); err != nil {
			return nil, err
		}
	}
	if ms == nil {
		ms = []Message{}
	}
	return ms, nil
}

func (s *Service) show(m *Message, unmasked bool) error {
	var err error
	if m.Recipient, err = s.seal.OpenText(m.Recipient); err != nil {
		return fmt.Errorf("message %d: %w", m.ID, err)
	}
	if m.Body, err = s.seal.OpenText(m.Body); err != nil {
		return fmt.Errorf("message %d: %w", m.ID, err)
	}
	if !unmasked {
		m.Recipient = mask(m.Recipient)
	}
	if m.Template == "account.code" {
		m.Body = "(a sign-in code: not shown)" // staff must not be able to use a member's code
	}
	return nil
}

// InboxKey is the key prefix of an account's in-site messages: a message
// for the inbox is queued under InboxKey(account) + what it is about.
func InboxKey(accountID int64) string { return "inbox/" + strconv.FormatInt(accountID, 10) + "/" }

// Inbox is an account's in-site messages, newest first.
func (s *Service) Inbox(ctx context.Context, tenantID, accountID int64) ([]Message, error) {
	ms, err := s.st.List(ctx, tenantID, Filter{Key: InboxKey(accountID), Limit: 100})
	if err != nil {
		return nil, err
	}
	out := []Message{}
	for _, m := range ms {
		if m.Channel != Inbox {
			continue
		}
		if err := s.show(&m, true); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// mask keeps a recipient's first three and last four characters.
func mask(v string) string {
	r := []rune(v)
	if len(r) <= 7 {
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// Resend queues a failed message again (audited).
func (s *Service) Resend(ctx context.Context, p sales.Principal, id int64) (Message, error) {
	if !auth.Can(p.Role, auth.ManageSessions) {
		return Message{}, forbidden()
	}
	now := s.now()
	before, _ := json.Marshal(map[string]any{"state": Failed})
	after, _ := json.Marshal(map[string]any{"state": Queued})
	e := audit.Entry{At: now.UTC(), TenantID: p.TenantID, Actor: p.Actor(), Action: "message.resend", Object: "message:" + strconv.FormatInt(id, 10),
		Before: before, After: after}
	m, err := s.st.Requeue(ctx, p.TenantID, id, now, e)
	switch {
	case errors.Is(err, ErrNotFound):
		return Message{}, &sales.Error{Kind: sales.KindNotFound, Code: "not_found", Message: "no such message"}
	case errors.Is(err, ErrNotFailed):
		return Message{}, &sales.Error{Kind: sales.KindConflict, Code: "message_not_failed", Message: "only a failed message is sent again"}
	case err != nil:
		return Message{}, err
	}
	if err := s.show(&m, auth.Can(p.Role, auth.ReadPersonalData)); err != nil {
		return Message{}, err
	}
	return m, nil
}

func forbidden() error {
	return &sales.Error{Kind: sales.KindForbidden, Code: "forbidden", Message: "your role may not see or send the messages"}
}
