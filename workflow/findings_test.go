package workflow_test

import (
	"testing"

	"mpt/models"
	"mpt/workflow"
)

// TestLineFindings: each rule of a line, by outcome.
func TestLineFindings(t *testing.T) {
	prefixes := []models.HSPrefix{{ID: 1, List: models.ListIneligible, Prefix: "93", ReasonEn: "Arms", ReasonZh: "武器"}}
	ok := workflow.FindingLine{LineID: 7, TraceCode: "YW1", MerchantName: "甲", MerchantStatus: models.MerchantActive,
		GoodsStatus: models.GoodsRecognised, HSCode: "9503002100", ValueUSD: 1000, Cartons: 2, NetGrams: 10_000, GrossGrams: 11_000}
	cases := []struct {
		name     string
		edit     func(l *workflow.FindingLine)
		code     string
		severity string
		field    string
	}{
		{"OK", func(*workflow.FindingLine) {}, "", "", ""},
		{"ErrIneligibleHS", func(l *workflow.FindingLine) { l.HSCode = "9303200000" }, workflow.FindingIneligibleHS, models.SeverityError, "lines[7].hs_code"},
		{"ErrLineOverCap", func(l *workflow.FindingLine) { l.ValueUSD = 150_000_01 }, workflow.FindingLineOverCap, models.SeverityError, "lines[7].value_usd"},
		{"OKExactlyAtCap", func(l *workflow.FindingLine) { l.ValueUSD = 150_000_00 }, "", "", ""},
		{"ErrMerchantNotActive", func(l *workflow.FindingLine) { l.MerchantStatus = models.MerchantAbnormal }, workflow.FindingMerchantNotActive, models.SeverityError, "lines[7].merchant"},
		{"ErrGoodsNotRecognised", func(l *workflow.FindingLine) { l.GoodsStatus = models.GoodsHeld }, workflow.FindingGoodsNotRecognised, models.SeverityError, "lines[7].goods"},
		{"WarnUSCCReview", func(l *workflow.FindingLine) { l.USCCReview = true }, workflow.FindingUSCCReview, models.SeverityWarning, "lines[7].merchant"},
		{"WarnTooLightPerCarton", func(l *workflow.FindingLine) { l.NetGrams = 99 }, workflow.FindingWeightPerCarton, models.SeverityWarning, "lines[7].net_kg"},
		{"WarnTooHeavyPerCarton", func(l *workflow.FindingLine) { l.NetGrams, l.GrossGrams = 120_002, 130_000 }, workflow.FindingWeightPerCarton, models.SeverityWarning, "lines[7].net_kg"},
		{"OKSixtyKgPerCarton", func(l *workflow.FindingLine) { l.NetGrams, l.GrossGrams = 120_000, 130_000 }, "", "", ""},
		{"WarnGrossBelowNet", func(l *workflow.FindingLine) { l.GrossGrams = 9_000 }, workflow.FindingGrossBelowNet, models.SeverityWarning, "lines[7].gross_kg"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := ok
			tc.edit(&l)
			fs := workflow.LineFindings(l, 150_000_00, prefixes)
			if tc.code == "" {
				if len(fs) != 0 {
					t.Fatalf("want none, got %v", fs)
				}
				return
			}
			if len(fs) != 1 || fs[0].Code != tc.code || fs[0].Severity != tc.severity || fs[0].Field != tc.field || fs[0].LineID != 7 {
				t.Fatalf("got %v", fs)
			}
			if fs[0].Text.En == "" || fs[0].Text.Zh == "" || fs[0].Text.En == fs[0].Text.Zh {
				t.Errorf("message must be in both languages: %+v", fs[0].Text)
			}
		})
	}
}

// TestItemAndDeclarationFindings: mixed units warn on the item; over cap and over the item
// limit are errors on the header.
func TestItemAndDeclarationFindings(t *testing.T) {
	items := []workflow.DeclItem{{No: 1}, {No: 2, LegalUnit: "007", MixedUnits: true,
		ByUnit: []workflow.UnitQuantity{{Unit: "007", Quantity: 1000}, {Unit: "035", Quantity: 2500}}}}
	fs := workflow.ItemFindings(items)
	if len(fs) != 1 || fs[0].Code != workflow.FindingMixedUnits || fs[0].Field != "items[2].legal_unit" || fs[0].Severity != models.SeverityWarning {
		t.Fatalf("mixed units: %v", fs)
	}
	if got := workflow.DeclarationLimitFindings(150_000_00, 50, 150_000_00, 50); len(got) != 0 {
		t.Errorf("at the limits: %v", got)
	}
	got := workflow.DeclarationLimitFindings(150_000_01, 51, 150_000_00, 50)
	if len(got) != 2 || got[0].Code != workflow.FindingDeclarationOverCap || got[1].Code != workflow.FindingOverItemLimit || !got[0].Blocking() {
		t.Errorf("over: %v", got)
	}
	for field, anchor := range map[string]string{"lines[12].net_kg": "line-12", "items[3].legal_unit": "item-3", "header.total_usd": "header"} {
		if a := workflow.FieldAnchor(field); a != anchor {
			t.Errorf("%s → %s", field, a)
		}
	}
}

// TestUnitPriceAndLegalQuantity: fixed-point arithmetic of the item fields.
func TestUnitPriceAndLegalQuantity(t *testing.T) {
	if p := workflow.UnitPrice(12_000_00, 100_000); p != 120_0000 {
		t.Errorf("12000.00 / 100 = %s", p)
	}
	if p := workflow.UnitPrice(1_00, 3_000); p != 3333 {
		t.Errorf("1.00 / 3 = %s", p)
	}
	if p := workflow.UnitPrice(1_00, 0); p != 0 {
		t.Errorf("no quantity: %s", p)
	}
	if q := workflow.LegalQuantity("035", "007", 5_000, 12_345); q != 12_345 {
		t.Errorf("kg from net weight: %s", q)
	}
	if q := workflow.LegalQuantity("007", "007", 5_000, 12_345); q != 5_000 {
		t.Errorf("same unit: %s", q)
	}
}
