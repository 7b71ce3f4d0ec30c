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

// TestPreEntryNumbersFollowTheOfficeSetting: the series belongs to the configured office and
// the Yiwu year; numbers are 18 digits and pass the declaration number check.
func TestPreEntryNumbersFollowTheOfficeSetting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db)
		if err := db.Save(&models.Setting{Key: models.SettingCustomsOffice, Value: "2901", UpdatedAt: testkit.Now}).Error; err != nil {
			t.Fatal(err)
		}
		toy := w.goods(t, w.MerchantA.ID, "9503002100", "毛绒玩具", "", "007", models.GoodsRecognised)
		ls := w.transaction(t, w.MerchantA.ID, w.BuyerA.ID, "USD", lineSpec{goods: toy, amount: dollars(1)})
		ls = append(ls, w.transaction(t, w.MerchantA.ID, w.BuyerB.ID, "USD", lineSpec{goods: toy, amount: dollars(1)})...)
		res, err := w.svc.GenerateDeclarations(context.Background(), w.actor(testkit.UserAgentX),
			w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, ls...).ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"290120260000000001", "290120260000000002"} {
			got := res.Declarations[i].PreEntryNo
			if got != want || !workflow.CheckDeclarationNumber(got).OK {
				t.Errorf("number %d: %s, want %s", i, got, want)
			}
		}
		var seq models.NumberSequence
		if err := db.Where("name = ?", "pre_entry:2901:2026").Take(&seq).Error; err != nil || seq.Next != 3 {
			t.Errorf("series: %+v %v", seq, err)
		}
	})
}
