package workflow_test

import (
	"context"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// flowRecords writes what the later steps of the flow would write for one line: a declaration
// (in status, exited on exitDate), its item and correspondence, and an FX allocation of paid.
func (w *txnWorld) flowRecords(t testing.TB, line models.TransactionLine, c models.Consolidation, status, exitDate string, paid models.Money) models.Declaration {
	t.Helper()
	seq := line.ID
	d := models.Declaration{PreEntryNo: "29332026" + "0" + txnPadID(seq), ConsolidationID: c.ID, AgentID: w.AgentX.ID, BuyerID: w.BuyerA.ID,
		Status: status, SupervisionMode: "1039", Currency: "USD", ExitDate: exitDate, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	txnMust(t, w.db.Create(&d).Error)
	item := models.DeclarationItem{DeclarationID: d.ID, ItemNo: 1, Kind: models.ItemSingle, HSCode: "7117190000", Chapter: "71",
		Name: "合金耳环", CreatedAt: testkit.Now}
	txnMust(t, w.db.Create(&item).Error)
	txnMust(t, w.db.Create(&models.DeclarationItemLine{DeclarationItemID: item.ID, TransactionLineID: line.ID, Value: line.Amount}).Error)
	if paid > 0 {
		merchant := w.MerchantA.ID
		r := models.FXReceipt{BankRef: "BR" + txnPadID(seq), PayerName: "Ahmed Al Mansouri", Currency: "USD", Amount: paid, Allocated: paid,
			ValueDate: txnDay, BeneficiaryMerchantID: &merchant, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		txnMust(t, w.db.Create(&r).Error)
		txnMust(t, w.db.Create(&models.FXAllocation{ReceiptID: r.ID, TransactionLineID: line.ID, Amount: paid, CreatedAt: testkit.Now}).Error)
	}
	return d
}

func txnPadID(id int64) string {
	s := txnItoa(id)
	for len(s) < 9 {
		s = "0" + s
	}
	return s
}

func txnMust(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMerchantDashboard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		shipped := w.registered(t, 2)
		c := w.consolidate(t, shipped.ID)
		ls := w.lines(t, shipped.ID)
		decl := w.flowRecords(t, ls[0], c, models.DeclarationExited, "2026-10-15", ls[0].Amount)
		draft := w.draft(t, testkit.UserMerchantA)

		d, err := w.svc.MerchantDashboard(ctx, a, workflow.DashboardFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Total != 2 || len(d.Transactions) != 2 || d.Transactions[0].ID != draft.ID {
			t.Fatalf("transactions %+v", d.Transactions)
		}
		lines := d.Transactions[1].Lines
		if len(lines) != 2 || lines[0].Progress.Stage != workflow.StepPaid || lines[1].Progress.Stage != workflow.StepRegistered {
			t.Errorf("stages %q %q", lines[0].Progress.Stage, lines[1].Progress.Stage)
		}
		if d.DraftCount != 1 || d.UndocumentedN != 2 || d.Drafts[0].TransactionID != draft.ID {
			t.Errorf("actions: drafts %d %+v, undocumented %d", d.DraftCount, d.Drafts, d.UndocumentedN)
		}
		if len(d.FilingsDue) != 1 || d.FilingsDue[0].Period != "2026-10" || d.FilingsDue[0].DueDate != "2026-11-15" ||
			!d.FilingsDue[0].Overdue || d.FilingsDue[0].Lines != 1 {
			t.Errorf("filings due %+v", d.FilingsDue)
		}

		for _, tc := range []struct {
			stage string
			want  int64
		}{
			{workflow.StepExited, 1}, {workflow.StepPaid, 1}, {workflow.StepVATFiled, 0},
			{workflow.FilterAwaitingConsolidation, 1}, {workflow.FilterUnpaid, 1}, {workflow.FilterNotFiled, 1},
		} {
			got, err := w.svc.MerchantDashboard(ctx, a, workflow.DashboardFilter{Stage: tc.stage})
			if err != nil || got.Total != tc.want {
				t.Errorf("stage %s: %v, %d transactions, want %d", tc.stage, err, got.Total, tc.want)
			}
		}

		// A moved due day and then the filing itself.
		txnMust(t, db.Create(&models.TaxDueDay{Month: "2026-11", Day: 20, UpdatedAt: testkit.Now}).Error)
		d, _ = w.svc.MerchantDashboard(ctx, a, workflow.DashboardFilter{})
		if len(d.FilingsDue) != 1 || d.FilingsDue[0].DueDate != "2026-11-20" {
			t.Errorf("moved due day: %+v", d.FilingsDue)
		}
		f := models.TaxFiling{Number: "TF1", MerchantID: w.MerchantA.ID, Period: "2026-10", DueDate: "2026-11-20", Status: models.FilingFiled,
			Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		txnMust(t, db.Create(&f).Error)
		txnMust(t, db.Create(&models.TaxFilingLine{FilingID: f.ID, TransactionLineID: ls[0].ID, DeclarationID: decl.ID, Currency: "USD",
			Amount: ls[0].Amount, AmountCNY: ls[0].Amount * 7}).Error)
		d, _ = w.svc.MerchantDashboard(ctx, a, workflow.DashboardFilter{})
		if len(d.FilingsDue) != 0 || d.Transactions[1].Lines[0].Progress.Stage != workflow.StepVATFiled {
			t.Errorf("after filing: %+v, stage %s", d.FilingsDue, d.Transactions[1].Lines[0].Progress.Stage)
		}

		other, err := w.svc.MerchantDashboard(ctx, w.actor(t, testkit.UserMerchantB), workflow.DashboardFilter{})
		if err != nil || other.Total != 0 || other.DraftCount != 0 || len(other.FilingsDue) != 0 {
			t.Errorf("merchant B sees A's trade: %v %+v", err, other)
		}
		if _, err := w.svc.MerchantDashboard(ctx, w.actor(t, testkit.UserCustoms), workflow.DashboardFilter{}); err == nil {
			t.Error("customs sees the merchant dashboard")
		}
	})
}

// TestDashboardQueriesDoNotGrowWithLines: the dashboard reads each table once per page, however
// many transactions and lines the page holds (no query per line).
func TestDashboardQueriesDoNotGrowWithLines(t *testing.T) {
	db := dbtest.SQLite(t)
	w := newTxnWorld(t, db)
	ctx := context.Background()
	a := w.actor(t, testkit.UserMerchantA)
	var queries atomic.Int64
	count := func(*gorm.DB) { queries.Add(1) }
	txnMust(t, db.Callback().Query().After("gorm:query").Register("test:count_query", count))
	txnMust(t, db.Callback().Row().After("gorm:row").Register("test:count_row", count))
	measure := func() int64 {
		queries.Store(0)
		if _, err := w.svc.MerchantDashboard(ctx, a, workflow.DashboardFilter{}); err != nil {
			t.Fatal(err)
		}
		return queries.Load()
	}
	w.registered(t, 1)
	few := measure()
	for range 4 {
		w.registered(t, 5)
	}
	if many := measure(); many != few {
		t.Errorf("%d queries for 1 line, %d for 21 lines", few, many)
	}
}

func TestTransactionLabels(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		tr := w.registered(t, 3)
		sheet, err := w.svc.TransactionLabels(ctx, a, tr.ID, 0)
		if err != nil || len(sheet.Labels) != 3 || sheet.MerchantName != w.MerchantA.Name || sheet.Labels[2].LineNo != 3 {
			t.Fatalf("labels: %v %+v", err, sheet)
		}
		if l := sheet.Labels[0]; l.SKU != "EAR-001" || l.Grouped()[5] != '-' || !workflow.ValidTraceCode(l.TraceCode) || l.Unit != "025" {
			t.Errorf("label %+v", l)
		}
		one, err := w.svc.TransactionLabels(ctx, a, tr.ID, sheet.Labels[1].LineID)
		if err != nil || len(one.Labels) != 1 || one.Labels[0].LineNo != 2 {
			t.Errorf("one label: %v %+v", err, one)
		}
		_, err = w.svc.TransactionLabels(ctx, a, tr.ID, 999999)
		wantTxnErr(t, err, "not_found", "")
		_, err = w.svc.VoidTransaction(ctx, a, tr.ID, workflow.VoidInput{Reason: "作废", Version: tr.Version})
		wantTxnErr(t, err, "", "")
		_, err = w.svc.TransactionLabels(ctx, a, tr.ID, 0)
		wantTxnErr(t, err, "conflict", "")
	})
}
