package probe

import (
	"os"
	"testing"
)

func BenchmarkSamplerSampleFixture(b *testing.B) {
	s := NewSampler(fixtureFS, trafficPID, 0)
	b.ReportAllocs()
	for b.Loop() {
		s.Sample()
	}
}

func BenchmarkSamplerSampleSelf(b *testing.B) {
	s := NewSampler(FS{}, os.Getpid(), 0)
	b.ReportAllocs()
	for b.Loop() {
		s.Sample()
	}
}

func BenchmarkSnapshotSelf(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		FS{}.Snapshot(os.Getpid())
	}
}
