package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SettingDemoLoaded is set when `mpt demo` or a first start filled the database with demo data.
const SettingDemoLoaded = "demo.loaded_at"

// GetSetting returns a setting's value and whether it is set.
func GetSetting(ctx context.Context, db *gorm.DB, key string) (string, bool, error) {
	var s Setting
	err := db.WithContext(ctx).Where("key = ?", key).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, Translate(err, settingNoun)
	}
	return s.Value, true, nil
}

// InitSetting stores a setting only if it is not set yet, and reports whether it did.
func InitSetting(ctx context.Context, db *gorm.DB, key, value string, now time.Time) (bool, error) {
	res := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&Setting{Key: key, Value: value, UpdatedAt: now})
	if res.Error != nil {
		return false, Translate(res.Error, settingNoun)
	}
	return res.RowsAffected == 1, nil
}
