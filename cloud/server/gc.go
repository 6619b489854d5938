package server

import (
	"runtime/debug"
	rtmetrics "runtime/metrics"
)

// ServingGCPercent is the garbage collector's target (GOGC) a cloud serves
// with unless its operator sets GOGC. A serving cloud keeps little live
// (tens of MB: caches, seat maps, sessions) and allocates a lot for each
// request: a sale some 65 KB, an on-sale about 100 MB a second. At Go's
// default of 100 the collector ran some seven times a second in
// `admit bench onsale`, its background marking alone 4.5% of the
// server's CPU (1.4% at 400, in the server's profile); at 400 it runs a
// quarter as often, and the heap may grow to five times what is live
// instead of twice. An operator who must bound memory sets
// GOMEMLIMIT (or GOGC) in the unit's environment.
const ServingGCPercent = 400

// TuneGC sets the process's collector for serving: ServingGCPercent,
// unless getenv("GOGC") names a value of the operator's own. It is for
// the commands that serve (main packages): the setting is the process's.
// It returns the percent now in effect (-1: off).
func TuneGC(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		m := []rtmetrics.Sample{{Name: "/gc/gogc:percent"}}
		rtmetrics.Read(m)
		return int(m[0].Value.Uint64())
	}
	debug.SetGCPercent(ServingGCPercent)
	return ServingGCPercent
}
