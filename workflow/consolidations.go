package workflow

import (
	"context"
	crand "crypto/rand"
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Consolidation (组货装箱, DOMAIN §3 step 3): an agent opens a consolidation for one shipment and
// hands its booking code to the merchants that entrust it; they file their registered lines into
// it by that code, the agent allocates lines too, adds containers and the packing list, and
// closes it when every line is packed. A closed consolidation is read-only; it is reopened only
// while it has no declarations, and cancelled (freeing its lines) only while open.

// ---- Booking codes --------------------------------------------------------------------------

// BookingCodeLength is the length of a booking code: seven random characters of TraceAlphabet
// and a check character, short enough to read out over the phone.
const BookingCodeLength = 8

// BookingCheckChar returns the check character of a booking code's first seven characters:
// S = Σ value(c[i])·(2i+1) for i = 0…6, check = TraceAlphabet[S mod 32], the rule of trace
// codes (a single wrong character always changes the check). It returns false unless first7 is
// seven characters of TraceAlphabet.
func BookingCheckChar(first7 string) (byte, bool) {
	if len(first7) != BookingCodeLength-1 {
		return 0, false
	}
	sum := 0
	for i := range len(first7) {
		v := strings.IndexByte(TraceAlphabet, first7[i])
		if v < 0 {
			return 0, false
		}
		sum += v * (2*i + 1)
	}
	return TraceAlphabet[sum%len(TraceAlphabet)], true
}

// NewBookingCode returns a booking code whose first seven characters are drawn from r.
func NewBookingCode(r *rand.Rand) string {
	var b [BookingCodeLength]byte
	for i := range BookingCodeLength - 1 {
		b[i] = TraceAlphabet[r.IntN(len(TraceAlphabet))]
	}
	b[BookingCodeLength-1], _ = BookingCheckChar(string(b[:BookingCodeLength-1]))
	return string(b[:])
}

// ValidBookingCode reports whether code is a canonical booking code with a correct check character.
func ValidBookingCode(code string) bool {
	if len(code) != BookingCodeLength {
		return false
	}
	want, ok := BookingCheckChar(code[:BookingCodeLength-1])
	return ok && code[BookingCodeLength-1] == want
}

// FormatBookingCode writes a booking code in two groups of four ("7KQ2-M9XD") for people to read.
func FormatBookingCode(code string) string {
	if len(code) != BookingCodeLength {
		return code
	}
	return code[:4] + "-" + code[4:]
}

// CheckBookingCode normalises a booking code as a merchant types it (lower case, spaces and
// hyphens, Crockford's look-alikes I and L for 1 and O for 0) and checks its length, alphabet and
// check character.
func CheckBookingCode(raw string) Verdict {
	v := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\u3000':
			return -1
		case 'I', 'L':
			return '1'
		case 'O':
			return '0'
		}
		return r
	}, normalize(raw))
	switch {
	case v == "":
		return invalid(v, apperr.T("Enter the booking code the agent gave you, e.g. 7KQ2-M9XD", "请输入外贸代理提供的组货编号，例如 7KQ2-M9XD"))
	case utf8.RuneCountInString(v) != BookingCodeLength || strings.Trim(v, TraceAlphabet) != "":
		return invalid(v, apperr.Tf("A booking code has %d letters and digits, e.g. 7KQ2-M9XD; check the code the agent gave you",
			"组货编号由 %d 位字母和数字组成，例如 7KQ2-M9XD，请核对外贸代理提供的编号", BookingCodeLength))
	case !ValidBookingCode(v):
		return invalid(v, apperr.T("This booking code has a typing mistake (its check character does not match); compare it with the code the agent gave you",
			"组货编号有误（校验位不符），请与外贸代理提供的编号核对"))
	}
	return ok(v)
}

// bookingCodeSource draws booking codes.
type bookingCodeSource func() string

// cryptoBookingCodes draws booking codes from a ChaCha8 generator seeded by the operating
// system, so one booking code cannot be guessed from another.
func cryptoBookingCodes() bookingCodeSource {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // never fails on supported platforms (Go 1.24+)
	r := rand.New(rand.NewChaCha8(seed))
	return func() string { return NewBookingCode(r) }
}

// ---- Vocabulary -----------------------------------------------------------------------------

// TransportModes are the customs transport mode codes (运输方式代码) an export by mode 1039 uses.
var TransportModes = []string{"2", "3", "4", "5"}

// TransportModeText names a transport mode code in both languages.
func TransportModeText(code string) apperr.Text {
	switch code {
	case "2":
		return apperr.T("Waterway", "水路运输")
	case "3":
		return apperr.T("Rail", "铁路运输")
	case "4":
		return apperr.T("Road", "公路运输")
	case "5":
		return apperr.T("Air", "航空运输")
	}
	return apperr.T(code, code)
}

// TradeTerms are the transaction terms (成交方式) a consolidation may name: Incoterms 2020.
var TradeTerms = []string{"FOB", "CIF", "CFR", "EXW", "FCA", "FAS", "CPT", "CIP", "DAP", "DPU", "DDP"}

// ConsolidationStatuses in the order of their life.
var ConsolidationStatuses = []string{models.ConsolidationOpen, models.ConsolidationClosed, models.ConsolidationDeclared, models.ConsolidationCancelled}

// ConsolidationStatusText names a consolidation status in both languages.
func ConsolidationStatusText(status string) apperr.Text {
	switch status {
	case models.ConsolidationOpen:
		return apperr.T("open", "组货中")
	case models.ConsolidationClosed:
		return apperr.T("closed", "已截单")
	case models.ConsolidationDeclared:
		return apperr.T("declared", "已生成报关单")
	case models.ConsolidationCancelled:
		return apperr.T("cancelled", "已取消")
	}
	return apperr.T(status, status)
}

var consolidationNoun = apperr.T("Consolidation", "组货单")

var errConsolidationChanged = apperr.New(apperr.Conflict, apperr.T(
	"This consolidation was changed since you opened it (perhaps by a merchant filing lines, or in another window). Reload the page, check it and try again.",
	"该组货单在您打开后已被修改（可能有经营户刚刚申报了货物，或在另一个窗口中修改）。请刷新页面，核对后重试。"))

// ---- The header -----------------------------------------------------------------------------

// ConsolidationInput is a consolidation's header as the agent enters it, copied field by field
// from a form or an API request. It has no id, booking code, agent or status: the platform sets
// those.
type ConsolidationInput struct {
	DestinationCountry string // ISO 3166 alpha-2, the country of arrival
	DestinationPort    string
	TransportMode      string // a code of TransportModes
	TradeTerms         string // one of TradeTerms
	ExitPort           string // the port of exit (出境口岸)
	StuffingPlace      string // where the containers are stuffed (装箱地点)
	Version            int64  // edits: the version the agent saw; 0 only from the API
}

// checkConsolidationHeader normalises and checks a header.
func (s *Service) checkConsolidationHeader(in ConsolidationInput) (ConsolidationInput, error) {
	var fe apperr.Fields
	out := ConsolidationInput{Version: in.Version,
		DestinationPort: partyText(in.DestinationPort), ExitPort: partyText(in.ExitPort), StuffingPlace: partyText(in.StuffingPlace),
		TransportMode: strings.TrimSpace(in.TransportMode), TradeTerms: normalize(in.TradeTerms)}
	if v := CheckCountry(s.ref, in.DestinationCountry); v.OK {
		out.DestinationCountry = v.Value
	} else {
		out.DestinationCountry = v.Value
		fe.Add("destination_country", v.Problem)
	}
	text := func(field, v string, missing apperr.Text, max int) {
		switch n := utf8.RuneCountInString(v); {
		case n == 0:
			fe.Add(field, missing)
		case n > max:
			fe.Add(field, apperr.Tf("Use at most %d characters", "最多 %d 个字符", max))
		}
	}
	text("destination_port", out.DestinationPort, apperr.T("Enter the port of destination, e.g. Jebel Ali", "请填写指运港，例如 Jebel Ali"), 100)
	text("exit_port", out.ExitPort, apperr.T("Enter the port of exit, e.g. Ningbo (宁波)", "请填写离境口岸，例如 宁波"), 100)
	text("stuffing_place", out.StuffingPlace, apperr.T("Enter where the containers are stuffed, e.g. Yiwu consolidation site", "请填写装箱地点，例如 义乌市场采购联网监管集拼仓"), 200)
	if !slices.Contains(TransportModes, out.TransportMode) {
		fe.Add("transport_mode", apperr.T("Choose the transport mode: waterway, rail, road or air", "请选择运输方式：水路、铁路、公路或航空"))
	}
	if !slices.Contains(TradeTerms, out.TradeTerms) {
		fe.Add("trade_terms", apperr.Tf("Choose the trade terms: one of %s", "请选择成交方式：%s 之一", strings.Join(TradeTerms, ", ")))
	}
	return out, fe.Err()
}

// consolidationAgent checks the actor may manage consolidations: an agent's user.
func consolidationAgent(actor Actor) error {
	if err := actor.Require(ActConsolidationManage); err != nil {
		return err
	}
	if actor.AgentID <= 0 {
		return apperr.New(apperr.Forbidden, apperr.T("Only an agent's users manage consolidations", "只有外贸代理的用户可以管理组货"))
	}
	return nil
}

// consolidationAudit is what the audit log keeps of a consolidation's header and state.
func consolidationAudit(c *models.Consolidation) map[string]any {
	return map[string]any{"booking_code": c.BookingCode, "agent_id": c.AgentID, "destination_country": c.DestinationCountry,
		"destination_port": c.DestinationPort, "transport_mode": c.TransportMode, "trade_terms": c.TradeTerms,
		"exit_port": c.ExitPort, "stuffing_place": c.StuffingPlace, "status": c.Status, "closed_at": c.ClosedAt, "version": c.Version}
}

// isBookingCodeClash reports a unique-index failure on booking codes.
func isBookingCodeClash(err error) bool {
	return err != nil && models.IsUniqueViolation(err) && strings.Contains(err.Error(), "booking_code")
}

// OpenConsolidation opens a consolidation for the actor's agent, which must be active, and gives
// it a booking code no other consolidation has (drawn again on a clash).
func (s *Service) OpenConsolidation(ctx context.Context, actor Actor, in ConsolidationInput) (*models.Consolidation, error) {
	return s.openConsolidation(ctx, actor, in, cryptoBookingCodes())
}

func (s *Service) openConsolidation(ctx context.Context, actor Actor, in ConsolidationInput, codes bookingCodeSource) (*models.Consolidation, error) {
	if err := consolidationAgent(actor); err != nil {
		return nil, err
	}
	clean, err := s.checkConsolidationHeader(in)
	if err != nil {
		return nil, err
	}
	var c models.Consolidation
	for attempt := 0; ; attempt++ {
		err = s.tx(ctx, func(tx *gorm.DB) error {
			if err := requireActiveParty(tx, actor, apperr.T("open a consolidation", "开立组货单")); err != nil {
				return err
			}
			code := codes()
			for range 16 {
				var n int64
				if err := tx.Model(&models.Consolidation{}).Where("booking_code = ?", code).Count(&n).Error; err != nil {
					return err
				}
				if n == 0 {
					break
				}
				code = codes()
			}
			now, uid := s.now(), actor.UserID
			c = models.Consolidation{BookingCode: code, AgentID: actor.AgentID, DestinationCountry: clean.DestinationCountry,
				DestinationPort: clean.DestinationPort, TransportMode: clean.TransportMode, TradeTerms: clean.TradeTerms,
				ExitPort: clean.ExitPort, StuffingPlace: clean.StuffingPlace, Status: models.ConsolidationOpen,
				CreatedByUserID: &uid, Version: 1, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&c).Error; err != nil {
				return err
			}
			return s.audit(ctx, tx, actor, "consolidation", strconv.FormatInt(c.ID, 10), "open", nil, consolidationAudit(&c))
		})
		if !isBookingCodeClash(err) || attempt == 4 {
			break
		}
	}
	if err != nil {
		return nil, apperr.Wrap(err, "open consolidation")
	}
	return &c, nil
}

// lockOwnConsolidation loads one of the actor agent's consolidations and locks its row for the
// rest of tx; any other is NotFound.
func lockOwnConsolidation(tx *gorm.DB, actor Actor, id int64) (*models.Consolidation, error) {
	var c models.Consolidation
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ? AND agent_id = ?", id, actor.AgentID).Take(&c).Error
	if err != nil {
		return nil, models.Translate(err, consolidationNoun)
	}
	return &c, nil
}

// requireConsolidationOpen refuses a change to a consolidation that is not open, saying what to do instead.
func requireConsolidationOpen(c *models.Consolidation) error {
	switch c.Status {
	case models.ConsolidationOpen:
		return nil
	case models.ConsolidationClosed:
		return apperr.New(apperr.Conflict, apperr.T("This consolidation is closed and read-only; reopen it first to change it",
			"该组货单已截单，只读；如需修改请先重新开启"))
	case models.ConsolidationDeclared:
		return apperr.New(apperr.Conflict, apperr.T("Declarations exist for this consolidation; it can no longer be changed (cancel its declarations first)",
			"该组货单已生成报关单，不能再修改（请先撤销其报关单）"))
	}
	return apperr.New(apperr.Conflict, apperr.T("This consolidation is cancelled", "该组货单已取消"))
}

// bumpConsolidation writes a change to a locked consolidation with its next version, failing when another
// change got there first.
func (s *Service) bumpConsolidation(tx *gorm.DB, c *models.Consolidation, updates map[string]any) error {
	now := s.now()
	if updates == nil {
		updates = map[string]any{}
	}
	updates["version"], updates["updated_at"] = c.Version+1, now
	res := tx.Model(&models.Consolidation{}).Where("id = ? AND version = ?", c.ID, c.Version).Updates(updates)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return errConsolidationChanged
	}
	c.Version, c.UpdatedAt = c.Version+1, now
	return nil
}

// changeOwnConsolidation runs fn on one of the actor agent's consolidations, locked, checked
// against the version the agent saw (0: no check, API only), and audits what fn returns.
func (s *Service) changeOwnConsolidation(ctx context.Context, actor Actor, id, version int64, action string, mustBeOpen bool,
	fn func(tx *gorm.DB, c *models.Consolidation) (old, new any, err error)) (*models.Consolidation, error) {
	if err := consolidationAgent(actor); err != nil {
		return nil, err
	}
	var c *models.Consolidation
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if c, err = lockOwnConsolidation(tx, actor, id); err != nil {
			return err
		}
		if mustBeOpen {
			if err := requireConsolidationOpen(c); err != nil {
				return err
			}
		}
		if version > 0 && version != c.Version {
			return errConsolidationChanged
		}
		old, new, err := fn(tx, c)
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "consolidation", strconv.FormatInt(c.ID, 10), action, old, new)
	})
	if err != nil {
		return nil, apperr.Wrap(err, "consolidation "+action)
	}
	return c, nil
}

// UpdateConsolidationHeader changes the header of an open consolidation of the actor's agent.
func (s *Service) UpdateConsolidationHeader(ctx context.Context, actor Actor, id int64, in ConsolidationInput) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, id, in.Version, "edit_header", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		clean, err := s.checkConsolidationHeader(in)
		if err != nil {
			return nil, nil, err
		}
		old := consolidationAudit(c)
		err = s.bumpConsolidation(tx, c, map[string]any{"destination_country": clean.DestinationCountry, "destination_port": clean.DestinationPort,
			"transport_mode": clean.TransportMode, "trade_terms": clean.TradeTerms, "exit_port": clean.ExitPort, "stuffing_place": clean.StuffingPlace})
		c.DestinationCountry, c.DestinationPort, c.TransportMode = clean.DestinationCountry, clean.DestinationPort, clean.TransportMode
		c.TradeTerms, c.ExitPort, c.StuffingPlace = clean.TradeTerms, clean.ExitPort, clean.StuffingPlace
		return old, consolidationAudit(c), err
	})
}

// ---- Seeing consolidations ------------------------------------------------------------------

// merchantInConsolidation is the condition "the merchant has a line in the consolidation".
const merchantInConsolidation = "EXISTS (SELECT 1 FROM consolidation_lines cl JOIN transaction_lines l ON l.id = cl.transaction_line_id" +
	" JOIN transactions t ON t.id = l.transaction_id WHERE cl.consolidation_id = consolidations.id AND t.merchant_id = ?)"

// consolidationsScoped limits a query on consolidations to those the actor may see: an agent its
// own, a merchant those it has filed lines into, auditors and admins all.
func consolidationsScoped(q *gorm.DB, actor Actor) *gorm.DB {
	sc := actor.Scope()
	switch {
	case sc.All:
		return q
	case sc.AgentID > 0:
		return q.Where("consolidations.agent_id = ?", sc.AgentID)
	case sc.MerchantID > 0:
		return q.Where(merchantInConsolidation, sc.MerchantID)
	}
	return q.Where("1 = 0")
}

// ConsolidationFilter filters the consolidation list.
type ConsolidationFilter struct {
	Status string // "" for every status
	Page   int
}

// ConsolidationSummary is a consolidation in a list.
type ConsolidationSummary struct {
	models.Consolidation
	AgentName  string
	Lines      int64 // lines the actor may see (a merchant: its own)
	Containers int64
}

// ConsolidationList is one page of consolidations, newest first.
type ConsolidationList struct {
	Items   []ConsolidationSummary
	Total   int64
	Page    int
	PerPage int
}

// Pages is the number of pages.
func (l ConsolidationList) Pages() int { return partyPages(l.Total, l.PerPage) }

// Consolidations lists the consolidations the actor may see, newest first.
func (s *Service) Consolidations(ctx context.Context, actor Actor, f ConsolidationFilter) (*ConsolidationList, error) {
	if err := actor.Require(ActConsolidationList); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(ConsolidationStatuses, f.Status) {
		return nil, apperr.Field("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	page, per := partyPaging(f.Page, 50)
	out := &ConsolidationList{Page: page, PerPage: per}
	db := s.db.WithContext(ctx)
	q := func() *gorm.DB {
		q := consolidationsScoped(db.Model(&models.Consolidation{}), actor)
		if f.Status != "" {
			q = q.Where("consolidations.status = ?", f.Status)
		}
		return q
	}
	if err := q().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count consolidations")
	}
	if err := q().Select("consolidations.*").Order("consolidations.id DESC").Offset((page - 1) * per).Limit(per).Scan(&out.Items).Error; err != nil {
		return nil, apperr.Wrap(err, "list consolidations")
	}
	if len(out.Items) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out.Items))
	agentIDs := make([]int64, len(out.Items))
	for i, c := range out.Items {
		ids[i], agentIDs[i] = c.ID, c.AgentID
	}
	var names []struct {
		ID   int64
		Name string
	}
	if err := db.Model(&models.Agent{}).Where("id IN ?", agentIDs).Select("id, name").Scan(&names).Error; err != nil {
		return nil, apperr.Wrap(err, "agent names")
	}
	type count struct {
		ID int64
		N  int64
	}
	var lines, boxes []count
	lq := db.Table("consolidation_lines AS cl").Select("cl.consolidation_id AS id, COUNT(*) AS n").Where("cl.consolidation_id IN ?", ids)
	if actor.Role == models.RoleMerchant {
		lq = lq.Joins("JOIN transaction_lines l ON l.id = cl.transaction_line_id").Joins("JOIN transactions t ON t.id = l.transaction_id").
			Where("t.merchant_id = ?", actor.MerchantID)
	}
	if err := lq.Group("cl.consolidation_id").Scan(&lines).Error; err != nil {
		return nil, apperr.Wrap(err, "count lines")
	}
	if err := db.Model(&models.Container{}).Select("consolidation_id AS id, COUNT(*) AS n").Where("consolidation_id IN ?", ids).
		Group("consolidation_id").Scan(&boxes).Error; err != nil {
		return nil, apperr.Wrap(err, "count containers")
	}
	for i := range out.Items {
		it := &out.Items[i]
		for _, n := range names {
			if n.ID == it.AgentID {
				it.AgentName = n.Name
			}
		}
		for _, n := range lines {
			if n.ID == it.ID {
				it.Lines = n.N
			}
		}
		for _, n := range boxes {
			if n.ID == it.ID {
				it.Containers = n.N
			}
		}
	}
	return out, nil
}

// ConsolidatedLine is a filed line as the consolidation page shows it, with how much of it is
// packed.
type ConsolidatedLine struct {
	LineID            int64
	TransactionID     int64
	TransactionNumber string
	LineNo            int
	TraceCode         string
	TradeDate         string
	MerchantID        int64
	MerchantName      string
	BuyerID           int64
	BuyerName         string
	BuyerCountry      string
	SKU               string
	NameZh            string
	NameEn            string
	HSCode            string
	Quantity          models.Quantity
	Unit              string
	Currency          string
	Amount            models.Money
	Cartons           int64
	NetGrams          models.Grams
	GrossGrams        models.Grams
	Packed            PackAmount `gorm:"-"` // over every container
}

// Want is the line's cartons and weights.
func (l ConsolidatedLine) Want() PackAmount {
	return PackAmount{Cartons: l.Cartons, NetGrams: l.NetGrams, GrossGrams: l.GrossGrams}
}

// Rest is what of the line is not packed yet.
func (l ConsolidatedLine) Rest() PackAmount { return l.Want().Sub(l.Packed) }

// FullyPacked reports whether every carton and kilogram of the line is packed.
func (l ConsolidatedLine) FullyPacked() bool { return l.Packed == l.Want() }

// LineGroup is the lines of one merchant for one buyer.
type LineGroup struct {
	MerchantID   int64
	MerchantName string
	BuyerID      int64
	BuyerName    string
	BuyerCountry string
	Lines        []ConsolidatedLine
}

// CurrencyTotal is the value of lines in one currency.
type CurrencyTotal struct {
	Currency string
	Amount   models.Money
}

// ConsolidationTotals are the sums of a consolidation's (visible) lines.
type ConsolidationTotals struct {
	Lines      int
	Cartons    int64
	NetGrams   models.Grams
	GrossGrams models.Grams
	Values     []CurrencyTotal // by currency code
}

// ConsolidationDetail is a consolidation as its page shows it. A merchant sees only its own
// lines and their packing; the agent, auditors and admins see everything.
type ConsolidationDetail struct {
	Consolidation   models.Consolidation
	AgentName       string
	Lines           []ConsolidatedLine // by merchant, buyer, line id
	Groups          []LineGroup
	Containers      []ContainerView
	Totals          ConsolidationTotals
	Problems        []ClosingProblem // what blocks closing (for the whole consolidation)
	HasDeclarations bool             // declarations that are not cancelled exist
	Manager         bool             // the actor's agent owns it
}

// Editable reports whether the actor may change the consolidation now.
func (d *ConsolidationDetail) Editable() bool {
	return d.Manager && d.Consolidation.Status == models.ConsolidationOpen
}

// Consolidation returns one consolidation the actor may see; any other is NotFound.
func (s *Service) Consolidation(ctx context.Context, actor Actor, id int64) (*ConsolidationDetail, error) {
	if err := actor.Require(ActConsolidationView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	d := &ConsolidationDetail{}
	if err := consolidationsScoped(db, actor).Where("consolidations.id = ?", id).Take(&d.Consolidation).Error; err != nil {
		return nil, models.Translate(err, consolidationNoun)
	}
	d.Manager = actor.Role == models.RoleAgent && actor.AgentID == d.Consolidation.AgentID
	if err := s.fillDetail(db, actor, d); err != nil {
		return nil, apperr.Wrap(err, "load consolidation")
	}
	return d, nil
}

// consolidatedLines loads the filed lines of a consolidation (a merchant's own only when
// merchantID > 0), without packing.
func consolidatedLines(db *gorm.DB, consolidationID, merchantID int64) ([]ConsolidatedLine, error) {
	var out []ConsolidatedLine
	q := db.Table("consolidation_lines AS cl").
		Select("l.id AS line_id, l.transaction_id, t.number AS transaction_number, l.line_no, l.trace_code, t.trade_date,"+
			" t.merchant_id, m.name AS merchant_name, t.buyer_id, b.name AS buyer_name, b.nationality AS buyer_country,"+
			" g.sku, g.name_zh, g.name_en, g.hs_code, l.quantity, l.unit, t.currency, l.amount, l.cartons, l.net_grams, l.gross_grams").
		Joins("JOIN transaction_lines l ON l.id = cl.transaction_line_id").
		Joins("JOIN transactions t ON t.id = l.transaction_id").
		Joins("JOIN merchants m ON m.id = t.merchant_id").
		Joins("JOIN buyers b ON b.id = t.buyer_id").
		Joins("JOIN goods g ON g.id = l.goods_id").
		Where("cl.consolidation_id = ?", consolidationID)
	if merchantID > 0 {
		q = q.Where("t.merchant_id = ?", merchantID)
	}
	err := q.Order("m.name, m.id, b.name, b.id, l.id").Scan(&out).Error
	return out, err
}

// fillDetail loads the lines, containers, packing, totals and closing checks.
func (s *Service) fillDetail(db *gorm.DB, actor Actor, d *ConsolidationDetail) error {
	c := &d.Consolidation
	if err := db.Model(&models.Agent{}).Where("id = ?", c.AgentID).Pluck("name", &d.AgentName).Error; err != nil {
		return err
	}
	var merchantID int64
	if actor.Role == models.RoleMerchant {
		merchantID = actor.MerchantID
	}
	all, err := consolidatedLines(db, c.ID, 0)
	if err != nil {
		return err
	}
	boxes, packed, err := loadConsolidationPacking(db, c.ID)
	if err != nil {
		return err
	}
	// The closing checks are over the whole consolidation; what is shown is the actor's part.
	d.Problems = ClosingProblems(consolidationLineFacts(all), consolidationContainerFacts(boxes), consolidationPackedFacts(packed))
	visible := map[int64]bool{}
	for i := range all {
		if merchantID > 0 && all[i].MerchantID != merchantID {
			continue
		}
		for _, p := range packed {
			if p.TransactionLineID == all[i].LineID {
				all[i].Packed = all[i].Packed.Add(packAmountOf(p))
			}
		}
		visible[all[i].LineID] = true
		d.Lines = append(d.Lines, all[i])
	}
	d.Containers = consolidationContainerViews(boxes, packed, d.Lines, visible)
	d.Groups, d.Totals = groupConsolidatedLines(d.Lines)
	var n int64
	if err := db.Model(&models.Declaration{}).Where("consolidation_id = ? AND status <> ?", c.ID, models.DeclarationCancelled).Count(&n).Error; err != nil {
		return err
	}
	d.HasDeclarations = n > 0
	return nil
}

// groupConsolidatedLines groups lines (already ordered by merchant and buyer) and sums them.
func groupConsolidatedLines(lines []ConsolidatedLine) ([]LineGroup, ConsolidationTotals) {
	var groups []LineGroup
	var t ConsolidationTotals
	values := map[string]models.Money{}
	for _, l := range lines {
		if n := len(groups); n == 0 || groups[n-1].MerchantID != l.MerchantID || groups[n-1].BuyerID != l.BuyerID {
			groups = append(groups, LineGroup{MerchantID: l.MerchantID, MerchantName: l.MerchantName, BuyerID: l.BuyerID,
				BuyerName: l.BuyerName, BuyerCountry: l.BuyerCountry})
		}
		g := &groups[len(groups)-1]
		g.Lines = append(g.Lines, l)
		t.Lines++
		t.Cartons += l.Cartons
		t.NetGrams += l.NetGrams
		t.GrossGrams += l.GrossGrams
		values[l.Currency] += l.Amount
	}
	for cur, v := range values {
		t.Values = append(t.Values, CurrencyTotal{Currency: cur, Amount: v})
	}
	sort.Slice(t.Values, func(i, j int) bool { return t.Values[i].Currency < t.Values[j].Currency })
	return groups, t
}

// ---- Filing lines ---------------------------------------------------------------------------

// FileableLine is a registered line not yet in any consolidation, offered for filing.
type FileableLine struct {
	LineID            int64
	TransactionID     int64
	TransactionNumber string
	LineNo            int
	TradeDate         string
	MerchantID        int64
	MerchantName      string
	BuyerName         string
	BuyerCountry      string
	SKU               string
	NameZh            string
	NameEn            string
	HSCode            string
	Quantity          models.Quantity
	Unit              string
	Currency          string
	Amount            models.Money
	Cartons           int64
	NetGrams          models.Grams
	GrossGrams        models.Grams
}

// MaxFileableLines bounds the lines offered on one page.
const MaxFileableLines = 500

// MaxLinesPerFiling bounds the lines filed in one request.
const MaxLinesPerFiling = 2000

// consolidationFileableLines lists the registered, not yet consolidated lines of the merchants in sc.
func consolidationFileableLines(db *gorm.DB, sc models.Scope) ([]FileableLine, error) {
	var out []FileableLine
	q := db.Table("transaction_lines AS l").
		Select("l.id AS line_id, l.transaction_id, t.number AS transaction_number, l.line_no, t.trade_date, t.merchant_id,"+
			" m.name AS merchant_name, b.name AS buyer_name, b.nationality AS buyer_country, g.sku, g.name_zh, g.name_en, g.hs_code,"+
			" l.quantity, l.unit, t.currency, l.amount, l.cartons, l.net_grams, l.gross_grams").
		Joins("JOIN transactions t ON t.id = l.transaction_id").
		Joins("JOIN merchants m ON m.id = t.merchant_id").
		Joins("JOIN buyers b ON b.id = t.buyer_id").
		Joins("JOIN goods g ON g.id = l.goods_id").
		Where("t.status = ?", models.TransactionRegistered).
		Where("NOT EXISTS (SELECT 1 FROM consolidation_lines cl WHERE cl.transaction_line_id = l.id)")
	q = models.MerchantColumnScoped(q, "t", sc)
	err := q.Order("m.name, t.trade_date, t.id, l.line_no").Limit(MaxFileableLines).Scan(&out).Error
	return out, err
}

// Booking is an open consolidation as a merchant filing into it sees it: the header, the agent,
// and the merchant's own lines that can be filed.
type Booking struct {
	Consolidation models.Consolidation
	AgentName     string
	Lines         []FileableLine
}

// consolidationEntrusted reports whether the merchant's entrustment of the agent is in force on day.
func consolidationEntrusted(tx *gorm.DB, merchantID, agentID int64, day string) (bool, error) {
	var n int64
	err := tx.Model(&models.Entrustment{}).Where("merchant_id = ? AND agent_id = ?", merchantID, agentID).
		Where("ended_at IS NULL AND starts_on <= ? AND (ends_on = '' OR ends_on >= ?)", day, day).Count(&n).Error
	return n > 0, err
}

// consolidationDay is the Yiwu date of the actor's request, or of the service clock.
func (s *Service) consolidationDay(actor Actor) string {
	if actor.Day != "" {
		return actor.Day
	}
	return s.EntrustmentToday()
}

// findBooking finds an open consolidation by code for a merchant that entrusts its agent.
func (s *Service) findBooking(tx *gorm.DB, actor Actor, raw string, lock bool) (*models.Consolidation, string, error) {
	v := CheckBookingCode(raw)
	if !v.OK {
		return nil, "", apperr.Field("booking_code", v.Problem)
	}
	q := tx
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var c models.Consolidation
	err := q.Where("booking_code = ?", v.Value).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && c.Status == models.ConsolidationCancelled) {
		return nil, "", apperr.Field("booking_code", apperr.Tf("No consolidation has the booking code %s; check the code the agent gave you",
			"没有组货编号为 %s 的组货单，请核对外贸代理提供的编号", FormatBookingCode(v.Value)))
	}
	if err != nil {
		return nil, "", err
	}
	var agent models.Agent
	if err := tx.Where("id = ?", c.AgentID).Take(&agent).Error; err != nil {
		return nil, "", err
	}
	ok, err := consolidationEntrusted(tx, actor.MerchantID, c.AgentID, s.consolidationDay(actor))
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", apperr.New(apperr.Forbidden, apperr.Tf(
			"Booking %[1]s belongs to %[2]s, which your business does not entrust today; file your goods through an agent you entrust, or record an entrustment of %[2]s first",
			"组货单 %[1]s 属于 %[2]s，贵户今天没有有效的委托；请通过您已委托的外贸代理申报，或先登记对 %[2]s 的委托",
			FormatBookingCode(c.BookingCode), agent.Name))
	}
	if c.Status != models.ConsolidationOpen {
		return nil, "", apperr.New(apperr.Conflict, apperr.Tf("Booking %[1]s is %[2]s and takes no more lines; ask %[3]s for an open findBooking",
			"组货单 %[1]s 状态为“%[4]s”，不能再申报货物；请向 %[3]s 索取新的组货编号",
			FormatBookingCode(c.BookingCode), ConsolidationStatusText(c.Status).En, agent.Name, ConsolidationStatusText(c.Status).Zh))
	}
	return &c, agent.Name, nil
}

// consolidationMerchant checks the actor may file lines: a merchant's user.
func consolidationMerchant(actor Actor) error {
	if err := actor.Require(ActConsolidationFile); err != nil {
		return err
	}
	if actor.MerchantID <= 0 {
		return apperr.New(apperr.Forbidden, apperr.T("Only a merchant's users file lines by booking code", "只有市场经营户的用户可以凭组货编号申报货物"))
	}
	return nil
}

// BookingByCode shows a merchant the open consolidation with a booking code, if the merchant
// entrusts its agent, with the merchant's registered lines not yet consolidated.
func (s *Service) BookingByCode(ctx context.Context, actor Actor, code string) (*Booking, error) {
	if err := consolidationMerchant(actor); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	c, agentName, err := s.findBooking(db, actor, code, false)
	if err != nil {
		return nil, apperr.Wrap(err, "find findBooking")
	}
	b := &Booking{Consolidation: *c, AgentName: agentName}
	if b.Lines, err = consolidationFileableLines(db, models.Scope{MerchantID: actor.MerchantID}); err != nil {
		return nil, apperr.Wrap(err, "fileable lines")
	}
	return b, nil
}

// AllocatableLines lists the lines the actor's agent may allocate to one of its open
// consolidations: registered, not consolidated lines of merchants entrusting it today.
func (s *Service) AllocatableLines(ctx context.Context, actor Actor, id int64) ([]FileableLine, error) {
	if err := consolidationAgent(actor); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var c models.Consolidation
	if err := db.Where("id = ? AND agent_id = ?", id, actor.AgentID).Take(&c).Error; err != nil {
		return nil, models.Translate(err, consolidationNoun)
	}
	sc := actor.Scope()
	sc.Day = s.consolidationDay(actor)
	lines, err := consolidationFileableLines(db, sc)
	return lines, apperr.Wrap(err, "allocatable lines")
}

// FileLines files the actor merchant's lines into the open consolidation with a booking code
// (申报组货): the merchant must entrust the consolidation's agent today and be active; each line
// must be its own, of a registered transaction, and in no other consolidation. It returns the
// consolidation and how many lines were filed.
func (s *Service) FileLines(ctx context.Context, actor Actor, code string, lineIDs []int64) (*models.Consolidation, int, error) {
	if err := consolidationMerchant(actor); err != nil {
		return nil, 0, err
	}
	ids, err := consolidationLineIDs(lineIDs)
	if err != nil {
		return nil, 0, err
	}
	var c *models.Consolidation
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if c, _, err = s.findBooking(tx, actor, code, true); err != nil {
			return err
		}
		if err := requireActiveParty(tx, actor, apperr.T("file goods into a consolidation", "申报组货")); err != nil {
			return err
		}
		return s.fileConsolidationLines(ctx, tx, actor, c, ids, models.Scope{MerchantID: actor.MerchantID}, "file_lines")
	})
	if err != nil {
		return nil, 0, apperr.Wrap(err, "file lines")
	}
	return c, len(ids), nil
}

// AllocateLines files lines of merchants entrusting the actor's agent today into one of its
// open consolidations, under the same rules as FileLines.
func (s *Service) AllocateLines(ctx context.Context, actor Actor, id int64, lineIDs []int64) (*models.Consolidation, int, error) {
	sc := actor.Scope()
	sc.Day = s.consolidationDay(actor)
	var ids []int64
	c, err := s.changeOwnConsolidation(ctx, actor, id, 0, "allocate_lines", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		var err error
		if ids, err = consolidationLineIDs(lineIDs); err != nil {
			return nil, nil, err
		}
		if err := requireActiveParty(tx, actor, apperr.T("allocate lines to a consolidation", "分配组货货物")); err != nil {
			return nil, nil, err
		}
		return nil, map[string]any{"line_ids": ids, "version": c.Version + 1}, s.insertConsolidationLines(tx, actor, c, ids, sc)
	})
	if err != nil {
		return nil, 0, err
	}
	return c, len(ids), nil
}

// consolidationLineIDs deduplicates and bounds the lines of a filing.
func consolidationLineIDs(in []int64) ([]int64, error) {
	var ids []int64
	for _, id := range in {
		if id > 0 && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	switch {
	case len(ids) == 0:
		return nil, apperr.Field("line_ids", apperr.T("Tick at least one line to file", "请至少勾选一行货物"))
	case len(ids) > MaxLinesPerFiling:
		return nil, apperr.Field("line_ids", apperr.Tf("File at most %d lines at a time", "每次最多申报 %d 行", MaxLinesPerFiling))
	}
	slices.Sort(ids)
	return ids, nil
}

// fileConsolidationLines files lines into a locked open consolidation and audits it (merchant filing).
func (s *Service) fileConsolidationLines(ctx context.Context, tx *gorm.DB, actor Actor, c *models.Consolidation, ids []int64, sc models.Scope, action string) error {
	if err := s.insertConsolidationLines(tx, actor, c, ids, sc); err != nil {
		return err
	}
	return s.audit(ctx, tx, actor, "consolidation", strconv.FormatInt(c.ID, 10), action, nil, map[string]any{"line_ids": ids, "version": c.Version})
}

// insertConsolidationLines checks and inserts consolidation lines, and bumps the consolidation's version.
// Lines outside sc are NotFound; lines of transactions that are not registered, or already in a
// consolidation, are refused with the line named. The transactions are locked, so a line is not
// filed while its transaction is voided or held; two filings of one line both reach the unique
// index, and the second is a conflict.
func (s *Service) insertConsolidationLines(tx *gorm.DB, actor Actor, c *models.Consolidation, ids []int64, sc models.Scope) error {
	var rows []struct {
		ID            int64
		LineNo        int
		TransactionID int64
		Number        string
		Status        string
	}
	q := tx.Table("transaction_lines AS l").Select("l.id, l.line_no, l.transaction_id, t.number, t.status").
		Joins("JOIN transactions t ON t.id = l.transaction_id").Where("l.id IN ?", ids)
	if err := models.MerchantColumnScoped(q, "t", sc).Order("l.id").Scan(&rows).Error; err != nil {
		return err
	}
	if len(rows) != len(ids) {
		return apperr.New(apperr.NotFound, apperr.T("Line not found: one of the lines is not one you may file", "未找到货物行：其中有您无权申报的货物行"))
	}
	var txnIDs []int64
	for _, r := range rows {
		if !slices.Contains(txnIDs, r.TransactionID) {
			txnIDs = append(txnIDs, r.TransactionID)
		}
	}
	slices.Sort(txnIDs)
	var statuses []struct {
		ID     int64
		Status string
	}
	if err := tx.Model(&models.Transaction{}).Clauses(clause.Locking{Strength: "UPDATE"}).Select("id, status").
		Where("id IN ?", txnIDs).Order("id").Scan(&statuses).Error; err != nil {
		return err
	}
	status := map[int64]string{}
	for _, st := range statuses {
		status[st.ID] = st.Status
	}
	var fe apperr.Fields
	for _, r := range rows {
		if st := status[r.TransactionID]; st != models.TransactionRegistered {
			stt := TransactionStatusText(st)
			fe.Add("line."+strconv.FormatInt(r.ID, 10), apperr.Tf(
				"Transaction %[1]s line %[2]d: the transaction is %[3]s; only lines of registered transactions can be consolidated",
				"交易 %[1]s 第 %[2]d 行：交易状态为“%[4]s”，只有已登记交易的货物才能组货", r.Number, r.LineNo, stt.En, stt.Zh))
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}
	var taken []struct {
		TransactionLineID int64
		BookingCode       string
	}
	if err := tx.Table("consolidation_lines AS cl").Select("cl.transaction_line_id, c.booking_code").
		Joins("JOIN consolidations c ON c.id = cl.consolidation_id").Where("cl.transaction_line_id IN ?", ids).
		Order("cl.transaction_line_id").Scan(&taken).Error; err != nil {
		return err
	}
	if len(taken) > 0 {
		for _, r := range rows {
			if r.ID == taken[0].TransactionLineID {
				return errLineConsolidated(r.Number, r.LineNo, taken[0].BookingCode, c.BookingCode)
			}
		}
	}
	now, uid := s.now(), actor.UserID
	cls := make([]models.ConsolidationLine, len(ids))
	for i, id := range ids {
		cls[i] = models.ConsolidationLine{ConsolidationID: c.ID, TransactionLineID: id, FiledByUserID: &uid, CreatedAt: now}
	}
	if err := tx.CreateInBatches(cls, 200).Error; err != nil {
		if models.IsUniqueViolation(err) {
			return apperr.New(apperr.Conflict, apperr.T("One of these lines was just filed into a consolidation by someone else; reload the page and try again",
				"其中有货物行刚刚被他人申报到组货单，请刷新页面后重试"))
		}
		return err
	}
	return s.bumpConsolidation(tx, c, nil)
}

func errLineConsolidated(number string, lineNo int, in, into string) error {
	if in == into {
		return apperr.New(apperr.Conflict, apperr.Tf("Transaction %[1]s line %[2]d is already in this consolidation",
			"交易 %[1]s 第 %[2]d 行已在本组货单中", number, lineNo))
	}
	return apperr.New(apperr.Conflict, apperr.Tf("Transaction %[1]s line %[2]d is already in consolidation %[3]s; a line sits in one consolidation only",
		"交易 %[1]s 第 %[2]d 行已在组货单 %[3]s 中；一行货物只能进入一个组货单", number, lineNo, FormatBookingCode(in)))
}

// RemoveLine takes a line out of one of the actor agent's open consolidations, with its packing.
func (s *Service) RemoveLine(ctx context.Context, actor Actor, id, lineID int64) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, id, 0, "remove_line", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		var cl models.ConsolidationLine
		if err := tx.Where("consolidation_id = ? AND transaction_line_id = ?", c.ID, lineID).Take(&cl).Error; err != nil {
			return nil, nil, models.Translate(err, apperr.T("Line", "货物行"))
		}
		var packs []models.PackingLine
		sub := tx.Model(&models.Container{}).Select("id").Where("consolidation_id = ?", c.ID)
		if err := tx.Where("transaction_line_id = ? AND container_id IN (?)", lineID, sub).Find(&packs).Error; err != nil {
			return nil, nil, err
		}
		if len(packs) > 0 {
			if err := tx.Delete(&packs).Error; err != nil {
				return nil, nil, err
			}
		}
		if err := tx.Delete(&cl).Error; err != nil {
			return nil, nil, err
		}
		old := map[string]any{"line_id": lineID, "packing": consolidationPackingAudit(packs)}
		return old, map[string]any{"version": c.Version + 1}, s.bumpConsolidation(tx, c, nil)
	})
}

// ---- Closing, reopening, cancelling ---------------------------------------------------------

// CloseConsolidation closes one of the actor agent's open consolidations once nothing blocks it
// (ClosingProblems: lines and containers present, every line packed exactly, no empty container,
// every container within its payload limit). Each problem comes back as a field error naming the
// line or container and what to fix. A closed consolidation is read-only.
func (s *Service) CloseConsolidation(ctx context.Context, actor Actor, id, version int64) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, id, version, "close", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		lines, err := consolidatedLines(tx, c.ID, 0)
		if err != nil {
			return nil, nil, err
		}
		boxes, packed, err := loadConsolidationPacking(tx, c.ID)
		if err != nil {
			return nil, nil, err
		}
		if problems := ClosingProblems(consolidationLineFacts(lines), consolidationContainerFacts(boxes), consolidationPackedFacts(packed)); len(problems) > 0 {
			return nil, nil, consolidationClosingError(problems)
		}
		old := consolidationAudit(c)
		now := s.now()
		if err := s.bumpConsolidation(tx, c, map[string]any{"status": models.ConsolidationClosed, "closed_at": now}); err != nil {
			return nil, nil, err
		}
		c.Status, c.ClosedAt = models.ConsolidationClosed, &now
		return old, consolidationAudit(c), nil
	})
}

// consolidationClosingError is the Invalid error listing what blocks closing.
func consolidationClosingError(problems []ClosingProblem) error {
	e := &apperr.Error{Code: apperr.Invalid, Text: apperr.Tf("The consolidation cannot be closed yet: %d problem(s) to fix",
		"组货单暂不能截单：有 %d 个问题需要处理", len(problems))}
	for _, p := range problems {
		e.Fields = append(e.Fields, apperr.FieldError{Field: p.Field(), Text: p.Text})
	}
	return e
}

// ReopenConsolidation reopens a closed consolidation of the actor's agent while it has no
// declarations; a declared one is refused: its declarations must be cancelled first.
func (s *Service) ReopenConsolidation(ctx context.Context, actor Actor, id, version int64) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, id, version, "reopen", false, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		if err := requireNoConsolidationDeclarations(tx, c); err != nil {
			return nil, nil, err
		}
		if c.Status != models.ConsolidationClosed {
			return nil, nil, apperr.New(apperr.Conflict, apperr.Tf("Only a closed consolidation can be reopened; this one is %[1]s",
				"只有已截单的组货单可以重新开启，该组货单状态为“%[2]s”", ConsolidationStatusText(c.Status).En, ConsolidationStatusText(c.Status).Zh))
		}
		old := consolidationAudit(c)
		if err := s.bumpConsolidation(tx, c, map[string]any{"status": models.ConsolidationOpen, "closed_at": nil}); err != nil {
			return nil, nil, err
		}
		c.Status, c.ClosedAt = models.ConsolidationOpen, nil
		return old, consolidationAudit(c), nil
	})
}

// requireNoConsolidationDeclarations refuses when declarations (not cancelled) exist for the consolidation.
func requireNoConsolidationDeclarations(tx *gorm.DB, c *models.Consolidation) error {
	var n int64
	if err := tx.Model(&models.Declaration{}).Where("consolidation_id = ? AND status <> ?", c.ID, models.DeclarationCancelled).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 || c.Status == models.ConsolidationDeclared {
		return apperr.New(apperr.Conflict, apperr.T("Declarations exist for this consolidation; cancel its declarations first",
			"该组货单已有报关单，请先撤销其报关单"))
	}
	return nil
}

// CancelConsolidation cancels an open consolidation of the actor's agent that has no
// declarations: its lines are freed (they may be filed again elsewhere) and its packing list
// removed; the audit log keeps what it held.
func (s *Service) CancelConsolidation(ctx context.Context, actor Actor, id, version int64) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, id, version, "cancel", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		if err := requireNoConsolidationDeclarations(tx, c); err != nil {
			return nil, nil, err
		}
		var lineIDs []int64
		if err := tx.Model(&models.ConsolidationLine{}).Where("consolidation_id = ?", c.ID).Order("transaction_line_id").
			Pluck("transaction_line_id", &lineIDs).Error; err != nil {
			return nil, nil, err
		}
		var packs []models.PackingLine
		sub := tx.Model(&models.Container{}).Select("id").Where("consolidation_id = ?", c.ID)
		if err := tx.Where("container_id IN (?)", sub).Order("id").Find(&packs).Error; err != nil {
			return nil, nil, err
		}
		if err := tx.Where("container_id IN (?)", sub).Delete(&models.PackingLine{}).Error; err != nil {
			return nil, nil, err
		}
		if err := tx.Where("consolidation_id = ?", c.ID).Delete(&models.ConsolidationLine{}).Error; err != nil {
			return nil, nil, err
		}
		old := consolidationAudit(c)
		old["line_ids"], old["packing"] = lineIDs, consolidationPackingAudit(packs)
		if err := s.bumpConsolidation(tx, c, map[string]any{"status": models.ConsolidationCancelled}); err != nil {
			return nil, nil, err
		}
		c.Status = models.ConsolidationCancelled
		return old, consolidationAudit(c), nil
	})
}

// ---- For declarations -----------------------------------------------------------------------

// ConsolidationForDeclaration is what declaration generation reads from a closed consolidation:
// its header, its agent (the declarations' consignor, 境内发货人) and every filed line with its
// transaction, merchant, buyer and goods, in line-id order.
type ConsolidationForDeclaration struct {
	Consolidation models.Consolidation
	Agent         models.Agent
	Lines         []DeclarationSourceLine
}

// DeclarationSourceLine is one filed line with everything a declaration item and its findings
// need.
type DeclarationSourceLine struct {
	LineID             int64
	LineNo             int
	TraceCode          string
	TransactionID      int64
	TransactionNumber  string
	TradeDate          string // YYYY-MM-DD
	MerchantID         int64
	MerchantName       string
	MerchantStatus     string // models.Merchant* (active, abnormal, …)
	MerchantUSCCReview bool   // the merchant's USCC waits for manual review
	BuyerID            int64
	GoodsID            int64
	HSCode             string // 10 digits
	NameZh             string
	NameEn             string
	Spec               string
	LegalUnit          string // customs unit code
	GoodsStatus        string // models.Goods* (recognised, …)
	Quantity           models.Quantity
	Unit               string // transaction unit code
	Currency           string // ISO 4217
	Amount             models.Money
	Cartons            int64
	NetGrams           models.Grams
	GrossGrams         models.Grams
}

// ClosedConsolidationLines returns a closed consolidation with its agent and lines, for
// generating its declarations. The actor needs to view consolidations or declarations; a
// consolidation outside the actor's scope is NotFound (a merchant reads only its own lines); one
// that is not closed (open, declared or cancelled) is a Conflict.
func (s *Service) ClosedConsolidationLines(ctx context.Context, actor Actor, consolidationID int64) (*ConsolidationForDeclaration, error) {
	if !actor.Can(ActConsolidationView) && !actor.Can(ActDeclarationView) {
		return nil, actor.Require(ActConsolidationView)
	}
	db := s.db.WithContext(ctx)
	out := &ConsolidationForDeclaration{}
	if err := consolidationsScoped(db, actor).Where("consolidations.id = ?", consolidationID).Take(&out.Consolidation).Error; err != nil {
		return nil, models.Translate(err, consolidationNoun)
	}
	if out.Consolidation.Status != models.ConsolidationClosed {
		st := ConsolidationStatusText(out.Consolidation.Status)
		return nil, apperr.New(apperr.Conflict, apperr.Tf("Consolidation %[1]s is %[2]s; declarations are generated from a closed consolidation",
			"组货单 %[1]s 状态为“%[3]s”；只有已截单的组货单才能生成报关单", FormatBookingCode(out.Consolidation.BookingCode), st.En, st.Zh))
	}
	if err := db.Where("id = ?", out.Consolidation.AgentID).Take(&out.Agent).Error; err != nil {
		return nil, apperr.Wrap(err, "load agent")
	}
	q := db.Table("consolidation_lines AS cl").
		Select("l.id AS line_id, l.line_no, l.trace_code, t.id AS transaction_id, t.number AS transaction_number, t.trade_date,"+
			" t.merchant_id, m.name AS merchant_name, m.status AS merchant_status, m.uscc_review AS merchant_uscc_review, t.buyer_id,"+
			" g.id AS goods_id, g.hs_code, g.name_zh, g.name_en, g.spec, g.legal_unit, g.status AS goods_status,"+
			" l.quantity, l.unit, t.currency, l.amount, l.cartons, l.net_grams, l.gross_grams").
		Joins("JOIN transaction_lines l ON l.id = cl.transaction_line_id").
		Joins("JOIN transactions t ON t.id = l.transaction_id").
		Joins("JOIN merchants m ON m.id = t.merchant_id").
		Joins("JOIN goods g ON g.id = l.goods_id").
		Where("cl.consolidation_id = ?", consolidationID)
	if actor.Role == models.RoleMerchant {
		q = q.Where("t.merchant_id = ?", actor.MerchantID)
	}
	if err := q.Order("l.id").Scan(&out.Lines).Error; err != nil {
		return nil, apperr.Wrap(err, "load consolidated lines")
	}
	return out, nil
}
