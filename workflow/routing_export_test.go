package workflow

import (
	"context"

	"gorm.io/gorm"

	"mpt/models"
)

// RouteForTest routes a declaration in a transaction of its own, as the customs desk's
// acceptance does inside its transaction; for this package's external tests only.
func (s *Service) RouteForTest(ctx context.Context, actor Actor, d *models.Declaration) (*models.CustomsDecision, error) {
	var dec *models.CustomsDecision
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		dec, err = s.routeDeclaration(ctx, tx, actor, d)
		return err
	})
	return dec, err
}
