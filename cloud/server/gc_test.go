package server

import (
	"runtime/debug"
	"testing"
)

func TestTuneGCServesAtItsTargetUnlessTheOperatorSetGOGC(t *testing.T) {
	was := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(was) })
	none := func(string) string { return "" }
	if got := TuneGC(none); got != ServingGCPercent {
		t.Fatalf("TuneGC says %d, want %d", got, ServingGCPercent)
	}
	if now := debug.SetGCPercent(ServingGCPercent); now != ServingGCPercent {
		t.Fatalf("the collector's target is %d, want %d", now, ServingGCPercent)
	}
	// The operator's GOGC (the runtime read it at start) stands.
	debug.SetGCPercent(150)
	set := func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}
	if got := TuneGC(set); got != 150 {
		t.Fatalf("with GOGC=150 TuneGC says %d", got)
	}
	if now := debug.SetGCPercent(150); now != 150 {
		t.Fatalf("with GOGC=150 the collector's target became %d", now)
	}
}
