// Command admit-edge is the edge agent of a POS, kiosk or gate.
//
//	admit-edge enroll -api URL -code XXXX-XXXX-XXXX [-data DIR]
//	admit-edge run    [-data DIR] [-listen 127.0.0.1:8481] [-devices FILE]
//	admit-edge status [-data DIR]
//	admit-edge profiles validate [-dir firmware-profiles] [FILE...]
//	admit-edge profiles udev-rules [-dir firmware-profiles] [-group admit]
//	admit-edge print-preview -out ticket.png [-paper 58|80] [-qr TEXT] [-venue V] [-event E]
//	    [-hall H] [-seat S] [-number N] [-price-cents N] [-currency CNY] [-time RFC3339] [-english-only]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // devices may lack the zone database; venues name IANA zones

	"github.com/admitbox/admit/edge/agent"
	"github.com/admitbox/admit/edge/enroll"
	"github.com/admitbox/admit/internal/sdnotify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "admit-edge:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  admit-edge enroll -api URL -code CODE [-data DIR]
  admit-edge run    [-data DIR] [-listen 127.0.0.1:8481] [-devices FILE]
  admit-edge status [-data DIR]
  admit-edge profiles validate [-dir firmware-profiles] [FILE...]
  admit-edge profiles udev-rules [-dir firmware-profiles] [-group admit]
  admit-edge print-preview -out ticket.png [-paper 58|80] [-qr TEXT] [-venue V] [-event E]
      [-hall H] [-seat S] [-number N] [-price-cents N] [-currency CNY] [-time RFC3339] [-english-only]`

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "profiles":
		return profilesCmd(args[1:], out)
	case "print-preview":
		return previewCmd(args[1:], out)
	}
	fs := flag.NewFlagSet("admit-edge "+args[0], flag.ContinueOnError)
	data := fs.String("data", "admit-edge-data", "the device's data directory")
	switch args[0] {
	case "enroll":
		api := fs.String("api", "", "the cloud's URL, e.g. https://cloud.example")
		code := fs.String("code", "", "the one-time enrollment code shown when the device was registered")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *api == "" || *code == "" {
			return errors.New("enroll needs -api and -code")
		}
		c, err := enroll.Enroll(ctx, strings.TrimRight(*api, "/"), *code, nil)
		if err != nil {
			return err
		}
		if err := enroll.Save(*data, c); err != nil {
			return err
		}
		fmt.Fprintf(out, "enrolled as %s (%s at venue %s); credential in %s\n", c.DeviceID, c.Role, c.VenueCode, filepath.Join(*data, enroll.File))
		return nil
	case "run":
		listen := fs.String("listen", "127.0.0.1:8481", "local API address (loopback only)")
		broker := fs.String("broker", "", "override the broker URL of the credential")
		devices := fs.String("devices", "", "the device config (default DIR/devices.json; none: no devices)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		a, err := agent.Start(ctx, agent.Config{DataDir: *data, Listen: *listen, BrokerURL: *broker, Logger: log, DevicesFile: *devices})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "admit-edge running: local API %s\n", a.URL())
		notify := sdnotify.FromEnv()
		if err := notify.Send("READY=1"); err != nil {
			log.Warn("sd_notify", "err", err)
		}
		go notify.Watchdog(ctx, sdnotify.WatchdogInterval(), func() bool { return true })
		<-ctx.Done()
		notify.Send("STOPPING=1")
		return a.Close()
	case "status":
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return status(ctx, *data, out)
	}
	return errors.New(usage)
}

func status(ctx context.Context, dir string, out io.Writer) error {
	addr, err := os.ReadFile(filepath.Join(dir, agent.AddrFile))
	if err != nil {
		return fmt.Errorf("the agent is not running (no %s in %s)", agent.AddrFile, dir)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", strings.TrimSpace(string(addr))+"/status", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("the agent does not answer at %s: %w", addr, err)
	}
	defer resp.Body.Close()
	var st agent.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	conn := "offline"
	if st.Connected {
		conn = "connected"
	}
	fmt.Fprintf(out, "device:      %s (%s, venue %s)\n", st.DeviceID, st.Role, st.Venue)
	fmt.Fprintf(out, "broker:      %s\n", conn)
	fmt.Fprintf(out, "feed:        position %d of %d (lag %d)\n", st.FeedSeq, st.FeedHead, st.FeedLag)
	fmt.Fprintf(out, "outbox:      %d facts waiting\n", st.OutboxDepth)
	fmt.Fprintf(out, "cache:       %d tickets, %d bytes\n", st.CacheTickets, st.CacheBytes)
	if st.Role == "gate" {
		fmt.Fprintf(out, "gate:        %d admitted, %d rejected, %d opened without a passage\n", st.Admitted, st.Rejected, st.NoPassage)
	}
	slots := make([]string, 0, len(st.Devices))
	for slot := range st.Devices {
		slots = append(slots, slot)
	}
	slices.Sort(slots)
	for _, slot := range slots {
		d := st.Devices[slot]
		state := "online"
		if !d.Online {
			state = "OFFLINE"
		}
		if d.LastError != "" {
			state += " (last error: " + d.LastError + ")"
		}
		fmt.Fprintf(out, "%-12s %s\n", slot+":", state)
	}
	if p := st.Printer; p != nil {
		state := "ok"
		if p.Problem != "" {
			state = p.Problem
		}
		fmt.Fprintf(out, "printer:     %s; %d printed, %d failed\n", state, p.Printed, p.Failed)
	}
	return nil
}
