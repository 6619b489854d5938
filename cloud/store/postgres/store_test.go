package postgres_test

import (
	"context"
	"testing"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/store/postgres"
	"github.com/admitbox/admit/cloud/store/storetest"
	"github.com/admitbox/admit/internal/pgtest"
)

func openStore(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

// TestConformance runs the whole sales.Store contract on PostgreSQL, each
// capability on a fresh schema.
func TestConformance(t *testing.T) {
	testDSN(t) // skips without a PostgreSQL
	storetest.Run(t, func(t *testing.T) sales.Store {
		dsn, _, _ := testDSN(t)
		return openStore(t, dsn)
	})
}

// BenchmarkHoldConfirmPay: storetest.BenchHoldConfirmPay on PostgreSQL,
// one process (no load balancer, no replicas): what the group commit's
// round trips cost. Run it with -benchtime Nx, N ≤ 5,000 (one session).
func BenchmarkHoldConfirmPay(b *testing.B) {
	dsn, _, _ := pgtest.Schema(b)
	st, err := postgres.Open(context.Background(), dsn, postgres.Options{})
	if err != nil {
		b.Fatalf("open: %v", err)
	}
	defer st.Close()
	storetest.BenchHoldConfirmPay(b, st)
}

// TestProcesses stands two cloud processes (two stores, their own pools
// and committers) on one database.
func TestProcesses(t *testing.T) {
	testDSN(t)
	storetest.RunProcesses(t, func(t *testing.T) (sales.Store, sales.Store) {
		dsn, _, _ := testDSN(t)
		return openStore(t, dsn), openStore(t, dsn)
	})
}

// TestAConnectionDroppedMidTransactionCommitsNothing: the database ends
// the writer's connection while a transaction is half done (a failover, a
// restart, an administrator): that transaction fails and nothing of it is
// stored; the next one commits on a new connection.
func TestAConnectionDroppedMidTransactionCommitsNothing(t *testing.T) {
	ctx := context.Background()
	dsn, admin, _ := testDSN(t)
	st := openStore(t, dsn)
	f := storetest.NewFixture(t, st)
	before := f.AuditSeq(t)
	err := st.Update(ctx, func(tx sales.Tx) error {
		if err := tx.PutSetting(ctx, "half-done", "yes"); err != nil {
			return err
		}
		var pid int
		if err := st.DB().QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database() AND pid <> pg_backend_pid()`).Scan(&pid); err != nil {
			return err
		}
		if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
			return err
		}
		return tx.PutSetting(ctx, "half-done-2", "yes")
	})
	if err == nil {
		t.Fatal("a transaction whose connection was ended reported success")
	}
	if _, ok, err := st.Setting(ctx, "half-done"); err != nil || ok {
		t.Fatalf("the dropped transaction's first write is stored (%v, %v)", ok, err)
	}
	if got := f.AuditSeq(t); got != before {
		t.Fatalf("the audit head moved from %d to %d", before, got)
	}
	o := f.Buy(t, f.Clerk, "A-1")
	if len(o.Tickets) != 1 {
		t.Fatalf("the sale after the drop: %+v", o)
	}
}
