package workflow

import (
	"time"

	"mpt/models"
	"mpt/workflow/apperr"
)

// The consistency checks of a VAT exemption filing line (DOMAIN §5.1, STA 2015 No. 89: exports
// under 1039 by registered merchants are exempt, no refund). Each names one condition; a line
// that fails any of them is left out of a filing, with the reason.
const (
	TaxCheckMerchantActive  = "merchant_active"  // the merchant is registered and active
	TaxCheckRegisteredFirst = "registered_first" // the transaction was registered before the declaration was submitted
	TaxCheckGoodsEligible   = "goods_eligible"   // the goods are recognised (商品认定) and not on the ineligible list
	TaxCheckMode1039        = "mode_1039"        // the declaration is under supervision mode 1039
	TaxCheckExitConfirmed   = "exit_confirmed"   // customs confirmed the exit (结关) with a date
	TaxCheckAmountsAgree    = "amounts_agree"    // transaction, declaration and filing amounts agree
	TaxCheckRateKnown       = "rate_known"       // the customs monthly rate of the declaration month is known
	TaxCheckUnchanged       = "unchanged"        // the declaration was not amended after the filing was built
)

// TaxCheckCodes lists the checks in the order pages show them.
var TaxCheckCodes = []string{TaxCheckMerchantActive, TaxCheckRegisteredFirst, TaxCheckGoodsEligible, TaxCheckMode1039,
	TaxCheckExitConfirmed, TaxCheckAmountsAgree, TaxCheckRateKnown, TaxCheckUnchanged}

// TaxCheckName names a check in both languages.
func TaxCheckName(code string) apperr.Text {
	switch code {
	case TaxCheckMerchantActive:
		return apperr.T("merchant registered and active", "经营户已备案且状态正常")
	case TaxCheckRegisteredFirst:
		return apperr.T("transaction registered before the declaration", "交易登记早于报关")
	case TaxCheckGoodsEligible:
		return apperr.T("goods recognised and eligible", "商品已认定且适用市场采购")
	case TaxCheckMode1039:
		return apperr.T("declared under mode 1039", "以 1039 监管方式申报")
	case TaxCheckExitConfirmed:
		return apperr.T("exit confirmed", "已结关")
	case TaxCheckAmountsAgree:
		return apperr.T("amounts agree", "金额一致")
	case TaxCheckRateKnown:
		return apperr.T("customs monthly rate known", "海关月度汇率已录入")
	case TaxCheckUnchanged:
		return apperr.T("declaration unchanged since the filing was built", "申报后报关单未被修改")
	}
	return apperr.T(code, code)
}

// TaxFiledAmounts is what a filing recorded for a line.
type TaxFiledAmounts struct {
	Currency  string
	Amount    models.Money
	AmountCNY models.Money
}

// TaxLineFacts is what the records say about one transaction line on one declaration, as the
// checks read them.
type TaxLineFacts struct {
	MerchantStatus    string
	TransactionStatus string
	RegisteredAt      *time.Time
	SubmittedAt       *time.Time // the declaration's submission to customs
	GoodsStatus       string
	HSCode            string
	SupervisionMode   string
	DeclarationStatus string
	ExitDate          string // YYYY-MM-DD
	Currency          string // the transaction's currency
	LineAmount        models.Money
	DeclaredValue     models.Money // the declaration's correspondence value of the line (对应关系), same currency
	Correspondence    bool         // the declaration still holds the line
	RateMonth         string
	Rate              models.Rate // CNY per unit at RateMonth; 0 when unknown
	Filed             *TaxFiledAmounts
	AmendedSince      bool // an amendment of the declaration after the filing was built
}

// TaxCheck is the outcome of one check on a line.
type TaxCheck struct {
	Code   string
	OK     bool
	Reason apperr.Text // why it failed; zero when OK
}

// CNY is the line's amount in CNY at the declaration month's rate (0 when the rate is unknown).
func (f TaxLineFacts) CNY() models.Money {
	if f.Rate <= 0 {
		return 0
	}
	return models.ToCNY(f.LineAmount, f.Rate)
}

// CheckTaxLine runs every consistency check of DOMAIN §5.1 on a line and returns one outcome per
// check, in TaxCheckCodes order. It is a plain function of plain values: prefixes is the HS
// prefix list, of which only the ineligible entries count.
func CheckTaxLine(f TaxLineFacts, prefixes []models.HSPrefix) []TaxCheck {
	out := make([]TaxCheck, 0, len(TaxCheckCodes))
	add := func(code string, reason apperr.Text) {
		out = append(out, TaxCheck{Code: code, OK: reason.IsZero(), Reason: reason})
	}
	var r apperr.Text

	r = apperr.Text{}
	if f.MerchantStatus != models.MerchantActive {
		r = apperr.Tf("The merchant is %s, not active: only registered, active merchants are exempt",
			"经营户状态为 %s，不是正常状态：只有已备案且状态正常的经营户可以免税", f.MerchantStatus)
	}
	add(TaxCheckMerchantActive, r)

	r = apperr.Text{}
	switch {
	case f.TransactionStatus != models.TransactionRegistered:
		r = apperr.Tf("The transaction is %s, not registered", "交易状态为 %s，不是已登记", f.TransactionStatus)
	case f.RegisteredAt == nil:
		r = apperr.T("The transaction has no registration time", "交易没有登记时间")
	case f.SubmittedAt == nil:
		r = apperr.T("The declaration was never submitted to customs", "报关单从未提交海关")
	case f.RegisteredAt.After(*f.SubmittedAt):
		r = apperr.Tf("The transaction was registered on %s, after the declaration was submitted on %s",
			"交易于 %s 登记，晚于报关单提交时间 %s", f.RegisteredAt.In(MarketZone).Format("2006-01-02 15:04"),
			f.SubmittedAt.In(MarketZone).Format("2006-01-02 15:04"))
	}
	add(TaxCheckRegisteredFirst, r)

	r = apperr.Text{}
	if f.GoodsStatus != models.GoodsRecognised {
		r = apperr.Tf("The goods are %s, not recognised (商品认定)", "商品状态为 %s，未通过商品认定", f.GoodsStatus)
	} else if why, bad := IneligibleReason(prefixes, f.HSCode); bad {
		r = why
	}
	add(TaxCheckGoodsEligible, r)

	r = apperr.Text{}
	if f.SupervisionMode != "1039" {
		r = apperr.Tf("The declaration is under supervision mode %q, not 1039", "报关单监管方式为 %q，不是 1039", f.SupervisionMode)
	}
	add(TaxCheckMode1039, r)

	r = apperr.Text{}
	if f.DeclarationStatus != models.DeclarationExited || f.ExitDate == "" {
		r = apperr.Tf("Customs has not confirmed the exit: the declaration is %s", "海关尚未确认结关：报关单状态为 %s", f.DeclarationStatus)
	}
	add(TaxCheckExitConfirmed, r)

	r = apperr.Text{}
	switch {
	case !f.Correspondence:
		r = apperr.T("The declaration no longer holds this line", "报关单中已没有该商品行")
	case f.DeclaredValue != f.LineAmount:
		r = apperr.Tf("The transaction line is %[1]s %[2]s but the declaration declares %[1]s %[3]s for it",
			"交易商品行金额为 %[1]s %[2]s，报关单对应申报金额为 %[1]s %[3]s", f.Currency, f.LineAmount, f.DeclaredValue)
	case f.Filed != nil && (f.Filed.Currency != f.Currency || f.Filed.Amount != f.LineAmount):
		r = apperr.Tf("The filing claims %s %s but the transaction line is now %s %s",
			"申报表填报 %s %s，而交易商品行现为 %s %s", f.Filed.Currency, f.Filed.Amount, f.Currency, f.LineAmount)
	case f.Filed != nil && f.Rate > 0 && f.Filed.AmountCNY != f.CNY():
		r = apperr.Tf("The filing claims CNY %s but the line is now CNY %s at the %s rate",
			"申报表填报人民币 %s，按 %s 汇率现折合人民币 %s", f.Filed.AmountCNY, f.CNY(), f.RateMonth)
	}
	add(TaxCheckAmountsAgree, r)

	r = apperr.Text{}
	if f.Rate <= 0 {
		r = apperr.Tf("There is no customs monthly rate for %[2]s in %[1]s; an administrator must enter it under Exchange rates",
			"缺少 %[1]s 的 %[2]s 海关月度汇率，请管理员在“海关月度汇率”中录入", f.RateMonth, f.Currency)
	}
	add(TaxCheckRateKnown, r)

	r = apperr.Text{}
	if f.AmendedSince {
		r = apperr.T("The declaration was amended after this filing was built", "本申报表生成后，报关单被修改过")
	}
	add(TaxCheckUnchanged, r)
	return out
}

// TaxChecksPass reports whether every check passed.
func TaxChecksPass(cs []TaxCheck) bool {
	for _, c := range cs {
		if !c.OK {
			return false
		}
	}
	return true
}

// TaxDueDate is the due date (YYYY-MM-DD) of the filing of an export month: the given day of the
// following month (DOMAIN §5.1: due in the next month's filing period), never past its last day.
func TaxDueDate(period string, day int) string {
	next := AddMonths(period, 1)
	day = max(1, min(day, DaysIn(next)))
	return next + "-" + taxTwoDigits(day)
}

func taxTwoDigits(n int) string {
	return string([]byte{byte('0' + n/10%10), byte('0' + n%10)})
}

// TaxDaysLate counts the days from a due date (YYYY-MM-DD) to a later day; 0 when not late.
func TaxDaysLate(due, day string) int {
	d, err1 := time.Parse(dateLayout, due)
	t, err2 := time.Parse(dateLayout, day)
	if err1 != nil || err2 != nil || !t.After(d) {
		return 0
	}
	return int(t.Sub(d).Hours() / 24)
}
