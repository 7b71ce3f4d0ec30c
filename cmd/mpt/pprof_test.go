package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestServeProfiler: --pprof serves Go's profiler on a loopback address only, and refuses an
// address reachable from the network with a message naming the flag.
func TestServeProfiler(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, addr := range []string{"0.0.0.0:6060", "192.168.1.5:6060", ":6060", "6060"} {
		if _, _, err := serveProfiler(addr, log); err == nil || !strings.Contains(err.Error(), "--pprof") {
			t.Errorf("%s: %v, want a refusal naming --pprof", addr, err)
		}
	}
	bound, stop, err := serveProfiler("127.0.0.1:0", log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	code, body := httpGet(t, "http://"+bound+"/debug/pprof/")
	if code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("profiler index: %d %.200s", code, body)
	}
	code, _ = httpGet(t, "http://"+bound+"/debug/pprof/heap?debug=1")
	if code != http.StatusOK {
		t.Errorf("heap profile: %d", code)
	}
}
