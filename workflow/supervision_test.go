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
	"mpt/workflow/testkit"
)

// TestBlacklistedMerchantHeldAndBlocked: DOMAIN §8 end to end for the worst status. A
// blacklisted merchant's open registered transactions are held (each audited once), one already
// in a consolidation is left to the agent; the merchant can then neither register a transaction
// (itself or through its agent) nor file lines into a consolidation; back to active, the held
// transactions are registered again.
func TestBlacklistedMerchantHeldAndBlocked(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		ctx := context.Background()
		goods := models.Goods{MerchantID: w.MerchantA.ID, SKU: "BL-1", NameZh: "发夹", HSCode: "9615190000", LegalUnit: "007",
			TransactionUnit: "007", Status: models.GoodsRecognised, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&goods).Error; err != nil {
			t.Fatal(err)
		}
		agent := w.actor(t, testkit.UserAgentX)
		if err := db.Create(&models.BuyerLink{BuyerID: w.BuyerA.ID, AgentID: &w.AgentX.ID, CreatedByUserID: agent.UserID, CreatedAt: testkit.Now}).Error; err != nil {
			t.Fatal(err)
		}
		cons, err := w.svc.OpenConsolidation(ctx, agent, workflow.ConsolidationInput{DestinationCountry: "AE", DestinationPort: "Jebel Ali",
			TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "Yiwu"})
		if err != nil {
			t.Fatal(err)
		}
		txn := func(number string, consolidated bool) (models.Transaction, models.TransactionLine) {
			tr := models.Transaction{Number: number, MerchantID: w.MerchantA.ID, BuyerID: w.BuyerA.ID, TradeDate: "2026-11-29",
				Currency: "USD", Status: models.TransactionRegistered, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&tr).Error; err != nil {
				t.Fatal(err)
			}
			l := models.TransactionLine{TransactionID: tr.ID, LineNo: 1, GoodsID: goods.ID, TraceCode: "YWBL" + number[len(number)-6:],
				Quantity: 1000, Unit: "007", UnitPrice: 1, Amount: 10_00, Cartons: 1, NetGrams: 1000, GrossGrams: 1200,
				CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&l).Error; err != nil {
				t.Fatal(err)
			}
			if consolidated {
				if err := db.Create(&models.ConsolidationLine{ConsolidationID: cons.ID, TransactionLineID: l.ID, CreatedAt: testkit.Now}).Error; err != nil {
					t.Fatal(err)
				}
			}
			return tr, l
		}
		open, openLine := txn("TR2026112900701", false)
		packed, _ := txn("TR2026112900702", true)

		sv := w.actor(t, testkit.UserSupervisor)
		m, err := w.svc.ChangeMerchantStatus(ctx, sv, w.MerchantA.ID, workflow.MerchantDecision{To: models.MerchantBlacklisted,
			Reason: "列入严重违法失信名单", Version: w.MerchantA.Version})
		if err != nil {
			t.Fatal(err)
		}
		status := func(id int64) string {
			var tr models.Transaction
			if err := db.Take(&tr, id).Error; err != nil {
				t.Fatal(err)
			}
			return tr.Status
		}
		if status(open.ID) != models.TransactionHeld || status(packed.ID) != models.TransactionRegistered {
			t.Fatalf("after blacklisting: open %s, consolidated %s", status(open.ID), status(packed.ID))
		}
		if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ?", "transaction", strconv.FormatInt(open.ID, 10), "merchant_status_held"); n != 1 {
			t.Fatalf("%d hold audit entries, want 1", n)
		}
		before := w.count(t, &models.Transaction{}, "")
		for _, tc := range []struct {
			name string
			try  func() error
		}{
			{"ErrMerchantCreates", func() error {
				_, err := w.svc.CreateTransaction(ctx, w.actor(t, testkit.UserMerchantA), workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-11-29", Currency: "USD"})
				return err
			}},
			{"ErrAgentCreatesForIt", func() error {
				_, err := w.svc.CreateTransaction(ctx, agent, workflow.TransactionInput{MerchantID: w.MerchantA.ID, BuyerID: w.BuyerA.ID, TradeDate: "2026-11-29", Currency: "USD"})
				return err
			}},
			{"ErrMerchantFilesLines", func() error {
				_, _, err := w.svc.FileLines(ctx, w.actor(t, testkit.UserMerchantA), cons.BookingCode, []int64{openLine.ID})
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := tc.try(); apperr.CodeOf(err) != apperr.Forbidden {
					t.Fatalf("err = %v, want forbidden", err)
				}
			})
		}
		if n := w.count(t, &models.Transaction{}, ""); n != before {
			t.Fatalf("%d transactions written while blacklisted", n-before)
		}
		if n := w.count(t, &models.ConsolidationLine{}, "transaction_line_id = ?", openLine.ID); n != 0 {
			t.Fatal("a held line was filed")
		}
		if _, err := w.svc.ChangeMerchantStatus(ctx, sv, w.MerchantA.ID, workflow.MerchantDecision{To: models.MerchantActive,
			Reason: "信用修复", Version: m.Version}); err != nil {
			t.Fatal(err)
		}
		if status(open.ID) != models.TransactionRegistered {
			t.Fatalf("after active again: %s", status(open.ID))
		}
	})
}

// TestSupervisionDesk: the desk counts and lists each queue, and only market supervision opens it.
func TestSupervisionDesk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		ctx := context.Background()
		troubled := w.merchants(t, 2, models.MerchantSuspended)
		for i, st := range []string{models.TransactionHeld, models.TransactionHeld, models.TransactionRegistered} {
			tr := models.Transaction{Number: "TR202611290080" + strconv.Itoa(i), MerchantID: troubled[0], BuyerID: w.BuyerA.ID, TradeDate: "2026-11-29",
				Currency: "USD", Status: st, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&tr).Error; err != nil {
				t.Fatal(err)
			}
		}
		for i, st := range []string{models.GoodsPending, models.GoodsPending, models.GoodsHeld} {
			g := models.Goods{MerchantID: w.MerchantA.ID, SKU: "D" + strconv.Itoa(i), NameZh: "玩具", HSCode: "9503009000", LegalUnit: "007",
				TransactionUnit: "007", Status: st, Branded: st == models.GoodsHeld, Brand: "Disney", Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&g).Error; err != nil {
				t.Fatal(err)
			}
		}
		c := w.draw(t, "1000")
		d, err := w.svc.SupervisionDesk(ctx, w.actor(t, testkit.UserSupervisor))
		if err != nil {
			t.Fatal(err)
		}
		mine := w.count(t, &models.SpotCheck{}, "campaign_id = ? AND inspector_user_id = ?", c.ID, w.Users[testkit.UserSupervisor].ID)
		if d.PendingTotal != 1 || len(d.Pending) != 1 || d.Pending[0].ID != w.Pending.ID {
			t.Errorf("pending %d %v", d.PendingTotal, d.Pending)
		}
		if d.TroubledTotal != 2 || d.HeldTransactions != 2 || len(d.Troubled) != 2 {
			t.Errorf("troubled %d, held %d, rows %d", d.TroubledTotal, d.HeldTransactions, len(d.Troubled))
		}
		for _, m := range d.Troubled {
			if want := map[bool]int64{true: 2, false: 0}[m.ID == troubled[0]]; m.HeldTransactions != want {
				t.Errorf("merchant %d: %d held, want %d", m.ID, m.HeldTransactions, want)
			}
		}
		if d.GoodsPendingTotal != 2 || d.GoodsHeldTotal != 1 || len(d.GoodsHeld) != 1 {
			t.Errorf("goods pending %d, held %d", d.GoodsPendingTotal, d.GoodsHeldTotal)
		}
		if d.MyChecksTotal != mine || int64(len(d.MyChecks)) != min(mine, workflow.DeskRows) || len(d.Campaigns) != 1 || d.CampaignsTotal != 1 || d.Campaigns[0].Checks != 2 {
			t.Errorf("my checks %d (want %d), campaigns %+v", d.MyChecksTotal, mine, d.Campaigns)
		}
		for _, u := range []string{testkit.UserAuditor, testkit.UserAdmin, testkit.UserCustoms, testkit.UserMerchantA, testkit.UserAgentX} {
			if _, err := w.svc.SupervisionDesk(ctx, w.actor(t, u)); apperr.CodeOf(err) != apperr.Forbidden {
				t.Errorf("%s: %v, want forbidden", u, err)
			}
		}
	})
}
