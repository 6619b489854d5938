// Command admit-cloud runs the Admit cloud: API and sales core.
//
//	admit-cloud serve   [-config file.json] [-listen addr] [-data dir | -db postgres://…] [-synchronous FULL|NORMAL] [-system-code CODE]
//	admit-cloud migrate [-data dir | -db postgres://…]
//	admit-cloud backup  [-data dir] -out FILE   a consistent copy while the cloud sells, checked
//	admit-cloud restore -from FILE [-data dir]  into an empty data dir, checked and migrated
//	admit-cloud broker-config -out DIR [-config file.json]   Mosquitto's passwd and acl for the cloud (mqtt_user) and every active device
//	admit-cloud secrets rotate -new-key-file FILE [-master-key-file FILE]   wrap the data key in a new master key
//	admit-cloud secrets seal-file -from KEY.pem -out KEY.sealed [-master-key-file FILE]   a platform key file sealed at rest
//	admit-cloud init [-username admin] [-generate] [-data dir | -db …]   the first platform admin (password from the terminal or stdin)
//	admit-cloud user reset-password -username NAME [-generate] [-data dir | -db …]   recover a user from the server's shell, audited
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata" // venues name IANA zones; do not depend on the host's tzdata

	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/postgres"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/internal/reqid"
	"github.com/admitbox/admit/internal/sdnotify"
)

func main() {
	if err := runIO(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "admit-cloud:", err)
		os.Exit(1)
	}
}

func run(args []string) error { return runIO(args, os.Stdin, os.Stdout) }

func runIO(args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: admit-cloud serve|migrate|backup|restore|init|user reset-password|broker-config|probe [flags]")
	}
	if args[0] == "probe" {
		return probe(args[1:], stdout)
	}
	if args[0] == "secrets" {
		if len(args) < 2 || (args[1] != "rotate" && args[1] != "seal-file") {
			return fmt.Errorf("usage: admit-cloud secrets rotate -new-key-file FILE [-master-key-file FILE] [-data dir | -db URL]\n" +
				"       admit-cloud secrets seal-file -from KEY.pem -out KEY.pem.sealed [-master-key-file FILE]")
		}
		args = append([]string{"secrets " + args[1]}, args[2:]...)
	}
	if args[0] == "user" {
		if len(args) < 2 || args[1] != "reset-password" {
			return fmt.Errorf("usage: admit-cloud user reset-password -username NAME [-generate] [-data dir | -db URL]")
		}
		args = append([]string{"user reset-password"}, args[2:]...)
	}
	cfg := server.Config{Listen: "127.0.0.1:8480", MQTTListen: "127.0.0.1:18830", DataDir: "admit-data", SystemCode: "ADMIT"}
	fs := flag.NewFlagSet("admit-cloud "+args[0], flag.ContinueOnError)
	config := fs.String("config", "", "JSON config file (flags given override it)")
	listen := fs.String("listen", "", "listen address (default "+cfg.Listen+")")
	data := fs.String("data", "", "data directory (default "+cfg.DataDir+")")
	db := fs.String("db", "", "a PostgreSQL database (postgres://user@host/db) instead of the data dir's SQLite")
	syncMode := fs.String("synchronous", "", "SQLite synchronous mode: FULL (default: durable on power loss) or NORMAL")
	code := fs.String("system-code", "", "ticketing system code printed into every ticket (default ADMIT)")
	mqttListen := fs.String("mqtt-listen", "", "embedded MQTT broker address (default "+cfg.MQTTListen+")")
	mqttURL := fs.String("mqtt-url", "", "use this external MQTT broker instead of the embedded one (tcp://host:1883)")
	mqttCert := fs.String("mqtt-tls-cert", "", "PEM certificate: the embedded broker speaks TLS")
	mqttKey := fs.String("mqtt-tls-key", "", "PEM private key of -mqtt-tls-cert")
	tlsCert := fs.String("tls-cert", "", "PEM certificate: the API and portal speak HTTPS")
	tlsKey := fs.String("tls-key", "", "PEM private key of -tls-cert")
	drain := fs.Duration("drain-delay", 0, "serve: on SIGTERM, answer /health/ready with 503 this long before closing (a load balancer's check interval × fall)")
	out := fs.String("out", "", "backup: the file to write (must not exist); broker-config: the directory for passwd and acl")
	from := fs.String("from", "", "restore: the backup file")
	username := fs.String("username", "", "init: the first platform admin's username (default admin); user reset-password: whose")
	pf := addPasswordFlags(fs)
	masterKey := fs.String("master-key-file", "", "the master key that seals the store's secrets (base64 of 32 bytes; default $ADMIT_MASTER_KEY)")
	newKey := fs.String("new-key-file", "", "secrets rotate: the new master key")
	logFormat := fs.String("log-format", "text", "logs on stderr: text or json (each API request's line carries its request_id)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *config != "" {
		b, err := os.ReadFile(*config)
		if err != nil {
			return fmt.Errorf("read config: %w", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			return fmt.Errorf("config %s: %w", *config, err)
		}
	}
	for _, o := range []struct{ flag, dst *string }{{listen, &cfg.Listen}, {data, &cfg.DataDir}, {db, &cfg.DB}, {syncMode, &cfg.Synchronous}, {code, &cfg.SystemCode},
		{mqttListen, &cfg.MQTTListen}, {mqttURL, &cfg.MQTTURL}, {mqttCert, &cfg.MQTTTLSCert}, {mqttKey, &cfg.MQTTTLSKey}, {tlsCert, &cfg.TLSCert}, {tlsKey, &cfg.TLSKey}, {masterKey, &cfg.MasterKeyFile}} {
		if *o.flag != "" {
			*o.dst = *o.flag
		}
	}
	if *drain > 0 {
		cfg.DrainDelay = server.Duration(*drain)
	}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if *logFormat == "json" {
		handler = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(reqid.Handler{Handler: handler})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "migrate":
		if cfg.DB != "" {
			v, err := postgres.Migrate(ctx, cfg.DB)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "PostgreSQL database at schema version %d\n", v)
			return nil
		}
		st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "admit.db"), sqlite.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		v, err := st.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "database %s at schema version %d\n", filepath.Join(cfg.DataDir, "admit.db"), v)
		return nil
	case "backup":
		if cfg.DB != "" {
			return fmt.Errorf("admit-cloud backup copies the SQLite store; back PostgreSQL up with pg_basebackup (packaging/postgres/README.md)")
		}
		if *out == "" {
			return fmt.Errorf("admit-cloud backup: -out FILE is required")
		}
		// A second connection to the database: the cloud may be serving.
		st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "admit.db"), sqlite.Options{})
		if err != nil {
			return err
		}
		defer st.Close()
		if err := st.Backup(ctx, *out); err != nil {
			return err
		}
		rep, err := sqlite.CheckBackup(ctx, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backup %s: schema %d, integrity %s, audit chain %s (%d entries), %d orders, %d tickets\n", *out, rep.SchemaVersion,
			rep.Integrity, okOr(rep.AuditOK, rep.AuditBreak), rep.AuditEntries, rep.Orders, rep.Tickets)
		if !rep.OK() {
			return fmt.Errorf("the backup does not check")
		}
		return nil
	case "restore":
		if *from == "" {
			return fmt.Errorf("admit-cloud restore: -from FILE is required")
		}
		rep, err := sqlite.Restore(ctx, *from, cfg.DataDir)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored %s into %s: schema %d, integrity %s, audit chain %s (%d entries), %d orders, %d tickets\n", *from, cfg.DataDir,
			rep.SchemaVersion, rep.Integrity, okOr(rep.AuditOK, rep.AuditBreak), rep.AuditEntries, rep.Orders, rep.Tickets)
		return nil
	case "secrets seal-file":
		if *from == "" || *out == "" {
			return fmt.Errorf("admit-cloud secrets seal-file: -from and -out are required")
		}
		plain, err := os.ReadFile(*from)
		if err != nil {
			return err
		}
		sealed, err := server.SealFile(plain, cfg.MasterKeyFile)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, sealed, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s sealed into %s: point the config at it and remove the clear copy\n", *from, *out)
		return nil
	case "secrets rotate":
		return runRotate(ctx, cfg, *newKey, stdout)
	case "broker-config":
		return runBrokerConfig(ctx, cfg, *out, stdout)
	case "init":
		return runInit(ctx, cfg, orDefault(*username, "admin"), pf, stdin, stdout)
	case "user reset-password":
		return runResetPassword(ctx, cfg, *username, pf, stdin, stdout)
	case "serve":
		cfg.Logger = log
		log.Info("garbage collector target", "gogc", server.TuneGC(os.Getenv))
		srv, err := server.Start(ctx, cfg)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "admit-cloud serving %s/api/v1/ (OpenAPI: %s/api/v1/openapi.json)\n", srv.URL, srv.URL)
		// Under systemd (Type=notify): ready now, then a watchdog ping
		// while the store answers.
		notify := sdnotify.FromEnv()
		if err := notify.Send("READY=1"); err != nil {
			log.Warn("sd_notify", "err", err)
		}
		go notify.Watchdog(ctx, sdnotify.WatchdogInterval(), func() bool {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return srv.Store.Ping(pctx) == nil
		})
		<-ctx.Done()
		notify.Send("STOPPING=1")
		return srv.Close()
	}
	return fmt.Errorf("unknown command %q: use serve, migrate, backup, restore, init, user reset-password or broker-config", args[0])
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

func okOr(ok bool, why string) string {
	if ok {
		return "ok"
	}
	return "BROKEN: " + why
}
