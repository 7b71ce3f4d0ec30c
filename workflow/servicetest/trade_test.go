package servicetest_test

import (
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestSubmitted: the fixture yields one submitted declaration holding every line it wrote.
func TestSubmitted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		tr := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{})
		tr2 := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{MerchantID: w.MerchantB.ID, BuyerID: w.BuyerB.ID,
			AgentID: w.AgentY.ID, AgentUser: testkit.UserAgentY, Currency: "EUR", Lines: []servicetest.Line{{Amount: 50_000}}})
		if tr.Declaration.Status != models.DeclarationSubmitted || tr2.Declaration.Status != models.DeclarationSubmitted {
			t.Fatalf("statuses %s, %s", tr.Declaration.Status, tr2.Declaration.Status)
		}
		var n int64
		db.Model(&models.DeclarationItemLine{}).Joins("JOIN declaration_items di ON di.id = declaration_item_lines.declaration_item_id").
			Where("di.declaration_id = ?", tr.Declaration.ID).Count(&n)
		if n != int64(len(tr.Lines)) || tr.Declaration.TotalValue != 200_000 {
			t.Fatalf("%d correspondence lines for %d lines; total %s", n, len(tr.Lines), tr.Declaration.TotalValue)
		}
	})
}
