package workflow

import (
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// TaxClaim is a filing that already claims a line.
type TaxClaim struct {
	FilingID int64
	Number   string
	Status   string
}

// TaxLine is one exported transaction line as a filing (or its preview) shows it: what it is,
// its declaration and exit, its amount in its currency and in CNY at the declaration month's
// rate, and the outcome of every consistency check.
type TaxLine struct {
	LineID        int64
	TraceCode     string
	TransactionID int64
	TransactionNo string
	GoodsNameZh   string
	GoodsNameEn   string
	HSCode        string
	DeclarationID int64
	PreEntryNo    string
	EntryNo       string // the customs entry number (海关编号), "" before acceptance
	ExitDate      string
	Currency      string
	Amount        models.Money
	RateMonth     string
	AmountCNY     models.Money
	Checks        []TaxCheck
	OK            bool             // every check passed
	ClaimedBy     *TaxClaim        // a preview line already in a draft, filed or accepted filing
	Filed         *TaxFiledAmounts // what the filing recorded, on a filing's page
}

// DeclarationNo is the customs entry number, or the pre-entry number before customs accepted it.
func (l TaxLine) DeclarationNo() string {
	if l.EntryNo != "" {
		return l.EntryNo
	}
	return l.PreEntryNo
}

// Goods names the goods in a language.
func (l TaxLine) Goods(lang string) string {
	if strings.HasPrefix(lang, "zh") && l.GoodsNameZh != "" || l.GoodsNameEn == "" {
		return l.GoodsNameZh
	}
	return l.GoodsNameEn
}

// Failed lists the checks the line failed.
func (l TaxLine) Failed() []TaxCheck {
	var out []TaxCheck
	for _, c := range l.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// taxFactRow is one (line, declaration) pair with what the checks read.
type taxFactRow struct {
	LineID            int64
	TraceCode         string
	LineAmount        models.Money
	TransactionID     int64
	TransactionNo     string
	MerchantID        int64
	Currency          string
	TransactionStatus string
	RegisteredAt      *time.Time
	MerchantStatus    string
	GoodsNameZh       string
	GoodsNameEn       string
	HSCode            string
	GoodsStatus       string
	DeclarationID     int64
	PreEntryNo        string
	EntryNo           *string
	DeclarationStatus string
	SupervisionMode   string
	ExitDate          string
	SubmittedAt       *time.Time
	RateMonth         string
	DeclaredValue     models.Money
}

// taxFactSelect reads (line, declaration) pairs through the correspondence (对应关系): a line's
// declared value is the sum of its correspondence rows on that declaration (aliases tl, t, m,
// g, d, dil). Each query below names its tables in the order they are to be read, with CROSS
// JOIN where SQLite must not choose another: SQLite keeps the left table of a CROSS JOIN in the
// outer loop, PostgreSQL plans it as the inner join it is. Left free, SQLite started from all
// the month's exited declarations, so each filing read every line exported that month.
const taxFactSelect = `SELECT tl.id AS line_id, tl.trace_code, tl.amount AS line_amount, t.id AS transaction_id,
        t.number AS transaction_no, t.merchant_id, t.currency, t.status AS transaction_status, t.registered_at,
        m.status AS merchant_status, g.name_zh AS goods_name_zh, g.name_en AS goods_name_en, g.hs_code,
        g.status AS goods_status, d.id AS declaration_id, d.pre_entry_no, d.entry_no, d.status AS declaration_status,
        d.supervision_mode, d.exit_date, d.submitted_at, d.rate_month, CAST(SUM(dil.value) AS BIGINT) AS declared_value
`

const taxFactGroup = ` GROUP BY tl.id, t.id, m.id, g.id, d.id ORDER BY d.exit_date, d.id, tl.trace_code, tl.id`

// taxPeriodBounds are the first day of a month and of the next, for exit_date comparisons.
func taxPeriodBounds(period string) (string, string) {
	return period + "-01", AddMonths(period, 1) + "-01"
}

// taxExitedLineFacts reads the merchant's lines on declarations exited in a period.
func taxExitedLineFacts(db *gorm.DB, merchantID int64, period string) ([]taxFactRow, error) {
	from, to := taxPeriodBounds(period)
	var rows []taxFactRow
	// From the merchant's transactions to their lines' declarations.
	err := db.Raw(taxFactSelect+`FROM transactions t
    CROSS JOIN transaction_lines tl
    CROSS JOIN declaration_item_lines dil
    JOIN declaration_items di ON di.id = dil.declaration_item_id
    JOIN declarations d ON d.id = di.declaration_id
    JOIN merchants m ON m.id = t.merchant_id
    JOIN goods g ON g.id = tl.goods_id
    WHERE t.merchant_id = ? AND tl.transaction_id = t.id AND dil.transaction_line_id = tl.id
        AND d.status = ? AND d.exit_date >= ? AND d.exit_date < ?`+taxFactGroup,
		merchantID, models.DeclarationExited, from, to).Scan(&rows).Error
	return rows, apperr.Wrap(err, "load exited lines")
}

// taxFilingLineFacts reads the lines a filing claims, on the declarations it names.
func taxFilingLineFacts(db *gorm.DB, filingID int64) ([]taxFactRow, error) {
	var rows []taxFactRow
	// From the filing's lines (one row per line: ux_tax_filing_lines) to their correspondence
	// rows on the declaration the filing names.
	err := db.Raw(taxFactSelect+`FROM tax_filing_lines fl
    CROSS JOIN declaration_item_lines dil
    JOIN declaration_items di ON di.id = dil.declaration_item_id
    JOIN declarations d ON d.id = di.declaration_id
    JOIN transaction_lines tl ON tl.id = dil.transaction_line_id
    JOIN transactions t ON t.id = tl.transaction_id
    JOIN merchants m ON m.id = t.merchant_id
    JOIN goods g ON g.id = tl.goods_id
    WHERE fl.filing_id = ? AND dil.transaction_line_id = fl.transaction_line_id AND di.declaration_id = fl.declaration_id`+taxFactGroup,
		filingID).Scan(&rows).Error
	return rows, apperr.Wrap(err, "load filing lines")
}

// taxContext is what the checks need beyond the rows: the rates and the HS prefix lists.
type taxContext struct {
	rates    map[string]models.Rate // "YYYY-MM CUR" → CNY per unit
	prefixes []models.HSPrefix
}

func loadTaxContext(db *gorm.DB, rows []taxFactRow) (*taxContext, error) {
	tc := &taxContext{rates: map[string]models.Rate{}}
	var months []string
	for _, r := range rows {
		if !slices.Contains(months, r.RateMonth) {
			months = append(months, r.RateMonth)
		}
	}
	if len(months) > 0 {
		var rates []models.ExchangeRate
		if err := db.Where("month IN ?", months).Find(&rates).Error; err != nil {
			return nil, apperr.Wrap(err, "load rates")
		}
		for _, r := range rates {
			tc.rates[r.Month+" "+r.Currency] = r.CNYPerUnit
		}
	}
	if err := db.Where("list = ?", models.ListIneligible).Order("id").Find(&tc.prefixes).Error; err != nil {
		return nil, apperr.Wrap(err, "load HS prefix lists")
	}
	return tc, nil
}

func (tc *taxContext) rate(month, currency string) models.Rate {
	if currency == "CNY" {
		return models.Rate(1_000_000)
	}
	return tc.rates[month+" "+currency]
}

// line turns a row into a checked TaxLine; filed and amended are the filing's record of it.
func (tc *taxContext) line(r taxFactRow, filed *TaxFiledAmounts, amended bool) TaxLine {
	f := TaxLineFacts{MerchantStatus: r.MerchantStatus, TransactionStatus: r.TransactionStatus, RegisteredAt: r.RegisteredAt,
		SubmittedAt: r.SubmittedAt, GoodsStatus: r.GoodsStatus, HSCode: r.HSCode, SupervisionMode: r.SupervisionMode,
		DeclarationStatus: r.DeclarationStatus, ExitDate: r.ExitDate, Currency: r.Currency, LineAmount: r.LineAmount,
		DeclaredValue: r.DeclaredValue, Correspondence: true, RateMonth: r.RateMonth, Rate: tc.rate(r.RateMonth, r.Currency),
		Filed: filed, AmendedSince: amended}
	l := TaxLine{LineID: r.LineID, TraceCode: r.TraceCode, TransactionID: r.TransactionID, TransactionNo: r.TransactionNo,
		GoodsNameZh: r.GoodsNameZh, GoodsNameEn: r.GoodsNameEn, HSCode: r.HSCode, DeclarationID: r.DeclarationID,
		PreEntryNo: r.PreEntryNo, ExitDate: r.ExitDate, Currency: r.Currency, Amount: r.LineAmount, RateMonth: r.RateMonth,
		AmountCNY: f.CNY(), Filed: filed}
	if r.EntryNo != nil {
		l.EntryNo = *r.EntryNo
	}
	l.Checks = CheckTaxLine(f, tc.prefixes)
	l.OK = TaxChecksPass(l.Checks)
	return l
}

// taxLineClaims returns the filings (not rejected) that claim any of some lines.
func taxLineClaims(db *gorm.DB, lineIDs []int64) (map[int64]TaxClaim, error) {
	out := map[int64]TaxClaim{}
	const chunk = 900
	for start := 0; start < len(lineIDs); start += chunk {
		ids := lineIDs[start:min(start+chunk, len(lineIDs))]
		var rows []struct {
			LineID   int64
			FilingID int64
			Number   string
			Status   string
		}
		err := db.Table("tax_filing_lines AS fl").Select("fl.transaction_line_id AS line_id, f.id AS filing_id, f.number, f.status").
			Joins("JOIN tax_filings f ON f.id = fl.filing_id").
			Where("fl.transaction_line_id IN ? AND f.status <> ?", ids, models.FilingRejected).Scan(&rows).Error
		if err != nil {
			return nil, apperr.Wrap(err, "load claims")
		}
		for _, r := range rows {
			out[r.LineID] = TaxClaim{FilingID: r.FilingID, Number: r.Number, Status: r.Status}
		}
	}
	return out, nil
}
