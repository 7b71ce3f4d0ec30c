package workflow_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

// txnAnswerOf renders a created transaction as a client would get it.
func txnAnswerOf(d *workflow.TransactionDetail) (workflow.Answer, error) {
	codes := []string{}
	for _, l := range d.Lines {
		codes = append(codes, l.TraceCode)
	}
	b, err := json.Marshal(map[string]any{"id": d.Transaction.ID, "number": d.Transaction.Number, "status": d.Transaction.Status,
		"total": d.Transaction.TotalAmount.String(), "trace_codes": codes})
	return workflow.Answer{Status: 201, Body: b}, err
}

func txnWholeSale(w *txnWorld, submitTxn bool) workflow.NewTransaction {
	return workflow.NewTransaction{TransactionInput: workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-11-28", Currency: "USD"},
		Lines:  []workflow.LineInput{txnOKLine(w.EarringsA.ID), {SKU: "CUP-002", Quantity: "10", UnitPrice: "1.5", Cartons: "1", NetKg: "2", GrossKg: "2.5"}},
		Submit: submitTxn}
}

func TestRegisterTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newTxnWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		count := func() int64 {
			var n int64
			db.Model(&models.Transaction{}).Count(&n)
			return n
		}
		t.Run("OKSubmitted", func(t *testing.T) {
			ans, replayed, err := w.svc.RegisterTransaction(ctx, a, txnWholeSale(w, true), workflow.Idempotency{}, txnAnswerOf)
			if err != nil || replayed || ans.Status != 201 {
				t.Fatalf("%v %v %+v", err, replayed, ans)
			}
			var body struct {
				ID     int64
				Status string
				Total  string
			}
			_ = json.Unmarshal(ans.Body, &body)
			if body.Status != models.TransactionRegistered || body.Total != "117.00" || len(w.lines(t, body.ID)) != 2 {
				t.Errorf("body %s", ans.Body)
			}
		})
		t.Run("ErrLineNamesItsIndex", func(t *testing.T) {
			in := txnWholeSale(w, false)
			in.Lines[1].GrossKg = "1"
			before := count()
			_, _, err := w.svc.RegisterTransaction(ctx, a, in, workflow.Idempotency{}, txnAnswerOf)
			wantTxnErr(t, err, apperr.Invalid, "lines[1].gross_kg")
			if count() != before {
				t.Error("a transaction was created")
			}
		})
		t.Run("ErrOtherMerchantsGoods", func(t *testing.T) {
			in := txnWholeSale(w, false)
			in.Lines[0].GoodsID = w.BearB.ID
			_, _, err := w.svc.RegisterTransaction(ctx, a, in, workflow.Idempotency{}, txnAnswerOf)
			wantTxnErr(t, err, apperr.NotFound, "")
		})
		t.Run("RetryReplaysTheFirstAnswer", func(t *testing.T) {
			idem := workflow.Idempotency{Key: "retry-1", RequestHash: workflow.RequestHash("POST", "/api/v1/transactions", []byte("same"))}
			first, replayed, err := w.svc.RegisterTransaction(ctx, a, txnWholeSale(w, false), idem, txnAnswerOf)
			if err != nil || replayed {
				t.Fatal(err, replayed)
			}
			before := count()
			again, replayed, err := w.svc.RegisterTransaction(ctx, a, txnWholeSale(w, false), idem, txnAnswerOf)
			if err != nil || !replayed || again.Status != first.Status || string(again.Body) != string(first.Body) {
				t.Errorf("retry: %v %v %s vs %s", err, replayed, again.Body, first.Body)
			}
			if count() != before {
				t.Error("the retry created a transaction")
			}
			other := idem
			other.RequestHash = workflow.RequestHash("POST", "/api/v1/transactions", []byte("different"))
			_, _, err = w.svc.RegisterTransaction(ctx, a, txnWholeSale(w, false), other, txnAnswerOf)
			wantTxnErr(t, err, apperr.Conflict, "")
			// Keys belong to their user: merchant B may use the same key.
			inB := workflow.NewTransaction{TransactionInput: workflow.TransactionInput{BuyerID: w.BuyerB.ID, TradeDate: txnDay, Currency: "CNY"}}
			_, replayed, err = w.svc.RegisterTransaction(ctx, w.actor(t, testkit.UserMerchantB), inB, idem, txnAnswerOf)
			if err != nil || replayed {
				t.Errorf("merchant B with the same key: %v %v", err, replayed)
			}
		})
		t.Run("ConcurrentRetriesCreateOne", func(t *testing.T) {
			idem := workflow.Idempotency{Key: "race-1", RequestHash: workflow.RequestHash("POST", "/api/v1/transactions", []byte("race"))}
			before := count()
			const n = 6
			var wg sync.WaitGroup
			bodies := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ans, _, err := w.svc.RegisterTransaction(ctx, a, txnWholeSale(w, true), idem, txnAnswerOf)
					bodies[i], errs[i] = string(ans.Body), err
				}()
			}
			wg.Wait()
			for i := range n {
				if errs[i] != nil || bodies[i] != bodies[0] {
					t.Errorf("call %d: %v %s (first %s)", i, errs[i], bodies[i], bodies[0])
				}
			}
			if got := count() - before; got != 1 {
				t.Errorf("%d transactions created, want 1", got)
			}
			var keys int64
			db.Model(&models.IdempotencyKey{}).Where("key = ?", "race-1").Count(&keys)
			if keys != 1 {
				t.Errorf("%d keys stored", keys)
			}
		})
		t.Run("ErrKeyTooLong", func(t *testing.T) {
			long := make([]byte, 201)
			for i := range long {
				long[i] = 'k'
			}
			_, _, err := w.svc.RegisterTransaction(ctx, a, txnWholeSale(w, false), workflow.Idempotency{Key: string(long)}, txnAnswerOf)
			wantTxnErr(t, err, apperr.Invalid, "Idempotency-Key")
		})
	})
}
