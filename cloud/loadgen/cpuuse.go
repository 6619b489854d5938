package loadgen

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Where a bench's CPU goes, read from /proc: what each process used, what
// a local PostgreSQL server used (its postmaster's processes, and the
// children it has reaped), and how busy the whole machine was.

// procStat is what a bench reads of a /proc/PID/stat line: the parent,
// the process's own CPU time and that of its reaped children.
type procStat struct {
	ppid          int
	cpu, children time.Duration
}

func parseProcStat(s string) (procStat, error) {
	// The command name, field 2, is in parentheses and may hold spaces and
	// parentheses: the fields go on after the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, errors.New("read CPU time: malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 15 { // fields 4 (ppid) to 17 (cstime): 1 to 14 after ')'
		return procStat{}, errors.New("read CPU time: short /proc stat")
	}
	var n [5]int64
	for k, j := range []int{1, 11, 12, 13, 14} {
		v, err := strconv.ParseInt(f[j], 10, 64)
		if err != nil {
			return procStat{}, errors.New("read CPU time: bad /proc stat")
		}
		n[k] = v
	}
	tick := time.Second / clockTicks
	return procStat{ppid: int(n[0]), cpu: time.Duration(n[1]+n[2]) * tick, children: time.Duration(n[3]+n[4]) * tick}, nil
}

// serverCPU is the CPU time a server process and its children have used
// so far: the live ones, and those it has reaped (as PostgreSQL reaps the
// backend of each closed connection).
func serverCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	root, err := parseProcStat(string(b))
	if err != nil {
		return 0, err
	}
	total := root.cpu + root.children
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("read CPU time: %w", err)
	}
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil || child == pid {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile: its parent has it among its children
		}
		if st, err := parseProcStat(string(b)); err == nil && st.ppid == pid {
			total += st.cpu
		}
	}
	return total, nil
}

// localPostmaster is the postmaster of the PostgreSQL server behind dsn
// when it runs on this machine: the parent of a backend serving us.
func localPostmaster(ctx context.Context, dsn string) (int, bool) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return 0, false
	}
	defer db.Close()
	var backend int
	if err := db.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", backend))
	if err != nil {
		return 0, false // another machine's, or another namespace's
	}
	st, err := parseProcStat(string(b))
	if err != nil || !strings.Contains(string(b), "(postgres)") {
		return 0, false
	}
	return st.ppid, true
}

// machineBusy is the machine's busy and total CPU time so far, from the
// first line of /proc/stat (busy: all but idle and iowait).
func machineBusy() (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read machine CPU: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, errors.New("read machine CPU: malformed /proc/stat")
	}
	for i, s := range f[1:] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, 0, errors.New("read machine CPU: bad /proc/stat")
		}
		if i < 8 { // user nice system idle iowait irq softirq steal; guest is within user
			total += v
			if i != 3 && i != 4 {
				busy += v
			}
		}
	}
	return busy, total, nil
}
