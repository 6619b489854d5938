// Command platform-sim runs a simulator of the national film data platform
// (国家数据平台) for development, tests and demos: an HTTPS server with its
// own certificate authority that registers ticketing systems, cinemas and
// films and receives their signed reports. See internal/platformsim.
//
//	platform-sim [-listen 127.0.0.1:0] [-admin-token T] [-data DIR] [-delay 0] [-status 0] [-reset] [-lose-answer] [-refuse-signature]
//
// It prints "URL <url>", "ADMIN_TOKEN <token>" and "CA <file>" (the CA
// certificate a system trusts) once it serves, and stops on SIGINT/SIGTERM.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/admitbox/admit/internal/platformsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "platform-sim:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("platform-sim", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to serve HTTPS on")
	token := fs.String("admin-token", "", "bearer token of the admin API (default: generated and printed)")
	caFile := fs.String("ca-out", "", "write the CA certificate here (default: a file in the temp dir)")
	data := fs.String("data", "", "keep registrations and messages in this directory across restarts (default: in memory)")
	var f platformsim.Faults
	fs.Float64Var(&f.DelaySeconds, "delay", 0, "answer each message after this many seconds")
	fs.IntVar(&f.Status, "status", 0, "answer every message with this HTTP status")
	fs.BoolVar(&f.Reset, "reset", false, "reset every connection without answering")
	fs.BoolVar(&f.LoseAnswer, "lose-answer", false, "store each message, then reset without answering")
	fs.BoolVar(&f.RefuseSignature, "refuse-signature", false, "refuse every signature")
	verbose := fs.Bool("v", false, "log each registration and fault")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *token == "" {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		*token = hex.EncodeToString(b)
	}
	log := slog.New(slog.DiscardHandler)
	if *verbose {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	sim, err := platformsim.Start(platformsim.Config{Listen: *listen, AdminToken: *token, Faults: f, Logger: log, DataDir: *data})
	if err != nil {
		return err
	}
	defer sim.Close()
	if *caFile == "" {
		*caFile = filepath.Join(os.TempDir(), "platform-sim-ca.pem")
	}
	if err := os.WriteFile(*caFile, sim.CAPEM(), 0o644); err != nil {
		return fmt.Errorf("write the CA certificate: %w", err)
	}
	fmt.Fprintf(out, "URL %s\nADMIN_TOKEN %s\nCA %s\n", sim.URL(), *token, *caFile)
	<-ctx.Done()
	return nil
}
