package workflow

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"mpt/models"
)

// Kinds of risk rule (DOMAIN §7, step 1: rules on the declaration's data).
const (
	RuleHSPrefix        = "hs_prefix"        // an item's HS code starts with a watched prefix
	RuleUnitValue       = "unit_value"       // USD per legal unit outside [norm/factor, norm×factor] of the heading
	RuleKgPerCarton     = "kg_per_carton"    // gross kg per carton outside [norm/factor, norm×factor] of the heading
	RuleWatchedBuyer    = "watched_buyer"    // the buyer is on the customs watch list
	RuleWatchedMerchant = "watched_merchant" // a merchant of the declaration is on the customs watch list
	RuleCreditClass     = "credit_class"     // a merchant or the agent is in one of the listed credit classes
	RuleNewMerchant     = "new_merchant"     // a merchant approved fewer than days before the decision
	RuleBuyerBurst      = "buyer_burst"      // count declarations of the buyer, each under max_usd, within hours
	RulePackingMismatch = "packing_mismatch" // packing-list cartons or gross kg differ from the declaration by more than percent
)

// RuleKinds lists the rule kinds in the order the help text shows them.
var RuleKinds = []string{RuleHSPrefix, RuleUnitValue, RuleKgPerCarton, RuleWatchedBuyer, RuleWatchedMerchant,
	RuleCreditClass, RuleNewMerchant, RuleBuyerBurst, RulePackingMismatch}

// Lanes lists the customs lanes from the least to the most severe.
var Lanes = []string{LaneGreen, LaneBlue, LaneYellow, LaneRed}

// laneSeverity orders the lanes: red > yellow > blue > green.
func laneSeverity(lane string) int {
	switch lane {
	case LaneRed:
		return 3
	case LaneYellow:
		return 2
	case LaneBlue:
		return 1
	}
	return 0
}

// MoreSevere returns the more severe of two lanes (red > yellow > blue > green).
func MoreSevere(a, b string) string {
	if laneSeverity(b) > laneSeverity(a) {
		return b
	}
	if a == "" {
		return LaneGreen
	}
	return a
}

// RuleSet is one version of the routing rules: the rules on the declaration's data, the minimum
// random rate of each lane in per mille, and the norms of HS headings that the unit-value and
// kg-per-carton rules compare against. It is stored as risk_rule_sets.rules_json
// ({"rules": [...], "norms": {...}}) and min_rates_json ({"red": 20, "yellow": 30, "blue": 20}).
type RuleSet struct {
	Version  int               `json:"version"`
	Rules    []RiskRule        `json:"rules"`
	MinRates map[string]int    `json:"min_rates"` // lane (red, yellow, blue) → per mille drawn at random
	Norms    map[string]HSNorm `json:"norms"`     // HS heading (4 digits) → norm
}

// RiskRule is one rule of a rule set. Kind says which parameters it reads:
//
//	hs_prefix         prefixes: HS code prefixes, 2 to 10 digits
//	unit_value        factor (> 1): hit when USD per legal unit < norm/factor or > norm×factor
//	kg_per_carton     factor (> 1): hit when gross kg per carton < norm/factor or > norm×factor
//	watched_buyer     (none)
//	watched_merchant  (none)
//	credit_class      classes: e.g. ["C"]; hit when a merchant or the agent is in one
//	new_merchant      days: hit when a merchant was approved fewer than days before the decision
//	buyer_burst       count, max_usd, hours: hit when at least count declarations of the buyer,
//	                  each under max_usd, were submitted in the hours before the decision
//	packing_mismatch  percent: hit when packed cartons or gross kg differ from the declared ones
//	                  by more than percent of the declared figure
type RiskRule struct {
	Code     string   `json:"code"`
	Kind     string   `json:"kind"`
	Lane     string   `json:"lane"`
	NameEn   string   `json:"name_en"`
	NameZh   string   `json:"name_zh"`
	Prefixes []string `json:"prefixes,omitempty"`
	Factor   Decimal  `json:"factor,omitempty"`
	Classes  []string `json:"classes,omitempty"`
	Days     int      `json:"days,omitempty"`
	Count    int      `json:"count,omitempty"`
	MaxUSD   Decimal  `json:"max_usd,omitempty"`
	Hours    int      `json:"hours,omitempty"`
	Percent  Decimal  `json:"percent,omitempty"`
}

// Name is the rule's name in a language ("zh…" or English).
func (r RiskRule) Name(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "zh") && r.NameZh != "" {
		return r.NameZh
	}
	return r.NameEn
}

// HSNorm is what customs expects of goods of one HS heading: the value in USD per legal unit
// and the gross kilograms per carton. Either may be left empty when customs has no norm. Unit is
// the customs unit code the value is per (e.g. 007 个, 035 千克): an item declared in another
// legal unit is not compared, since a price per piece says nothing about a price per kilogram.
type HSNorm struct {
	Unit         string  `json:"unit,omitempty"`
	UnitValueUSD Decimal `json:"unit_value_usd,omitempty"`
	KgPerCarton  Decimal `json:"kg_per_carton,omitempty"`
}

// RiskFacts is everything the rules read about one declaration, gathered when it is routed and
// stored with the decision (customs_decisions.facts_json) so that a replay reads the same facts.
// Amounts are fixed-point integers; their JSON names carry the unit.
type RiskFacts struct {
	DeclarationID     int64                  `json:"declaration_id"`
	DecidedAt         time.Time              `json:"decided_at"`
	Items             []RiskItem             `json:"items"`
	Merchants         []RiskMerchant         `json:"merchants"`
	AgentID           int64                  `json:"agent_id"`
	AgentCreditClass  string                 `json:"agent_credit_class"`
	BuyerID           int64                  `json:"buyer_id"`
	BuyerWatchListed  bool                   `json:"buyer_watch_listed"`
	BuyerDeclarations []RiskBuyerDeclaration `json:"buyer_declarations"` // submitted in the look-back window up to DecidedAt, this one included
	DeclaredCartons   int64                  `json:"declared_cartons"`
	DeclaredGross     models.Grams           `json:"declared_gross_grams"`
	PackedCartons     int64                  `json:"packed_cartons"` // packing lines of the declaration's transaction lines
	PackedGross       models.Grams           `json:"packed_gross_grams"`
}

// RiskItem is one declaration item as the rules see it.
type RiskItem struct {
	No         int             `json:"no"`
	HSCode     string          `json:"hs_code"`
	LegalUnit  string          `json:"legal_unit"`
	LegalQty   models.Quantity `json:"legal_qty_milli"`
	ValueUSD   models.Money    `json:"value_usd_cents"`
	Cartons    int64           `json:"cartons"` // of the transaction lines it holds
	GrossGrams models.Grams    `json:"gross_grams"`
}

// RiskMerchant is a merchant whose lines the declaration holds.
type RiskMerchant struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	WatchListed bool       `json:"watch_listed"`
	CreditClass string     `json:"credit_class"`
	ApprovedAt  *time.Time `json:"approved_at"`
}

// RiskBuyerDeclaration is a recent declaration of the same buyer.
type RiskBuyerDeclaration struct {
	ID          int64        `json:"id"`
	SubmittedAt time.Time    `json:"submitted_at"`
	ValueUSD    models.Money `json:"value_usd_cents"`
}

// RuleHit is a rule that matched, with what matched in a short language-neutral detail.
type RuleHit struct {
	Code   string `json:"code"`
	Lane   string `json:"lane"`
	Detail string `json:"detail"`
}

// Routing is the outcome of Route.
type Routing struct {
	Lane       string    `json:"lane"`        // the more severe of RuleLane and RandomLane
	RuleLane   string    `json:"rule_lane"`   // the most severe lane of the rules hit (green for none)
	RandomLane string    `json:"random_lane"` // the lane of the random draw
	Hits       []RuleHit `json:"hits"`
	Draw       int64     `json:"draw"` // per million, in [0, 1,000,000)
}

// routingStream is the PCG stream of the routing draw ("mpt-rout"): fixed, so that a seed alone
// reproduces the draw.
const routingStream = 0x6d70742d726f7574

// RoutingDraw is the random draw of a seed, per million, in [0, 1,000,000).
func RoutingDraw(seed int64) int64 {
	return rand.New(rand.NewPCG(uint64(seed), routingStream)).Int64N(1_000_000)
}

// RandomLane maps a draw (per million) to a lane by the per-mille minimum rates: red below
// red‰, yellow below red‰+yellow‰, blue below red‰+yellow‰+blue‰, green otherwise
// (DOMAIN §7, step 2: random selection at a configured minimum rate per lane).
func RandomLane(minRates map[string]int, draw int64) string {
	edge := int64(0)
	for _, lane := range []string{LaneRed, LaneYellow, LaneBlue} {
		edge += int64(minRates[lane]) * 1000
		if draw < edge {
			return lane
		}
	}
	return LaneGreen
}

// Route decides a declaration's lane (DOMAIN §7): every rule is evaluated on the facts and each
// hit recorded; the rule lane is the most severe lane hit; the seed's draw gives the random
// lane; the declaration takes the more severe of the two (green when neither selects it). The
// result depends only on its arguments, so a stored decision replays to the same lane.
func Route(rs RuleSet, f RiskFacts, seed int64) Routing {
	out := Routing{RuleLane: LaneGreen, Hits: []RuleHit{}}
	for _, r := range rs.Rules {
		if detail, hit := evalRule(r, rs.Norms, f); hit {
			out.Hits = append(out.Hits, RuleHit{Code: r.Code, Lane: r.Lane, Detail: detail})
			out.RuleLane = MoreSevere(out.RuleLane, r.Lane)
		}
	}
	out.Draw = RoutingDraw(seed)
	out.RandomLane = RandomLane(rs.MinRates, out.Draw)
	out.Lane = MoreSevere(out.RuleLane, out.RandomLane)
	return out
}

// evalRule reports whether one rule hits, with what matched. A rule whose parameters do not
// parse never hits (RuleSet.Check refuses such rule sets before they are stored).
func evalRule(r RiskRule, norms map[string]HSNorm, f RiskFacts) (string, bool) {
	var found []string
	switch r.Kind {
	case RuleHSPrefix:
		for _, it := range f.Items {
			for _, p := range r.Prefixes {
				if p != "" && strings.HasPrefix(it.HSCode, p) {
					found = append(found, fmt.Sprintf("#%d %s ~ %s", it.No, it.HSCode, p))
					break
				}
			}
		}
	case RuleUnitValue, RuleKgPerCarton:
		factor, ok := parseDecimal(r.Factor)
		if !ok || factor.Sign() <= 0 {
			return "", false
		}
		bounds := map[string]*normBounds{}
		for _, it := range f.Items {
			if len(it.HSCode) < 4 {
				continue
			}
			heading := it.HSCode[:4]
			b, seen := bounds[heading]
			if !seen {
				n := norms[heading].UnitValueUSD
				if r.Kind == RuleKgPerCarton {
					n = norms[heading].KgPerCarton
				}
				b = newNormBounds(n, factor)
				bounds[heading] = b
			}
			if b == nil {
				continue
			}
			if r.Kind == RuleUnitValue && it.LegalQty > 0 && (norms[heading].Unit == "" || norms[heading].Unit == it.LegalUnit) {
				// USD per legal unit = (cents/100) / (qty/1000).
				v := new(big.Rat).SetFrac64(int64(it.ValueUSD)*10, int64(it.LegalQty))
				if b.outside(v) {
					found = append(found, fmt.Sprintf("#%d %s USD %s/%s, norm %s ×÷ %s", it.No, it.HSCode,
						v.FloatString(4), it.LegalUnit, b.norm.FloatString(4), r.Factor))
				}
			}
			if r.Kind == RuleKgPerCarton && it.Cartons > 0 {
				v := new(big.Rat).SetFrac64(int64(it.GrossGrams), it.Cartons*1000)
				if b.outside(v) {
					found = append(found, fmt.Sprintf("#%d %s %s kg/ctn, norm %s ×÷ %s", it.No, it.HSCode,
						v.FloatString(3), b.norm.FloatString(3), r.Factor))
				}
			}
		}
	case RuleWatchedBuyer:
		if f.BuyerWatchListed {
			found = append(found, fmt.Sprintf("buyer %d", f.BuyerID))
		}
	case RuleWatchedMerchant:
		for _, m := range f.Merchants {
			if m.WatchListed {
				found = append(found, fmt.Sprintf("merchant %d", m.ID))
			}
		}
	case RuleCreditClass:
		for _, m := range f.Merchants {
			if slices.Contains(r.Classes, m.CreditClass) {
				found = append(found, fmt.Sprintf("merchant %d: %s", m.ID, m.CreditClass))
			}
		}
		if slices.Contains(r.Classes, f.AgentCreditClass) {
			found = append(found, fmt.Sprintf("agent %d: %s", f.AgentID, f.AgentCreditClass))
		}
	case RuleNewMerchant:
		if r.Days <= 0 {
			return "", false
		}
		for _, m := range f.Merchants {
			if m.ApprovedAt != nil && f.DecidedAt.Sub(*m.ApprovedAt) < time.Duration(r.Days)*24*time.Hour {
				found = append(found, fmt.Sprintf("merchant %d approved %s", m.ID, m.ApprovedAt.UTC().Format("2006-01-02")))
			}
		}
	case RuleBuyerBurst:
		maxUSD, ok := parseMoney(r.MaxUSD)
		if !ok || r.Count <= 0 || r.Hours <= 0 {
			return "", false
		}
		from := f.DecidedAt.Add(-time.Duration(r.Hours) * time.Hour)
		n := 0
		for _, d := range f.BuyerDeclarations {
			if !d.SubmittedAt.Before(from) && !d.SubmittedAt.After(f.DecidedAt) && d.ValueUSD < maxUSD {
				n++
			}
		}
		if n >= r.Count {
			found = append(found, fmt.Sprintf("buyer %d: %d declarations < USD %s in %d h", f.BuyerID, n, maxUSD, r.Hours))
		}
	case RulePackingMismatch:
		pct, ok := parseDecimal(r.Percent)
		if !ok {
			return "", false
		}
		if differs(f.PackedCartons, f.DeclaredCartons, pct) {
			found = append(found, fmt.Sprintf("cartons packed %d, declared %d", f.PackedCartons, f.DeclaredCartons))
		}
		if differs(int64(f.PackedGross), int64(f.DeclaredGross), pct) {
			found = append(found, fmt.Sprintf("gross kg packed %s, declared %s", f.PackedGross.Kg(), f.DeclaredGross.Kg()))
		}
	}
	return strings.Join(found, "; "), len(found) > 0
}

// normBounds is the range [norm/factor, norm×factor] of a heading; the bounds are inside.
type normBounds struct{ norm, low, high *big.Rat }

// newNormBounds is the range of a norm, nil when the heading has no such norm.
func newNormBounds(norm Decimal, factor *big.Rat) *normBounds {
	n, ok := parseDecimal(norm)
	if !ok || n.Sign() <= 0 {
		return nil
	}
	return &normBounds{norm: n, low: new(big.Rat).Quo(n, factor), high: new(big.Rat).Mul(n, factor)}
}

// outside reports whether v < norm/factor or v > norm×factor.
func (b *normBounds) outside(v *big.Rat) bool {
	return v.Cmp(b.low) < 0 || v.Cmp(b.high) > 0
}

// differs reports whether got differs from want by more than pct percent of want
// (|got − want| × 100 > pct × want); anything differs from a zero want except zero.
func differs(got, want int64, pct *big.Rat) bool {
	diff := got - want
	if diff < 0 {
		diff = -diff
	}
	lhs := new(big.Rat).SetInt64(diff * 100)
	rhs := new(big.Rat).Mul(pct, new(big.Rat).SetInt64(want))
	return lhs.Cmp(rhs) > 0
}

// parseDecimal parses a plain non-negative decimal ("5", "2.5"): no sign, exponent or fraction bar.
func parseDecimal(d Decimal) (*big.Rat, bool) {
	s := string(d)
	if s == "" || strings.Count(s, ".") > 1 || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") {
		return nil, false
	}
	for _, c := range s {
		if c != '.' && (c < '0' || c > '9') {
			return nil, false
		}
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// parseMoney parses a plain decimal into money (at most two decimals).
func parseMoney(d Decimal) (models.Money, bool) {
	if _, ok := parseDecimal(d); !ok {
		return 0, false
	}
	m, err := models.ParseMoney(string(d))
	return m, err == nil
}
