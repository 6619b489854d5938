package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/admitbox/admit/cloud/sales"
)

// TestABatchWhoseOnlyFeedWriterFailedLeavesTheHead: in a group commit,
// the one job that appended to a venue's feed rolls back and another job
// commits; the venue's head must stay where it was (it once fell to 0,
// and every later append collided with the feed's seqs).
func TestABatchWhoseOnlyFeedWriterFailedLeavesTheHead(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "head.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	appendOne := func(tx sales.Tx) error {
		_, err := tx.AppendFeed(ctx, 7, "probe", json.RawMessage(`{}`), time.Now())
		return err
	}
	if err := st.Update(ctx, appendOne); err != nil {
		t.Fatal(err)
	}
	// The committer is idle: run one batch of our own, as it would.
	errs := st.RunBatch(ctx,
		func(tx sales.Tx) error {
			if err := appendOne(tx); err != nil {
				return err
			}
			return errors.New("changed its mind")
		},
		func(sales.Tx) error { return nil },
	)
	if errs[0] == nil {
		t.Fatal("the failing job committed")
	}
	if errs[1] != nil {
		t.Fatal(errs[1])
	}
	if head, err := st.FeedHead(ctx, 7); err != nil || head != 1 {
		t.Fatalf("the head is %d (%v) after a batch that appended nothing; want 1", head, err)
	}
	if err := st.Update(ctx, appendOne); err != nil {
		t.Fatalf("the next append: %v", err)
	}
}
