package workflow

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// ---- FX receipts: who sees what, the list and one receipt ------------------------------------

// fxSeesAll reports whether the actor reads every receipt (the FX officer, auditors, admins).
func fxSeesAll(actor Actor) bool {
	switch actor.Role {
	case models.RoleFX, models.RoleAuditor, models.RoleAdmin:
		return true
	}
	return false
}

// fxLineOwnerScoped limits a query joining transactions as t to the lines the actor's scope
// owns: a merchant's own lines, an agent's entrusting merchants' lines.
func fxLineOwnerScoped(q *gorm.DB, actor Actor) *gorm.DB {
	return models.MerchantColumnScoped(q, "t", actor.Scope())
}

// fxReceiptsScoped limits a query on fx_receipts to the receipts the actor may see: all for
// officers, auditors and admins; for a merchant the receipts to itself and those allocated to its
// lines; for an agent the receipts to itself and those allocated to lines of its entrusting
// merchants. Another party's receipt is simply not there (NotFound).
func fxReceiptsScoped(db, q *gorm.DB, actor Actor) *gorm.DB {
	if fxSeesAll(actor) {
		return q
	}
	allocated := fxLineOwnerScoped(db.Table("fx_allocations fa").Select("1").
		Joins("JOIN transaction_lines tl ON tl.id = fa.transaction_line_id").
		Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Where("fa.receipt_id = fx_receipts.id"), actor)
	switch {
	case actor.Role == models.RoleMerchant && actor.MerchantID > 0:
		return q.Where("fx_receipts.beneficiary_merchant_id = ? OR EXISTS (?)", actor.MerchantID, allocated)
	case actor.Role == models.RoleAgent && actor.AgentID > 0:
		return q.Where("fx_receipts.beneficiary_agent_id = ? OR EXISTS (?)", actor.AgentID, allocated)
	}
	return q.Where("1 = 0")
}

// fxOwnsReceipt reports whether the actor sees the whole receipt: it reads everything, or the
// receipt is its own.
func fxOwnsReceipt(actor Actor, r *models.FXReceipt) bool {
	switch {
	case fxSeesAll(actor):
		return true
	case actor.Role == models.RoleMerchant:
		return r.BeneficiaryMerchantID != nil && *r.BeneficiaryMerchantID == actor.MerchantID
	case actor.Role == models.RoleAgent:
		return r.BeneficiaryAgentID != nil && *r.BeneficiaryAgentID == actor.AgentID
	}
	return false
}

// FXLiveFlags are a receipt's flags as of today: the stored payer and export flags, and the
// unallocated flag computed from today's date and the setting.
func FXLiveFlags(r *models.FXReceipt, today string, days int) []string {
	set := SplitFXFlags(r.Flags)
	set[FXFlagUnallocated] = UnallocatedTooLong(r.Amount, r.Allocated, r.ValueDate, today, days)
	return fxFlagsInOrder(set)
}

// FXReceiptFilter narrows the receipt list.
type FXReceiptFilter struct {
	Flag        string // one of FXFlags
	Beneficiary string // a USCC, or part of a merchant's or agent's name
	Currency    string // ISO 4217
	Unallocated bool   // only receipts with money left to allocate
	Statement   string // receipts of one uploaded statement
	Page        int
}

// FXReceiptRow is one receipt of the list.
type FXReceiptRow struct {
	models.FXReceipt
	Beneficiary FXBeneficiary
	FlagList    []string     // as of today
	Own         bool         // the viewer sees the whole receipt
	Mine        models.Money // allocated to lines the viewer owns (merchants and agents)
}

// Unallocated is the money not yet allocated.
func (r FXReceiptRow) Unallocated() models.Money { return r.Amount - r.Allocated }

// FXReceiptList is a page of receipts.
type FXReceiptList struct {
	Rows                 []FXReceiptRow
	Total                int64
	Page, Pages, PerPage int
	Days                 int // the unallocated-days setting
}

// FXReceiptsPerPage is the size of a page of receipts.
const FXReceiptsPerPage = 50

// FXReceipts lists the receipts the actor may see, latest value date first.
func (s *Service) FXReceipts(ctx context.Context, actor Actor, f FXReceiptFilter) (*FXReceiptList, error) {
	if err := actor.Require(ActFXView); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if f.Flag != "" && !slices.Contains(FXFlags, f.Flag) {
		fe.Add("flag", apperr.T("Choose a flag from the list", "请从列表中选择标记"))
	}
	cur := ""
	if strings.TrimSpace(f.Currency) != "" {
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
	today := s.fxToday(actor)
	db := s.db.WithContext(ctx)
	q := fxReceiptsScoped(db, db.Model(&models.FXReceipt{}), actor)
	switch f.Flag {
	case FXFlagPayerMismatch, FXFlagBeforeExport:
		q = q.Where("fx_receipts.flags LIKE ?", "%"+f.Flag+"%")
	case FXFlagUnallocated:
		t, _ := time.Parse(dateLayout, today)
		q = q.Where("fx_receipts.allocated < fx_receipts.amount AND fx_receipts.value_date < ?", t.AddDate(0, 0, -days).Format(dateLayout))
	}
	if cur != "" {
		q = q.Where("fx_receipts.currency = ?", cur)
	}
	if f.Unallocated {
		q = q.Where("fx_receipts.allocated < fx_receipts.amount")
	}
	if ref := strings.TrimSpace(f.Statement); ref != "" {
		q = q.Where("fx_receipts.statement_ref = ?", ref)
	}
	if b := partyText(foldText(f.Beneficiary)); b != "" {
		like := "%" + escapeLike(strings.ToLower(b)) + "%"
		code := normalize(b)
		match := "SELECT id FROM %s WHERE uscc = ? OR LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(name_en) LIKE ? ESCAPE '\\'"
		q = q.Where("fx_receipts.beneficiary_merchant_id IN ("+strings.Replace(match, "%s", "merchants", 1)+") OR fx_receipts.beneficiary_agent_id IN ("+
			strings.Replace(match, "%s", "agents", 1)+")", code, like, like, code, like, like)
	}
	out := &FXReceiptList{Page: max(f.Page, 1), PerPage: FXReceiptsPerPage, Days: days}
	if err := q.Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count receipts")
	}
	out.Pages = int((out.Total + FXReceiptsPerPage - 1) / FXReceiptsPerPage)
	var rows []models.FXReceipt
	if err := q.Order("fx_receipts.value_date DESC, fx_receipts.id DESC").Limit(FXReceiptsPerPage).
		Offset((out.Page - 1) * FXReceiptsPerPage).Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list receipts")
	}
	bens, err := fxBeneficiariesOf(db, rows)
	if err != nil {
		return nil, err
	}
	mine := map[int64]models.Money{}
	if !fxSeesAll(actor) && len(rows) > 0 {
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		var sums []struct {
			ReceiptID int64
			Total     int64
		}
		err := fxLineOwnerScoped(db.Table("fx_allocations fa").Select("fa.receipt_id, CAST(SUM(fa.amount) AS BIGINT) AS total").
			Joins("JOIN transaction_lines tl ON tl.id = fa.transaction_line_id").
			Joins("JOIN transactions t ON t.id = tl.transaction_id").
			Where("fa.receipt_id IN ?", ids), actor).Group("fa.receipt_id").Scan(&sums).Error
		if err != nil {
			return nil, apperr.Wrap(err, "sum own allocations")
		}
		for _, s := range sums {
			mine[s.ReceiptID] = models.Money(s.Total)
		}
	}
	for i := range rows {
		r := &rows[i]
		own := fxOwnsReceipt(actor, r)
		m := mine[r.ID]
		if own {
			m = r.Allocated
		}
		out.Rows = append(out.Rows, FXReceiptRow{FXReceipt: *r, Beneficiary: bens[r.ID], FlagList: FXLiveFlags(r, today, days), Own: own, Mine: m})
	}
	return out, nil
}

// fxBeneficiariesOf loads the beneficiary of each receipt, by receipt id.
func fxBeneficiariesOf(db *gorm.DB, rows []models.FXReceipt) (map[int64]FXBeneficiary, error) {
	var mIDs, aIDs []int64
	for _, r := range rows {
		if r.BeneficiaryMerchantID != nil {
			mIDs = append(mIDs, *r.BeneficiaryMerchantID)
		}
		if r.BeneficiaryAgentID != nil {
			aIDs = append(aIDs, *r.BeneficiaryAgentID)
		}
	}
	ms, as := map[int64]FXBeneficiary{}, map[int64]FXBeneficiary{}
	if len(mIDs) > 0 {
		var list []models.Merchant
		if err := db.Select("id, uscc, name, status").Where("id IN ?", uniqueIDs(mIDs)).Find(&list).Error; err != nil {
			return nil, apperr.Wrap(err, "load merchants")
		}
		for _, m := range list {
			ms[m.ID] = FXBeneficiary{Kind: FXBeneficiaryMerchant, ID: m.ID, USCC: m.USCC, Name: m.Name, Status: m.Status}
		}
	}
	if len(aIDs) > 0 {
		var list []models.Agent
		if err := db.Select("id, uscc, name, status").Where("id IN ?", uniqueIDs(aIDs)).Find(&list).Error; err != nil {
			return nil, apperr.Wrap(err, "load agents")
		}
		for _, a := range list {
			as[a.ID] = FXBeneficiary{Kind: FXBeneficiaryAgent, ID: a.ID, USCC: a.USCC, Name: a.Name, Status: a.Status}
		}
	}
	out := map[int64]FXBeneficiary{}
	for _, r := range rows {
		switch {
		case r.BeneficiaryMerchantID != nil:
			out[r.ID] = ms[*r.BeneficiaryMerchantID]
		case r.BeneficiaryAgentID != nil:
			out[r.ID] = as[*r.BeneficiaryAgentID]
		}
	}
	return out, nil
}

// FXAllocationRow is one allocation of a receipt, with the line it pays.
type FXAllocationRow struct {
	models.FXAllocation
	TraceCode         string
	TransactionID     int64
	TransactionNumber string
	MerchantID        int64
	MerchantName      string
	BuyerName         string
	LineAmount        models.Money
	LineAllocated     models.Money // by every receipt
	ConfirmedBy       string       // username
}

// FXHistoryEntry is one change of a receipt, from the audit log.
type FXHistoryEntry struct {
	At           time.Time
	Actor        string
	Action       string // create, allocate, reverse_allocation
	OldAllocated string
	NewAllocated string
	Reason       string
}

// FXReceiptDetail is one receipt as the actor may see it.
type FXReceiptDetail struct {
	Receipt     models.FXReceipt
	Beneficiary FXBeneficiary
	Flags       []string // as of today
	Own         bool     // the viewer sees the whole receipt; otherwise only allocations to its lines
	Allocations []FXAllocationRow
	Hidden      int // allocations to lines of other parties, not shown
	RecordedBy  string
	History     []FXHistoryEntry // for the FX officer, auditors and admins
	Days        int
}

// Unallocated is the money not yet allocated.
func (d *FXReceiptDetail) Unallocated() models.Money { return d.Receipt.Amount - d.Receipt.Allocated }

// fxScopedReceipt loads a receipt the actor may see.
func (s *Service) fxScopedReceipt(db *gorm.DB, actor Actor, id int64) (*models.FXReceipt, error) {
	var r models.FXReceipt
	if err := fxReceiptsScoped(db, db.Model(&models.FXReceipt{}), actor).Where("fx_receipts.id = ?", id).Take(&r).Error; err != nil {
		return nil, models.Translate(err, fxReceiptNoun)
	}
	return &r, nil
}

// FXReceipt reads one receipt with its allocations (only those to the viewer's own lines for a
// merchant or agent that is not the beneficiary) and its history.
func (s *Service) FXReceipt(ctx context.Context, actor Actor, id int64) (*FXReceiptDetail, error) {
	if err := actor.Require(ActFXView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	r, err := s.fxScopedReceipt(db, actor, id)
	if err != nil {
		return nil, err
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return nil, err
	}
	d := &FXReceiptDetail{Receipt: *r, Own: fxOwnsReceipt(actor, r), Flags: FXLiveFlags(r, s.fxToday(actor), days), Days: days}
	bens, err := fxBeneficiariesOf(db, []models.FXReceipt{*r})
	if err != nil {
		return nil, err
	}
	d.Beneficiary = bens[r.ID]
	if d.Allocations, d.Hidden, err = s.fxAllocationRows(ctx, actor, r, d.Own); err != nil {
		return nil, err
	}
	names, err := s.usernames(ctx, []int64{derefID(r.RecordedByUserID)})
	if err != nil {
		return nil, err
	}
	d.RecordedBy = names[derefID(r.RecordedByUserID)]
	if fxSeesAll(actor) {
		if d.History, err = s.fxHistory(ctx, r.ID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// fxAllocationRows loads a receipt's allocations the actor may see, and how many it may not.
func (s *Service) fxAllocationRows(ctx context.Context, actor Actor, r *models.FXReceipt, own bool) ([]FXAllocationRow, int, error) {
	db := s.db.WithContext(ctx)
	type row struct {
		models.FXAllocation
		TraceCode         string
		TransactionID     int64
		TransactionNumber string
		MerchantID        int64
		MerchantName      string
		BuyerName         string
		LineAmount        int64
		LineAllocated     int64
	}
	q := db.Table("fx_allocations").Select("fx_allocations.*, tl.trace_code, t.id AS transaction_id, t.number AS transaction_number, "+
		"t.merchant_id, m.name AS merchant_name, b.name AS buyer_name, tl.amount AS line_amount, tl.fx_allocated AS line_allocated").
		Joins("JOIN transaction_lines tl ON tl.id = fx_allocations.transaction_line_id").
		Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Joins("JOIN merchants m ON m.id = t.merchant_id").
		Joins("JOIN buyers b ON b.id = t.buyer_id").
		Where("fx_allocations.receipt_id = ?", r.ID)
	var total int64
	if !own {
		if err := db.Model(&models.FXAllocation{}).Where("receipt_id = ?", r.ID).Count(&total).Error; err != nil {
			return nil, 0, apperr.Wrap(err, "count allocations")
		}
		q = fxLineOwnerScoped(q, actor)
	}
	var rows []row
	if err := q.Order("fx_allocations.id").Scan(&rows).Error; err != nil {
		return nil, 0, apperr.Wrap(err, "load allocations")
	}
	var ids []int64
	for _, a := range rows {
		ids = append(ids, derefID(a.ConfirmedByUserID))
	}
	names, err := s.usernames(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]FXAllocationRow, len(rows))
	for i, a := range rows {
		out[i] = FXAllocationRow{FXAllocation: a.FXAllocation, TraceCode: a.TraceCode, TransactionID: a.TransactionID,
			TransactionNumber: a.TransactionNumber, MerchantID: a.MerchantID, MerchantName: a.MerchantName, BuyerName: a.BuyerName,
			LineAmount: models.Money(a.LineAmount), LineAllocated: models.Money(a.LineAllocated), ConfirmedBy: names[derefID(a.ConfirmedByUserID)]}
	}
	hidden := 0
	if !own {
		hidden = int(total) - len(out)
	}
	return out, hidden, nil
}

// fxHistory reads a receipt's audit entries, oldest first.
func (s *Service) fxHistory(ctx context.Context, id int64) ([]FXHistoryEntry, error) {
	var entries []models.AuditEntry
	if err := s.db.WithContext(ctx).Where("entity = ? AND entity_id = ?", "fx_receipt", strconv.FormatInt(id, 10)).
		Order("id").Find(&entries).Error; err != nil {
		return nil, apperr.Wrap(err, "load receipt history")
	}
	var ids []int64
	for _, e := range entries {
		ids = append(ids, derefID(e.ActorUserID))
	}
	names, err := s.usernames(ctx, ids)
	if err != nil {
		return nil, err
	}
	read := func(js string) map[string]any {
		m := map[string]any{}
		_ = json.Unmarshal([]byte(js), &m)
		return m
	}
	text := func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		return ""
	}
	out := make([]FXHistoryEntry, len(entries))
	for i, e := range entries {
		o, n := read(e.OldJSON), read(e.NewJSON)
		out[i] = FXHistoryEntry{At: e.At, Actor: names[derefID(e.ActorUserID)], Action: e.Action,
			OldAllocated: text(o["allocated"]), NewAllocated: text(n["allocated"]), Reason: text(n["reason"])}
	}
	return out, nil
}

// FXActionText names a receipt's history action in both languages.
func FXActionText(action string) apperr.Text {
	switch action {
	case "create":
		return apperr.T("recorded", "登记")
	case "allocate":
		return apperr.T("allocated to lines", "分配至交易明细")
	case "reverse_allocation":
		return apperr.T("allocation reversed", "撤销分配")
	}
	return apperr.T(action, action)
}
