package platformsim

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Faults is how the platform misbehaves, on demand: by flags at start or
// by the admin API. Count > 0 applies the fault to that many messages and
// then clears it; 0 keeps it until it is changed.
type Faults struct {
	// DelaySeconds answers each message after this long (the rule's limit
	// is 60 s; a sender must give up and resend).
	DelaySeconds float64 `json:"delay_s,omitempty"`
	// Status answers this HTTP status (say 503) without processing.
	Status int `json:"status,omitempty"`
	// Reset drops the connection without processing or answering.
	Reset bool `json:"reset,omitempty"`
	// LoseAnswer processes and stores the message, then drops the
	// connection: the sender must resend, and the resend is a duplicate.
	LoseAnswer bool `json:"lose_answer,omitempty"`
	// RefuseSignature answers bad_signature whatever the signature.
	RefuseSignature bool `json:"refuse_signature,omitempty"`
	// ForgeQueries signs the platform's queries with a key that is not its
	// own: a system must refuse them.
	ForgeQueries bool `json:"forge_queries,omitempty"`
	// DownUntil refuses every connection until then.
	DownUntil time.Time `json:"down_until,omitzero"`
	Count     int       `json:"count,omitempty"`
}

func (f Faults) validate() error {
	switch {
	case f.DelaySeconds < 0 || f.DelaySeconds > 600:
		return errors.New("delay_s is 0 to 600")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d is not an error status", f.Status)
	case f.Count < 0:
		return errors.New("count is not negative")
	}
	return nil
}

// take returns the faults for the next message and counts it down.
func (s *Sim) takeFaults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	if f.Count > 0 {
		s.faults.Count--
		if s.faults.Count == 0 {
			s.faults = Faults{DownUntil: s.faults.DownUntil}
		}
	}
	return f
}

func (s *Sim) down() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now().Before(s.faults.DownUntil)
}

// resetConn drops the request's connection with a TCP reset.
func resetConn(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		return
	}
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if tcp, ok := nc.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
	}
	_ = conn.Close()
}

// downListener refuses connections while the platform is down: it
// accepts and resets them, so a sender sees the platform unreachable.
type downListener struct {
	net.Listener
	s *Sim
}

func (l downListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !l.s.down() {
			return c, nil
		}
		if tcp, ok := c.(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
		}
		_ = c.Close()
	}
}
