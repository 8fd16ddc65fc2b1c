package node

import "testing"

func TestAdvertised(t *testing.T) {
	for _, c := range []struct{ bind, adv, want string }{
		{"127.0.0.1:7001", "", "127.0.0.1:7001"},
		{"0.0.0.0:7001", "10.0.0.5", "10.0.0.5:7001"},
		{"0.0.0.0:7001", "localhost", "127.0.0.1:7001"},
		{":7001", "10.0.0.5:9999", "10.0.0.5:7001"},
	} {
		got, err := advertised(c.bind, c.adv)
		if err != nil || got != c.want {
			t.Errorf("advertised(%q, %q) = %q, %v; want %q", c.bind, c.adv, got, err, c.want)
		}
	}
	if _, err := advertised("0.0.0.0:7001", ""); err == nil {
		t.Error("0.0.0.0 without --advertise accepted")
	}
}

func TestNodeIDIsStable(t *testing.T) {
	dir := t.TempDir()
	id, err := loadNodeID(dir, "")
	if err != nil || id == "" {
		t.Fatal(id, err)
	}
	again, _ := loadNodeID(dir, "")
	if again != id {
		t.Fatalf("node id changed: %s -> %s", id, again)
	}
	if _, err := loadNodeID(dir, "other"); err == nil {
		t.Fatal("a different --node-id for the same data dir was accepted")
	}
}
