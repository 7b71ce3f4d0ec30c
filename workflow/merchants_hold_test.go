package workflow_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// TestAbnormalMerchantHoldsOpenTransactions: DOMAIN §8 — a merchant turning abnormal has its
// open registered transactions held; back to active, they are registered again. Drafts and
// voided transactions are left alone.
func TestAbnormalMerchantHoldsOpenTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		pw := newPartyWorld(t, db)
		w, svc := pw.World, pw.svc
		ctx := context.Background()
		goods := models.Goods{MerchantID: w.MerchantA.ID, SKU: "S1", NameZh: "发夹", HSCode: "9615190000", LegalUnit: "007",
			Status: models.GoodsRecognised, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&goods).Error; err != nil {
			t.Fatal(err)
		}
		mk := func(number, status string) int64 {
			tr := models.Transaction{Number: number, MerchantID: w.MerchantA.ID, BuyerID: w.BuyerA.ID, TradeDate: "2026-11-20",
				Currency: "USD", Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&tr).Error; err != nil {
				t.Fatal(err)
			}
			return tr.ID
		}
		registered, draft, voided := mk("TR2026112000001", models.TransactionRegistered), mk("TR2026112000002", models.TransactionDraft), mk("TR2026112000003", models.TransactionVoided)

		officer := pw.actor(t, testkit.UserSupervisor)
		m, err := svc.ChangeMerchantStatus(ctx, officer, w.MerchantA.ID, workflow.MerchantDecision{To: models.MerchantAbnormal, Reason: "未按时公示年报", Version: w.MerchantA.Version})
		if err != nil {
			t.Fatal(err)
		}
		status := func(id int64) string {
			var tr models.Transaction
			db.Take(&tr, id)
			return tr.Status
		}
		if status(registered) != models.TransactionHeld || status(draft) != models.TransactionDraft || status(voided) != models.TransactionVoided {
			t.Fatalf("after abnormal: %s %s %s", status(registered), status(draft), status(voided))
		}
		if _, err := svc.ChangeMerchantStatus(ctx, officer, w.MerchantA.ID, workflow.MerchantDecision{To: models.MerchantActive, Reason: "已补报", Version: m.Version}); err != nil {
			t.Fatal(err)
		}
		if status(registered) != models.TransactionRegistered {
			t.Fatalf("after active again: %s", status(registered))
		}
	})
}
