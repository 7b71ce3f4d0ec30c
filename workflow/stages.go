package workflow

import (
	"mpt/models"
	"mpt/workflow/apperr"
)

// The steps a transaction line goes through (DOMAIN §3 and §9): registered (交易登记) →
// consolidated (组货装箱) → declared (申报) → released (放行) → exited (结关) → paid (收汇) →
// VAT exemption filed (免税申报). Each is derived from the tables other steps write; no stage is
// stored, so it can never disagree with the records.
const (
	StepRegistered   = "registered"
	StepConsolidated = "consolidated"
	StepDeclared     = "declared"
	StepReleased     = "released"
	StepExited       = "exited"
	StepPaid         = "paid"
	StepVATFiled     = "vat_filed"
)

// FlowSteps lists the steps in the order of the trade.
var FlowSteps = []string{StepRegistered, StepConsolidated, StepDeclared, StepReleased, StepExited, StepPaid, StepVATFiled}

// Where a line stands before its first step or off the flow.
const (
	StageDraft  = "draft"  // its transaction is not registered yet
	StageVoided = "voided" // its transaction was voided: it goes no further
)

// How much of a line's amount FX receipts have paid (DOMAIN §5.2).
const (
	PaidNone   = "none"
	PaidPartly = "partly"
	PaidFully  = "fully"
)

// LineFacts is what the tables say about one transaction line.
type LineFacts struct {
	TransactionStatus string       // draft, registered, held, voided
	Consolidated      bool         // a consolidation_lines row in a consolidation that is not cancelled
	DeclarationStatus string       // the most advanced status among the line's declarations, "" for none
	Amount            models.Money // the line's amount
	Paid              models.Money // the sum of its FX allocations
	FilingStatus      string       // the most advanced status among the VAT filings claiming it, "" for none
}

// StepState is one step of a line's flow.
type StepState struct {
	Step    string
	Done    bool
	Partial bool // paid in part
}

// LineProgress is where a line stands.
type LineProgress struct {
	// Stage is the last step reached without a gap from the start (a line paid before it was
	// consolidated is still at "registered"), or StageDraft or StageVoided.
	Stage   string
	Steps   []StepState // one per FlowSteps
	Payment string      // PaidNone, PaidPartly, PaidFully
	Held    bool        // its transaction is held for review by market supervision (DOMAIN §8)
	Filing  string      // the filing status behind the VAT step ("rejected" shows why it is not done)
}

// Step reports the state of one step.
func (p LineProgress) Step(step string) StepState {
	for _, s := range p.Steps {
		if s.Step == step {
			return s
		}
	}
	return StepState{Step: step}
}

// declarationRank orders declaration statuses by how far they got; draft, rejected and
// cancelled declarations do not count as declared.
var declarationRank = map[string]int{
	models.DeclarationSubmitted: 1,
	models.DeclarationAccepted:  2,
	models.DeclarationReleased:  3,
	models.DeclarationExited:    4,
}

// filingRank orders filing statuses by how far they got.
var filingRank = map[string]int{
	models.FilingDraft:    1,
	models.FilingRejected: 2,
	models.FilingFiled:    3,
	models.FilingAccepted: 4,
}

// FurtherDeclaration returns whichever of two declaration statuses got further ("" for none
// that counts), so a line declared twice (once cancelled) shows the live declaration.
func FurtherDeclaration(a, b string) string {
	if declarationRank[b] > declarationRank[a] {
		return b
	}
	if declarationRank[a] == 0 {
		return ""
	}
	return a
}

// FurtherFiling returns whichever of two filing statuses got further.
func FurtherFiling(a, b string) string {
	if filingRank[b] > filingRank[a] {
		return b
	}
	return a
}

// PaymentOf says how much of an amount is paid.
func PaymentOf(amount, paid models.Money) string {
	switch {
	case paid <= 0:
		return PaidNone
	case paid >= amount:
		return PaidFully
	}
	return PaidPartly
}

// DeriveLineProgress works out where a line stands from the facts the tables hold. It is a
// plain function of plain values, so every combination is tested without a database.
func DeriveLineProgress(f LineFacts) LineProgress {
	p := LineProgress{Payment: PaymentOf(f.Amount, f.Paid), Held: f.TransactionStatus == models.TransactionHeld,
		Filing: f.FilingStatus}
	registered := f.TransactionStatus == models.TransactionRegistered || f.TransactionStatus == models.TransactionHeld
	declared := declarationRank[f.DeclarationStatus]
	done := map[string]bool{
		StepRegistered:   registered,
		StepConsolidated: registered && f.Consolidated,
		StepDeclared:     registered && declared >= declarationRank[models.DeclarationSubmitted],
		StepReleased:     registered && declared >= declarationRank[models.DeclarationReleased],
		StepExited:       registered && declared >= declarationRank[models.DeclarationExited],
		StepPaid:         registered && p.Payment == PaidFully,
		StepVATFiled:     registered && filingRank[f.FilingStatus] >= filingRank[models.FilingFiled],
	}
	for _, step := range FlowSteps {
		p.Steps = append(p.Steps, StepState{Step: step, Done: done[step],
			Partial: step == StepPaid && registered && p.Payment == PaidPartly})
	}
	switch {
	case f.TransactionStatus == models.TransactionVoided:
		p.Stage = StageVoided
	case !registered:
		p.Stage = StageDraft
	default:
		for _, st := range p.Steps {
			if !st.Done {
				break
			}
			p.Stage = st.Step
		}
	}
	return p
}

// StepText names a step or stage in both languages.
func StepText(step string) apperr.Text {
	switch step {
	case StepRegistered:
		return apperr.T("registered", "已登记")
	case StepConsolidated:
		return apperr.T("consolidated", "已组货")
	case StepDeclared:
		return apperr.T("declared", "已申报")
	case StepReleased:
		return apperr.T("released", "已放行")
	case StepExited:
		return apperr.T("exited", "已结关")
	case StepPaid:
		return apperr.T("paid", "已收汇")
	case StepVATFiled:
		return apperr.T("VAT exemption filed", "已免税申报")
	case StageDraft:
		return apperr.T("draft", "草稿")
	case StageVoided:
		return apperr.T("voided", "已作废")
	}
	return apperr.T(step, step)
}
