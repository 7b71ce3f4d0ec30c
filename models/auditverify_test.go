package models_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
)

// auditLog appends n chained entries, one a minute from 23:57 UTC so they span two days.
func auditLog(t *testing.T, db *gorm.DB, n int) []models.AuditEntry {
	t.Helper()
	at := time.Date(2026, 11, 28, 23, 57, 0, 0, time.UTC)
	u := models.User{Username: "officer", PasswordHash: "x", Role: models.RoleAdmin, Version: 1, CreatedAt: at, UpdatedAt: at}
	if err := db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	for i := range n {
		actor := u.ID
		err := db.Transaction(func(tx *gorm.DB) error {
			return models.AppendAudit(tx, at.Add(time.Duration(i)*time.Minute), models.AuditRecord{
				ActorUserID: &actor, ActorRole: "admin", RequestID: fmt.Sprintf("req-%d", i), Entity: "setting",
				EntityID: fmt.Sprintf("key-%d", i), Action: "update", Old: map[string]int{"v": i}, New: map[string]int{"v": i + 1}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var out []models.AuditEntry
	if err := db.Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

// allowTampering removes the append-only triggers, as an attacker with database access would.
func allowTampering(t *testing.T, db *gorm.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_entries_no_update", "DROP TRIGGER audit_entries_no_delete"}
	if db.Dialector.Name() == "postgres" {
		stmts = []string{"ALTER TABLE audit_entries DISABLE TRIGGER USER"}
	}
	for _, s := range stmts {
		if err := db.Exec(s).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func verify(t *testing.T, db *gorm.DB, known []models.AuditCheckpoint) *models.AuditVerification {
	t.Helper()
	v, err := models.VerifyAudit(context.Background(), db, known, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVerifyAuditIntactChain: an untouched log verifies, with one checkpoint per UTC day.
func TestVerifyAuditIntactChain(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		entries := auditLog(t, db, 6)
		v := verify(t, db, nil)
		if !v.OK() || v.Entries != 6 || v.LastHash != entries[5].Hash {
			t.Fatalf("verification %+v, break %v", v, v.Break)
		}
		want := []models.AuditCheckpoint{
			{Day: "2026-11-28", LastID: entries[2].ID, Hash: entries[2].Hash, Entries: 3},
			{Day: "2026-11-29", LastID: entries[5].ID, Hash: entries[5].Hash, Entries: 6},
		}
		if fmt.Sprint(v.Checkpoints) != fmt.Sprint(want) {
			t.Fatalf("checkpoints %+v, want %+v", v.Checkpoints, want)
		}
		if v := verify(t, db, want); !v.OK() {
			t.Fatalf("own checkpoints do not verify: %v", v.Break)
		}
	})
}

// TestVerifyAuditNamesTheBrokenEntry: changing any stored field of an entry, deleting one, or
// swapping two is detected, and the first broken entry is named.
func TestVerifyAuditNamesTheBrokenEntry(t *testing.T) {
	columns := map[string]any{
		"at": time.Date(2026, 11, 29, 0, 0, 30, 0, time.UTC), "actor_user_id": nil, "actor_role": "auditor",
		"request_id": "forged", "entity": "merchant", "entity_id": "99", "action": "delete",
		"old_json": `{"v":100}`, "new_json": `{"v":0}`, "prev_hash": "00", "hash": "ff",
	}
	for col, val := range columns {
		t.Run("ErrChanged_"+col, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
				entries := auditLog(t, db, 5)
				allowTampering(t, db)
				if err := db.Model(&models.AuditEntry{}).Where("id = ?", entries[2].ID).Update(col, val).Error; err != nil {
					t.Fatal(err)
				}
				v := verify(t, db, nil)
				if v.OK() || v.Break.EntryID != entries[2].ID || v.Break.Position != 3 {
					t.Fatalf("break %+v, want entry %d at position 3", v.Break, entries[2].ID)
				}
			})
		})
	}
	t.Run("ErrDeleted", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
			entries := auditLog(t, db, 5)
			allowTampering(t, db)
			if err := db.Delete(&models.AuditEntry{}, entries[1].ID).Error; err != nil {
				t.Fatal(err)
			}
			v := verify(t, db, nil)
			if v.OK() || v.Break.EntryID != entries[2].ID || v.Break.Problem != models.AuditBadLink ||
				v.Break.Expected != entries[0].Hash || v.Break.Found != entries[1].Hash {
				t.Fatalf("break %+v", v.Break)
			}
		})
	})
	t.Run("ErrReordered", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
			entries := auditLog(t, db, 5)
			allowTampering(t, db)
			swap := func(dst int64, src models.AuditEntry) {
				err := db.Model(&models.AuditEntry{}).Where("id = ?", dst).Updates(map[string]any{
					"at": src.At, "actor_user_id": src.ActorUserID, "request_id": src.RequestID, "entity_id": src.EntityID,
					"old_json": src.OldJSON, "new_json": src.NewJSON, "prev_hash": src.PrevHash, "hash": src.Hash}).Error
				if err != nil {
					t.Fatal(err)
				}
			}
			swap(entries[1].ID, entries[3])
			swap(entries[3].ID, entries[1])
			v := verify(t, db, nil)
			if v.OK() || v.Break.EntryID != entries[1].ID || v.Break.Problem != models.AuditBadLink {
				t.Fatalf("break %+v", v.Break)
			}
		})
	})
	t.Run("ErrTailCutOffAgainstCheckpoint", func(t *testing.T) {
		dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
			entries := auditLog(t, db, 5)
			kept := verify(t, db, nil).Checkpoints
			allowTampering(t, db)
			if err := db.Delete(&models.AuditEntry{}, entries[4].ID).Error; err != nil {
				t.Fatal(err)
			}
			if v := verify(t, db, nil); !v.OK() {
				t.Fatalf("without checkpoints a cut tail cannot be seen, got %v", v.Break)
			}
			v := verify(t, db, kept)
			if v.OK() || v.Break.EntryID != entries[4].ID || v.Break.Problem != models.AuditBadCheckpoint {
				t.Fatalf("break %+v", v.Break)
			}
		})
	})
}

// BenchmarkVerifyAudit measures the walk over the chain (issue 7: 1,000,000 entries in under
// 30 s). The chain is built with the real hash and written in one transaction; its size is
// MPT_BENCH_AUDIT_ENTRIES (default 20,000):
//
//	MPT_BENCH_AUDIT_ENTRIES=1000000 go test ./models/ -run '^$' -bench BenchmarkVerifyAudit -benchtime 1x
func BenchmarkVerifyAudit(b *testing.B) {
	n := 20_000
	if v := os.Getenv("MPT_BENCH_AUDIT_ENTRIES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("MPT_BENCH_AUDIT_ENTRIES=%q", v)
		}
	}
	db := dbtest.Open(b, "sqlite")
	at := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	start := time.Now()
	err := db.Transaction(func(tx *gorm.DB) error {
		prev := ""
		batch := make([]models.AuditEntry, 0, 1000)
		for i := range n {
			e := models.AuditEntry{At: at.Add(time.Duration(i) * time.Second), ActorRole: "merchant", RequestID: fmt.Sprintf("req-%d", i),
				Entity: "transaction_line", EntityID: strconv.Itoa(i), Action: "create",
				NewJSON: fmt.Sprintf(`{"amount":"120.00","qty":%d,"trace_code":"YW%08d"}`, i, i), PrevHash: prev}
			e.Hash = models.AuditHash(&e)
			prev = e.Hash
			batch = append(batch, e)
			if len(batch) == cap(batch) || i == n-1 {
				if err := tx.CreateInBatches(&batch, 200).Error; err != nil {
					return err
				}
				batch = batch[:0]
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d chained entries written in %s", n, time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for range b.N {
		v, err := models.VerifyAudit(context.Background(), db, nil, nil)
		if err != nil || !v.OK() || v.Entries != int64(n) {
			b.Fatalf("%v %+v", err, v)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/verify")
}

// TestAuditChainStaysLinearUnderConcurrentWriters: writers appending at the same time in their
// own transactions still leave one unbroken chain (the write lock on SQLite, the advisory lock
// on PostgreSQL).
func TestAuditChainStaysLinearUnderConcurrentWriters(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		const writers, each = 8, 15
		at := time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)
		errs := make(chan error, writers)
		for w := range writers {
			go func() {
				for i := range each {
					err := db.Transaction(func(tx *gorm.DB) error {
						return models.AppendAudit(tx, at, models.AuditRecord{ActorRole: "agent", Entity: "declaration",
							EntityID: fmt.Sprintf("%d-%d", w, i), Action: "submit"})
					})
					if err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range writers {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		v := verify(t, db, nil)
		if !v.OK() || v.Entries != writers*each {
			t.Fatalf("%d entries, break %v", v.Entries, v.Break)
		}
		var forks int64
		db.Model(&models.AuditEntry{}).Select("COUNT(*) - COUNT(DISTINCT prev_hash)").Scan(&forks)
		if forks != 0 {
			t.Fatalf("%d entries share a previous hash", forks)
		}
	})
}
