//go:build chaos

package chaos

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestChaosQuick runs the quick schedule (as scripts/chaos.sh does) when
// CHAOS_RUN=1; it needs root. CHAOS_SEED replays a seed, CHAOS_BACKENDS
// picks the backends (default netns).
//
//	CHAOS_RUN=1 go test -tags chaos -run TestChaosQuick -timeout 8m ./test/chaos/
func TestChaosQuick(t *testing.T) {
	if os.Getenv("CHAOS_RUN") != "1" {
		t.Skip("set CHAOS_RUN=1 to run the chaos schedule (root needed)")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "wharf")
	build := exec.Command("go", "build", "-o", bin, "./cmd/wharf")
	build.Dir = root
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	seed, _ := strconv.ParseUint(os.Getenv("CHAOS_SEED"), 10, 64)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano() % 1_000_000_000)
	}
	backends := os.Getenv("CHAOS_BACKENDS")
	if backends == "" {
		backends = "netns"
	}
	out := filepath.Join(root, "chaos-results", "test-quick-"+strconv.FormatUint(seed, 10))
	rep := Run(context.Background(), Config{Mode: "quick", Seed: seed, Backends: backends, Out: out, Bin: bin,
		Image: "wharf:dev", MaxUnavailable: 5 * time.Second, Logf: t.Logf})
	if err := rep.Write(out); err != nil {
		t.Error(err)
	}
	for _, s := range rep.Segments {
		for _, v := range s.Violations {
			t.Errorf("%s: %s", s.Name, v)
		}
	}
	t.Log(rep.FinalLine())
}
