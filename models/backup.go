package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"mpt/migrations"
)

// Backups of a SQLite database: `mpt backup` copies the live file with VACUUM INTO (a
// consistent snapshot taken inside one read transaction, so the server may keep writing), and
// `mpt restore` puts such a copy back in place of a stopped server's file, atomically.
// PostgreSQL has its own tools (pg_dump, pg_restore).

// ErrBackupExists refuses to overwrite a file with a backup.
var ErrBackupExists = errors.New("the backup file already exists; mpt never overwrites a file, choose a new name")

// ErrDatabaseInUse refuses a restore while another process (the server) has the database open.
var ErrDatabaseInUse = errors.New("the database is open in another process; stop the server (every instance) before restoring")

// BackupInfo describes a checked SQLite database file.
type BackupInfo struct {
	Path          string
	Bytes         int64
	SchemaVersion int // the highest migration recorded in schema_migrations
}

// BackupSQLite writes a consistent copy of the SQLite database db into the new file path with
// VACUUM INTO, which reads one snapshot while other connections go on writing (WAL), makes it a
// single file (rollback journal mode), syncs it to disk and checks it like a restore would. It
// refuses an existing path.
func BackupSQLite(ctx context.Context, db *gorm.DB, path string) (*BackupInfo, error) {
	if Dialect(db) != migrations.SQLite {
		return nil, errors.New("VACUUM INTO backups are for SQLite; use pg_dump for PostgreSQL")
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s: %w", path, ErrBackupExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	// SQLite itself refuses a file that appeared meanwhile unless it is empty.
	if err := db.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return nil, fmt.Errorf("VACUUM INTO %s: %w", path, err)
	}
	// A copy of a WAL database is marked WAL too; make it one self-contained file to move around.
	single, err := openRawSQLite(path, url.Values{"_journal_mode": {"DELETE"}})
	if err != nil {
		return nil, err
	}
	if err := Close(single); err != nil {
		return nil, err
	}
	if err := syncFile(path); err != nil {
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return CheckSQLiteBackup(ctx, path)
}

// CheckSQLiteBackup opens the SQLite file path and checks it is a sound mpt database: PRAGMA
// integrity_check answers "ok" and schema_migrations records at least one migration.
func CheckSQLiteBackup(ctx context.Context, path string) (*BackupInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	// Read-only and immutable: nothing is created or changed next to the file (no -wal or -shm),
	// which a backup, written once, allows.
	db, err := openRawSQLite(path, url.Values{"mode": {"ro"}, "immutable": {"1"}})
	if err != nil {
		return nil, fmt.Errorf("%s is not a SQLite database: %w", path, err)
	}
	defer Close(db)
	var problems []string
	if err := db.WithContext(ctx).Raw("PRAGMA integrity_check").Scan(&problems).Error; err != nil {
		return nil, fmt.Errorf("%s is not a readable SQLite database: %w", path, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return nil, fmt.Errorf("%s fails PRAGMA integrity_check: %s", path, strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	var n int64
	if err := db.WithContext(ctx).Raw("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").Scan(&n).Error; err != nil {
		return nil, err
	}
	info := &BackupInfo{Path: path, Bytes: st.Size()}
	if n == 1 {
		if err := db.WithContext(ctx).Raw("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&info.SchemaVersion).Error; err != nil {
			return nil, err
		}
	}
	if info.SchemaVersion == 0 {
		return nil, fmt.Errorf("%s is not an mpt database: it has no applied migrations (schema_migrations)", path)
	}
	return info, nil
}

// RestoreSQLite replaces the SQLite database at target by the backup file: it checks the backup
// (CheckSQLiteBackup), refuses while another process has target open (ErrDatabaseInUse, found
// by taking SQLite's exclusive lock), copies the backup to a temporary file in target's
// directory, syncs it, removes target's stale -wal and -shm files and renames the copy over
// target, so target is at every moment either the old database or the whole backup.
func RestoreSQLite(ctx context.Context, backup, target string) (*BackupInfo, error) {
	info, err := CheckSQLiteBackup(ctx, backup)
	if err != nil {
		return nil, err
	}
	if same, err := sameFile(backup, target); err != nil {
		return nil, err
	} else if same {
		return nil, fmt.Errorf("%s is the database itself; restore from a backup file", backup)
	}
	if err := lockSQLite(ctx, target); err != nil {
		return nil, err
	}
	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".restore-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := copyInto(tmp, backup); err != nil {
		return nil, err
	}
	if _, err := CheckSQLiteBackup(ctx, tmp.Name()); err != nil { // the bytes that will be the database
		return nil, err
	}
	// Frames of the old database's write-ahead log must never be replayed into the restored one.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	info.Path = target
	return info, nil
}

// lockSQLite checks that no other connection has the database at path open: in WAL mode every
// open connection holds a shared lock, so taking the exclusive lock fails while a server runs.
// A missing file is not in use.
func lockSQLite(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	inUse := func(err error) error {
		if strings.Contains(err.Error(), "locked") || strings.Contains(err.Error(), "busy") {
			return fmt.Errorf("%s: %w", path, ErrDatabaseInUse)
		}
		return fmt.Errorf("lock %s: %w", path, err)
	}
	db, err := openRawSQLite(path, url.Values{"_locking_mode": {"EXCLUSIVE"}, "_busy_timeout": {"2000"}})
	if err != nil {
		return inUse(err)
	}
	defer Close(db)
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	sqlDB.SetMaxOpenConns(1)
	if err := db.WithContext(ctx).Exec("BEGIN EXCLUSIVE").Error; err != nil {
		return inUse(err)
	}
	return db.WithContext(ctx).Exec("COMMIT").Error
}

// openRawSQLite opens a SQLite file with only the given driver parameters (none of the
// server's pragmas), for checking and locking.
func openRawSQLite(path string, params url.Values) (*gorm.DB, error) {
	db, err := gorm.Open(sqlite.Open("file:"+path+"?"+params.Encode()), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return nil, err
	}
	if err := Ping(context.Background(), db); err != nil {
		_ = Close(db)
		return nil, err
	}
	return db, nil
}

// copyInto copies the file src into dst, syncs and closes dst.
func copyInto(dst *os.File, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if _, err := io.Copy(dst, in); err != nil {
		dst.Close()
		return err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// sameFile reports whether a and b name the same existing file.
func sameFile(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return os.SameFile(sa, sb), nil
}

// syncFile flushes a file's content to disk.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir flushes a directory's entries (a new or renamed file) to disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
