package models

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"
)

// WriteWait is how long a write transaction waits for its turn, in the write gate and then in
// SQLite's busy handler (the _busy_timeout of Open).
const WriteWait = 10 * time.Second

// ErrWriteBusy is returned when a write transaction did not get its turn within WriteWait.
// Its text is the one SQLite gives, so IsBusy and the handlers treat both alike (503, retry).
var ErrWriteBusy = errors.New("database is locked: waited too long for the write turn")

// writeGate queues the write transactions of one process on one SQLite database.
//
// SQLite takes one writer at a time. Without a gate, a writer that finds the database locked
// sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms at a time) and retries, so who gets
// the lock next is luck: a writer that has waited longest has no precedence over one that just
// arrived, and may wait out the whole busy timeout. Writers queued on a Go channel go in arrival
// order, each the moment the previous one ends, and give up after WriteWait. (The day's
// throughput did not change measurably: the writes are one at a time either way.) The busy
// handler still arbitrates with other processes on the same file (mpt backup, the command
// line).
type writeGate chan struct{}

var gates sync.Map // *sql.DB → writeGate

// registerWriteGate gives a SQLite pool its gate (Open).
func registerWriteGate(sqlDB *sql.DB) { gates.Store(sqlDB, make(writeGate, 1)) }

// WriteTx runs fn in a database transaction; on SQLite it first waits for the process's write
// turn (see writeGate), at most WriteWait, and gives ErrWriteBusy if the turn does not come.
// On a db that is itself a transaction fn runs nested in it (a savepoint), without waiting:
// the outer transaction has the turn. fn must not start a write transaction on another
// *gorm.DB of the same database: it would wait for its own turn.
func WriteTx(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	gate := gateOf(db)
	if _, nested := db.Statement.ConnPool.(gorm.TxCommitter); nested || gate == nil {
		return db.WithContext(ctx).Transaction(fn)
	}
	t := time.NewTimer(WriteWait)
	defer t.Stop()
	select {
	case gate <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ErrWriteBusy
	}
	defer func() { <-gate }()
	return db.WithContext(ctx).Transaction(fn)
}

func gateOf(db *gorm.DB) writeGate {
	if db.Dialector.Name() != "sqlite" {
		return nil
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil
	}
	g, _ := gates.Load(sqlDB)
	gate, _ := g.(writeGate)
	return gate
}
