package workflow_test

import (
	"context"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

func TestCheckLineFigures(t *testing.T) {
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	ok := workflow.LineInput{Quantity: "1,200", UnitPrice: "0.0035", Cartons: "2", NetKg: "9.6", GrossKg: "10.4"}
	with := func(f func(*workflow.LineInput)) workflow.LineInput { in := ok; f(&in); return in }
	for _, tc := range []struct {
		name  string
		in    workflow.LineInput
		field string
	}{
		{"OK", ok, ""},
		{"OKUnitByName", with(func(in *workflow.LineInput) { in.Unit = "个" }), ""},
		{"OKFullWidthDigits", with(func(in *workflow.LineInput) { in.Quantity = "１２０" }), ""},
		{"ErrNoQuantity", with(func(in *workflow.LineInput) { in.Quantity = "" }), workflow.LineFieldQuantity},
		{"ErrQuantityFourDecimals", with(func(in *workflow.LineInput) { in.Quantity = "1.2345" }), workflow.LineFieldQuantity},
		{"ErrQuantityZero", with(func(in *workflow.LineInput) { in.Quantity = "0" }), workflow.LineFieldQuantity},
		{"ErrQuantityExponent", with(func(in *workflow.LineInput) { in.Quantity = "1e3" }), workflow.LineFieldQuantity},
		{"ErrPriceFiveDecimals", with(func(in *workflow.LineInput) { in.UnitPrice = "0.00035" }), workflow.LineFieldUnitPrice},
		{"ErrPriceWithCurrency", with(func(in *workflow.LineInput) { in.UnitPrice = "$1.20" }), workflow.LineFieldUnitPrice},
		{"ErrAmountRoundsToZero", with(func(in *workflow.LineInput) { in.Quantity = "1"; in.UnitPrice = "0.0001" }), workflow.LineFieldUnitPrice},
		{"ErrUnit", with(func(in *workflow.LineInput) { in.Unit = "999" }), workflow.LineFieldUnit},
		{"ErrCartonsFraction", with(func(in *workflow.LineInput) { in.Cartons = "1.5" }), workflow.LineFieldCartons},
		{"ErrCartonsMissing", with(func(in *workflow.LineInput) { in.Cartons = "" }), workflow.LineFieldCartons},
		{"ErrNetZero", with(func(in *workflow.LineInput) { in.NetKg = "0" }), workflow.LineFieldNetKg},
		{"ErrGrossBelowNet", with(func(in *workflow.LineInput) { in.GrossKg = "9.5" }), workflow.LineFieldGrossKg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, fe := workflow.CheckLineFigures(ref, tc.in, "007")
			if tc.field == "" {
				if len(fe) > 0 {
					t.Fatalf("problems: %v", fe.Err())
				}
				if l.Amount != models.LineAmount(l.Quantity, l.UnitPrice) || l.Unit != "007" {
					t.Errorf("line %+v", l)
				}
				return
			}
			wantTxnErr(t, fe.Err(), apperr.Invalid, tc.field)
		})
	}
}

// TestAddLineComputesAmountsAndTotals: amounts are quantity × unit price computed on the server,
// totals are the sums of the lines, every line gets its own valid trace code, and each change
// moves the version on.
func TestAddLineComputesAmountsAndTotals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		tr := w.draft(t, testkit.UserMerchantA)
		r1 := w.addLine(t, testkit.UserMerchantA, tr, workflow.LineInput{GoodsID: w.EarringsA.ID, Quantity: "1200", UnitPrice: "0.0035",
			Cartons: "2", NetKg: "9.6", GrossKg: "10.4"})
		if r1.Line.Amount != 420 || r1.Line.Unit != "025" || r1.Transaction.Version != tr.Version+1 {
			t.Fatalf("line 1: %+v / %+v", r1.Line.TransactionLine, r1.Transaction)
		}
		r2 := w.addLine(t, testkit.UserMerchantA, r1.Transaction, workflow.LineInput{GoodsID: w.CupA.ID, Quantity: "33.333", UnitPrice: "1.2345",
			Unit: "个", Cartons: "1", NetKg: "3", GrossKg: "3.25"})
		wantAmount := models.LineAmount(33333, 12345)
		if r2.Line.Amount != wantAmount || r2.Line.LineNo != 2 {
			t.Fatalf("line 2: %+v", r2.Line.TransactionLine)
		}
		got := w.reload(t, tr.ID)
		if got.TotalAmount != 420+wantAmount || got.LineCount != 2 || got.TotalCartons != 3 || got.TotalNetGrams != 12600 || got.TotalGrossGrams != 13650 {
			t.Errorf("totals %+v", got)
		}
		ls := w.lines(t, tr.ID)
		if !workflow.ValidTraceCode(ls[0].TraceCode) || !workflow.ValidTraceCode(ls[1].TraceCode) || ls[0].TraceCode == ls[1].TraceCode {
			t.Errorf("trace codes %q %q", ls[0].TraceCode, ls[1].TraceCode)
		}

		up, err := w.svc.UpdateLine(ctx, a, tr.ID, ls[0].ID, got.Version, workflow.LineInput{GoodsID: w.EarringsA.ID, Quantity: "10",
			UnitPrice: "2", Cartons: "1", NetKg: "1", GrossKg: "1"})
		wantTxnErr(t, err, "", "")
		if up.Line.TraceCode != ls[0].TraceCode || up.Line.LineNo != 1 || up.Transaction.TotalAmount != 2000+wantAmount {
			t.Errorf("update: %+v / %+v", up.Line.TransactionLine, up.Transaction)
		}
		del, err := w.svc.DeleteLine(ctx, a, tr.ID, ls[1].ID, up.Transaction.Version)
		wantTxnErr(t, err, "", "")
		if del.Transaction.TotalAmount != 2000 || del.Transaction.LineCount != 1 {
			t.Errorf("delete: %+v", del.Transaction)
		}
		var n int64
		db.Model(&models.AuditEntry{}).Where("entity = ? AND entity_id = ? AND action LIKE ?", "transaction", txnItoa(tr.ID), "line_%").Count(&n)
		if n != 4 {
			t.Errorf("%d line audit entries, want 4", n)
		}
	})
}

func TestAddLineRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		tr := w.draft(t, testkit.UserMerchantA)
		for _, tc := range []struct {
			name    string
			version int64
			in      workflow.LineInput
			code    apperr.Code
			field   string
		}{
			{"ErrOtherMerchantsGoods", tr.Version, txnOKLine(w.BearB.ID), apperr.NotFound, ""},
			{"ErrOtherMerchantsSKU", tr.Version, workflow.LineInput{SKU: "BEAR-001", Quantity: "1", UnitPrice: "1", Cartons: "1", NetKg: "1", GrossKg: "1"}, apperr.Invalid, workflow.LineFieldSKU},
			{"ErrPendingGoods", tr.Version, txnOKLine(w.PendingA.ID), apperr.Invalid, workflow.LineFieldGoods},
			{"ErrNoGoods", tr.Version, txnOKLine(0), apperr.Invalid, workflow.LineFieldGoods},
			{"ErrGrossBelowNet", tr.Version, workflow.LineInput{GoodsID: w.CupA.ID, Quantity: "1", UnitPrice: "1", Cartons: "1", NetKg: "2", GrossKg: "1"}, apperr.Invalid, workflow.LineFieldGrossKg},
			{"ErrStaleVersion", tr.Version + 5, txnOKLine(w.CupA.ID), apperr.Conflict, ""},
			{"ErrNoVersion", 0, txnOKLine(w.CupA.ID), apperr.Invalid, "version"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := w.svc.AddLine(ctx, a, tr.ID, tc.version, tc.in)
				wantTxnErr(t, err, tc.code, tc.field)
			})
		}
		if n := len(w.lines(t, tr.ID)); n != 0 {
			t.Errorf("%d lines written", n)
		}
		t.Run("OKBySKU", func(t *testing.T) {
			_, err := w.svc.AddLine(ctx, a, tr.ID, tr.Version, workflow.LineInput{SKU: "cup-002", Quantity: "1", UnitPrice: "1", Cartons: "1", NetKg: "1", GrossKg: "1"})
			wantTxnErr(t, err, apperr.Invalid, workflow.LineFieldSKU) // SKUs are exact
			_, err = w.svc.AddLine(ctx, a, tr.ID, tr.Version, workflow.LineInput{SKU: "CUP-002", Quantity: "1", UnitPrice: "1", Cartons: "1", NetKg: "1", GrossKg: "1"})
			wantTxnErr(t, err, "", "")
		})
	})
}

func TestDeleteLastLineOfRegisteredIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		tr := w.registered(t, 1)
		_, err := w.svc.DeleteLine(context.Background(), w.actor(t, testkit.UserMerchantA), tr.ID, w.lines(t, tr.ID)[0].ID, tr.Version)
		wantTxnErr(t, err, apperr.Conflict, "")
	})
}

func txnItoa(id int64) string { return strconv.FormatInt(id, 10) }
