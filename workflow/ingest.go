package workflow

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Bulk ingest (issue 9): an agent's or a merchant's system registers a day's sales in one call,
// with the rules of the single create and submit (CreateTransaction, AddLine,
// SubmitTransaction) and their audit, all of it or nothing in one database transaction.

// Limits of one bulk ingest call: a peak day of the whole market is about 1,000,000 lines, so a
// client sends it in tens of calls, each small enough to hold SQLite's write lock for about a
// second or two.
const (
	MaxIngestTransactions = 10_000
	MaxIngestLines        = 100_000
	MaxIngestProblems     = 1000 // problems listed in a refusal (all are counted)
)

// IngestedLine is a line as ingested: the ids the platform gave it.
type IngestedLine struct {
	ID        int64
	LineNo    int
	TraceCode string
	Amount    models.Money // quantity × unit price, as the platform computed it
}

// IngestedTransaction is a transaction as ingested, with its lines in the order sent.
type IngestedTransaction struct {
	Transaction models.Transaction
	Lines       []IngestedLine
}

// IngestResult is what a bulk ingest created, in the order sent.
type IngestResult struct {
	Transactions []IngestedTransaction
	Lines        int
}

// ingestTxn is one transaction of a call after the checks that need no database.
type ingestTxn struct {
	head     TransactionInput // checked header; MerchantID set
	submit   bool
	lines    []models.TransactionLine
	goods    []ingestGoodsRef
	unitSent []bool // the line named its unit; otherwise it takes the goods' transaction unit
}

// ingestGoodsRef is how a line names its goods: by id, or else by the merchant's SKU.
type ingestGoodsRef struct {
	id  int64
	sku string
}

// ingestGoods is what the checks need of goods.
type ingestGoods struct {
	ID              int64
	MerchantID      int64
	SKU             string
	Status          string
	HSCode          string
	LegalUnit       string
	TransactionUnit string
}

// ingestProblems collects field problems up to MaxIngestProblems and counts them all.
type ingestProblems struct {
	fields apperr.Fields
	count  int
}

func (p *ingestProblems) add(field string, text apperr.Text) {
	p.count++
	if len(p.fields) < MaxIngestProblems {
		p.fields.Add(field, text)
	}
}

func (p *ingestProblems) err() error {
	if p.count == 0 {
		return nil
	}
	text := apperr.T("Please correct the marked fields; nothing was registered", "请更正标出的字段；本次未登记任何交易")
	if p.count > len(p.fields) {
		text = apperr.Tf("Please correct the marked fields; nothing was registered (%[1]d problems, the first %[2]d listed)",
			"请更正标出的字段；本次未登记任何交易（共 %[1]d 处问题，列出前 %[2]d 处）", p.count, len(p.fields))
	}
	return &apperr.Error{Code: apperr.Invalid, Text: text, Fields: p.fields}
}

func ingestTxnField(i int, field string) string {
	return "transactions[" + strconv.Itoa(i) + "]." + field
}

func ingestLineField(i, j int, field string) string {
	return "transactions[" + strconv.Itoa(i) + "].lines[" + strconv.Itoa(j) + "]." + field
}

// IngestTransactions registers many sales in one call (the bulk API): each is created with its
// lines and, when asked, registered, under exactly the rules of the single create and submit
// (an active merchant; an agent only for merchants whose entrustment is in force; the buyer in
// the actor's list; goods of the merchant, recognised by market supervision and, to register,
// eligible for mode 1039; the date, currency and every line's figures). Every problem names its
// field as transactions[i].lines[j].field (0-based); one problem refuses the whole call and
// nothing is written. Everything is written in one database transaction with one audit entry
// per transaction.
func (s *Service) IngestTransactions(ctx context.Context, actor Actor, in []NewTransaction) (*IngestResult, error) {
	var out *IngestResult
	_, _, err := s.IngestTransactionsOnce(ctx, actor, in, Idempotency{}, func(r *IngestResult) (Answer, error) {
		out = r
		return Answer{}, nil
	})
	return out, err
}

// IngestTransactionsOnce is IngestTransactions with an Idempotency-Key (see RegisterTransaction):
// answer renders what the client gets; it is stored with the ingest, and a retry of the same
// request gets it again (replayed) without registering anything.
func (s *Service) IngestTransactionsOnce(ctx context.Context, actor Actor, in []NewTransaction, idem Idempotency,
	answer func(*IngestResult) (Answer, error)) (Answer, bool, error) {
	if err := transactionManager(actor); err != nil {
		return Answer{}, false, err
	}
	if err := ingestLimits(in); err != nil {
		return Answer{}, false, err
	}
	nLines := 0
	for i := range in {
		nLines += len(in[i].Lines)
	}
	// Trace codes are drawn and checked against the lines already stored on the other core while
	// the input is checked, and outside the write transaction: a code another writer takes
	// meanwhile fails the insert on the unique index, and the call runs again with new codes
	// (at most three times, as withTraceRetry does).
	drawn := make(chan ingestCodes, 1)
	go func() {
		codes, err := drawTraceCodes(s.db.WithContext(ctx), nLines, cryptoTraceCodes())
		drawn <- ingestCodes{codes, err}
	}()
	txns, problems := s.checkIngest(actor, in)
	codes := <-drawn
	if err := problems.err(); err != nil {
		// A retry of a request that once went through gets its answer, even if today's checks
		// (the date, say) would now refuse it.
		if ans, ok := s.replayIngest(ctx, actor, idem); ok {
			return ans, true, nil
		}
		return Answer{}, false, err
	}
	for attempt := 0; ; attempt++ {
		if codes.err != nil {
			return Answer{}, false, apperr.Wrap(codes.err, "draw trace codes")
		}
		out, replayed, err := idempotentCreate(ctx, s, actor, idem, func(tx *gorm.DB) (*IngestResult, error) {
			return s.writeIngest(ctx, tx, actor, txns, codes.codes)
		}, answer)
		if !isTraceCodeClash(err) || attempt == 2 {
			return out, replayed, err
		}
		codes.codes, codes.err = drawTraceCodes(s.db.WithContext(ctx), nLines, cryptoTraceCodes())
	}
}

// ingestCodes is the trace codes drawn for a call's lines.
type ingestCodes struct {
	codes []string
	err   error
}

// drawTraceCodes draws n trace codes that differ from each other and from every stored line's
// (assignTraceCodes, for codes not yet given to lines), checking 900 at a time against the
// unique index through db.
func drawTraceCodes(db *gorm.DB, n int, next traceCodeSource) ([]string, error) {
	codes := make([]string, n)
	seen := make(map[string]bool, n)
	pending := make([]int, n)
	for i := range pending {
		pending[i] = i
	}
	for round := 0; len(pending) > 0; round++ {
		if round == 8 {
			return nil, fmt.Errorf("could not draw unique trace codes")
		}
		batch := make([]string, len(pending))
		for k, i := range pending {
			c := next()
			for seen[c] {
				c = next()
			}
			seen[c] = true
			codes[i], batch[k] = c, c
		}
		taken := map[string]bool{}
		for start := 0; start < len(batch); start += 900 {
			var found []string
			if err := db.Model(&models.TransactionLine{}).Where("trace_code IN ?", batch[start:min(start+900, len(batch))]).Pluck("trace_code", &found).Error; err != nil {
				return nil, err
			}
			for _, c := range found {
				taken[c] = true
			}
		}
		var again []int
		for _, i := range pending {
			if taken[codes[i]] {
				again = append(again, i)
			}
		}
		pending = again
	}
	return codes, nil
}

// replayIngest returns the stored answer of the same request under the key, if there is one.
func (s *Service) replayIngest(ctx context.Context, actor Actor, idem Idempotency) (Answer, bool) {
	idem.Key = strings.TrimSpace(idem.Key)
	if idem.Key == "" || CheckIdempotencyKey(idem.Key) != nil {
		return Answer{}, false
	}
	prev, err := storedAnswer(s.db.WithContext(ctx), actor, idem)
	if err != nil || prev == nil {
		return Answer{}, false
	}
	return *prev, true
}

// ingestLimits refuses an empty call and one over the limits before anything is checked.
func ingestLimits(in []NewTransaction) error {
	if len(in) == 0 {
		return apperr.Field("transactions", apperr.T("Send at least one transaction", "请至少提交一笔交易"))
	}
	if len(in) > MaxIngestTransactions {
		return apperr.Field("transactions", apperr.Tf("Send at most %[1]d transactions in one call (this one has %[2]d); split the rest into further calls",
			"每次最多提交 %[1]d 笔交易（本次 %[2]d 笔），其余请分批提交", MaxIngestTransactions, len(in)))
	}
	n := 0
	for _, t := range in {
		n += len(t.Lines)
	}
	if n > MaxIngestLines {
		return apperr.Field("transactions", apperr.Tf("Send at most %[1]d lines in one call (this one has %[2]d); split the rest into further calls",
			"每次最多提交 %[1]d 行商品（本次 %[2]d 行），其余请分批提交", MaxIngestLines, n))
	}
	return nil
}

// checkIngest checks everything that needs no database: each header (checkTxnHeader) and each
// line's figures (CheckLineFigures; the unit of a line that names none is filled in from its
// goods later).
func (s *Service) checkIngest(actor Actor, in []NewTransaction) ([]ingestTxn, *ingestProblems) {
	p := &ingestProblems{}
	out := make([]ingestTxn, len(in))
	for i := range in {
		t := &in[i]
		h, fe := s.checkTxnHeader(actor, t.TransactionInput)
		for _, f := range fe {
			p.add(ingestTxnField(i, f.Field), f.Text)
		}
		switch {
		case len(t.Lines) > MaxLinesPerTransaction:
			p.add(ingestTxnField(i, "lines"), apperr.Tf("A transaction holds at most %[1]d lines; this one has %[2]d",
				"一笔交易最多 %[1]d 行，本交易有 %[2]d 行", MaxLinesPerTransaction, len(t.Lines)))
			continue
		case t.Submit && len(t.Lines) == 0:
			p.add(ingestTxnField(i, "lines"), apperr.T("Add at least one line before registering the transaction", "请至少添加一行商品后再提交登记"))
		}
		it := ingestTxn{head: h, submit: t.Submit, lines: make([]models.TransactionLine, len(t.Lines)),
			goods: make([]ingestGoodsRef, len(t.Lines)), unitSent: make([]bool, len(t.Lines))}
		for j := range t.Lines {
			li := &t.Lines[j]
			ref := ingestGoodsRef{id: li.GoodsID}
			if li.GoodsID <= 0 {
				ref.id = 0
				if ref.sku = strings.TrimSpace(foldText(li.SKU)); ref.sku == "" {
					p.add(ingestLineField(i, j, LineFieldGoods), apperr.T("Choose the goods", "请选择商品"))
				}
			}
			l, lfe := CheckLineFigures(s.ref, *li, "")
			for _, f := range lfe {
				p.add(ingestLineField(i, j, f.Field), f.Text)
			}
			it.lines[j], it.goods[j], it.unitSent[j] = l, ref, strings.TrimSpace(li.Unit) != ""
		}
		out[i] = it
	}
	return out, p
}

// writeIngest checks what needs the database with a few set queries and writes everything
// inside tx: the merchants (locked), the agent's entrustments, the actor's buyers and the goods
// are each read once for the whole call; the transactions get consecutive numbers from one
// reservation of the day's sequence; the lines take the trace codes drawn before (codes, one
// per line in order); rows are inserted in batches and the audit entries appended as one chain.
func (s *Service) writeIngest(ctx context.Context, tx *gorm.DB, actor Actor, txns []ingestTxn, codes []string) (*IngestResult, error) {
	if actor.Role == models.RoleAgent {
		if err := requireActiveParty(tx, actor, apperr.T("register transactions", "登记交易")); err != nil {
			return nil, err
		}
	}
	merchants, err := s.ingestMerchants(tx, actor, txns)
	if err != nil {
		return nil, err
	}
	p := &ingestProblems{}
	if actor.Role == models.RoleAgent {
		entrusting, err := s.ingestEntrusting(tx, actor, merchants)
		if err != nil {
			return nil, err
		}
		for i := range txns {
			if !entrusting[txns[i].head.MerchantID] {
				p.add(ingestTxnField(i, "merchant_id"), apperr.T("This merchant has no entrustment of your company in force; choose a merchant from the list",
					"该经营户与贵司没有生效的委托协议，请从列表中选择经营户"))
			}
		}
	}
	buyers, err := ingestBuyers(tx, actor, txns)
	if err != nil {
		return nil, err
	}
	for i := range txns {
		if !buyers[txns[i].head.BuyerID] {
			p.add(ingestTxnField(i, "buyer_id"), apperr.T("Choose a buyer from your list of buyers (register a new buyer first)",
				"请从您的采购商列表中选择（新采购商请先登记）"))
		}
	}
	if err := s.ingestLineGoods(tx, txns, p); err != nil {
		return nil, err
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	for i := range txns {
		if err := ingestMerchantActive(actor, merchants[txns[i].head.MerchantID], i); err != nil {
			return nil, err
		}
	}
	now := s.now()
	numbers, err := reserveTransactionNumbers(tx, now, len(txns))
	if err != nil {
		return nil, err
	}
	rows := make([]models.Transaction, len(txns))
	nLines := 0
	for i := range txns {
		rows[i] = ingestTransactionRow(actor, &txns[i], numbers[i], now)
		nLines += len(txns[i].lines)
	}
	// 19 columns a row; 500 rows stay below both databases' limits on bound parameters.
	if err := tx.CreateInBatches(&rows, 500).Error; err != nil {
		return nil, err
	}
	all := make([]models.TransactionLine, 0, nLines)
	for i := range txns {
		for j := range txns[i].lines {
			l := txns[i].lines[j]
			l.TransactionID, l.LineNo, l.FXAllocated, l.CreatedAt, l.UpdatedAt = rows[i].ID, j+1, 0, now, now
			l.TraceCode = codes[len(all)]
			all = append(all, l)
		}
	}
	// The audit entries need the transactions' ids and the lines' trace codes, not the lines'
	// ids: they are chained on the other core while the lines are inserted.
	prev, err := models.LockAuditChain(tx)
	if err != nil {
		return nil, err
	}
	audits := make(chan []models.AuditEntry, 1)
	go func() {
		recs := make([]models.AuditRecord, len(txns))
		k := 0
		for i := range txns {
			n := len(txns[i].lines)
			recs[i] = auditRecordOf(ctx, actor, "transaction", strconv.FormatInt(rows[i].ID, 10), "ingest", nil, ingestAudit(&rows[i], all[k:k+n], txns[i].goods))
			k += n
		}
		audits <- models.ChainAudits(prev, now, recs)
	}()
	// Only the lines' ids are written meanwhile; the audit reads their other fields.
	err = models.InsertTransactionLines(tx, all)
	entries := <-audits
	if err != nil {
		return nil, err
	}
	out := &IngestResult{Transactions: make([]IngestedTransaction, len(txns)), Lines: nLines}
	k := 0
	for i := range txns {
		lines := all[k : k+len(txns[i].lines)]
		k += len(lines)
		it := IngestedTransaction{Transaction: rows[i], Lines: make([]IngestedLine, len(lines))}
		for j := range lines {
			it.Lines[j] = IngestedLine{ID: lines[j].ID, LineNo: lines[j].LineNo, TraceCode: lines[j].TraceCode, Amount: lines[j].Amount}
		}
		out.Transactions[i] = it
	}
	return out, models.InsertAudits(tx, entries)
}

// ingestMerchants loads and locks the merchants of the call (the actor's own for a merchant).
func (s *Service) ingestMerchants(tx *gorm.DB, actor Actor, txns []ingestTxn) (map[int64]models.Merchant, error) {
	ids := distinctIDs(len(txns), func(i int) int64 { return txns[i].head.MerchantID })
	out := make(map[int64]models.Merchant, len(ids))
	err := forChunks(ids, func(chunk []int64) error {
		var ms []models.Merchant
		err := tx.Model(&models.Merchant{}).Clauses(clause.Locking{Strength: "UPDATE"}).
			Select("id, name, status").Where("id IN ?", chunk).Order("id").Find(&ms).Error
		for _, m := range ms {
			out[m.ID] = m
		}
		return err
	})
	return out, err
}

// ingestEntrusting is the set of the call's merchants whose entrustment of the actor's agent is
// in force today (agentEntrustedBy, for all of them at once).
func (s *Service) ingestEntrusting(tx *gorm.DB, actor Actor, merchants map[int64]models.Merchant) (map[int64]bool, error) {
	ids := make([]int64, 0, len(merchants))
	for id := range merchants {
		ids = append(ids, id)
	}
	day := s.txnToday(actor)
	out := map[int64]bool{}
	err := forChunks(ids, func(chunk []int64) error {
		var found []int64
		err := tx.Model(&models.Entrustment{}).Where("agent_id = ? AND merchant_id IN ? AND "+entrustmentOverlaps, actor.AgentID, chunk, day, day).
			Pluck("merchant_id", &found).Error
		for _, id := range found {
			out[id] = true
		}
		return err
	})
	return out, err
}

// ingestBuyers is the set of the call's buyers that are in the actor's list.
func ingestBuyers(tx *gorm.DB, actor Actor, txns []ingestTxn) (map[int64]bool, error) {
	ids := distinctIDs(len(txns), func(i int) int64 { return txns[i].head.BuyerID })
	out := make(map[int64]bool, len(ids))
	err := forChunks(ids, func(chunk []int64) error {
		var found []int64
		err := models.BuyersScoped(tx.Model(&models.Buyer{}), actor.Scope()).Where("buyers.id IN ?", chunk).Pluck("buyers.id", &found).Error
		for _, id := range found {
			out[id] = true
		}
		return err
	})
	return out, err
}

// ingestLineGoods finds every line's goods (by id, or by SKU in the transaction's merchant's
// catalogue), reading the goods once for the call, checks them as txnLineGoods and, for a
// transaction to register, as submitTxn does, and gives lines without a unit the goods' one.
// Goods of another merchant read exactly like goods that do not exist.
func (s *Service) ingestLineGoods(tx *gorm.DB, txns []ingestTxn, p *ingestProblems) error {
	byID := map[int64]*ingestGoods{}
	skus := map[int64]map[string]*ingestGoods{} // merchant → SKU → goods
	var ids []int64
	for i := range txns {
		m := txns[i].head.MerchantID
		for _, g := range txns[i].goods {
			switch {
			case g.id > 0:
				if _, seen := byID[g.id]; !seen {
					byID[g.id] = nil
					ids = append(ids, g.id)
				}
			case g.sku != "":
				if skus[m] == nil {
					skus[m] = map[string]*ingestGoods{}
				}
				skus[m][g.sku] = nil
			}
		}
	}
	const cols = "id, merchant_id, sku, status, hs_code, legal_unit, transaction_unit"
	err := forChunks(ids, func(chunk []int64) error {
		var gs []ingestGoods
		err := tx.Model(&models.Goods{}).Select(cols).Where("id IN ?", chunk).Scan(&gs).Error
		for k := range gs {
			byID[gs[k].ID] = &gs[k]
		}
		return err
	})
	if err != nil {
		return err
	}
	for m, set := range skus {
		list := make([]string, 0, len(set))
		for sku := range set {
			list = append(list, sku)
		}
		for start := 0; start < len(list); start += 900 {
			var gs []ingestGoods
			err := tx.Model(&models.Goods{}).Select(cols).Where("merchant_id = ? AND sku IN ?", m, list[start:min(start+900, len(list))]).Scan(&gs).Error
			if err != nil {
				return err
			}
			for k := range gs {
				set[gs[k].SKU] = &gs[k]
			}
		}
	}
	prefixes, _, err := goodsLists(tx)
	if err != nil {
		return err
	}
	for i := range txns {
		t := &txns[i]
		m := t.head.MerchantID
		for j, ref := range t.goods {
			var g *ingestGoods
			field := LineFieldGoods
			switch {
			case ref.id > 0:
				if g = byID[ref.id]; g == nil || g.MerchantID != m {
					p.add(ingestLineField(i, j, field), apperr.Tf("There are no goods with id %d in the merchant's catalogue", "经营户的商品备案中没有编号为 %d 的商品", ref.id))
					continue
				}
			case ref.sku != "":
				field = LineFieldSKU
				if g = skus[m][ref.sku]; g == nil {
					p.add(ingestLineField(i, j, field), apperr.Tf("There are no goods with SKU %s in the merchant's catalogue", "经营户的商品备案中没有货号为 %s 的商品", ref.sku))
					continue
				}
			default:
				continue // reported by checkIngest
			}
			if g.Status != models.GoodsRecognised {
				p.add(ingestLineField(i, j, field), txnGoodsNotRecognised(g.SKU, g.Status))
				continue
			}
			if t.submit {
				if why, bad := IneligibleReason(prefixes, g.HSCode); bad {
					p.add(ingestLineField(i, j, field), apperr.Tf("%[1]s: %[2]s", "%[1]s：%[3]s", g.SKU, why.En, why.Zh))
					continue
				}
			}
			t.lines[j].GoodsID = g.ID
			if !t.unitSent[j] {
				t.lines[j].Unit = txnDefaultUnit(&models.Goods{TransactionUnit: g.TransactionUnit, LegalUnit: g.LegalUnit})
			}
			t.goods[j].sku = g.SKU
		}
	}
	return nil
}

// ingestMerchantActive refuses a transaction whose merchant is not active (DOMAIN §8), naming
// it, as requireTxnMerchantActive does.
func ingestMerchantActive(actor Actor, m models.Merchant, i int) error {
	if m.Status == models.MerchantActive {
		return nil
	}
	field := ingestTxnField(i, "merchant_id")
	if m.ID == 0 {
		return &apperr.Error{Code: apperr.NotFound, Text: apperr.T(merchantNoun.En+" not found", "未找到"+merchantNoun.Zh),
			Fields: []apperr.FieldError{{Field: field, Text: apperr.T("No such merchant", "没有该经营户")}}}
	}
	st := partyStatus(m.Status)
	text := apperr.Tf("%[1]s: merchant %[2]s is %[3]s; only an active merchant may register transactions; nothing was registered",
		"%[1]s：经营户 %[2]s 当前状态为“%[4]s”，只有状态正常的经营户才能登记交易；本次未登记任何交易", field, m.Name, st.En, st.Zh)
	if actor.Role == models.RoleMerchant {
		text = apperr.Tf("Your business is not active (it is %[1]s), so it may not register transactions; nothing was registered",
			"您的主体当前状态为“%[2]s”，不能登记交易；本次未登记任何交易", st.En, st.Zh)
	}
	return &apperr.Error{Code: apperr.Forbidden, Text: text, Fields: []apperr.FieldError{{Field: field, Text: text}}}
}

// reserveTransactionNumbers hands out n consecutive transaction numbers of the day with one
// update of the day's sequence (nextTransactionNumber's series).
func reserveTransactionNumbers(tx *gorm.DB, now time.Time, n int) ([]string, error) {
	day := now.In(MarketZone).Format("20060102")
	name := "transaction:" + day
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.NumberSequence{Name: name, Next: 1}).Error; err != nil {
		return nil, err
	}
	if err := tx.Model(&models.NumberSequence{}).Where("name = ?", name).Update("next", gorm.Expr("next + ?", n)).Error; err != nil {
		return nil, err
	}
	var seq models.NumberSequence
	if err := tx.Where("name = ?", name).Take(&seq).Error; err != nil {
		return nil, err
	}
	first := seq.Next - int64(n)
	if seq.Next-1 > MaxTransactionsPerDay {
		return nil, apperr.New(apperr.Conflict, apperr.Tf("The market can number %[1]d more transactions today, fewer than the %[2]d sent; the numbering is full until midnight",
			"今日交易编号仅余 %[1]d 个，少于本次提交的 %[2]d 笔，请于明日登记", max(0, MaxTransactionsPerDay+1-first), n))
	}
	out := make([]string, n)
	for k := range out {
		out[k] = transactionNumber(day, first+int64(k))
	}
	return out, nil
}

// ingestTransactionRow is the transaction row of an ingested sale: its totals added up from its
// checked lines (as refreshTxnTotals would), registered at once when asked.
func ingestTransactionRow(actor Actor, t *ingestTxn, number string, now time.Time) models.Transaction {
	row := models.Transaction{Number: number, MerchantID: t.head.MerchantID, BuyerID: t.head.BuyerID, TradeDate: t.head.TradeDate,
		Currency: t.head.Currency, Status: models.TransactionDraft, CreatedByUserID: actorUserRef(actor), Version: 1,
		LineCount: len(t.lines), CreatedAt: now, UpdatedAt: now}
	if actor.Role == models.RoleAgent {
		agent := actor.AgentID
		row.AgentID = &agent
	}
	for _, l := range t.lines {
		row.TotalAmount += l.Amount
		row.TotalCartons += l.Cartons
		row.TotalNetGrams += l.NetGrams
		row.TotalGrossGrams += l.GrossGrams
	}
	if t.submit {
		at := now
		row.Status, row.RegisteredAt = models.TransactionRegistered, &at
	}
	return row
}

// ingestLineAudit is a line in an ingest's audit entry: the fields of txnLineAudit but its id
// (the trace code names the line for life).
type ingestLineAudit struct {
	LineNo    int    `json:"line_no"`
	TraceCode string `json:"trace_code"`
	GoodsID   int64  `json:"goods_id"`
	SKU       string `json:"sku"`
	Quantity  string `json:"quantity"`
	Unit      string `json:"unit"`
	UnitPrice string `json:"unit_price"`
	Amount    string `json:"amount"`
	Cartons   int64  `json:"cartons"`
	NetKg     string `json:"net_kg"`
	GrossKg   string `json:"gross_kg"`
}

// ingestTxnAudit is what the audit log keeps of an ingested transaction: its header with the
// keys of transactionAudit, every line with the keys of txnLineAudit (the single path writes
// them as separate "create", "line_add" and "submit" entries), and how it came. A struct, not a
// map: thousands are marshalled in one call.
type ingestTxnAudit struct {
	Number       string            `json:"number"`
	MerchantID   int64             `json:"merchant_id"`
	BuyerID      int64             `json:"buyer_id"`
	AgentID      *int64            `json:"agent_id"`
	TradeDate    string            `json:"trade_date"`
	Currency     string            `json:"currency"`
	Status       string            `json:"status"`
	StatusReason string            `json:"status_reason"`
	TotalAmount  string            `json:"total_amount"`
	LineCount    int               `json:"line_count"`
	Version      int64             `json:"version"`
	Lines        []ingestLineAudit `json:"lines"`
	Via          string            `json:"via"`
}

func ingestAudit(t *models.Transaction, lines []models.TransactionLine, goods []ingestGoodsRef) *ingestTxnAudit {
	a := &ingestTxnAudit{Number: t.Number, MerchantID: t.MerchantID, BuyerID: t.BuyerID, AgentID: t.AgentID, TradeDate: t.TradeDate,
		Currency: t.Currency, Status: t.Status, StatusReason: t.StatusReason, TotalAmount: t.TotalAmount.String(),
		LineCount: t.LineCount, Version: t.Version, Lines: make([]ingestLineAudit, len(lines)), Via: "bulk"}
	for j := range lines {
		l := &lines[j]
		a.Lines[j] = ingestLineAudit{LineNo: l.LineNo, TraceCode: l.TraceCode, GoodsID: l.GoodsID, SKU: goods[j].sku,
			Quantity: l.Quantity.String(), Unit: l.Unit, UnitPrice: l.UnitPrice.String(), Amount: l.Amount.String(),
			Cartons: l.Cartons, NetKg: l.NetGrams.Kg(), GrossKg: l.GrossGrams.Kg()}
	}
	return a
}

// distinctIDs lists the distinct positive ids of n items in first-seen order.
func distinctIDs(n int, id func(int) int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for i := range n {
		if v := id(i); v > 0 && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// forChunks calls fn with ids 900 at a time (below SQLite's old limit of 999 bound parameters).
func forChunks(ids []int64, fn func([]int64) error) error {
	for start := 0; start < len(ids); start += 900 {
		if err := fn(ids[start:min(start+900, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}
