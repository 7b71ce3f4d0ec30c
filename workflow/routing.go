package workflow

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/json"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Customs lanes (DOMAIN §7).
const (
	LaneGreen  = "green"  // release
	LaneYellow = "yellow" // document check
	LaneRed    = "red"    // physical inspection at the consolidation site
	LaneBlue   = "blue"   // release, then post-clearance audit
)

// EventRouted is the declaration event of a routing decision; its reason code is the lane.
const EventRouted = "routed"

// routedDetail is the detail of a "routed" event.
type routedDetail struct {
	Version int       `json:"version"`
	Lane    string    `json:"lane"`
	Hits    []RuleHit `json:"hits"`
	Draw    int64     `json:"draw"`
}

// routeDeclaration decides the lane of a declaration customs has just accepted, inside tx: it
// reads the active rule set and the declaration's risk facts, draws at random with a fresh seed
// from crypto/rand, stores a models.CustomsDecision (rules hit, draw, seed, rule-set version,
// facts), sets declarations.lane (and d.Lane) and writes a "routed" declaration event. It writes
// no audit entry and leaves the status alone: the acceptance that calls it audits both.
func (s *Service) routeDeclaration(ctx context.Context, tx *gorm.DB, actor Actor, d *models.Declaration) (*models.CustomsDecision, error) {
	_ = ctx
	rs, err := activeRuleSet(tx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	facts, err := gatherRiskFacts(tx, d, now, rs.lookBack())
	if err != nil {
		return nil, err
	}
	seed, err := newRoutingSeed()
	if err != nil {
		return nil, err
	}
	// Route what is stored: the facts as they read back from their JSON, so a replay starts
	// from exactly what this decision used.
	factsJSON, err := json.Marshal(facts)
	if err != nil {
		return nil, apperr.Wrap(err, "encode facts")
	}
	var stored RiskFacts
	if err := json.Unmarshal(factsJSON, &stored); err != nil {
		return nil, apperr.Wrap(err, "decode facts")
	}
	r := Route(rs, stored, seed)
	hitsJSON, err := json.Marshal(r.Hits)
	if err != nil {
		return nil, apperr.Wrap(err, "encode hits")
	}
	dec := models.CustomsDecision{DeclarationID: d.ID, RuleSetVersion: rs.Version, Lane: r.Lane,
		RulesHitJSON: string(hitsJSON), Seed: seed, Draw: r.Draw, FactsJSON: string(factsJSON), DecidedAt: now}
	if actor.UserID != 0 {
		id := actor.UserID
		dec.OfficerUserID = &id
	}
	if err := tx.Create(&dec).Error; err != nil {
		return nil, apperr.Wrap(err, "insert customs decision")
	}
	if err := tx.Model(&models.Declaration{}).Where("id = ?", d.ID).Update("lane", r.Lane).Error; err != nil {
		return nil, apperr.Wrap(err, "set lane")
	}
	d.Lane = r.Lane
	if err := s.event(tx, actor, d.ID, EventRouted, r.Lane, routedDetail{Version: rs.Version, Lane: r.Lane, Hits: r.Hits, Draw: r.Draw}, now); err != nil {
		return nil, err
	}
	return &dec, nil
}

// newRoutingSeed is a non-negative seed from crypto/rand.
func newRoutingSeed() (int64, error) {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return 0, apperr.Wrap(err, "routing seed")
	}
	return int64(binary.BigEndian.Uint64(b[:]) >> 1), nil
}

// lookBack is how far back the buyer's declarations are gathered: the longest window of the
// buyer_burst rules (0 when there are none).
func (rs RuleSet) lookBack() time.Duration {
	h := 0
	for _, r := range rs.Rules {
		if r.Kind == RuleBuyerBurst && r.Hours > h {
			h = r.Hours
		}
	}
	return time.Duration(h) * time.Hour
}

// gatherRiskFacts reads what the rules need about a declaration, inside tx: its items with the
// cartons of the transaction lines they hold, the merchants of those lines, the agent, the buyer
// and the buyer's declarations submitted in the look-back window up to now, and the packing
// lines of its transaction lines.
func gatherRiskFacts(tx *gorm.DB, d *models.Declaration, now time.Time, lookBack time.Duration) (RiskFacts, error) {
	f := RiskFacts{DeclarationID: d.ID, DecidedAt: now, AgentID: d.AgentID, BuyerID: d.BuyerID,
		DeclaredCartons: d.Packages, DeclaredGross: d.GrossGrams,
		Items: []RiskItem{}, Merchants: []RiskMerchant{}, BuyerDeclarations: []RiskBuyerDeclaration{}}
	var items []models.DeclarationItem
	if err := tx.Where("declaration_id = ?", d.ID).Order("item_no").Find(&items).Error; err != nil {
		return f, apperr.Wrap(err, "load items")
	}
	var lines []struct {
		ItemID     int64
		Cartons    int64
		MerchantID int64
	}
	if err := tx.Raw(`SELECT dil.declaration_item_id AS item_id, tl.cartons AS cartons, t.merchant_id AS merchant_id
		FROM declaration_item_lines dil
		JOIN declaration_items di ON di.id = dil.declaration_item_id
		JOIN transaction_lines tl ON tl.id = dil.transaction_line_id
		JOIN transactions t ON t.id = tl.transaction_id
		WHERE di.declaration_id = ? ORDER BY dil.id`, d.ID).Scan(&lines).Error; err != nil {
		return f, apperr.Wrap(err, "load item lines")
	}
	cartons := map[int64]int64{}
	var merchantIDs []int64
	seen := map[int64]bool{}
	for _, l := range lines {
		cartons[l.ItemID] += l.Cartons
		if !seen[l.MerchantID] {
			seen[l.MerchantID] = true
			merchantIDs = append(merchantIDs, l.MerchantID)
		}
	}
	for _, it := range items {
		f.Items = append(f.Items, RiskItem{No: it.ItemNo, HSCode: it.HSCode, LegalUnit: it.LegalUnit, LegalQty: it.LegalQty,
			ValueUSD: it.TotalUSD, Cartons: cartons[it.ID], GrossGrams: it.GrossGrams})
	}
	if len(merchantIDs) > 0 {
		var ms []models.Merchant
		if err := tx.Where("id IN ?", merchantIDs).Order("id").Find(&ms).Error; err != nil {
			return f, apperr.Wrap(err, "load merchants")
		}
		for _, m := range ms {
			rm := RiskMerchant{ID: m.ID, Name: m.Name, WatchListed: m.WatchListed, CreditClass: m.CreditClass}
			if m.ApprovedAt != nil {
				t := m.ApprovedAt.UTC()
				rm.ApprovedAt = &t
			}
			f.Merchants = append(f.Merchants, rm)
		}
	}
	var agent models.Agent
	if err := tx.Select("id", "credit_class").Where("id = ?", d.AgentID).Take(&agent).Error; err != nil {
		return f, apperr.Wrap(err, "load agent")
	}
	f.AgentCreditClass = agent.CreditClass
	var buyer models.Buyer
	if err := tx.Select("id", "watch_listed").Where("id = ?", d.BuyerID).Take(&buyer).Error; err != nil {
		return f, apperr.Wrap(err, "load buyer")
	}
	f.BuyerWatchListed = buyer.WatchListed
	if lookBack > 0 {
		var recent []models.Declaration
		if err := tx.Select("id", "submitted_at", "total_usd").
			Where("buyer_id = ? AND submitted_at IS NOT NULL AND submitted_at >= ? AND submitted_at <= ?", d.BuyerID, now.Add(-lookBack), now).
			Order("submitted_at, id").Find(&recent).Error; err != nil {
			return f, apperr.Wrap(err, "load the buyer's declarations")
		}
		for _, r := range recent {
			f.BuyerDeclarations = append(f.BuyerDeclarations, RiskBuyerDeclaration{ID: r.ID, SubmittedAt: r.SubmittedAt.UTC(), ValueUSD: r.TotalUSD})
		}
	}
	var packed struct {
		Cartons int64
		Gross   int64
	}
	if err := tx.Raw(`SELECT COALESCE(SUM(pl.cartons), 0) AS cartons, COALESCE(SUM(pl.gross_grams), 0) AS gross
		FROM packing_lines pl WHERE pl.transaction_line_id IN (
			SELECT dil.transaction_line_id FROM declaration_item_lines dil
			JOIN declaration_items di ON di.id = dil.declaration_item_id WHERE di.declaration_id = ?)`, d.ID).Scan(&packed).Error; err != nil {
		return f, apperr.Wrap(err, "load packing totals")
	}
	f.PackedCartons, f.PackedGross = packed.Cartons, models.Grams(packed.Gross)
	return f, nil
}
