package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// fxBulkScene is a world with two trades of merchant A (one exited on 2026-11-25, one not),
// four receipts (the buyer's, a stranger's, an old one, agent X's), the first already paying a
// line, and a bulk call for all four; built the same way on any fresh database.
type fxBulkScene struct {
	*fxWorld
	exited, open *servicetest.Trade
	receipts     []*models.FXReceipt
	in           []workflow.FXBulkAllocation
}

func newFXBulkScene(t *testing.T, db *gorm.DB) *fxBulkScene {
	t.Helper()
	f := newFXWorld(t, db)
	s := &fxBulkScene{fxWorld: f}
	s.exited = servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{}) // 1,200.00 and 800.00
	f.exited(t, s.exited.Declaration.ID, "2026-11-25")
	s.open = servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{})
	stranger := f.receiptInput("B-2", "500")
	stranger.Payer = "Gulf Trading FZE"
	old := f.receiptInput("B-3", "900")
	old.ValueDate = "2026-09-01"
	agent := f.receiptInput("B-4", "300")
	agent.Beneficiary = f.w.AgentX.USCC
	for _, in := range []workflow.FXReceiptInput{f.receiptInput("B-1", "1000"), stranger, old, agent} {
		s.receipts = append(s.receipts, f.record(t, in))
	}
	if _, err := f.svc.AllocateFXReceipt(context.Background(), f.fx, s.receipts[0].ID, fxAllocate(s.exited.Lines[0].ID, "100")); err != nil {
		t.Fatal(err)
	}
	item := func(l models.TransactionLine, amount string) workflow.FXAllocationItem {
		return workflow.FXAllocationItem{LineID: l.ID, Amount: amount}
	}
	s.in = []workflow.FXBulkAllocation{
		{ReceiptID: s.receipts[0].ID, Version: 2, Items: []workflow.FXAllocationItem{item(s.exited.Lines[0], "400"),
			{TraceCode: strings.ToLower(s.exited.Lines[1].TraceCode), Amount: "300"}}},
		// pays a line the first receipt pays in the same call
		{ReceiptID: s.receipts[1].ID, Items: []workflow.FXAllocationItem{item(s.open.Lines[0], "200"), item(s.exited.Lines[0], "250")}},
		{ReceiptID: s.receipts[2].ID, Items: []workflow.FXAllocationItem{item(s.open.Lines[1], "100")}},
		{ReceiptID: s.receipts[3].ID, Version: 1, Items: []workflow.FXAllocationItem{item(s.open.Lines[0], "300")}},
	}
	return s
}

// snapshot is every row an allocation writes, as text with trace codes replaced by line ids:
// receipts, allocation rows, lines, audit entries and notifications (in the order written).
func (s *fxBulkScene) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	var rs []models.FXReceipt
	var as []models.FXAllocation
	var ls []models.TransactionLine
	var es []models.AuditEntry
	var ns []models.Notification
	for _, q := range []error{
		s.db.Order("id").Find(&rs).Error,
		s.db.Order("receipt_id, transaction_line_id").Find(&as).Error,
		s.db.Order("id").Find(&ls).Error,
		s.db.Where("entity = ?", "fx_receipt").Order("id").Find(&es).Error,
		s.db.Order("id").Find(&ns).Error,
	} {
		if q != nil {
			t.Fatal(q)
		}
	}
	var pairs []string
	for _, l := range ls {
		pairs = append(pairs, l.TraceCode, fmt.Sprintf("L%d", l.ID))
	}
	codes := strings.NewReplacer(pairs...)
	for _, r := range rs {
		fmt.Fprintf(&b, "receipt %d %s %s v%d %q\n", r.ID, r.BankRef, r.Allocated, r.Version, r.Flags)
	}
	for _, a := range as {
		fmt.Fprintf(&b, "allocation %d→%d %s %v %v %d\n", a.ReceiptID, a.TransactionLineID, a.Amount, a.PayerMismatch, a.BeforeExport, fxIDOf(a.ConfirmedByUserID))
	}
	for _, l := range ls {
		fmt.Fprintf(&b, "line %d %s/%s\n", l.ID, l.FXAllocated, l.Amount)
	}
	for _, e := range es {
		fmt.Fprintf(&b, "audit %s %s %s %s → %s\n", e.EntityID, e.Action, e.RequestID, codes.Replace(e.OldJSON), codes.Replace(e.NewJSON))
	}
	for _, n := range ns {
		fmt.Fprintf(&b, "notice %d %s %s %s\n", n.UserID, n.Kind, n.Link, codes.Replace(n.TextEn))
	}
	return b.String()
}

func fxIDOf(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// TestFXBulkAllocateMatchesSingle: a bulk call of four receipts (one adding to a row it holds,
// two paying the same line, one by trace code, an agent's) writes exactly the rows, audit
// entries, flags and notifications that the same confirmations one by one write on a second
// database built the same way, answers the same, and the audit chain verifies.
func TestFXBulkAllocateMatchesSingle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		bulk := newFXBulkScene(t, db)
		single := newFXBulkScene(t, dbtest.Open(t, db.Dialector.Name()))
		res, err := bulk.svc.AllocateFXBulk(ctx, bulk.fx, bulk.in)
		if err != nil {
			t.Fatal(err)
		}
		var one []workflow.FXAllocated
		for _, a := range single.in {
			r, err := single.svc.AllocateFXReceipt(ctx, single.fx, a.ReceiptID, workflow.FXAllocateInput{Version: a.Version, Items: a.Items})
			if err != nil {
				t.Fatal(err)
			}
			one = append(one, *r)
		}
		got, want := bulk.snapshot(t), single.snapshot(t)
		if got != want {
			t.Fatalf("bulk wrote\n%s\nthe single path\n%s", got, want)
		}
		if res.Lines != 6 || len(res.Receipts) != 4 {
			t.Fatalf("result: %d lines, %d receipts", res.Lines, len(res.Receipts))
		}
		for k := range one {
			g, w := res.Receipts[k], one[k]
			gl, _ := json.Marshal(g.Lines)
			wl, _ := json.Marshal(w.Lines)
			if g.Total != w.Total || g.Receipt.Allocated != w.Receipt.Allocated || g.Receipt.Version != w.Receipt.Version ||
				g.Receipt.Flags != w.Receipt.Flags || bulk.codes(t, string(gl)) != single.codes(t, string(wl)) {
				t.Errorf("receipt %d: bulk %+v %s\nsingle %+v %s", k, g.Receipt, gl, w.Receipt, wl)
			}
		}
		// What the rules say, not only that both paths agree.
		for k, want := range []string{`800.00 v3 ""`, `450.00 v2 "payer_mismatch,before_export"`, `100.00 v2 "before_export,unallocated"`,
			`300.00 v2 "before_export"`} {
			r := bulk.receipt(t, bulk.receipts[k].ID)
			if g := fmt.Sprintf("%s v%d %q", r.Allocated, r.Version, r.Flags); g != want {
				t.Errorf("receipt %s: %s, want %s", r.BankRef, g, want)
			}
		}
		if l := bulk.line(t, bulk.exited.Lines[0].ID); l.FXAllocated != 75_000 || bulk.allocationSum(t, l.ID) != 75_000 {
			t.Errorf("line paid by two receipts of the call: %s, rows %s", l.FXAllocated, bulk.allocationSum(t, l.ID))
		}
		if n := bulk.audits(t, "fx_receipt", "allocate"); n != 5 {
			t.Errorf("%d allocate audit entries, want 1 + 4", n)
		}
		var e models.AuditEntry
		db.Where("entity = ? AND entity_id = ? AND action = ?", "fx_receipt", fmt.Sprint(bulk.receipts[1].ID), "allocate").Take(&e)
		if !strings.Contains(e.NewJSON, `"line_allocated_old":"500.00","line_allocated_new":"750.00"`) {
			t.Errorf("second payer of a line in the call: audit %s", e.NewJSON)
		}
		for _, d := range []*gorm.DB{db, single.db} {
			if v, err := models.VerifyAudit(ctx, d, nil, nil); err != nil || !v.OK() {
				t.Fatalf("audit chain: %+v, %v", v, err)
			}
		}
	})
}

// codes replaces the scene's trace codes in text by line ids.
func (s *fxBulkScene) codes(t *testing.T, text string) string {
	t.Helper()
	for _, tr := range []*servicetest.Trade{s.exited, s.open} {
		for _, l := range tr.Lines {
			text = strings.ReplaceAll(text, l.TraceCode, fmt.Sprintf("L%d", l.ID))
		}
	}
	return text
}

// TestFXBulkAllocateRefusals: each refused call names its problems (every input problem at
// once) and writes nothing at all: the receipts, rows, lines, audit log and notifications are
// as before, byte for byte.
func TestFXBulkAllocateRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := newFXBulkScene(t, db)
		eur := s.record(t, workflow.FXReceiptInput{BankRef: "B-EUR", Payer: "Ahmed Al Mansouri", PayerCountry: "AE",
			Currency: "EUR", Amount: "10", ValueDate: "2026-11-28", Beneficiary: s.w.MerchantA.USCC})
		before := s.snapshot(t)
		edit := func(f func(in []workflow.FXBulkAllocation)) []workflow.FXBulkAllocation {
			in := make([]workflow.FXBulkAllocation, len(s.in))
			for i, a := range s.in {
				a.Items = append([]workflow.FXAllocationItem(nil), a.Items...)
				in[i] = a
			}
			f(in)
			return in
		}
		many := make([]workflow.FXBulkAllocation, workflow.MaxFXBulkReceipts+1)
		for i := range many {
			many[i] = workflow.FXBulkAllocation{ReceiptID: int64(i + 1), Items: s.in[0].Items}
		}
		for _, c := range []struct {
			name   string
			actor  workflow.Actor
			in     []workflow.FXBulkAllocation
			code   apperr.Code
			fields []string
			says   string
		}{
			{"ErrLastItemAmount", s.fx, edit(func(in []workflow.FXBulkAllocation) { in[3].Items[0].Amount = "12.345" }), apperr.Invalid,
				[]string{"allocations[3].items[0].amount"}, "nothing was allocated"},
			{"ErrEveryProblemNamed", s.fx, edit(func(in []workflow.FXBulkAllocation) {
				in[0].Items[1].Amount = "0"
				in[1].ReceiptID = 999_999
				in[2].Items[0].LineID = 999_999
				in[3].Items = append(in[3].Items, workflow.FXAllocationItem{TraceCode: "NO-SUCH-CODE", Amount: "1"}, workflow.FXAllocationItem{Amount: "1"})
			}), apperr.Invalid, []string{"allocations[1].receipt_id", "allocations[0].items[1].amount", "allocations[2].items[0].line_id",
				"allocations[3].items[1].trace_code", "allocations[3].items[2].line_id"}, ""},
			{"ErrReceiptTwice", s.fx, edit(func(in []workflow.FXBulkAllocation) { in[2].ReceiptID = in[0].ReceiptID }), apperr.Invalid,
				[]string{"allocations[2].receipt_id"}, "allocations[0]"},
			{"ErrLineOverAllocatedAcrossReceipts", s.fx, edit(func(in []workflow.FXBulkAllocation) { in[1].Items[1].Amount = "700.01" }),
				apperr.Conflict, []string{"allocations[1].items[1].amount"}, s.exited.Lines[0].TraceCode},
			{"ErrStaleVersion", s.fx, edit(func(in []workflow.FXBulkAllocation) { in[0].Version = 1 }), apperr.Conflict,
				[]string{"allocations[0].version"}, "B-1"},
			{"ErrOverReceipt", s.fx, edit(func(in []workflow.FXBulkAllocation) { in[3].Items[0].Amount = "300.01" }), apperr.Invalid,
				[]string{"allocations[3].items"}, "300.00"},
			{"ErrOtherCurrency", s.fx, edit(func(in []workflow.FXBulkAllocation) {
				in[2].ReceiptID, in[2].Items[0] = eur.ID, workflow.FXAllocationItem{LineID: s.open.Lines[1].ID, Amount: "1"}
			}), apperr.Invalid, []string{"allocations[2].items[0].line_id"}, ""},
			{"ErrEmpty", s.fx, nil, apperr.Invalid, []string{"allocations"}, ""},
			{"ErrNoItems", s.fx, edit(func(in []workflow.FXBulkAllocation) { in[1].Items = nil }), apperr.Invalid, []string{"allocations[1].items"}, ""},
			{"ErrTooManyReceipts", s.fx, many, apperr.Invalid, []string{"allocations"}, "5000"},
			{"ErrTooManyItems", s.fx, []workflow.FXBulkAllocation{{ReceiptID: s.receipts[0].ID,
				Items: make([]workflow.FXAllocationItem, workflow.MaxFXBulkItems+1)}}, apperr.Invalid, []string{"allocations"}, "50000"},
			{"ErrNotFXDesk", servicetest.Actor(t, s.w, testkit.UserMerchantA), s.in, apperr.Forbidden, nil, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.svc.AllocateFXBulk(ctx, c.actor, c.in)
				if apperr.CodeOf(err) != c.code || strings.Join(fxFieldsOf(err), ",") != strings.Join(c.fields, ",") {
					t.Fatalf("err %v; fields %v, want %s %v", err, fxFieldsOf(err), c.code, c.fields)
				}
				if !strings.Contains(err.Error(), c.says) {
					t.Errorf("%v does not say %q", err, c.says)
				}
				for _, fe := range apperr.As(err).Fields {
					if fe.Text.En == "" || fe.Text.Zh == "" {
						t.Errorf("field %s has no text in both languages", fe.Field)
					}
				}
				if after := s.snapshot(t); after != before {
					t.Fatalf("a refused call wrote:\nbefore\n%s\nafter\n%s", before, after)
				}
			})
		}
		// and the call as sent still goes through
		if _, err := s.svc.AllocateFXBulk(ctx, s.fx, s.in); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFXBulkConcurrentNeverOverAllocate: bulk calls and single confirmations allocating the same
// four lines at once (run with -race): no line ever holds more than its amount, each line's
// fx_allocated equals its allocation rows, each receipt's allocated equals its rows and stays
// within its amount, every refusal is a conflict or the receipt's money left, and the audit
// chain verifies.
func TestFXBulkConcurrentNeverOverAllocate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		tr := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{Lines: []servicetest.Line{
			{Amount: 100_000}, {Amount: 100_000}, {Amount: 100_000}, {Amount: 100_000}}}) // 1,000.00 each
		const bulks, singles = 6, 6
		var receipts []*models.FXReceipt
		for i := range 2*bulks + singles {
			receipts = append(receipts, f.record(t, f.receiptInput(fmt.Sprintf("FX-P%d", i), "1200")))
		}
		pay := func(lines ...int) []workflow.FXAllocationItem {
			var out []workflow.FXAllocationItem
			for _, l := range lines {
				out = append(out, workflow.FXAllocationItem{LineID: tr.Lines[l].ID, Amount: "300"})
			}
			return out
		}
		errs := make([]error, bulks+singles)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range bulks {
			// each call pays every line from two receipts, in a different order of receipts
			a, b := receipts[2*i], receipts[2*i+1]
			in := []workflow.FXBulkAllocation{{ReceiptID: a.ID, Items: pay(0, 1, 2, 3)}, {ReceiptID: b.ID, Items: pay(3, 2)}}
			if i%2 == 1 {
				in[0], in[1] = in[1], in[0]
			}
			wg.Go(func() {
				<-start
				_, errs[i] = f.svc.AllocateFXBulk(ctx, f.fx, in)
			})
		}
		for i := range singles {
			r := receipts[2*bulks+i]
			wg.Go(func() {
				<-start
				_, errs[bulks+i] = f.svc.AllocateFXReceipt(ctx, f.fx, r.ID, workflow.FXAllocateInput{Items: pay(i%4, (i+1)%4)})
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case apperr.CodeOf(err) != apperr.Conflict:
				t.Errorf("call %d: %v", i, err)
			}
		}
		if won == 0 {
			t.Fatal("no call went through")
		}
		var total models.Money
		for _, l := range tr.Lines {
			got := f.line(t, l.ID)
			if got.FXAllocated > got.Amount || f.allocationSum(t, l.ID) != got.FXAllocated {
				t.Errorf("line %s allocated %s of %s, rows %s", l.TraceCode, got.FXAllocated, got.Amount, f.allocationSum(t, l.ID))
			}
			total += got.FXAllocated
		}
		var rowsSum models.Money
		for _, r := range receipts {
			var sum int64
			db.Model(&models.FXAllocation{}).Select("COALESCE(CAST(SUM(amount) AS BIGINT), 0)").Where("receipt_id = ?", r.ID).Scan(&sum)
			got := f.receipt(t, r.ID)
			if int64(got.Allocated) != sum || got.Allocated > got.Amount {
				t.Errorf("receipt %s allocated %s of %s, rows %d", got.BankRef, got.Allocated, got.Amount, sum)
			}
			rowsSum += got.Allocated
		}
		if total != rowsSum || total == 0 {
			t.Errorf("lines hold %s, receipts %s", total, rowsSum)
		}
		if v, err := models.VerifyAudit(ctx, db, nil, nil); err != nil || !v.OK() {
			t.Fatalf("audit chain: %+v, %v", v, err)
		}
	})
}

// TestFXStatementReceipts: a recorded statement gives back its receipts in the file's order, and
// its audit entries (appended as one batch) chain on.
func TestFXStatementReceipts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		f.record(t, f.receiptInput("BEFORE", "1"))
		csv := "bank_ref,payer,payer_country,currency,amount,value_date,beneficiary_uscc\n"
		for i := range 300 {
			csv += fmt.Sprintf("ST-%03d,\"Ahmed, Al Mansouri\",AE,USD,%d.50,2026-11-28,%s\n", i, i+1, f.w.MerchantA.USCC)
		}
		res, err := f.svc.ImportFXStatement(ctx, f.fx, "s.csv", []byte(csv))
		if err != nil || !res.OK() || len(res.Receipts) != 300 {
			t.Fatalf("%+v, %v", res, err)
		}
		for i, r := range res.Receipts {
			if r.ID == 0 || r.BankRef != fmt.Sprintf("ST-%03d", i) || r.PayerName != "Ahmed, Al Mansouri" || r.StatementRef != res.StatementRef {
				t.Fatalf("receipt %d: %+v", i, r)
			}
		}
		var e models.AuditEntry
		db.Where("entity = ? AND entity_id = ?", "fx_receipt", fmt.Sprint(res.Receipts[299].ID)).Take(&e)
		if !strings.Contains(e.NewJSON, `"statement_row":301`) || !strings.Contains(e.NewJSON, `"bank_ref":"ST-299"`) {
			t.Fatalf("audit of the last row: %s", e.NewJSON)
		}
		var notes int64
		db.Model(&models.Notification{}).Where("kind = ?", "fx.statement_recorded").Count(&notes)
		if notes != 1 {
			t.Fatalf("%d statement notices for one beneficiary's user", notes)
		}
		if v, err := models.VerifyAudit(ctx, db, nil, nil); err != nil || !v.OK() || v.Entries < 301 {
			t.Fatalf("audit chain: %+v, %v", v, err)
		}
	})
}

// FX allocation benchmarks: the same work, 1,000 receipts of 10 lines each (a sale paid by its
// buyer), allocated in one bulk call or one confirmation at a time, on SQLite:
//
//	go test ./workflow/ -run '^$' -bench 'AllocateFX' -benchtime 5x -count 3
const (
	benchFXReceipts = 1000
	benchFXLines    = 10
)

// fxBenchCall ingests 1,000 sales of 10 lines and records a receipt for each from a bank
// statement, outside the timer, and returns the bulk call that pays every line in full.
func fxBenchCall(b *testing.B, bw *ingestBenchWorld) []workflow.FXBulkAllocation {
	b.Helper()
	ctx := context.Background()
	bw.now = bw.now.Add(24 * time.Hour)
	in := bw.input()[:benchFXReceipts]
	for i := range in {
		in[i].Lines = in[i].Lines[:benchFXLines]
	}
	res, err := bw.svc.IngestTransactions(ctx, servicetest.Actor(b, bw.w, testkit.UserAgentX), in)
	if err != nil {
		b.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("bank_ref,payer,payer_country,currency,amount,value_date,beneficiary_uscc\n")
	refs := map[string]int{}
	for i, t := range res.Transactions {
		ref := fmt.Sprintf("BENCH-%s-%d", t.Transaction.Number, i)
		refs[ref] = i
		fmt.Fprintf(&csv, "%s,%s,AE,USD,%s,2026-11-28,%s\n", ref, bw.w.BuyerA.Name, t.Transaction.TotalAmount, bw.w.MerchantA.USCC)
	}
	st, err := bw.svc.ImportFXStatement(ctx, servicetest.Actor(b, bw.w, testkit.UserFX), "bench.csv", []byte(csv.String()))
	if err != nil || !st.OK() {
		b.Fatalf("statement: %+v, %v", st, err)
	}
	call := make([]workflow.FXBulkAllocation, len(st.Receipts))
	for k, r := range st.Receipts {
		t := res.Transactions[refs[r.BankRef]]
		a := workflow.FXBulkAllocation{ReceiptID: r.ID, Version: r.Version}
		for _, l := range t.Lines {
			a.Items = append(a.Items, workflow.FXAllocationItem{LineID: l.ID, Amount: l.Amount.String()})
		}
		call[k] = a
	}
	return call
}

// benchFX runs allocate on a fresh call of 1,000 receipts per operation and reports the time per
// receipt.
func benchFX(b *testing.B, allocate func(svc *workflow.Service, fx workflow.Actor, call []workflow.FXBulkAllocation) error) {
	bw := newIngestBenchWorld(b)
	fx := servicetest.Actor(b, bw.w, testkit.UserFX)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		call := fxBenchCall(b, bw)
		b.StartTimer()
		if err := allocate(bw.svc, fx, call); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchFXReceipts), "µs/receipt")
}

// BenchmarkAllocateFXBulk allocates 1,000 receipts × 10 lines in one AllocateFXBulk call.
func BenchmarkAllocateFXBulk(b *testing.B) {
	benchFX(b, func(svc *workflow.Service, fx workflow.Actor, call []workflow.FXBulkAllocation) error {
		res, err := svc.AllocateFXBulk(context.Background(), fx, call)
		if err == nil && res.Lines != benchFXReceipts*benchFXLines {
			err = fmt.Errorf("%d lines", res.Lines)
		}
		return err
	})
}

// BenchmarkAllocateFXSingle does the same work as BenchmarkAllocateFXBulk with 1,000
// AllocateFXReceipt calls, one per receipt (the path before the bulk API).
func BenchmarkAllocateFXSingle(b *testing.B) {
	benchFX(b, func(svc *workflow.Service, fx workflow.Actor, call []workflow.FXBulkAllocation) error {
		for _, a := range call {
			if _, err := svc.AllocateFXReceipt(context.Background(), fx, a.ReceiptID, workflow.FXAllocateInput{Version: a.Version, Items: a.Items}); err != nil {
				return err
			}
		}
		return nil
	})
}
