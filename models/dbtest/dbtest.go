// Package dbtest gives tests a fresh, migrated database: a SQLite file in the test's temporary
// folder, and a PostgreSQL schema of its own when MPT_TEST_POSTGRES_DSN names a server.
//
// PostgreSQL tests skip with a message when the variable is unset, except under CI=true, where
// a missing or unreachable server fails the run: .ci/run always provides one.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
)

// PostgresEnv is the environment variable with the PostgreSQL DSN for tests.
const PostgresEnv = "MPT_TEST_POSTGRES_DSN"

// Dialects are the databases tests run on.
var Dialects = []string{"sqlite", "postgres"}

// Each runs fn as a subtest once per database, each on a fresh migrated database.
func Each(t *testing.T, fn func(t *testing.T, db *gorm.DB)) {
	t.Helper()
	for _, d := range Dialects {
		t.Run(d, func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Open returns a fresh migrated database of a dialect ("sqlite" or "postgres").
func Open(t testing.TB, dialect string) *gorm.DB {
	t.Helper()
	db := OpenEmpty(t, dialect)
	if _, err := models.Migrate(context.Background(), db); err != nil {
		t.Fatalf("migrate %s: %v", dialect, err)
	}
	return db
}

// SQLite returns a fresh migrated SQLite database.
func SQLite(t testing.TB) *gorm.DB { t.Helper(); return Open(t, "sqlite") }

// OpenEmpty returns a fresh database with no tables.
func OpenEmpty(t testing.TB, dialect string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	switch dialect {
	case "sqlite":
		db, err := models.Open(ctx, filepath.Join(t.TempDir(), "test.db"), log)
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { _ = models.Close(db) })
		return db
	case "postgres":
		return openPostgres(t, ctx, log)
	}
	t.Fatalf("unknown dialect %q", dialect)
	return nil
}

// RequirePostgres returns the test DSN, or skips (fails under CI=true) when there is none.
func RequirePostgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests", PostgresEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run them", PostgresEnv)
	}
	return dsn
}

// PostgresDSN creates a schema of the test's own and returns a DSN that uses it (search_path),
// for tests that open the database themselves, such as the command's. The schema is dropped
// when the test ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := RequirePostgres(t)
	ctx := context.Background()
	admin, err := models.Open(ctx, dsn, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("connect to PostgreSQL (%s): %v", PostgresEnv, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + strings.ToLower(hex.EncodeToString(b))
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_ = admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error
		_ = models.Close(admin)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openPostgres connects to a schema of the test's own.
func openPostgres(t testing.TB, ctx context.Context, log *slog.Logger) *gorm.DB {
	t.Helper()
	db, err := models.Open(ctx, PostgresDSN(t), log)
	if err != nil {
		t.Fatalf("connect with schema: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	return db
}
