package main

import (
	"encoding/json"
	"net/http"
	"runtime"
)

// debugHeap answers GET /debug/heap on the debug listener (serveDebug):
// the Go heap after two forced collections, as JSON
// {"heap_alloc": bytes, "heap_inuse": bytes}. `wharf bench --queued`
// reads it before and after filling a queue.
func debugHeap(w http.ResponseWriter, _ *http.Request) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(heapStats{HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse})
}
