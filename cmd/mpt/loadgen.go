package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/refdata"
)

// loadgenOptions are the flags of `mpt loadgen`.
type loadgenOptions struct {
	URL                   string
	InProcess             bool
	Seed                  uint64
	Merchants, Buyers     int
	Agents                int
	BuyersPerMerchant     int
	Transactions          int
	LinesPerTxn           int
	LinesPerConsolidation int
	Concurrency           int
	ServerPID             int
	Readers, Reads        int
	Progress              bool
	ReadsOnly             bool
	Think                 time.Duration // a reader's pause between two requests
	Bulk                  int           // sales per bulk ingest call; 0: one sale per request
	ConsolidateBy         string        // "agent" or "buyer"
	CPUProfile            string
}

// loadgen is `mpt loadgen`: it draws a synthetic market day from a seed and drives it through
// every step (parties, goods, transactions, consolidations, declarations, customs, FX, VAT),
// over the HTTP API of a running server (--url) or in-process through workflow
// (--in-process), then reports throughput per stage, latency percentiles per request kind,
// errors and peak memory. Steps without an API route (self-registration, goods recognition,
// red-lane inspection results, yellow-lane document uploads, API tokens, staff users, the
// month's exchange rate) are done in-process on the same database, which --db must name.
func loadgen(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg config
	var o loadgenOptions
	fs := newFlagSet("loadgen", stderr)
	cfg.bind(fs, getenv)
	fs.StringVar(&o.URL, "url", "", "base URL of a running mpt server to drive over /api/v1, e.g. http://127.0.0.1:8080")
	fs.BoolVar(&o.InProcess, "in-process", false, "call workflow directly on --db instead of a server")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the synthetic day: the same seed draws the same day; names carry it (lg<seed>_…), so use a new seed per run on one database")
	fs.IntVar(&o.Merchants, "merchants", 20, "merchants (stall-holders)")
	fs.IntVar(&o.Buyers, "buyers", 0, "foreign buyers (default: merchants / 2, at least 3)")
	fs.IntVar(&o.Agents, "agents", 0, "customs agents (default: merchants / 20, at least 1)")
	fs.IntVar(&o.BuyersPerMerchant, "buyers-per-merchant", 3, "buyers each merchant trades with")
	fs.IntVar(&o.Transactions, "transactions", 100, "transactions (sales) of the day")
	fs.IntVar(&o.LinesPerTxn, "lines-per-transaction", 10, "goods lines per transaction")
	fs.IntVar(&o.LinesPerConsolidation, "lines-per-consolidation", 200, "lines an agent files into one consolidation; declarations follow from it (one buyer each, value cap, item limit)")
	fs.IntVar(&o.Concurrency, "concurrency", 8, "requests in flight at once")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "pid of the local server, to report its peak resident memory (VmHWM)")
	fs.IntVar(&o.Readers, "readers", 0, "HTTP only: after the day, this many concurrent clients read list pages and traces")
	fs.IntVar(&o.Reads, "reads", 2000, "with --readers: GET requests in all")
	fs.DurationVar(&o.Think, "think", 0, "with --readers: each reader pauses about this long before each request (drawn from half to one and a half times it), as a person reading the page would; 0: back to back, which measures throughput: each request then waits for the others")
	fs.BoolVar(&o.ReadsOnly, "reads-only", false, "with --readers: skip the day and read the data an earlier run of the same seed and sizes left in --db (its parties get new API tokens)")
	fs.BoolVar(&o.Progress, "progress", true, "draw a progress bar on stderr")
	fs.IntVar(&o.Bulk, "bulk", 0, fmt.Sprintf("register sales through the bulk ingest, this many per call by the merchants' agents (at most %d); 0 registers one sale per request by its merchant", workflow.MaxIngestTransactions))
	fs.StringVar(&o.ConsolidateBy, "consolidate-by", "agent", `how agents group lines into consolidations: "agent" (all its merchants' lines in turn) or "buyer" (one buyer's lines, as a buyer fills containers from many stalls)`)
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of the run to this file (in-process mode profiles the workflow too)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (o.URL == "") == !o.InProcess {
		return usageError("mpt loadgen: give either --url of a running server or --in-process")
	}
	if o.Merchants < 1 || o.Transactions < 1 || o.LinesPerTxn < 1 || o.LinesPerTxn > workflow.MaxAPILines || o.Concurrency < 1 || o.LinesPerConsolidation < 1 {
		return usageError("mpt loadgen: --merchants, --transactions, --concurrency and --lines-per-consolidation must be at least 1, --lines-per-transaction 1–%d", workflow.MaxAPILines)
	}
	if o.ReadsOnly && (o.URL == "" || o.Readers < 1) {
		return usageError("mpt loadgen: --reads-only needs --url and --readers")
	}
	if o.Bulk < 0 || o.Bulk > workflow.MaxIngestTransactions || o.Bulk*o.LinesPerTxn > workflow.MaxIngestLines {
		return usageError("mpt loadgen: --bulk must be 0–%d sales and at most %d lines per call", workflow.MaxIngestTransactions, workflow.MaxIngestLines)
	}
	if o.ConsolidateBy != "agent" && o.ConsolidateBy != "buyer" {
		return usageError(`mpt loadgen: --consolidate-by must be "agent" or "buyer"`)
	}
	if o.Buyers == 0 {
		o.Buyers = max(3, o.Merchants/2)
	}
	if o.Agents == 0 {
		o.Agents = max(1, o.Merchants/20)
	}
	o.BuyersPerMerchant = max(1, min(o.BuyersPerMerchant, o.Buyers))
	if err := cfg.validate(); err != nil {
		return err
	}
	d, err := openDatabase(ctx, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer models.Close(d.db)
	if d.fresh {
		if o.URL != "" {
			return fmt.Errorf("%s has no mpt schema: --db must name the database the server at %s uses", cfg.DB, o.URL)
		}
		if err := migrateNow(ctx, d, &cfg, io.Discard); err != nil {
			return err
		}
	}
	ref, err := refdata.Load()
	if err != nil {
		return err
	}
	svc := workflow.NewService(d.db, ref, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.DataDir = cfg.DataDir
	svc.Policy.BcryptCost = bcrypt.MinCost // the day's own users; their passwords are never used
	var mk market = localMarket{svc: svc}
	if o.URL != "" {
		mk = httpMarket{base: strings.TrimRight(o.URL, "/"), client: &http.Client{Timeout: 2 * time.Minute,
			Transport: &http.Transport{MaxIdleConns: 4 * o.Concurrency, MaxIdleConnsPerHost: 4 * o.Concurrency}}}
	}
	progressOut := stderr
	if !o.Progress {
		progressOut = io.Discard
	}
	r := &loadRun{o: o, svc: svc, db: d.db, mk: mk, stats: newLoadStats(), out: progressOut, errOut: stderr, http: o.URL != ""}
	mode := "in-process (workflow)"
	if r.http {
		mode = "HTTP " + o.URL
	}
	fmt.Fprintf(stdout, "mpt loadgen: seed %d, %d merchants, %d buyers, %d agents, %d transactions × %d lines, concurrency %d, %s, database %s\n",
		o.Seed, o.Merchants, o.Buyers, o.Agents, o.Transactions, o.LinesPerTxn, o.Concurrency, mode, describeDB(cfg.DB))
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { defer close(sampled); r.stats.sampleMemory(o.ServerPID, stop) }()
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	err = r.day(ctx)
	close(stop)
	<-sampled
	fmt.Fprintln(stdout)
	r.stats.report(stdout, time.Since(start))
	fmt.Fprintln(stdout, r.summary())
	if r.dayWall > 0 {
		fmt.Fprintf(stdout, "ingest to VAT filing (stages transactions … vat): %s\n", r.dayWall.Round(time.Millisecond))
	}
	if err != nil {
		return err
	}
	if n := r.stats.failed(); n > 0 {
		return &exitError{code: 1, msg: fmt.Sprintf("mpt loadgen: %d request(s) failed", n)}
	}
	return nil
}

// loadRun is one market day being driven.
type loadRun struct {
	o      loadgenOptions
	svc    *workflow.Service
	db     *gorm.DB
	mk     market
	stats  *loadStats
	out    io.Writer // progress bars
	errOut io.Writer // the first errors of each stage
	http   bool

	plan                         *dayPlan
	today                        string
	admin, sup, customs, fx, tax party
	agents                       []agentRun
	merchants                    []merchantRun
	sales                        [][]lineRef // registered lines by sale; nil when the sale failed
	consolidations               []consolidationRun
	inspectors                   sync.Map // user id → party
	counts                       dayCounts
	dayWall                      time.Duration // from the first sale registered to the last filing accepted
}

type agentRun struct {
	ID int64
	P  party
}

type merchantRun struct {
	ID     int64
	USCC   string
	P      party
	Buyers map[int]int64 // plan buyer index → buyer id
	Goods  []int64       // by loadgenCatalogue index
}

type consolidationRun struct {
	Agent        int
	Lines        []lineRef
	ID           int64
	Declarations []declRef
	Exited       atomic.Int64
}

// dayCounts are the records the day made, for the summary line.
type dayCounts struct {
	Lines, Consolidations, Containers, Declarations, Submitted atomic.Int64
	Red, Yellow, Released, Exited, Receipts, Filings           atomic.Int64
}

func (r *loadRun) summary() string {
	c := &r.counts
	return fmt.Sprintf("made: %d transaction lines, %d consolidations, %d containers, %d declarations (%d submitted, %d red, %d yellow, %d released, %d exited), %d FX receipts, %d VAT filings accepted",
		c.Lines.Load(), c.Consolidations.Load(), c.Containers.Load(), c.Declarations.Load(), c.Submitted.Load(), c.Red.Load(),
		c.Yellow.Load(), c.Released.Load(), c.Exited.Load(), c.Receipts.Load(), c.Filings.Load())
}

// timed runs one request of a kind and records its latency and outcome.
func (r *loadRun) timed(kind string, f func() error) error {
	t := time.Now()
	err := f()
	r.stats.observe(kind, time.Since(t), err)
	return err
}

// direct names a step done in-process even in HTTP mode (it has no API route).
func direct(kind string) string { return kind + " (direct)" }

// stage runs work(i) for i in [0, n) with the configured concurrency under a progress bar,
// and records the stage with the count that counted() gives at the end.
func (r *loadRun) stage(ctx context.Context, name string, n int, unit string, counted func() int, work func(ctx context.Context, i int) error) error {
	p := startProgress(r.out, name, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var shown atomic.Int32
	for range min(r.o.Concurrency, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				err := work(ctx, i)
				if err != nil && shown.Add(1) <= 3 {
					fmt.Fprintf(r.errOut, "\n%s #%d: %v\n", name, i, err)
				}
				p.add(err)
			}
		}()
	}
	wg.Wait()
	count := n - int(p.errs.Load())
	if counted != nil {
		count = counted()
	}
	p.end(r.stats, count, unit)
	return ctx.Err()
}

// day runs the stages in order.
func (r *loadRun) day(ctx context.Context) error {
	r.today = r.svc.EntrustmentToday()
	r.plan = newDayPlan(r.o.Seed, planSizes{Merchants: r.o.Merchants, Buyers: r.o.Buyers, Agents: r.o.Agents,
		Transactions: r.o.Transactions, LinesPerTxn: r.o.LinesPerTxn, BuyersPerMerchant: r.o.BuyersPerMerchant,
		BuyersByAgent: r.o.ConsolidateBy == "buyer"}, r.today)
	if r.o.ReadsOnly {
		if err := r.attach(ctx); err != nil {
			return err
		}
		return r.readLists(ctx)
	}
	for _, step := range []func(context.Context) error{r.setupParties, r.setupGoods} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	start := time.Now()
	for _, step := range []func(context.Context) error{r.registerTransactions, r.consolidate, r.declare, r.clearCustoms, r.receiveFX, r.fileVAT} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	r.dayWall = time.Since(start)
	return r.readLists(ctx)
}
