package models_test

import (
	"context"
	"sort"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
)

// TestSchemaMatchesModels proves the migrated schema and the GORM models agree: every model
// field has its column, every declared index exists, and no table has a column the model lacks.
func TestSchemaMatchesModels(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		m := db.Migrator()
		for _, model := range models.All() {
			stmt := &gorm.Statement{DB: db}
			if err := stmt.Parse(model); err != nil {
				t.Fatalf("parse %T: %v", model, err)
			}
			table := stmt.Schema.Table
			if !m.HasTable(model) {
				t.Errorf("table %s is missing", table)
				continue
			}
			for _, col := range stmt.Schema.DBNames {
				if !m.HasColumn(model, col) {
					t.Errorf("%s.%s: column missing from the migrated schema", table, col)
				}
			}
			for _, idx := range stmt.Schema.ParseIndexes() {
				if !m.HasIndex(model, idx.Name) {
					t.Errorf("%s: index %s missing from the migrated schema", table, idx.Name)
				}
			}
			types, err := m.ColumnTypes(model)
			if err != nil {
				t.Fatalf("column types of %s: %v", table, err)
			}
			known := map[string]bool{}
			for _, c := range stmt.Schema.DBNames {
				known[c] = true
			}
			for _, ct := range types {
				if !known[ct.Name()] {
					t.Errorf("%s.%s: column in the schema but not in the model %T", table, ct.Name(), model)
				}
			}
		}
	})
}

// TestForeignKeysIndexed checks that every foreign-key column has an index whose first column
// it is, so joins and ownership checks never scan a table.
func TestForeignKeysIndexed(t *testing.T) {
	db := dbtest.SQLite(t)
	var tables []string
	if err := db.Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	sort.Strings(tables)
	for _, table := range tables {
		var fks []struct{ From string }
		if err := db.Raw(`SELECT "from" AS "from" FROM pragma_foreign_key_list(?)`, table).Scan(&fks).Error; err != nil {
			t.Fatal(err)
		}
		var leading []string
		if err := db.Raw(`SELECT ii.name FROM pragma_index_list(?) il, pragma_index_info(il.name) ii WHERE ii.seqno = 0`, table).Scan(&leading).Error; err != nil {
			t.Fatal(err)
		}
		has := map[string]bool{}
		for _, c := range leading {
			has[c] = true
		}
		for _, fk := range fks {
			if !has[fk.From] {
				t.Errorf("%s.%s is a foreign key without an index leading with it", table, fk.From)
			}
		}
	}
}

// TestMigrationsIdempotent applies migrations twice: the second run applies nothing.
func TestMigrationsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		n, err := models.Migrate(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("second migrate applied %d migrations, want 0", n)
		}
		pending, err := models.PendingMigrations(context.Background(), db)
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending after migrate = %v, %v", pending, err)
		}
	})
}
