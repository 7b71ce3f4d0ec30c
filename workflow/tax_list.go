package workflow

import (
	"context"
	"slices"

	"mpt/models"
	"mpt/workflow/apperr"
)

// TaxFilingDetail is a filing with its lines checked now, who filed and decided it, and what the
// actor may do with it.
type TaxFilingDetail struct {
	Filing        models.TaxFiling
	Merchant      TaxMerchant
	Lines         []TaxLine
	Disagreements int // failed checks found now
	FiledBy       string
	FiledByAgent  string
	DecidedBy     string
	Late          bool // filed after the due date, or a draft past it
	DaysLate      int
	CanFile       bool
	CanDelete     bool
	CanDecide     bool
	CanAccept     bool // deciding, and every check passes now
}

// TaxFiling returns a filing the actor may see (NotFound otherwise) with its lines checked now.
func (s *Service) TaxFiling(ctx context.Context, actor Actor, id int64) (*TaxFilingDetail, error) {
	if err := actor.Require(ActTaxList); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	f, err := scopedTaxFiling(db, actor, id)
	if err != nil {
		return nil, err
	}
	d := &TaxFilingDetail{Filing: *f}
	if err := db.Model(&models.Merchant{}).Select("id, name, uscc, status").Where("id = ?", f.MerchantID).
		Take(&d.Merchant).Error; err != nil {
		return nil, apperr.Wrap(err, "load merchant")
	}
	if d.Lines, err = s.taxFilingLines(db, f); err != nil {
		return nil, err
	}
	for _, l := range d.Lines {
		d.Disagreements += len(l.Failed())
	}
	var userIDs []int64
	for _, u := range []*int64{f.FiledByUserID, f.DecidedByUserID} {
		if u != nil {
			userIDs = append(userIDs, *u)
		}
	}
	users, err := s.usernames(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	if f.FiledByUserID != nil {
		d.FiledBy = users[*f.FiledByUserID]
	}
	if f.DecidedByUserID != nil {
		d.DecidedBy = users[*f.DecidedByUserID]
	}
	if f.FiledByAgentID != nil {
		agents, err := names(db, "agents", "name", []int64{*f.FiledByAgentID})
		if err != nil {
			return nil, err
		}
		d.FiledByAgent = agents[*f.FiledByAgentID]
	}
	d.Late, d.DaysLate = taxFilingLateness(f, s.taxToday())
	d.CanFile = actor.Can(ActTaxFile) && f.Status == models.FilingDraft
	d.CanDelete = d.CanFile
	d.CanDecide = actor.Can(ActTaxDecide) && f.Status == models.FilingFiled
	d.CanAccept = d.CanDecide && d.Disagreements == 0
	return d, nil
}

// taxToday is the service clock's date in Yiwu.
func (s *Service) taxToday() string { return s.now().In(MarketZone).Format(dateLayout) }

// taxFilingLateness says whether a filing was filed after its due date (or, not filed yet, is
// past it today) and by how many days.
func taxFilingLateness(f *models.TaxFiling, today string) (bool, int) {
	day := today
	if f.FiledAt != nil {
		day = f.FiledAt.In(MarketZone).Format(dateLayout)
	} else if f.Status != models.FilingDraft {
		return false, 0
	}
	n := TaxDaysLate(f.DueDate, day)
	return n > 0, n
}

// TaxFilingStatuses lists the statuses in the order of a filing's life.
var TaxFilingStatuses = []string{models.FilingDraft, models.FilingFiled, models.FilingAccepted, models.FilingRejected}

// TaxFilingFilter narrows the filing list.
type TaxFilingFilter struct {
	Status     string
	Period     string
	MerchantID int64
	Page       int
}

// TaxFilingRow is one filing of the list.
type TaxFilingRow struct {
	models.TaxFiling
	MerchantName string
	Late         bool
	DaysLate     int
}

// TaxFilingList is a page of filings.
type TaxFilingList struct {
	Rows                 []TaxFilingRow
	Total                int64
	Page, Pages, PerPage int
}

const taxFilingsPerPage = 50

// TaxFilings lists the filings the actor may see, newest export month first.
func (s *Service) TaxFilings(ctx context.Context, actor Actor, f TaxFilingFilter) (*TaxFilingList, error) {
	if err := actor.Require(ActTaxList); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if f.Status != "" && !slices.Contains(TaxFilingStatuses, f.Status) {
		fe.Add("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	if f.Period != "" {
		p, ok := ParseMonth(f.Period)
		if !ok {
			fe.Add("period", monthProblem())
		}
		f.Period = p
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	q := taxFilingScoped(s.db.WithContext(ctx).Model(&models.TaxFiling{}), actor)
	if f.Status != "" {
		q = q.Where("tax_filings.status = ?", f.Status)
	}
	if f.Period != "" {
		q = q.Where("tax_filings.period = ?", f.Period)
	}
	if f.MerchantID > 0 {
		q = q.Where("tax_filings.merchant_id = ?", f.MerchantID)
	}
	out := &TaxFilingList{Page: max(f.Page, 1), PerPage: taxFilingsPerPage}
	if err := q.Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count filings")
	}
	out.Pages = int((out.Total + taxFilingsPerPage - 1) / taxFilingsPerPage)
	var rows []models.TaxFiling
	if err := q.Order("tax_filings.period DESC, tax_filings.id DESC").Limit(taxFilingsPerPage).
		Offset((out.Page - 1) * taxFilingsPerPage).Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list filings")
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.MerchantID)
	}
	merchants, err := names(s.db.WithContext(ctx), "merchants", "name", ids)
	if err != nil {
		return nil, err
	}
	today := s.taxToday()
	for _, r := range rows {
		late, n := taxFilingLateness(&r, today)
		out.Rows = append(out.Rows, TaxFilingRow{TaxFiling: r, MerchantName: merchants[r.MerchantID], Late: late, DaysLate: n})
	}
	return out, nil
}

// TaxMerchantChoices are the merchants the actor may pick: for filing, a merchant itself and
// the merchants entrusting an agent today; for the officers' filter, the merchants with filings.
func (s *Service) TaxMerchantChoices(ctx context.Context, actor Actor) ([]TaxMerchant, error) {
	if err := actor.Require(ActTaxList); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	q := models.MerchantsScoped(db.Model(&models.Merchant{}), actor.Scope()).
		Select("merchants.id, merchants.name, merchants.uscc, merchants.status")
	if actor.Scope().All {
		q = q.Where("merchants.id IN (SELECT merchant_id FROM tax_filings)")
	}
	var out []TaxMerchant
	err := q.Order("merchants.name, merchants.id").Limit(txnMaxChoices).Scan(&out).Error
	return out, apperr.Wrap(err, "merchant choices")
}

// DefaultTaxPeriod is the export month normally filed now: the month before the current one
// in Yiwu (DOMAIN §5.1: filed in the month after export).
func (s *Service) DefaultTaxPeriod() string { return AddMonths(s.CurrentMonth(), -1) }
