package models_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
)

// TestWriteTxTakesTurns: on SQLite, write transactions of one process run one at a time in the
// write gate, every one of many concurrent writers commits (none waits in SQLite's busy
// handler past its timeout), a transaction nested in one that has the turn runs at once, and
// a writer whose context ends while it waits gives up without writing.
func TestWriteTxTakesTurns(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				errs <- models.WriteTx(ctx, db, func(tx *gorm.DB) error {
					n := inside.Add(1)
					defer inside.Add(-1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(time.Millisecond)
					return tx.Create(&models.Setting{Key: "gate." + string(rune('a'+w)) + string(rune('a'+i)), Value: "1", UpdatedAt: time.Now()}).Error
				})
			}
		}()
	}
	go func() { wg.Wait(); close(errs) }()
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	if err := db.Model(&models.Setting{}).Where("key LIKE ?", "gate.%").Count(&n).Error; err != nil || n != 160 {
		t.Fatalf("rows %d, %v; want 160", n, err)
	}
	if most.Load() != 1 {
		t.Errorf("%d write transactions ran at once; want 1", most.Load())
	}

	err := models.WriteTx(ctx, db, func(tx *gorm.DB) error {
		return models.WriteTx(ctx, tx, func(tx *gorm.DB) error {
			return tx.Create(&models.Setting{Key: "gate.nested", Value: "1", UpdatedAt: time.Now()}).Error
		})
	})
	if err != nil {
		t.Fatalf("nested: %v", err)
	}

	holding, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = models.WriteTx(ctx, db, func(*gorm.DB) error { close(holding); <-release; return nil })
	}()
	<-holding
	waitCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = models.WriteTx(waitCtx, db, func(tx *gorm.DB) error {
		return tx.Create(&models.Setting{Key: "gate.late", Value: "1", UpdatedAt: time.Now()}).Error
	})
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the context: %v, want the context's error", err)
	}
	if err := db.Where("key = ?", "gate.late").Take(&models.Setting{}).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
		t.Errorf("the writer that gave up wrote: %v", err)
	}
}
