package workflow

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Customs event kinds written by the agent's side of a declaration's life (issue 5); customs
// writes its own (accepted, routed, released, …) on the same timeline.
const (
	EventGenerated    = "generated"
	EventAcknowledged = "acknowledged" // a warning acknowledged by the agent
	EventSubmitted    = "submitted"
	EventAmended      = "amended"
	EventCancelled    = "cancelled"
)

// SupervisionMode1039 is market procurement trade (市场采购), the mode every declaration of mpt uses.
const SupervisionMode1039 = "1039"

// PackageTypeCarton is the GACC package-type code of cartons (22: 纸制或纤维板制盒/箱), the
// package of the market's goods.
const PackageTypeCarton = "22"

// resubmitWindow is how long an identical declaration for the same consolidation and buyer is
// refused after a submission (issue 5: an identical resubmission within 48 hours is refused).
const resubmitWindow = 48 * time.Hour

// ---- Generation -------------------------------------------------------------------------------

// declSourceLine is one line filed into a consolidation, as generation reads it.
type declSourceLine struct {
	LineID         int64
	TraceCode      string
	MerchantID     int64
	MerchantName   string
	MerchantStatus string
	USCCReview     bool
	BuyerID        int64
	Currency       string
	GoodsStatus    string
	HSCode         string
	NameZh         string
	NameEn         string
	Spec           string
	LegalUnit      string
	Quantity       models.Quantity
	Unit           string
	Amount         models.Money
	Cartons        int64
	NetGrams       models.Grams
	GrossGrams     models.Grams
}

// loadDeclSource reads every line filed into a consolidation with its transaction, goods and
// merchant, in line-id order. (It reads the tables directly; the consolidation work's
// ClosedConsolidationLines can replace it once it exists.)
func loadDeclSource(tx *gorm.DB, consolidationID int64) ([]declSourceLine, error) {
	var rows []declSourceLine
	err := tx.Raw(`SELECT tl.id AS line_id, tl.trace_code, t.merchant_id, m.name AS merchant_name,
	        m.status AS merchant_status, m.uscc_review, t.buyer_id, t.currency,
	        g.status AS goods_status, g.hs_code, g.name_zh, g.name_en, g.spec, g.legal_unit,
	        tl.quantity, tl.unit, tl.amount, tl.cartons, tl.net_grams, tl.gross_grams
	    FROM consolidation_lines cl
	    JOIN transaction_lines tl ON tl.id = cl.transaction_line_id
	    JOIN transactions t ON t.id = tl.transaction_id
	    JOIN goods g ON g.id = tl.goods_id
	    JOIN merchants m ON m.id = t.merchant_id
	    WHERE cl.consolidation_id = ?
	    ORDER BY tl.id`, consolidationID).Scan(&rows).Error
	return rows, err
}

// LegalQuantity is a line's quantity in the legal unit of its goods: the transaction quantity
// when the units agree, the net weight when the legal unit is the kilogram (035) or the gram
// (036), and otherwise the transaction quantity (the agent checks it in review).
func LegalQuantity(legalUnit, unit string, qty models.Quantity, net models.Grams) models.Quantity {
	switch {
	case legalUnit == unit:
		return qty
	case legalUnit == "035":
		return models.Quantity(net) // grams are thousandths of a kilogram
	case legalUnit == "036":
		return models.Quantity(int64(net) * 1000)
	}
	return qty
}

// DeclRates are the customs monthly rates of the declaration month: CNY per unit of each
// currency the lines use, and of the US dollar.
type DeclRates struct {
	Month  string
	USD    models.Rate
	CNYPer map[string]models.Rate
}

// ToUSD converts an amount via CNY at the month's rates (DOMAIN §4). US dollars stay as they are.
func (r DeclRates) ToUSD(m models.Money, currency string) models.Money {
	if currency == "USD" {
		return m
	}
	usd, _ := models.FromCNY(models.ToCNY(m, r.CNYPer[currency]), r.USD)
	return usd
}

// PlannedDeclaration is one declaration generation will write: the split group, its currency
// (the lines' common currency, else USD) and its findings.
type PlannedDeclaration struct {
	Group    DeclGroup
	Currency string
	Findings []Finding
}

// planDeclarations is the pure part of generation: convert, check, split and simplify. Lines
// that are ineligible or worth more than the cap fail the whole generation, every problem
// listed (line, merchant, field, message); the other findings travel with the declarations.
func planDeclarations(src []declSourceLine, rates DeclRates, st Settings, prefixes []models.HSPrefix) ([]PlannedDeclaration, error) {
	lines := make([]DeclLine, len(src))
	currency := make(map[int64]string, len(src))
	lineFindings := make(map[int64][]Finding)
	var problems apperr.Fields
	for i, l := range src {
		usd := rates.ToUSD(l.Amount, l.Currency)
		name := l.NameZh
		if name == "" {
			name = l.NameEn
		}
		_, notSimple := NotSimplifiableReason(prefixes, l.HSCode)
		lines[i] = DeclLine{LineID: l.LineID, BuyerID: l.BuyerID, HSCode: l.HSCode, Name: name, Spec: l.Spec,
			LegalUnit: l.LegalUnit, Quantity: LegalQuantity(l.LegalUnit, l.Unit, l.Quantity, l.NetGrams),
			Value: l.Amount, ValueUSD: usd, NetGrams: l.NetGrams, GrossGrams: l.GrossGrams, Cartons: l.Cartons,
			NotSimplifiable: notSimple}
		currency[l.LineID] = l.Currency
		fs := LineFindings(FindingLine{LineID: l.LineID, TraceCode: l.TraceCode, MerchantName: l.MerchantName,
			MerchantStatus: l.MerchantStatus, USCCReview: l.USCCReview, GoodsStatus: l.GoodsStatus, HSCode: l.HSCode,
			ValueUSD: usd, Cartons: l.Cartons, NetGrams: l.NetGrams, GrossGrams: l.GrossGrams}, st.CapUSD, prefixes)
		for _, f := range fs {
			if f.Code == FindingIneligibleHS || f.Code == FindingLineOverCap {
				problems.Add(f.Field, f.Text)
			}
		}
		if len(fs) > 0 {
			lineFindings[l.LineID] = fs
		}
	}
	if len(problems) > 0 {
		return nil, &apperr.Error{Code: apperr.Invalid, Fields: problems, Text: apperr.Tf(
			"%d line(s) cannot go under mode 1039; take them out of the consolidation, then generate again",
			"有 %d 条明细不能以 1039 方式申报，请将其移出组货后重新生成", len(problems))}
	}
	groups, refused := SplitDeclarations(lines, st.CapUSD, st.ItemLimit)
	if len(refused) > 0 { // cannot happen: over-cap lines were refused above
		var fe apperr.Fields
		for _, r := range refused {
			fe.Add(lineField(r.LineID, "value_usd"), r.Reason)
		}
		return nil, fe.Err()
	}
	out := make([]PlannedDeclaration, len(groups))
	for i, g := range groups {
		p := PlannedDeclaration{Group: g, Currency: currency[g.Lines[0].LineID]}
		for _, l := range g.Lines {
			if currency[l.LineID] != p.Currency {
				p.Currency = "USD"
				break
			}
		}
		if p.Currency == "USD" { // mixed or US dollars: values are the USD values
			for j := range p.Group.Items {
				it := &p.Group.Items[j]
				it.Value = it.ValueUSD
			}
		}
		for _, l := range g.Lines {
			p.Findings = append(p.Findings, lineFindings[l.LineID]...)
		}
		p.Findings = append(p.Findings, ItemFindings(g.Items)...)
		p.Findings = append(p.Findings, DeclarationLimitFindings(g.ValueUSD, len(g.Items), st.CapUSD, st.ItemLimit)...)
		out[i] = p
	}
	return out, nil
}

// GenerateResult is what generation wrote.
type GenerateResult struct {
	ConsolidationID int64
	Declarations    []models.Declaration
}

// Message is the flash message after generation.
func (r GenerateResult) Message() apperr.Text {
	return apperr.Tf("%d declaration(s) generated as drafts: review the findings, then submit",
		"已生成 %d 份报关单草稿：请核对提示后提交", len(r.Declarations))
}

// GenerateDeclarations turns a closed consolidation into draft declarations (issue 5, DOMAIN §4)
// in one transaction: every line converted to USD via CNY at the customs monthly rate of the
// declaration month; ineligible lines and lines over the cap refuse the whole generation with
// every problem listed; the rest is split per buyer within the cap and the item limit and
// simplified (GACC 2019 No. 221); each declaration gets an 18-digit pre-entry number, its items,
// the correspondence and its findings; the consolidation becomes declared. Only the agent of the
// consolidation may do this, once (a second time is a conflict).
func (s *Service) GenerateDeclarations(ctx context.Context, actor Actor, consolidationID int64) (*GenerateResult, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	month := now.In(MarketZone).Format("2006-01")
	out := &GenerateResult{ConsolidationID: consolidationID}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var c models.Consolidation
		if err := tx.Where("id = ? AND agent_id = ?", consolidationID, actor.AgentID).Take(&c).Error; err != nil {
			if noSuchRow(err) {
				return errConsolidationNotFound()
			}
			return apperr.Wrap(err, "load consolidation")
		}
		if c.Status != models.ConsolidationClosed {
			return consolidationNotClosed(c.Status)
		}
		src, err := loadDeclSource(tx, c.ID)
		if err != nil {
			return apperr.Wrap(err, "load consolidation lines")
		}
		if len(src) == 0 {
			return apperr.New(apperr.Conflict, apperr.T("The consolidation has no lines to declare", "该组货没有可申报的明细"))
		}
		rates, err := s.declRates(tx, month, src)
		if err != nil {
			return err
		}
		var prefixes []models.HSPrefix
		if err := tx.Order("id").Find(&prefixes).Error; err != nil {
			return apperr.Wrap(err, "load HS prefix lists")
		}
		plan, err := planDeclarations(src, rates, st, prefixes)
		if err != nil {
			return err
		}
		// Claim the consolidation first: a concurrent generation finds it declared.
		res := tx.Model(&models.Consolidation{}).Where("id = ? AND status = ? AND version = ?", c.ID, models.ConsolidationClosed, c.Version).
			Updates(map[string]any{"status": models.ConsolidationDeclared, "version": c.Version + 1, "updated_at": now})
		if res.Error != nil {
			return apperr.Wrap(res.Error, "claim consolidation")
		}
		if res.RowsAffected == 0 {
			return consolidationNotClosed(models.ConsolidationDeclared)
		}
		decls, err := s.persistPlan(ctx, tx, actor, &c, src, plan, rates, st, now)
		if err != nil {
			return err
		}
		out.Declarations = decls
		return s.audit(ctx, tx, actor, "consolidation", strconv.FormatInt(c.ID, 10), "declare",
			map[string]any{"status": c.Status, "version": c.Version},
			map[string]any{"status": models.ConsolidationDeclared, "version": c.Version + 1, "declarations": len(decls)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeclarableConsolidation is a consolidation of the acting agent about to be declared, with the
// number of its lines, for the generation page. NotFound for another agent's.
func (s *Service) DeclarableConsolidation(ctx context.Context, actor Actor, id int64) (*models.Consolidation, int64, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, 0, err
	}
	var c models.Consolidation
	db := s.db.WithContext(ctx)
	if err := db.Where("id = ? AND agent_id = ?", id, actor.AgentID).Take(&c).Error; err != nil {
		if noSuchRow(err) {
			return nil, 0, errConsolidationNotFound()
		}
		return nil, 0, apperr.Wrap(err, "load consolidation")
	}
	var n int64
	if err := db.Model(&models.ConsolidationLine{}).Where("consolidation_id = ?", id).Count(&n).Error; err != nil {
		return nil, 0, apperr.Wrap(err, "count lines")
	}
	return &c, n, nil
}

func errConsolidationNotFound() error {
	return apperr.New(apperr.NotFound, apperr.T("No such consolidation", "没有该组货"))
}

func consolidationNotClosed(status string) error {
	if status == models.ConsolidationDeclared {
		return apperr.New(apperr.Conflict, apperr.T(
			"This consolidation is already declared; cancel its declarations to declare it again",
			"该组货已申报；如需重新申报，请先撤销其报关单"))
	}
	return apperr.New(apperr.Conflict, apperr.Tf(
		"The consolidation is %s: close it before generating its declarations",
		"该组货状态为 %s：请先关闭组货再生成报关单", status))
}

// declRates reads the customs monthly rates of the month for the US dollar and every currency
// of the lines. A missing rate fails generation naming month and currency.
func (s *Service) declRates(tx *gorm.DB, month string, src []declSourceLine) (DeclRates, error) {
	r := DeclRates{Month: month, CNYPer: map[string]models.Rate{"CNY": 1_000_000}}
	need := []string{"USD"}
	for _, l := range src {
		if _, ok := r.CNYPer[l.Currency]; !ok && !slices.Contains(need, l.Currency) {
			need = append(need, l.Currency)
		}
	}
	for _, cur := range need {
		var row models.ExchangeRate
		err := tx.Where("month = ? AND currency = ?", month, cur).Take(&row).Error
		if noSuchRow(err) {
			return r, apperr.New(apperr.Conflict, apperr.Tf(
				"There is no customs monthly rate for %[2]s in %[1]s; an administrator must enter it under Exchange rates before declarations can be generated",
				"缺少 %[1]s 的 %[2]s 海关月度汇率，请管理员在“海关月度汇率”中录入后再生成报关单", month, cur))
		}
		if err != nil {
			return r, apperr.Wrap(err, "load rate")
		}
		r.CNYPer[cur] = row.CNYPerUnit
	}
	r.USD = r.CNYPer["USD"]
	return r, nil
}

// persistPlan writes the planned declarations, their items, correspondence, findings and
// "generated" events in batches, and audits each declaration.
func (s *Service) persistPlan(ctx context.Context, tx *gorm.DB, actor Actor, c *models.Consolidation, src []declSourceLine,
	plan []PlannedDeclaration, rates DeclRates, st Settings, now time.Time) ([]models.Declaration, error) {
	var agent models.Agent
	if err := tx.Take(&agent, c.AgentID).Error; err != nil {
		return nil, apperr.Wrap(err, "load agent")
	}
	buyers := map[int64]models.Buyer{}
	var ids []int64
	for _, p := range plan {
		ids = append(ids, p.Group.BuyerID)
	}
	var bs []models.Buyer
	if err := tx.Where("id IN ?", ids).Find(&bs).Error; err != nil {
		return nil, apperr.Wrap(err, "load buyers")
	}
	for _, b := range bs {
		buyers[b.ID] = b
	}
	numbers, err := reservePreEntryNumbers(tx, st.CustomsOffice, now.In(MarketZone).Year(), len(plan))
	if err != nil {
		return nil, err
	}
	bySrc := make(map[int64]*declSourceLine, len(src))
	for i := range src {
		bySrc[src[i].LineID] = &src[i]
	}
	var userID *int64
	if actor.UserID != 0 {
		id := actor.UserID
		userID = &id
	}
	decls := make([]models.Declaration, len(plan))
	for i, p := range plan {
		b := buyers[p.Group.BuyerID]
		d := models.Declaration{PreEntryNo: numbers[i], ConsolidationID: c.ID, AgentID: c.AgentID, BuyerID: b.ID, Seq: i + 1,
			Status: models.DeclarationDraft, SupervisionMode: SupervisionMode1039, TransportMode: c.TransportMode,
			ArrivalCountry: c.DestinationCountry, DestinationPort: c.DestinationPort, ExitPort: c.ExitPort, TradeTerms: c.TradeTerms,
			Currency: p.Currency, TotalUSD: p.Group.ValueUSD, RateMonth: rates.Month, PackageType: PackageTypeCarton,
			Marks: "N/M", Remarks: BuyerRemarks(b), Declarant: agent.Name, CreatedByUserID: userID, Version: 1,
			CreatedAt: now, UpdatedAt: now}
		for _, it := range p.Group.Items {
			d.TotalValue += it.Value
			d.Packages += it.Cartons
			d.NetGrams += it.NetGrams
			d.GrossGrams += it.GrossGrams
		}
		decls[i] = d
	}
	if err := tx.CreateInBatches(&decls, 200).Error; err != nil {
		return nil, apperr.Wrap(err, "insert declarations")
	}
	var items []models.DeclarationItem
	var owners [][]DeclLine // the lines of each item, by index
	for i, p := range plan {
		for _, it := range p.Group.Items {
			items = append(items, models.DeclarationItem{DeclarationID: decls[i].ID, ItemNo: it.No, Kind: it.Kind, HSCode: it.HSCode,
				Chapter: it.Chapter, Name: it.Name, Spec: it.Spec, LegalQty: it.Quantity, LegalUnit: it.LegalUnit,
				TxnQty: it.Quantity, TxnUnit: it.LegalUnit, UnitPrice: UnitPrice(it.Value, it.Quantity), TotalValue: it.Value,
				Currency: p.Currency, TotalUSD: it.ValueUSD, NetGrams: it.NetGrams, GrossGrams: it.GrossGrams, Origin: "CHN",
				DestinationCountry: c.DestinationCountry, SourceRegion: "义乌", MixedUnits: it.MixedUnits, CreatedAt: now})
			owners = append(owners, it.Lines)
		}
	}
	if err := tx.CreateInBatches(&items, 500).Error; err != nil {
		return nil, apperr.Wrap(err, "insert declaration items")
	}
	var corr []models.DeclarationItemLine
	for i, ls := range owners {
		for _, l := range ls {
			sl := bySrc[l.LineID]
			corr = append(corr, models.DeclarationItemLine{DeclarationItemID: items[i].ID, TransactionLineID: l.LineID,
				Value: sl.Amount, ValueUSD: l.ValueUSD, Quantity: sl.Quantity, Unit: sl.Unit, LegalUnit: l.LegalUnit,
				NetGrams: l.NetGrams, GrossGrams: l.GrossGrams})
		}
	}
	if err := tx.CreateInBatches(&corr, 1000).Error; err != nil {
		return nil, apperr.Wrap(err, "insert correspondence")
	}
	var findings []models.DeclarationFinding
	events := make([]models.CustomsEvent, 0, len(decls))
	for i, p := range plan {
		for _, f := range p.Findings {
			row := models.DeclarationFinding{DeclarationID: decls[i].ID, Code: f.Code, Severity: f.Severity, Field: f.Field,
				MessageEn: f.Text.En, MessageZh: f.Text.Zh, CreatedAt: now}
			if f.LineID != 0 {
				id := f.LineID
				row.TransactionLineID = &id
			}
			findings = append(findings, row)
		}
		detail, _ := json.Marshal(map[string]any{"pre_entry_no": decls[i].PreEntryNo, "consolidation_id": c.ID,
			"items": len(p.Group.Items), "lines": len(p.Group.Lines), "total_usd": p.Group.ValueUSD.String(), "rate_month": rates.Month})
		events = append(events, models.CustomsEvent{DeclarationID: decls[i].ID, Kind: EventGenerated, DetailJSON: string(detail),
			ActorUserID: userID, CreatedAt: now})
	}
	if len(findings) > 0 {
		if err := tx.CreateInBatches(&findings, 500).Error; err != nil {
			return nil, apperr.Wrap(err, "insert findings")
		}
	}
	if err := tx.CreateInBatches(&events, 200).Error; err != nil {
		return nil, apperr.Wrap(err, "insert events")
	}
	for i := range decls {
		if err := s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(decls[i].ID, 10), "generate", nil, declarationAudit(&decls[i])); err != nil {
			return nil, apperr.Wrap(err, "audit declaration")
		}
	}
	return decls, nil
}

// BuyerRemarks is the remarks field of a 1039 declaration: the buyer's name, nationality and
// document (DOMAIN §4 header fields).
func BuyerRemarks(b models.Buyer) string {
	doc := b.DocType
	if doc == "" {
		doc = "passport"
	}
	return fmt.Sprintf("Buyer: %s; nationality: %s; %s: %s", b.Name, b.Nationality, doc, b.DocNumber)
}

// UnitPrice is value ÷ quantity to four decimals (rounded half up), 0 for no quantity.
func UnitPrice(value models.Money, qty models.Quantity) models.Price {
	if qty <= 0 {
		return 0
	}
	// value has 2 decimals, qty 3; a Price has 4: value × 10^5 ÷ qty.
	num := new(big.Int).Mul(big.NewInt(int64(value)), big.NewInt(100_000))
	q, r := new(big.Int).QuoRem(num, big.NewInt(int64(qty)), new(big.Int))
	if new(big.Int).Mul(r.Abs(r), big.NewInt(2)).Cmp(big.NewInt(int64(qty))) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return models.Price(q.Int64())
}

// declarationAudit is what the audit log keeps of a declaration's header.
func declarationAudit(d *models.Declaration) map[string]any {
	return map[string]any{"pre_entry_no": d.PreEntryNo, "consolidation_id": d.ConsolidationID, "buyer_id": d.BuyerID,
		"status": d.Status, "currency": d.Currency, "total_value": d.TotalValue.String(), "total_usd": d.TotalUSD.String(),
		"transport_mode": d.TransportMode, "destination_port": d.DestinationPort, "exit_port": d.ExitPort,
		"trade_terms": d.TradeTerms, "freight": d.Freight.String(), "insurance": d.Insurance.String(),
		"marks": d.Marks, "remarks": d.Remarks, "version": d.Version}
}

// ---- Scope, list and detail -------------------------------------------------------------------

// declarationsScoped limits a query on declarations to those the actor may see: an agent its
// own; a merchant those holding one of its lines; customs those submitted (and later); auditors
// and admins all.
func declarationsScoped(q *gorm.DB, actor Actor) *gorm.DB {
	switch actor.Role {
	case models.RoleAgent:
		return q.Where("declarations.agent_id = ?", actor.AgentID)
	case models.RoleMerchant:
		return q.Where(`declarations.id IN (SELECT di.declaration_id FROM declaration_items di
		    JOIN declaration_item_lines dil ON dil.declaration_item_id = di.id
		    JOIN transaction_lines tl ON tl.id = dil.transaction_line_id
		    JOIN transactions t ON t.id = tl.transaction_id WHERE t.merchant_id = ?)`, actor.MerchantID)
	case models.RoleCustoms:
		return q.Where("declarations.submitted_at IS NOT NULL")
	case models.RoleAuditor, models.RoleAdmin:
		return q
	}
	return q.Where("1 = 0")
}

// DeclarationStatuses lists the statuses in the order of a declaration's life.
var DeclarationStatuses = []string{models.DeclarationDraft, models.DeclarationSubmitted, models.DeclarationAccepted,
	models.DeclarationRejected, models.DeclarationReleased, models.DeclarationExited, models.DeclarationCancelled}

// DeclarationFilter narrows the declaration list.
type DeclarationFilter struct {
	Status          string
	ConsolidationID int64
	BuyerID         int64
	Page            int
}

// DeclarationRow is one declaration of the list.
type DeclarationRow struct {
	models.Declaration
	BuyerName   string
	BookingCode string
	Items       int
}

// DeclarationList is a page of declarations.
type DeclarationList struct {
	Rows                 []DeclarationRow
	Total                int64
	Page, Pages, PerPage int
}

const declarationsPerPage = 50

// Declarations lists the declarations the actor may see, newest first.
func (s *Service) Declarations(ctx context.Context, actor Actor, f DeclarationFilter) (*DeclarationList, error) {
	if err := actor.Require(ActDeclarationList); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(DeclarationStatuses, f.Status) {
		return nil, apperr.Field("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	q := declarationsScoped(s.db.WithContext(ctx).Model(&models.Declaration{}), actor)
	if f.Status != "" {
		q = q.Where("declarations.status = ?", f.Status)
	}
	if f.ConsolidationID > 0 {
		q = q.Where("declarations.consolidation_id = ?", f.ConsolidationID)
	}
	if f.BuyerID > 0 {
		q = q.Where("declarations.buyer_id = ?", f.BuyerID)
	}
	out := &DeclarationList{Page: max(f.Page, 1), PerPage: declarationsPerPage}
	if err := q.Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count declarations")
	}
	out.Pages = int((out.Total + declarationsPerPage - 1) / declarationsPerPage)
	var decls []models.Declaration
	if err := q.Order("declarations.created_at DESC, declarations.id DESC").Limit(declarationsPerPage).
		Offset((out.Page - 1) * declarationsPerPage).Find(&decls).Error; err != nil {
		return nil, apperr.Wrap(err, "list declarations")
	}
	if len(decls) == 0 {
		return out, nil
	}
	ids := make([]int64, len(decls))
	var buyerIDs, consIDs []int64
	for i, d := range decls {
		ids[i] = d.ID
		buyerIDs = append(buyerIDs, d.BuyerID)
		consIDs = append(consIDs, d.ConsolidationID)
	}
	buyers, err := names(s.db.WithContext(ctx), "buyers", "name", buyerIDs)
	if err != nil {
		return nil, err
	}
	codes, err := names(s.db.WithContext(ctx), "consolidations", "booking_code", consIDs)
	if err != nil {
		return nil, err
	}
	var counts []struct {
		DeclarationID int64
		N             int
	}
	if err := s.db.WithContext(ctx).Model(&models.DeclarationItem{}).Select("declaration_id, COUNT(*) AS n").
		Where("declaration_id IN ?", ids).Group("declaration_id").Scan(&counts).Error; err != nil {
		return nil, apperr.Wrap(err, "count items")
	}
	n := map[int64]int{}
	for _, c := range counts {
		n[c.DeclarationID] = c.N
	}
	for _, d := range decls {
		out.Rows = append(out.Rows, DeclarationRow{Declaration: d, BuyerName: buyers[d.BuyerID], BookingCode: codes[d.ConsolidationID], Items: n[d.ID]})
	}
	return out, nil
}

// names reads id → one text column of a table for a set of ids.
func names(db *gorm.DB, table, column string, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Name string
	}
	if err := db.Table(table).Select("id, "+column+" AS name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load "+table)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// CorrespondenceLine is one original line under a declaration item (对应关系).
type CorrespondenceLine struct {
	LineID       int64
	TraceCode    string
	MerchantID   int64
	MerchantName string
	GoodsName    string
	HSCode       string
	Quantity     models.Quantity
	Unit         string
	LegalUnit    string
	Currency     string
	Value        models.Money
	ValueUSD     models.Money
	Cartons      int64
	NetGrams     models.Grams
	GrossGrams   models.Grams
	Hidden       bool // another merchant's line, shown to a merchant without its details
}

// DeclarationItemView is an item with its correspondence and the findings on it.
type DeclarationItemView struct {
	models.DeclarationItem
	Lines    []CorrespondenceLine
	Findings []FindingView
}

// FindingView is a stored finding with who acknowledged it and the page anchor of its field.
type FindingView struct {
	models.DeclarationFinding
	Anchor  string
	AckedBy string
}

// Text is the finding's message in both languages.
func (f FindingView) Text() apperr.Text { return apperr.T(f.MessageEn, f.MessageZh) }

// Open reports whether the finding still blocks submission: an error, or an unacknowledged warning.
func (f FindingView) Open() bool {
	return f.Severity == models.SeverityError || f.AcknowledgedAt == nil
}

// FieldAnchor is the page anchor of a finding's field: "line-<id>" for a line, "item-<no>" for
// an item, "header" for the header.
func FieldAnchor(field string) string {
	for _, p := range []struct{ prefix, anchor string }{{"lines[", "line-"}, {"items[", "item-"}} {
		if rest, ok := strings.CutPrefix(field, p.prefix); ok {
			if n, _, ok := strings.Cut(rest, "]"); ok {
				return p.anchor + n
			}
		}
	}
	return "header"
}

// DeclarationContainer is a container of the declaration's consolidation with the items of this
// declaration it holds.
type DeclarationContainer struct {
	models.Container
	ItemNos    []int
	Cartons    int64
	NetGrams   models.Grams
	GrossGrams models.Grams
}

// PackingRow is one line of the packing list: what of which line went into which container.
type PackingRow struct {
	ContainerNo  string
	SealNo       string
	ItemNo       int
	TraceCode    string
	MerchantName string
	GoodsName    string
	HSCode       string
	Quantity     models.Quantity
	Unit         string
	Cartons      int64
	NetGrams     models.Grams
	GrossGrams   models.Grams
}

// FieldChange is one changed header field of an amendment.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// Amendment is one amendment of a submitted declaration, old and new values side by side.
type Amendment struct {
	At         time.Time
	Reason     string
	SignerName string
	SignerRole string
	ActorName  string
	Changes    []FieldChange
}

// TimelineEntry is one step of the declaration's life.
type TimelineEntry struct {
	At        time.Time
	Kind      string
	ActorName string
	Detail    string
}

// DeclarationDetail is a declaration as customs will see it, with what the agent needs to
// review it.
type DeclarationDetail struct {
	Declaration   models.Declaration
	Consolidation models.Consolidation
	Agent         models.Agent
	Buyer         models.Buyer
	Items         []DeclarationItemView
	Containers    []DeclarationContainer
	Packing       []PackingRow
	Findings      []FindingView
	Amendments    []Amendment
	Timeline      []TimelineEntry
	// EventTexts is the detail of each Timeline entry in both languages (the zero Text where
	// Detail says it all): customs events name lanes, reasons and results.
	EventTexts []apperr.Text
	Customs    *CustomsInfo // what customs did: decisions, inspections, documents, rejection
	Signer     *Signer      // who signed the submission
	LineCount  int
	// What the actor may do now.
	CanManage, CanSubmit, CanAmend, CanCancel bool
	Blockers                                  int // errors and unacknowledged warnings
}

// Signer is who signed a submission or an amendment: name and role or title.
type Signer struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Declaration returns one declaration the actor may see (NotFound otherwise), with its items,
// correspondence, containers, findings, amendments and timeline.
func (s *Service) Declaration(ctx context.Context, actor Actor, id int64) (*DeclarationDetail, error) {
	if err := actor.Require(ActDeclarationView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	d := &DeclarationDetail{}
	if err := declarationsScoped(db.Model(&models.Declaration{}), actor).Where("declarations.id = ?", id).Take(&d.Declaration).Error; err != nil {
		if noSuchRow(err) {
			return nil, errDeclarationNotFound()
		}
		return nil, apperr.Wrap(err, "load declaration")
	}
	decl := &d.Declaration
	if err := db.Take(&d.Consolidation, decl.ConsolidationID).Error; err != nil {
		return nil, apperr.Wrap(err, "load consolidation")
	}
	if err := db.Take(&d.Agent, decl.AgentID).Error; err != nil {
		return nil, apperr.Wrap(err, "load agent")
	}
	if err := db.Take(&d.Buyer, decl.BuyerID).Error; err != nil {
		return nil, apperr.Wrap(err, "load buyer")
	}
	if err := s.loadItems(db, actor, d); err != nil {
		return nil, err
	}
	if err := s.loadFindings(db, d); err != nil {
		return nil, err
	}
	if err := s.loadContainers(db, d); err != nil {
		return nil, err
	}
	if err := s.loadTimeline(db, d); err != nil {
		return nil, err
	}
	for _, f := range d.Findings {
		if f.Open() {
			d.Blockers++
		}
	}
	own := actor.Role == models.RoleAgent && actor.AgentID == decl.AgentID
	d.CanManage = own && decl.Status == models.DeclarationDraft
	d.CanSubmit = d.CanManage && d.Blockers == 0
	d.CanAmend = own && (decl.Status == models.DeclarationSubmitted || decl.Status == models.DeclarationAccepted)
	d.CanCancel = own && cancellable(decl.Status)
	return d, nil
}

func errDeclarationNotFound() error {
	return apperr.New(apperr.NotFound, apperr.T("No such declaration", "没有该报关单"))
}

func (s *Service) loadItems(db *gorm.DB, actor Actor, d *DeclarationDetail) error {
	var items []models.DeclarationItem
	if err := db.Where("declaration_id = ?", d.Declaration.ID).Order("item_no").Find(&items).Error; err != nil {
		return apperr.Wrap(err, "load items")
	}
	var rows []struct {
		DeclarationItemID int64
		CorrespondenceLine
	}
	err := db.Raw(`SELECT dil.declaration_item_id, dil.transaction_line_id AS line_id, tl.trace_code, t.merchant_id,
	        m.name AS merchant_name, CASE WHEN g.name_zh <> '' THEN g.name_zh ELSE g.name_en END AS goods_name, g.hs_code,
	        dil.quantity, dil.unit, dil.legal_unit, t.currency, dil.value, dil.value_usd, tl.cartons, dil.net_grams, dil.gross_grams
	    FROM declaration_item_lines dil
	    JOIN declaration_items di ON di.id = dil.declaration_item_id
	    JOIN transaction_lines tl ON tl.id = dil.transaction_line_id
	    JOIN transactions t ON t.id = tl.transaction_id
	    JOIN merchants m ON m.id = t.merchant_id
	    JOIN goods g ON g.id = tl.goods_id
	    WHERE di.declaration_id = ?
	    ORDER BY dil.declaration_item_id, dil.transaction_line_id`, d.Declaration.ID).Scan(&rows).Error
	if err != nil {
		return apperr.Wrap(err, "load correspondence")
	}
	byItem := map[int64][]CorrespondenceLine{}
	for _, r := range rows {
		l := r.CorrespondenceLine
		if actor.Role == models.RoleMerchant && l.MerchantID != actor.MerchantID {
			l = CorrespondenceLine{LineID: l.LineID, Hidden: true}
		}
		byItem[r.DeclarationItemID] = append(byItem[r.DeclarationItemID], l)
		d.LineCount++
	}
	for _, it := range items {
		d.Items = append(d.Items, DeclarationItemView{DeclarationItem: it, Lines: byItem[it.ID]})
	}
	return nil
}

func (s *Service) loadFindings(db *gorm.DB, d *DeclarationDetail) error {
	var fs []models.DeclarationFinding
	if err := db.Where("declaration_id = ?", d.Declaration.ID).Order("id").Find(&fs).Error; err != nil {
		return apperr.Wrap(err, "load findings")
	}
	var ackers []int64
	for _, f := range fs {
		if f.AcknowledgedBy != nil {
			ackers = append(ackers, *f.AcknowledgedBy)
		}
	}
	users, err := names(db, "users", "display_name", ackers)
	if err != nil {
		return err
	}
	itemIdx := map[int]int{}
	for i, it := range d.Items {
		itemIdx[it.ItemNo] = i
	}
	lineItem := map[int64]int{}
	for i, it := range d.Items {
		for _, l := range it.Lines {
			lineItem[l.LineID] = i
		}
	}
	for _, f := range fs {
		v := FindingView{DeclarationFinding: f, Anchor: FieldAnchor(f.Field)}
		if f.AcknowledgedBy != nil {
			v.AckedBy = users[*f.AcknowledgedBy]
		}
		d.Findings = append(d.Findings, v)
		var no int
		if _, err := fmt.Sscanf(f.Field, "items[%d]", &no); err == nil {
			if i, ok := itemIdx[no]; ok {
				d.Items[i].Findings = append(d.Items[i].Findings, v)
			}
		} else if f.TransactionLineID != nil {
			if i, ok := lineItem[*f.TransactionLineID]; ok {
				d.Items[i].Findings = append(d.Items[i].Findings, v)
			}
		}
	}
	return nil
}

func (s *Service) loadContainers(db *gorm.DB, d *DeclarationDetail) error {
	var cs []models.Container
	if err := db.Where("consolidation_id = ?", d.Declaration.ConsolidationID).Order("number").Find(&cs).Error; err != nil {
		return apperr.Wrap(err, "load containers")
	}
	if len(cs) == 0 {
		return nil
	}
	lineItem := map[int64]int{}
	lineOf := map[int64]CorrespondenceLine{}
	for _, it := range d.Items {
		for _, l := range it.Lines {
			lineItem[l.LineID] = it.ItemNo
			lineOf[l.LineID] = l
		}
	}
	cids := make([]int64, len(cs))
	for i, c := range cs {
		cids[i] = c.ID
	}
	var pls []models.PackingLine
	if err := db.Where("container_id IN ?", cids).Order("container_id, transaction_line_id").Find(&pls).Error; err != nil {
		return apperr.Wrap(err, "load packing")
	}
	byContainer := map[int64][]models.PackingLine{}
	for _, p := range pls {
		byContainer[p.ContainerID] = append(byContainer[p.ContainerID], p)
	}
	for _, c := range cs {
		dc := DeclarationContainer{Container: c}
		for _, p := range byContainer[c.ID] {
			no, ok := lineItem[p.TransactionLineID]
			if !ok {
				continue // another declaration's line
			}
			if !slices.Contains(dc.ItemNos, no) {
				dc.ItemNos = append(dc.ItemNos, no)
			}
			dc.Cartons += p.Cartons
			dc.NetGrams += p.NetGrams
			dc.GrossGrams += p.GrossGrams
			l := lineOf[p.TransactionLineID]
			d.Packing = append(d.Packing, PackingRow{ContainerNo: c.Number, SealNo: c.SealNo, ItemNo: no, TraceCode: l.TraceCode,
				MerchantName: l.MerchantName, GoodsName: l.GoodsName, HSCode: l.HSCode, Quantity: l.Quantity, Unit: l.Unit,
				Cartons: p.Cartons, NetGrams: p.NetGrams, GrossGrams: p.GrossGrams})
		}
		if len(dc.ItemNos) == 0 {
			continue
		}
		slices.Sort(dc.ItemNos)
		d.Containers = append(d.Containers, dc)
	}
	slices.SortStableFunc(d.Packing, func(a, b PackingRow) int {
		if c := cmp.Compare(a.ContainerNo, b.ContainerNo); c != 0 {
			return c
		}
		return cmp.Compare(a.ItemNo, b.ItemNo)
	})
	return nil
}

// amendDetail is the DetailJSON of an "amended" event.
type amendDetail struct {
	Reason  string        `json:"reason"`
	Signer  Signer        `json:"signer"`
	Changes []FieldChange `json:"changes"`
}

// submitDetail is the DetailJSON of a "submitted" event.
type submitDetail struct {
	Signer    Signer `json:"signer"`
	Statement bool   `json:"statement"`
	Hash      string `json:"hash"`
}

// ackDetail is the DetailJSON of an "acknowledged" event.
type ackDetail struct {
	FindingID int64  `json:"finding_id"`
	Code      string `json:"code"`
	Field     string `json:"field"`
}

// cancelDetail is the DetailJSON of a "cancelled" event.
type cancelDetail struct {
	ReasonCode string `json:"reason_code"`
	Text       string `json:"text"`
}

func (s *Service) loadTimeline(db *gorm.DB, d *DeclarationDetail) error {
	var evs []models.CustomsEvent
	if err := db.Where("declaration_id = ?", d.Declaration.ID).Order("id").Find(&evs).Error; err != nil {
		return apperr.Wrap(err, "load events")
	}
	var actors []int64
	for _, e := range evs {
		if e.ActorUserID != nil {
			actors = append(actors, *e.ActorUserID)
		}
	}
	users, err := names(db, "users", "display_name", actors)
	if err != nil {
		return err
	}
	nameOf := func(id *int64) string {
		if id == nil {
			return ""
		}
		return users[*id]
	}
	d.Customs, err = customsInfo(db, &d.Declaration, evs, users)
	if err != nil {
		return err
	}
	d.Customs.Today = s.now().In(MarketZone).Format("2006-01-02")
	for _, e := range evs {
		entry := TimelineEntry{At: e.CreatedAt, Kind: e.Kind, ActorName: nameOf(e.ActorUserID)}
		text := customsEventText(e)
		switch e.Kind {
		case EventSubmitted:
			var sd submitDetail
			if json.Unmarshal([]byte(e.DetailJSON), &sd) == nil {
				entry.Detail = sd.Signer.Name + " (" + sd.Signer.Role + ")"
				signer := sd.Signer
				d.Signer = &signer
			}
		case EventAmended:
			var ad amendDetail
			if json.Unmarshal([]byte(e.DetailJSON), &ad) == nil {
				d.Amendments = append(d.Amendments, Amendment{At: e.CreatedAt, Reason: ad.Reason, SignerName: ad.Signer.Name,
					SignerRole: ad.Signer.Role, ActorName: entry.ActorName, Changes: ad.Changes})
				entry.Detail = ad.Reason
			}
		case EventAcknowledged:
			var ad ackDetail
			if json.Unmarshal([]byte(e.DetailJSON), &ad) == nil {
				entry.Detail = ad.Code + " " + ad.Field
			}
		case EventCancelled:
			var cd cancelDetail
			if json.Unmarshal([]byte(e.DetailJSON), &cd) == nil {
				entry.Detail = strings.TrimSpace(cd.ReasonCode + " " + cd.Text)
			}
		default:
			entry.Detail = e.ReasonCode
			if !text.IsZero() {
				entry.Detail = text.En
			}
		}
		d.Timeline = append(d.Timeline, entry)
		d.EventTexts = append(d.EventTexts, text)
	}
	return nil
}

// ---- Acknowledgement and submission -----------------------------------------------------------

// ownDeclaration loads a declaration of the acting agent for a change, NotFound otherwise.
func ownDeclaration(tx *gorm.DB, actor Actor, id int64) (*models.Declaration, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, err
	}
	var d models.Declaration
	if err := tx.Where("id = ? AND agent_id = ?", id, actor.AgentID).Take(&d).Error; err != nil {
		if noSuchRow(err) {
			return nil, errDeclarationNotFound()
		}
		return nil, apperr.Wrap(err, "load declaration")
	}
	return &d, nil
}

// AcknowledgeFinding records that the agent has read a warning and accepts it (issue 5: every
// warning must be acknowledged before submission). Errors cannot be acknowledged; they block.
// Acknowledging twice changes nothing.
func (s *Service) AcknowledgeFinding(ctx context.Context, actor Actor, declarationID, findingID int64) (*models.DeclarationFinding, error) {
	var f models.DeclarationFinding
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := ownDeclaration(tx, actor, declarationID)
		if err != nil {
			return err
		}
		if err := tx.Where("id = ? AND declaration_id = ?", findingID, d.ID).Take(&f).Error; err != nil {
			if noSuchRow(err) {
				return apperr.New(apperr.NotFound, apperr.T("No such finding on this declaration", "该报关单没有此提示"))
			}
			return apperr.Wrap(err, "load finding")
		}
		if f.Severity == models.SeverityError {
			return apperr.New(apperr.Conflict, apperr.T("An error cannot be acknowledged: correct its cause, then generate the declarations again",
				"错误不能确认，请纠正后重新生成报关单"))
		}
		if d.Status != models.DeclarationDraft {
			return apperr.New(apperr.Conflict, apperr.T("Findings are acknowledged on drafts only", "只能在草稿状态下确认提示"))
		}
		if f.AcknowledgedAt != nil {
			return nil
		}
		now := s.now()
		uid := actor.UserID
		if err := tx.Model(&f).Updates(map[string]any{"acknowledged_at": now, "acknowledged_by": uid}).Error; err != nil {
			return apperr.Wrap(err, "acknowledge")
		}
		f.AcknowledgedAt, f.AcknowledgedBy = &now, &uid
		detail := ackDetail{FindingID: f.ID, Code: f.Code, Field: f.Field}
		if err := s.event(tx, actor, d.ID, EventAcknowledged, f.Code, detail, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "acknowledge", nil, detail)
	})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// SubmitInput is the signed statement that sends a declaration to customs.
type SubmitInput struct {
	Version    int64
	SignerName string
	SignerRole string
	Statement  bool // "I declare the goods are genuine and the data correct"
}

func (in SubmitInput) check() error {
	var fe apperr.Fields
	if strings.TrimSpace(in.SignerName) == "" {
		fe.Add("signer_name", apperr.T("Enter the name of the person who signs", "请填写签署人姓名"))
	}
	if strings.TrimSpace(in.SignerRole) == "" {
		fe.Add("signer_role", apperr.T("Enter the signer's role or title, e.g. customs declarant", "请填写签署人职务，例如报关员"))
	}
	if !in.Statement {
		fe.Add("statement", apperr.T("Tick the statement to sign it", "请勾选声明以签署"))
	}
	return fe.Err()
}

// DeclarationHash is the content of a declaration as customs receives it (header and items,
// not its numbers): two declarations with the same hash are the same declaration.
func DeclarationHash(d *models.Declaration, items []models.DeclarationItem) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|%d|%s|%s|%s|%s|%s|%s|%s|%d|%d|%d|%d|%d|%d|%s|%s|%s\n", d.ConsolidationID, d.BuyerID, d.SupervisionMode,
		d.TransportMode, d.ArrivalCountry, d.DestinationPort, d.ExitPort, d.TradeTerms, d.Currency, d.TotalValue, d.TotalUSD,
		d.Freight, d.Insurance, d.Packages, d.NetGrams, d.PackageType, d.Marks, d.Remarks)
	for _, it := range items {
		fmt.Fprintf(h, "%d|%s|%s|%s|%d|%s|%d|%d|%d|%d\n", it.ItemNo, it.HSCode, it.Name, it.Spec, it.LegalQty, it.LegalUnit,
			it.TotalValue, it.TotalUSD, it.NetGrams, it.GrossGrams)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// SubmitDeclaration sends a draft to customs with a signed statement (name, role, the ticked
// statement). It is refused while an error finding or an unacknowledged warning remains, and
// when an identical declaration (same header and items) for the same consolidation and buyer
// was submitted within the last 48 hours.
func (s *Service) SubmitDeclaration(ctx context.Context, actor Actor, id int64, in SubmitInput) (*models.Declaration, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := ownDeclaration(tx, actor, id)
		if err != nil {
			return err
		}
		if d.Status != models.DeclarationDraft {
			return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s; only a draft can be submitted",
				"该报关单状态为 %s，只有草稿可以提交", d.Status))
		}
		if in.Version != 0 && in.Version != d.Version {
			return errDeclarationChanged()
		}
		var errs, open int64
		if err := tx.Model(&models.DeclarationFinding{}).Where("declaration_id = ? AND severity = ?", d.ID, models.SeverityError).
			Count(&errs).Error; err != nil {
			return apperr.Wrap(err, "count findings")
		}
		if err := tx.Model(&models.DeclarationFinding{}).Where("declaration_id = ? AND severity = ? AND acknowledged_at IS NULL",
			d.ID, models.SeverityWarning).Count(&open).Error; err != nil {
			return apperr.Wrap(err, "count findings")
		}
		if errs > 0 || open > 0 {
			return apperr.New(apperr.Conflict, apperr.Tf(
				"The declaration cannot be submitted: %d error(s) and %d unacknowledged warning(s) remain",
				"报关单不能提交：尚有 %d 个错误和 %d 个未确认的警告", errs, open))
		}
		var items []models.DeclarationItem
		if err := tx.Where("declaration_id = ?", d.ID).Order("item_no").Find(&items).Error; err != nil {
			return apperr.Wrap(err, "load items")
		}
		hash := DeclarationHash(d, items)
		now := s.now()
		if err := identicalSubmission(tx, d, hash, now); err != nil {
			return err
		}
		res := tx.Model(&models.Declaration{}).Where("id = ? AND version = ?", d.ID, d.Version).
			Updates(map[string]any{"status": models.DeclarationSubmitted, "submitted_at": now, "version": d.Version + 1, "updated_at": now})
		if res.Error != nil {
			return apperr.Wrap(res.Error, "submit")
		}
		if res.RowsAffected == 0 {
			return errDeclarationChanged()
		}
		old := declarationAudit(d)
		d.Status, d.SubmittedAt, d.Version, d.UpdatedAt = models.DeclarationSubmitted, &now, d.Version+1, now
		signer := Signer{Name: strings.TrimSpace(in.SignerName), Role: strings.TrimSpace(in.SignerRole)}
		if err := s.event(tx, actor, d.ID, EventSubmitted, "", submitDetail{Signer: signer, Statement: true, Hash: hash}, now); err != nil {
			return err
		}
		out = d
		did := strconv.FormatInt(d.ID, 10)
		if err := s.notify(tx, actor, Notice{Kind: "declaration.submitted", Roles: []string{models.RoleCustoms},
			Text: apperr.Tf("Declaration %s was submitted and waits for acceptance", "报关单 %s 已提交，等待受理", d.PreEntryNo),
			Link: "/declarations/" + did, Entity: "declaration", EntityID: did,
			Data: map[string]any{"declaration_id": d.ID, "pre_entry_no": d.PreEntryNo, "status": d.Status}}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "submit", old,
			map[string]any{"status": d.Status, "version": d.Version, "signer": signer, "hash": hash})
	})
	return out, err
}

// identicalSubmission refuses a declaration identical to one of the same consolidation and
// buyer submitted within the last 48 hours.
func identicalSubmission(tx *gorm.DB, d *models.Declaration, hash string, now time.Time) error {
	var evs []models.CustomsEvent
	err := tx.Table("customs_events").Select("customs_events.*").
		Joins("JOIN declarations ON declarations.id = customs_events.declaration_id").
		Where("declarations.consolidation_id = ? AND declarations.buyer_id = ? AND declarations.id <> ?", d.ConsolidationID, d.BuyerID, d.ID).
		Where("customs_events.kind = ? AND customs_events.created_at >= ?", EventSubmitted, now.Add(-resubmitWindow)).
		Find(&evs).Error
	if err != nil {
		return apperr.Wrap(err, "load submissions")
	}
	for _, e := range evs {
		var sd submitDetail
		if json.Unmarshal([]byte(e.DetailJSON), &sd) == nil && sd.Hash == hash {
			var other models.Declaration
			_ = tx.Select("pre_entry_no").Take(&other, e.DeclarationID).Error
			return apperr.New(apperr.Conflict, apperr.Tf(
				"An identical declaration (%s) for this consolidation and buyer was submitted on %s; an identical resubmission within 48 hours is refused",
				"本组货同一采购商的相同报关单（%s）已于 %s 提交，48 小时内不得重复提交",
				other.PreEntryNo, e.CreatedAt.In(MarketZone).Format("2006-01-02 15:04")))
		}
	}
	return nil
}

func errDeclarationChanged() error {
	return apperr.New(apperr.Conflict, apperr.T("Someone changed this declaration meanwhile; reload the page and try again",
		"该报关单已被他人修改，请刷新页面后重试"))
}

// event appends a customs event of the declaration inside tx.
func (s *Service) event(tx *gorm.DB, actor Actor, declarationID int64, kind, reason string, detail any, now time.Time) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return apperr.Wrap(err, "event detail")
	}
	e := models.CustomsEvent{DeclarationID: declarationID, Kind: kind, ReasonCode: reason, DetailJSON: string(b), CreatedAt: now}
	if actor.UserID != 0 {
		id := actor.UserID
		e.ActorUserID = &id
	}
	if err := tx.Create(&e).Error; err != nil {
		return apperr.Wrap(err, "insert event")
	}
	return nil
}
