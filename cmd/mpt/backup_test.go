package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
)

// migratedDB makes a migrated SQLite file and opens it as the server would.
func migratedDB(t *testing.T) (string, *gorm.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mpt.db")
	if _, errOut, code := runCmd(t, "migrate", "--db", path); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	db, err := models.Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	return path, db
}

// backupRows counts the rows the tests write (settings keys "backup-test-N") in a database file.
func backupRows(t *testing.T, path string) map[string]bool {
	t.Helper()
	db, err := models.Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	var keys []string
	if err := db.Raw("SELECT key FROM settings WHERE key LIKE 'backup-test-%'").Scan(&keys).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, k := range keys {
		got[k] = true
	}
	return got
}

// TestBackupWhileWritingThenRestore: a backup taken while another goroutine commits rows passes
// the integrity check and holds every row committed before it started; restore refuses while
// the database is open elsewhere, then brings the backup's data back and drops stale WAL files.
func TestBackupWhileWritingThenRestore(t *testing.T) {
	path, db := migratedDB(t)
	var committed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			err := db.Exec("INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)",
				fmt.Sprintf("backup-test-%d", i), strings.Repeat("x", 200), time.Now().UTC()).Error
			if err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
			committed.Store(int64(i + 1))
		}
	}()
	for committed.Load() < 50 {
		time.Sleep(5 * time.Millisecond)
	}
	before := committed.Load()
	file := filepath.Join(t.TempDir(), "backup.db")
	out, errOut, code := runCmd(t, "backup", "--db", path, file)
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(out, "backup written: "+file) {
		t.Fatalf("backup: exit %d, %q %q", code, out, errOut)
	}
	if _, err := models.CheckSQLiteBackup(context.Background(), file); err != nil {
		t.Fatalf("backup fails its check: %v", err)
	}
	saved := backupRows(t, file)
	for i := range before {
		if !saved[fmt.Sprintf("backup-test-%d", i)] {
			t.Fatalf("row %d committed before the backup is missing (backup has %d rows)", i, len(saved))
		}
	}
	if int64(len(saved)) > committed.Load() {
		t.Fatalf("backup has %d rows, only %d were committed", len(saved), committed.Load())
	}

	// Rows written after the backup are lost by the restore; while the database is open (as a
	// running server has it) restore refuses and changes nothing.
	if err := db.Exec("INSERT INTO settings (key, value, updated_at) VALUES ('backup-test-after', '', ?)", time.Now().UTC()).Error; err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runCmd(t, "restore", "--db", path, file); code != 1 || !strings.Contains(errOut, "stop the server") {
		t.Fatalf("restore while open: exit %d, %q", code, errOut)
	}
	if err := models.Close(db); err != nil {
		t.Fatal(err)
	}
	if !backupRows(t, path)["backup-test-after"] {
		t.Fatal("a refused restore changed the database")
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.WriteFile(path+suffix, []byte("stale"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, code = runCmd(t, "restore", file, "--db", path)
	if code != 0 || !strings.Contains(out, "restored "+path) {
		t.Fatalf("restore: exit %d, %q %q", code, out, errOut)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if b, err := os.ReadFile(path + suffix); err == nil && string(b) == "stale" {
			t.Errorf("stale %s file left next to the restored database", suffix)
		}
	}
	restored := backupRows(t, path)
	if len(restored) != len(saved) || restored["backup-test-after"] {
		t.Fatalf("restored %d rows (after-row %v), backup had %d", len(restored), restored["backup-test-after"], len(saved))
	}
	if entries, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".mpt.db.restore-*")); len(entries) > 0 {
		t.Errorf("temporary files left: %v", entries)
	}
	if out, errOut, code := runCmd(t, "audit", "verify", "--db", path); code != 0 {
		t.Fatalf("restored database: audit verify exit %d %q %q", code, out, errOut)
	}
}

// TestBackupRefusals: each refusal exits with its code, says why, and writes nothing.
func TestBackupRefusals(t *testing.T) {
	path, _ := migratedDB(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	notMPT := filepath.Join(dir, "other.db")
	other, err := models.Open(context.Background(), notMPT, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Exec("CREATE TABLE notes (body TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	_ = models.Close(other)
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	pg := "postgres://mpt@127.0.0.1:1/mpt?sslmode=disable"
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"ErrBackupExists", []string{"backup", "--db", path, existing}, 1, "already exists"},
		{"ErrBackupNoDatabase", []string{"backup", "--db", filepath.Join(dir, "missing.db"), filepath.Join(dir, "b1.db")}, 1, "no database at"},
		{"ErrBackupPostgres", []string{"backup", "--db", pg, filepath.Join(dir, "b2.db")}, 2, "pg_dump -Fc"},
		{"ErrRestorePostgres", []string{"restore", "--db", pg, existing}, 2, "pg_restore --clean --if-exists"},
		{"ErrRestoreNotMPT", []string{"restore", "--db", path, notMPT}, 1, "not an mpt database"},
		{"ErrRestoreNotSQLite", []string{"restore", "--db", path, text}, 1, "mpt restore:"},
		{"ErrRestoreMissing", []string{"restore", "--db", path, filepath.Join(dir, "none.db")}, 1, "no such file"},
		{"ErrRestoreItself", []string{"restore", "--db", path, path}, 1, "the database itself"},
		{"UsageBackupNoFile", []string{"backup", "--db", path}, 2, "usage: mpt backup"},
		{"UsageRestoreTwoFiles", []string{"restore", "--db", path, existing, notMPT}, 2, "usage: mpt restore"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q), stdout %q", code, tt.code, errOut, tt.want, out)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Error("backup overwrote an existing file")
	}
	for _, f := range []string{"b1.db", "b2.db", "missing.db"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was created", f)
		}
	}
	if rows := backupRows(t, path); len(rows) != 0 {
		t.Errorf("refused restores changed the database: %v", rows)
	}
}
