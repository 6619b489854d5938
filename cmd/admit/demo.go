package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/admitbox/admit/cloud/demo"
	"github.com/admitbox/admit/cloud/messages"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/enroll"
	"github.com/admitbox/admit/edge/simrig"
	"github.com/admitbox/admit/internal/demotour"
)

// runDemo runs the whole system on one machine: the cloud with its
// embedded broker, and a gate, a kiosk and a POS of the demo cinema.
func runDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit demo", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8480", "cloud listen address")
	mqttListen := fs.String("mqtt-listen", "127.0.0.1:18830", "embedded MQTT broker address")
	platformListen := fs.String("platform-listen", "127.0.0.1:8495", "national data platform simulator address (HTTPS)")
	devices := fs.String("devices-listen", "127.0.0.1:8491", "first local API address of the demo devices (gate, kiosk, pos use consecutive ports; port 0 picks free ones)")
	data := fs.String("data", "", "data directory (default: a new temporary one)")
	db := fs.String("db", "", "a PostgreSQL database (postgres://…) for the cloud instead of SQLite in the data directory")
	tour := fs.Bool("tour", true, "on a new demo world, sell, print and admit one visit on the simulated devices")
	if err := fs.Parse(args); err != nil {
		return err
	}
	out = &syncWriter{w: out}
	server.TuneGC(os.Getenv) // the cloud serves in this process
	if *data == "" {
		dir, err := os.MkdirTemp("", "admit-demo-")
		if err != nil {
			return err
		}
		*data = dir
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// The regulator's platform first: the cloud reports every film ticket to it.
	sim, simToken, platform, err := demoPlatform(*platformListen, filepath.Join(*data, "platform"), "ADMIT", log)
	if err != nil {
		return err
	}
	defer sim.Close()
	// Text messages go nowhere in the demo: they are printed here, so that
	// a visitor can register at the shop with the code.
	sms := messages.NewSimulator(messages.SMS)
	sms.Echo = func(m messages.Message) { fmt.Fprintf(out, "sms:        to %s: %s\n", m.Recipient, m.Body) }
	chans := map[messages.Channel]messages.ChannelConfig{messages.SMS: {Provider: sms}}
	srv, err := server.Start(ctx, server.Config{Listen: *listen, MQTTListen: *mqttListen, DataDir: *data, DB: *db, Logger: log, Version: "demo", Platform: platform, Messages: chans})
	if err != nil {
		return err
	}
	defer srv.Close()
	users, err := srv.Store.ListUsers(ctx, 0)
	if err != nil {
		return err
	}
	var world *demo.World
	if len(users) == 0 {
		w, err := demo.Seed(ctx, srv.Svc, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Admit demo: tenant %q, %s (12x20 hall) and %s (5,000-seat stand), %d sessions today and tomorrow\n",
			w.Tenant.Name, w.Cinema.Name, w.Stadium.Name, len(w.Sessions))
		fmt.Fprintln(out, "logins (password "+demo.Password+"):")
		for _, l := range w.Logins {
			fmt.Fprintf(out, "  %-15s %s\n", l.Role, l.Username)
		}
		world = &w
	} else {
		fmt.Fprintln(out, "Admit demo: reusing data in", *data)
	}
	prints := filepath.Join(*data, "prints")
	devs, err := startDemoDevices(ctx, srv, filepath.Join(*data, "devices"), *devices, prints, out, log)
	for _, d := range devs {
		defer d.close()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "portal:     %s/  (venue admin: log in as admin)\nshop:       %s/shop/#/t/demo  (the public: events on sale; register with any phone: its code is printed below as an sms line)\ncloud API:  %s/api/v1/\nOpenAPI:    %s/api/v1/openapi.json\nMQTT:       %s\n", srv.URL, srv.URL, srv.URL, srv.URL, srv.MQTTURL)
	for _, d := range devs {
		st := d.agent.Status()
		fmt.Fprintf(out, "%-6s      %s/ui/ (device %s; screen for a kiosk-mode browser; GET /status)\n", st.Role+":", d.agent.URL(), st.DeviceID)
		fmt.Fprintf(out, "            %s\n", d.rig.Describe)
	}
	fmt.Fprintf(out, "prints:     %s (one PNG per printed ticket)\n", prints)
	fmt.Fprintf(out, "platform:   %s/  (national data platform simulator: every film ticket arrives here; admin token %s)\n", sim.URL(), simToken)
	if world != nil && *tour {
		t := demotour.Tour{CloudURL: srv.URL, Clerk: "clerk", Password: demo.Password, SessionID: world.Soon.ID,
			POS: devs[2].agent, Kiosk: devs[1].agent, Gate: devs[0].agent, GateRig: devs[0].rig, KioskRig: devs[1].rig, Out: out}
		v, err := t.Run(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "try the gate yourself with the second ticket:\n  curl -s -X POST %s/validate -d '{\"qr\":\"%s\"}'\n", devs[0].agent.URL(), v.QRs[len(v.QRs)-1])
	}
	if *db != "" {
		fmt.Fprintf(out, "store:      PostgreSQL %s\n", *db)
	}
	fmt.Fprintf(out, "data:       %s\nCtrl-C stops.\n", *data)
	<-ctx.Done()
	return nil
}

// demoDevice is a demo device: its agent and its simulated hardware.
type demoDevice struct {
	agent *agent.Agent
	rig   *simrig.Rig
}

func (d demoDevice) close() {
	if d.agent != nil {
		d.agent.Close()
	}
	d.rig.Close()
}

// startDemoDevices registers (first time) and starts a gate, a kiosk and
// a POS at the demo cinema, each with its own data dir and simulated
// hardware, as real devices.
func startDemoDevices(ctx context.Context, srv *server.Server, dir, listen, prints string, out io.Writer, log *slog.Logger) ([]demoDevice, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("demo: -devices-listen: %w", err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("demo: -devices-listen: %w", err)
	}
	var devs []demoDevice
	for i, role := range []string{"gate", "kiosk", "pos"} {
		ddir := filepath.Join(dir, role)
		if _, err := enroll.Load(ddir); err != nil {
			if err := enrollDemoDevice(ctx, srv, ddir, role); err != nil {
				return devs, err
			}
		}
		rig, err := simrig.Start(role, simrig.Options{PrintsDir: prints, Event: func(line string) { fmt.Fprintf(out, "%-6s      %s\n", role+":", line) }})
		if err != nil {
			return devs, err
		}
		if err := rig.WriteConfig(ddir); err != nil {
			rig.Close()
			return devs, err
		}
		addr := net.JoinHostPort(host, "0")
		if port != 0 {
			addr = net.JoinHostPort(host, strconv.Itoa(port+i))
		}
		a, err := agent.Start(ctx, agent.Config{DataDir: ddir, Listen: addr, Logger: log})
		if err != nil {
			rig.Close()
			return devs, err
		}
		devs = append(devs, demoDevice{agent: a, rig: rig})
	}
	return devs, nil
}

// syncWriter serialises writes: the simulators report from their own
// goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func enrollDemoDevice(ctx context.Context, srv *server.Server, dir, role string) error {
	admin, err := srv.Store.GetUserByName(ctx, "admin")
	if err != nil {
		return fmt.Errorf("demo: the tenant admin: %w", err)
	}
	p := sales.Principal{UserID: admin.ID, Username: admin.Username, TenantID: admin.TenantID, Role: admin.Role}
	venue, err := srv.Store.GetVenueByCode(ctx, "31010101")
	if err != nil {
		return fmt.Errorf("demo: the cinema: %w", err)
	}
	_, code, err := srv.Svc.RegisterDevice(ctx, p, venue.ID, sales.NewDevice{Role: role, Name: "demo " + role})
	if err != nil {
		return err
	}
	c, err := enroll.Enroll(ctx, srv.URL, code, nil)
	if err != nil {
		return err
	}
	if err := enroll.Save(dir, c); err != nil {
		return errors.Join(err, os.RemoveAll(dir))
	}
	return nil
}
