package workflow

import (
	"cmp"
	"context"
	"slices"

	"mpt/models"
	"mpt/workflow/apperr"
)

// TaxOverdueMerchant is a merchant with lines exited in an export month whose filing due date has
// passed and that no filed or accepted filing claims (DOMAIN §5.1).
type TaxOverdueMerchant struct {
	MerchantID   int64
	MerchantName string
	USCC         string
	Period       string
	DueDate      string
	DaysOverdue  int
	Lines        int
	AmountCNY    models.Money // at the declarations' monthly rates
	MissingRates int          // lines whose rate is unknown, left out of AmountCNY
	InDraft      int          // of the lines, those in a draft filing
}

// TaxOverdueDraft is a draft filing past its due date.
type TaxOverdueDraft struct {
	models.TaxFiling
	MerchantName string
	DaysOverdue  int
}

// TaxOverdue is the tax officer's overdue list.
type TaxOverdue struct {
	Today     string
	Merchants []TaxOverdueMerchant
	Drafts    []TaxOverdueDraft
}

// taxOverdueMax bounds each list of the page; the oldest come first.
const taxOverdueMax = 500

// TaxOverdue lists, for the tax officer, the merchants with exited lines of a month whose filing
// due date has passed that no filed or accepted filing claims (with their amount and the days
// overdue), and the draft filings past their due date. Due dates are read in Yiwu time.
func (s *Service) TaxOverdue(ctx context.Context, actor Actor) (*TaxOverdue, error) {
	if err := actor.Require(ActTaxDecide); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	out := &TaxOverdue{Today: s.taxToday()}
	// Every export month up to two months back is past due; the last month is once its due day
	// has gone by.
	last := AddMonths(s.CurrentMonth(), -1)
	lastDue, err := s.TaxDueDateOf(ctx, last)
	if err != nil {
		return nil, err
	}
	before := AddMonths(last, 1) + "-01"
	if lastDue >= out.Today {
		before = last + "-01"
	}
	var groups []struct {
		MerchantID int64
		Period     string
		Currency   string
		RateMonth  string
		Lines      int
		InDraft    int
		Amount     models.Money
	}
	err = db.Raw(`SELECT t.merchant_id, substr(d.exit_date, 1, 7) AS period, t.currency, d.rate_month, COUNT(*) AS lines,
	        CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM tax_filing_lines fl JOIN tax_filings f ON f.id = fl.filing_id
	            WHERE fl.transaction_line_id = tl.id AND f.status = ?) THEN 1 ELSE 0 END) AS BIGINT) AS in_draft,
	        CAST(SUM(tl.amount) AS BIGINT) AS amount
	    FROM (SELECT DISTINCT dil.transaction_line_id AS line_id, di.declaration_id
	          FROM declaration_item_lines dil
	          JOIN declaration_items di ON di.id = dil.declaration_item_id
	          JOIN declarations dx ON dx.id = di.declaration_id
	          WHERE dx.status = ? AND dx.exit_date <> '' AND dx.exit_date < ?) x
	    JOIN declarations d ON d.id = x.declaration_id
	    JOIN transaction_lines tl ON tl.id = x.line_id
	    JOIN transactions t ON t.id = tl.transaction_id
	    WHERE NOT EXISTS (SELECT 1 FROM tax_filing_lines fl JOIN tax_filings f ON f.id = fl.filing_id
	        WHERE fl.transaction_line_id = tl.id AND f.status IN (?, ?))
	    GROUP BY t.merchant_id, substr(d.exit_date, 1, 7), t.currency, d.rate_month`,
		models.FilingDraft, models.DeclarationExited, before, models.FilingFiled, models.FilingAccepted).Scan(&groups).Error
	if err != nil {
		return nil, apperr.Wrap(err, "load unfiled lines")
	}
	var rates []models.ExchangeRate
	var months []string
	var merchantIDs []int64
	for _, g := range groups {
		months = append(months, g.RateMonth)
		merchantIDs = append(merchantIDs, g.MerchantID)
	}
	if len(months) > 0 {
		if err := db.Where("month IN ?", taxUniqueStrings(months)).Find(&rates).Error; err != nil {
			return nil, apperr.Wrap(err, "load rates")
		}
	}
	tc := &taxContext{rates: map[string]models.Rate{}}
	for _, r := range rates {
		tc.rates[r.Month+" "+r.Currency] = r.CNYPerUnit
	}
	type key struct {
		merchant int64
		period   string
	}
	rows := map[key]*TaxOverdueMerchant{}
	dues := map[string]string{}
	for _, g := range groups {
		k := key{g.MerchantID, g.Period}
		r := rows[k]
		if r == nil {
			due, ok := dues[g.Period]
			if !ok {
				if due, err = s.TaxDueDateOf(ctx, g.Period); err != nil {
					return nil, err
				}
				dues[g.Period] = due
			}
			r = &TaxOverdueMerchant{MerchantID: g.MerchantID, Period: g.Period, DueDate: due, DaysOverdue: TaxDaysLate(due, out.Today)}
			rows[k] = r
		}
		r.Lines += g.Lines
		r.InDraft += g.InDraft
		if rate := tc.rate(g.RateMonth, g.Currency); rate > 0 {
			r.AmountCNY += models.ToCNY(g.Amount, rate)
		} else {
			r.MissingRates += g.Lines
		}
	}
	var info []struct {
		ID   int64
		Name string
		USCC string
	}
	if len(merchantIDs) > 0 {
		if err := db.Model(&models.Merchant{}).Select("id, name, uscc").Where("id IN ?", uniqueIDs(merchantIDs)).
			Scan(&info).Error; err != nil {
			return nil, apperr.Wrap(err, "load merchants")
		}
	}
	byID := map[int64]int{}
	for i, m := range info {
		byID[m.ID] = i
	}
	for _, r := range rows {
		if r.DaysOverdue <= 0 { // due today or later (a due day moved past the usual one)
			continue
		}
		if i, ok := byID[r.MerchantID]; ok {
			r.MerchantName, r.USCC = info[i].Name, info[i].USCC
		}
		out.Merchants = append(out.Merchants, *r)
	}
	slices.SortFunc(out.Merchants, func(a, b TaxOverdueMerchant) int {
		return cmp.Or(cmp.Compare(b.DaysOverdue, a.DaysOverdue), cmp.Compare(a.MerchantName, b.MerchantName),
			cmp.Compare(a.MerchantID, b.MerchantID))
	})
	if len(out.Merchants) > taxOverdueMax {
		out.Merchants = out.Merchants[:taxOverdueMax]
	}

	var drafts []models.TaxFiling
	if err := db.Where("status = ? AND due_date < ?", models.FilingDraft, out.Today).Order("due_date, id").
		Limit(taxOverdueMax).Find(&drafts).Error; err != nil {
		return nil, apperr.Wrap(err, "load overdue drafts")
	}
	var ids []int64
	for _, d := range drafts {
		ids = append(ids, d.MerchantID)
	}
	merchants, err := names(db, "merchants", "name", ids)
	if err != nil {
		return nil, err
	}
	for _, d := range drafts {
		out.Drafts = append(out.Drafts, TaxOverdueDraft{TaxFiling: d, MerchantName: merchants[d.MerchantID],
			DaysOverdue: TaxDaysLate(d.DueDate, out.Today)})
	}
	return out, nil
}

func taxUniqueStrings(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
