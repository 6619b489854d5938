package sqlstore

import (
	"fmt"
	"testing"
)

// A batch's jobs queue their audit, outbox and feed rows interleaved; the
// batch's end must write each table's rows in one INSERT and in the order
// they were queued (audit and feed sequences, outbox ids).
func TestAppendedRowsAreGroupedByTableInQueueOrder(t *testing.T) {
	var rows []appendedRow
	for job := 1; job <= 3; job++ {
		rows = append(rows,
			appendedRow{table: "audit_log", cols: "seq", args: []any{job}},
			appendedRow{table: "outbox", cols: "kind", args: []any{job}},
			appendedRow{table: "feed", cols: "seq", args: []any{job * 10}},
			appendedRow{table: "feed", cols: "seq", args: []any{job*10 + 1}},
		)
	}
	got := ""
	for _, r := range groupAppended(rows) {
		got += fmt.Sprintf("%s:%v ", r.table, r.args[0])
	}
	want := "audit_log:1 audit_log:2 audit_log:3 outbox:1 outbox:2 outbox:3 feed:10 feed:11 feed:20 feed:21 feed:30 feed:31 "
	if got != want {
		t.Fatalf("grouped rows\n got %s\nwant %s", got, want)
	}
	if n := len(groupAppended(rows[:1])); n != 1 {
		t.Fatalf("one row grouped into %d", n)
	}
}
