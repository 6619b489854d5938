// Command admit is the operator's tool:
//
//	admit demo [-listen addr] [-data dir]      the whole system on one machine
//	admit audit verify -data dir | -db URL     check the audit hash chain
//	admit report status|resend|reconcile -data dir [-id N] the national data platform reporting: queue, failures, send again, reconciliation
//	admit bench sales [-buyers N] [-duration d] measure selling over HTTP
//	admit bench report [-rate N] [-outage d]   reporting to the platform simulator through an outage
//	admit bench onsale [-buyers N] [-watchers N] an on-sale: watchers, best-available, cards, the cloud in its own process
//	admit bench agency [-buyers N] [-duration d] the agency interface (idempotent, rate-limited) against the box office
//	admit bench events [-readers N] [-applicants N]  the public shop, presale applications, the draw, real-name limits
//	admit bench cluster [-replicas 3]           replicas on one store behind HAProxy, restarted in turn during the run
//	admit bench devices [-scans N] [-jobs N]    measure printing and a gate's scan to open
//	admit bench dashboard [-sessions N] [-tickets N] measure the venue dashboard
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata"

	"github.com/admitbox/admit/cloud/loadgen"
	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/cloud/store/postgres"
	"github.com/admitbox/admit/cloud/store/sqlite"
	"github.com/admitbox/admit/drivers/devbench"
	"github.com/admitbox/admit/edge/agent"
)

const usage = `usage:
  admit demo [-listen 127.0.0.1:8480] [-data DIR]
  admit audit verify -data DIR | -db postgres://…
  admit lottery commit -seed-out FILE | draw -seed FILE -pools CSV -applications CSV [-out JSON] | verify -pools CSV -applications CSV -result JSON [-commitment HEX]
  admit bench sales [-buyers 32] [-duration 15s] [-sessions 10] [-synchronous FULL]
  admit report status|resend|reconcile [-data DIR] [-id N]
  admit bench report [-rate 200] [-steady 15s] [-outage 15s] [-alg SM2-SM3]
  admit bench onsale [-buyers 64] [-watchers 64] [-duration 20s] [-stadium-seats 50000] [-hall-seats 5000] [-cpuprofile FILE] [-load-cpuprofile FILE]
  admit bench flood [-buyers 8] [-flooders 64] [-duration 10s]
  admit bench agency [-buyers 16] [-duration 10s] [-sessions 6]
  admit bench events [-readers 64] [-applicants 64] [-buyers 24] [-duration 10s] [-draw-applications 1000000] [-draw-seats 100000]
  admit bench cluster [-replicas 3] [-buyers 32] [-duration 20s] [-sessions 4] [-db postgres://…]
  admit bench sync  [-gates 10] [-sales 100] [-tickets 100000] [-validates 2000]
  admit bench devices [-scans 500] [-jobs 2000]
  admit bench dashboard [-sessions 50] [-tickets 100000] [-loads 20] [-updates 20]`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	var exit exitCode
	if errors.As(err, &exit) {
		os.Exit(int(exit))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "admit:", err)
		os.Exit(1)
	}
}

type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func run(ctx context.Context, args []string, out io.Writer) error {
	switch {
	case len(args) >= 1 && args[0] == "demo":
		return runDemo(ctx, args[1:], out)
	case len(args) >= 1 && args[0] == "lottery":
		return lotteryCmd(args[1:], out)
	case len(args) >= 1 && args[0] == "report":
		return reportCmd(ctx, args[1:], out)
	case len(args) >= 2 && args[0] == "audit" && args[1] == "verify":
		return auditVerify(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "sales":
		return benchSales(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "report":
		return benchReport(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "flood":
		return benchFlood(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "cluster":
		return benchCluster(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "agency":
		return benchAgency(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "events":
		return benchEvents(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "onsale":
		return benchOnsale(ctx, args[2:], out)
	case len(args) >= 1 && args[0] == benchCloud:
		return runBenchCloud(ctx, args[1:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "sync":
		return benchSync(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "devices":
		return benchDevices(ctx, args[2:], out)
	case len(args) >= 2 && args[0] == "bench" && args[1] == "dashboard":
		return benchDashboard(ctx, args[2:], out)
	case len(args) >= 1 && args[0] == benchAgent:
		return runBenchAgent(ctx, args[1:])
	}
	fmt.Fprintln(os.Stderr, usage)
	return exitCode(2)
}

func auditVerify(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit audit verify", flag.ContinueOnError)
	data := fs.String("data", "admit-data", "the cloud's data directory")
	db := fs.String("db", "", "a PostgreSQL database (postgres://…) instead of the data directory's SQLite")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st sales.Store
	if *db != "" {
		pg, err := postgres.Open(ctx, *db, postgres.Options{})
		if err != nil {
			return err
		}
		defer pg.Close()
		st = pg
	} else {
		path := filepath.Join(*data, "admit.db")
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("no database at %s: %w", path, err)
		}
		lite, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			return err
		}
		defer lite.Close()
		st = lite
	}
	rep, err := sales.VerifyAudit(ctx, st)
	if err != nil {
		return err
	}
	if !rep.OK {
		fmt.Fprintf(out, "audit chain BROKEN: %v\n", rep.Break)
		return exitCode(1)
	}
	fmt.Fprintf(out, "audit chain OK: %d entries\n", rep.Entries)
	return nil
}

func benchSales(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench sales", flag.ContinueOnError)
	o := loadgen.SalesBenchOptions{}
	fs.IntVar(&o.Buyers, "buyers", 32, "concurrent buyers")
	fs.DurationVar(&o.Duration, "duration", 15*time.Second, "how long to sell")
	fs.DurationVar(&o.Baseline, "baseline", 3*time.Second, "how long to measure the baseline endpoint and availability")
	fs.IntVar(&o.Sessions, "sessions", 10, "5,000-seat sessions to sell")
	fs.StringVar(&o.Synchronous, "synchronous", "", "SQLite synchronous mode (FULL, the default, or NORMAL)")
	fs.StringVar(&o.DB, "db", "", "PostgreSQL (postgres://…): sell on a fresh schema there instead of SQLite")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (cloud and buyers) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := loadgen.StartCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stop()
	return loadgen.RunSalesBench(ctx, o, out)
}

func benchReport(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench report", flag.ContinueOnError)
	o := loadgen.ReportOptions{}
	fs.IntVar(&o.Rate, "rate", 200, "sales a second")
	fs.DurationVar(&o.Steady, "steady", 15*time.Second, "selling with the platform up")
	fs.DurationVar(&o.Outage, "outage", 15*time.Second, "selling with the platform down")
	fs.StringVar(&o.Alg, "alg", "SM2-SM3", "signature: SM2-SM3 or RSA-SHA256")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.CloudCommand = []string{self, benchCloud}
	return loadgen.RunReportBench(ctx, o, out)
}

func benchFlood(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench flood", flag.ContinueOnError)
	o := loadgen.FloodOptions{}
	fs.IntVar(&o.Buyers, "buyers", 8, "the selling client's concurrent buyers")
	fs.IntVar(&o.Flooders, "flooders", 64, "the flooding client's concurrent readers")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "each phase")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.CloudCommand = []string{self, benchCloud}
	return loadgen.RunFloodBench(ctx, o, out)
}

func benchEvents(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench events", flag.ContinueOnError)
	o := loadgen.EventsOptions{}
	fs.IntVar(&o.Readers, "readers", 64, "concurrent anonymous shop readers (and health readers, the baseline)")
	fs.IntVar(&o.Applicants, "applicants", 64, "concurrent presale applicants")
	fs.IntVar(&o.Buyers, "buyers", 24, "real-name buyers racing over four IDs on the POS and the web")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "each timed phase")
	fs.IntVar(&o.DrawApps, "draw-applications", 1_000_000, "applications in the draw")
	fs.IntVar(&o.DrawSeats, "draw-seats", 100_000, "tickets in the draw, seats in the match")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.CloudCommand = []string{self, benchCloud}
	return loadgen.RunEventsBench(ctx, o, out)
}

func benchAgency(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench agency", flag.ContinueOnError)
	o := loadgen.AgencyOptions{}
	fs.IntVar(&o.Buyers, "buyers", 16, "concurrent sellers on each path (clerks, then agency systems)")
	fs.DurationVar(&o.Duration, "duration", 10*time.Second, "each path's run")
	fs.IntVar(&o.Sessions, "sessions", 6, "5,000-seat sessions per path (enough that neither path sells out)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.CloudCommand = []string{self, benchCloud}
	return loadgen.RunAgencyBench(ctx, o, out)
}

func benchCluster(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench cluster", flag.ContinueOnError)
	o := loadgen.ClusterOptions{}
	fs.IntVar(&o.Replicas, "replicas", 3, "cloud processes behind the load balancer")
	fs.IntVar(&o.Buyers, "buyers", 32, "concurrent buyers")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "how long each run sells (the restart happens inside the replicated run)")
	fs.IntVar(&o.Sessions, "sessions", 4, "5,000-seat sessions per run")
	fs.StringVar(&o.DB, "db", "", "PostgreSQL (postgres://…): the replicas run on a fresh schema there; the baseline stays SQLite")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.CloudCommand = []string{self, benchCloud}
	return loadgen.RunClusterBench(ctx, o, out)
}

func benchOnsale(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench onsale", flag.ContinueOnError)
	o := loadgen.OnsaleOptions{}
	fs.IntVar(&o.Buyers, "buyers", 64, "concurrent buyers")
	fs.IntVar(&o.Watchers, "watchers", 64, "seat-map watchers following the maps live in the mixed phase")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "how long each phase runs")
	fs.IntVar(&o.StadiumSeats, "stadium-seats", 50_000, "seats of the stadium session")
	fs.IntVar(&o.HallSeats, "hall-seats", 5_000, "seats of the hall session")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write the cloud process's CPU profile to this file (go tool pprof)")
	fs.StringVar(&o.DataDir, "data", "", "the cloud's data directory, kept after the run to inspect (default: a temporary one, removed)")
	loadProfile := fs.String("load-cpuprofile", "", "write the load generator's own CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stop, err := loadgen.StartCPUProfile(*loadProfile)
	if err != nil {
		return err
	}
	defer stop()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.CloudCommand = []string{self, benchCloud}
	return loadgen.RunOnsaleBench(ctx, o, out)
}

// benchCloud is the hidden command bench onsale runs as a separate
// process: the cloud on a seeded data dir, so its CPU is measured apart
// from the load's. It prints "URL <url>" once it serves and stops on
// SIGTERM.
const benchCloud = "bench-cloud"

func runBenchCloud(ctx context.Context, args []string, out io.Writer) error {
	server.TuneGC(os.Getenv) // as admit-cloud serve runs
	return loadgen.BenchCloud(ctx, args, out)
}

func benchDashboard(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench dashboard", flag.ContinueOnError)
	o := loadgen.DashboardBenchOptions{}
	fs.IntVar(&o.Sessions, "sessions", 50, "sessions of the venue")
	fs.IntVar(&o.Tickets, "tickets", 100_000, "tickets sold across them")
	fs.IntVar(&o.Loads, "loads", 20, "dashboard loads timed")
	fs.IntVar(&o.Updates, "updates", 20, "sales whose arrival on the live dashboard is timed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return loadgen.RunDashboardBench(ctx, o, out)
}

func benchDevices(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench devices", flag.ContinueOnError)
	o := devbench.Options{}
	fs.IntVar(&o.Scans, "scans", 500, "different valid tickets scanned through the simulated gate")
	fs.IntVar(&o.Jobs, "jobs", 2000, "ticket print jobs built (up to 100 are also rendered)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return devbench.Run(ctx, o, out)
}

// benchAgent is the hidden command bench sync runs as a separate process:
// the edge agent, so its memory is measured apart from the cloud's.
const benchAgent = "bench-edge-agent"

func benchSync(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit bench sync", flag.ContinueOnError)
	o := loadgen.SyncBenchOptions{}
	fs.IntVar(&o.Gates, "gates", 10, "gates on one venue for propagation")
	fs.IntVar(&o.Sales, "sales", 100, "sales whose propagation is timed")
	fs.IntVar(&o.Tickets, "tickets", 100_000, "tickets a cold gate catches up on")
	fs.IntVar(&o.Validates, "validates", 2000, "gate decisions timed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	o.AgentCommand = []string{self, benchAgent}
	return loadgen.RunSyncBench(ctx, o, out)
}

func runBenchAgent(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet(benchAgent, flag.ContinueOnError)
	data := fs.String("data", "", "device data dir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	a, err := agent.Start(ctx, agent.Config{DataDir: *data, Listen: "127.0.0.1:0", HeartbeatEvery: time.Hour})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return a.Close()
}
