package models_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
)

// TestAuditLogIsAppendOnly: entries chain to the previous one, and the database refuses to
// change or delete an entry.
func TestAuditLogIsAppendOnly(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
		for i, action := range []string{"create", "update"} {
			err := db.Transaction(func(tx *gorm.DB) error {
				return models.AppendAudit(tx, at.Add(time.Duration(i)*time.Second), models.AuditRecord{
					ActorRole: "admin", Entity: "setting", EntityID: "declaration.cap_usd", Action: action,
					Old: map[string]string{"value": "1"}, New: map[string]string{"value": "2"}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var entries []models.AuditEntry
		if err := db.Order("id").Find(&entries).Error; err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || entries[0].PrevHash != "" || entries[1].PrevHash != entries[0].Hash {
			t.Fatalf("chain: %+v", entries)
		}
		for _, e := range entries {
			if models.AuditHash(&e) != e.Hash {
				t.Errorf("entry %d: stored hash does not match its content", e.ID)
			}
		}
		if err := db.Model(&models.AuditEntry{}).Where("id = ?", entries[0].ID).Update("action", "forged").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("update of an audit entry: %v", err)
		}
		if err := db.Where("id = ?", entries[1].ID).Delete(&models.AuditEntry{}).Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("delete of an audit entry: %v", err)
		}
		var n int64
		db.Model(&models.AuditEntry{}).Count(&n)
		if n != 2 {
			t.Errorf("%d entries left, want 2", n)
		}
	})
}
