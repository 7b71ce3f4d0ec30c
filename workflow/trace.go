package workflow

import (
	"context"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// The trace of one goods line (DOMAIN §9): goods line → transaction (documents, merchant,
// buyer) → packing-list line → container → declaration item and its merged siblings → customs
// lane, inspection, release, exit → FX allocations → VAT exemption filing, with every audit
// entry that touched those records. It is read-only and assembled from the tables each step
// writes, so it can never disagree with them.

// TraceLine is the goods line itself.
type TraceLine struct {
	ID         int64           `json:"id"`
	TraceCode  string          `json:"trace_code"`
	LineNo     int             `json:"line_no"`
	GoodsID    int64           `json:"goods_id"`
	SKU        string          `json:"sku"`
	NameZh     string          `json:"name_zh"`
	NameEn     string          `json:"name_en"`
	HSCode     string          `json:"hs_code"`
	Brand      string          `json:"brand"`
	Spec       string          `json:"spec"`
	Quantity   models.Quantity `json:"quantity_milli"`
	Unit       string          `json:"unit"`
	UnitPrice  models.Price    `json:"unit_price_e4"`
	Amount     models.Money    `json:"amount_cents"`
	Currency   string          `json:"currency"`
	Cartons    int64           `json:"cartons"`
	NetGrams   models.Grams    `json:"net_grams"`
	GrossGrams models.Grams    `json:"gross_grams"`
	FXPaid     models.Money    `json:"fx_paid_cents"`
	CreatedAt  time.Time       `json:"created_at"`
}

// TraceTransaction is the sale the line belongs to: the root of every trace.
type TraceTransaction struct {
	ID               int64           `json:"id"`
	Number           string          `json:"number"`
	Status           string          `json:"status"`
	TradeDate        string          `json:"trade_date"`
	RegisteredAt     *time.Time      `json:"registered_at"`
	MerchantID       int64           `json:"merchant_id"`
	MerchantName     string          `json:"merchant_name"`
	MerchantUSCC     string          `json:"merchant_uscc"`
	MerchantStall    string          `json:"merchant_stall"`
	BuyerID          int64           `json:"buyer_id"`
	BuyerName        string          `json:"buyer_name"`
	BuyerNationality string          `json:"buyer_nationality"`
	BuyerDocNumber   string          `json:"buyer_doc_number"`
	AgentName        string          `json:"agent_name"`
	Documents        []TraceDocument `json:"documents" gorm:"-"`
}

// TraceDocument is an original document of the transaction (receipt photo, order, invoice).
type TraceDocument struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	FileName  string    `json:"file_name"`
	SHA256    string    `json:"sha256"`
	CreatedAt time.Time `json:"created_at"`
}

// TracePacking is where the line's cartons went: a container of a consolidation.
type TracePacking struct {
	ConsolidationID int64        `json:"consolidation_id"`
	BookingCode     string       `json:"booking_code"`
	ConsolidationSt string       `json:"consolidation_st"`
	ContainerNumber string       `json:"container_number"`
	SizeType        string       `json:"size_type"`
	SealNo          string       `json:"seal_no"`
	Cartons         int64        `json:"cartons"`
	NetGrams        models.Grams `json:"net_grams"`
	GrossGrams      models.Grams `json:"gross_grams"`
}

// TraceSibling is another original line merged into the same declaration item. Lines of other
// merchants are shown to a merchant without their trace code or value (Hidden).
type TraceSibling struct {
	TraceCode    string       `json:"trace_code"`
	MerchantName string       `json:"merchant_name"`
	GoodsName    string       `json:"goods_name"`
	HSCode       string       `json:"hs_code"`
	Value        models.Money `json:"value_cents"`
	Hidden       bool         `json:"hidden"`
}

// TraceCustoms is one customs step of the declaration: a routing decision, an inspection or an
// event (accepted, released, exited, rejected, …).
type TraceCustoms struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"` // "decision", "inspection" or the customs event kind
	Lane   string    `json:"lane"`
	Detail string    `json:"detail"`
	Actor  string    `json:"actor"`
}

// TraceDeclaration is a declaration item holding the line, with its declaration.
type TraceDeclaration struct {
	DeclarationID int64          `json:"declaration_id"`
	PreEntryNo    string         `json:"pre_entry_no"`
	EntryNo       string         `json:"entry_no"`
	Status        string         `json:"status"`
	Lane          string         `json:"lane"`
	ReleasedAt    *time.Time     `json:"released_at"`
	ExitDate      string         `json:"exit_date"`
	ItemNo        int            `json:"item_no"`
	ItemKind      string         `json:"item_kind"`
	ItemHSCode    string         `json:"item_hs_code"`
	ItemName      string         `json:"item_name"`
	LineValueUSD  models.Money   `json:"line_value_usd_cents"`
	Siblings      []TraceSibling `json:"siblings" gorm:"-"`
	Customs       []TraceCustoms `json:"customs" gorm:"-"`
}

// TraceAllocation is money from a receipt allocated to the line.
type TraceAllocation struct {
	ReceiptID     int64        `json:"receipt_id"`
	BankRef       string       `json:"bank_ref"`
	PayerName     string       `json:"payer_name"`
	PayerCountry  string       `json:"payer_country"`
	ValueDate     string       `json:"value_date"`
	Currency      string       `json:"currency"`
	Amount        models.Money `json:"amount_cents"`
	PayerMismatch bool         `json:"payer_mismatch"`
	BeforeExport  bool         `json:"before_export"`
	CreatedAt     time.Time    `json:"created_at"`
}

// TraceFiling is a VAT exemption filing claiming the line.
type TraceFiling struct {
	FilingID  int64        `json:"filing_id"`
	Number    string       `json:"number"`
	Period    string       `json:"period"`
	Status    string       `json:"status"`
	Amount    models.Money `json:"amount_cents"`
	AmountCNY models.Money `json:"amount_cny_cents"`
	FiledAt   *time.Time   `json:"filed_at"`
	DecidedAt *time.Time   `json:"decided_at"`
}

// TraceEvent is one audit entry that touched a record of the trace.
type TraceEvent struct {
	AuditID   int64     `json:"audit_id"`
	At        time.Time `json:"at"`
	ActorName string    `json:"actor_name"`
	ActorRole string    `json:"actor_role"`
	Entity    string    `json:"entity"`
	EntityID  string    `json:"entity_id"`
	Action    string    `json:"action"`
	OldJSON   string    `json:"old_json"`
	NewJSON   string    `json:"new_json"`
}

// TraceView is the whole chain of one goods line. In its JSON form amounts are integers in
// their fixed-point scale, which the key names: _cents (hundredths), _milli (thousandths), _e4
// (ten-thousandths); masses are in grams.
type TraceView struct {
	Line         TraceLine          `json:"line"`
	Transaction  TraceTransaction   `json:"transaction"`
	Progress     LineProgress       `json:"progress"`
	Packing      []TracePacking     `json:"packing"`
	Declarations []TraceDeclaration `json:"declarations"`
	Allocations  []TraceAllocation  `json:"allocations"`
	Filings      []TraceFiling      `json:"filings"`
	Timeline     []TraceEvent       `json:"timeline"`
}

// traceableLine reads a line by trace code within the actor's scope; NotFound otherwise, so a
// code's existence does not leak.
func traceableLine(db *gorm.DB, actor Actor, code string) (*TraceLine, int64, error) {
	var row struct {
		TraceLine
		TransactionID int64
	}
	q := db.Table("transaction_lines AS tl").
		Select(`tl.id, tl.trace_code, tl.line_no, tl.goods_id, g.sku, g.name_zh, g.name_en, g.hs_code, g.brand, g.spec,
		        tl.quantity, tl.unit, tl.unit_price, tl.amount, t.currency, tl.cartons, tl.net_grams, tl.gross_grams,
		        tl.fx_allocated AS fx_paid, tl.created_at, tl.transaction_id`).
		Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Joins("JOIN goods g ON g.id = tl.goods_id").
		Where("tl.trace_code = ?", code)
	q = models.MerchantColumnScoped(q, "t", actor.Scope())
	if err := q.Take(&row).Error; err != nil {
		if noSuchRow(err) {
			return nil, 0, apperr.New(apperr.NotFound, apperr.Tf("No goods line with trace code %s", "没有追溯码为 %s 的货物明细", code))
		}
		return nil, 0, apperr.Wrap(err, "trace line")
	}
	return &row.TraceLine, row.TransactionID, nil
}

// Trace assembles the chain of the goods line with a trace code (the code on its label's QR).
func (s *Service) Trace(ctx context.Context, actor Actor, code string) (*TraceView, error) {
	if err := actor.Require(ActTrace); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	line, txnID, err := traceableLine(db, actor, normalize(code))
	if err != nil {
		return nil, err
	}
	v := &TraceView{Line: *line}
	if err := traceTransaction(db, txnID, &v.Transaction); err != nil {
		return nil, err
	}
	if err := db.Table("packing_lines AS pl").
		Select(`c.id AS consolidation_id, c.booking_code, c.status AS consolidation_st, ct.number AS container_number,
		        ct.size_type, ct.seal_no, pl.cartons, pl.net_grams, pl.gross_grams`).
		Joins("JOIN containers ct ON ct.id = pl.container_id").
		Joins("JOIN consolidations c ON c.id = ct.consolidation_id").
		Where("pl.transaction_line_id = ?", line.ID).Order("pl.id").Scan(&v.Packing).Error; err != nil {
		return nil, apperr.Wrap(err, "trace packing")
	}
	if err := s.traceDeclarations(db, actor, line.ID, v); err != nil {
		return nil, err
	}
	if err := db.Table("fx_allocations AS a").
		Select(`r.id AS receipt_id, r.bank_ref, r.payer_name, r.payer_country, r.value_date, r.currency, a.amount,
		        a.payer_mismatch, a.before_export, a.created_at`).
		Joins("JOIN fx_receipts r ON r.id = a.receipt_id").
		Where("a.transaction_line_id = ?", line.ID).Order("a.id").Scan(&v.Allocations).Error; err != nil {
		return nil, apperr.Wrap(err, "trace allocations")
	}
	if err := db.Table("tax_filing_lines AS fl").
		Select("f.id AS filing_id, f.number, f.period, f.status, fl.amount, fl.amount_cny, f.filed_at, f.decided_at").
		Joins("JOIN tax_filings f ON f.id = fl.filing_id").
		Where("fl.transaction_line_id = ?", line.ID).Order("f.id").Scan(&v.Filings).Error; err != nil {
		return nil, apperr.Wrap(err, "trace filings")
	}
	facts, err := loadLineFacts(db, []int64{line.ID})
	if err != nil {
		return nil, err
	}
	f := facts[line.ID]
	f.TransactionStatus, f.Amount = v.Transaction.Status, line.Amount
	v.Progress = DeriveLineProgress(f)
	if err := s.traceTimeline(db, v); err != nil {
		return nil, err
	}
	return v, nil
}

func traceTransaction(db *gorm.DB, id int64, t *TraceTransaction) error {
	err := db.Table("transactions AS t").
		Select(`t.id, t.number, t.status, t.trade_date, t.registered_at, t.merchant_id, m.name AS merchant_name,
		        m.uscc AS merchant_uscc, m.stall_raw AS merchant_stall, t.buyer_id, b.name AS buyer_name,
		        b.nationality AS buyer_nationality, b.doc_number AS buyer_doc_number, COALESCE(a.name, '') AS agent_name`).
		Joins("JOIN merchants m ON m.id = t.merchant_id").
		Joins("JOIN buyers b ON b.id = t.buyer_id").
		Joins("LEFT JOIN agents a ON a.id = t.agent_id").
		Where("t.id = ?", id).Scan(t).Error
	if err != nil {
		return apperr.Wrap(err, "trace transaction")
	}
	if err := db.Table("documents").Select("id, kind, file_name, sha256, created_at").Where("transaction_id = ?", id).
		Order("id").Scan(&t.Documents).Error; err != nil {
		return apperr.Wrap(err, "trace documents")
	}
	return nil
}

// traceDeclarations reads the declaration items holding the line, their merged siblings and each
// declaration's customs steps.
func (s *Service) traceDeclarations(db *gorm.DB, actor Actor, lineID int64, v *TraceView) error {
	var items []struct {
		TraceDeclaration
		ItemID int64
	}
	err := db.Table("declaration_item_lines AS dil").
		Select(`d.id AS declaration_id, d.pre_entry_no, COALESCE(d.entry_no, '') AS entry_no, d.status, d.lane, d.released_at,
		        d.exit_date, di.item_no, di.kind AS item_kind, di.hs_code AS item_hs_code, di.name AS item_name,
		        dil.value_usd AS line_value_usd, di.id AS item_id`).
		Joins("JOIN declaration_items di ON di.id = dil.declaration_item_id").
		Joins("JOIN declarations d ON d.id = di.declaration_id").
		Where("dil.transaction_line_id = ?", lineID).Order("d.id").Scan(&items).Error
	if err != nil {
		return apperr.Wrap(err, "trace declarations")
	}
	for _, it := range items {
		d := it.TraceDeclaration
		var sibs []struct {
			TraceSibling
			MerchantID int64
		}
		err := db.Table("declaration_item_lines AS dil").
			Select(`tl.trace_code, m.name AS merchant_name, g.name_zh AS goods_name, g.hs_code, dil.value, t.merchant_id`).
			Joins("JOIN transaction_lines tl ON tl.id = dil.transaction_line_id").
			Joins("JOIN transactions t ON t.id = tl.transaction_id").
			Joins("JOIN merchants m ON m.id = t.merchant_id").
			Joins("JOIN goods g ON g.id = tl.goods_id").
			Where("dil.declaration_item_id = ? AND dil.transaction_line_id <> ?", it.ItemID, lineID).
			Order("tl.id").Scan(&sibs).Error
		if err != nil {
			return apperr.Wrap(err, "trace siblings")
		}
		for _, sb := range sibs {
			if actor.Role == models.RoleMerchant && sb.MerchantID != actor.MerchantID {
				sb.TraceSibling = TraceSibling{MerchantName: "", GoodsName: sb.GoodsName, HSCode: sb.HSCode, Hidden: true}
			}
			d.Siblings = append(d.Siblings, sb.TraceSibling)
		}
		if err := traceCustoms(db, &d); err != nil {
			return err
		}
		v.Declarations = append(v.Declarations, d)
	}
	return nil
}

// traceCustoms reads a declaration's routing decisions, inspections and events, in time order.
func traceCustoms(db *gorm.DB, d *TraceDeclaration) error {
	var decisions []models.CustomsDecision
	if err := db.Where("declaration_id = ?", d.DeclarationID).Order("id").Find(&decisions).Error; err != nil {
		return apperr.Wrap(err, "trace decisions")
	}
	var inspections []models.Inspection
	if err := db.Where("declaration_id = ?", d.DeclarationID).Order("id").Find(&inspections).Error; err != nil {
		return apperr.Wrap(err, "trace inspections")
	}
	var events []models.CustomsEvent
	if err := db.Where("declaration_id = ?", d.DeclarationID).Order("id").Find(&events).Error; err != nil {
		return apperr.Wrap(err, "trace events")
	}
	var users []int64
	for _, e := range events {
		if e.ActorUserID != nil {
			users = append(users, *e.ActorUserID)
		}
	}
	for _, in := range inspections {
		users = append(users, in.InspectorUserID)
	}
	for _, dc := range decisions {
		if dc.OfficerUserID != nil {
			users = append(users, *dc.OfficerUserID)
		}
	}
	names, err := names(db, "users", "display_name", users)
	if err != nil {
		return err
	}
	nameOf := func(id *int64) string {
		if id == nil {
			return ""
		}
		return names[*id]
	}
	for _, e := range events {
		d.Customs = append(d.Customs, TraceCustoms{At: e.CreatedAt, Kind: e.Kind, Detail: e.ReasonCode, Actor: nameOf(e.ActorUserID)})
	}
	for _, dc := range decisions {
		d.Customs = append(d.Customs, TraceCustoms{At: dc.DecidedAt, Kind: "decision", Lane: dc.Lane,
			Detail: "rule set v" + strconv.Itoa(dc.RuleSetVersion), Actor: nameOf(dc.OfficerUserID)})
	}
	for _, in := range inspections {
		at := in.AssignedAt
		if in.CompletedAt != nil {
			at = *in.CompletedAt
		}
		id := in.InspectorUserID
		d.Customs = append(d.Customs, TraceCustoms{At: at, Kind: "inspection", Detail: in.Result, Actor: nameOf(&id)})
	}
	sortTraceCustoms(d.Customs)
	return nil
}

func sortTraceCustoms(cs []TraceCustoms) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].At.Before(cs[j-1].At); j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// traceTimeline reads every audit entry about a record of the trace, oldest first.
func (s *Service) traceTimeline(db *gorm.DB, v *TraceView) error {
	type key struct{ entity, id string }
	keys := []key{{"transaction", strconv.FormatInt(v.Transaction.ID, 10)}, {"goods", strconv.FormatInt(v.Line.GoodsID, 10)}}
	seen := map[int64]bool{}
	for _, p := range v.Packing {
		if !seen[p.ConsolidationID] {
			seen[p.ConsolidationID] = true
			keys = append(keys, key{"consolidation", strconv.FormatInt(p.ConsolidationID, 10)})
		}
	}
	for _, d := range v.Declarations {
		keys = append(keys, key{"declaration", strconv.FormatInt(d.DeclarationID, 10)})
	}
	for _, a := range v.Allocations {
		keys = append(keys, key{"fx_receipt", strconv.FormatInt(a.ReceiptID, 10)})
	}
	for _, f := range v.Filings {
		keys = append(keys, key{"tax_filing", strconv.FormatInt(f.FilingID, 10)})
	}
	q := db.Table("audit_entries AS e").
		Select(`e.id AS audit_id, e.at, COALESCE(u.display_name, '') AS actor_name, e.actor_role, e.entity, e.entity_id,
		        e.action, e.old_json, e.new_json`).
		Joins("LEFT JOIN users u ON u.id = e.actor_user_id")
	// Each key is its own OR term, so that SQLite searches the (entity, entity_id) index once
	// per key (a constant term such as "1 = 0" in the OR would turn that into a full scan).
	var cond *gorm.DB
	or := func(query string, args ...any) {
		if cond == nil {
			cond = db.Where(query, args...)
		} else {
			cond = cond.Or(query, args...)
		}
	}
	id := strconv.FormatInt(v.Line.ID, 10)
	mentions := []any{`%"line_id":` + id + `,%`, `%"line_id":` + id + `}%`, `%[` + id + `,%`, `%,` + id + `,%`, `%,` + id + `]%`, `%[` + id + `]%`}
	for _, k := range keys {
		if k.entity != "consolidation" {
			or("e.entity = ? AND e.entity_id = ?", k.entity, k.id)
			continue
		}
		// A consolidation holds many merchants' lines: of its per-line changes, only those
		// naming this line belong to its trace.
		or(`e.entity = ? AND e.entity_id = ? AND (e.action NOT IN ? OR e.new_json LIKE ? OR e.new_json LIKE ?
		    OR e.new_json LIKE ? OR e.new_json LIKE ? OR e.new_json LIKE ? OR e.new_json LIKE ?)`,
			append([]any{k.entity, k.id, consolidationLineActions}, mentions...)...)
	}
	// "+e.id": sort the few matching entries; never walk the whole log in id order looking for them.
	if err := q.Where(cond).Order("+e.id").Limit(traceTimelineLimit).Scan(&v.Timeline).Error; err != nil {
		return apperr.Wrap(err, "trace timeline")
	}
	return nil
}

// consolidationLineActions are the consolidation's audited changes that concern some of its lines
// (their audit values name the lines by id).
var consolidationLineActions = []string{"allocate_lines", "file_lines", "remove_line", "pack", "pack_rest"}

// traceTimelineLimit bounds the timeline of one trace (a busy consolidation's entries included).
const traceTimelineLimit = 1000

// Kinds of identifier a trace search recognises (DOMAIN §9: from any one of them).
const (
	TraceByCode        = "trace_code"
	TraceByTransaction = "transaction"
	TraceByMerchant    = "merchant_uscc"
	TraceByBuyer       = "buyer_document"
	TraceByContainer   = "container"
	TraceByDeclaration = "declaration"
	TraceByReceipt     = "fx_bank_ref"
	TraceByFiling      = "vat_filing"
)

// TraceHit is one goods line found by a trace search.
type TraceHit struct {
	TraceCode    string       `json:"trace_code"`
	GoodsName    string       `json:"goods_name"`
	HSCode       string       `json:"hs_code"`
	MerchantName string       `json:"merchant_name"`
	BuyerName    string       `json:"buyer_name"`
	TradeDate    string       `json:"trade_date"`
	Currency     string       `json:"currency"`
	Amount       models.Money `json:"amount_cents"`
}

// TraceMatch is what one kind of identifier found: the lines it leads to, newest first.
type TraceMatch struct {
	Kind  string     `json:"kind"`
	Total int64      `json:"total"`
	Lines []TraceHit `json:"lines"` // at most TraceSearchLimit
}

// TraceSearchLimit is how many lines a search shows per kind of identifier.
const TraceSearchLimit = 100

// traceKinds maps each kind to the lines it leads to: a condition on the joined line (tl),
// transaction (t) and merchant (m).
var traceKinds = []struct {
	kind string
	cond string
}{
	{TraceByCode, "tl.trace_code IN ?"},
	{TraceByTransaction, "t.number IN ?"},
	{TraceByMerchant, "m.uscc IN ?"},
	{TraceByBuyer, "t.buyer_id IN (SELECT id FROM buyers WHERE doc_number IN ?)"},
	{TraceByContainer, "tl.id IN (SELECT pl.transaction_line_id FROM packing_lines pl JOIN containers c ON c.id = pl.container_id WHERE c.number IN ?)"},
	{TraceByDeclaration, `tl.id IN (SELECT dil.transaction_line_id FROM declaration_item_lines dil
	    JOIN declaration_items di ON di.id = dil.declaration_item_id JOIN declarations d ON d.id = di.declaration_id
	    WHERE d.pre_entry_no IN @q OR d.entry_no IN @q)`},
	{TraceByReceipt, "tl.id IN (SELECT a.transaction_line_id FROM fx_allocations a JOIN fx_receipts r ON r.id = a.receipt_id WHERE r.bank_ref IN ?)"},
	{TraceByFiling, "tl.id IN (SELECT fl.transaction_line_id FROM tax_filing_lines fl JOIN tax_filings f ON f.id = fl.filing_id WHERE f.number IN ?)"},
}

// TraceSearch finds the goods lines an identifier leads to, for every kind of identifier it
// matches, within the actor's scope. The identifier is matched exactly after trimming, with
// full-width characters folded and letters upper-cased (codes are upper case), and also as typed
// (bank references and buyer documents may hold lower-case letters).
func (s *Service) TraceSearch(ctx context.Context, actor Actor, q string) ([]TraceMatch, error) {
	if err := actor.Require(ActTrace); err != nil {
		return nil, err
	}
	raw := normalize(q)
	if raw == "" {
		return nil, apperr.Field("q", apperr.T("Enter a trace code, transaction number, USCC, passport number, container number, declaration number, bank reference or VAT filing number",
			"请输入追溯码、交易编号、统一社会信用代码、护照号、集装箱号、报关单号、银行流水号或免税申报编号"))
	}
	if len(raw) > 64 {
		return nil, apperr.Field("q", apperr.T("An identifier is at most 64 characters", "标识最长 64 个字符"))
	}
	db := s.db.WithContext(ctx)
	var out []TraceMatch
	for _, k := range traceKinds {
		candidates := []string{raw}
		if typed := strings.TrimFunc(q, isBlank); typed != raw {
			candidates = append(candidates, typed)
		}
		args := []any{candidates}
		if k.kind == TraceByDeclaration {
			args = []any{map[string]any{"q": candidates}}
		}
		base := func() *gorm.DB {
			qq := db.Table("transaction_lines AS tl").
				Joins("JOIN transactions t ON t.id = tl.transaction_id").
				Joins("JOIN merchants m ON m.id = t.merchant_id").
				Where(k.cond, args...)
			return models.MerchantColumnScoped(qq, "t", actor.Scope())
		}
		var m TraceMatch
		m.Kind = k.kind
		if err := base().Count(&m.Total).Error; err != nil {
			return nil, apperr.Wrap(err, "trace search "+k.kind)
		}
		if m.Total == 0 {
			continue
		}
		err := base().Select(`tl.trace_code, g.name_zh AS goods_name, g.hs_code, m.name AS merchant_name, b.name AS buyer_name,
		        t.trade_date, t.currency, tl.amount`).
			Joins("JOIN goods g ON g.id = tl.goods_id").Joins("JOIN buyers b ON b.id = t.buyer_id").
			Order("tl.id DESC").Limit(TraceSearchLimit).Scan(&m.Lines).Error
		if err != nil {
			return nil, apperr.Wrap(err, "trace search "+k.kind)
		}
		out = append(out, m)
	}
	return out, nil
}
