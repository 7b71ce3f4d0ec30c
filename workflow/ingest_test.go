package workflow_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

// ingestBatch is n sales of merchant A to its buyer, each with the given lines, every other one
// registered at once.
func (w *txnWorld) ingestBatch(n int, lines func(i int) []workflow.LineInput) []workflow.NewTransaction {
	out := make([]workflow.NewTransaction, n)
	for i := range out {
		out[i] = workflow.NewTransaction{TransactionInput: workflow.TransactionInput{MerchantID: w.MerchantA.ID, BuyerID: w.BuyerA.ID,
			TradeDate: "2026-11-28", Currency: "USD"}, Lines: lines(i), Submit: i%2 == 0}
	}
	return out
}

// ingestLines are three lines: earrings by id in their own unit, a cup by SKU without a unit,
// a cup by id in 个 named in Chinese.
func (w *txnWorld) ingestLines(int) []workflow.LineInput {
	return []workflow.LineInput{
		{GoodsID: w.EarringsA.ID, Quantity: "1200", UnitPrice: "0.0035", Cartons: "2", NetKg: "9.6", GrossKg: "10.4"},
		{SKU: "CUP-002", Quantity: "10", UnitPrice: "1.5", Cartons: "1", NetKg: "2", GrossKg: "2.5"},
		{GoodsID: w.CupA.ID, Quantity: "3", Unit: "个", UnitPrice: "2", Cartons: "0", NetKg: "0.5", GrossKg: "0.6"},
	}
}

// linkBuyerToAgentX puts merchant A's buyer in agent X's list too, as registering it would.
func (w *txnWorld) linkBuyerToAgentX(t *testing.T) {
	t.Helper()
	link := models.BuyerLink{BuyerID: w.BuyerA.ID, AgentID: &w.AgentX.ID, CreatedByUserID: w.Users[testkit.UserAgentX].ID, CreatedAt: testkit.Now}
	if err := w.db.Create(&link).Error; err != nil {
		t.Fatal(err)
	}
}

// ingestCounts is what the tables hold, to see that a refused call wrote nothing.
func ingestCounts(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var txns, lines, audits, seqs int64
	db.Model(&models.Transaction{}).Count(&txns)
	db.Model(&models.TransactionLine{}).Count(&lines)
	db.Model(&models.AuditEntry{}).Count(&audits)
	db.Model(&models.NumberSequence{}).Where("name LIKE ?", "transaction:%").Select("COALESCE(SUM(next), 0)").Scan(&seqs)
	return fmt.Sprintf("%d transactions, %d lines, %d audit entries, sequence %d", txns, lines, audits, seqs)
}

// TestIngestTransactions: one call creates every transaction with its lines, consecutive numbers,
// valid unique trace codes, totals from the lines, the goods' unit where none was sent, drafts
// and registered ones as asked, and one audit entry each holding the header and the lines; the
// audit chain verifies and the single create numbers on after the batch.
func TestIngestTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		before := w.draft(t, testkit.UserMerchantA) // TR2026112900001
		in := w.ingestBatch(40, w.ingestLines)
		in[39].Lines, in[39].Submit = nil, false // a draft may come without lines
		res, err := w.svc.IngestTransactions(ctx, w.actor(t, testkit.UserMerchantA), in)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Transactions) != 40 || res.Lines != 39*3 {
			t.Fatalf("%d transactions, %d lines", len(res.Transactions), res.Lines)
		}
		codes := map[string]bool{}
		for i, it := range res.Transactions {
			tr := it.Transaction
			if want := fmt.Sprintf("TR20261129%05d", i+2); tr.Number != want {
				t.Errorf("transaction %d numbered %s, want %s", i, tr.Number, want)
			}
			var stored models.Transaction
			if err := db.Take(&stored, tr.ID).Error; err != nil {
				t.Fatal(err)
			}
			wantStatus := models.TransactionDraft
			if in[i].Submit {
				wantStatus = models.TransactionRegistered
			}
			if stored.Status != wantStatus || (stored.RegisteredAt != nil) != in[i].Submit || stored.MerchantID != w.MerchantA.ID ||
				stored.AgentID != nil || stored.CreatedByUserID == nil || stored.Number != tr.Number {
				t.Errorf("transaction %d stored as %+v", i, stored)
			}
			var lines []models.TransactionLine
			db.Where("transaction_id = ?", tr.ID).Order("line_no").Find(&lines)
			if len(lines) != len(in[i].Lines) || len(it.Lines) != len(lines) {
				t.Fatalf("transaction %d: %d lines stored, %d answered", i, len(lines), len(it.Lines))
			}
			var sum models.Money
			for j, l := range lines {
				sum += l.Amount
				if !workflow.ValidTraceCode(l.TraceCode) || codes[l.TraceCode] || it.Lines[j].TraceCode != l.TraceCode || it.Lines[j].ID != l.ID || l.LineNo != j+1 {
					t.Errorf("transaction %d line %d: %+v (answered %+v)", i, j, l, it.Lines[j])
				}
				codes[l.TraceCode] = true
			}
			if len(lines) == 3 && (lines[0].Unit != "025" || lines[1].Unit != "007" || lines[1].GoodsID != w.CupA.ID || lines[2].Unit != "007" ||
				lines[0].Amount != 420 || stored.TotalAmount != 420+1500+600 || stored.TotalCartons != 3 || stored.TotalNetGrams != 12100 || stored.LineCount != 3) {
				t.Errorf("transaction %d: lines %+v, totals %+v", i, lines, stored)
			}
			if sum != stored.TotalAmount {
				t.Errorf("transaction %d: total %s, lines add up to %s", i, stored.TotalAmount, sum)
			}
			var entries []models.AuditEntry
			db.Where("entity = ? AND entity_id = ?", "transaction", strconv.FormatInt(tr.ID, 10)).Find(&entries)
			if len(entries) != 1 || entries[0].Action != "ingest" || entries[0].OldJSON != "" || entries[0].ActorUserID == nil {
				t.Fatalf("transaction %d: audit %+v", i, entries)
			}
			var audited struct {
				Number, Status string
				Lines          []struct {
					TraceCode string `json:"trace_code"`
					SKU       string `json:"sku"`
					Amount    string `json:"amount"`
				}
			}
			if err := json.Unmarshal([]byte(entries[0].NewJSON), &audited); err != nil {
				t.Fatal(err)
			}
			if audited.Number != tr.Number || audited.Status != wantStatus || len(audited.Lines) != len(lines) ||
				(len(lines) > 0 && (audited.Lines[1].TraceCode != lines[1].TraceCode || audited.Lines[1].SKU != "CUP-002" ||
					audited.Lines[0].Amount != "4.20")) {
				t.Errorf("transaction %d: audited %s", i, entries[0].NewJSON)
			}
		}
		v, err := models.VerifyAudit(ctx, db, nil, nil)
		if err != nil || !v.OK() {
			t.Fatalf("audit chain: %v %+v", err, v.Break)
		}
		d, err := w.svc.Transaction(ctx, w.actor(t, testkit.UserMerchantA), res.Transactions[0].Transaction.ID)
		if err != nil || len(d.History) != 1 || d.History[0].Detail != "3 · registered" {
			t.Errorf("history: %v %+v", err, d)
		}
		after := w.draft(t, testkit.UserMerchantA)
		if before.Number != "TR2026112900001" || after.Number != "TR2026112900042" {
			t.Errorf("numbers around the batch: %s, %s", before.Number, after.Number)
		}

		// An agent ingests for the merchant entrusting it; the transactions are the merchant's.
		w.linkBuyerToAgentX(t)
		agent := w.actor(t, testkit.UserAgentX)
		ares, err := w.svc.IngestTransactions(ctx, agent, w.ingestBatch(2, w.ingestLines))
		if err != nil {
			t.Fatal(err)
		}
		got := ares.Transactions[1].Transaction
		if got.MerchantID != w.MerchantA.ID || got.AgentID == nil || *got.AgentID != w.AgentX.ID || got.Number != "TR2026112900044" {
			t.Errorf("agent's transaction %+v", got)
		}
	})
}

// TestIngestAllOrNothing: one bad line deep in a call refuses the whole call, naming the line's
// field, and nothing is written: no transaction, line, audit entry or number.
func TestIngestAllOrNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		merchant := w.actor(t, testkit.UserMerchantA)
		w.draft(t, testkit.UserMerchantA)
		start := ingestCounts(t, db)
		for _, tc := range []struct {
			name, field string
			spoil       func(in []workflow.NewTransaction)
		}{
			{"ErrUnitPrice", "transactions[37].lines[2].unit_price", func(in []workflow.NewTransaction) { in[37].Lines[2].UnitPrice = "1.2.3" }},
			{"ErrGrossBelowNet", "transactions[49].lines[0].gross_kg", func(in []workflow.NewTransaction) { in[49].Lines[0].GrossKg = "1" }},
			{"ErrOtherMerchantsGoods", "transactions[41].lines[1].goods_id", func(in []workflow.NewTransaction) {
				in[41].Lines[1] = txnOKLine(w.BearB.ID)
			}},
			{"ErrUnknownSKU", "transactions[45].lines[1].sku", func(in []workflow.NewTransaction) { in[45].Lines[1].SKU = "NOPE-1" }},
			{"ErrGoodsNotRecognised", "transactions[30].lines[0].goods_id", func(in []workflow.NewTransaction) { in[30].Lines[0].GoodsID = w.PendingA.ID }},
			{"ErrFutureDate", "transactions[44].trade_date", func(in []workflow.NewTransaction) { in[44].TradeDate = "2026-11-30" }},
			{"ErrCurrency", "transactions[3].currency", func(in []workflow.NewTransaction) { in[3].Currency = "XXY" }},
			{"ErrSubmitWithoutLines", "transactions[8].lines", func(in []workflow.NewTransaction) { in[8].Lines = nil }},
			{"ErrNoGoods", "transactions[9].lines[0].goods_id", func(in []workflow.NewTransaction) { in[9].Lines[0].GoodsID = 0 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := w.ingestBatch(50, w.ingestLines)
				tc.spoil(in)
				res, err := w.svc.IngestTransactions(ctx, merchant, in)
				wantTxnErr(t, err, apperr.Invalid, tc.field)
				if res != nil || len(apperr.As(err).Fields) != 1 {
					t.Errorf("result %v, problems %v", res, err)
				}
				if got := ingestCounts(t, db); got != start {
					t.Errorf("after a refused call: %s, before: %s", got, start)
				}
			})
		}
		// Problems are counted in full and listed up to the limit.
		in := w.ingestBatch(500, w.ingestLines)
		for i := range in {
			for j := range in[i].Lines {
				in[i].Lines[j].Quantity, in[i].Lines[j].Cartons = "x", "-1"
			}
		}
		_, err := w.svc.IngestTransactions(ctx, merchant, in)
		if ae := apperr.As(err); len(ae.Fields) != workflow.MaxIngestProblems || ae.Text.En == "" || ingestCounts(t, db) != start {
			t.Errorf("many problems: %d listed, %q", len(ae.Fields), ae.Text.En)
		}
	})
}

// TestIngestScope: an agent ingests only for merchants whose entrustment is in force, a merchant
// only for itself and its own buyers and goods, an inactive merchant nothing, officers and
// readers nothing; each refusal names the transaction.
func TestIngestScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		start := ingestCounts(t, db)
		bLines := func(int) []workflow.LineInput { return []workflow.LineInput{txnOKLine(w.BearB.ID)} }
		w.linkBuyerToAgentX(t)

		// Agent X is entrusted by merchant A, not B.
		in := w.ingestBatch(3, w.ingestLines)
		in[1].MerchantID, in[1].BuyerID, in[1].Lines = w.MerchantB.ID, w.BuyerB.ID, bLines(0)
		_, err := w.svc.IngestTransactions(ctx, w.actor(t, testkit.UserAgentX), in)
		wantTxnErr(t, err, apperr.Invalid, "transactions[1].merchant_id")

		// Merchant A cannot register for merchant B: merchant_id is ignored, so B's buyer and goods
		// are not A's.
		in = w.ingestBatch(2, bLines)
		in[1].MerchantID, in[1].BuyerID = w.MerchantB.ID, w.BuyerB.ID
		_, err = w.svc.IngestTransactions(ctx, w.actor(t, testkit.UserMerchantA), in)
		wantTxnErr(t, err, apperr.Invalid, "transactions[1].buyer_id")
		wantTxnErr(t, err, apperr.Invalid, "transactions[1].lines[0].goods_id")
		wantTxnErr(t, err, apperr.Invalid, "transactions[0].lines[0].goods_id")

		for _, u := range []string{testkit.UserCustoms, testkit.UserAuditor, testkit.UserAdmin, ""} {
			_, err := w.svc.IngestTransactions(ctx, w.actor(t, u), w.ingestBatch(1, w.ingestLines))
			if c := apperr.CodeOf(err); c != apperr.Forbidden && c != apperr.Unauthenticated {
				t.Errorf("%q: %v", u, err)
			}
		}

		// An abnormal merchant registers nothing, through its agent or itself.
		if err := db.Model(&models.Merchant{}).Where("id = ?", w.MerchantA.ID).Update("status", models.MerchantAbnormal).Error; err != nil {
			t.Fatal(err)
		}
		_, err = w.svc.IngestTransactions(ctx, w.actor(t, testkit.UserAgentX), w.ingestBatch(2, w.ingestLines))
		wantTxnErr(t, err, apperr.Forbidden, "transactions[0].merchant_id")
		_, err = w.svc.IngestTransactions(ctx, w.actor(t, testkit.UserMerchantA), w.ingestBatch(2, w.ingestLines))
		wantTxnErr(t, err, apperr.Forbidden, "")
		if got := ingestCounts(t, db); got != start {
			t.Errorf("after refused calls: %s, before: %s", got, start)
		}
	})
}

// TestIngestLimits: a call is refused whole, before anything is checked, when it is empty or over
// the limits on transactions or lines.
func TestIngestLimits(t *testing.T) {
	w := newTxnWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	a := w.actor(t, testkit.UserMerchantA)
	_, err := w.svc.IngestTransactions(ctx, a, nil)
	wantTxnErr(t, err, apperr.Invalid, "transactions")
	_, err = w.svc.IngestTransactions(ctx, a, make([]workflow.NewTransaction, workflow.MaxIngestTransactions+1))
	wantTxnErr(t, err, apperr.Invalid, "transactions")
	big := make([]workflow.LineInput, workflow.MaxIngestLines/10+1)
	in := w.ingestBatch(10, func(int) []workflow.LineInput { return big })
	_, err = w.svc.IngestTransactions(ctx, a, in)
	wantTxnErr(t, err, apperr.Invalid, "transactions")
}

// TestIngestIdempotent: a retry of the same call under its Idempotency-Key gets the first answer
// and registers nothing more; the key with another call is a conflict.
func TestIngestIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		w.linkBuyerToAgentX(t)
		a := w.actor(t, testkit.UserAgentX)
		in := w.ingestBatch(5, w.ingestLines)
		answer := func(r *workflow.IngestResult) (workflow.Answer, error) {
			b, err := json.Marshal(r.Transactions)
			return workflow.Answer{Status: 201, Body: b}, err
		}
		idem := workflow.Idempotency{Key: "day-1", RequestHash: "h1"}
		first, replayed, err := w.svc.IngestTransactionsOnce(ctx, a, in, idem, answer)
		if err != nil || replayed || first.Status != 201 {
			t.Fatal(first.Status, replayed, err)
		}
		counts := ingestCounts(t, db)
		again, replayed, err := w.svc.IngestTransactionsOnce(ctx, a, in, idem, answer)
		if err != nil || !replayed || string(again.Body) != string(first.Body) || ingestCounts(t, db) != counts {
			t.Errorf("retry: %v %v %s", replayed, err, ingestCounts(t, db))
		}
		_, _, err = w.svc.IngestTransactionsOnce(ctx, a, in, workflow.Idempotency{Key: "day-1", RequestHash: "h2"}, answer)
		wantTxnErr(t, err, apperr.Conflict, "")
		if ingestCounts(t, db) != counts {
			t.Errorf("conflict wrote: %s", ingestCounts(t, db))
		}
	})
}
