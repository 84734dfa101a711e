//go:build !race

// Package race tells whether the race detector is on. The detector slows
// the event loops several-fold, so tests that assert verdicts or timings
// skip themselves under it (Skip) while every other test runs.
package race

// Enabled is true when the binary was built with -race.
const Enabled = false
