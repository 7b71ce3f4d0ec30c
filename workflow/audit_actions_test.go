package workflow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestEveryStepWritesOneAuditEntry walks the authorities' steps of a trade (issue 7: every
// workflow action writes exactly one audit entry with the right old and new values): for each
// action the audit log grows by exactly one entry, about the record changed, whose old and new
// values show the change; and at the end the chain verifies.
func TestEveryStepWritesOneAuditEntry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		now := testkit.Now
		svc := servicetest.Service(t, db, func() time.Time { return now })
		as := func(u string) workflow.Actor { return servicetest.Actor(t, w, u) }
		now2 := now
		inspectorU := models.User{Username: "inspector", DisplayName: "inspector", PasswordHash: "x", Role: models.RoleCustoms,
			OnDuty: true, Version: 1, CreatedAt: now2, UpdatedAt: now2}
		if err := db.Create(&inspectorU).Error; err != nil {
			t.Fatal(err)
		}
		inspector := workflow.Actor{UserID: inspectorU.ID, Username: "inspector", Role: models.RoleCustoms, Day: testkit.Day}
		var last models.AuditEntry
		// step runs one action and checks the entry it wrote: entity, action, and texts its old
		// and new values hold ("" for none expected).
		step := func(name, entity, action, oldHas, newHas string, do func() error) {
			t.Helper()
			var before int64
			db.Model(&models.AuditEntry{}).Count(&before)
			if err := do(); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			var after int64
			db.Model(&models.AuditEntry{}).Count(&after)
			if after-before != 1 {
				t.Fatalf("%s wrote %d audit entries, want 1", name, after-before)
			}
			last = models.AuditEntry{}
			if err := db.Order("id DESC").Take(&last).Error; err != nil {
				t.Fatal(err)
			}
			if last.Entity != entity || last.Action != action || !strings.Contains(last.OldJSON, oldHas) || !strings.Contains(last.NewJSON, newHas) ||
				(oldHas != "" && last.OldJSON == "") || last.ActorUserID == nil {
				t.Errorf("%s: audit entry %s %s %s by %v\n old %s\n new %s\n want %s %s with old ∋ %q, new ∋ %q", name, last.Entity, last.EntityID,
					last.Action, last.ActorUserID, last.OldJSON, last.NewJSON, entity, action, oldHas, newHas)
			}
		}
		var err error

		// Rules without random selection; toys (9503) go red.
		step("publish rules", "risk_rule_set", "publish", `"active_version":1`, `"active_version":2`, func() error {
			_, err = svc.PublishRuleSet(ctx, as(testkit.UserAdmin), workflow.RuleSetInput{
				RulesJSON: `{"rules": [{"code": "TOYS", "kind": "hs_prefix", "lane": "red", "name_en": "toys", "name_zh": "玩具", "prefixes": ["9503"]}]}`,
				MinRates:  map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "audit test"})
			return err
		})

		green := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{Lines: []servicetest.Line{{HSCode: "3924100000", Name: "塑料餐具", Amount: 150_000}}})
		d := green.Declaration
		step("accept", "declaration", "accept", `"status":"submitted"`, `"status":"accepted"`, func() error {
			out, err := svc.AcceptDeclaration(ctx, as(testkit.UserCustoms), d.ID, d.Version)
			if err == nil {
				d = *out
			}
			return err
		})
		step("release", "declaration", "release", `"status":"accepted"`, `"status":"released"`, func() error {
			out, err := svc.ReleaseDeclaration(ctx, as(testkit.UserCustoms), d.ID, d.Version)
			if err == nil {
				d = *out
			}
			return err
		})
		step("exit", "declaration", "exit", `"status":"released"`, `"exit_date":"2026-11-29"`, func() error {
			out, err := svc.ConfirmExit(ctx, as(testkit.UserCustoms), d.ID, workflow.ExitInput{Version: d.Version, ExitDate: "2026-11-29"})
			if err == nil {
				d = *out
			}
			return err
		})

		red := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{Lines: []servicetest.Line{{Amount: 90_000}}})
		r := red.Declaration
		step("accept red", "declaration", "accept", `"status":"submitted"`, `"lane":"red"`, func() error {
			out, err := svc.AcceptDeclaration(ctx, as(testkit.UserCustoms), r.ID, r.Version)
			if err == nil {
				r = *out
			}
			return err
		})
		var in models.Inspection
		if err := db.Where("declaration_id = ?", r.ID).Take(&in).Error; err != nil || in.InspectorUserID != inspector.UserID {
			t.Fatalf("inspection %+v %v", in, err)
		}
		step("inspect", "declaration", "inspect", "", `"result":"conform"`, func() error {
			_, err := svc.RecordInspection(ctx, inspector, in.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform, Findings: "ok"})
			return err
		})
		if err := db.Take(&r, r.ID).Error; err != nil {
			t.Fatal(err)
		}
		step("reject", "declaration", "reject", `"status":"accepted"`, `"status":"rejected"`, func() error {
			out, err := svc.RejectDeclaration(ctx, as(testkit.UserCustoms), r.ID, workflow.RejectInput{Version: r.Version,
				Reasons: []workflow.RejectionInput{{Code: "R01", Field: "destination_port", Note: "wrong port"}}})
			if err == nil {
				r = *out
			}
			return err
		})
		step("fix", "declaration", "resubmit", `"destination_port":"Jebel Ali"`, `"destination_port":"Dubai"`, func() error {
			_, err := svc.FixDeclaration(ctx, as(testkit.UserAgentX), r.ID, workflow.FixInput{Version: r.Version,
				Values: map[string]string{"destination_port": "Dubai"}, SignerName: "王小明", SignerRole: "报关员", Statement: true})
			return err
		})

		var receipt *models.FXReceipt
		step("record receipt", "fx_receipt", "create", "", `BOC-AUDIT-1`, func() error {
			receipt, err = svc.RecordFXReceipt(ctx, as(testkit.UserFX), workflow.FXReceiptInput{BankRef: "BOC-AUDIT-1", Payer: w.BuyerA.Name,
				PayerCountry: "AE", Currency: "USD", Amount: "1500.00", ValueDate: "2026-11-29", Beneficiary: w.MerchantA.USCC})
			return err
		})
		step("allocate", "fx_receipt", "allocate", `"allocated":"0.00"`, `"allocated":"1500.00"`, func() error {
			_, err := svc.AllocateFXReceipt(ctx, as(testkit.UserFX), receipt.ID, workflow.FXAllocateInput{Items: []workflow.FXAllocationItem{
				{TraceCode: green.Lines[0].TraceCode, Amount: "1500.00"}}})
			return err
		})

		now = time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)
		var f *models.TaxFiling
		step("build filing", "tax_filing", "create", "", `"status":"draft"`, func() error {
			f, err = svc.BuildTaxFiling(ctx, as(testkit.UserMerchantA), workflow.TaxFilingInput{MerchantID: w.MerchantA.ID, Period: "2026-11"})
			return err
		})
		step("file", "tax_filing", "file", `"status":"draft"`, `"status":"filed"`, func() error {
			f, err = svc.FileTaxFiling(ctx, as(testkit.UserMerchantA), f.ID, f.Version)
			return err
		})
		step("accept filing", "tax_filing", "accept", `"status":"filed"`, `"status":"accepted"`, func() error {
			_, err = svc.DecideTaxFiling(ctx, as(testkit.UserTax), f.ID, workflow.TaxDecision{Accept: true, Version: f.Version})
			return err
		})

		// The office code is not stored by the seed: a first save writes it too (one entry per
		// setting changed), so the single-change step comes second.
		if _, err := svc.SetSettings(ctx, as(testkit.UserAdmin), workflow.SettingsInput{CapUSD: "150000.00", ItemLimit: "50",
			CustomsOffice: "2933", TaxDueDay: "15"}); err != nil {
			t.Fatal(err)
		}
		step("settings", "setting", "update", `"value":"15"`, `"value":"21"`, func() error {
			_, err := svc.SetSettings(ctx, as(testkit.UserAdmin), workflow.SettingsInput{CapUSD: "150000.00", ItemLimit: "50",
				CustomsOffice: "2933", TaxDueDay: "21"})
			return err
		})

		v, err := models.VerifyAudit(ctx, db, nil, nil)
		if err != nil || !v.OK() {
			t.Fatalf("chain after the steps: %v %+v", err, v.Break)
		}
	})
}
