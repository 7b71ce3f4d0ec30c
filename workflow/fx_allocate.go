package workflow

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// ---- FX receipts: suggestions, allocation, reversal (DOMAIN §5.2) -----------------------------
//
// A receipt pays open transaction lines of its beneficiary. The sum allocated to a line never
// exceeds its amount and a receipt never allocates more than its amount, even under concurrent
// confirmations on SQLite and PostgreSQL: both counters move only through guarded UPDATEs
// (`fx_allocated + x <= amount`, `allocated + x <= amount AND version = v`) inside one
// transaction, and the CHECK constraints of the schema back them up. Rows are locked in one
// order (the receipts by id first, then the lines by id) so two confirmations, single or bulk
// (fx_bulk.go), never deadlock. One confirmation is written as a bulk call of one receipt.
//
// A second confirmation of the same receipt for the same line adds to the existing allocation
// row (fx_allocations is unique on receipt and line). A reversal removes a whole allocation row
// and gives its amount back to both counters; the audit log keeps the row and the reason.

// fxOpenStatuses are the transaction statuses whose lines may be paid: registered, and held for
// review (the money has arrived all the same). Drafts and voided transactions are never paid.
var fxOpenStatuses = []string{models.TransactionRegistered, models.TransactionHeld}

// fxLinesQuery selects the lines a receipt may pay, with what a suggestion shows: the lines of
// registered transactions of the beneficiary merchant, or for an agent of the merchants whose
// lines are in the agent's declarations (not cancelled) or whose transactions the agent
// registered.
func fxLinesQuery(db *gorm.DB, r *models.FXReceipt) *gorm.DB {
	q := db.Table("transaction_lines tl").
		Select("tl.id AS line_id, tl.trace_code, t.id AS transaction_id, t.number AS transaction_number, t.trade_date, t.currency, "+
			"t.merchant_id, m.name AS merchant_name, t.buyer_id, b.name AS buyer_name, g.name_zh AS goods_zh, g.name_en AS goods_en, "+
			"tl.amount, tl.fx_allocated AS allocated").
		Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Joins("JOIN merchants m ON m.id = t.merchant_id").
		Joins("JOIN buyers b ON b.id = t.buyer_id").
		Joins("JOIN goods g ON g.id = tl.goods_id").
		Where("t.status IN ?", fxOpenStatuses)
	if r.BeneficiaryMerchantID != nil {
		return q.Where("t.merchant_id = ?", *r.BeneficiaryMerchantID)
	}
	return q.Where(`t.merchant_id IN (SELECT t2.merchant_id FROM declarations d
		JOIN declaration_items di ON di.declaration_id = d.id
		JOIN declaration_item_lines dil ON dil.declaration_item_id = di.id
		JOIN transaction_lines tl2 ON tl2.id = dil.transaction_line_id
		JOIN transactions t2 ON t2.id = tl2.transaction_id
		WHERE d.agent_id = ? AND d.status <> ?) OR t.agent_id = ?`, derefID(r.BeneficiaryAgentID), models.DeclarationCancelled, derefID(r.BeneficiaryAgentID))
}

// fxLineRow is what fxLinesQuery scans.
type fxLineRow struct {
	LineID            int64
	TraceCode         string
	TransactionID     int64
	TransactionNumber string
	TradeDate         string
	Currency          string
	MerchantID        int64
	MerchantName      string
	BuyerID           int64
	BuyerName         string
	GoodsZh, GoodsEn  string
	Amount, Allocated int64
}

func (l fxLineRow) open() OpenLine {
	goods := l.GoodsZh
	if l.GoodsEn != "" && l.GoodsEn != l.GoodsZh {
		goods = strings.TrimSpace(l.GoodsZh + " " + l.GoodsEn)
	}
	return OpenLine{LineID: l.LineID, TraceCode: l.TraceCode, TransactionID: l.TransactionID, TransactionNumber: l.TransactionNumber,
		TradeDate: l.TradeDate, Currency: l.Currency, MerchantID: l.MerchantID, MerchantName: l.MerchantName, BuyerID: l.BuyerID,
		BuyerName: l.BuyerName, Goods: goods, Amount: models.Money(l.Amount), Allocated: models.Money(l.Allocated)}
}

// fxScanLines runs a lines query and adds each line's exit date.
func fxScanLines(db, q *gorm.DB) ([]OpenLine, error) {
	var rows []fxLineRow
	if err := q.Scan(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load open lines")
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.LineID
	}
	exits, err := fxExitDates(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]OpenLine, len(rows))
	for i, r := range rows {
		out[i] = r.open()
		out[i].ExitDate = exits[r.LineID]
	}
	return out, nil
}

// fxExitDates reads the exit date (结关) of each line's exited declaration. The lines are read
// first and their declarations by key: CROSS JOIN keeps SQLite to that order (PostgreSQL plans
// it as an inner join), which otherwise, without statistics, takes the index on the
// declarations' status and walks every exited declaration's lines for each 500 lines asked
// (120 ms a batch on a day of 20,000 lines, growing with the day; 10 ms this way).
func fxExitDates(db *gorm.DB, lineIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for start := 0; start < len(lineIDs); start += 500 {
		var rows []struct {
			LineID   int64
			ExitDate string
		}
		err := db.Table("declaration_item_lines dil CROSS JOIN declaration_items di CROSS JOIN declarations d").
			Select("dil.transaction_line_id AS line_id, MIN(d.exit_date) AS exit_date").
			Where("di.id = dil.declaration_item_id AND d.id = di.declaration_id").
			Where("d.status = ? AND d.exit_date <> '' AND dil.transaction_line_id IN ?", models.DeclarationExited, lineIDs[start:min(start+500, len(lineIDs))]).
			Group("dil.transaction_line_id").Scan(&rows).Error
		if err != nil {
			return nil, apperr.Wrap(err, "load exit dates")
		}
		for _, r := range rows {
			out[r.LineID] = r.ExitDate
		}
	}
	return out, nil
}

// Limits of the suggestion list: buyer matches, exact amounts and the oldest other lines are
// read separately so a beneficiary with thousands of open lines still gets the right ones.
const (
	fxSuggestBuyerLines = 300
	fxSuggestExactLines = 50
	fxSuggestOtherLines = 150
	MaxFXSuggestions    = 200
)

// FXSuggestionSet is what the officer sees before confirming: the receipt and its ranked
// suggestions with pre-filled amounts.
type FXSuggestionSet struct {
	Receipt     models.FXReceipt
	Suggestions []Suggestion
}

// FXSuggestions ranks the open lines a receipt may pay (RankSuggestions) and pre-fills amounts
// up to its unallocated money.
func (s *Service) FXSuggestions(ctx context.Context, actor Actor, id int64) (*FXSuggestionSet, error) {
	if err := actor.Require(ActFXDesk); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	r, err := s.fxScopedReceipt(db, actor, id)
	if err != nil {
		return nil, err
	}
	out := &FXSuggestionSet{Receipt: *r}
	left := r.Amount - r.Allocated
	if left <= 0 {
		return out, nil
	}
	open := func() *gorm.DB {
		return fxLinesQuery(db, r).Where("t.currency = ? AND tl.fx_allocated < tl.amount", r.Currency)
	}
	var buyers []struct {
		ID   int64
		Name string
	}
	if err := open().Select("DISTINCT b.id, b.name").Scan(&buyers).Error; err != nil {
		return nil, apperr.Wrap(err, "load buyers of open lines")
	}
	var matched []int64
	for _, b := range buyers {
		if PayerIsBuyer(r.PayerName, b.Name) {
			matched = append(matched, b.ID)
		}
	}
	seen := map[int64]bool{}
	var lines []OpenLine
	add := func(q *gorm.DB) error {
		ls, err := fxScanLines(db, q)
		for _, l := range ls {
			if !seen[l.LineID] {
				seen[l.LineID] = true
				lines = append(lines, l)
			}
		}
		return err
	}
	if len(matched) > 0 {
		if err := add(open().Where("t.buyer_id IN ?", matched).Order("t.trade_date, tl.id").Limit(fxSuggestBuyerLines)); err != nil {
			return nil, err
		}
	}
	if err := add(open().Where("tl.amount - tl.fx_allocated = ?", int64(left)).Order("t.trade_date, tl.id").Limit(fxSuggestExactLines)); err != nil {
		return nil, err
	}
	if err := add(open().Order("t.trade_date, tl.id").Limit(fxSuggestOtherLines)); err != nil {
		return nil, err
	}
	ranked := RankSuggestions(lines, r.PayerName, r.Currency, r.ValueDate, left)
	out.Suggestions = ranked[:min(len(ranked), MaxFXSuggestions)]
	return out, nil
}

// FXAllocationItem is one line to pay: by id or by trace code, and the amount.
type FXAllocationItem struct {
	LineID    int64
	TraceCode string
	Amount    string // decimal, above zero, at most 2 decimals
}

// FXAllocateInput is an officer's confirmation of allocations.
type FXAllocateInput struct {
	Version int64 // the receipt's version the officer saw; 0 takes the current one (API)
	Items   []FXAllocationItem
}

// FXAllocationField names the field of an item of an allocation request in errors.
func FXAllocationField(i int, field string) string {
	return fmt.Sprintf("allocations[%d].%s", i, field)
}

// FXAllocated is what a confirmation did.
type FXAllocated struct {
	Receipt models.FXReceipt
	Lines   []FXLineAllocation
	Total   models.Money
}

// FXLineAllocation is one line of a confirmation, as audited.
type FXLineAllocation struct {
	LineID        int64        `json:"line_id"`
	TraceCode     string       `json:"trace_code"`
	Amount        models.Money `json:"-"`
	AmountText    string       `json:"amount"`
	LineOld       string       `json:"line_allocated_old"`
	LineNew       string       `json:"line_allocated_new"`
	PayerMismatch bool         `json:"payer_mismatch"`
	BeforeExport  bool         `json:"before_export"`
}

// fxPayable is a line an allocation names, as read before writing: what the checks, the flags
// and the audit need, and the agent that registered its transaction (0 if none).
type fxPayable struct {
	OpenLine
	AgentID int64
}

// fxPayables are the lines the items of a call name, read for the whole call with a few set
// queries: by id, by trace code, and which merchants' lines the receipts' agents declared.
type fxPayables struct {
	byID       map[int64]fxPayable
	byCode     map[string]fxPayable
	declaredBy map[[2]int64]bool // {agent, merchant}: the agent declares lines of the merchant (declaration not cancelled)
}

// fxPayableRow is what fxLoadPayables scans.
type fxPayableRow struct {
	LineID, TransactionID, MerchantID, BuyerID int64
	AgentID                                    *int64
	TraceCode, Currency, BuyerName             string
	Amount, Allocated                          int64
}

// fxLoadPayables reads the lines that items name (by id, or else by trace code) among the lines
// of registered or held transactions, with their exit dates, and for receipts of agents which
// of the lines' merchants those agents declare for. It takes no lock: it runs before the write
// transaction, whose guarded UPDATEs check again.
func fxLoadPayables(db *gorm.DB, receipts []*models.FXReceipt, items [][]FXAllocationItem) (*fxPayables, error) {
	var ids []int64
	var codes []string
	for _, its := range items {
		for _, it := range its {
			if it.LineID > 0 {
				ids = append(ids, it.LineID)
			} else if c := normalize(it.TraceCode); c != "" {
				codes = append(codes, c)
			}
		}
	}
	ids = distinctIDs(len(ids), func(i int) int64 { return ids[i] })
	codes = fxUnique(codes)
	q := func() *gorm.DB {
		return db.Table("transaction_lines tl").
			Select("tl.id AS line_id, tl.trace_code, t.id AS transaction_id, t.currency, t.merchant_id, t.agent_id, t.buyer_id, "+
				"b.name AS buyer_name, tl.amount, tl.fx_allocated AS allocated").
			Joins("JOIN transactions t ON t.id = tl.transaction_id").
			Joins("JOIN buyers b ON b.id = t.buyer_id").
			Where("t.status IN ?", fxOpenStatuses)
	}
	var rows []fxPayableRow
	err := forChunks(ids, func(chunk []int64) error {
		var rs []fxPayableRow
		err := q().Where("tl.id IN ?", chunk).Scan(&rs).Error
		rows = append(rows, rs...)
		return err
	})
	for start := 0; err == nil && start < len(codes); start += 900 {
		var rs []fxPayableRow
		err = q().Where("tl.trace_code IN ?", codes[start:min(start+900, len(codes))]).Scan(&rs).Error
		rows = append(rows, rs...)
	}
	if err != nil {
		return nil, apperr.Wrap(err, "load lines")
	}
	exits, err := fxExitDates(db, distinctIDs(len(rows), func(i int) int64 { return rows[i].LineID }))
	if err != nil {
		return nil, err
	}
	p := &fxPayables{byID: make(map[int64]fxPayable, len(rows)), byCode: make(map[string]fxPayable, len(rows)), declaredBy: map[[2]int64]bool{}}
	for _, r := range rows {
		l := fxPayable{OpenLine: OpenLine{LineID: r.LineID, TraceCode: r.TraceCode, TransactionID: r.TransactionID, Currency: r.Currency,
			MerchantID: r.MerchantID, BuyerID: r.BuyerID, BuyerName: r.BuyerName, Amount: models.Money(r.Amount),
			Allocated: models.Money(r.Allocated), ExitDate: exits[r.LineID]}, AgentID: derefID(r.AgentID)}
		p.byID[l.LineID], p.byCode[l.TraceCode] = l, l
	}
	agents := distinctIDs(len(receipts), func(i int) int64 { return derefID(receipts[i].BeneficiaryAgentID) })
	merchants := distinctIDs(len(rows), func(i int) int64 { return rows[i].MerchantID })
	if len(agents) == 0 || len(merchants) == 0 {
		return p, nil
	}
	err = forChunks(agents, func(ac []int64) error {
		return forChunks(merchants, func(mc []int64) error {
			var pairs []struct{ AgentID, MerchantID int64 }
			err := db.Table("declarations d").Select("DISTINCT d.agent_id, t2.merchant_id").
				Joins("JOIN declaration_items di ON di.declaration_id = d.id").
				Joins("JOIN declaration_item_lines dil ON dil.declaration_item_id = di.id").
				Joins("JOIN transaction_lines tl2 ON tl2.id = dil.transaction_line_id").
				Joins("JOIN transactions t2 ON t2.id = tl2.transaction_id").
				Where("d.agent_id IN ? AND d.status <> ? AND t2.merchant_id IN ?", ac, models.DeclarationCancelled, mc).Scan(&pairs).Error
			for _, pr := range pairs {
				p.declaredBy[[2]int64{pr.AgentID, pr.MerchantID}] = true
			}
			return err
		})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "load declared merchants")
	}
	return p, nil
}

// find is the line an item names: by id, or else by trace code; named is false when it names none.
func (p *fxPayables) find(it FXAllocationItem) (l fxPayable, found, named bool) {
	switch {
	case it.LineID > 0:
		l, found = p.byID[it.LineID]
	case normalize(it.TraceCode) != "":
		l, found = p.byCode[normalize(it.TraceCode)]
	default:
		return l, false, false
	}
	return l, found, true
}

// pays reports whether a receipt may pay a line (the rule of fxLinesQuery): a line of its
// beneficiary merchant, or for an agent a line of a merchant in the agent's declarations (not
// cancelled) or of a transaction the agent registered.
func (p *fxPayables) pays(r *models.FXReceipt, l fxPayable) bool {
	if r.BeneficiaryMerchantID != nil {
		return l.MerchantID == *r.BeneficiaryMerchantID
	}
	a := derefID(r.BeneficiaryAgentID)
	return a > 0 && (l.AgentID == a || p.declaredBy[[2]int64{a, l.MerchantID}])
}

// fxCheckedItem is an item with its line resolved.
type fxCheckedItem struct {
	at     int // the item's place in the request
	line   fxPayable
	amount models.Money
}

// fxItemNames names the fields of one receipt's items in refusals.
type fxItemNames struct {
	list string                           // the items as a whole
	item func(j int, field string) string // field "line" or "amount" of item j
}

// fxReceiptCheck is one receipt's items after the checks: the items to write, by line id, or
// why not, in the order the refusals are given: the input's problems, then a line without room
// for its amount (a conflict), then a total above the receipt's unallocated money.
type fxReceiptCheck struct {
	items    []fxCheckedItem
	total    models.Money
	problems apperr.Fields
	full     error // the first line without room for its amount
	fullAt   int   // the item of full
	over     apperr.Fields
}

// refusal is the check's refusal, or nil.
func (c *fxReceiptCheck) refusal() error {
	switch {
	case len(c.problems) > 0:
		return c.problems.Err()
	case c.full != nil:
		return c.full
	}
	return c.over.Err()
}

// checkFXItems checks one receipt's items against the lines as read (DOMAIN §5.2): each names a
// line the receipt may pay (fxPayables.pays), in the receipt's currency, once, with an amount
// above zero of at most 2 decimals and within what the line has left; together they stay within
// what the receipt has left. taken is what earlier receipts of the same call take of each line;
// the items of an accepted receipt are added to it.
func checkFXItems(r *models.FXReceipt, items []FXAllocationItem, lines *fxPayables, names fxItemNames, taken map[int64]models.Money) fxReceiptCheck {
	var c fxReceiptCheck
	if len(items) == 0 {
		c.problems.Add(names.list, apperr.T("Tick at least one line and enter the amount it receives", "请至少勾选一条明细并填写分配金额"))
		return c
	}
	if len(items) > MaxFXSuggestions {
		c.problems.Add(names.list, apperr.Tf("Allocate at most %d lines at once", "每次最多分配 %d 条明细", MaxFXSuggestions))
		return c
	}
	used := map[int64]bool{}
	for j, it := range items {
		l, ok, named := lines.find(it)
		if !named {
			c.problems.Add(names.item(j, "line"), apperr.T("Name the line by its id or trace code", "请填写明细编号或追溯码"))
			continue
		}
		amt, perr := models.ParseMoney(foldText(it.Amount))
		left := l.Remaining() - taken[l.LineID]
		switch {
		case !ok || !lines.pays(r, l):
			c.problems.Add(names.item(j, "line"), apperr.T("This is not a line of a registered transaction of the receipt's beneficiary",
				"该明细不属于本笔收汇收款人已登记的交易"))
			continue
		case l.Currency != r.Currency:
			c.problems.Add(names.item(j, "line"), apperr.Tf("Line %[1]s is in %[2]s; the receipt is in %[3]s", "明细 %[1]s 的币制为 %[2]s，本笔收汇为 %[3]s",
				l.TraceCode, l.Currency, r.Currency))
			continue
		case used[l.LineID]:
			c.problems.Add(names.item(j, "line"), apperr.Tf("Line %s is listed twice; enter its amount once", "明细 %s 重复出现，请只填写一次", l.TraceCode))
			continue
		case perr != nil || amt <= 0:
			c.problems.Add(names.item(j, "amount"), apperr.T("Enter an amount above zero with at most 2 decimals", "请填写大于 0 的金额，最多两位小数"))
			continue
		case amt > left && c.full == nil:
			c.full, c.fullAt = fxLineFull(l.TraceCode, left, l.Currency), j
		}
		used[l.LineID] = true
		c.total += amt
		c.items = append(c.items, fxCheckedItem{at: j, line: l, amount: amt})
	}
	if len(c.problems) > 0 || c.full != nil {
		return c
	}
	if left := r.Amount - r.Allocated; c.total > left {
		c.over.Add(names.list, apperr.Tf("The amounts add up to %[1]s %[3]s, more than the %[2]s %[3]s of the receipt left to allocate",
			"分配金额合计 %[1]s %[3]s，超过本笔收汇未分配的 %[2]s %[3]s", c.total.String(), left.String(), r.Currency))
		return c
	}
	for _, it := range c.items {
		taken[it.line.LineID] += it.amount
	}
	// Lines are locked and written in id order, so that two confirmations never deadlock.
	slices.SortFunc(c.items, func(a, b fxCheckedItem) int { return cmp.Compare(a.line.LineID, b.line.LineID) })
	return c
}

// errFXReceiptChanged is the refusal when the receipt changed since the officer read it.
var errFXReceiptChanged = apperr.New(apperr.Conflict, apperr.T("The receipt was changed by someone else meanwhile; reload it and confirm again",
	"该收汇记录已被他人修改，请刷新后重新确认"))

// fxLineFull is the refusal when a line has less left to pay than an amount (most often because
// another receipt was allocated to it meanwhile): a conflict naming the line and what is left.
func fxLineFull(traceCode string, left models.Money, currency string) error {
	return apperr.New(apperr.Conflict, apperr.Tf("Line %[1]s has only %[2]s %[3]s left to pay (another receipt may have been allocated to it meanwhile); nothing was allocated, reload and confirm again",
		"明细 %[1]s 仅剩 %[2]s %[3]s 未收汇（可能期间已有其他收汇分配至该明细），本次未作任何分配，请刷新后重新确认", traceCode, left.String(), currency))
}

// fxLineConflict is the refusal when the guarded update of a line found no room.
func fxLineConflict(tx *gorm.DB, l OpenLine) error {
	var now struct{ Amount, FxAllocated int64 }
	if err := tx.Table("transaction_lines").Select("amount, fx_allocated").Where("id = ?", l.LineID).Take(&now).Error; err != nil {
		return apperr.Wrap(err, "reload line")
	}
	return fxLineFull(l.TraceCode, models.Money(now.Amount-now.FxAllocated), l.Currency)
}

// fxReceiptFull is the refusal when a receipt has less left than the amounts to allocate.
func fxReceiptFull(r *models.FXReceipt, total models.Money) error {
	left := r.Amount - r.Allocated
	return apperr.New(apperr.Conflict, apperr.Tf("Receipt %[1]s has only %[2]s %[4]s left to allocate, less than the %[3]s %[4]s confirmed; nothing was allocated, reload and confirm again",
		"收汇 %[1]s 仅剩 %[2]s %[4]s 未分配，少于本次确认的 %[3]s %[4]s，本次未作任何分配，请刷新后重新确认", r.BankRef, left.String(), total.String(), r.Currency))
}

// fxHeldAllocations reads the allocations the receipts hold (what their flags need), by receipt.
func fxHeldAllocations(tx *gorm.DB, receiptIDs []int64) (map[int64][]models.FXAllocation, error) {
	out := map[int64][]models.FXAllocation{}
	err := forChunks(receiptIDs, func(chunk []int64) error {
		var rows []models.FXAllocation
		err := tx.Select("id, receipt_id, transaction_line_id, payer_mismatch, before_export").Where("receipt_id IN ?", chunk).Find(&rows).Error
		for _, a := range rows {
			out[a.ReceiptID] = append(out[a.ReceiptID], a)
		}
		return err
	})
	return out, apperr.Wrap(err, "load allocation flags")
}

// fxFlagsAfter works out a receipt's stored flags from the flags of the allocations it holds
// (held; without the row being removed, and with the flags of the lines being allocated as they
// are now) and its unallocated money.
func fxFlagsAfter(r *models.FXReceipt, allocated models.Money, today string, days int, held []models.FXAllocation, extra []FXLineAllocation, without int64) string {
	set := map[string]bool{FXFlagUnallocated: UnallocatedTooLong(r.Amount, allocated, r.ValueDate, today, days)}
	added := map[int64]bool{}
	for _, a := range extra {
		added[a.LineID] = true
	}
	for _, a := range held {
		if a.ID == without || added[a.TransactionLineID] { // a removed row; a row whose flags are written anew
			continue
		}
		set[FXFlagPayerMismatch] = set[FXFlagPayerMismatch] || a.PayerMismatch
		set[FXFlagBeforeExport] = set[FXFlagBeforeExport] || a.BeforeExport
	}
	for _, a := range extra {
		set[FXFlagPayerMismatch] = set[FXFlagPayerMismatch] || a.PayerMismatch
		set[FXFlagBeforeExport] = set[FXFlagBeforeExport] || a.BeforeExport
	}
	return JoinFXFlags(set)
}

// AllocateFXReceipt confirms allocations of a receipt to transaction lines (DOMAIN §5.2), all
// or nothing in one transaction: each line's fx_allocated grows only while it stays within the
// line's amount, the receipt's allocated only while it stays within the receipt's amount and
// the receipt's version is the one the officer saw. A line that another receipt filled
// meanwhile fails the whole confirmation with a conflict naming the line and what is left of
// it. Each allocation is flagged when the payer is not the line's buyer or the money arrived
// before the line's export; the receipt's flags follow. One audit entry holds the receipt's old
// and new allocated amount and every line's; the beneficiary and the lines' merchants are
// notified. It is a bulk allocation (AllocateFXBulk) of one receipt, with the single form's
// field names.
func (s *Service) AllocateFXReceipt(ctx context.Context, actor Actor, id int64, in FXAllocateInput) (*FXAllocated, error) {
	if err := actor.Require(ActFXDesk); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	r, err := s.fxScopedReceipt(db, actor, id)
	if err != nil {
		return nil, err
	}
	if in.Version > 0 && in.Version != r.Version {
		return nil, errFXReceiptChanged
	}
	lines, err := fxLoadPayables(db, []*models.FXReceipt{r}, [][]FXAllocationItem{in.Items})
	if err != nil {
		return nil, err
	}
	c := checkFXItems(r, in.Items, lines, fxItemNames{list: "allocations", item: FXAllocationField}, map[int64]models.Money{})
	if err := c.refusal(); err != nil {
		return nil, err
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return nil, err
	}
	today := s.fxToday(actor)
	var out []FXAllocated
	err = s.tx(ctx, func(tx *gorm.DB) error {
		out, err = s.writeFXAllocations(ctx, tx, actor, []fxConfirmation{{receipt: r, version: in.Version, items: c.items, total: c.total}}, today, days)
		return err
	})
	if err != nil {
		var rf *fxRefusal
		if errors.As(err, &rf) {
			return nil, rf.err
		}
		return nil, err
	}
	return &out[0], nil
}

// fxConfirmation is one receipt's checked items, ready to write.
type fxConfirmation struct {
	receipt *models.FXReceipt // as read before the write transaction
	version int64             // the version the officer saw; 0 takes the current one
	items   []fxCheckedItem   // by line id
	total   models.Money
}

// fxRefusal is why confirmation k of a call was refused: because of its item at, or of the
// receipt itself when at < 0. The callers name the field.
type fxRefusal struct {
	k, at int
	err   error
}

func (e *fxRefusal) Error() string { return e.err.Error() }
func (e *fxRefusal) Unwrap() error { return e.err }

// writeFXAllocations writes checked confirmations inside tx, all or nothing, with a few set
// statements for the whole call: the receipts are locked in id order and checked again (the
// version, the money left), their flags worked out from the allocations they hold; each
// receipt's counters move with one guarded UPDATE per 200 receipts and the lines' with one per
// 450 lines (the lines locked in id order first on PostgreSQL, each moved once by what the
// whole call gives it); the allocation rows are inserted, or added to when the receipt already
// pays the line, in batches; one audit entry per receipt is appended as one chain, and the
// notices are written together (notifyEach). A refusal is an *fxRefusal naming the confirmation.
func (s *Service) writeFXAllocations(ctx context.Context, tx *gorm.DB, actor Actor, cs []fxConfirmation, today string, days int) ([]FXAllocated, error) {
	now := s.now()
	ids := make([]int64, len(cs))
	for k := range cs {
		ids[k] = cs[k].receipt.ID
	}
	slices.Sort(ids)
	cur := make(map[int64]models.FXReceipt, len(cs))
	err := forChunks(ids, func(chunk []int64) error {
		var rs []models.FXReceipt
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", chunk).Order("id").Find(&rs).Error
		for _, r := range rs {
			cur[r.ID] = r
		}
		return err
	})
	if err != nil {
		return nil, apperr.Wrap(err, "reload receipts")
	}
	held, err := fxHeldAllocations(tx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]FXAllocated, len(cs))
	for k := range cs {
		c := &cs[k]
		r := cur[c.receipt.ID]
		switch {
		case r.ID == 0 || r.Version != cmp.Or(c.version, r.Version):
			return nil, &fxRefusal{k, -1, errFXReceiptChanged}
		case r.Allocated+c.total > r.Amount:
			return nil, &fxRefusal{k, -1, fxReceiptFull(&r, c.total)}
		}
		lines := make([]FXLineAllocation, len(c.items))
		for i, it := range c.items {
			lines[i] = FXLineAllocation{LineID: it.line.LineID, TraceCode: it.line.TraceCode, Amount: it.amount, AmountText: it.amount.String(),
				PayerMismatch: !PayerIsBuyer(r.PayerName, it.line.BuyerName), BeforeExport: ReceivedBeforeExport(r.ValueDate, it.line.ExitDate)}
		}
		after := r
		after.Allocated += c.total
		after.Version++
		after.UpdatedAt = now
		after.Flags = fxFlagsAfter(&r, after.Allocated, today, days, held[r.ID], lines, 0)
		out[k] = FXAllocated{Receipt: after, Lines: lines, Total: c.total}
	}
	if err := fxMoveReceipts(tx, out, now); err != nil {
		return nil, err
	}
	if err := fxMoveLines(tx, cs, out, now); err != nil {
		return nil, err
	}
	rows := make([]models.FXAllocation, 0, len(cs))
	for k := range out {
		for _, l := range out[k].Lines {
			rows = append(rows, models.FXAllocation{ReceiptID: out[k].Receipt.ID, TransactionLineID: l.LineID, Amount: l.Amount,
				PayerMismatch: l.PayerMismatch, BeforeExport: l.BeforeExport, ConfirmedByUserID: actorUserRef(actor), CreatedAt: now})
		}
	}
	// A receipt that pays a line again adds to its row (unique on receipt and line).
	err = tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "receipt_id"}, {Name: "transaction_line_id"}},
		DoUpdates: append(clause.Assignments(map[string]any{"amount": gorm.Expr("fx_allocations.amount + excluded.amount")}),
			clause.AssignmentColumns([]string{"payer_mismatch", "before_export", "confirmed_by_user_id"})...)}).
		CreateInBatches(&rows, 500).Error
	if err != nil {
		return nil, apperr.Wrap(err, "insert allocations")
	}
	recs := make([]models.AuditRecord, len(out))
	notices := make([]Notice, len(out))
	for k := range out {
		a, r := &out[k], cur[out[k].Receipt.ID]
		id := strconv.FormatInt(r.ID, 10)
		recs[k] = auditRecordOf(ctx, actor, "fx_receipt", id, "allocate",
			map[string]any{"allocated": r.Allocated.String(), "version": r.Version, "flags": r.Flags},
			map[string]any{"allocated": a.Receipt.Allocated.String(), "version": a.Receipt.Version, "flags": a.Receipt.Flags,
				"total": a.Total.String(), "lines": a.Lines})
		n := Notice{Kind: "fx.receipt_allocated", Link: FXReceiptURL(r.ID), Entity: "fx_receipt", EntityID: id,
			Text: apperr.Tf("%[1]s %[2]s of receipt %[3]s was allocated to %[4]d transaction line(s)",
				"收汇 %[3]s 中的 %[1]s %[2]s 已分配至 %[4]d 条交易明细", a.Total.String(), r.Currency, r.BankRef, len(a.Lines)),
			Data: map[string]any{"bank_ref": r.BankRef, "currency": r.Currency, "total": a.Total.String(), "lines": a.Lines}}
		fxBeneficiaryAudience(&n, &r)
		for _, it := range cs[k].items {
			n.MerchantIDs = append(n.MerchantIDs, it.line.MerchantID)
		}
		notices[k] = n
	}
	if err := models.AppendAudits(tx, now, recs); err != nil {
		return nil, apperr.Wrap(err, "audit allocations")
	}
	return out, s.notifyEach(tx, actor, notices)
}

// fxMoveReceipts adds each confirmation's total to its receipt and writes its new flags, guarded
// as one confirmation is (the version seen, the money left), 200 receipts a statement.
func fxMoveReceipts(tx *gorm.DB, out []FXAllocated, now time.Time) error {
	vals := make([][]any, len(out))
	for k := range out {
		r := &out[k].Receipt
		vals[k] = []any{r.ID, int64(out[k].Total), r.Version - 1, r.Flags}
	}
	done, err := updateFromValues(tx, "UPDATE fx_receipts SET allocated = fx_receipts.allocated + v.column2, version = fx_receipts.version + 1, "+
		"flags = v.column4, updated_at = ?", []any{now}, []string{"BIGINT", "BIGINT", "BIGINT", "TEXT"}, vals,
		"fx_receipts.id = v.column1 AND fx_receipts.version = v.column3 AND fx_receipts.allocated + v.column2 <= fx_receipts.amount", nil,
		"fx_receipts.id", "id, version")
	if err != nil {
		return apperr.Wrap(err, "allocate receipts")
	}
	moved := make(map[int64]bool, len(done))
	for _, d := range done {
		moved[d[0]] = true
	}
	for k := range out {
		if !moved[out[k].Receipt.ID] {
			return &fxRefusal{k, -1, errFXReceiptChanged}
		}
	}
	return nil
}

// fxMoveLines adds to each line what the whole call gives it, guarded as one confirmation is
// (within the line's amount, the transaction still open), and fills in each allocation's line
// amounts before and after it (confirmations in call order, a confirmation's lines by id).
func fxMoveLines(tx *gorm.DB, cs []fxConfirmation, out []FXAllocated, now time.Time) error {
	delta := map[int64]int64{}
	for k := range cs {
		for _, it := range cs[k].items {
			delta[it.line.LineID] += int64(it.amount)
		}
	}
	ids := slices.Sorted(maps.Keys(delta))
	if tx.Dialector.Name() == "postgres" {
		// A multi-row UPDATE locks rows in its plan's order; two calls sharing lines could lock
		// them in opposite orders and deadlock, so the lines are locked in id order first.
		err := forChunks(ids, func(chunk []int64) error {
			var got []int64
			return tx.Model(&models.TransactionLine{}).Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", chunk).Order("id").Pluck("id", &got).Error
		})
		if err != nil {
			return apperr.Wrap(err, "lock lines")
		}
	}
	vals := make([][]any, len(ids))
	for i, id := range ids {
		vals[i] = []any{id, delta[id]}
	}
	done, err := updateFromValues(tx, "UPDATE transaction_lines SET fx_allocated = transaction_lines.fx_allocated + v.column2, updated_at = ?",
		[]any{now}, []string{"BIGINT", "BIGINT"}, vals,
		"transaction_lines.id = v.column1 AND transaction_lines.fx_allocated + v.column2 <= transaction_lines.amount "+
			"AND EXISTS (SELECT 1 FROM transactions t WHERE t.id = transaction_lines.transaction_id AND t.status IN ?)", []any{fxOpenStatuses},
		"transaction_lines.id", "id, fx_allocated")
	if err != nil {
		return apperr.Wrap(err, "allocate lines")
	}
	running := make(map[int64]int64, len(done))
	for _, d := range done {
		running[d[0]] = d[1] - delta[d[0]]
	}
	for k := range cs {
		for i, it := range cs[k].items {
			before, ok := running[it.line.LineID]
			if !ok {
				return &fxRefusal{k, it.at, fxLineConflict(tx, it.line.OpenLine)}
			}
			running[it.line.LineID] = before + int64(it.amount)
			out[k].Lines[i].LineOld, out[k].Lines[i].LineNew = models.Money(before).String(), models.Money(before+int64(it.amount)).String()
		}
	}
	return nil
}

// MaxFXReversalReason bounds the reason of a reversal.
const MaxFXReversalReason = 400

// FXReverseInput is why an allocation is reversed.
type FXReverseInput struct {
	Version int64 // the receipt's version the officer saw; 0 takes the current one (API)
	Reason  string
}

// ReverseFXAllocation takes back a whole allocation (an officer's mistake, a returned payment),
// with a reason: the allocation row is removed and its amount given back to the line and the
// receipt in one transaction, guarded like an allocation; the receipt's flags are recomputed.
// The audit entry keeps the removed row, the reason and the old and new allocated amounts.
func (s *Service) ReverseFXAllocation(ctx context.Context, actor Actor, receiptID, allocationID int64, in FXReverseInput) (*models.FXReceipt, error) {
	if err := actor.Require(ActFXDesk); err != nil {
		return nil, err
	}
	reason := partyText(in.Reason)
	switch {
	case reason == "":
		return nil, apperr.Field("reason", apperr.T("Say why the allocation is reversed", "请填写撤销分配的原因"))
	case utf8.RuneCountInString(reason) > MaxFXReversalReason:
		return nil, apperr.Field("reason", apperr.Tf("Use at most %d characters", "最多 %d 个字符", MaxFXReversalReason))
	}
	db := s.db.WithContext(ctx)
	r, err := s.fxScopedReceipt(db, actor, receiptID)
	if err != nil {
		return nil, err
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return nil, err
	}
	today := s.fxToday(actor)
	var out models.FXReceipt
	err = s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		var a models.FXAllocation
		if err := tx.Where("id = ? AND receipt_id = ?", allocationID, r.ID).Take(&a).Error; err != nil {
			return models.Translate(err, apperr.T("Allocation", "分配记录"))
		}
		var cur models.FXReceipt
		if err := tx.Where("id = ?", r.ID).Take(&cur).Error; err != nil {
			return apperr.Wrap(err, "reload receipt")
		}
		version := in.Version
		if version == 0 {
			version = cur.Version
		}
		if cur.Version != version {
			return errFXReceiptChanged
		}
		newAllocated := cur.Allocated - a.Amount
		held, err := fxHeldAllocations(tx, []int64{cur.ID})
		if err != nil {
			return err
		}
		flags := fxFlagsAfter(&cur, newAllocated, today, days, held[cur.ID], nil, a.ID)
		res := tx.Model(&models.FXReceipt{}).Where("id = ? AND version = ? AND allocated >= ?", cur.ID, version, int64(a.Amount)).
			Updates(map[string]any{"allocated": gorm.Expr("allocated - ?", int64(a.Amount)), "version": gorm.Expr("version + 1"),
				"flags": flags, "updated_at": now})
		if res.Error != nil {
			return apperr.Wrap(res.Error, "reverse on receipt")
		}
		if res.RowsAffected != 1 {
			return errFXReceiptChanged
		}
		var line struct {
			TraceCode   string
			FxAllocated int64
			MerchantID  int64
		}
		if err := tx.Table("transaction_lines tl").Select("tl.trace_code, tl.fx_allocated, t.merchant_id").
			Joins("JOIN transactions t ON t.id = tl.transaction_id").Where("tl.id = ?", a.TransactionLineID).Take(&line).Error; err != nil {
			return apperr.Wrap(err, "read line")
		}
		res = tx.Exec("UPDATE transaction_lines SET fx_allocated = fx_allocated - ?, updated_at = ? WHERE id = ? AND fx_allocated >= ?",
			int64(a.Amount), now, a.TransactionLineID, int64(a.Amount))
		if res.Error != nil {
			return apperr.Wrap(res.Error, "reverse on line")
		}
		if res.RowsAffected != 1 {
			return apperr.Wrap(fmt.Errorf("line %d holds less than allocation %d", a.TransactionLineID, a.ID), "reverse allocation")
		}
		if res := tx.Where("id = ?", a.ID).Delete(&models.FXAllocation{}); res.Error != nil || res.RowsAffected != 1 {
			return apperr.Wrap(fmt.Errorf("delete allocation %d: %v", a.ID, res.Error), "reverse allocation")
		}
		if err := tx.Where("id = ?", cur.ID).Take(&out).Error; err != nil {
			return apperr.Wrap(err, "reload receipt")
		}
		old := map[string]any{"allocated": cur.Allocated.String(), "version": cur.Version, "flags": cur.Flags,
			"allocation": map[string]any{"id": a.ID, "line_id": a.TransactionLineID, "trace_code": line.TraceCode, "amount": a.Amount.String(),
				"payer_mismatch": a.PayerMismatch, "before_export": a.BeforeExport, "confirmed_by_user_id": a.ConfirmedByUserID,
				"line_allocated": models.Money(line.FxAllocated).String()}}
		neu := map[string]any{"allocated": out.Allocated.String(), "version": out.Version, "flags": out.Flags, "reason": reason,
			"line_allocated": models.Money(line.FxAllocated - int64(a.Amount)).String()}
		if err := s.audit(ctx, tx, actor, "fx_receipt", strconv.FormatInt(cur.ID, 10), "reverse_allocation", old, neu); err != nil {
			return err
		}
		n := Notice{Kind: "fx.allocation_reversed", Link: FXReceiptURL(cur.ID), Entity: "fx_receipt", EntityID: strconv.FormatInt(cur.ID, 10),
			Text: apperr.Tf("The allocation of %[1]s %[2]s of receipt %[3]s to line %[4]s was reversed: %[5]s",
				"收汇 %[3]s 分配至明细 %[4]s 的 %[1]s %[2]s 已撤销：%[5]s", a.Amount.String(), cur.Currency, cur.BankRef, line.TraceCode, reason),
			MerchantIDs: []int64{line.MerchantID}}
		fxBeneficiaryAudience(&n, &cur)
		return s.notify(tx, actor, n)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
