package outbox_test

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitbox/admit/edge/outbox"
	"github.com/admitbox/admit/sync"
	bolt "go.etcd.io/bbolt"
)

var at = time.Date(2025, 3, 14, 19, 0, 0, 0, time.UTC)

func open(t *testing.T, path string) (*bolt.DB, *outbox.Outbox) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	o, err := outbox.New(db, "gate-1")
	if err != nil {
		t.Fatal(err)
	}
	return db, o
}

func appendN(t *testing.T, o *outbox.Outbox, n int) []sync.Fact {
	t.Helper()
	var out []sync.Fact
	for i := range n {
		f, err := o.Append(sync.FactHeartbeat, sync.Heartbeat{FeedSeq: uint64(i)}, at.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func TestFactsSurviveCloseAndReopenUntilPruned(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.db")
	db, o := open(t, path)
	want := appendN(t, o, 3)
	// No prune, no clean shutdown work: just close, as a crash would leave it.
	db.Close()

	db, o = open(t, path)
	defer db.Close()
	got, err := o.Pending(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Pending after reopen = %d facts, want 3", len(got))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Seq != want[i].Seq || !got[i].At.Equal(want[i].At) || string(got[i].Data) != string(want[i].Data) {
			t.Fatalf("fact %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestAppendNumbersFactsAndGivesEachAUniqueID(t *testing.T) {
	_, o := open(t, filepath.Join(t.TempDir(), "edge.db"))
	fs := appendN(t, o, 5)
	ids := map[string]bool{}
	for i, f := range fs {
		if f.Seq != uint64(i+1) || f.Device != "gate-1" || f.Kind != sync.FactHeartbeat || len(f.ID) != 32 {
			t.Fatalf("fact %d = %+v", i, f)
		}
		if ids[f.ID] {
			t.Fatalf("duplicate id %s", f.ID)
		}
		ids[f.ID] = true
		var hb sync.Heartbeat
		if err := json.Unmarshal(f.Data, &hb); err != nil || hb.FeedSeq != uint64(i) {
			t.Fatalf("data %s: %v", f.Data, err)
		}
	}
}

func TestPendingReturnsTheOldestFirstUpToALimit(t *testing.T) {
	_, o := open(t, filepath.Join(t.TempDir(), "edge.db"))
	appendN(t, o, 5)
	got, err := o.Pending(2)
	if err != nil || len(got) != 2 || got[0].Seq != 1 || got[1].Seq != 2 {
		t.Fatalf("Pending(2) = %+v, %v", got, err)
	}
}

func TestPruneDeletesAcknowledgedFactsAndSeqsAreNeverReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "edge.db")
	db, o := open(t, path)
	appendN(t, o, 4)
	if n, err := o.Prune(3); err != nil || n != 3 {
		t.Fatalf("Prune(3) = %d, %v", n, err)
	}
	if d, _ := o.Depth(); d != 1 {
		t.Fatalf("Depth = %d, want 1", d)
	}
	if n, err := o.Prune(3); err != nil || n != 0 {
		t.Fatalf("Prune(3) again = %d, %v; want 0 (idempotent)", n, err)
	}
	if n, _ := o.Prune(10); n != 1 {
		t.Fatalf("Prune(10) = %d, want 1", n)
	}
	db.Close()
	db, o = open(t, path)
	defer db.Close()
	f := appendN(t, o, 1)[0]
	if f.Seq != 5 {
		t.Fatalf("seq after pruning everything and reopening = %d, want 5", f.Seq)
	}
	if last, _ := o.LastSeq(); last != 5 {
		t.Fatalf("LastSeq = %d", last)
	}
}

func TestAFactAppendedInAFailedTransactionIsNotKept(t *testing.T) {
	db, o := open(t, filepath.Join(t.TempDir(), "edge.db"))
	boom := errors.New("boom")
	err := db.Update(func(tx *bolt.Tx) error {
		if _, err := outbox.Append(tx, "gate-1", sync.FactAdmission, sync.AdmissionFact{Number: "x"}, at); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if d, _ := o.Depth(); d != 0 {
		t.Fatalf("Depth = %d after a rolled back append", d)
	}
	if f := appendN(t, o, 1)[0]; f.Seq != 1 {
		t.Fatalf("seq = %d, want 1 (the rolled back one was never committed)", f.Seq)
	}
}

func TestNewRefusesADatabaseWithoutFsync(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "edge.db"), 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := outbox.New(db, "gate-1"); err == nil {
		t.Fatal("accepted a NoSync database")
	}
}

func TestAppendNeedsADeviceAndAKind(t *testing.T) {
	db, _ := open(t, filepath.Join(t.TempDir(), "edge.db"))
	for _, c := range []struct{ device, kind string }{{"", "x"}, {"g", ""}} {
		err := db.Update(func(tx *bolt.Tx) error {
			_, err := outbox.Append(tx, c.device, c.kind, nil, at)
			return err
		})
		if err == nil {
			t.Fatalf("Append(%q, %q) succeeded", c.device, c.kind)
		}
	}
}
