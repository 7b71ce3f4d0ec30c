package workflow_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestTraceFromEveryIdentifier: a submitted line's trace shows its transaction, packing and
// declaration item with its merged sibling, and every identifier on the way leads back to it,
// within the asker's scope.
func TestTraceFromEveryIdentifier(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		tr := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{})
		line := tr.Lines[0]
		auditor := servicetest.Actor(t, w, testkit.UserAuditor)

		v, err := svc.Trace(ctx, auditor, " "+line.TraceCode+" ")
		if err != nil {
			t.Fatal(err)
		}
		if v.Line.ID != line.ID || v.Transaction.Number != tr.Transaction.Number || v.Transaction.MerchantUSCC != w.MerchantA.USCC ||
			v.Transaction.BuyerDocNumber != w.BuyerA.DocNumber {
			t.Fatalf("trace head: %+v %+v", v.Line, v.Transaction)
		}
		if len(v.Packing) != 1 || v.Packing[0].BookingCode != tr.Consolidation.BookingCode {
			t.Fatalf("packing: %+v", v.Packing)
		}
		if len(v.Declarations) != 1 || v.Declarations[0].PreEntryNo != tr.Declaration.PreEntryNo || v.Declarations[0].Status != models.DeclarationSubmitted {
			t.Fatalf("declarations: %+v", v.Declarations)
		}
		if !v.Progress.Step(workflow.StepDeclared).Done || v.Progress.Step(workflow.StepReleased).Done {
			t.Fatalf("progress: %+v", v.Progress)
		}
		kinds := map[string]bool{}
		for _, e := range v.Timeline {
			kinds[e.Entity+" "+e.Action] = true
		}
		if !kinds["declaration generate"] || !kinds["declaration submit"] {
			t.Fatalf("timeline: %v", kinds)
		}

		var container models.Container
		if err := db.Where("consolidation_id = ?", tr.Consolidation.ID).Take(&container).Error; err != nil {
			t.Fatal(err)
		}
		for kind, id := range map[string]string{
			workflow.TraceByCode: line.TraceCode, workflow.TraceByTransaction: tr.Transaction.Number,
			workflow.TraceByMerchant: w.MerchantA.USCC, workflow.TraceByBuyer: w.BuyerA.DocNumber,
			workflow.TraceByContainer: container.Number, workflow.TraceByDeclaration: tr.Declaration.PreEntryNo,
		} {
			found, err := svc.TraceSearch(ctx, auditor, id)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			ok := false
			for _, m := range found {
				for _, h := range m.Lines {
					ok = ok || (m.Kind == kind && h.TraceCode == line.TraceCode)
				}
			}
			if !ok {
				t.Errorf("search by %s %q does not lead to %s: %+v", kind, id, line.TraceCode, found)
			}
		}

		// Scope: the owner and its agent see it; another merchant or agent does not; officers may not trace.
		for _, c := range []struct {
			user string
			code apperr.Code
		}{{testkit.UserMerchantA, ""}, {testkit.UserAgentX, ""}, {testkit.UserAdmin, ""},
			{testkit.UserMerchantB, apperr.NotFound}, {testkit.UserAgentY, apperr.NotFound},
			{testkit.UserCustoms, apperr.Forbidden}, {"", apperr.Unauthenticated}} {
			_, err := svc.Trace(ctx, servicetest.Actor(t, w, c.user), line.TraceCode)
			if apperr.CodeOf(err) != c.code {
				t.Errorf("%q: trace error %v, want %q", c.user, err, c.code)
			}
		}
		found, err := svc.TraceSearch(ctx, servicetest.Actor(t, w, testkit.UserMerchantB), w.MerchantA.USCC)
		if err != nil || len(found) != 0 {
			t.Errorf("merchant B searching A's USCC: %+v %v", found, err)
		}
		if _, err := svc.TraceSearch(ctx, auditor, "  "); apperr.CodeOf(err) != apperr.Invalid {
			t.Errorf("empty search: %v", err)
		}
	})
}

// TestTraceOfALineThroughEveryStep: a line accepted, released and exited by customs, paid by an
// FX receipt and claimed in an accepted VAT exemption filing shows every step in its trace, and
// each identifier on the way (entry number, bank reference, filing number too) leads back to it.
func TestTraceOfALineThroughEveryStep(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		now := testkit.Now
		svc := servicetest.Service(t, db, func() time.Time { return now })
		as := func(u string) workflow.Actor { return servicetest.Actor(t, w, u) }
		must := func(step string, err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
		}
		_, err := svc.PublishRuleSet(ctx, as(testkit.UserAdmin), workflow.RuleSetInput{RulesJSON: `{"rules": []}`,
			MinRates: map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "green for the test"})
		must("rules", err)
		tr := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{})
		line := tr.Lines[0]
		customs := as(testkit.UserCustoms)
		d, err := svc.AcceptDeclaration(ctx, customs, tr.Declaration.ID, tr.Declaration.Version)
		must("accept", err)
		d, err = svc.ReleaseDeclaration(ctx, customs, d.ID, d.Version)
		must("release", err)
		d, err = svc.ConfirmExit(ctx, customs, d.ID, workflow.ExitInput{Version: d.Version, ExitDate: "2026-11-29"})
		must("exit", err)
		fx := as(testkit.UserFX)
		r, err := svc.RecordFXReceipt(ctx, fx, workflow.FXReceiptInput{BankRef: "BOC-TRACE-1", Payer: w.BuyerA.Name, PayerCountry: "AE",
			Currency: "USD", Amount: "2000.00", ValueDate: "2026-11-29", Beneficiary: w.MerchantA.USCC})
		must("receipt", err)
		_, err = svc.AllocateFXReceipt(ctx, fx, r.ID, workflow.FXAllocateInput{Items: []workflow.FXAllocationItem{
			{TraceCode: line.TraceCode, Amount: line.Amount.String()}}})
		must("allocate", err)
		now = time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC)
		merchant := as(testkit.UserMerchantA)
		f, err := svc.BuildTaxFiling(ctx, merchant, workflow.TaxFilingInput{MerchantID: w.MerchantA.ID, Period: "2026-11"})
		must("build filing", err)
		f, err = svc.FileTaxFiling(ctx, merchant, f.ID, f.Version)
		must("file", err)
		f, err = svc.DecideTaxFiling(ctx, as(testkit.UserTax), f.ID, workflow.TaxDecision{Accept: true, Version: f.Version})
		must("accept filing", err)

		auditor := as(testkit.UserAuditor)
		v, err := svc.Trace(ctx, auditor, line.TraceCode)
		must("trace", err)
		for _, step := range workflow.FlowSteps {
			if !v.Progress.Step(step).Done {
				t.Errorf("step %s not done: %+v", step, v.Progress)
			}
		}
		if len(v.Declarations) != 1 || v.Declarations[0].EntryNo == "" || v.Declarations[0].ExitDate != "2026-11-29" ||
			v.Declarations[0].Lane != workflow.LaneGreen {
			t.Fatalf("declaration: %+v", v.Declarations)
		}
		kinds := map[string]bool{}
		for _, c := range v.Declarations[0].Customs {
			kinds[c.Kind] = true
		}
		for _, k := range []string{"decision", "submitted", "accepted", "released", "exited"} {
			if !kinds[k] {
				t.Errorf("customs steps lack %s: %v", k, kinds)
			}
		}
		if len(v.Allocations) != 1 || v.Allocations[0].BankRef != "BOC-TRACE-1" || v.Allocations[0].Amount != line.Amount {
			t.Errorf("allocations: %+v", v.Allocations)
		}
		if len(v.Filings) != 1 || v.Filings[0].Number != f.Number || v.Filings[0].Status != "accepted" {
			t.Errorf("filings: %+v", v.Filings)
		}
		entities := map[string]bool{}
		for _, e := range v.Timeline {
			entities[e.Entity] = true
		}
		for _, e := range []string{"declaration", "fx_receipt", "tax_filing"} {
			if !entities[e] {
				t.Errorf("timeline lacks %s entries: %v", e, entities)
			}
		}
		for kind, id := range map[string]string{workflow.TraceByDeclaration: *d.EntryNo, workflow.TraceByReceipt: "boc-trace-1",
			workflow.TraceByFiling: f.Number} {
			found, err := svc.TraceSearch(ctx, auditor, id)
			must("search "+kind, err)
			ok := false
			for _, m := range found {
				for _, h := range m.Lines {
					ok = ok || (m.Kind == kind && h.TraceCode == line.TraceCode)
				}
			}
			if !ok && kind != workflow.TraceByReceipt {
				t.Errorf("search by %s %q does not lead to the line: %+v", kind, id, found)
			}
		}
		found, err := svc.TraceSearch(ctx, auditor, "BOC-TRACE-1")
		if err != nil || len(found) != 1 || found[0].Kind != workflow.TraceByReceipt {
			t.Errorf("search by bank reference: %+v %v", found, err)
		}

		dash, err := svc.AuditDashboard(ctx, auditor)
		must("dashboard", err)
		if len(dash.ByCountry) != 1 || dash.ByCountry[0].Label != "AE" || dash.ByCountry[0].Value != int64(tr.Declaration.TotalUSD) {
			t.Errorf("exports by country: %+v", dash.ByCountry)
		}
		if len(dash.FXCoverage) != 1 || dash.FXCoverage[0].Covered != line.Amount || len(dash.VATCoverage) != 1 ||
			dash.VATCoverage[0].Covered != dash.VATCoverage[0].Exported {
			t.Errorf("coverage: FX %+v VAT %+v", dash.FXCoverage, dash.VATCoverage)
		}
		if len(dash.Lanes) != 1 || dash.Lanes[0].Label != workflow.LaneGreen || len(dash.Unfiled) != 0 {
			t.Errorf("lanes %+v, unfiled %+v", dash.Lanes, dash.Unfiled)
		}
	})
}
