package workflow

import (
	"context"
	"fmt"
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

// ---- Vocabulary (交易登记, DOMAIN §3 step 2) -------------------------------------------------

// TransactionStatuses lists the transaction statuses in the order of their life: a draft is
// registered when submitted; a merchant turning abnormal holds it (DOMAIN §8); it may be voided
// with a reason until one of its lines is consolidated.
var TransactionStatuses = []string{models.TransactionDraft, models.TransactionRegistered, models.TransactionHeld, models.TransactionVoided}

// TransactionStatusText names a transaction status in both languages.
func TransactionStatusText(status string) apperr.Text {
	switch status {
	case models.TransactionDraft:
		return apperr.T("draft", "草稿")
	case models.TransactionRegistered:
		return apperr.T("registered", "已登记")
	case models.TransactionHeld:
		return apperr.T("held for review", "暂扣待核")
	case models.TransactionVoided:
		return apperr.T("voided", "已作废")
	}
	return apperr.T(status, status)
}

var transactionNoun = apperr.T("Transaction", "交易")

// TransactionsPerPage is the size of a page of transactions.
const TransactionsPerPage = 50

// MaxLinesPerTransaction bounds a transaction's lines, and with the per-line limits its totals,
// far above any sale in the market (a whole import file is at most MaxImportRows lines).
const MaxLinesPerTransaction = 20_000

// ---- The header ---------------------------------------------------------------------------

// TransactionInput is a transaction's header as a merchant or an agent enters it, copied field
// by field from a form or an API request. It has no id, number, status, owner or totals: the
// platform sets those.
type TransactionInput struct {
	MerchantID int64  // an agent's users: the entrusting merchant the sale is registered for; ignored for merchants
	BuyerID    int64  // a buyer in the actor's list
	TradeDate  string // YYYY-MM-DD, the day of the sale (not in the future)
	Currency   string // ISO 4217
	Version    int64  // UpdateTransaction: the version the user saw (optimistic locking)
}

// TransactionSaved is a transaction after a change, with warnings that did not block it.
type TransactionSaved struct {
	Transaction models.Transaction
	Warnings    []apperr.Text
}

// transactionManager checks the actor may register transactions: a merchant's user, or an agent's
// user registering for a merchant that entrusts the agent.
func transactionManager(actor Actor) error {
	if err := actor.Require(ActTransactionManage); err != nil {
		return err
	}
	if (actor.Role == models.RoleMerchant && actor.MerchantID > 0) || (actor.Role == models.RoleAgent && actor.AgentID > 0) {
		return nil
	}
	return apperr.New(apperr.Forbidden, apperr.T("Only a merchant's or an agent's users register transactions", "只有市场经营户或外贸代理的用户可以登记交易"))
}

// txnToday is the Yiwu date of the actor's request, or of the service clock.
func (s *Service) txnToday(actor Actor) string {
	if actor.Day != "" {
		return actor.Day
	}
	return s.now().In(MarketZone).Format(dateLayout)
}

// CheckTradeDate reads a trade date (YYYY-MM-DD) and checks that it is a real day between
// 2000-01-01 and today (a sale is registered after it happened).
func CheckTradeDate(raw, txnToday string) (string, apperr.Text, bool) {
	v := normalize(raw)
	if v == "" {
		return v, apperr.T("Enter the date of the sale", "请填写交易日期"), false
	}
	d, err := time.Parse(dateLayout, v)
	if err != nil || d.Format(dateLayout) != v {
		return v, apperr.T("Enter the date as YYYY-MM-DD, e.g. 2026-11-29", "请按 YYYY-MM-DD 填写日期，例如 2026-11-29"), false
	}
	switch {
	case v < "2000-01-01":
		return v, apperr.T("The date is too far in the past", "日期过早"), false
	case v > txnToday:
		return v, apperr.Tf("The date of the sale cannot be after today (%s)", "交易日期不能晚于今天（%s）", txnToday), false
	}
	return v, apperr.Text{}, true
}

// checkTxnHeader checks the fields of a header that need no database.
func (s *Service) checkTxnHeader(actor Actor, in TransactionInput) (TransactionInput, apperr.Fields) {
	var fe apperr.Fields
	out := in
	if in.BuyerID <= 0 {
		fe.Add("buyer_id", apperr.T("Choose the buyer", "请选择采购商"))
	}
	var (
		why apperr.Text
		ok  bool
	)
	if out.TradeDate, why, ok = CheckTradeDate(in.TradeDate, s.txnToday(actor)); !ok {
		fe.Add("trade_date", why)
	}
	if v := CheckCurrency(s.ref, in.Currency); v.OK {
		out.Currency = v.Value
	} else {
		out.Currency = v.Value
		fe.Add("currency", v.Problem)
	}
	if actor.Role == models.RoleMerchant {
		out.MerchantID = actor.MerchantID
	} else if in.MerchantID <= 0 {
		fe.Add("merchant_id", apperr.T("Choose the merchant the sale is registered for", "请选择本笔交易所属的经营户"))
	}
	return out, fe
}

// checkTxnParties checks inside tx that an agent registers for a merchant that entrusts it
// today and that the buyer is in the actor's list.
func (s *Service) checkTxnParties(tx *gorm.DB, actor Actor, in TransactionInput, fe *apperr.Fields) error {
	if actor.Role == models.RoleAgent && !hasField(*fe, "merchant_id") {
		entrusted, err := s.agentEntrustedBy(tx, actor, in.MerchantID)
		if err != nil {
			return err
		}
		if !entrusted {
			fe.Add("merchant_id", apperr.T("This merchant has no entrustment of your company in force; choose a merchant from the list",
				"该经营户与贵司没有生效的委托协议，请从列表中选择经营户"))
		}
	}
	if !hasField(*fe, "buyer_id") {
		var n int64
		err := models.BuyersScoped(tx.Model(&models.Buyer{}), actor.Scope()).Where("buyers.id = ?", in.BuyerID).Count(&n).Error
		if err != nil {
			return err
		}
		if n == 0 {
			fe.Add("buyer_id", apperr.T("Choose a buyer from your list of buyers (register a new buyer first)",
				"请从您的采购商列表中选择（新采购商请先登记）"))
		}
	}
	return nil
}

// agentEntrustedBy reports whether a merchant's entrustment of the actor's agent is in force today
// (DOMAIN §2: an agent handles only the goods of merchants that entrusted it).
func (s *Service) agentEntrustedBy(tx *gorm.DB, actor Actor, merchantID int64) (bool, error) {
	day := s.txnToday(actor)
	var n int64
	err := tx.Model(&models.Entrustment{}).
		Where("agent_id = ? AND merchant_id = ? AND "+entrustmentOverlaps, actor.AgentID, merchantID, day, day).
		Count(&n).Error
	return n > 0, err
}

// requireTxnMerchantActive locks the merchant's row and refuses unless the merchant is active
// (DOMAIN §8: only active merchants may register transactions). An agent's own company must be
// active too.
func requireTxnMerchantActive(tx *gorm.DB, actor Actor, merchantID int64) error {
	what := apperr.T("register transactions", "登记交易")
	if actor.Role == models.RoleAgent {
		if err := requireActiveParty(tx, actor, what); err != nil {
			return err
		}
	}
	var m models.Merchant
	err := tx.Model(&models.Merchant{}).Clauses(clause.Locking{Strength: "UPDATE"}).
		Select("id, name, status").Where("id = ?", merchantID).Take(&m).Error
	if err != nil {
		return models.Translate(err, merchantNoun)
	}
	if m.Status == models.MerchantActive {
		return nil
	}
	if actor.Role == models.RoleMerchant {
		return partyInactive(what, m.Status)
	}
	st := partyStatus(m.Status)
	return apperr.New(apperr.Forbidden, apperr.Tf("Merchant %[1]s is %[2]s; only an active merchant may register transactions",
		"经营户 %[1]s 当前状态为“%[3]s”，只有状态正常的经营户才能登记交易", m.Name, st.En, st.Zh))
}

// txnRateWarning says when the customs monthly rate of the trade month is missing: declarations
// convert through it (DOMAIN §4), but the sale may be registered meanwhile. It reads through db,
// so inside a database transaction it never waits for a second connection.
func txnRateWarning(db *gorm.DB, tradeDate, currency string) ([]apperr.Text, error) {
	if currency == "CNY" || len(tradeDate) < 7 {
		return nil, nil
	}
	month := tradeDate[:7]
	var n int64
	if err := db.Model(&models.ExchangeRate{}).Where("month = ? AND currency = ?", month, currency).Count(&n).Error; err != nil {
		return nil, apperr.Wrap(err, "load rate")
	}
	if n > 0 {
		return nil, nil
	}
	return []apperr.Text{apperr.Tf("There is no customs monthly rate for %[2]s in %[1]s yet; the transaction is saved, but declarations need the rate (an administrator enters it)",
		"暂无 %[1]s 的 %[2]s 海关月度汇率；交易已保存，但报关需要该汇率（由管理员录入）", month, currency)}, nil
}

// txnWarnings adds the rate warning of a saved transaction.
func (s *Service) txnWarnings(ctx context.Context, out *TransactionSaved) error {
	var err error
	out.Warnings, err = txnRateWarning(s.db.WithContext(ctx), out.Transaction.TradeDate, out.Transaction.Currency)
	return err
}

// MaxTransactionsPerDay is how many transactions the market can number in one day. A peak day
// of 1,000,000 lines in sales of ten lines is 100,000 transactions, more than five digits hold.
const MaxTransactionsPerDay = 999_999

// transactionNumber is "TR", the Yiwu date (yyyymmdd) and the day's sequence number: five
// digits, six from the 100,000th transaction of a day on.
func transactionNumber(day string, n int64) string { return fmt.Sprintf("TR%s%05d", day, n) }

// nextTransactionNumber hands out the next transaction number of the day (transactionNumber),
// the sequence restarting each day, kept in the number_sequences row "transaction:yyyymmdd"
// (the same series the demo data continues).
func nextTransactionNumber(tx *gorm.DB, now time.Time) (string, error) {
	day := now.In(MarketZone).Format("20060102")
	name := "transaction:" + day
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.NumberSequence{Name: name, Next: 1}).Error; err != nil {
		return "", err
	}
	if err := tx.Model(&models.NumberSequence{}).Where("name = ?", name).Update("next", gorm.Expr("next + 1")).Error; err != nil {
		return "", err
	}
	var seq models.NumberSequence
	if err := tx.Where("name = ?", name).Take(&seq).Error; err != nil {
		return "", err
	}
	n := seq.Next - 1
	if n > MaxTransactionsPerDay {
		return "", apperr.New(apperr.Conflict, apperr.Tf("The market registered %d transactions today; the numbering is full until midnight",
			"今日交易登记已达 %d 笔，编号已满，请于明日登记", MaxTransactionsPerDay))
	}
	return transactionNumber(day, n), nil
}

// transactionAudit is what the audit log keeps of a transaction's header.
func transactionAudit(t *models.Transaction) map[string]any {
	return map[string]any{"number": t.Number, "merchant_id": t.MerchantID, "buyer_id": t.BuyerID, "agent_id": t.AgentID,
		"trade_date": t.TradeDate, "currency": t.Currency, "status": t.Status, "status_reason": t.StatusReason,
		"total_amount": t.TotalAmount.String(), "line_count": t.LineCount, "version": t.Version}
}

// newTxnDraft checks a header inside tx and creates the draft transaction with its number.
func (s *Service) newTxnDraft(ctx context.Context, tx *gorm.DB, actor Actor, in TransactionInput) (*models.Transaction, error) {
	h, fe := s.checkTxnHeader(actor, in)
	if err := s.checkTxnParties(tx, actor, h, &fe); err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := requireTxnMerchantActive(tx, actor, h.MerchantID); err != nil {
		return nil, err
	}
	now := s.now()
	number, err := nextTransactionNumber(tx, now)
	if err != nil {
		return nil, err
	}
	t := &models.Transaction{Number: number, MerchantID: h.MerchantID, BuyerID: h.BuyerID, TradeDate: h.TradeDate,
		Currency: h.Currency, Status: models.TransactionDraft, CreatedByUserID: actorUserRef(actor), Version: 1,
		CreatedAt: now, UpdatedAt: now}
	if actor.Role == models.RoleAgent {
		agent := actor.AgentID
		t.AgentID = &agent
	}
	if err := tx.Create(t).Error; err != nil {
		return nil, err
	}
	return t, s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "create", nil, transactionAudit(t))
}

// CreateTransaction registers a new sale as a draft (交易登记): the buyer from the actor's list,
// the trade date and the currency; an agent names the entrusting merchant. Only an active
// merchant may register (DOMAIN §8). A currency without a customs monthly rate for the trade
// month is a warning, not a refusal.
func (s *Service) CreateTransaction(ctx context.Context, actor Actor, in TransactionInput) (*TransactionSaved, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	out := &TransactionSaved{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := s.newTxnDraft(ctx, tx, actor, in)
		if err != nil {
			return err
		}
		out.Transaction = *t
		return nil
	})
	if err != nil {
		return nil, apperr.Wrap(err, "create transaction")
	}
	return out, s.txnWarnings(ctx, out)
}

// UpdateTransaction changes the buyer, trade date and currency of a transaction that can still
// be edited, if the user saw its current version. The merchant never changes.
func (s *Service) UpdateTransaction(ctx context.Context, actor Actor, id int64, in TransactionInput) (*TransactionSaved, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	out := &TransactionSaved{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := s.lockTransaction(tx, actor, id)
		if err != nil {
			return err
		}
		in.MerchantID = t.MerchantID
		h, fe := s.checkTxnHeader(actor, in)
		if in.Version <= 0 {
			fe.Add("version", errNoVersion)
		}
		if err := s.checkTxnParties(tx, actor, h, &fe); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := s.requireTxnEditable(tx, t, in.Version); err != nil {
			return err
		}
		if err := requireTxnMerchantActive(tx, actor, t.MerchantID); err != nil {
			return err
		}
		old := *t
		now := s.now()
		res := tx.Model(&models.Transaction{}).Where("id = ? AND version = ?", t.ID, t.Version).Updates(map[string]any{
			"buyer_id": h.BuyerID, "trade_date": h.TradeDate, "currency": h.Currency,
			"version": t.Version + 1, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errTransactionChanged
		}
		t.BuyerID, t.TradeDate, t.Currency, t.Version, t.UpdatedAt = h.BuyerID, h.TradeDate, h.Currency, t.Version+1, now
		out.Transaction = *t
		return s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "update", transactionAudit(&old), transactionAudit(t))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "update transaction")
	}
	return out, s.txnWarnings(ctx, out)
}

var errNoVersion = apperr.T("Send the version of the transaction you last saw", "请提交您看到的交易版本号")

var errTransactionChanged = apperr.New(apperr.Conflict, apperr.T(
	"This transaction was changed since you opened it (perhaps in another window). Reload the page, check it and try again.",
	"该交易在您打开后已被修改（可能在另一个窗口中）。请刷新页面，核对后重试。"))

// scopedTransactions is the transactions the actor may see: a merchant its own, an agent those
// of the merchants entrusting it today, auditors and admins all.
func scopedTransactions(db *gorm.DB, actor Actor) *gorm.DB {
	return models.MerchantColumnScoped(db.Model(&models.Transaction{}), "transactions", actor.Scope())
}

// lockTransaction loads a transaction inside the actor's scope and locks its row for the rest
// of tx; any other transaction is NotFound, so its existence does not leak.
func (s *Service) lockTransaction(tx *gorm.DB, actor Actor, id int64) (*models.Transaction, error) {
	var t models.Transaction
	err := scopedTransactions(tx, actor).Clauses(clause.Locking{Strength: "UPDATE"}).Where("transactions.id = ?", id).Take(&t).Error
	if err != nil {
		return nil, models.Translate(err, transactionNoun)
	}
	return &t, nil
}

// txnEditBlock says why a transaction can no longer be changed: voided, held for review, or a line
// already consolidated (组货) — from then on the packing list and declarations rely on it.
func txnEditBlock(tx *gorm.DB, t *models.Transaction) (apperr.Text, error) {
	switch t.Status {
	case models.TransactionVoided:
		return apperr.T("This transaction is voided; it can no longer be changed", "该交易已作废，不能再修改"), nil
	case models.TransactionHeld:
		return apperr.Tf("This transaction is held for review by market supervision (%[1]s); it cannot be changed until it is released",
			"该交易被市场监管暂扣待核（%[1]s），解除前不能修改", t.StatusReason), nil
	}
	var row struct {
		LineNo      int
		BookingCode string
	}
	err := tx.Table("transaction_lines AS l").Select("l.line_no, c.booking_code").
		Joins("JOIN consolidation_lines cl ON cl.transaction_line_id = l.id").
		Joins("JOIN consolidations c ON c.id = cl.consolidation_id").
		Where("l.transaction_id = ?", t.ID).Order("l.line_no").Limit(1).Scan(&row).Error
	if err != nil {
		return apperr.Text{}, err
	}
	if row.LineNo > 0 {
		return apperr.Tf("Line %[1]d is already consolidated (consolidation %[2]s); the transaction can no longer be changed or voided",
			"第 %[1]d 行已组货（组货单 %[2]s），该交易不能再修改或作废", row.LineNo, row.BookingCode), nil
	}
	return apperr.Text{}, nil
}

// requireTxnEditable refuses a change to a transaction that is voided, held or consolidated, or
// that changed since the user saw it (version > 0 is checked; 0 means the caller did not send
// one, which only the API may do).
func (s *Service) requireTxnEditable(tx *gorm.DB, t *models.Transaction, version int64) error {
	why, err := txnEditBlock(tx, t)
	if err != nil {
		return err
	}
	if !why.IsZero() {
		return apperr.New(apperr.Conflict, why)
	}
	if version > 0 && version != t.Version {
		return errTransactionChanged
	}
	return nil
}

// ---- Submitting and voiding -----------------------------------------------------------------

// SubmitTransaction registers a draft (交易登记): it needs at least one line, an active merchant
// (DOMAIN §8), and goods recognised by market supervision and eligible for mode 1039 on every
// line; each problem names its line. A registered transaction can be submitted again after a
// change: it stays registered.
func (s *Service) SubmitTransaction(ctx context.Context, actor Actor, id, version int64) (*TransactionSaved, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	if version <= 0 {
		return nil, apperr.Field("version", errNoVersion)
	}
	out := &TransactionSaved{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := s.lockTransaction(tx, actor, id)
		if err != nil {
			return err
		}
		if err := s.submitTxn(ctx, tx, actor, t, version); err != nil {
			return err
		}
		out.Transaction = *t
		return nil
	})
	if err != nil {
		return nil, apperr.Wrap(err, "submit transaction")
	}
	return out, s.txnWarnings(ctx, out)
}

// submitTxn registers a locked draft inside tx.
func (s *Service) submitTxn(ctx context.Context, tx *gorm.DB, actor Actor, t *models.Transaction, version int64) error {
	if err := s.requireTxnEditable(tx, t, version); err != nil {
		return err
	}
	if t.Status == models.TransactionRegistered {
		return apperr.New(apperr.Conflict, apperr.T("This transaction is already registered", "该交易已登记"))
	}
	if err := requireTxnMerchantActive(tx, actor, t.MerchantID); err != nil {
		return err
	}
	if actor.Role == models.RoleAgent {
		entrusted, err := s.agentEntrustedBy(tx, actor, t.MerchantID)
		if err != nil {
			return err
		}
		if !entrusted {
			return apperr.New(apperr.Forbidden, apperr.T("The merchant's entrustment of your company is no longer in force",
				"该经营户对贵司的委托已失效"))
		}
	}
	var lines []struct {
		LineNo                              int
		SKU, NameZh, NameEn, HSCode, Status string
	}
	err := tx.Table("transaction_lines AS l").
		Select("l.line_no, g.sku, g.name_zh, g.name_en, g.hs_code, g.status").
		Joins("JOIN goods g ON g.id = l.goods_id").
		Where("l.transaction_id = ?", t.ID).Order("l.line_no").Scan(&lines).Error
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return apperr.Field("lines", apperr.T("Add at least one line before registering the transaction", "请至少添加一行商品后再提交登记"))
	}
	prefixes, _, err := goodsLists(tx)
	if err != nil {
		return err
	}
	var fe apperr.Fields
	for _, l := range lines {
		field := "line." + strconv.Itoa(l.LineNo)
		if l.Status != models.GoodsRecognised {
			st := GoodsStatusText(l.Status)
			fe.Add(field, apperr.Tf("Line %[1]d (%[2]s): the goods are %[3]s; only goods recognised by market supervision can be registered",
				"第 %[1]d 行（%[2]s）：商品状态为“%[4]s”，只有经市场监管认定的商品才能登记交易", l.LineNo, l.SKU, st.En, st.Zh))
			continue
		}
		if why, bad := IneligibleReason(prefixes, l.HSCode); bad {
			fe.Add(field, apperr.Tf("Line %[1]d (%[2]s): %[3]s", "第 %[1]d 行（%[2]s）：%[4]s", l.LineNo, l.SKU, why.En, why.Zh))
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	old := *t
	now := s.now()
	res := tx.Model(&models.Transaction{}).Where("id = ? AND version = ?", t.ID, t.Version).Updates(map[string]any{
		"status": models.TransactionRegistered, "registered_at": now, "version": t.Version + 1, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errTransactionChanged
	}
	t.Status, t.RegisteredAt, t.Version, t.UpdatedAt = models.TransactionRegistered, &now, t.Version+1, now
	return s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "submit", transactionAudit(&old), transactionAudit(t))
}

// VoidInput voids a transaction: the reason (required, kept with it) and the version seen.
type VoidInput struct {
	Reason  string
	Version int64 // 0 only from the API: no version check
}

// VoidTransaction voids a draft or registered transaction with a reason, unless one of its
// lines is consolidated. Its lines and trace codes stay, for the record.
func (s *Service) VoidTransaction(ctx context.Context, actor Actor, id int64, in VoidInput) (*models.Transaction, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	reason := strings.Join(strings.Fields(in.Reason), " ")
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return nil, apperr.Field("reason", apperr.T("Give the reason for voiding; it is kept with the transaction", "请填写作废原因，原因将随交易保存"))
	case n > 500:
		return nil, apperr.Field("reason", apperr.T("Use at most 500 characters", "最多 500 个字符"))
	}
	var out models.Transaction
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := s.lockTransaction(tx, actor, id)
		if err != nil {
			return err
		}
		if err := s.requireTxnEditable(tx, t, in.Version); err != nil {
			return err
		}
		old := *t
		now := s.now()
		res := tx.Model(&models.Transaction{}).Where("id = ? AND version = ?", t.ID, t.Version).Updates(map[string]any{
			"status": models.TransactionVoided, "status_reason": reason, "version": t.Version + 1, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errTransactionChanged
		}
		t.Status, t.StatusReason, t.Version, t.UpdatedAt = models.TransactionVoided, reason, t.Version+1, now
		out = *t
		return s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "void", transactionAudit(&old), transactionAudit(t))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "void transaction")
	}
	return &out, nil
}

// ---- Reading --------------------------------------------------------------------------------

// TransactionFilter selects transactions for the list.
type TransactionFilter struct {
	Status  string // one of TransactionStatuses, "" for all
	From    string // trade date from (YYYY-MM-DD), inclusive
	To      string // trade date to, inclusive
	BuyerID int64
	Query   string // part of the number, a whole trace code, or part of the buyer's name
	Page    int    // 1-based
}

// TransactionRow is a transaction with the names of its merchant and buyer.
type TransactionRow struct {
	models.Transaction
	MerchantName     string
	BuyerName        string
	BuyerNationality string
}

// TransactionList is one page of transactions.
type TransactionList struct {
	Rows    []TransactionRow
	Total   int64
	Page    int
	Pages   int
	PerPage int
}

// txnDateFilter reads an optional date of a filter.
func txnDateFilter(fe *apperr.Fields, field, raw string) string {
	v := normalize(raw)
	if v == "" {
		return ""
	}
	if d, err := time.Parse(dateLayout, v); err != nil || d.Format(dateLayout) != v {
		fe.Add(field, apperr.T("Use a date such as 2026-11-29", "请使用日期格式，例如 2026-11-29"))
	}
	return v
}

// TraceSearchKey turns a trace code as typed ("abcde-fghjk", with Crockford's look-alikes) into
// its canonical form for an exact search; anything that is not ten characters returns "".
func TraceSearchKey(text string) string {
	v := CheckTraceCode(text)
	if len(v.Value) != TraceCodeLength {
		return ""
	}
	return v.Value
}

// transactionSearch narrows a query on transactions by the filter's fields.
func transactionSearch(q *gorm.DB, f TransactionFilter, from, to string) *gorm.DB {
	if f.Status != "" {
		q = q.Where("transactions.status = ?", f.Status)
	}
	if from != "" {
		q = q.Where("transactions.trade_date >= ?", from)
	}
	if to != "" {
		q = q.Where("transactions.trade_date <= ?", to)
	}
	if f.BuyerID > 0 {
		q = q.Where("transactions.buyer_id = ?", f.BuyerID)
	}
	if text := strings.TrimSpace(f.Query); text != "" {
		like := strings.ToLower(regLike(foldText(text)))
		code := TraceSearchKey(text)
		q = q.Where("(LOWER(transactions.number) LIKE ? ESCAPE '!'"+
			" OR transactions.id IN (SELECT tl.transaction_id FROM transaction_lines tl WHERE tl.trace_code = ?)"+
			" OR transactions.buyer_id IN (SELECT b.id FROM buyers b WHERE LOWER(b.name) LIKE ? ESCAPE '!'))", like, code, like)
	}
	return q
}

// Transactions lists the transactions the actor may see, newest first: a merchant its own, an
// agent those of the merchants entrusting it, auditors and admins all.
func (s *Service) Transactions(ctx context.Context, actor Actor, f TransactionFilter) (*TransactionList, error) {
	if err := actor.Require(ActTransactionList); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if f.Status != "" && !slices.Contains(TransactionStatuses, f.Status) {
		fe.Add("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	from := txnDateFilter(&fe, "from", f.From)
	to := txnDateFilter(&fe, "to", f.To)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	query := func() *gorm.DB {
		q := models.MerchantColumnScoped(s.db.WithContext(ctx).Table("transactions"), "transactions", actor.Scope())
		return transactionSearch(q, f, from, to)
	}
	out := &TransactionList{PerPage: TransactionsPerPage, Page: max(f.Page, 1)}
	if err := query().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count transactions")
	}
	out.Pages = int((out.Total + TransactionsPerPage - 1) / TransactionsPerPage)
	err := query().Select("transactions.*, merchants.name AS merchant_name, buyers.name AS buyer_name, buyers.nationality AS buyer_nationality").
		Joins("JOIN merchants ON merchants.id = transactions.merchant_id").
		Joins("JOIN buyers ON buyers.id = transactions.buyer_id").
		Order("transactions.id DESC").Limit(TransactionsPerPage).Offset((out.Page - 1) * TransactionsPerPage).Scan(&out.Rows).Error
	return out, apperr.Wrap(err, "list transactions")
}

// BuyerChoice is a buyer offered in a select.
type BuyerChoice struct {
	ID          int64
	Name        string
	Nationality string
}

// MerchantChoice is a merchant an agent may register sales for.
type MerchantChoice struct {
	ID     int64
	Name   string
	Status string
}

// TransactionChoices are the choices of the transaction form and filters: the buyers in the
// actor's list and, for an agent, the merchants entrusting it today.
type TransactionChoices struct {
	Buyers    []BuyerChoice
	Merchants []MerchantChoice
}

// txnMaxChoices bounds a select; a business with more buyers searches instead.
const txnMaxChoices = 500

// TransactionChoices returns the buyers (and for agents the merchants) the actor may choose.
func (s *Service) TransactionChoices(ctx context.Context, actor Actor) (*TransactionChoices, error) {
	if err := actor.Require(ActTransactionList); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	out := &TransactionChoices{}
	err := models.BuyersScoped(db.Model(&models.Buyer{}), actor.Scope()).Select("buyers.id, buyers.name, buyers.nationality").
		Order("buyers.name, buyers.id").Limit(txnMaxChoices).Scan(&out.Buyers).Error
	if err != nil {
		return nil, apperr.Wrap(err, "buyer choices")
	}
	if actor.Role == models.RoleAgent {
		err := models.MerchantsScoped(db.Model(&models.Merchant{}), actor.Scope()).Select("merchants.id, merchants.name, merchants.status").
			Order("merchants.name, merchants.id").Limit(txnMaxChoices).Scan(&out.Merchants).Error
		if err != nil {
			return nil, apperr.Wrap(err, "merchant choices")
		}
	}
	return out, nil
}

// TransactionEvent is one entry of a transaction's history (from the audit log).
type TransactionEvent struct {
	ID        int64
	At        time.Time
	Action    string
	ActorName string
	ActorRole string
	Detail    string // reason, line, document: what the entry changed, as stored
}

// TransactionEventText names a history action in both languages.
func TransactionEventText(action string) apperr.Text {
	switch action {
	case "create":
		return apperr.T("created as a draft", "创建草稿")
	case "update":
		return apperr.T("header changed", "修改交易信息")
	case "submit":
		return apperr.T("registered", "提交登记")
	case "void":
		return apperr.T("voided", "作废")
	case "line_add":
		return apperr.T("line added", "添加商品行")
	case "line_update":
		return apperr.T("line changed", "修改商品行")
	case "line_delete":
		return apperr.T("line removed", "删除商品行")
	case "import":
		return apperr.T("lines imported", "批量导入商品行")
	case "ingest":
		return apperr.T("created with its lines through the bulk API", "通过批量接口连同商品行一并创建")
	case "document_add":
		return apperr.T("document attached", "上传单据")
	case "document_delete":
		return apperr.T("document removed", "删除单据")
	case "merchant_status_held":
		return apperr.T("held: the merchant's status changed", "因经营户状态变更被暂扣")
	case "merchant_status_registered":
		return apperr.T("released: the merchant is active again", "经营户恢复正常，解除暂扣")
	}
	return apperr.T(action, action)
}

// TransactionDetail is a transaction with everything its page shows.
type TransactionDetail struct {
	Transaction      models.Transaction
	MerchantName     string
	MerchantStatus   string
	BuyerName        string
	BuyerNationality string
	AgentName        string
	CreatedBy        string
	Lines            []LineView
	Documents        []models.Document
	History          []TransactionEvent
	Block            apperr.Text   // why it can no longer be changed; zero while it can
	Warnings         []apperr.Text // e.g. a missing exchange rate
}

// Editable reports whether the transaction's header, lines and documents may still change.
func (d *TransactionDetail) Editable() bool { return d.Block.IsZero() }

// Transaction returns a transaction the actor may see, with its lines (each with its goods and
// where it stands in the flow), documents and history. Others' transactions are NotFound.
func (s *Service) Transaction(ctx context.Context, actor Actor, id int64) (*TransactionDetail, error) {
	if err := actor.Require(ActTransactionView); err != nil {
		return nil, err
	}
	return s.transactionDetail(ctx, s.db.WithContext(ctx), actor, id)
}

// transactionDetail reads a transaction's page through db (a transaction or not).
func (s *Service) transactionDetail(ctx context.Context, db *gorm.DB, actor Actor, id int64) (*TransactionDetail, error) {
	d := &TransactionDetail{}
	if err := scopedTransactions(db, actor).Where("transactions.id = ?", id).Take(&d.Transaction).Error; err != nil {
		return nil, models.Translate(err, transactionNoun)
	}
	t := &d.Transaction
	var names struct {
		MerchantName, MerchantStatus, BuyerName, BuyerNationality string
		AgentName, CreatedBy                                      *string
	}
	err := db.Table("transactions AS t").
		Select("m.name AS merchant_name, m.status AS merchant_status, b.name AS buyer_name, b.nationality AS buyer_nationality, a.name AS agent_name, u.display_name AS created_by").
		Joins("JOIN merchants m ON m.id = t.merchant_id").Joins("JOIN buyers b ON b.id = t.buyer_id").
		Joins("LEFT JOIN agents a ON a.id = t.agent_id").Joins("LEFT JOIN users u ON u.id = t.created_by_user_id").
		Where("t.id = ?", t.ID).Scan(&names).Error
	if err != nil {
		return nil, apperr.Wrap(err, "transaction names")
	}
	d.MerchantName, d.MerchantStatus, d.BuyerName, d.BuyerNationality = names.MerchantName, names.MerchantStatus, names.BuyerName, names.BuyerNationality
	d.AgentName, d.CreatedBy = partyDeref(names.AgentName), partyDeref(names.CreatedBy)
	if d.Lines, err = s.txnLineViews(db, []int64{t.ID}, 0); err != nil {
		return nil, err
	}
	if err := db.Where("transaction_id = ?", t.ID).Order("id").Find(&d.Documents).Error; err != nil {
		return nil, apperr.Wrap(err, "transaction documents")
	}
	if d.History, err = s.transactionHistory(db, t.ID); err != nil {
		return nil, err
	}
	if d.Block, err = txnEditBlock(db, t); err != nil {
		return nil, apperr.Wrap(err, "transaction block")
	}
	if t.Status != models.TransactionVoided {
		if d.Warnings, err = txnRateWarning(db, t.TradeDate, t.Currency); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// transactionHistory reads a transaction's audit entries, newest first.
func (s *Service) transactionHistory(db *gorm.DB, id int64) ([]TransactionEvent, error) {
	var rows []struct {
		ID          int64
		At          time.Time
		Action      string
		ActorRole   string
		DisplayName *string
		NewJSON     string
		OldJSON     string
	}
	err := db.Table("audit_entries AS e").Select("e.id, e.at, e.action, e.actor_role, u.display_name, e.new_json, e.old_json").
		Joins("LEFT JOIN users u ON u.id = e.actor_user_id").
		Where("e.entity = ? AND e.entity_id = ?", "transaction", strconv.FormatInt(id, 10)).
		Order("e.id DESC").Limit(200).Scan(&rows).Error
	if err != nil {
		return nil, apperr.Wrap(err, "transaction history")
	}
	out := make([]TransactionEvent, len(rows))
	for i, r := range rows {
		out[i] = TransactionEvent{ID: r.ID, At: r.At, Action: r.Action, ActorName: partyDeref(r.DisplayName), ActorRole: r.ActorRole,
			Detail: txnEventDetail(r.Action, r.NewJSON, r.OldJSON)}
	}
	return out, nil
}

// ---- A whole sale at once (the API) ---------------------------------------------------------

// NewTransaction is a whole sale as an API client sends it: the header, its lines, and whether
// to register it at once.
type NewTransaction struct {
	TransactionInput
	Lines  []LineInput
	Submit bool
}

// MaxAPILines bounds the lines of one API create; bigger sales are imported from a file.
const MaxAPILines = 1000

// RegisterTransaction creates a transaction with its lines in one database transaction, and
// registers it when asked (the same rules as the pages: CreateTransaction, AddLine,
// SubmitTransaction). Problems of lines are keyed "lines[i].field" (0-based). answer renders
// what the client gets; with an Idempotency-Key it is stored with the create, and a retry of the
// same request returns it again (replayed) without creating anything.
func (s *Service) RegisterTransaction(ctx context.Context, actor Actor, in NewTransaction, idem Idempotency,
	answer func(*TransactionDetail) (Answer, error)) (Answer, bool, error) {
	if err := transactionManager(actor); err != nil {
		return Answer{}, false, err
	}
	if len(in.Lines) > MaxAPILines {
		return Answer{}, false, apperr.Field("lines", apperr.Tf("Send at most %d lines; import bigger sales from a file",
			"每次最多 %d 行，更多的行请用文件导入", MaxAPILines))
	}
	var (
		out      Answer
		replayed bool
	)
	err := withTraceRetry(func() error {
		var err error
		out, replayed, err = idempotentCreate(ctx, s, actor, idem, func(tx *gorm.DB) (*TransactionDetail, error) {
			return s.registerWholeTxn(ctx, tx, actor, in)
		}, answer)
		return err
	})
	return out, replayed, err
}

// registerWholeTxn does RegisterTransaction's work inside tx.
func (s *Service) registerWholeTxn(ctx context.Context, tx *gorm.DB, actor Actor, in NewTransaction) (*TransactionDetail, error) {
	t, err := s.newTxnDraft(ctx, tx, actor, in.TransactionInput)
	if err != nil {
		return nil, err
	}
	var fe apperr.Fields
	lines := make([]models.TransactionLine, 0, len(in.Lines))
	skus := make([]string, 0, len(in.Lines))
	for i, li := range in.Lines {
		l, g, err := s.buildTxnLine(tx, t, li)
		if apperr.Is(err, apperr.Invalid) {
			for _, f := range apperr.As(err).Fields {
				fe.Add(fmt.Sprintf("lines[%d].%s", i, f.Field), f.Text)
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		lines = append(lines, l)
		skus = append(skus, g.SKU)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if len(lines) > 0 {
		if err := s.insertTxnLines(tx, t, lines, cryptoTraceCodes(), nil); err != nil {
			return nil, err
		}
		if err := s.refreshTxnTotals(tx, t); err != nil {
			return nil, err
		}
		for i := range lines {
			if err := s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "line_add", nil, txnLineAudit(&lines[i], skus[i])); err != nil {
				return nil, err
			}
		}
	}
	if in.Submit {
		if err := s.submitTxn(ctx, tx, actor, t, t.Version); err != nil {
			return nil, err
		}
	}
	return s.transactionDetail(ctx, tx, actor, t.ID)
}
