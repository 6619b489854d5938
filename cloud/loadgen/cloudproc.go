package loadgen

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/admitbox/admit/cloud/limit"
	"github.com/admitbox/admit/cloud/server"
)

// cloudProcess is a cloud running in a process of its own, so that its CPU
// is measured apart from the load's.
type cloudProcess struct {
	URL         string
	Synchronous string // the SQLite synchronous mode it runs with
	cmd         *exec.Cmd
	done        chan error
}

// cloudHello is what a bench cloud says on standard output once it serves:
// "SYNCHRONOUS <mode>", then "URL <url>".
type cloudHello struct{ url, synchronous, last string }

// startCloud runs command (which must print its cloudHello on standard
// output once it serves) and waits until it serves.
func startCloud(ctx context.Context, command []string, stderr io.Writer) (*cloudProcess, error) {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Stderr = stderr
	// The cloud dies with the bench, whatever ends the bench.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the cloud: %w", err)
	}
	p := &cloudProcess{cmd: cmd, done: make(chan error, 1)}
	hello := make(chan cloudHello, 1)
	go func() {
		var h cloudHello
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			h.last = sc.Text()
			if v, ok := strings.CutPrefix(h.last, "SYNCHRONOUS "); ok {
				h.synchronous = v
				continue
			}
			h.url, _ = strings.CutPrefix(h.last, "URL ")
			break
		}
		hello <- h
		io.Copy(io.Discard, out)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case h := <-hello:
		if h.url == "" {
			p.kill()
			return nil, fmt.Errorf("the cloud process said %q, want its URL", h.last)
		}
		p.URL, p.Synchronous = h.url, h.synchronous
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("the cloud process ended before serving: %v", err)
	case <-ctx.Done():
		p.kill()
		return nil, ctx.Err()
	case <-time.After(2 * time.Minute):
		p.kill()
		return nil, errors.New("the cloud process did not serve within 2 minutes")
	}
}

func (p *cloudProcess) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// Stop asks the cloud to finish (SIGTERM) and waits for it.
func (p *cloudProcess) Stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-p.done:
		return err
	case <-time.After(time.Minute):
		p.kill()
		return errors.New("the cloud process did not stop within a minute; killed")
	}
}

// CPU is the user plus system CPU time the process has used, also once
// it has exited.
func (p *cloudProcess) CPU() (time.Duration, error) {
	if st := p.cmd.ProcessState; st != nil {
		return st.UserTime() + st.SystemTime(), nil
	}
	return processCPU(p.cmd.Process.Pid)
}

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times: 100 on
// every architecture Linux runs (the kernel fixes it for user space).
const clockTicks = 100

// processCPU reads a process's utime+stime from /proc.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	return statCPU(string(b))
}

// statCPU is utime+stime of a /proc/PID/stat line.
func statCPU(s string) (time.Duration, error) {
	st, err := parseProcStat(s)
	return st.cpu, err
}

// BenchCloud is the cloud process of a bench (`admit bench-cloud -data DIR
// [-cpuprofile FILE] [-listen ADDR] [-drain-delay D]`): it serves the data dir with the server's defaults,
// prints the SQLite synchronous mode they gave and "URL <url>" once it
// serves, and stops when ctx ends (SIGTERM), writing its CPU profile.
func BenchCloud(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-cloud", flag.ContinueOnError)
	data := fs.String("data", "", "the cloud's data directory")
	db := fs.String("db", "", "a PostgreSQL database (postgres://…) instead of SQLite in the data directory")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of this process to this file")
	platform := fs.String("platform", "", "a JSON file of the platform settings (server.PlatformConfig): report to it")
	listen := fs.String("listen", "127.0.0.1:0", "the HTTP address")
	drain := fs.Duration("drain-delay", 0, "on SIGTERM, answer /health/ready with 503 this long before closing")
	limits := fs.String("limits", "", "a JSON file of flow control settings ({\"rate_limits\": …, \"trusted_proxies\": […]})")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := server.Config{DataDir: *data, DB: *db, SweepEvery: time.Second, Listen: *listen, DrainDelay: server.Duration(*drain)}
	if *limits != "" {
		b, err := os.ReadFile(*limits)
		if err != nil {
			return err
		}
		var l struct {
			RateLimits     limit.Config `json:"rate_limits"`
			TrustedProxies []string     `json:"trusted_proxies"`
		}
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("bench-cloud: %s: %w", *limits, err)
		}
		cfg.RateLimits, cfg.TrustedProxies = l.RateLimits, l.TrustedProxies
	}
	if *platform != "" {
		b, err := os.ReadFile(*platform)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &cfg.Platform); err != nil {
			return fmt.Errorf("bench-cloud: %s: %w", *platform, err)
		}
	}
	stop, err := StartCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	defer stop()
	srv, err := server.Start(ctx, cfg)
	if err != nil {
		return err
	}
	mode := "postgres" // PostgreSQL's own: synchronous_commit, fsync per commit by default
	if *db == "" {
		if mode, err = synchronousMode(ctx, srv.Store.DB()); err != nil {
			srv.Close()
			return err
		}
	}
	fmt.Fprintf(out, "SYNCHRONOUS %s\nURL %s\n", mode, srv.URL)
	<-ctx.Done()
	return srv.Close()
}

// synchronousMode asks SQLite which synchronous mode a connection runs in
// (every connection of the store is opened with the same one).
func synchronousMode(ctx context.Context, db *sql.DB) (string, error) {
	var n int
	if err := db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&n); err != nil {
		return "", fmt.Errorf("read the synchronous mode: %w", err)
	}
	if modes := []string{"OFF", "NORMAL", "FULL", "EXTRA"}; n >= 0 && n < len(modes) {
		return modes[n], nil
	}
	return strconv.Itoa(n), nil
}

// StartCPUProfile profiles this process into path (nothing when path is
// empty) until stop is called.
func StartCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
