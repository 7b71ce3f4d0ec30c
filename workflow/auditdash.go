package workflow

import (
	"context"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// The auditor's dashboard (issue 7): what left the country and where to, how customs routed
// it, whether the money came back and the exemption was filed, and the records that need a
// second look. Every figure is an aggregate over the tables the steps write.

// DashBar is one bar of a chart: a label and a value (USD for exports, a count otherwise).
type DashBar struct {
	Label string
	Value int64
	Share float64 // of the chart's largest value, 0–1, for the bar's length
}

// DashCoverage compares what was exported with what followed it (received, filed), by currency.
type DashCoverage struct {
	Currency string
	Exported models.Money
	Covered  models.Money
	Percent  float64
}

// DashUnpaid is a released declaration whose lines are not fully paid after the grace days.
type DashUnpaid struct {
	DeclarationID int64
	PreEntryNo    string
	ReleasedAt    time.Time
	Currency      string
	Amount        models.Money
	Paid          models.Money
}

// DashUnfiled is a merchant's exited but unfiled export of a month whose filing is due.
type DashUnfiled struct {
	MerchantID   int64
	MerchantName string
	Period       string
	Lines        int
	ValueUSD     models.Money
}

// DashReceipt is a receipt with money left unallocated past the setting's days.
type DashReceipt struct {
	ID          int64
	BankRef     string
	PayerName   string
	Currency    string
	Amount      models.Money
	Allocated   models.Money
	ValueDate   string
	Beneficiary string
}

// DashAmended is a declaration amended after release.
type DashAmended struct {
	DeclarationID int64
	PreEntryNo    string
	Status        string
	ReleasedAt    *time.Time
}

// AuditDashboard is the whole dashboard.
type AuditDashboard struct {
	ByCountry, ByChapter, ByMonth, ByMerchant []DashBar // exports in USD (cents)
	Lanes                                     []DashBar // declarations per lane
	Inspections, Discrepancies                int64
	FXCoverage                                []DashCoverage
	VATCoverage                               []DashCoverage // USD
	Unpaid                                    []DashUnpaid
	Unfiled                                   []DashUnfiled
	Unallocated                               []DashReceipt
	Amended                                   []DashAmended
	UnpaidDays, UnallocatedDays               int
}

// InspectionHitRate is the share of completed inspections that found discrepancies, 0–1.
func (d *AuditDashboard) InspectionHitRate() float64 {
	if d.Inspections == 0 {
		return 0
	}
	return float64(d.Discrepancies) / float64(d.Inspections)
}

// dashUnpaidDays is how long after release unpaid money is listed (DOMAIN §5.2 sets no limit;
// 90 days is the usual settlement term of the market's trade).
const dashUnpaidDays = 90

// dashLimit bounds each chart and list.
const dashLimit = 15

// exportedDecls is the condition for a declaration whose goods left: released or exit confirmed.
const exportedDecls = "d.status IN ('released','exited')"

// AuditDashboard computes the dashboard for auditors and admins.
func (s *Service) AuditDashboard(ctx context.Context, actor Actor) (*AuditDashboard, error) {
	if err := actor.Require(ActAuditDashboard); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := &AuditDashboard{UnpaidDays: dashUnpaidDays, UnallocatedDays: st.FXUnallocatedDays}
	bars := func(dst *[]DashBar, q *gorm.DB, what string) error {
		var rows []struct {
			Label string
			Value int64
		}
		order := "value DESC, label"
		if what == "months" {
			order = "label DESC" // the latest months
		}
		if err := q.Order(order).Limit(dashLimit).Scan(&rows).Error; err != nil {
			return apperr.Wrap(err, "dashboard "+what)
		}
		for _, r := range rows {
			*dst = append(*dst, DashBar{Label: r.Label, Value: r.Value})
		}
		scaleBars(*dst)
		return nil
	}
	items := db.Table("declaration_items AS di").Joins("JOIN declarations d ON d.id = di.declaration_id").Where(exportedDecls)
	if err := bars(&out.ByCountry, items.Session(&gorm.Session{}).Select("d.arrival_country AS label, CAST(SUM(di.total_usd) AS BIGINT) AS value").
		Group("d.arrival_country"), "countries"); err != nil {
		return nil, err
	}
	if err := bars(&out.ByChapter, items.Session(&gorm.Session{}).Select("di.chapter AS label, CAST(SUM(di.total_usd) AS BIGINT) AS value").
		Group("di.chapter"), "chapters"); err != nil {
		return nil, err
	}
	if err := bars(&out.ByMonth, db.Table("declarations AS d").Where(exportedDecls).
		Select("d.rate_month AS label, CAST(SUM(d.total_usd) AS BIGINT) AS value").Group("d.rate_month"), "months"); err != nil {
		return nil, err
	}
	sortBarsByLabel(out.ByMonth)
	if err := bars(&out.ByMerchant, db.Table("declaration_item_lines AS dil").
		Joins("JOIN declaration_items di ON di.id = dil.declaration_item_id").Joins("JOIN declarations d ON d.id = di.declaration_id").
		Joins("JOIN transaction_lines tl ON tl.id = dil.transaction_line_id").Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Joins("JOIN merchants m ON m.id = t.merchant_id").Where(exportedDecls).
		Select("m.name AS label, CAST(SUM(dil.value_usd) AS BIGINT) AS value").Group("m.id, m.name"), "merchants"); err != nil {
		return nil, err
	}
	if err := bars(&out.Lanes, db.Table("declarations AS d").Where("d.lane <> ''").
		Select("d.lane AS label, COUNT(*) AS value").Group("d.lane"), "lanes"); err != nil {
		return nil, err
	}
	if err := db.Model(&models.Inspection{}).Where("result <> ''").Count(&out.Inspections).Error; err != nil {
		return nil, apperr.Wrap(err, "dashboard inspections")
	}
	if err := db.Model(&models.Inspection{}).Where("result = ?", "discrepancy").Count(&out.Discrepancies).Error; err != nil {
		return nil, apperr.Wrap(err, "dashboard inspections")
	}
	if err := s.dashCoverage(db, out); err != nil {
		return nil, err
	}
	if err := s.dashAnomalies(ctx, db, out); err != nil {
		return nil, err
	}
	return out, nil
}

// dashCoverage: FX received against exported, per currency; VAT filed (filed or accepted)
// against exited, in USD.
func (s *Service) dashCoverage(db *gorm.DB, out *AuditDashboard) error {
	exportedLines := `SELECT DISTINCT dil.transaction_line_id FROM declaration_item_lines dil
	    JOIN declaration_items di ON di.id = dil.declaration_item_id JOIN declarations d ON d.id = di.declaration_id
	    WHERE ` + exportedDecls
	var fx []struct {
		Currency string
		Exported int64
		Covered  int64
	}
	err := db.Table("transaction_lines AS tl").Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Where("tl.id IN (" + exportedLines + ")").
		Select("t.currency, CAST(SUM(tl.amount) AS BIGINT) AS exported, CAST(SUM(tl.fx_allocated) AS BIGINT) AS covered").
		Group("t.currency").Order("t.currency").Scan(&fx).Error
	if err != nil {
		return apperr.Wrap(err, "dashboard FX coverage")
	}
	for _, r := range fx {
		out.FXCoverage = append(out.FXCoverage, coverage(r.Currency, r.Exported, r.Covered))
	}
	var vat struct {
		Exited int64
		Filed  int64
	}
	err = db.Raw(`SELECT CAST(COALESCE(SUM(dil.value_usd), 0) AS BIGINT) AS exited,
	        CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM tax_filing_lines fl JOIN tax_filings f ON f.id = fl.filing_id
	            WHERE fl.transaction_line_id = dil.transaction_line_id AND f.status IN ('filed','accepted')) THEN dil.value_usd ELSE 0 END), 0) AS BIGINT) AS filed
	    FROM declaration_item_lines dil JOIN declaration_items di ON di.id = dil.declaration_item_id
	    JOIN declarations d ON d.id = di.declaration_id WHERE d.status = 'exited'`).Scan(&vat).Error
	if err != nil {
		return apperr.Wrap(err, "dashboard VAT coverage")
	}
	if vat.Exited > 0 {
		out.VATCoverage = []DashCoverage{coverage("USD", vat.Exited, vat.Filed)}
	}
	return nil
}

func coverage(cur string, exported, covered int64) DashCoverage {
	c := DashCoverage{Currency: cur, Exported: models.Money(exported), Covered: models.Money(covered)}
	if exported > 0 {
		c.Percent = float64(covered) * 100 / float64(exported)
	}
	return c
}

// dashAnomalies lists what needs a second look.
func (s *Service) dashAnomalies(ctx context.Context, db *gorm.DB, out *AuditDashboard) error {
	now := s.now()
	err := db.Raw(`SELECT d.id AS declaration_id, d.pre_entry_no, d.released_at, t.currency,
	        CAST(SUM(tl.amount) AS BIGINT) AS amount, CAST(SUM(tl.fx_allocated) AS BIGINT) AS paid
	    FROM declarations d JOIN declaration_items di ON di.declaration_id = d.id
	    JOIN declaration_item_lines dil ON dil.declaration_item_id = di.id
	    JOIN transaction_lines tl ON tl.id = dil.transaction_line_id JOIN transactions t ON t.id = tl.transaction_id
	    WHERE `+exportedDecls+` AND d.released_at < ?
	    GROUP BY d.id, d.pre_entry_no, d.released_at, t.currency
	    HAVING SUM(tl.fx_allocated) < SUM(tl.amount)
	    ORDER BY d.released_at, d.id LIMIT ?`, now.AddDate(0, 0, -out.UnpaidDays), dashLimit).Scan(&out.Unpaid).Error
	if err != nil {
		return apperr.Wrap(err, "dashboard unpaid")
	}
	// Exited in a month whose filing is overdue (past the configured day of the following
	// month) and claimed by no filed or accepted filing.
	today := now.In(MarketZone)
	prev := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, MarketZone).AddDate(0, -1, 0)
	due, err := s.TaxDueDateOf(ctx, prev.Format("2006-01"))
	if err != nil {
		return err
	}
	maxPeriod := prev.Format("2006-01")
	if today.Format(time.DateOnly) <= due {
		maxPeriod = prev.AddDate(0, -1, 0).Format("2006-01")
	}
	err = db.Raw(`SELECT m.id AS merchant_id, m.name AS merchant_name, substr(d.exit_date, 1, 7) AS period,
	        COUNT(DISTINCT tl.id) AS lines, CAST(SUM(dil.value_usd) AS BIGINT) AS value_usd
	    FROM declarations d JOIN declaration_items di ON di.declaration_id = d.id
	    JOIN declaration_item_lines dil ON dil.declaration_item_id = di.id
	    JOIN transaction_lines tl ON tl.id = dil.transaction_line_id JOIN transactions t ON t.id = tl.transaction_id
	    JOIN merchants m ON m.id = t.merchant_id
	    WHERE d.status = 'exited' AND substr(d.exit_date, 1, 7) <= ?
	      AND NOT EXISTS (SELECT 1 FROM tax_filing_lines fl JOIN tax_filings f ON f.id = fl.filing_id
	          WHERE fl.transaction_line_id = tl.id AND f.status IN ('filed','accepted'))
	    GROUP BY m.id, m.name, substr(d.exit_date, 1, 7)
	    ORDER BY period, m.name LIMIT ?`, maxPeriod, dashLimit).Scan(&out.Unfiled).Error
	if err != nil {
		return apperr.Wrap(err, "dashboard unfiled")
	}
	err = db.Raw(`SELECT r.id, r.bank_ref, r.payer_name, r.currency, r.amount, r.allocated, r.value_date,
	        COALESCE(m.name, a.name, '') AS beneficiary
	    FROM fx_receipts r LEFT JOIN merchants m ON m.id = r.beneficiary_merchant_id LEFT JOIN agents a ON a.id = r.beneficiary_agent_id
	    WHERE r.allocated < r.amount AND r.created_at < ?
	    ORDER BY r.created_at, r.id LIMIT ?`, now.AddDate(0, 0, -out.UnallocatedDays), dashLimit).Scan(&out.Unallocated).Error
	if err != nil {
		return apperr.Wrap(err, "dashboard unallocated")
	}
	err = db.Table("declarations AS d").Select("d.id AS declaration_id, d.pre_entry_no, d.status, d.released_at").
		Where("d.amended_after_release = ?", true).Order("d.id DESC").Limit(dashLimit).Scan(&out.Amended).Error
	if err != nil {
		return apperr.Wrap(err, "dashboard amended")
	}
	return nil
}

// scaleBars sets each bar's share of the largest.
func scaleBars(bs []DashBar) {
	var top int64
	for _, b := range bs {
		top = max(top, b.Value)
	}
	for i := range bs {
		if top > 0 {
			bs[i].Share = float64(bs[i].Value) / float64(top)
		}
	}
}

func sortBarsByLabel(bs []DashBar) {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].Label < bs[j-1].Label; j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
}
