package workflow_test

import (
	"context"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestFlowsNotify: the steps that need someone's action or change a party's record notify
// the right users: a registration → market supervision; approval, status change → the
// merchant's users; goods recognised, held, refused → the merchant's users; a brand
// watch-list hold → market supervision; a submitted declaration → customs. The user who acted
// is never notified.
func TestFlowsNotify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		ctx := context.Background()
		act := func(name string) workflow.Actor { return servicetest.Actor(t, w, name) }
		sup := act(testkit.UserSupervisor)
		// got lists the kinds of a user's notifications about an entity, oldest first.
		got := func(username, entity string, id int64) []string {
			t.Helper()
			var kinds []string
			if err := db.Model(&models.Notification{}).Where("user_id = ? AND entity = ? AND entity_id = ?",
				w.Users[username].ID, entity, strconv.FormatInt(id, 10)).Order("id").Pluck("kind", &kinds).Error; err != nil {
				t.Fatal(err)
			}
			return kinds
		}
		want := func(what string, kinds []string, kind ...string) {
			t.Helper()
			if len(kinds) != len(kind) {
				t.Errorf("%s: notified %v, want %v", what, kinds, kind)
				return
			}
			for i := range kind {
				if kinds[i] != kind[i] {
					t.Errorf("%s: notified %v, want %v", what, kinds, kind)
				}
			}
		}

		reg, err := svc.RegisterMerchant(ctx, workflow.Actor{}, validRegistration(t))
		if err != nil {
			t.Fatal(err)
		}
		want("registration → supervision", got(testkit.UserSupervisor, "merchant", reg.Merchant.ID), "merchant.registered")
		want("registration → customs", got(testkit.UserCustoms, "merchant", reg.Merchant.ID))

		if _, err := svc.ApproveMerchant(ctx, sup, w.Pending.ID, workflow.MerchantDecision{Version: w.Pending.Version}); err != nil {
			t.Fatal(err)
		}
		want("approval → merchant", got(testkit.UserPending, "merchant", w.Pending.ID), "merchant.approved")
		want("approval → the officer", got(testkit.UserSupervisor, "merchant", w.Pending.ID))
		if _, err := svc.ChangeMerchantStatus(ctx, sup, w.MerchantB.ID, workflow.MerchantDecision{To: models.MerchantAbnormal,
			Reason: "未按时公示年报", Version: w.MerchantB.Version}); err != nil {
			t.Fatal(err)
		}
		want("status → merchant", got(testkit.UserMerchantB, "merchant", w.MerchantB.ID), "merchant.status_changed")
		want("status → another merchant", got(testkit.UserMerchantA, "merchant", w.MerchantB.ID))

		ma := act(testkit.UserMerchantA)
		plain, err := svc.CreateGoods(ctx, ma, validGoods())
		if err != nil {
			t.Fatal(err)
		}
		want("new goods → supervision", got(testkit.UserSupervisor, "goods", plain.Goods.ID))
		g, err := svc.HoldGoods(ctx, sup, plain.Goods.ID, workflow.GoodsDecision{Reason: "需核实产地", Version: plain.Goods.Version})
		if err != nil {
			t.Fatal(err)
		}
		g, err = svc.RecogniseGoods(ctx, sup, g.ID, workflow.GoodsDecision{Version: g.Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.RejectGoods(ctx, sup, g.ID, workflow.GoodsDecision{Reason: "不符合认定条件", Version: g.Version}); err != nil {
			t.Fatal(err)
		}
		want("goods decisions → merchant", got(testkit.UserMerchantA, "goods", g.ID), "goods.held", "goods.recognised", "goods.rejected")
		want("goods decisions → the officer", got(testkit.UserSupervisor, "goods", g.ID))

		branded, err := svc.CreateGoods(ctx, ma, withGoods(func(in *workflow.GoodsInput) {
			in.SKU, in.Branded, in.Brand = "YW-NIKE", true, "Nike"
		}))
		if err != nil {
			t.Fatal(err)
		}
		if branded.Goods.Status != models.GoodsHeld {
			t.Fatalf("branded goods %s", branded.Goods.Status)
		}
		want("brand hold → supervision", got(testkit.UserSupervisor, "goods", branded.Goods.ID), "goods.brand_hold")
		want("brand hold → merchant (who acted)", got(testkit.UserMerchantA, "goods", branded.Goods.ID))

		trade := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{})
		want("submitted → customs", got(testkit.UserCustoms, "declaration", trade.Declaration.ID), "declaration.submitted")
		want("submitted → the agent who submitted", got(testkit.UserAgentX, "declaration", trade.Declaration.ID))
	})
}
