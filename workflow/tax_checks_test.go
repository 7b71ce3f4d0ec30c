package workflow_test

import (
	"strings"
	"testing"
	"time"

	"mpt/models"
	"mpt/workflow"
)

// okTaxFacts is a line that passes every check: USD 1,000.00 at 7.1 CNY.
func okTaxFacts() workflow.TaxLineFacts {
	reg := time.Date(2026, 10, 5, 1, 0, 0, 0, time.UTC)
	sub := reg.Add(time.Hour)
	return workflow.TaxLineFacts{MerchantStatus: models.MerchantActive, TransactionStatus: models.TransactionRegistered,
		RegisteredAt: &reg, SubmittedAt: &sub, GoodsStatus: models.GoodsRecognised, HSCode: "9503009000",
		SupervisionMode: "1039", DeclarationStatus: models.DeclarationExited, ExitDate: "2026-10-20", Currency: "USD",
		LineAmount: 100_000, DeclaredValue: 100_000, Correspondence: true, RateMonth: "2026-10", Rate: 7_100_000}
}

// TestCheckTaxLine: each consistency check of DOMAIN §5.1 fails exactly when its condition is
// broken, and its reason says what is wrong.
func TestCheckTaxLine(t *testing.T) {
	prefixes := []models.HSPrefix{{ID: 1, List: models.ListIneligible, Prefix: "93", ReasonEn: "arms", ReasonZh: "武器"}}
	cases := []struct {
		name   string
		change func(f *workflow.TaxLineFacts)
		fail   string // the one check that fails, "" for none
		reason string // a word of its English reason
	}{
		{"OK", func(*workflow.TaxLineFacts) {}, "", ""},
		{"OKRegisteredAtSubmission", func(f *workflow.TaxLineFacts) { f.RegisteredAt = f.SubmittedAt }, "", ""},
		{"OKFiledAgrees", func(f *workflow.TaxLineFacts) {
			f.Filed = &workflow.TaxFiledAmounts{Currency: "USD", Amount: 100_000, AmountCNY: 710_000}
		}, "", ""},
		{"ErrMerchantAbnormal", func(f *workflow.TaxLineFacts) { f.MerchantStatus = models.MerchantAbnormal },
			workflow.TaxCheckMerchantActive, "abnormal"},
		{"ErrMerchantPending", func(f *workflow.TaxLineFacts) { f.MerchantStatus = models.MerchantPending },
			workflow.TaxCheckMerchantActive, "pending"},
		{"ErrTransactionVoided", func(f *workflow.TaxLineFacts) { f.TransactionStatus = models.TransactionVoided },
			workflow.TaxCheckRegisteredFirst, "voided"},
		{"ErrRegisteredAfterSubmission", func(f *workflow.TaxLineFacts) {
			late := f.SubmittedAt.Add(time.Minute)
			f.RegisteredAt = &late
		}, workflow.TaxCheckRegisteredFirst, "after the declaration"},
		{"ErrNeverSubmitted", func(f *workflow.TaxLineFacts) { f.SubmittedAt = nil },
			workflow.TaxCheckRegisteredFirst, "never submitted"},
		{"ErrGoodsNotRecognised", func(f *workflow.TaxLineFacts) { f.GoodsStatus = models.GoodsHeld },
			workflow.TaxCheckGoodsEligible, "not recognised"},
		{"ErrGoodsIneligible", func(f *workflow.TaxLineFacts) { f.HSCode = "9302000000" },
			workflow.TaxCheckGoodsEligible, "ineligible"},
		{"ErrNot1039", func(f *workflow.TaxLineFacts) { f.SupervisionMode = "0110" }, workflow.TaxCheckMode1039, "0110"},
		{"ErrNotExited", func(f *workflow.TaxLineFacts) { f.DeclarationStatus = models.DeclarationReleased },
			workflow.TaxCheckExitConfirmed, "released"},
		{"ErrNoExitDate", func(f *workflow.TaxLineFacts) { f.ExitDate = "" }, workflow.TaxCheckExitConfirmed, "exit"},
		{"ErrDeclaredValueDiffers", func(f *workflow.TaxLineFacts) { f.DeclaredValue = 90_000 },
			workflow.TaxCheckAmountsAgree, "900.00"},
		{"ErrNoCorrespondence", func(f *workflow.TaxLineFacts) { f.Correspondence = false },
			workflow.TaxCheckAmountsAgree, "no longer holds"},
		{"ErrFiledAmountDiffers", func(f *workflow.TaxLineFacts) {
			f.Filed = &workflow.TaxFiledAmounts{Currency: "USD", Amount: 110_000, AmountCNY: 781_000}
		}, workflow.TaxCheckAmountsAgree, "1100.00"},
		{"ErrFiledCurrencyDiffers", func(f *workflow.TaxLineFacts) {
			f.Filed = &workflow.TaxFiledAmounts{Currency: "EUR", Amount: 100_000, AmountCNY: 710_000}
		}, workflow.TaxCheckAmountsAgree, "EUR"},
		{"ErrFiledCNYDiffers", func(f *workflow.TaxLineFacts) {
			f.Filed = &workflow.TaxFiledAmounts{Currency: "USD", Amount: 100_000, AmountCNY: 700_000}
		}, workflow.TaxCheckAmountsAgree, "7000.00"},
		{"ErrNoRate", func(f *workflow.TaxLineFacts) { f.Rate = 0 }, workflow.TaxCheckRateKnown, "2026-10"},
		{"ErrAmendedSince", func(f *workflow.TaxLineFacts) { f.AmendedSince = true }, workflow.TaxCheckUnchanged, "amended"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := okTaxFacts()
			c.change(&f)
			checks := workflow.CheckTaxLine(f, prefixes)
			if len(checks) != len(workflow.TaxCheckCodes) {
				t.Fatalf("%d checks, want %d", len(checks), len(workflow.TaxCheckCodes))
			}
			for i, ch := range checks {
				if ch.Code != workflow.TaxCheckCodes[i] {
					t.Errorf("check %d is %s, want %s", i, ch.Code, workflow.TaxCheckCodes[i])
				}
				wantFail := ch.Code == c.fail
				if ch.OK == wantFail {
					t.Errorf("%s: ok=%v, want %v (%s)", ch.Code, ch.OK, !wantFail, ch.Reason.En)
				}
				if ch.OK != ch.Reason.IsZero() {
					t.Errorf("%s: ok=%v with reason %q", ch.Code, ch.OK, ch.Reason.En)
				}
				if wantFail && (!strings.Contains(ch.Reason.En, c.reason) || ch.Reason.Zh == "") {
					t.Errorf("%s: reason %q / %q, want it to mention %q", ch.Code, ch.Reason.En, ch.Reason.Zh, c.reason)
				}
			}
			if workflow.TaxChecksPass(checks) != (c.fail == "") {
				t.Errorf("TaxChecksPass = %v", workflow.TaxChecksPass(checks))
			}
		})
	}
}

// TestTaxDueDate: the due date is the given day of the month after the export month, never past
// that month's last day, across a year end.
func TestTaxDueDate(t *testing.T) {
	for _, c := range []struct {
		period string
		day    int
		want   string
	}{
		{"2026-10", 15, "2026-11-15"},
		{"2026-12", 15, "2027-01-15"},
		{"2027-01", 31, "2027-02-28"},
		{"2026-05", 1, "2026-06-01"},
	} {
		if got := workflow.TaxDueDate(c.period, c.day); got != c.want {
			t.Errorf("TaxDueDate(%s, %d) = %s, want %s", c.period, c.day, got, c.want)
		}
	}
	for _, c := range []struct {
		due, day string
		want     int
	}{{"2026-11-15", "2026-11-15", 0}, {"2026-11-15", "2026-11-14", 0}, {"2026-11-15", "2026-11-16", 1}, {"2026-11-15", "2027-01-15", 61}} {
		if got := workflow.TaxDaysLate(c.due, c.day); got != c.want {
			t.Errorf("TaxDaysLate(%s, %s) = %d, want %d", c.due, c.day, got, c.want)
		}
	}
}
