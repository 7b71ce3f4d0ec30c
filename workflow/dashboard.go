package workflow

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// loadLineFacts reads what the flow's tables say about some lines, one query per table for all
// of them (never one per line): consolidation, declarations, FX allocations and VAT filings.
// The transaction status and amount are the caller's to fill in.
func loadLineFacts(db *gorm.DB, lineIDs []int64) (map[int64]LineFacts, error) {
	facts := make(map[int64]LineFacts, len(lineIDs))
	if len(lineIDs) == 0 {
		return facts, nil
	}
	const chunk = 900
	for start := 0; start < len(lineIDs); start += chunk {
		ids := lineIDs[start:min(start+chunk, len(lineIDs))]
		var consolidated []int64
		err := db.Table("consolidation_lines AS cl").Joins("JOIN consolidations c ON c.id = cl.consolidation_id").
			Where("cl.transaction_line_id IN ? AND c.status <> ?", ids, models.ConsolidationCancelled).
			Pluck("cl.transaction_line_id", &consolidated).Error
		if err != nil {
			return nil, apperr.Wrap(err, "line consolidations")
		}
		for _, id := range consolidated {
			f := facts[id]
			f.Consolidated = true
			facts[id] = f
		}
		var declared []struct {
			LineID int64
			Status string
		}
		err = db.Table("declaration_item_lines AS dil").Select("dil.transaction_line_id AS line_id, d.status").
			Joins("JOIN declaration_items di ON di.id = dil.declaration_item_id").
			Joins("JOIN declarations d ON d.id = di.declaration_id").
			Where("dil.transaction_line_id IN ?", ids).Scan(&declared).Error
		if err != nil {
			return nil, apperr.Wrap(err, "line declarations")
		}
		for _, r := range declared {
			f := facts[r.LineID]
			f.DeclarationStatus = FurtherDeclaration(f.DeclarationStatus, r.Status)
			facts[r.LineID] = f
		}
		var paid []struct {
			LineID int64
			Paid   int64
		}
		err = db.Table("fx_allocations").Select("transaction_line_id AS line_id, CAST(SUM(amount) AS BIGINT) AS paid").
			Where("transaction_line_id IN ?", ids).Group("transaction_line_id").Scan(&paid).Error
		if err != nil {
			return nil, apperr.Wrap(err, "line payments")
		}
		for _, r := range paid {
			f := facts[r.LineID]
			f.Paid = models.Money(r.Paid)
			facts[r.LineID] = f
		}
		var filed []struct {
			LineID int64
			Status string
		}
		err = db.Table("tax_filing_lines AS tfl").Select("tfl.transaction_line_id AS line_id, tf.status").
			Joins("JOIN tax_filings tf ON tf.id = tfl.filing_id").
			Where("tfl.transaction_line_id IN ?", ids).Scan(&filed).Error
		if err != nil {
			return nil, apperr.Wrap(err, "line filings")
		}
		for _, r := range filed {
			f := facts[r.LineID]
			f.FilingStatus = FurtherFiling(f.FilingStatus, r.Status)
			facts[r.LineID] = f
		}
	}
	return facts, nil
}

// ---- The merchant dashboard -----------------------------------------------------------------

// Stage filters of the dashboard: transactions with at least one line that reached a step, or
// that is still waiting for one.
const (
	FilterAwaitingConsolidation = "awaiting_consolidation"
	FilterUnpaid                = "unpaid"
	FilterNotFiled              = "not_filed"
)

// DashboardStageFilters lists the dashboard's stage filters.
var DashboardStageFilters = []string{StepConsolidated, StepDeclared, StepReleased, StepExited, StepPaid, StepVATFiled,
	FilterAwaitingConsolidation, FilterUnpaid, FilterNotFiled}

// DashboardFilter selects the dashboard's transactions.
type DashboardFilter struct {
	TransactionFilter
	Stage string // one of DashboardStageFilters, "" for any
}

// DashboardPerPage is how many transactions a dashboard page shows (each with its lines).
const DashboardPerPage = 20

// DashboardTransaction is a transaction on the dashboard with its lines and their progress.
type DashboardTransaction struct {
	TransactionRow
	Lines     []LineView
	Documents int64
}

// DashboardAction is something waiting for the merchant: a draft to submit, a transaction without
// documents, one held for review, one recently voided.
type DashboardAction struct {
	TransactionID int64
	Number        string
	TradeDate     string
	Status        string
	Reason        string
}

// ExemptionDue is a month of exports whose VAT exemption filing (免税申报) is not made yet: due by
// the due day of the next month (DOMAIN §5.1).
type ExemptionDue struct {
	MerchantID   int64
	MerchantName string
	Period       string // export month, YYYY-MM
	Lines        int64  // exited lines not claimed by a filed or accepted filing
	DueDate      string // YYYY-MM-DD
	Overdue      bool
}

// TradeDashboard is the merchant's view of its trade.
type TradeDashboard struct {
	Transactions []DashboardTransaction
	Total        int64
	Page         int
	Pages        int
	PerPage      int

	Drafts        []DashboardAction // drafts not submitted
	DraftCount    int64
	Undocumented  []DashboardAction // draft or registered, no document attached
	UndocumentedN int64
	Held          []DashboardAction
	Voided        []DashboardAction // voided in the last 30 days
	HeldGoods     int64             // the merchant's goods held by market supervision
	PendingGoods  int64             // the merchant's goods waiting for recognition
	FilingsDue    []ExemptionDue
	Today         string
	ShowMerchant  bool // the actor sees several merchants' trade
}

// txnActionLimit is how many items of each kind the action list shows (with the count of all).
const txnActionLimit = 10

// MerchantDashboard returns the actor's transactions with the progress of each line through the
// whole flow, what needs the merchant's action, and the VAT exemption filings due. A merchant
// sees its own trade, an agent that of the merchants entrusting it, auditors and admins all.
// Lines are read with one query per table for the page (loadLineFacts).
func (s *Service) MerchantDashboard(ctx context.Context, actor Actor, f DashboardFilter) (*TradeDashboard, error) {
	if err := actor.Require(ActTransactionList); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if f.Status != "" && !slices.Contains(TransactionStatuses, f.Status) {
		fe.Add("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	if f.Stage != "" && !slices.Contains(DashboardStageFilters, f.Stage) {
		fe.Add("stage", apperr.T("Choose a stage from the list", "请从列表中选择环节"))
	}
	from := txnDateFilter(&fe, "from", f.From)
	to := txnDateFilter(&fe, "to", f.To)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	scoped := func() *gorm.DB {
		return models.MerchantColumnScoped(db.Table("transactions"), "transactions", actor.Scope())
	}
	query := func() *gorm.DB {
		return txnStageFilter(transactionSearch(scoped(), f.TransactionFilter, from, to), f.Stage)
	}
	d := &TradeDashboard{PerPage: DashboardPerPage, Page: max(f.Page, 1), Today: s.txnToday(actor), ShowMerchant: actor.Role != models.RoleMerchant}
	if err := query().Count(&d.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count dashboard")
	}
	d.Pages = int((d.Total + DashboardPerPage - 1) / DashboardPerPage)
	var rows []TransactionRow
	err := query().Select("transactions.*, merchants.name AS merchant_name, buyers.name AS buyer_name, buyers.nationality AS buyer_nationality").
		Joins("JOIN merchants ON merchants.id = transactions.merchant_id").
		Joins("JOIN buyers ON buyers.id = transactions.buyer_id").
		Order("transactions.id DESC").Limit(DashboardPerPage).Offset((d.Page - 1) * DashboardPerPage).Scan(&rows).Error
	if err != nil {
		return nil, apperr.Wrap(err, "dashboard transactions")
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	if len(ids) > 0 {
		lines, err := s.txnLineViews(db, ids, 0)
		if err != nil {
			return nil, err
		}
		byTxn := map[int64][]LineView{}
		for _, l := range lines {
			byTxn[l.TransactionID] = append(byTxn[l.TransactionID], l)
		}
		docs, err := txnDocumentCounts(db, ids)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			d.Transactions = append(d.Transactions, DashboardTransaction{TransactionRow: r, Lines: byTxn[r.ID], Documents: docs[r.ID]})
		}
	}
	if err := s.txnActionItems(db, actor, d); err != nil {
		return nil, err
	}
	if d.FilingsDue, err = s.txnFilingsDue(ctx, db, actor, d.Today); err != nil {
		return nil, err
	}
	return d, nil
}

// txnLineReached is the SQL condition that a line (alias tl) reached a step.
var txnLineReached = map[string]string{
	StepConsolidated: "EXISTS (SELECT 1 FROM consolidation_lines cl JOIN consolidations c ON c.id = cl.consolidation_id WHERE cl.transaction_line_id = tl.id AND c.status <> 'cancelled')",
	StepDeclared:     "EXISTS (SELECT 1 FROM declaration_item_lines dil JOIN declaration_items di ON di.id = dil.declaration_item_id JOIN declarations d ON d.id = di.declaration_id WHERE dil.transaction_line_id = tl.id AND d.status IN ('submitted','accepted','released','exited'))",
	StepReleased:     "EXISTS (SELECT 1 FROM declaration_item_lines dil JOIN declaration_items di ON di.id = dil.declaration_item_id JOIN declarations d ON d.id = di.declaration_id WHERE dil.transaction_line_id = tl.id AND d.status IN ('released','exited'))",
	StepExited:       "EXISTS (SELECT 1 FROM declaration_item_lines dil JOIN declaration_items di ON di.id = dil.declaration_item_id JOIN declarations d ON d.id = di.declaration_id WHERE dil.transaction_line_id = tl.id AND d.status = 'exited')",
	StepPaid:         "tl.amount <= (SELECT COALESCE(SUM(fa.amount), 0) FROM fx_allocations fa WHERE fa.transaction_line_id = tl.id)",
	StepVATFiled:     "EXISTS (SELECT 1 FROM tax_filing_lines tfl JOIN tax_filings tf ON tf.id = tfl.filing_id WHERE tfl.transaction_line_id = tl.id AND tf.status IN ('filed','accepted'))",
}

// txnStageFilter keeps the transactions with a line at a stage.
func txnStageFilter(q *gorm.DB, stage string) *gorm.DB {
	var cond string
	switch stage {
	case "":
		return q
	case FilterAwaitingConsolidation:
		cond = "NOT " + txnLineReached[StepConsolidated]
		q = q.Where("transactions.status IN ?", []string{models.TransactionRegistered, models.TransactionHeld})
	case FilterUnpaid:
		cond = "NOT (" + txnLineReached[StepPaid] + ")"
		q = q.Where("transactions.status IN ?", []string{models.TransactionRegistered, models.TransactionHeld})
	case FilterNotFiled:
		cond = txnLineReached[StepExited] + " AND NOT " + txnLineReached[StepVATFiled]
	default:
		cond = txnLineReached[stage]
	}
	return q.Where("EXISTS (SELECT 1 FROM transaction_lines tl WHERE tl.transaction_id = transactions.id AND " + cond + ")")
}

// txnDocumentCounts counts the documents of some transactions.
func txnDocumentCounts(db *gorm.DB, ids []int64) (map[int64]int64, error) {
	var rows []struct {
		TransactionID int64
		N             int64
	}
	err := db.Table("documents").Select("transaction_id, COUNT(*) AS n").Where("transaction_id IN ?", ids).
		Group("transaction_id").Scan(&rows).Error
	out := make(map[int64]int64, len(rows))
	for _, r := range rows {
		out[r.TransactionID] = r.N
	}
	return out, apperr.Wrap(err, "document counts")
}

// txnActionItems fills what needs the merchant's action.
func (s *Service) txnActionItems(db *gorm.DB, actor Actor, d *TradeDashboard) error {
	scoped := func() *gorm.DB {
		return models.MerchantColumnScoped(db.Table("transactions"), "transactions", actor.Scope())
	}
	pick := func(q func() *gorm.DB, out *[]DashboardAction, count *int64) error {
		if count != nil {
			if err := q().Count(count).Error; err != nil {
				return err
			}
		}
		return q().Select("transactions.id AS transaction_id, transactions.number, transactions.trade_date, transactions.status, transactions.status_reason AS reason").
			Order("transactions.id DESC").Limit(txnActionLimit).Scan(out).Error
	}
	noDocs := "NOT EXISTS (SELECT 1 FROM documents doc WHERE doc.transaction_id = transactions.id)"
	since := s.now().AddDate(0, 0, -30)
	err := pick(func() *gorm.DB { return scoped().Where("transactions.status = ?", models.TransactionDraft) }, &d.Drafts, &d.DraftCount)
	if err == nil {
		err = pick(func() *gorm.DB {
			return scoped().Where("transactions.status IN ? AND "+noDocs, []string{models.TransactionDraft, models.TransactionRegistered})
		}, &d.Undocumented, &d.UndocumentedN)
	}
	if err == nil {
		err = pick(func() *gorm.DB { return scoped().Where("transactions.status = ?", models.TransactionHeld) }, &d.Held, nil)
	}
	if err == nil {
		err = pick(func() *gorm.DB {
			return scoped().Where("transactions.status = ? AND transactions.updated_at >= ?", models.TransactionVoided, since)
		}, &d.Voided, nil)
	}
	if err == nil {
		goods := func() *gorm.DB { return models.MerchantColumnScoped(db.Table("goods"), "goods", actor.Scope()) }
		err = goods().Where("goods.status = ?", models.GoodsHeld).Count(&d.HeldGoods).Error
		if err == nil {
			err = goods().Where("goods.status = ?", models.GoodsPending).Count(&d.PendingGoods).Error
		}
	}
	return apperr.Wrap(err, "dashboard actions")
}

// txnFilingsDue lists the export months with exited lines that no filed or accepted VAT exemption
// filing claims, with the due date: the due day of the month after export (DOMAIN §5.1, a
// per-month setting kept by admins).
func (s *Service) txnFilingsDue(ctx context.Context, db *gorm.DB, actor Actor, txnToday string) ([]ExemptionDue, error) {
	var rows []struct {
		MerchantID   int64
		MerchantName string
		Period       string
		Lines        int64
	}
	q := models.MerchantColumnScoped(db.Table("transactions"), "transactions", actor.Scope()).
		Select("transactions.merchant_id, m.name AS merchant_name, SUBSTR(d.exit_date, 1, 7) AS period, COUNT(DISTINCT tl.id) AS lines").
		Joins("JOIN merchants m ON m.id = transactions.merchant_id").
		Joins("JOIN transaction_lines tl ON tl.transaction_id = transactions.id").
		Joins("JOIN declaration_item_lines dil ON dil.transaction_line_id = tl.id").
		Joins("JOIN declaration_items di ON di.id = dil.declaration_item_id").
		Joins("JOIN declarations d ON d.id = di.declaration_id").
		Where("d.status = ? AND d.exit_date <> ''", models.DeclarationExited).
		Where("NOT " + txnLineReached[StepVATFiled]).
		Group("transactions.merchant_id, m.name, SUBSTR(d.exit_date, 1, 7)").
		Order("period, transactions.merchant_id")
	if err := q.Scan(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "filings due")
	}
	days := map[string]int{}
	var out []ExemptionDue
	for _, r := range rows {
		filingMonth := AddMonths(r.Period, 1)
		day, ok := days[filingMonth]
		if !ok {
			var err error
			if day, err = s.TaxDueDayFor(ctx, filingMonth); err != nil {
				return nil, err
			}
			days[filingMonth] = day
		}
		due := filingDueDate(filingMonth, day)
		out = append(out, ExemptionDue{MerchantID: r.MerchantID, MerchantName: r.MerchantName, Period: r.Period, Lines: r.Lines,
			DueDate: due, Overdue: txnToday > due})
	}
	return out, nil
}

// filingDueDate is a day of a month, clamped to the month's last day.
func filingDueDate(month string, day int) string {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return month
	}
	day = min(max(day, 1), DaysIn(month))
	return t.AddDate(0, 0, day-1).Format(dateLayout)
}

// HasActions reports whether anything waits for the merchant.
func (d *TradeDashboard) HasActions() bool {
	return d.DraftCount > 0 || d.UndocumentedN > 0 || len(d.Held) > 0 || len(d.Voided) > 0 || d.HeldGoods > 0 ||
		d.PendingGoods > 0 || len(d.FilingsDue) > 0
}
