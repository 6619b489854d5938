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
	"time"

	"github.com/admitbox/admit/cloud/demo"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/enroll"
)

// runDemo runs the whole system on one machine: the cloud with its
// embedded broker, and a gate, a kiosk and a POS of the demo cinema.
func runDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit demo", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8480", "cloud listen address")
	mqttListen := fs.String("mqtt-listen", "127.0.0.1:18830", "embedded MQTT broker address")
	devices := fs.String("devices-listen", "127.0.0.1:8491", "first local API address of the demo devices (gate, kiosk, pos use consecutive ports; port 0 picks free ones)")
	data := fs.String("data", "", "data directory (default: a new temporary one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		dir, err := os.MkdirTemp("", "admit-demo-")
		if err != nil {
			return err
		}
		*data = dir
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Start(ctx, server.Config{Listen: *listen, MQTTListen: *mqttListen, DataDir: *data, Logger: log, Version: "demo"})
	if err != nil {
		return err
	}
	defer srv.Close()
	users, err := srv.Store.ListUsers(ctx, 0)
	if err != nil {
		return err
	}
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
	} else {
		fmt.Fprintln(out, "Admit demo: reusing data in", *data)
	}
	agents, err := startDemoDevices(ctx, srv, filepath.Join(*data, "devices"), *devices, log)
	for _, a := range agents {
		defer a.Close()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cloud API:  %s/api/v1/\nOpenAPI:    %s/api/v1/openapi.json\nMQTT:       %s\n", srv.URL, srv.URL, srv.MQTTURL)
	for _, a := range agents {
		st := a.Status()
		fmt.Fprintf(out, "%-6s      %s (device %s; GET /status)\n", st.Role+":", a.URL(), st.DeviceID)
	}
	fmt.Fprintf(out, "data:       %s\nCtrl-C stops.\n", *data)
	<-ctx.Done()
	return nil
}

// startDemoDevices registers (first time) and starts a gate, a kiosk and
// a POS at the demo cinema, each with its own data dir, as real devices.
func startDemoDevices(ctx context.Context, srv *server.Server, dir, listen string, log *slog.Logger) ([]*agent.Agent, error) {
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("demo: -devices-listen: %w", err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("demo: -devices-listen: %w", err)
	}
	var agents []*agent.Agent
	for i, role := range []string{"gate", "kiosk", "pos"} {
		ddir := filepath.Join(dir, role)
		if _, err := enroll.Load(ddir); err != nil {
			if err := enrollDemoDevice(ctx, srv, ddir, role); err != nil {
				return agents, err
			}
		}
		addr := net.JoinHostPort(host, "0")
		if port != 0 {
			addr = net.JoinHostPort(host, strconv.Itoa(port+i))
		}
		a, err := agent.Start(ctx, agent.Config{DataDir: ddir, Listen: addr, Logger: log})
		if err != nil {
			return agents, err
		}
		agents = append(agents, a)
	}
	return agents, nil
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
