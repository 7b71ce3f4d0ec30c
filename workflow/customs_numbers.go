package workflow

import (
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/workflow/apperr"
)

// entrySeries names the number_sequences row of customs entry numbers (海关编号) of a customs
// office in a year: "entry:<office>:<year>". Each year of each office restarts at 1.
func entrySeries(office string, year int) string {
	return fmt.Sprintf("entry:%s:%04d", office, year)
}

// reserveEntryNumber hands out the next customs entry number of an office and year inside tx:
// 18 digits CCCC YYYY 0 NNNNNNNNN (DOMAIN §4, export flag 0), from its own series. The update
// locks the row until the transaction ends, so two acceptances never share a number.
func reserveEntryNumber(tx *gorm.DB, office string, year int) (string, error) {
	name := entrySeries(office, year)
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&models.NumberSequence{Name: name, Next: 1}).Error; err != nil {
		return "", apperr.Wrap(err, "create entry series")
	}
	if err := tx.Model(&models.NumberSequence{}).Where("name = ?", name).
		Update("next", gorm.Expr("next + 1")).Error; err != nil {
		return "", apperr.Wrap(err, "advance entry series")
	}
	var seq models.NumberSequence
	if err := tx.Where("name = ?", name).Take(&seq).Error; err != nil {
		return "", apperr.Wrap(err, "read entry series")
	}
	return FormatDeclarationNumber(office, year, true, seq.Next-1)
}
