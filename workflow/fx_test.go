package workflow_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// fxWorld is the seeded world with the service and the FX officer.
type fxWorld struct {
	db  *gorm.DB
	w   *testkit.World
	svc *workflow.Service
	fx  workflow.Actor
}

func newFXWorld(t *testing.T, db *gorm.DB) *fxWorld {
	t.Helper()
	w := testkit.Seed(t, db)
	svc := servicetest.Service(t, db, nil)
	return &fxWorld{db: db, w: w, svc: svc, fx: servicetest.Actor(t, w, testkit.UserFX)}
}

// receiptInput is a valid receipt for merchant A from its buyer.
func (f *fxWorld) receiptInput(ref, amount string) workflow.FXReceiptInput {
	return workflow.FXReceiptInput{BankRef: ref, Payer: "Ahmed Al Mansouri", PayerCountry: "AE", Currency: "USD", Amount: amount,
		ValueDate: "2026-11-28", Beneficiary: f.w.MerchantA.USCC}
}

func (f *fxWorld) record(t *testing.T, in workflow.FXReceiptInput) *models.FXReceipt {
	t.Helper()
	r, err := f.svc.RecordFXReceipt(context.Background(), f.fx, in)
	if err != nil {
		t.Fatalf("record receipt %s: %v", in.BankRef, err)
	}
	return r
}

// exited marks a declaration exited on a date (the customs desk does it for real).
func (f *fxWorld) exited(t *testing.T, declID int64, date string) {
	t.Helper()
	if err := f.db.Model(&models.Declaration{}).Where("id = ?", declID).
		Updates(map[string]any{"status": models.DeclarationExited, "exit_date": date}).Error; err != nil {
		t.Fatal(err)
	}
}

func (f *fxWorld) line(t *testing.T, id int64) models.TransactionLine {
	t.Helper()
	var l models.TransactionLine
	if err := f.db.Where("id = ?", id).Take(&l).Error; err != nil {
		t.Fatal(err)
	}
	return l
}

func (f *fxWorld) receipt(t *testing.T, id int64) models.FXReceipt {
	t.Helper()
	var r models.FXReceipt
	if err := f.db.Where("id = ?", id).Take(&r).Error; err != nil {
		t.Fatal(err)
	}
	return r
}

// allocationSum is the sum of fx_allocations rows of a line.
func (f *fxWorld) allocationSum(t *testing.T, lineID int64) models.Money {
	t.Helper()
	var sum int64
	if err := f.db.Model(&models.FXAllocation{}).Select("COALESCE(CAST(SUM(amount) AS BIGINT), 0)").
		Where("transaction_line_id = ?", lineID).Scan(&sum).Error; err != nil {
		t.Fatal(err)
	}
	return models.Money(sum)
}

func (f *fxWorld) audits(t *testing.T, entity, action string) int64 {
	t.Helper()
	var n int64
	if err := f.db.Model(&models.AuditEntry{}).Where("entity = ? AND action = ?", entity, action).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func fxFieldsOf(err error) []string {
	var out []string
	for _, f := range apperr.As(err).Fields {
		out = append(out, f.Field)
	}
	return out
}

func fxAllocate(lines ...any) workflow.FXAllocateInput {
	var in workflow.FXAllocateInput
	for i := 0; i+1 < len(lines); i += 2 {
		in.Items = append(in.Items, workflow.FXAllocationItem{LineID: lines[i].(int64), Amount: lines[i+1].(string)})
	}
	return in
}

// TestFXRecordReceipt: a valid receipt is recorded, audited and notified to the beneficiary's
// users; every bad field is named with what to fix; duplicates and roles are refused.
func TestFXRecordReceipt(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		r := f.record(t, f.receiptInput(" fx-001 ", "12,500.5"))
		if r.BankRef != "FX-001" || r.Amount != 1_250_050 || r.BeneficiaryMerchantID == nil || *r.BeneficiaryMerchantID != f.w.MerchantA.ID ||
			r.Allocated != 0 || r.Flags != "" || r.RecordedByUserID == nil || r.Version != 1 {
			t.Fatalf("recorded %+v", r)
		}
		if n := f.audits(t, "fx_receipt", "create"); n != 1 {
			t.Fatalf("%d audit entries", n)
		}
		var notes int64
		db.Model(&models.Notification{}).Where("user_id = ? AND kind = ?", f.w.Users[testkit.UserMerchantA].ID, "fx.receipt_recorded").Count(&notes)
		if notes != 1 {
			t.Fatalf("merchant A got %d notifications", notes)
		}
		agentReceipt := f.receiptInput("FX-002", "10")
		agentReceipt.Beneficiary = f.w.AgentX.USCC
		if r := f.record(t, agentReceipt); r.BeneficiaryAgentID == nil || *r.BeneficiaryAgentID != f.w.AgentX.ID {
			t.Fatalf("agent receipt %+v", r)
		}
		old := f.receiptInput("FX-003", "10")
		old.ValueDate = "2026-09-01"
		if r := f.record(t, old); r.Flags != workflow.FXFlagUnallocated {
			t.Fatalf("old receipt flags %q", r.Flags)
		}

		for _, c := range []struct {
			name   string
			edit   func(in *workflow.FXReceiptInput)
			fields []string
		}{
			{"ErrEmpty", func(in *workflow.FXReceiptInput) { *in = workflow.FXReceiptInput{} },
				[]string{"bank_ref", "payer", "payer_country", "currency", "amount", "value_date", "beneficiary"}},
			{"ErrDuplicateBankRef", func(in *workflow.FXReceiptInput) { in.BankRef = "fx-001" }, []string{"bank_ref"}},
			{"ErrCountry", func(in *workflow.FXReceiptInput) { in.PayerCountry = "ARE" }, []string{"payer_country"}},
			{"ErrCurrency", func(in *workflow.FXReceiptInput) { in.Currency = "RMB" }, []string{"currency"}},
			{"ErrAmountZero", func(in *workflow.FXReceiptInput) { in.Amount = "0" }, []string{"amount"}},
			{"ErrAmountThreeDecimals", func(in *workflow.FXReceiptInput) { in.Amount = "1.234" }, []string{"amount"}},
			{"ErrFutureDate", func(in *workflow.FXReceiptInput) { in.ValueDate = "2026-11-30" }, []string{"value_date"}},
			{"ErrBadDate", func(in *workflow.FXReceiptInput) { in.ValueDate = "2026-02-30" }, []string{"value_date"}},
			{"ErrUnknownBeneficiary", func(in *workflow.FXReceiptInput) { in.Beneficiary = "91330782MA28X1Y2W9" }, []string{"beneficiary"}},
			{"ErrPendingMerchant", func(in *workflow.FXReceiptInput) { in.Beneficiary = f.w.Pending.USCC }, []string{"beneficiary"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				in := f.receiptInput("FX-NEW", "100")
				c.edit(&in)
				_, err := f.svc.RecordFXReceipt(ctx, f.fx, in)
				if apperr.CodeOf(err) != apperr.Invalid || strings.Join(fxFieldsOf(err), ",") != strings.Join(c.fields, ",") {
					t.Fatalf("err %v; fields %v, want %v", err, fxFieldsOf(err), c.fields)
				}
				for _, fe := range apperr.As(err).Fields {
					if fe.Text.En == "" || fe.Text.Zh == "" {
						t.Errorf("field %s has no text in both languages", fe.Field)
					}
				}
			})
		}
		for _, u := range []string{testkit.UserMerchantA, testkit.UserAgentX, testkit.UserAuditor, testkit.UserAdmin, testkit.UserCustoms} {
			if _, err := f.svc.RecordFXReceipt(ctx, servicetest.Actor(t, f.w, u), f.receiptInput("FX-ROLE", "1")); apperr.CodeOf(err) != apperr.Forbidden {
				t.Errorf("%s: %v, want forbidden", u, err)
			}
		}
	})
}

// TestFXStatementAllOrNothing: a statement with bad rows records nothing and names each row and
// column (duplicates in the file and among recorded receipts too); the corrected file records
// every row under one statement reference with one audit entry each.
func TestFXStatementAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		f.record(t, f.receiptInput("OLD-1", "5"))
		head := "bank_ref,payer,payer_country,currency,amount,value_date,beneficiary_uscc\n"
		a, x := f.w.MerchantA.USCC, f.w.AgentX.USCC
		bad := "\xef\xbb\xbf" + head +
			"ST-1,Ahmed Al Mansouri,AE,USD,1200.00,2026-11-28," + a + "\n" + // line 2: fine
			"ST-2,Ivan Petrov,RUS,USD,-5,2026-11-28," + a + "\n" + // line 3: country, amount
			"\n" + // line 4: blank, skipped
			"ST-1,Someone,AE,USD,10,2026-11-28," + a + "\n" + // line 5: duplicate of line 2
			"OLD-1,Someone,AE,USD,10,2026-12-01," + x + "\n" + // line 6: recorded before, future date
			"ST-6,Someone,AE,XXX,10,2026-11-28,92330782MA2J4K7L89\n" // line 7: currency, pending merchant
		res, err := f.svc.ImportFXStatement(ctx, f.fx, "statement.csv", []byte(bad))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"3 payer_country", "3 amount", "5 bank_ref", "6 value_date", "6 bank_ref", "7 currency", "7 beneficiary_uscc"}
		var got []string
		for _, e := range res.Errors {
			got = append(got, fmt.Sprintf("%d %s", e.Row, e.Column))
			if e.Text.En == "" || e.Text.Zh == "" {
				t.Errorf("row %d %s: no text", e.Row, e.Column)
			}
		}
		if res.OK() || res.Recorded != 0 || res.Rows != 5 || strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Fatalf("result %+v\nerrors %v\nwant   %v", res, got, want)
		}
		var n int64
		db.Model(&models.FXReceipt{}).Count(&n)
		if n != 1 {
			t.Fatalf("%d receipts after a refused statement", n)
		}

		good := head + "ST-1,Ahmed Al Mansouri,AE,USD,1200.00,2026-11-28," + a + "\n" +
			"ST-2,Ivan Petrov,RU,EUR,99.5,2026-10-01," + x + "\n"
		res, err = f.svc.ImportFXStatement(ctx, f.fx, "statement.csv", []byte(good))
		if err != nil || !res.OK() || res.Recorded != 2 || res.StatementRef != "ST202611290001" {
			t.Fatalf("good statement: %+v, %v", res, err)
		}
		var rs []models.FXReceipt
		db.Where("statement_ref = ?", res.StatementRef).Order("id").Find(&rs)
		if len(rs) != 2 || rs[1].BeneficiaryAgentID == nil || rs[1].Amount != 9_950 || rs[1].Flags != workflow.FXFlagUnallocated {
			t.Fatalf("recorded %+v", rs)
		}
		if n := f.audits(t, "fx_receipt", "create"); n != 3 {
			t.Fatalf("%d create audit entries, want 3", n)
		}

		for _, c := range []struct {
			name, file, data string
		}{
			{"ErrMissingColumns", "s.csv", "bank_ref,payer\nX,Y\n"},
			{"ErrEmpty", "s.csv", ""},
			{"ErrNotCSV", "s.xlsx", head},
			{"ErrHeaderOnly", "s.csv", head},
			{"ErrNotUTF8", "s.csv", head + "A,\xff\xfe,AE,USD,1,2026-11-28," + a + "\n"},
			{"ErrTooManyRows", "s.csv", head + strings.Repeat("A,B,AE,USD,1,2026-11-28,"+a+"\n", workflow.MaxStatementRows+1)},
		} {
			t.Run(c.name, func(t *testing.T) {
				res, err := f.svc.ImportFXStatement(ctx, f.fx, c.file, []byte(c.data))
				if err != nil || res.Problem.IsZero() || res.Recorded != 0 {
					t.Fatalf("%+v, %v", res, err)
				}
			})
		}
	})
}

// TestFXSuggestions: the open lines of the beneficiary in the receipt's currency, the buyer's
// lines first, amounts pre-filled up to the receipt; other merchants' lines never.
func TestFXSuggestions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		byA := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{}) // 1,200.00 and 800.00 to buyer A
		byB := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{BuyerID: f.w.BuyerB.ID, Lines: []servicetest.Line{{Amount: 50_000}}})
		servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{Currency: "EUR", Lines: []servicetest.Line{{Amount: 50_000}}})
		servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{MerchantID: f.w.MerchantB.ID, BuyerID: f.w.BuyerB.ID,
			AgentID: f.w.AgentY.ID, AgentUser: testkit.UserAgentY})
		r := f.record(t, f.receiptInput("FX-S1", "1500"))
		set, err := f.svc.FXSuggestions(ctx, f.fx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range set.Suggestions {
			got = append(got, fmt.Sprintf("%s:%v:%s", s.TraceCode, s.BuyerMatch, s.Prefill))
		}
		want := []string{byA.Lines[0].TraceCode + ":true:1200.00", byA.Lines[1].TraceCode + ":true:300.00", byB.Lines[0].TraceCode + ":false:0.00"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("suggestions %v\nwant %v", got, want)
		}
		// an agent beneficiary: the lines of merchants in its declarations
		agentIn := f.receiptInput("FX-S2", "500")
		agentIn.Beneficiary = f.w.AgentY.USCC
		ra := f.record(t, agentIn)
		set, err = f.svc.FXSuggestions(ctx, f.fx, ra.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range set.Suggestions {
			if s.MerchantID != f.w.MerchantB.ID {
				t.Fatalf("agent Y's receipt suggests merchant %d's line %s", s.MerchantID, s.TraceCode)
			}
		}
		if len(set.Suggestions) != 2 {
			t.Fatalf("%d suggestions for agent Y", len(set.Suggestions))
		}
		if _, err := f.svc.FXSuggestions(ctx, servicetest.Actor(t, f.w, testkit.UserMerchantA), r.ID); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("merchant asked for suggestions: %v", err)
		}
	})
}

// TestFXAllocate: allocation moves both counters, flags payer and export, adds to the same row
// when confirmed twice, and refuses other currencies, other merchants' lines, too much for a
// line or the receipt, and a stale version.
func TestFXAllocate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		tr := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{})
		eur := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{Currency: "EUR", Lines: []servicetest.Line{{Amount: 10_000}}})
		other := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{MerchantID: f.w.MerchantB.ID, BuyerID: f.w.BuyerB.ID,
			AgentID: f.w.AgentY.ID, AgentUser: testkit.UserAgentY})
		l1, l2 := tr.Lines[0], tr.Lines[1]
		f.exited(t, tr.Declaration.ID, "2026-11-25")

		r := f.record(t, f.receiptInput("FX-A1", "1000")) // value date 2026-11-28: after the exit
		res, err := f.svc.AllocateFXReceipt(ctx, f.fx, r.ID, workflow.FXAllocateInput{Version: r.Version,
			Items: []workflow.FXAllocationItem{{TraceCode: strings.ToLower(l1.TraceCode), Amount: "600"}, {LineID: l2.ID, Amount: "100.50"}}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != 70_050 || res.Receipt.Allocated != 70_050 || res.Receipt.Version != 2 || res.Receipt.Flags != "" {
			t.Fatalf("result %+v", res.Receipt)
		}
		if got := f.line(t, l1.ID).FXAllocated; got != 60_000 {
			t.Fatalf("line 1 allocated %s", got)
		}
		// the same receipt and line again: added to the row
		if _, err := f.svc.AllocateFXReceipt(ctx, f.fx, r.ID, fxAllocate(l1.ID, "200")); err != nil {
			t.Fatal(err)
		}
		var rows []models.FXAllocation
		db.Where("receipt_id = ?", r.ID).Order("transaction_line_id").Find(&rows)
		if len(rows) != 2 || rows[0].Amount != 80_000 || rows[0].PayerMismatch || rows[0].BeforeExport {
			t.Fatalf("allocation rows %+v", rows)
		}
		if n := f.audits(t, "fx_receipt", "allocate"); n != 2 {
			t.Fatalf("%d allocate audits", n)
		}
		var note int64
		db.Model(&models.Notification{}).Where("user_id = ? AND kind = ?", f.w.Users[testkit.UserMerchantA].ID, "fx.receipt_allocated").Count(&note)
		if note != 2 {
			t.Fatalf("%d allocation notifications", note)
		}

		// a payer who is not the buyer, money before the exit of a line not yet exited
		other2 := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{})
		in := f.receiptInput("FX-A2", "50")
		in.Payer = "Gulf Trading FZE"
		r2 := f.record(t, in)
		if _, err := f.svc.AllocateFXReceipt(ctx, f.fx, r2.ID, fxAllocate(other2.Lines[0].ID, "50")); err != nil {
			t.Fatal(err)
		}
		var a2 models.FXAllocation
		db.Where("receipt_id = ?", r2.ID).Take(&a2)
		if !a2.PayerMismatch || !a2.BeforeExport || f.receipt(t, r2.ID).Flags != "payer_mismatch,before_export" {
			t.Fatalf("flags: allocation %+v receipt %q", a2, f.receipt(t, r2.ID).Flags)
		}

		cur := f.receipt(t, r.ID)
		for _, c := range []struct {
			name   string
			in     workflow.FXAllocateInput
			code   apperr.Code
			fields []string
		}{
			{"ErrNothing", workflow.FXAllocateInput{}, apperr.Invalid, []string{"allocations"}},
			{"ErrOtherCurrency", fxAllocate(eur.Lines[0].ID, "1"), apperr.Invalid, []string{"allocations[0].line"}},
			{"ErrOtherMerchant", fxAllocate(other.Lines[0].ID, "1"), apperr.Invalid, []string{"allocations[0].line"}},
			{"ErrTwice", fxAllocate(l2.ID, "1", l2.ID, "1"), apperr.Invalid, []string{"allocations[1].line"}},
			{"ErrAmount", fxAllocate(l2.ID, "0.001"), apperr.Invalid, []string{"allocations[0].amount"}},
			{"ErrMoreThanLine", fxAllocate(l1.ID, "400.01"), apperr.Conflict, nil},
			{"ErrMoreThanReceipt", fxAllocate(l2.ID, "199.51"), apperr.Invalid, []string{"allocations"}},
			{"ErrStaleVersion", workflow.FXAllocateInput{Version: cur.Version - 1, Items: fxAllocate(l2.ID, "1").Items}, apperr.Conflict, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.svc.AllocateFXReceipt(ctx, f.fx, r.ID, c.in)
				if apperr.CodeOf(err) != c.code || strings.Join(fxFieldsOf(err), ",") != strings.Join(c.fields, ",") {
					t.Fatalf("err %v; fields %v", err, fxFieldsOf(err))
				}
			})
		}
		if got := f.receipt(t, r.ID); got.Allocated != 90_050 || got.Version != cur.Version {
			t.Fatalf("refused allocations changed the receipt: %+v", got)
		}
	})
}

// TestFXConcurrentAllocationsNeverOverAllocate: eight receipts allocated to the same line at
// once (run with -race): the line never holds more than its amount, fx_allocated equals the sum
// of its allocation rows, every loser gets a conflict naming the line, and each receipt's
// allocated equals its rows. Then eight confirmations of one receipt to different lines: the
// receipt never allocates more than its amount.
func TestFXConcurrentAllocationsNeverOverAllocate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		tr := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{Lines: []servicetest.Line{{Amount: 100_000}}}) // 1,000.00
		line := tr.Lines[0]
		const n = 8
		receipts := make([]*models.FXReceipt, n)
		for i := range receipts {
			receipts[i] = f.record(t, f.receiptInput(fmt.Sprintf("FX-C%d", i), "300"))
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = f.svc.AllocateFXReceipt(ctx, f.fx, receipts[i].ID, fxAllocate(line.ID, "300"))
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case apperr.CodeOf(err) == apperr.Conflict && strings.Contains(err.Error(), line.TraceCode):
			default:
				t.Errorf("receipt %d: %v", i, err)
			}
		}
		got := f.line(t, line.ID)
		if won != 3 || got.FXAllocated != 90_000 || f.allocationSum(t, line.ID) != got.FXAllocated {
			t.Fatalf("%d won; line allocated %s of %s, rows sum %s", won, got.FXAllocated, got.Amount, f.allocationSum(t, line.ID))
		}
		for _, r := range receipts {
			var sum int64
			db.Model(&models.FXAllocation{}).Select("COALESCE(CAST(SUM(amount) AS BIGINT), 0)").Where("receipt_id = ?", r.ID).Scan(&sum)
			if got := f.receipt(t, r.ID); int64(got.Allocated) != sum {
				t.Fatalf("receipt %s allocated %s, rows %d", got.BankRef, got.Allocated, sum)
			}
		}

		// one receipt of 500.00, eight confirmations of 100.00 each to different lines at once
		var specs []servicetest.Line
		for range n {
			specs = append(specs, servicetest.Line{Amount: 100_000})
		}
		many := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{Lines: specs})
		one := f.record(t, f.receiptInput("FX-ONE", "500"))
		start = make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = f.svc.AllocateFXReceipt(ctx, f.fx, one.ID, fxAllocate(many.Lines[i].ID, "100"))
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil && apperr.CodeOf(err) != apperr.Conflict && apperr.CodeOf(err) != apperr.Invalid {
				t.Errorf("confirmation %d: %v", i, err)
			}
		}
		r := f.receipt(t, one.ID)
		var sum int64
		db.Model(&models.FXAllocation{}).Select("COALESCE(CAST(SUM(amount) AS BIGINT), 0)").Where("receipt_id = ?", one.ID).Scan(&sum)
		if r.Allocated > r.Amount || int64(r.Allocated) != sum || r.Allocated == 0 {
			t.Fatalf("receipt allocated %s of %s, rows %d", r.Allocated, r.Amount, sum)
		}
	})
}

// TestFXReverse: a reversal with a reason gives the amount back to the line and the receipt,
// removes the row, recomputes the flags and is audited; without a reason it is refused.
func TestFXReverse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		tr := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{})
		in := f.receiptInput("FX-R1", "500")
		in.Payer = "Somebody Else"
		r := f.record(t, in)
		if _, err := f.svc.AllocateFXReceipt(ctx, f.fx, r.ID, fxAllocate(tr.Lines[0].ID, "500")); err != nil {
			t.Fatal(err)
		}
		var a models.FXAllocation
		db.Where("receipt_id = ?", r.ID).Take(&a)
		if _, err := f.svc.ReverseFXAllocation(ctx, f.fx, r.ID, a.ID, workflow.FXReverseInput{Reason: "  "}); strings.Join(fxFieldsOf(err), ",") != "reason" {
			t.Fatalf("no reason: %v", err)
		}
		if _, err := f.svc.ReverseFXAllocation(ctx, servicetest.Actor(t, f.w, testkit.UserAuditor), r.ID, a.ID,
			workflow.FXReverseInput{Reason: "x"}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("auditor reversed: %v", err)
		}
		got, err := f.svc.ReverseFXAllocation(ctx, f.fx, r.ID, a.ID, workflow.FXReverseInput{Version: f.receipt(t, r.ID).Version, Reason: "wrong line"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Allocated != 0 || got.Flags != "" || f.line(t, tr.Lines[0].ID).FXAllocated != 0 || f.allocationSum(t, tr.Lines[0].ID) != 0 {
			t.Fatalf("after reversal: receipt %+v line %s", got, f.line(t, tr.Lines[0].ID).FXAllocated)
		}
		var e models.AuditEntry
		db.Where("entity = ? AND action = ?", "fx_receipt", "reverse_allocation").Take(&e)
		if !strings.Contains(e.NewJSON, "wrong line") || !strings.Contains(e.OldJSON, `"amount":"500.00"`) {
			t.Fatalf("audit %s → %s", e.OldJSON, e.NewJSON)
		}
		if _, err := f.svc.ReverseFXAllocation(ctx, f.fx, r.ID, a.ID, workflow.FXReverseInput{Reason: "again"}); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("second reversal: %v", err)
		}
		d, err := f.svc.FXReceipt(ctx, f.fx, r.ID)
		if err != nil || len(d.History) != 3 || d.History[2].Reason != "wrong line" || d.History[2].OldAllocated != "500.00" {
			t.Fatalf("history %+v, %v", d, err)
		}
	})
}

// TestFXScoping: a merchant sees receipts to itself and those paying its lines, never another
// merchant's (not found); an agent its own and those paying lines of merchants entrusting it.
func TestFXScoping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		tr := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{})
		toA := f.record(t, f.receiptInput("FX-SA", "100"))
		agentIn := f.receiptInput("FX-SX", "100")
		agentIn.Beneficiary = f.w.AgentX.USCC
		toX := f.record(t, agentIn)
		if _, err := f.svc.AllocateFXReceipt(ctx, f.fx, toX.ID, fxAllocate(tr.Lines[0].ID, "60")); err != nil {
			t.Fatal(err)
		}
		sees := map[string][]string{
			testkit.UserMerchantA: {"FX-SA", "FX-SX"},
			testkit.UserMerchantB: nil,
			testkit.UserPending:   nil,
			testkit.UserAgentX:    {"FX-SX"}, // not FX-SA: merchant A's, and not allocated
			testkit.UserAgentY:    nil,
			testkit.UserFX:        {"FX-SA", "FX-SX"},
			testkit.UserAuditor:   {"FX-SA", "FX-SX"},
			testkit.UserAdmin:     {"FX-SA", "FX-SX"},
		}
		for u, want := range sees {
			actor := servicetest.Actor(t, f.w, u)
			list, err := f.svc.FXReceipts(ctx, actor, workflow.FXReceiptFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range list.Rows {
				got = append(got, r.BankRef)
			}
			if strings.Join(fxSorted(got), ",") != strings.Join(want, ",") {
				t.Errorf("%s sees %v, want %v", u, got, want)
			}
			for _, id := range []int64{toA.ID, toX.ID} {
				_, err := f.svc.FXReceipt(ctx, actor, id)
				visible := false
				for _, r := range list.Rows {
					visible = visible || r.ID == id
				}
				if visible != (err == nil) || (err != nil && apperr.CodeOf(err) != apperr.NotFound) {
					t.Errorf("%s reads receipt %d: %v (listed %v)", u, id, err, visible)
				}
			}
		}
		d, err := f.svc.FXReceipt(ctx, servicetest.Actor(t, f.w, testkit.UserMerchantA), toX.ID)
		if err != nil || d.Own || len(d.Allocations) != 1 || d.History != nil {
			t.Fatalf("merchant A on agent X's receipt: %+v, %v", d, err)
		}
		list, _ := f.svc.FXReceipts(ctx, servicetest.Actor(t, f.w, testkit.UserMerchantA), workflow.FXReceiptFilter{})
		for _, r := range list.Rows {
			if r.BankRef == "FX-SX" && (r.Own || r.Mine != 6_000) {
				t.Fatalf("merchant A's share of FX-SX: %+v", r)
			}
		}
		if _, err := f.svc.FXReceipts(ctx, servicetest.Actor(t, f.w, testkit.UserCustoms), workflow.FXReceiptFilter{}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("customs listed receipts: %v", err)
		}
	})
}

// TestFXListFilters: flags, currency, unallocated, beneficiary and statement filters.
func TestFXListFilters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		tr := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{})
		old := f.receiptInput("FX-OLD", "100")
		old.ValueDate = "2026-09-01"
		f.record(t, old)
		eur := f.receiptInput("FX-EUR", "100")
		eur.Currency, eur.Beneficiary = "EUR", f.w.MerchantB.USCC
		f.record(t, eur)
		mis := f.receiptInput("FX-MIS", "100")
		mis.Payer = "Other Payer"
		rm := f.record(t, mis)
		if _, err := f.svc.AllocateFXReceipt(ctx, f.fx, rm.ID, fxAllocate(tr.Lines[0].ID, "100")); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			f    workflow.FXReceiptFilter
			want string
		}{
			{"All", workflow.FXReceiptFilter{}, "FX-EUR,FX-MIS,FX-OLD"},
			{"FlagUnallocated", workflow.FXReceiptFilter{Flag: workflow.FXFlagUnallocated}, "FX-OLD"},
			{"FlagPayer", workflow.FXReceiptFilter{Flag: workflow.FXFlagPayerMismatch}, "FX-MIS"},
			{"FlagBeforeExport", workflow.FXReceiptFilter{Flag: workflow.FXFlagBeforeExport}, "FX-MIS"},
			{"Currency", workflow.FXReceiptFilter{Currency: "eur"}, "FX-EUR"},
			{"UnallocatedOnly", workflow.FXReceiptFilter{Unallocated: true}, "FX-EUR,FX-OLD"},
			{"BeneficiaryName", workflow.FXReceiptFilter{Beneficiary: "福田乙"}, "FX-EUR"},
			{"BeneficiaryUSCC", workflow.FXReceiptFilter{Beneficiary: strings.ToLower(f.w.MerchantA.USCC)}, "FX-MIS,FX-OLD"},
		} {
			t.Run(c.name, func(t *testing.T) {
				list, err := f.svc.FXReceipts(ctx, f.fx, c.f)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range list.Rows {
					got = append(got, r.BankRef)
				}
				if strings.Join(fxSorted(got), ",") != c.want {
					t.Fatalf("got %v, want %s", got, c.want)
				}
			})
		}
		if _, err := f.svc.FXReceipts(ctx, f.fx, workflow.FXReceiptFilter{Flag: "nope", Currency: "XX"}); strings.Join(fxFieldsOf(err), ",") != "flag,currency" {
			t.Fatalf("bad filter: %v", err)
		}
	})
}

// TestFXBalances: exported value counts lines of exited declarations; received counts every
// allocation; outstanding what exported lines still wait for; unallocated money per beneficiary.
func TestFXBalances(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFXWorld(t, db)
		ctx := context.Background()
		exp := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{}) // 2,000.00 exported
		f.exited(t, exp.Declaration.ID, "2026-11-20")
		pre := servicetest.Submitted(t, f.svc, db, f.w, servicetest.TradeSpec{Lines: []servicetest.Line{{Amount: 30_000}}}) // not exited
		r := f.record(t, f.receiptInput("FX-B1", "1000"))
		if _, err := f.svc.AllocateFXReceipt(ctx, f.fx, r.ID, fxAllocate(exp.Lines[0].ID, "500", pre.Lines[0].ID, "300")); err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.FXBalances(ctx, f.fx, workflow.FXBalanceFilter{By: workflow.FXByMerchant})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Rows) != 1 {
			t.Fatalf("rows %+v", list.Rows)
		}
		m := list.Rows[0]
		if m.ID != f.w.MerchantA.ID || m.Exported != 200_000 || m.Received != 80_000 || m.Outstanding != 150_000 {
			t.Fatalf("merchant balance %+v", m)
		}
		list, err = f.svc.FXBalances(ctx, servicetest.Actor(t, f.w, testkit.UserAuditor), workflow.FXBalanceFilter{By: workflow.FXByBuyer})
		if err != nil || len(list.Rows) != 1 || list.Rows[0].ID != f.w.BuyerA.ID || list.Rows[0].Outstanding != 150_000 {
			t.Fatalf("buyer balances %+v, %v", list, err)
		}
		list, err = f.svc.FXBalances(ctx, f.fx, workflow.FXBalanceFilter{By: workflow.FXByBeneficiary})
		if err != nil || len(list.Rows) != 1 || list.Rows[0].Unallocated != 20_000 || list.Rows[0].Overdue != 0 {
			t.Fatalf("beneficiary balances %+v, %v", list, err)
		}
		if _, err := f.svc.FXBalances(ctx, servicetest.Actor(t, f.w, testkit.UserMerchantA), workflow.FXBalanceFilter{}); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("merchant read balances: %v", err)
		}
	})
}

func fxSorted(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}
