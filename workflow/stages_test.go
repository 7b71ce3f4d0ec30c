package workflow_test

import (
	"testing"

	"mpt/models"
	"mpt/workflow"
)

func TestDeriveLineProgress(t *testing.T) {
	reg := models.TransactionRegistered
	for _, tc := range []struct {
		name    string
		facts   workflow.LineFacts
		stage   string
		done    []string // the steps done
		payment string
		partial bool
	}{
		{"Draft", workflow.LineFacts{TransactionStatus: models.TransactionDraft, Amount: 100}, workflow.StageDraft, nil, workflow.PaidNone, false},
		{"DraftPaidCountsNothing", workflow.LineFacts{TransactionStatus: models.TransactionDraft, Amount: 100, Paid: 100}, workflow.StageDraft, nil, workflow.PaidFully, false},
		{"Voided", workflow.LineFacts{TransactionStatus: models.TransactionVoided, Amount: 100, Consolidated: true}, workflow.StageVoided, nil, workflow.PaidNone, false},
		{"Registered", workflow.LineFacts{TransactionStatus: reg, Amount: 100}, workflow.StepRegistered,
			[]string{workflow.StepRegistered}, workflow.PaidNone, false},
		{"HeldIsStillRegistered", workflow.LineFacts{TransactionStatus: models.TransactionHeld, Amount: 100}, workflow.StepRegistered,
			[]string{workflow.StepRegistered}, workflow.PaidNone, false},
		{"Consolidated", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Consolidated: true}, workflow.StepConsolidated,
			[]string{workflow.StepRegistered, workflow.StepConsolidated}, workflow.PaidNone, false},
		{"DraftDeclarationIsNotDeclared", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Consolidated: true, DeclarationStatus: models.DeclarationDraft},
			workflow.StepConsolidated, []string{workflow.StepRegistered, workflow.StepConsolidated}, workflow.PaidNone, false},
		{"Declared", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Consolidated: true, DeclarationStatus: models.DeclarationAccepted},
			workflow.StepDeclared, []string{workflow.StepRegistered, workflow.StepConsolidated, workflow.StepDeclared}, workflow.PaidNone, false},
		{"Released", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Consolidated: true, DeclarationStatus: models.DeclarationReleased},
			workflow.StepReleased, []string{workflow.StepRegistered, workflow.StepConsolidated, workflow.StepDeclared, workflow.StepReleased}, workflow.PaidNone, false},
		{"ExitedPartlyPaid", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Paid: 40, Consolidated: true, DeclarationStatus: models.DeclarationExited},
			workflow.StepExited, []string{workflow.StepRegistered, workflow.StepConsolidated, workflow.StepDeclared, workflow.StepReleased, workflow.StepExited},
			workflow.PaidPartly, true},
		{"PaidBeforeConsolidationStaysRegistered", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Paid: 100}, workflow.StepRegistered,
			[]string{workflow.StepRegistered, workflow.StepPaid}, workflow.PaidFully, false},
		{"FiledWithoutPaymentStopsAtExited", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Consolidated: true,
			DeclarationStatus: models.DeclarationExited, FilingStatus: models.FilingFiled}, workflow.StepExited,
			[]string{workflow.StepRegistered, workflow.StepConsolidated, workflow.StepDeclared, workflow.StepReleased, workflow.StepExited, workflow.StepVATFiled},
			workflow.PaidNone, false},
		{"WholeFlow", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Paid: 100, Consolidated: true,
			DeclarationStatus: models.DeclarationExited, FilingStatus: models.FilingAccepted}, workflow.StepVATFiled, workflow.FlowSteps, workflow.PaidFully, false},
		{"RejectedFilingIsNotFiled", workflow.LineFacts{TransactionStatus: reg, Amount: 100, Paid: 100, Consolidated: true,
			DeclarationStatus: models.DeclarationExited, FilingStatus: models.FilingRejected}, workflow.StepPaid,
			[]string{workflow.StepRegistered, workflow.StepConsolidated, workflow.StepDeclared, workflow.StepReleased, workflow.StepExited, workflow.StepPaid},
			workflow.PaidFully, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := workflow.DeriveLineProgress(tc.facts)
			if p.Stage != tc.stage {
				t.Errorf("stage %q, want %q", p.Stage, tc.stage)
			}
			if p.Payment != tc.payment {
				t.Errorf("payment %q, want %q", p.Payment, tc.payment)
			}
			if len(p.Steps) != len(workflow.FlowSteps) {
				t.Fatalf("%d steps", len(p.Steps))
			}
			want := map[string]bool{}
			for _, s := range tc.done {
				want[s] = true
			}
			for _, s := range p.Steps {
				if s.Done != want[s.Step] {
					t.Errorf("step %s done=%v, want %v", s.Step, s.Done, want[s.Step])
				}
			}
			if got := p.Step(workflow.StepPaid).Partial; got != tc.partial {
				t.Errorf("paid partial=%v, want %v", got, tc.partial)
			}
		})
	}
}

func TestFurtherDeclarationKeepsTheLiveOne(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", models.DeclarationCancelled, ""},
		{models.DeclarationCancelled, models.DeclarationSubmitted, models.DeclarationSubmitted},
		{models.DeclarationExited, models.DeclarationCancelled, models.DeclarationExited},
		{models.DeclarationRejected, models.DeclarationDraft, ""},
		{models.DeclarationAccepted, models.DeclarationReleased, models.DeclarationReleased},
	} {
		if got := workflow.FurtherDeclaration(tc.a, tc.b); got != tc.want {
			t.Errorf("FurtherDeclaration(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestGroupTraceCode(t *testing.T) {
	for in, want := range map[string]string{"ABCDEFGHJK": "ABCDE-FGHJK", "SHORT": "SHORT", "": ""} {
		if got := workflow.GroupTraceCode(in); got != want {
			t.Errorf("GroupTraceCode(%q) = %q, want %q", in, got, want)
		}
	}
}
