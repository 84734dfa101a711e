package race

import "testing"

// Skip skips a test that asserts verdicts or timings when the race detector
// is on: its numbers would say more about the detector than the lab.
func Skip(t testing.TB) {
	t.Helper()
	if Enabled {
		t.Skip("asserts timings or verdicts: skipped under -race (the detector slows the event loops several-fold)")
	}
}
