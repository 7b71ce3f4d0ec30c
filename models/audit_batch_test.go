package models_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
)

// TestAppendAuditsChains: entries appended in a batch chain to the entry before them and to each
// other, in id order, exactly as one-by-one appends would, and single appends after the batch
// chain on; the whole log verifies.
func TestAppendAuditsChains(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
		rec := func(i int) models.AuditRecord {
			return models.AuditRecord{ActorRole: "agent", Entity: "transaction", EntityID: strconv.Itoa(i),
				Action: "ingest", New: map[string]any{"number": i, "lines": []string{"a", "b"}}}
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := models.AppendAudit(tx, at, rec(0)); err != nil {
				return err
			}
			recs := make([]models.AuditRecord, 1203) // more than two INSERT batches
			for i := range recs {
				recs[i] = rec(i + 1)
			}
			if err := models.AppendAudits(tx, at, recs); err != nil {
				return err
			}
			if err := models.AppendAudits(tx, at, nil); err != nil {
				return err
			}
			return models.AppendAudit(tx, at.Add(time.Second), rec(1204))
		})
		if err != nil {
			t.Fatal(err)
		}
		var entries []models.AuditEntry
		if err := db.Order("id").Find(&entries).Error; err != nil {
			t.Fatal(err)
		}
		var mine []models.AuditEntry
		for _, e := range entries {
			if e.Action == "ingest" {
				mine = append(mine, e)
			}
		}
		if len(mine) != 1205 {
			t.Fatalf("%d entries, want 1205", len(mine))
		}
		for i, e := range mine {
			if e.EntityID != strconv.Itoa(i) {
				t.Fatalf("entry %d is about %s: the batch's order was not kept", i, e.EntityID)
			}
		}
		v, err := models.VerifyAudit(context.Background(), db, nil, nil)
		if err != nil || !v.OK() {
			t.Fatalf("verify: %v %+v", err, v.Break)
		}
	})
}
