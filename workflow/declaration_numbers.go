package workflow

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// preEntrySeries names the number_sequences row of pre-entry numbers (预录入编号) of a customs
// office in a year: "pre_entry:<office>:<year>". Each year of each office restarts at 1.
func preEntrySeries(office string, year int) string {
	return fmt.Sprintf("pre_entry:%s:%04d", office, year)
}

// reservePreEntryNumbers hands out n consecutive pre-entry numbers of an office and year inside
// tx, in one update: 18 digits CCCC YYYY 0 NNNNNNNNN (DOMAIN §4, export flag 0). The row is
// locked by the update until the transaction ends, so concurrent generations never share one.
func reservePreEntryNumbers(tx *gorm.DB, office string, year, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	name := preEntrySeries(office, year)
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.NumberSequence{Name: name, Next: 1}).Error; err != nil {
		return nil, apperr.Wrap(err, "create pre-entry series")
	}
	if err := tx.Model(&models.NumberSequence{}).Where("name = ?", name).
		Update("next", gorm.Expr("next + ?", n)).Error; err != nil {
		return nil, apperr.Wrap(err, "advance pre-entry series")
	}
	var seq models.NumberSequence
	if err := tx.Where("name = ?", name).Take(&seq).Error; err != nil {
		return nil, apperr.Wrap(err, "read pre-entry series")
	}
	first := seq.Next - int64(n)
	out := make([]string, 0, n)
	for i := range int64(n) {
		no, err := FormatDeclarationNumber(office, year, true, first+i)
		if err != nil {
			return nil, err
		}
		out = append(out, no)
	}
	return out, nil
}
