package workflow

import (
	"context"

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

// routeDeclaration decides the lane of a declaration customs has just accepted, inside tx: it
// reads the active rule set and the declaration's risk facts, draws at random with a fresh seed,
// stores a models.CustomsDecision (rules hit, draw, seed, rule-set version, facts) and sets
// declarations.lane. It returns the stored decision.
//
// INTERIM: the routing engine replaces this body (workflow/routing*.go).
func (s *Service) routeDeclaration(ctx context.Context, tx *gorm.DB, actor Actor, d *models.Declaration) (*models.CustomsDecision, error) {
	_, _, _, _ = ctx, tx, actor, d
	return nil, apperr.New(apperr.Internal, apperr.T("Risk routing is not available yet", "风险布控尚不可用"))
}
