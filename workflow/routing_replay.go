package workflow

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"mpt/models"
	"mpt/workflow/apperr"
)

// RoutingReplay is a declaration's routing decisions, each recomputed from what it stored
// (DOMAIN §7: an auditor replays a decision and gets the same lane).
type RoutingReplay struct {
	Declaration models.Declaration
	Decisions   []DecisionReplay // oldest first; a declaration resubmitted after rejection is routed again
}

// DecisionReplay is one stored decision and its recomputation.
type DecisionReplay struct {
	Decision   models.CustomsDecision
	Officer    string  // username of the officer who accepted the declaration
	RuleSet    RuleSet // the version the decision used
	Facts      RiskFacts
	StoredHits []RuleHit
	Replayed   Routing
	SameLane   bool
	SameHits   bool
	SameDraw   bool
	// Problem says why the decision could not be recomputed (its rule set or stored facts
	// cannot be read); such a decision does not match.
	Problem apperr.Text
}

// Match reports whether the recomputation gives the stored lane, hits and draw.
func (d DecisionReplay) Match() bool {
	return d.Problem.IsZero() && d.SameLane && d.SameHits && d.SameDraw
}

// RuleName is the name of a rule of the decision's rule set in a language (its code when unknown).
func (d DecisionReplay) RuleName(code, lang string) string {
	for _, r := range d.RuleSet.Rules {
		if r.Code == code {
			return r.Name(lang)
		}
	}
	return code
}

// Latest is the most recent decision, nil when the declaration was never routed.
func (r *RoutingReplay) Latest() *DecisionReplay {
	if len(r.Decisions) == 0 {
		return nil
	}
	return &r.Decisions[len(r.Decisions)-1]
}

// Match reports whether the declaration was routed and every decision replays to what it stored.
func (r *RoutingReplay) Match() bool {
	if len(r.Decisions) == 0 {
		return false
	}
	for _, d := range r.Decisions {
		if !d.Match() {
			return false
		}
	}
	return true
}

// ReplayRouting loads the routing decisions of a declaration with the rule-set version, facts and
// seed each stored, recomputes Route and reports whether the lane, hits and draw are the same.
// Customs, auditors and admins may replay; a declaration never routed has no decisions.
func (s *Service) ReplayRouting(ctx context.Context, actor Actor, declarationID int64) (*RoutingReplay, error) {
	if err := actor.Require(ActRiskRulesView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var d models.Declaration
	if err := declarationsScoped(db.Model(&models.Declaration{}), actor).Where("declarations.id = ?", declarationID).Take(&d).Error; err != nil {
		if noSuchRow(err) {
			return nil, errDeclarationNotFound()
		}
		return nil, apperr.Wrap(err, "load declaration")
	}
	return s.replay(ctx, d)
}

// ReplayRoutingByNumber is the replay of `mpt customs replay`, which whoever holds the database
// may run (like `mpt audit verify`): the declaration is named by its id, 18-digit pre-entry
// number or 18-digit customs entry number.
func (s *Service) ReplayRoutingByNumber(ctx context.Context, ref string) (*RoutingReplay, error) {
	ref = strings.TrimSpace(ref)
	db := s.db.WithContext(ctx)
	var ds []models.Declaration
	q := db.Where("pre_entry_no = ? OR entry_no = ?", ref, ref)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && len(ref) < 18 {
		q = db.Where("id = ?", id)
	}
	if err := q.Limit(2).Find(&ds).Error; err != nil {
		return nil, apperr.Wrap(err, "find declaration")
	}
	if len(ds) != 1 {
		return nil, errDeclarationNotFound()
	}
	return s.replay(ctx, ds[0])
}

// replay recomputes every stored decision of a declaration.
func (s *Service) replay(ctx context.Context, d models.Declaration) (*RoutingReplay, error) {
	db := s.db.WithContext(ctx)
	var rows []models.CustomsDecision
	if err := db.Where("declaration_id = ?", d.ID).Order("decided_at, id").Find(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "load decisions")
	}
	out, err := namedBy(ctx, s, rows, func(r models.CustomsDecision) *int64 { return r.OfficerUserID },
		func(r models.CustomsDecision, name string) DecisionReplay {
			return DecisionReplay{Decision: r, Officer: name}
		})
	if err != nil {
		return nil, err
	}
	sets := map[int]RuleSet{}
	for i := range out {
		dr := &out[i]
		rs, ok := sets[dr.Decision.RuleSetVersion]
		if !ok {
			_, loaded, err := ruleSetByVersion(db, dr.Decision.RuleSetVersion)
			if err != nil && !apperr.Is(err, apperr.NotFound) {
				return nil, err
			}
			if err != nil {
				dr.Problem = apperr.Tf("Rule set version %d is missing", "缺少第 %d 版规则集", dr.Decision.RuleSetVersion)
				continue
			}
			rs, sets[dr.Decision.RuleSetVersion] = loaded, loaded
		}
		dr.RuleSet = rs
		if err := json.Unmarshal([]byte(dr.Decision.FactsJSON), &dr.Facts); err != nil {
			dr.Problem = apperr.T("The stored facts cannot be read", "存储的布控事实无法读取")
			continue
		}
		if err := json.Unmarshal([]byte(dr.Decision.RulesHitJSON), &dr.StoredHits); err != nil {
			dr.Problem = apperr.T("The stored rules hit cannot be read", "存储的命中规则无法读取")
			continue
		}
		if dr.StoredHits == nil {
			dr.StoredHits = []RuleHit{}
		}
		dr.Replayed = Route(rs, dr.Facts, dr.Decision.Seed)
		dr.SameLane = dr.Replayed.Lane == dr.Decision.Lane
		dr.SameHits = slices.Equal(dr.Replayed.Hits, dr.StoredHits)
		dr.SameDraw = dr.Replayed.Draw == dr.Decision.Draw
	}
	return &RoutingReplay{Declaration: d, Decisions: out}, nil
}
