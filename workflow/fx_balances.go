package workflow

import (
	"context"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// ---- FX balances: exported against received (DOMAIN §5.2) ----------------------------------

// Groupings of the balances page.
const (
	FXByMerchant    = "merchant"    // exported, received and outstanding per merchant and currency
	FXByBuyer       = "buyer"       // the same per buyer
	FXByBeneficiary = "beneficiary" // unallocated money per beneficiary and currency
)

// FXBalanceGroupings lists the groupings in display order.
var FXBalanceGroupings = []string{FXByMerchant, FXByBuyer, FXByBeneficiary}

// FXBalanceFilter chooses the grouping and page.
type FXBalanceFilter struct {
	By       string // FXByMerchant (default), FXByBuyer, FXByBeneficiary
	Currency string
	Page     int
}

// FXBalanceRow is one party's balance in one currency. For merchants and buyers: Exported is the
// amount of lines of exited declarations, Received what receipts allocated to any of their lines
// (before export too), Outstanding what exported lines still wait for. For beneficiaries:
// Unallocated money received but not yet allocated, and the part of it older than the setting.
type FXBalanceRow struct {
	Kind        string // merchant, buyer, or for beneficiaries merchant/agent
	ID          int64
	Name        string
	Code        string // USCC, or the buyer's nationality
	Currency    string
	Exported    models.Money
	Received    models.Money
	Outstanding models.Money
	Unallocated models.Money
	Overdue     models.Money // unallocated longer than the setting's days
}

// FXBalanceList is a page of balances.
type FXBalanceList struct {
	By                   string
	Rows                 []FXBalanceRow
	Total                int64
	Page, Pages, PerPage int
	Days                 int
}

// FXBalancesPerPage is the size of a page of balances.
const FXBalancesPerPage = 50

// fxExitedLines is the set of lines of an exited declaration.
const fxExitedLines = `SELECT DISTINCT dil.transaction_line_id AS line_id FROM declaration_item_lines dil
	JOIN declaration_items di ON di.id = dil.declaration_item_id
	JOIN declarations d ON d.id = di.declaration_id WHERE d.status = 'exited'`

// FXBalances sums exported value, money received and outstanding per merchant or per buyer (by
// currency), or unallocated money per beneficiary.
func (s *Service) FXBalances(ctx context.Context, actor Actor, f FXBalanceFilter) (*FXBalanceList, error) {
	if err := actor.Require(ActFXBalances); err != nil {
		return nil, err
	}
	if f.By == "" {
		f.By = FXByMerchant
	}
	var fe apperr.Fields
	switch f.By {
	case FXByMerchant, FXByBuyer, FXByBeneficiary:
	default:
		fe.Add("by", apperr.T("Choose merchants, buyers or beneficiaries", "请选择按经营户、采购商或收款人汇总"))
	}
	cur := ""
	if f.Currency != "" {
		if c := CheckCurrency(s.ref, f.Currency); c.OK {
			cur = c.Value
		} else {
			fe.Add("currency", c.Problem)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var q *gorm.DB
	switch f.By {
	case FXByBeneficiary:
		t, _ := time.Parse(dateLayout, s.fxToday(actor))
		cutoff := t.AddDate(0, 0, -days).Format(dateLayout)
		part := func(kind, table, column string) *gorm.DB {
			p := db.Table("fx_receipts r").Select("'"+kind+"' AS kind, p.id, p.name, p.uscc AS code, r.currency, "+
				"CAST(SUM(r.amount - r.allocated) AS BIGINT) AS unallocated, "+
				"CAST(SUM(CASE WHEN r.value_date < ? THEN r.amount - r.allocated ELSE 0 END) AS BIGINT) AS overdue", cutoff).
				Joins("JOIN " + table + " p ON p.id = r." + column).Where("r.allocated < r.amount")
			if cur != "" {
				p = p.Where("r.currency = ?", cur)
			}
			return p.Group("p.id, p.name, p.uscc, r.currency")
		}
		q = db.Table("(? UNION ALL ?) AS b", part(FXBeneficiaryMerchant, "merchants", "beneficiary_merchant_id"),
			part(FXBeneficiaryAgent, "agents", "beneficiary_agent_id")).Select("*")
	default:
		kind, table, column, code := FXByMerchant, "merchants", "t.merchant_id", "p.uscc"
		if f.By == FXByBuyer {
			kind, table, column, code = FXByBuyer, "buyers", "t.buyer_id", "p.nationality"
		}
		inner := db.Table("transaction_lines tl").Select("'"+kind+"' AS kind, p.id, p.name, "+code+" AS code, t.currency, "+
			"CAST(SUM(CASE WHEN ex.line_id IS NOT NULL THEN tl.amount ELSE 0 END) AS BIGINT) AS exported, "+
			"CAST(SUM(tl.fx_allocated) AS BIGINT) AS received, "+
			"CAST(SUM(CASE WHEN ex.line_id IS NOT NULL THEN tl.amount - tl.fx_allocated ELSE 0 END) AS BIGINT) AS outstanding").
			Joins("JOIN transactions t ON t.id = tl.transaction_id").
			Joins("JOIN "+table+" p ON p.id = "+column).
			Joins("LEFT JOIN ("+fxExitedLines+") ex ON ex.line_id = tl.id").
			Where("t.status IN ?", fxOpenStatuses)
		if cur != "" {
			inner = inner.Where("t.currency = ?", cur)
		}
		inner = inner.Group("p.id, p.name, " + code + ", t.currency").
			Having("SUM(CASE WHEN ex.line_id IS NOT NULL THEN tl.amount ELSE 0 END) > 0 OR SUM(tl.fx_allocated) > 0")
		q = db.Table("(?) AS b", inner).Select("*")
	}
	out := &FXBalanceList{By: f.By, Page: max(f.Page, 1), PerPage: FXBalancesPerPage, Days: days}
	if err := db.Table("(?) AS c", q).Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count balances")
	}
	out.Pages = int((out.Total + FXBalancesPerPage - 1) / FXBalancesPerPage)
	var rows []struct {
		Kind, Name, Code, Currency                            string
		ID                                                    int64
		Exported, Received, Outstanding, Unallocated, Overdue int64
	}
	if err := q.Order("name, id, currency").Limit(FXBalancesPerPage).Offset((out.Page - 1) * FXBalancesPerPage).Scan(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list balances")
	}
	for _, r := range rows {
		out.Rows = append(out.Rows, FXBalanceRow{Kind: r.Kind, ID: r.ID, Name: r.Name, Code: r.Code, Currency: r.Currency,
			Exported: models.Money(r.Exported), Received: models.Money(r.Received), Outstanding: models.Money(r.Outstanding),
			Unallocated: models.Money(r.Unallocated), Overdue: models.Money(r.Overdue)})
	}
	return out, nil
}
