//go:build chaos

package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// stateDir holds one file per live run: <id> containing the owner's pid.
const stateDir = "/run/wharf-chaos"

// prefix starts every name this package creates (namespaces, links,
// containers, networks): "wch" + a 5-hex-digit run ID.
const prefix = "wch"

var idPattern = regexp.MustCompile(`^` + prefix + `([0-9a-f]{5})-`)

// NewRunID makes a run ID and records this process as its owner.
func NewRunID() (string, error) {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	id := hex.EncodeToString(b)[:5]
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return "", err
	}
	return id, os.WriteFile(filepath.Join(stateDir, id), []byte(strconv.Itoa(os.Getpid())), 0o644)
}

// ReleaseRunID forgets the run's state file.
func ReleaseRunID(id string) { os.Remove(filepath.Join(stateDir, id)) }

// runOf extracts the run ID from a name this package made, "" otherwise.
func runOf(name string) string {
	m := idPattern.FindStringSubmatch(name)
	if m == nil {
		return ""
	}
	return m[1]
}

// runAlive reports whether the run that owns id is still running: its
// state file names a live process that is a chaos harness.
func runAlive(id string) bool {
	b, err := os.ReadFile(filepath.Join(stateDir, id))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return false
	}
	cmd, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	return strings.Contains(string(cmd), "chaos")
}

// name builds a name of this run.
func name(id, suffix string) string { return prefix + id + "-" + suffix }
