//go:build linux

package course

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scalelab/scalelab/internal/netns"
	"github.com/scalelab/scalelab/internal/race"
	"github.com/scalelab/scalelab/runner"
)

var (
	buildOnce sync.Once
	exe       string
	buildErr  error
)

// scalelab builds the binary the runner starts as server and driver, once.
func scalelab(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "course-test-")
		if err != nil {
			buildErr = err
			return
		}
		exe = filepath.Join(dir, "scalelab")
		out, err := exec.Command("go", "build", "-o", exe, "../../cmd/scalelab").CombinedOutput()
		if err != nil {
			buildErr = errors.New("build scalelab: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return exe
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exe != "" {
		os.RemoveAll(filepath.Dir(exe))
	}
	os.Exit(code)
}

// TestExercises runs every exercise of the course and checks the promise
// its page prints: the exercise's hypothesis confirmed and each of its
// checks kept. The promises are verdicts and arithmetic ceilings, never
// measured figures, so another process on the machine cannot break them;
// one failed attempt gets a second (a fresh run), and the first attempt's
// failure is logged.
func TestExercises(t *testing.T) {
	race.Skip(t)
	if err := netns.Available(); errors.Is(err, netns.ErrNotPermitted) {
		t.Skip("the exercises run in network namespaces, which need root")
	} else if err != nil {
		t.Fatal(err)
	}
	bin := scalelab(t)
	for _, x := range Exercises {
		name := strings.TrimSuffix(filepath.Base(x.File), ".yaml")
		t.Run(name, func(t *testing.T) {
			p, err := x.Load()
			if err != nil {
				t.Fatal(err)
			}
			const attempts = 2
			for attempt := 1; attempt <= attempts; attempt++ {
				start := time.Now()
				card, err := runner.Run(context.Background(), p, runner.Options{Exe: bin, OutDir: t.TempDir()})
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				errs := x.Verify(card)
				t.Logf("attempt %d: %s, limit %s, hypothesis %s, best %.0f requests/s, in %s", attempt, p.Title,
					card.Summary.Limit, card.Summary.Hypothesis, card.BestRPS(), time.Since(start).Round(100*time.Millisecond))
				if len(errs) == 0 {
					return
				}
				if attempt < attempts {
					t.Logf("attempt %d broke the page's promise, trying once more: %v", attempt, errors.Join(errs...))
					continue
				}
				for _, e := range errs {
					t.Errorf("the page promises: %v", e)
				}
			}
		})
	}
}
