package models

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"runtime"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"mpt/migrations"
)

// IsPostgresDSN reports whether a database setting selects PostgreSQL rather than a SQLite file.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to the database a DSN names: a postgres:// URL selects PostgreSQL, anything
// else is the path of a SQLite file (created when missing).
func Open(ctx context.Context, dsn string, log *slog.Logger) (*gorm.DB, error) {
	cfg := &gorm.Config{
		// Errors and statements slower than SlowSQL are logged; lazySQLLog keeps GORM from
		// rendering the SQL of every other statement only to drop it.
		Logger: lazySQLLog{logger.NewSlogLogger(log, logger.Config{
			SlowThreshold:             SlowSQL,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
		})},
		NowFunc:                func() time.Time { return time.Now().UTC() },
		SkipDefaultTransaction: true, // writes that need a transaction open one in workflow/models
		PrepareStmt:            false,
	}
	var (
		db  *gorm.DB
		err error
	)
	if IsPostgresDSN(dsn) {
		db, err = gorm.Open(postgres.Open(dsn), cfg)
	} else {
		// PrepareStmt stays off: GORM's cache of prepared statements made list pages and
		// traces slower under 50 concurrent readers (697 against 881 requests/s), although
		// compiling statements is a tenth of their CPU.
		db, err = gorm.Open(sqlite.Open(sqliteDSN(dsn)), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if IsPostgresDSN(dsn) {
		// PostgreSQL handles concurrency itself; a pool of a few connections per core keeps
		// latency low without crowding the server's max_connections when instances scale out.
		sqlDB.SetMaxOpenConns(4 * runtime.NumCPU())
		sqlDB.SetMaxIdleConns(2 * runtime.NumCPU())
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// SQLite in WAL mode has many readers and one writer. Several connections let page reads
		// run while a write commits; write transactions queue in the write gate (WriteTx) and
		// then, against other processes, on the busy timeout, and every transaction
		// starts with BEGIN IMMEDIATE (_txlock) so two writers never deadlock upgrading a read
		// lock. More connections than this only add lock contention on 2 cores.
		sqlDB.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))
		sqlDB.SetMaxIdleConns(max(4, 2*runtime.NumCPU()))
		sqlDB.SetConnMaxIdleTime(0)
		registerWriteGate(sqlDB)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return db, nil
}

// sqliteDSN turns a file path into a go-sqlite3 DSN with the pragmas mpt relies on: WAL,
// foreign keys, a busy timeout, immediate write transactions, and NORMAL sync (safe in WAL:
// a power cut may lose the last commits but never corrupts the file).
func sqliteDSN(path string) string {
	if strings.HasPrefix(path, "file:") {
		return path
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	return "file:" + path + "?" + q.Encode()
}

// Dialect names the migrations folder for a connection.
func Dialect(db *gorm.DB) string {
	if db.Dialector.Name() == "postgres" {
		return migrations.Postgres
	}
	return migrations.SQLite
}

// Migrate applies the pending migrations and returns how many it applied.
func Migrate(ctx context.Context, db *gorm.DB) (int, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return 0, err
	}
	applied, err := migrations.Apply(ctx, sqlDB, Dialect(db), func() time.Time { return time.Now().UTC() })
	return len(applied), err
}

// PendingMigrations lists the migrations not yet applied.
func PendingMigrations(ctx context.Context, db *gorm.DB) ([]migrations.Migration, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	return migrations.Pending(ctx, sqlDB, Dialect(db))
}

// Ping checks that the database answers, for /readyz.
func Ping(ctx context.Context, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// Close releases the connection pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	gates.Delete(sqlDB)
	return sqlDB.Close()
}

// Migrations lists every migration of the connection's dialect.
func Migrations(db *gorm.DB) ([]migrations.Migration, error) {
	return migrations.List(Dialect(db))
}
