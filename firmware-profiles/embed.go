// Package firmwareprofiles holds the shipped firmware profiles, built into
// the binaries that need them (the edge agent's default profile set, the demo
// and the benchmarks), so a device runs without a profiles directory on disk.
// A site that adds a model points the agent at a directory instead.
//
// It holds data only: it must import nothing but embed.
package firmwareprofiles

import "embed"

// FS holds every profile as <kind>/<model>.json.
//
//go:embed */*.json
var FS embed.FS
