package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"mpt/workflow/apperr"
)

// loadStats collects what a load run measures: the latency of every request by kind, errors
// by kind and code, and each stage's count and wall time.
type loadStats struct {
	mu      sync.Mutex
	lat     map[string][]time.Duration
	errs    map[string]int // "kind: code"
	stages  []stageStat
	peakMem atomic.Uint64 // the highest runtime.MemStats.Sys sampled
	peakRSS atomic.Uint64 // the server's VmHWM in kB, when its pid is known
}

type stageStat struct {
	Name   string
	Count  int // the units the stage counts (transactions, declarations, …)
	Unit   string
	Errors int
	Wall   time.Duration
}

func newLoadStats() *loadStats {
	return &loadStats{lat: map[string][]time.Duration{}, errs: map[string]int{}}
}

// observe records one request of a kind.
func (s *loadStats) observe(kind string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lat[kind] = append(s.lat[kind], d)
	if err != nil {
		s.errs[kind+": "+errorCode(err)]++
	}
}

// failed counts the requests that failed.
func (s *loadStats) failed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.errs {
		n += c
	}
	return n
}

// errorCode names an error as the report counts it: the HTTP status, or the app's error code.
func errorCode(err error) string {
	var he *httpError
	if errors.As(err, &he) {
		return "HTTP " + strconv.Itoa(he.Status)
	}
	if c := apperr.CodeOf(err); c != "" {
		return string(c)
	}
	return "error"
}

// percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// sampleMemory keeps the peak memory of this process (and of the server, by its pid) until
// stop is closed.
func (s *loadStats) sampleMemory(serverPID int, stop <-chan struct{}) {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		for cur := s.peakMem.Load(); ms.Sys > cur && !s.peakMem.CompareAndSwap(cur, ms.Sys); cur = s.peakMem.Load() {
		}
		if serverPID > 0 {
			if kb := procHWM(serverPID); kb > s.peakRSS.Load() {
				s.peakRSS.Store(kb)
			}
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// procHWM reads a process's peak resident set size (VmHWM, kB) from /proc, or 0.
func procHWM(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// report writes the stages, the latencies by request kind, the errors and the peak memory.
func (s *loadStats) report(w io.Writer, total time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "stage\tcount\tunit\terrors\twall\tper second\t")
	for _, st := range s.stages {
		rate := 0.0
		if st.Wall > 0 {
			rate = float64(st.Count) / st.Wall.Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%.1f\t\n", st.Name, st.Count, st.Unit, st.Errors, st.Wall.Round(time.Millisecond), rate)
	}
	fmt.Fprintf(tw, "total\t\t\t\t%s\t\t\n", total.Round(time.Millisecond))
	tw.Flush()
	fmt.Fprintln(w)
	kinds := make([]string, 0, len(s.lat))
	for k := range s.lat {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "request\tcount\tp50\tp95\tp99\tmax\t")
	for _, k := range kinds {
		d := slices.Clone(s.lat[k])
		slices.Sort(d)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", k, len(d), ms(percentile(d, 0.50)), ms(percentile(d, 0.95)),
			ms(percentile(d, 0.99)), ms(d[len(d)-1]))
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(s.errs) == 0 {
		fmt.Fprintln(w, "errors: none")
	} else {
		keys := make([]string, 0, len(s.errs))
		for k := range s.errs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fmt.Fprintln(w, "errors:")
		for _, k := range keys {
			fmt.Fprintf(w, "  %s × %d\n", k, s.errs[k])
		}
	}
	fmt.Fprintf(w, "peak memory: loadgen process %.0f MB (runtime Sys)", float64(s.peakMem.Load())/(1<<20))
	if kb := s.peakRSS.Load(); kb > 0 {
		fmt.Fprintf(w, ", server %.0f MB resident (VmHWM)", float64(kb)/1024)
	}
	fmt.Fprintln(w)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// progress is the one-line progress bar of a stage on stderr, redrawn with \r.
type progress struct {
	w          io.Writer
	name       string
	total      int
	done, errs atomic.Int64
	start      time.Time
	stop       chan struct{}
	finished   chan struct{}
}

func startProgress(w io.Writer, name string, total int) *progress {
	p := &progress{w: w, name: name, total: total, start: time.Now(), stop: make(chan struct{}), finished: make(chan struct{})}
	go func() {
		defer close(p.finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				p.draw()
				fmt.Fprintln(p.w)
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

func (p *progress) add(err error) {
	p.done.Add(1)
	if err != nil {
		p.errs.Add(1)
	}
}

func (p *progress) draw() {
	done := p.done.Load()
	el := time.Since(p.start)
	rate := float64(done) / max(el.Seconds(), 1e-9)
	const width = 30
	fill := width
	if p.total > 0 {
		fill = int(float64(width) * float64(done) / float64(p.total))
	}
	fill = min(fill, width)
	fmt.Fprintf(p.w, "\r%-16s [%s%s] %d/%d  %.0f/s  errors %d  %s   ", p.name, strings.Repeat("#", fill),
		strings.Repeat(".", width-fill), done, p.total, rate, p.errs.Load(), el.Round(100*time.Millisecond))
}

// end stops the bar and records the stage.
func (p *progress) end(s *loadStats, count int, unit string) {
	close(p.stop)
	<-p.finished
	s.mu.Lock()
	s.stages = append(s.stages, stageStat{Name: p.name, Count: count, Unit: unit, Errors: int(p.errs.Load()), Wall: time.Since(p.start)})
	s.mu.Unlock()
}

// httpError is a non-2xx answer of the API.
type httpError struct {
	Status int
	Body   string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, http.StatusText(e.Status), e.Body)
}
