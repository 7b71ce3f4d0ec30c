package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"mpt/handlers"
	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/refdata"
)

// TestLoadgenSmall drives a tiny market day in-process, then another (a second seed) over HTTP
// against the real handlers on the same database, and checks that every stage left its
// records and that the audit chain still verifies.
func TestLoadgenSmall(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mpt.db")
	if _, errOut, code := runCmd(t, "migrate", "--db", path); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	size := []string{"--db", path, "--data-dir", filepath.Join(dir, "data"), "--merchants", "5", "--transactions", "20",
		"--lines-per-transaction", "4", "--lines-per-consolidation", "25", "--concurrency", "4", "--progress=false"}

	out, errOut, code := runCmd(t, append([]string{"loadgen", "--in-process", "--seed", "7"}, size...)...)
	if code != 0 {
		t.Fatalf("in-process: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"transactions", "p99", "peak memory", "errors: none", "made: 80 transaction lines"} {
		if !strings.Contains(out, want) {
			t.Errorf("in-process report lacks %q:\n%s", want, out)
		}
	}

	db, err := models.Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(db, ref, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.DataDir = filepath.Join(dir, "data")
	web, err := handlers.New(handlers.Deps{Service: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.Handler())
	defer srv.Close()
	out, errOut, code = runCmd(t, append([]string{"loadgen", "--url", srv.URL, "--seed", "8", "--readers", "4", "--reads", "25"}, size...)...)
	if code != 0 {
		t.Fatalf("HTTP: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "made: 80 transaction lines") || !strings.Contains(out, "POST /transactions") || !strings.Contains(out, "GET /trace/:code") {
		t.Errorf("HTTP report:\n%s", out)
	}

	// A third day the way a peak day runs: the agents' systems register the sales in bulk
	// calls, and each buyer's lines fill their own consolidations; then readers only, on the
	// data that day left, with a pause between requests.
	out, errOut, code = runCmd(t, append([]string{"loadgen", "--url", srv.URL, "--seed", "9", "--bulk", "6", "--consolidate-by", "buyer"}, size...)...)
	if code != 0 {
		t.Fatalf("HTTP bulk: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"made: 80 transaction lines", "POST /transactions/bulk", "ingest to VAT filing", "errors: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTTP bulk report lacks %q:\n%s", want, out)
		}
	}
	out, errOut, code = runCmd(t, append([]string{"loadgen", "--url", srv.URL, "--seed", "9", "--consolidate-by", "buyer", "--reads-only",
		"--readers", "3", "--reads", "20", "--think", "1ms"}, size...)...)
	if code != 0 || !strings.Contains(out, "GET /trace/:code") || !strings.Contains(out, "errors: none") || !strings.Contains(out, "made: 0 transaction lines") {
		t.Errorf("reads only: exit %d\n%s\n%s", code, out, errOut)
	}

	// The three days, in the database.
	count := func(table, where string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := db.Table(table).Where(where, args...).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		what  string
		got   int64
		least int64
	}{
		{"merchants", count("merchants", "name LIKE ? AND status = ?", "义乌市压测商行%", models.MerchantActive), 15},
		{"transactions", count("transactions", "status <> ?", models.TransactionDraft), 60},
		{"lines", count("transaction_lines", "1 = 1"), 240},
		{"consolidated lines", count("consolidation_lines", "1 = 1"), 240},
		{"exited declarations", count("declarations", "status = ?", models.DeclarationExited), 3},
		{"FX allocations", count("fx_allocations", "1 = 1"), 1},
		{"accepted filings", count("tax_filings", "status = ?", "accepted"), 1},
	} {
		if c.got < c.least {
			t.Errorf("%s: %d, want at least %d", c.what, c.got, c.least)
		}
	}
	if n := count("transaction_lines", "1 = 1"); n != 240 {
		t.Errorf("lines: %d, want exactly 240", n)
	}
	v, err := models.VerifyAudit(context.Background(), db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK() || v.Entries == 0 {
		t.Fatalf("audit chain: %d entries, break %+v", v.Entries, v.Break)
	}
}

// TestLoadgenPlanSeeded: the same seed draws the same day; another seed another one.
func TestLoadgenPlanSeeded(t *testing.T) {
	sz := planSizes{Merchants: 7, Buyers: 5, Agents: 2, Transactions: 30, LinesPerTxn: 3, BuyersPerMerchant: 2}
	a, b, c := newDayPlan(42, sz, "2026-11-29"), newDayPlan(42, sz, "2026-11-29"), newDayPlan(43, sz, "2026-11-29")
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed drew two different days")
	}
	if reflect.DeepEqual(a.Sales, c.Sales) {
		t.Error("seeds 42 and 43 drew the same sales")
	}
	for _, m := range a.Merchants {
		if v := workflow.CheckUSCC(m.Reg.USCC); !v.OK {
			t.Errorf("merchant USCC %s: %s", m.Reg.USCC, v.Problem.En)
		}
	}
	// Buyers by agent: every merchant sells only to buyers of its own agent.
	sz.BuyersByAgent = true
	byAgent := newDayPlan(42, sz, "2026-11-29")
	for _, m := range byAgent.Merchants {
		for _, b := range m.Buyers {
			if b%sz.Agents != m.Agent || b >= sz.Buyers {
				t.Errorf("merchant of agent %d sells to buyer %d", m.Agent, b)
			}
		}
	}
	if v := workflow.CheckContainerNumber(loadgenContainer(42, 1)); !v.OK {
		t.Errorf("container number %s fails ISO 6346", loadgenContainer(42, 1))
	}
}
