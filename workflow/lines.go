package workflow

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// ---- Checking a line's figures (pure) -----------------------------------------------------

// LineInput is one goods line as typed in the form, an import row or the API. It carries no
// amount, trace code or line number: the amount is always Quantity × UnitPrice computed here
// (models.LineAmount), the rest the platform assigns.
type LineInput struct {
	GoodsID   int64  // the goods, from the merchant's recognised goods
	SKU       string // API and import: the merchant's SKU, when GoodsID is 0
	Quantity  string // up to 3 decimals, more than 0
	Unit      string // customs unit code (or its name); "" for the goods' transaction unit
	UnitPrice string // up to 4 decimals, more than 0
	Cartons   string // a whole number, 0 or more
	NetKg     string // up to 3 decimals, more than 0
	GrossKg   string // up to 3 decimals, at least the net mass
}

// Limits of one line: far beyond any sale, and small enough that no total can overflow.
const (
	MaxLineQuantity = models.Quantity(100_000_000 * 1000) // 100 million units
	MaxUnitPrice    = models.Price(10_000_000 * 10000)    // 10 million per unit
	MaxLineAmount   = models.Money(10_000_000_000 * 100)  // 10 billion
	MaxLineCartons  = 1_000_000                           // cartons
	MaxLineGrams    = models.Grams(10_000_000 * 1000)     // 10,000 tonnes
)

// Field names of a line's figures, as forms, import columns and API fields know them.
const (
	LineFieldGoods     = "goods_id"
	LineFieldSKU       = "sku"
	LineFieldQuantity  = "quantity"
	LineFieldUnit      = "unit"
	LineFieldUnitPrice = "unit_price"
	LineFieldCartons   = "cartons"
	LineFieldNetKg     = "net_kg"
	LineFieldGrossKg   = "gross_kg"
)

// lineNumberProblem explains a number that did not parse.
func lineNumberProblem(decimals int, example string) apperr.Text {
	if decimals == 0 {
		return apperr.Tf("Enter a whole number, e.g. %s", "请填写整数，例如 %s", example)
	}
	return apperr.Tf("Enter a number with at most %[1]d decimals, e.g. %[2]s (no units or currency signs)",
		"请填写最多 %[1]d 位小数的数字，例如 %[2]s（不要带单位或货币符号）", decimals, example)
}

// ResolveUnit reads a customs unit as typed: its 3-digit code ("007"), or its Chinese or English
// name ("个", "piece").
func ResolveUnit(ref *refdata.Set, raw string) (string, bool) {
	v := normalize(raw)
	if _, ok := ref.Unit(v); ok {
		return v, true
	}
	for _, u := range ref.Units() {
		if strings.EqualFold(u.NameZh, v) || strings.EqualFold(u.NameEn, v) {
			return u.Code, true
		}
	}
	return v, false
}

// CheckLineFigures parses and checks a line's quantity, unit, unit price, cartons and net and
// gross kilograms exactly (models.Parse*: no floats, no rounding) and computes its amount with
// models.LineAmount. defaultUnit is the goods' transaction unit, used when no unit is given.
// Problems are keyed by the Field… names.
func CheckLineFigures(ref *refdata.Set, in LineInput, txnDefaultUnit string) (models.TransactionLine, apperr.Fields) {
	var fe apperr.Fields
	var l models.TransactionLine
	if strings.TrimSpace(in.Quantity) == "" {
		fe.Add(LineFieldQuantity, apperr.T("Enter the quantity, e.g. 120 or 12.5", "请填写数量，例如 120 或 12.5"))
	} else if q, err := models.ParseQuantity(normalize(in.Quantity)); err != nil {
		fe.Add(LineFieldQuantity, lineNumberProblem(models.QuantityScale, "12.5"))
	} else if q <= 0 {
		fe.Add(LineFieldQuantity, apperr.T("The quantity must be more than 0", "数量必须大于 0"))
	} else if q > MaxLineQuantity {
		fe.Add(LineFieldQuantity, apperr.T("The quantity may be at most 100,000,000", "数量不能超过 100,000,000"))
	} else {
		l.Quantity = q
	}
	l.Unit = txnDefaultUnit
	if strings.TrimSpace(in.Unit) != "" {
		code, ok := ResolveUnit(ref, in.Unit)
		if !ok {
			fe.Add(LineFieldUnit, apperr.Tf("%s is not a customs unit; choose a unit from the list (e.g. 007 个)", "%s 不是海关计量单位，请从列表中选择（例如 007 个）", code))
		}
		l.Unit = code
	}
	if strings.TrimSpace(in.UnitPrice) == "" {
		fe.Add(LineFieldUnitPrice, apperr.T("Enter the unit price, e.g. 1.25 or 0.0035", "请填写单价，例如 1.25 或 0.0035"))
	} else if p, err := models.ParsePrice(normalize(in.UnitPrice)); err != nil {
		fe.Add(LineFieldUnitPrice, lineNumberProblem(models.PriceScale, "0.0035"))
	} else if p <= 0 {
		fe.Add(LineFieldUnitPrice, apperr.T("The unit price must be more than 0", "单价必须大于 0"))
	} else if p > MaxUnitPrice {
		fe.Add(LineFieldUnitPrice, apperr.T("The unit price may be at most 10,000,000", "单价不能超过 10,000,000"))
	} else {
		l.UnitPrice = p
	}
	if l.Quantity > 0 && l.UnitPrice > 0 {
		l.Amount = models.LineAmount(l.Quantity, l.UnitPrice)
		switch {
		case l.Amount <= 0:
			fe.Add(LineFieldUnitPrice, apperr.T("Quantity × unit price rounds to 0.00; check the quantity and the unit price",
				"数量 × 单价四舍五入后为 0.00，请检查数量和单价"))
		case l.Amount > MaxLineAmount:
			fe.Add(LineFieldUnitPrice, apperr.T("Quantity × unit price is more than 10,000,000,000; split the line or check the figures",
				"数量 × 单价超过 10,000,000,000，请拆分或检查数据"))
		}
	}
	if strings.TrimSpace(in.Cartons) == "" {
		fe.Add(LineFieldCartons, apperr.T("Enter the number of cartons (0 if the goods are not in cartons)", "请填写箱数（未装箱填 0）"))
	} else if c, err := models.ParseFixed(normalize(in.Cartons), 0); err != nil {
		fe.Add(LineFieldCartons, lineNumberProblem(0, "12"))
	} else if c < 0 || c > MaxLineCartons {
		fe.Add(LineFieldCartons, apperr.T("The cartons must be between 0 and 1,000,000", "箱数必须在 0 至 1,000,000 之间"))
	} else {
		l.Cartons = c
	}
	net, netOK := txnLineKg(&fe, LineFieldNetKg, in.NetKg, apperr.T("Enter the net weight in kg, e.g. 12.5", "请填写净重（千克），例如 12.5"))
	gross, grossOK := txnLineKg(&fe, LineFieldGrossKg, in.GrossKg, apperr.T("Enter the gross weight in kg (with packing), e.g. 13.2", "请填写毛重（千克，含包装），例如 13.2"))
	if netOK && net <= 0 {
		fe.Add(LineFieldNetKg, apperr.T("The net weight must be more than 0 kg", "净重必须大于 0 千克"))
		netOK = false
	}
	if netOK && grossOK && gross < net {
		fe.Add(LineFieldGrossKg, apperr.Tf("The gross weight (with packing) must be at least the net weight, %s kg", "毛重（含包装）不能小于净重 %s 千克", txnKgText(net)))
	}
	l.NetGrams, l.GrossGrams = net, gross
	return l, fe
}

// txnKgText writes kilograms without trailing zeros (48, 9.6).
func txnKgText(g models.Grams) string {
	s := strings.TrimRight(g.Kg(), "0")
	return strings.TrimSuffix(s, ".")
}

// txnLineKg reads a mass in kilograms.
func txnLineKg(fe *apperr.Fields, field, raw string, missing apperr.Text) (models.Grams, bool) {
	if strings.TrimSpace(raw) == "" {
		fe.Add(field, missing)
		return 0, false
	}
	g, err := models.ParseKg(normalize(raw))
	switch {
	case err != nil:
		fe.Add(field, lineNumberProblem(models.GramsScale, "12.5"))
		return 0, false
	case g < 0 || g > MaxLineGrams:
		fe.Add(field, apperr.T("The weight must be between 0 and 10,000,000 kg", "重量必须在 0 至 10,000,000 千克之间"))
		return 0, false
	}
	return g, true
}

// ---- Goods of a line ------------------------------------------------------------------------

// GoodsChoice is recognised goods offered for a line.
type GoodsChoice struct {
	ID              int64
	SKU             string
	NameZh          string
	NameEn          string
	TransactionUnit string
}

// LineGoods lists the recognised goods of a transaction's merchant (by SKU), for the line form.
func (s *Service) LineGoods(ctx context.Context, actor Actor, transactionID int64) ([]GoodsChoice, error) {
	if err := actor.Require(ActTransactionView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var t models.Transaction
	if err := scopedTransactions(db, actor).Select("transactions.id, transactions.merchant_id").Where("transactions.id = ?", transactionID).Take(&t).Error; err != nil {
		return nil, models.Translate(err, transactionNoun)
	}
	var out []GoodsChoice
	err := db.Model(&models.Goods{}).Select("id, sku, name_zh, name_en, transaction_unit").
		Where("merchant_id = ? AND status = ?", t.MerchantID, models.GoodsRecognised).Order("sku").Limit(2000).Scan(&out).Error
	return out, apperr.Wrap(err, "line goods")
}

// txnLineGoods finds a line's goods in the transaction's merchant's catalogue, by id or SKU.
// Goods of another merchant are NotFound (a merchant never attaches another's goods); goods not
// recognised by market supervision are a field problem.
func txnLineGoods(tx *gorm.DB, merchantID int64, in LineInput) (*models.Goods, apperr.Fields, error) {
	var g models.Goods
	var fe apperr.Fields
	switch sku := strings.TrimSpace(foldText(in.SKU)); {
	case in.GoodsID > 0:
		if err := tx.Where("id = ? AND merchant_id = ?", in.GoodsID, merchantID).Take(&g).Error; err != nil {
			return nil, nil, models.Translate(err, goodsNoun)
		}
	case sku != "":
		err := tx.Where("merchant_id = ? AND sku = ?", merchantID, sku).Take(&g).Error
		if noSuchRow(err) {
			fe.Add(LineFieldSKU, apperr.Tf("There are no goods with SKU %s in the merchant's catalogue", "经营户的商品备案中没有货号为 %s 的商品", sku))
			return nil, fe, nil
		}
		if err != nil {
			return nil, nil, err
		}
	default:
		fe.Add(LineFieldGoods, apperr.T("Choose the goods", "请选择商品"))
		return nil, fe, nil
	}
	if g.Status != models.GoodsRecognised {
		fe.Add(LineFieldGoods, txnGoodsNotRecognised(g.SKU, g.Status))
	}
	return &g, fe, nil
}

// txnGoodsNotRecognised is the refusal of goods market supervision has not recognised (DOMAIN §4:
// goods not recognised by the market's goods-recognition system never go under 1039).
func txnGoodsNotRecognised(sku, status string) apperr.Text {
	st := GoodsStatusText(status)
	return apperr.Tf("Goods %[1]s are %[2]s; only goods recognised by market supervision can be traded",
		"货号 %[1]s 的商品状态为“%[3]s”，只有经市场监管认定的商品才能登记交易", sku, st.En, st.Zh)
}

// txnDefaultUnit is the unit a line of goods takes when none is given.
func txnDefaultUnit(g *models.Goods) string {
	if g.TransactionUnit != "" {
		return g.TransactionUnit
	}
	return g.LegalUnit
}

// ---- Trace codes ----------------------------------------------------------------------------

// traceCodeSource draws trace codes.
type traceCodeSource func() string

// cryptoTraceCodes draws trace codes from a ChaCha8 generator seeded by the operating system's
// cryptographic randomness, so codes cannot be predicted from one another.
func cryptoTraceCodes() traceCodeSource {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails on supported platforms (Go 1.24+)
	r := rand.New(rand.NewChaCha8(seed))
	return func() string { return NewTraceCode(r) }
}

// assignTraceCodes gives every line a trace code no other line has: codes are drawn, checked
// against each other and the unique index's table, and the clashes drawn again. (With 32⁹ codes
// a clash is rare; a concurrent insert that still clashes fails the transaction, which
// withTraceRetry runs again.)
func assignTraceCodes(tx *gorm.DB, lines []models.TransactionLine, next traceCodeSource) error {
	return assignTraceCodesWith(lines, next, func(codes []string) (map[string]bool, error) {
		taken := map[string]bool{}
		for start := 0; start < len(codes); start += 900 {
			var found []string
			chunk := codes[start:min(start+900, len(codes))]
			if err := tx.Model(&models.TransactionLine{}).Where("trace_code IN ?", chunk).Pluck("trace_code", &found).Error; err != nil {
				return nil, err
			}
			for _, c := range found {
				taken[c] = true
			}
		}
		return taken, nil
	})
}

// assignTraceCodesWith draws codes for lines until none is drawn twice or already taken.
func assignTraceCodesWith(lines []models.TransactionLine, next traceCodeSource, takenOf func([]string) (map[string]bool, error)) error {
	pending := make([]int, len(lines))
	for i := range lines {
		pending[i] = i
	}
	seen := map[string]bool{}
	for round := 0; len(pending) > 0; round++ {
		if round == 8 {
			return fmt.Errorf("could not draw unique trace codes")
		}
		codes := make([]string, 0, len(pending))
		for _, i := range pending {
			c := next()
			for seen[c] {
				c = next()
			}
			seen[c] = true
			lines[i].TraceCode = c
			codes = append(codes, c)
		}
		taken, err := takenOf(codes)
		if err != nil {
			return err
		}
		var again []int
		for _, i := range pending {
			if taken[lines[i].TraceCode] {
				again = append(again, i)
			}
		}
		pending = again
	}
	return nil
}

// isTraceCodeClash reports a unique-index failure on trace codes.
func isTraceCodeClash(err error) bool {
	return err != nil && models.IsUniqueViolation(err) && strings.Contains(err.Error(), "trace_code")
}

// withTraceRetry runs fn (a whole database transaction) again when it failed on the trace code
// unique index: a concurrent insert took a code between the check and the insert.
func withTraceRetry(fn func() error) error {
	var err error
	for range 3 {
		if err = fn(); !isTraceCodeClash(err) {
			return err
		}
	}
	return err
}

// ---- Changing lines -------------------------------------------------------------------------

// LineView is a transaction line with its goods and where it stands in the flow.
type LineView struct {
	models.TransactionLine
	SKU         string
	NameZh      string
	NameEn      string
	HSCode      string
	GoodsStatus string
	Progress    LineProgress
}

// LineSaved is a transaction after a line changed: its new totals and version, and the line
// (nil after a delete).
type LineSaved struct {
	Transaction models.Transaction
	Line        *LineView
}

// txnLineAudit is what the audit log keeps of a line.
func txnLineAudit(l *models.TransactionLine, sku string) map[string]any {
	return map[string]any{"line_id": l.ID, "line_no": l.LineNo, "trace_code": l.TraceCode, "goods_id": l.GoodsID, "sku": sku,
		"quantity": l.Quantity.String(), "unit": l.Unit, "unit_price": l.UnitPrice.String(), "amount": l.Amount.String(),
		"cartons": l.Cartons, "net_kg": l.NetGrams.Kg(), "gross_kg": l.GrossGrams.Kg()}
}

// buildTxnLine checks a line against the transaction's merchant's goods inside tx.
func (s *Service) buildTxnLine(tx *gorm.DB, t *models.Transaction, in LineInput) (models.TransactionLine, *models.Goods, error) {
	g, fe, err := txnLineGoods(tx, t.MerchantID, in)
	if err != nil {
		return models.TransactionLine{}, nil, err
	}
	unit := ""
	if g != nil {
		unit = txnDefaultUnit(g)
	}
	l, more := CheckLineFigures(s.ref, in, unit)
	fe = append(fe, more...)
	if err := fe.Err(); err != nil {
		return l, g, err
	}
	l.GoodsID = g.ID
	return l, g, nil
}

// insertTxnLines numbers new lines after the transaction's last, gives them trace codes and
// inserts them in batches.
func (s *Service) insertTxnLines(tx *gorm.DB, t *models.Transaction, lines []models.TransactionLine, codes traceCodeSource, written func(int)) error {
	var last struct {
		N, MaxNo int
	}
	if err := tx.Model(&models.TransactionLine{}).Select("COUNT(*) AS n, COALESCE(MAX(line_no), 0) AS max_no").
		Where("transaction_id = ?", t.ID).Scan(&last).Error; err != nil {
		return err
	}
	if last.N+len(lines) > MaxLinesPerTransaction {
		return apperr.New(apperr.Invalid, apperr.Tf("A transaction holds at most %[1]d lines; this one has %[2]d", "一笔交易最多 %[1]d 行，本交易已有 %[2]d 行",
			MaxLinesPerTransaction, last.N))
	}
	now := s.now()
	for i := range lines {
		lines[i].TransactionID, lines[i].LineNo = t.ID, last.MaxNo+i+1
		lines[i].FXAllocated, lines[i].CreatedAt, lines[i].UpdatedAt = 0, now, now
	}
	if err := assignTraceCodes(tx, lines, codes); err != nil {
		return err
	}
	// Multi-row INSERTs of 500 lines (CreateInBatches), 2,000 lines at a time so that an
	// import's progress moves while it writes.
	const batch, step = 500, 2000
	for start := 0; start < len(lines); start += step {
		chunk := lines[start:min(start+step, len(lines))]
		if err := tx.CreateInBatches(&chunk, batch).Error; err != nil {
			return err
		}
		if written != nil {
			written(len(chunk))
		}
	}
	return nil
}

// refreshTxnTotals recomputes a transaction's totals from its lines (always on the server; client
// figures never count) and moves its version on, if nobody changed it meanwhile.
func (s *Service) refreshTxnTotals(tx *gorm.DB, t *models.Transaction) error {
	var sum struct {
		N                           int
		Amount, Cartons, Net, Gross int64
	}
	err := tx.Model(&models.TransactionLine{}).Select("COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS amount, "+
		"CAST(COALESCE(SUM(cartons), 0) AS BIGINT) AS cartons, CAST(COALESCE(SUM(net_grams), 0) AS BIGINT) AS net, "+
		"CAST(COALESCE(SUM(gross_grams), 0) AS BIGINT) AS gross").Where("transaction_id = ?", t.ID).Scan(&sum).Error
	if err != nil {
		return err
	}
	now := s.now()
	res := tx.Model(&models.Transaction{}).Where("id = ? AND version = ?", t.ID, t.Version).Updates(map[string]any{
		"line_count": sum.N, "total_amount": sum.Amount, "total_cartons": sum.Cartons, "total_net_grams": sum.Net,
		"total_gross_grams": sum.Gross, "version": t.Version + 1, "updated_at": now})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errTransactionChanged
	}
	t.LineCount, t.TotalAmount, t.TotalCartons = sum.N, models.Money(sum.Amount), sum.Cartons
	t.TotalNetGrams, t.TotalGrossGrams, t.Version, t.UpdatedAt = models.Grams(sum.Net), models.Grams(sum.Gross), t.Version+1, now
	return nil
}

// startTxnLineChange loads and locks an editable transaction for a line change: the actor manages
// transactions, the transaction is in scope, not voided, held or consolidated, at the version
// the user saw, and its merchant is active.
func (s *Service) startTxnLineChange(tx *gorm.DB, actor Actor, id, version int64) (*models.Transaction, error) {
	if version <= 0 {
		return nil, apperr.Field("version", errNoVersion)
	}
	t, err := s.lockTransaction(tx, actor, id)
	if err != nil {
		return nil, err
	}
	if err := s.requireTxnEditable(tx, t, version); err != nil {
		return nil, err
	}
	return t, requireTxnMerchantActive(tx, actor, t.MerchantID)
}

// AddLine adds a goods line to a transaction that can still be edited: goods from its merchant's
// recognised goods, the figures checked exactly, the amount computed here, a new trace code, and
// the totals recomputed, all in one database transaction with its audit entry.
func (s *Service) AddLine(ctx context.Context, actor Actor, transactionID, version int64, in LineInput) (*LineSaved, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	out := &LineSaved{}
	err := withTraceRetry(func() error {
		return s.tx(ctx, func(tx *gorm.DB) error {
			t, err := s.startTxnLineChange(tx, actor, transactionID, version)
			if err != nil {
				return err
			}
			l, g, err := s.buildTxnLine(tx, t, in)
			if err != nil {
				return err
			}
			lines := []models.TransactionLine{l}
			if err := s.insertTxnLines(tx, t, lines, cryptoTraceCodes(), nil); err != nil {
				return err
			}
			if err := s.refreshTxnTotals(tx, t); err != nil {
				return err
			}
			out.Transaction = *t
			out.Line = &LineView{TransactionLine: lines[0], SKU: g.SKU, NameZh: g.NameZh, NameEn: g.NameEn, HSCode: g.HSCode, GoodsStatus: g.Status,
				Progress: DeriveLineProgress(LineFacts{TransactionStatus: t.Status, Amount: lines[0].Amount})}
			return s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "line_add", nil, txnLineAudit(&lines[0], g.SKU))
		})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "add line")
	}
	return out, nil
}

var txnLineNoun = apperr.T("Transaction line", "交易商品行")

// lockTxnLine loads a line of a locked transaction.
func lockTxnLine(tx *gorm.DB, t *models.Transaction, lineID int64) (*models.TransactionLine, error) {
	var l models.TransactionLine
	if err := tx.Where("id = ? AND transaction_id = ?", lineID, t.ID).Take(&l).Error; err != nil {
		return nil, models.Translate(err, txnLineNoun)
	}
	return &l, nil
}

// UpdateLine changes a line of a transaction that can still be edited. Its trace code and line
// number never change; its amount and the totals are computed again.
func (s *Service) UpdateLine(ctx context.Context, actor Actor, transactionID, lineID, version int64, in LineInput) (*LineSaved, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	out := &LineSaved{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := s.startTxnLineChange(tx, actor, transactionID, version)
		if err != nil {
			return err
		}
		old, err := lockTxnLine(tx, t, lineID)
		if err != nil {
			return err
		}
		var oldSKU string
		if err := tx.Model(&models.Goods{}).Where("id = ?", old.GoodsID).Pluck("sku", &oldSKU).Error; err != nil {
			return err
		}
		l, g, err := s.buildTxnLine(tx, t, in)
		if err != nil {
			return err
		}
		l.ID, l.TransactionID, l.LineNo, l.TraceCode = old.ID, old.TransactionID, old.LineNo, old.TraceCode
		l.FXAllocated, l.CreatedAt, l.UpdatedAt = old.FXAllocated, old.CreatedAt, s.now()
		err = tx.Model(&models.TransactionLine{}).Where("id = ?", old.ID).Updates(map[string]any{
			"goods_id": l.GoodsID, "quantity": l.Quantity, "unit": l.Unit, "unit_price": l.UnitPrice, "amount": l.Amount,
			"cartons": l.Cartons, "net_grams": l.NetGrams, "gross_grams": l.GrossGrams, "updated_at": l.UpdatedAt}).Error
		if err != nil {
			return err
		}
		if err := s.refreshTxnTotals(tx, t); err != nil {
			return err
		}
		out.Transaction = *t
		out.Line = &LineView{TransactionLine: l, SKU: g.SKU, NameZh: g.NameZh, NameEn: g.NameEn, HSCode: g.HSCode, GoodsStatus: g.Status,
			Progress: DeriveLineProgress(LineFacts{TransactionStatus: t.Status, Amount: l.Amount})}
		return s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "line_update", txnLineAudit(old, oldSKU), txnLineAudit(&l, g.SKU))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "update line")
	}
	return out, nil
}

// DeleteLine removes a line of a transaction that can still be edited and recomputes its totals.
// A registered transaction keeps at least one line (it is voided instead).
func (s *Service) DeleteLine(ctx context.Context, actor Actor, transactionID, lineID, version int64) (*LineSaved, error) {
	if err := transactionManager(actor); err != nil {
		return nil, err
	}
	out := &LineSaved{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		t, err := s.startTxnLineChange(tx, actor, transactionID, version)
		if err != nil {
			return err
		}
		old, err := lockTxnLine(tx, t, lineID)
		if err != nil {
			return err
		}
		if t.Status == models.TransactionRegistered && t.LineCount <= 1 {
			return apperr.New(apperr.Conflict, apperr.T("A registered transaction keeps at least one line; void it instead",
				"已登记的交易至少保留一行商品；如需取消，请作废该交易"))
		}
		var sku string
		if err := tx.Model(&models.Goods{}).Where("id = ?", old.GoodsID).Pluck("sku", &sku).Error; err != nil {
			return err
		}
		if err := tx.Where("id = ?", old.ID).Delete(&models.TransactionLine{}).Error; err != nil {
			return err
		}
		if err := s.refreshTxnTotals(tx, t); err != nil {
			return err
		}
		out.Transaction = *t
		return s.audit(ctx, tx, actor, "transaction", strconv.FormatInt(t.ID, 10), "line_delete", txnLineAudit(old, sku), nil)
	})
	if err != nil {
		return nil, apperr.Wrap(err, "delete line")
	}
	return out, nil
}

// TransactionLine returns one line of a transaction the actor may see, with its goods and progress.
func (s *Service) TransactionLine(ctx context.Context, actor Actor, transactionID, lineID int64) (*LineView, *models.Transaction, error) {
	if err := actor.Require(ActTransactionView); err != nil {
		return nil, nil, err
	}
	db := s.db.WithContext(ctx)
	var t models.Transaction
	if err := scopedTransactions(db, actor).Where("transactions.id = ?", transactionID).Take(&t).Error; err != nil {
		return nil, nil, models.Translate(err, transactionNoun)
	}
	views, err := s.txnLineViews(db, []int64{t.ID}, lineID)
	if err != nil {
		return nil, nil, err
	}
	if len(views) == 0 {
		return nil, nil, apperr.New(apperr.NotFound, apperr.T(txnLineNoun.En+" not found", "未找到"+txnLineNoun.Zh))
	}
	return &views[0], &t, nil
}

// txnLineViews loads the lines of some transactions (or one line, lineID > 0) with their goods and
// their progress, reading each table of the flow once for all the lines.
func (s *Service) txnLineViews(db *gorm.DB, transactionIDs []int64, lineID int64) ([]LineView, error) {
	var rows []struct {
		models.TransactionLine
		SKU, NameZh, NameEn, HSCode, GoodsStatus, TxnStatus string
	}
	q := db.Table("transaction_lines AS l").
		Select("l.*, g.sku, g.name_zh, g.name_en, g.hs_code, g.status AS goods_status, t.status AS txn_status").
		Joins("JOIN goods g ON g.id = l.goods_id").Joins("JOIN transactions t ON t.id = l.transaction_id").
		Where("l.transaction_id IN ?", transactionIDs)
	if lineID > 0 {
		q = q.Where("l.id = ?", lineID)
	}
	if err := q.Order("l.transaction_id DESC, l.line_no").Scan(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load lines")
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	facts, err := loadLineFacts(db, ids)
	if err != nil {
		return nil, err
	}
	out := make([]LineView, len(rows))
	for i, r := range rows {
		f := facts[r.ID]
		f.TransactionStatus, f.Amount = r.TxnStatus, r.Amount
		f.Paid = max(f.Paid, r.FXAllocated)
		out[i] = LineView{TransactionLine: r.TransactionLine, SKU: r.SKU, NameZh: r.NameZh, NameEn: r.NameEn, HSCode: r.HSCode,
			GoodsStatus: r.GoodsStatus, Progress: DeriveLineProgress(f)}
	}
	return out, nil
}

// txnEventDetail picks what a history entry changed from its stored JSON: a reason, a line, a file.
func txnEventDetail(action, newJSON, oldJSON string) string {
	raw := newJSON
	if action == "line_delete" || action == "document_delete" {
		raw = oldJSON
	}
	var m map[string]any
	if raw == "" || json.Unmarshal([]byte(raw), &m) != nil {
		return ""
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return ""
	}
	switch action {
	case "void":
		return str("status_reason")
	case "merchant_status_held":
		return str("reason")
	case "line_add", "line_update", "line_delete":
		return "#" + str("line_no") + " " + str("trace_code") + " · " + str("sku") + " × " + str("quantity")
	case "import":
		return str("lines") + " · " + str("file_name")
	case "ingest":
		return str("line_count") + " · " + str("status")
	case "document_add", "document_delete":
		return str("file_name")
	}
	return ""
}
