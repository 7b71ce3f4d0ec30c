package workflow

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

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
// order (the receipt first, then the lines by id) so two confirmations never deadlock.
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

// fxExitDates reads the exit date (结关) of each line's exited declaration.
func fxExitDates(db *gorm.DB, lineIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	for start := 0; start < len(lineIDs); start += 500 {
		var rows []struct {
			LineID   int64
			ExitDate string
		}
		err := db.Table("declaration_item_lines dil").Select("dil.transaction_line_id AS line_id, MIN(d.exit_date) AS exit_date").
			Joins("JOIN declaration_items di ON di.id = dil.declaration_item_id").
			Joins("JOIN declarations d ON d.id = di.declaration_id").
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

// fxCheckedItem is an item with its line resolved.
type fxCheckedItem struct {
	line   OpenLine
	amount models.Money
}

// checkFXAllocation resolves and checks the items against the lines the receipt may pay, as
// they stand now (the guarded UPDATEs check again when writing).
func (s *Service) checkFXAllocation(db *gorm.DB, r *models.FXReceipt, in FXAllocateInput) ([]fxCheckedItem, error) {
	var fe apperr.Fields
	if len(in.Items) == 0 {
		fe.Add("allocations", apperr.T("Tick at least one line and enter the amount it receives", "请至少勾选一条明细并填写分配金额"))
		return nil, fe.Err()
	}
	if len(in.Items) > MaxFXSuggestions {
		fe.Add("allocations", apperr.Tf("Allocate at most %d lines at once", "每次最多分配 %d 条明细", MaxFXSuggestions))
		return nil, fe.Err()
	}
	var ids []int64
	var codes []string
	for _, it := range in.Items {
		if it.LineID > 0 {
			ids = append(ids, it.LineID)
		} else if c := normalize(it.TraceCode); c != "" {
			codes = append(codes, c)
		}
	}
	q := fxLinesQuery(db, r)
	switch {
	case len(ids) > 0 && len(codes) > 0:
		q = q.Where("tl.id IN ? OR tl.trace_code IN ?", ids, codes)
	case len(ids) > 0:
		q = q.Where("tl.id IN ?", ids)
	case len(codes) > 0:
		q = q.Where("tl.trace_code IN ?", codes)
	default:
		q = q.Where("1 = 0")
	}
	lines, err := fxScanLines(db, q)
	if err != nil {
		return nil, err
	}
	byID, byCode := map[int64]OpenLine{}, map[string]OpenLine{}
	for _, l := range lines {
		byID[l.LineID], byCode[l.TraceCode] = l, l
	}
	out := make([]fxCheckedItem, 0, len(in.Items))
	used := map[int64]int{}
	var full error // a line without room for its amount: refused after the input problems
	var total models.Money
	for i, it := range in.Items {
		var l OpenLine
		var ok bool
		switch {
		case it.LineID > 0:
			l, ok = byID[it.LineID]
		case normalize(it.TraceCode) != "":
			l, ok = byCode[normalize(it.TraceCode)]
		default:
			fe.Add(FXAllocationField(i, "line"), apperr.T("Name the line by its id or trace code", "请填写明细编号或追溯码"))
			continue
		}
		amt, perr := models.ParseMoney(foldText(it.Amount))
		switch {
		case !ok:
			fe.Add(FXAllocationField(i, "line"), apperr.T("This is not a line of a registered transaction of the receipt's beneficiary",
				"该明细不属于本笔收汇收款人已登记的交易"))
			continue
		case l.Currency != r.Currency:
			fe.Add(FXAllocationField(i, "line"), apperr.Tf("Line %[1]s is in %[2]s; the receipt is in %[3]s", "明细 %[1]s 的币制为 %[2]s，本笔收汇为 %[3]s",
				l.TraceCode, l.Currency, r.Currency))
			continue
		case used[l.LineID] > 0:
			fe.Add(FXAllocationField(i, "line"), apperr.Tf("Line %s is listed twice; enter its amount once", "明细 %s 重复出现，请只填写一次", l.TraceCode))
			continue
		case perr != nil || amt <= 0:
			fe.Add(FXAllocationField(i, "amount"), apperr.T("Enter an amount above zero with at most 2 decimals", "请填写大于 0 的金额，最多两位小数"))
			continue
		case amt > l.Remaining() && full == nil:
			full = fxLineFull(l.TraceCode, l.Remaining(), l.Currency)
		}
		used[l.LineID] = i + 1
		total += amt
		out = append(out, fxCheckedItem{line: l, amount: amt})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if full != nil {
		return nil, full
	}
	if left := r.Amount - r.Allocated; total > left {
		fe.Add("allocations", apperr.Tf("The amounts add up to %[1]s %[3]s, more than the %[2]s %[3]s of the receipt left to allocate",
			"分配金额合计 %[1]s %[3]s，超过本笔收汇未分配的 %[2]s %[3]s", total.String(), left.String(), r.Currency))
		return nil, fe.Err()
	}
	return out, nil
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

// fxReceiptFlagsAfter works out a receipt's stored flags from its allocations' flags (without
// the row being removed, and with the flags of the lines being allocated as they are now) and
// its unallocated money.
func fxReceiptFlagsAfter(tx *gorm.DB, r *models.FXReceipt, allocated models.Money, today string, days int, extra []FXLineAllocation, without int64) (string, error) {
	var rows []models.FXAllocation
	if err := tx.Select("id, transaction_line_id, payer_mismatch, before_export").Where("receipt_id = ?", r.ID).Find(&rows).Error; err != nil {
		return "", apperr.Wrap(err, "load allocation flags")
	}
	set := map[string]bool{FXFlagUnallocated: UnallocatedTooLong(r.Amount, allocated, r.ValueDate, today, days)}
	added := map[int64]bool{}
	for _, a := range extra {
		added[a.LineID] = true
	}
	for _, a := range rows {
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
	return JoinFXFlags(set), nil
}

// AllocateFXReceipt confirms allocations of a receipt to transaction lines (DOMAIN §5.2), all
// or nothing in one transaction: each line's fx_allocated grows only while it stays within the
// line's amount, the receipt's allocated only while it stays within the receipt's amount and
// the receipt's version is the one the officer saw. A line that another receipt filled
// meanwhile fails the whole confirmation with a conflict naming the line and what is left of
// it. Each allocation is flagged when the payer is not the line's buyer or the money arrived
// before the line's export; the receipt's flags follow. One audit entry holds the receipt's old
// and new allocated amount and every line's; the beneficiary and the lines' merchants are notified.
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
	items, err := s.checkFXAllocation(db, r, in)
	if err != nil {
		return nil, err
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return nil, err
	}
	today := s.fxToday(actor)
	slices.SortFunc(items, func(a, b fxCheckedItem) int { return cmp.Compare(a.line.LineID, b.line.LineID) })
	out := &FXAllocated{}
	for _, it := range items {
		out.Total += it.amount
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		out.Lines = out.Lines[:0]
		now := s.now()
		var cur models.FXReceipt
		if err := tx.Where("id = ?", r.ID).Take(&cur).Error; err != nil {
			return apperr.Wrap(err, "reload receipt")
		}
		version := in.Version
		if version == 0 {
			version = cur.Version
		}
		switch {
		case cur.Version != version:
			return errFXReceiptChanged
		case cur.Allocated+out.Total > cur.Amount:
			return fxReceiptFull(&cur, out.Total)
		}
		lines := make([]FXLineAllocation, len(items))
		for i, it := range items {
			lines[i] = FXLineAllocation{LineID: it.line.LineID, TraceCode: it.line.TraceCode, Amount: it.amount, AmountText: it.amount.String(),
				PayerMismatch: !PayerIsBuyer(cur.PayerName, it.line.BuyerName), BeforeExport: ReceivedBeforeExport(cur.ValueDate, it.line.ExitDate)}
		}
		newAllocated := cur.Allocated + out.Total
		flags, err := fxReceiptFlagsAfter(tx, &cur, newAllocated, today, days, lines, 0)
		if err != nil {
			return err
		}
		// The receipt first (its row lock orders concurrent confirmations of one receipt), then
		// the lines by id.
		res := tx.Model(&models.FXReceipt{}).Where("id = ? AND version = ? AND allocated + ? <= amount", cur.ID, version, int64(out.Total)).
			Updates(map[string]any{"allocated": gorm.Expr("allocated + ?", int64(out.Total)), "version": gorm.Expr("version + 1"),
				"flags": flags, "updated_at": now})
		if res.Error != nil {
			return apperr.Wrap(res.Error, "allocate receipt")
		}
		if res.RowsAffected != 1 {
			return errFXReceiptChanged
		}
		for i, it := range items {
			res := tx.Exec(`UPDATE transaction_lines SET fx_allocated = fx_allocated + ?, updated_at = ?
				WHERE id = ? AND fx_allocated + ? <= amount
				AND EXISTS (SELECT 1 FROM transactions t WHERE t.id = transaction_lines.transaction_id AND t.status IN ?)`,
				int64(it.amount), now, it.line.LineID, int64(it.amount), fxOpenStatuses)
			if res.Error != nil {
				return apperr.Wrap(res.Error, "allocate line")
			}
			if res.RowsAffected != 1 {
				return fxLineConflict(tx, it.line)
			}
			var after int64
			if err := tx.Table("transaction_lines").Select("fx_allocated").Where("id = ?", it.line.LineID).Scan(&after).Error; err != nil {
				return apperr.Wrap(err, "read line")
			}
			lines[i].LineOld, lines[i].LineNew = models.Money(after-int64(it.amount)).String(), models.Money(after).String()
			if err := s.fxAddAllocation(tx, actor, cur.ID, lines[i]); err != nil {
				return err
			}
		}
		if err := tx.Where("id = ?", cur.ID).Take(&out.Receipt).Error; err != nil {
			return apperr.Wrap(err, "reload receipt")
		}
		out.Lines = lines
		old := map[string]any{"allocated": cur.Allocated.String(), "version": cur.Version, "flags": cur.Flags}
		neu := map[string]any{"allocated": out.Receipt.Allocated.String(), "version": out.Receipt.Version, "flags": out.Receipt.Flags,
			"total": out.Total.String(), "lines": lines}
		if err := s.audit(ctx, tx, actor, "fx_receipt", strconv.FormatInt(cur.ID, 10), "allocate", old, neu); err != nil {
			return err
		}
		n := Notice{Kind: "fx.receipt_allocated", Link: FXReceiptURL(cur.ID), Entity: "fx_receipt", EntityID: strconv.FormatInt(cur.ID, 10),
			Text: apperr.Tf("%[1]s %[2]s of receipt %[3]s was allocated to %[4]d transaction line(s)",
				"收汇 %[3]s 中的 %[1]s %[2]s 已分配至 %[4]d 条交易明细", out.Total.String(), cur.Currency, cur.BankRef, len(lines)),
			Data: map[string]any{"bank_ref": cur.BankRef, "currency": cur.Currency, "total": out.Total.String(), "lines": lines}}
		fxBeneficiaryAudience(&n, &cur)
		for _, it := range items {
			n.MerchantIDs = append(n.MerchantIDs, it.line.MerchantID)
		}
		return s.notify(tx, actor, n)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fxAddAllocation adds an amount to the receipt's allocation row for a line, or inserts it.
func (s *Service) fxAddAllocation(tx *gorm.DB, actor Actor, receiptID int64, l FXLineAllocation) error {
	res := tx.Model(&models.FXAllocation{}).Where("receipt_id = ? AND transaction_line_id = ?", receiptID, l.LineID).
		Updates(map[string]any{"amount": gorm.Expr("amount + ?", int64(l.Amount)), "payer_mismatch": l.PayerMismatch,
			"before_export": l.BeforeExport, "confirmed_by_user_id": actorUserRef(actor)})
	if res.Error != nil {
		return apperr.Wrap(res.Error, "add to allocation")
	}
	if res.RowsAffected == 1 {
		return nil
	}
	a := models.FXAllocation{ReceiptID: receiptID, TransactionLineID: l.LineID, Amount: l.Amount, PayerMismatch: l.PayerMismatch,
		BeforeExport: l.BeforeExport, ConfirmedByUserID: actorUserRef(actor), CreatedAt: s.now()}
	if err := tx.Create(&a).Error; err != nil {
		return apperr.Wrap(err, "insert allocation")
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
		flags, err := fxReceiptFlagsAfter(tx, &cur, newAllocated, today, days, nil, a.ID)
		if err != nil {
			return err
		}
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
