// Package migrations holds mpt's schema as numbered, append-only plain-SQL files, one folder per
// database dialect, embedded in the binary. Apply runs the pending ones in order, each inside its
// own transaction, and records it in schema_migrations. A shipped file is never edited: a change
// is a new file with the next number, in both dialects.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// Dialects with a folder of migrations.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Migration is one numbered SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// List returns the migrations of a dialect in order. File names are NNNN_name.sql; numbers
// start at 1 and have no gaps, so two branches adding the same number collide loudly.
func List(dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(files, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %q: %w", dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration file %s/%s: name must be NNNN_name.sql", dialect, name)
		}
		body, err := fs.ReadFile(files, path.Join(dialect, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations for %s: expected version %d, found %d", dialect, i+1, m.Version)
		}
	}
	return out, nil
}

const versionTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)`

// Applied returns the versions already recorded in the database.
func Applied(ctx context.Context, db *sql.DB) (map[int]bool, error) {
	if _, err := db.ExecContext(ctx, versionTable); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	return done, rows.Err()
}

// Pending returns the migrations not yet applied, in order.
func Pending(ctx context.Context, db *sql.DB, dialect string) ([]Migration, error) {
	all, err := List(dialect)
	if err != nil {
		return nil, err
	}
	done, err := Applied(ctx, db)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, m := range all {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out, nil
}

// Apply runs every pending migration, each in its own transaction together with its record in
// schema_migrations, and returns those it applied. A failing file leaves the database at the
// previous version.
func Apply(ctx context.Context, db *sql.DB, dialect string, now func() time.Time) ([]Migration, error) {
	pending, err := Pending(ctx, db, dialect)
	if err != nil {
		return nil, err
	}
	for _, m := range pending {
		if err := applyOne(ctx, db, dialect, m, now()); err != nil {
			return nil, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return pending, nil
}

func applyOne(ctx context.Context, db *sql.DB, dialect string, m Migration, at time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	insert := `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
	if dialect == Postgres {
		insert = `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`
	}
	if _, err := tx.ExecContext(ctx, insert, m.Version, m.Name, at.UTC().Format(time.RFC3339)); err != nil {
		return err
	}
	return tx.Commit()
}
