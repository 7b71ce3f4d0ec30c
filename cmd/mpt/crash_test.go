package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/refdata"
)

// The crash-safety test (issue 9): `mpt serve` is killed with SIGKILL at a random moment while
// clients register transactions (singly and in bulk when the bulk API exists), import files,
// generate declarations and record and allocate FX receipts, then the database is checked
// in-process and the server restarted on the same file (SQLite WAL recovery), round after round.
//
// The server is this test binary run again with crashChildArgs set: the very code under test,
// with the race detector when `make test` uses it, and no second build. MPT_CRASH_ROUNDS (default
// 24) and MPT_CRASH_SEED (default: the clock, printed) replay a run.

// crashChildArgs, when set, makes the test binary run `mpt` with these arguments (a JSON list)
// instead of the tests.
const crashChildArgs = "MPT_CRASH_CHILD_ARGS"

// TestCrashSafety kills the server at least 20 times during writes and checks after each kill:
// the SQLite integrity check passes, no import or declaration is half-written, every write the
// server acknowledged is there, and the audit chain verifies.
func TestCrashSafety(t *testing.T) {
	if raw := os.Getenv(crashChildArgs); raw != "" {
		var args []string
		if err := json.Unmarshal([]byte(raw), &args); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM) // as main does
		code := exitCode(run(ctx, args, os.Stdin, os.Stdout, os.Stderr, os.Getenv), os.Stderr)
		stop()
		os.Exit(code)
	}
	if testing.Short() {
		t.Skip("crash-safety test skipped in -short mode: it starts and SIGKILLs the server 24 times (about a minute); run `make crash`")
	}
	rounds := 24
	if n, err := strconv.Atoi(os.Getenv("MPT_CRASH_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	seed := uint64(time.Now().UnixNano())
	if n, err := strconv.ParseUint(os.Getenv("MPT_CRASH_SEED"), 10, 64); err == nil {
		seed = n
	}
	t.Logf("crash test: %d rounds, seed %d (replay with MPT_CRASH_SEED=%d MPT_CRASH_ROUNDS=%d)", rounds, seed, seed, rounds)

	rig := newCrashRig(t, seed)
	started := time.Now()
	for round := 1; round <= rounds; round++ {
		rig.round = round
		rig.prepare()
		rig.runAndKill()
		rig.check()
		if t.Failed() {
			t.Fatalf("round %d of seed %d failed; replay with MPT_CRASH_SEED=%d MPT_CRASH_ROUNDS=%d", round, seed, seed, round)
		}
	}
	rig.finalStart()
	t.Logf("crash test: %d kills in %s; %s", rounds, time.Since(started).Round(time.Millisecond), rig.ledger.summary())
	if rig.ledger.killedDuring["declare"] == 0 || rig.ledger.killedDuring["fx"] == 0 ||
		rig.ledger.killedDuring["txn"]+rig.ledger.killedDuring["bulk"] == 0 {
		t.Logf("note: some kinds of write were never in flight at a kill in this run: %v", rig.ledger.killedDuring)
	}
}

// crashRig is the test's state across rounds: the database file, the demo world it writes to,
// the clients' credentials and the ledger of acknowledged writes.
type crashRig struct {
	t      *testing.T
	seed   uint64
	round  int
	rng    *rand.Rand
	dir    string
	dbPath string
	ref    *refdata.Set
	log    *slog.Logger
	world  crashWorld
	ledger *crashLedger
	// tokens are API bearer tokens by demo user: merchant1, agent1, fx.
	tokens map[string]string
	// importers are browsers logged in as the merchant's staff who import files.
	importers []*crashBrowser
	bulk      int32 // 1 once POST /api/v1/transactions/bulk answered 201, -1 once it was found missing
	boxSerial int
	url       string
}

// crashWorld is what the clients need from the demo data.
type crashWorld struct {
	today      string
	merchantID int64
	uscc       string
	buyers     []crashBuyer
	goods      []crashGoods
}

type crashBuyer struct {
	ID          int64
	Name        string
	Nationality string
}

type crashGoods struct {
	ID  int64
	SKU string
}

func newCrashRig(t *testing.T, seed uint64) *crashRig {
	t.Helper()
	dir := t.TempDir()
	r := &crashRig{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 1039)), dir: dir, dbPath: filepath.Join(dir, "mpt.db"),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), ledger: newCrashLedger(), tokens: map[string]string{}}
	var err error
	if r.ref, err = refdata.Load(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"demo", "--db", r.dbPath, "--log-level", "warn"}, strings.NewReader(""), &out, &out, func(string) string { return "" }); err != nil {
		t.Fatalf("mpt demo: %v\n%s", err, &out)
	}
	r.withService(func(ctx context.Context, db *gorm.DB, svc *workflow.Service) {
		r.loadWorld(ctx, db, svc)
		for _, user := range []string{"merchant1", "agent1", "fx"} {
			actor, err := svc.ActAs(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := svc.CreateAPIToken(ctx, actor, "crash test")
			if err != nil {
				t.Fatal(err)
			}
			r.tokens[user] = tok.Token
		}
		// Several staff of the merchant import files: a killed server's import jobs count as
		// running for their user until their heartbeat is a minute old.
		admin, err := svc.ActAs(ctx, "admin")
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 12; i++ {
			name := fmt.Sprintf("crash-importer-%d", i)
			if _, err := svc.CreateUser(ctx, admin, workflow.NewUserInput{Username: name, DisplayName: "Crash importer " + strconv.Itoa(i),
				Role: "merchant", MerchantID: r.world.merchantID, Password: crashPassword}); err != nil {
				t.Fatalf("create %s: %v", name, err)
			}
			r.importers = append(r.importers, newCrashBrowser(name))
		}
	})
	return r
}

// crashPassword is the importers' password.
const crashPassword = "crash-test-password-1039"

// withService opens the database in-process (the server is not running) for setup and checks.
func (r *crashRig) withService(f func(ctx context.Context, db *gorm.DB, svc *workflow.Service)) {
	r.t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, r.dbPath, r.log)
	if err != nil {
		r.t.Fatalf("round %d: open the database after the kill: %v", r.round, err)
	}
	defer func() {
		if err := models.Close(db); err != nil {
			r.t.Errorf("round %d: close: %v", r.round, err)
		}
	}()
	f(ctx, db, workflow.NewService(db, r.ref, time.Now, r.log))
}

// loadWorld reads the demo merchant, its buyers and recognised goods.
func (r *crashRig) loadWorld(ctx context.Context, db *gorm.DB, svc *workflow.Service) {
	t := r.t
	w := &r.world
	w.today = svc.EntrustmentToday()
	var u models.User
	if err := db.WithContext(ctx).Where("username = ?", "merchant1").Take(&u).Error; err != nil || u.MerchantID == nil {
		t.Fatalf("merchant1: %v", err)
	}
	w.merchantID = *u.MerchantID
	var m models.Merchant
	if err := db.WithContext(ctx).Take(&m, w.merchantID).Error; err != nil {
		t.Fatal(err)
	}
	w.uscc = m.USCC
	if err := db.WithContext(ctx).Raw(`SELECT b.id, b.name, b.nationality FROM buyers b JOIN buyer_links bl ON bl.buyer_id = b.id
		WHERE bl.merchant_id = ? AND b.watch_listed = ? ORDER BY b.id`, w.merchantID, false).Scan(&w.buyers).Error; err != nil || len(w.buyers) == 0 {
		t.Fatalf("buyers of merchant1: %v (%d)", err, len(w.buyers))
	}
	if err := db.WithContext(ctx).Model(&models.Goods{}).Select("id, sku").Where("merchant_id = ? AND status = ?", w.merchantID, models.GoodsRecognised).
		Order("id").Scan(&w.goods).Error; err != nil || len(w.goods) == 0 {
		t.Fatalf("goods of merchant1: %v (%d)", err, len(w.goods))
	}
}

// freePort picks a port the server can listen on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// crashServer is a running `mpt serve` child process.
type crashServer struct {
	cmd  *exec.Cmd
	out  *crashOutput
	done chan error
}

// crashOutput collects the child's output.
type crashOutput struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (o *crashOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *crashOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// start runs `mpt serve` on the database file and waits until /readyz answers.
func (r *crashRig) start() *crashServer {
	t := r.t
	t.Helper()
	addr := freePort(t)
	args, _ := json.Marshal([]string{"serve", "--db", r.dbPath, "--addr", addr, "--data-dir", filepath.Join(r.dir, "data"), "--log-level", "warn"})
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildArgs+"="+string(args))
	s := &crashServer{cmd: cmd, out: &crashOutput{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	r.url = "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(r.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("round %d: the server did not start on the killed database: %v\n%s", r.round, err, s.out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("round %d: the server was not ready within 60 s\n%s", r.round, s.out)
		}
	}
}

// kill sends SIGKILL and reaps the process.
func (s *crashServer) kill(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.done:
		t.Fatalf("the server had stopped by itself before the kill: %v\n%s", err, s.out)
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the killed server did not exit within 30 s")
	}
	if strings.Contains(s.out.String(), "DATA RACE") || strings.Contains(s.out.String(), "panic:") {
		t.Errorf("the server reported a race or a panic:\n%s", s.out)
	}
}

// runAndKill starts the server, logs the importers in (once), fires the writers and kills the
// server after a random delay of 50–800 ms.
func (r *crashRig) runAndKill() {
	t := r.t
	srv := r.start()
	for _, b := range r.importers {
		if !b.loggedIn {
			if err := b.login(r.url); err != nil {
				srv.kill(t)
				t.Fatalf("round %d: log in %s: %v", r.round, b.user, err)
			}
		}
	}
	if atomic.LoadInt32(&r.bulk) == 0 {
		r.probeBulk()
	}
	delay := time.Duration(50+r.rng.IntN(751)) * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	w := &crashWriters{rig: r, ctx: ctx, client: &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{}}}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { w.transactions(i) })
	}
	wg.Go(w.imports)
	declareAfter := max(0, delay-time.Duration(r.rng.Int64N(int64(250*time.Millisecond))))
	wg.Go(func() { w.declarations(declareAfter) })
	wg.Go(w.fx)
	time.Sleep(delay)
	inFlight := w.inFlight()
	srv.kill(t)
	cancel()
	wg.Wait()
	w.client.CloseIdleConnections()
	r.ledger.killed(inFlight)
	t.Logf("round %d: killed after %s during %v", r.round, delay, inFlight)
}

// probeBulk finds out whether the bulk ingest API exists yet (it is built beside this test).
func (r *crashRig) probeBulk() {
	req, _ := http.NewRequest(http.MethodPost, r.url+"/api/v1/transactions/bulk", strings.NewReader(`{"transactions": []}`))
	req.Header.Set("Authorization", "Bearer "+r.tokens["merchant1"])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return
	}
	res.Body.Close()
	if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
		atomic.StoreInt32(&r.bulk, -1)
		r.t.Log("the bulk ingest API (POST /api/v1/transactions/bulk) is not there: transactions are created one by one")
		return
	}
	atomic.StoreInt32(&r.bulk, 1)
}

// finalStart restarts the server once more after the last kill, reads back acknowledged writes
// through the API and stops it gracefully.
func (r *crashRig) finalStart() {
	t := r.t
	r.round++
	srv := r.start()
	client := &http.Client{Timeout: 20 * time.Second}
	for id := range r.ledger.someTransactions(5) {
		req, _ := http.NewRequest(http.MethodGet, r.url+"/api/v1/transactions/"+strconv.FormatInt(id, 10), nil)
		req.Header.Set("Authorization", "Bearer "+r.tokens["merchant1"])
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("after the last restart, acknowledged transaction %d answers %d", id, res.StatusCode)
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-srv.done:
		if err != nil {
			t.Errorf("the server did not stop cleanly after the last restart: %v\n%s", err, srv.out)
		}
	case <-time.After(30 * time.Second):
		_ = srv.cmd.Process.Kill()
		t.Error("the server did not stop within 30 s of SIGTERM")
	}
}
