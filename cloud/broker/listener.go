package broker

import (
	"log/slog"
	"net"
	"sync"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// listener is the broker's TCP listener. It replaces mochi's
// listeners.TCP (v2.7.9) because of two faults of that one's shutdown:
//
//   - Its closer, Clients.GetByListener, takes the clients' read lock twice;
//     a client connecting or leaving between the two acquisitions
//     deadlocks the broker for good (mochi-mqtt/server#488, unreleased fix).
//     Close here disconnects clients from one Clients.GetAll snapshot.
//   - A connection accepted just before Close increments the server's
//     ClientsWg from zero while Server.Close waits on it (a data race).
//     Here the accept loop takes a count on ClientsWg for each connection
//     it accepts, before it hands the connection over, and Close waits for
//     the loop to end before the server waits.
//
// It serves an already bound net.Listener, so a port 0 is known without a
// bind-close-rebind window.
type listener struct {
	id  string
	ln  net.Listener
	srv *mqtt.Server

	once sync.Once
	done chan struct{} // closed when the accept loop has returned
}

var _ listeners.Listener = (*listener)(nil)

func newListener(id string, ln net.Listener, srv *mqtt.Server) *listener {
	return &listener{id: id, ln: ln, srv: srv, done: make(chan struct{})}
}

func (l *listener) Init(*slog.Logger) error { return nil }
func (l *listener) ID() string              { return l.id }
func (l *listener) Address() string         { return l.ln.Addr().String() }
func (l *listener) Protocol() string        { return "tcp" }

// Serve accepts connections until Close.
func (l *listener) Serve(establish listeners.EstablishFn) {
	defer close(l.done)
	wg := &l.srv.Listeners.ClientsWg
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			return // closed
		}
		wg.Add(1) // held for the connection's life: mochi's own Add never starts from zero
		go func() {
			defer wg.Done()
			_ = establish(l.id, conn) // mochi logs what matters
		}()
	}
}

// Close stops accepting, waits for the accept loop to end, and disconnects
// this listener's clients. mochi's closer is not used (see listener).
func (l *listener) Close(listeners.CloseFn) {
	l.once.Do(func() {
		_ = l.ln.Close()
		<-l.done
		for _, cl := range l.srv.Clients.GetAll() {
			if cl.Net.Listener == l.id && !cl.Closed() {
				_ = l.srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
			}
		}
	})
}
