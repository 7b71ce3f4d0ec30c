package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"mpt/models"
)

// backup is `mpt backup FILE`: a consistent copy of the live SQLite database (VACUUM INTO, safe
// while the server writes) into a new file. Exit 0 with the copy checked, 1 on a failure (the
// file exists, the copy fails its check), 2 on a usage error or a PostgreSQL database.
func backup(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg config
	fs := newFlagSet("backup", stderr)
	cfg.bind(fs, getenv)
	file, err := oneFileArg(fs, args, "usage: mpt backup [--db FILE] BACKUP_FILE")
	if err != nil {
		return err
	}
	if err := sqliteOnly(&cfg, "pg_dump -Fc -f mpt.dump 'postgres://…'"); err != nil {
		return err
	}
	if err := existingDatabase(cfg.DB); err != nil {
		return err
	}
	db, err := models.Open(ctx, cfg.DB, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer models.Close(db)
	info, err := models.BackupSQLite(ctx, db, file)
	if err != nil {
		return &exitError{code: 1, msg: "mpt backup: " + err.Error()}
	}
	fmt.Fprintf(stdout, "backup written: %s (%d bytes, schema version %d, integrity ok)\n", info.Path, info.Bytes, info.SchemaVersion)
	return nil
}

// restore is `mpt restore FILE`: replaces the configured SQLite database by a backup, after
// checking the backup is a sound mpt database and that no server has the database open. Exit
// 0 restored, 1 refused or failed (nothing changed), 2 on a usage error or a PostgreSQL database.
func restore(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg config
	fs := newFlagSet("restore", stderr)
	cfg.bind(fs, getenv)
	file, err := oneFileArg(fs, args, "usage: mpt restore [--db FILE] BACKUP_FILE (stop the server first)")
	if err != nil {
		return err
	}
	if err := sqliteOnly(&cfg, "pg_restore --clean --if-exists -d 'postgres://…' mpt.dump"); err != nil {
		return err
	}
	info, err := models.RestoreSQLite(ctx, file, cfg.DB)
	if err != nil {
		return &exitError{code: 1, msg: "mpt restore: " + err.Error() + "; the database was not changed"}
	}
	fmt.Fprintf(stdout, "restored %s from %s (schema version %d); start the server again\n", cfg.DB, file, info.SchemaVersion)
	return nil
}

// oneFileArg parses the flags and the one file argument of backup and restore; flags may come
// before or after the file.
func oneFileArg(fs *flag.FlagSet, args []string, usage string) (string, error) {
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return "", &exitError{code: 0}
			}
			return "", usageError("%s", usage)
		}
		if fs.NArg() == 0 {
			break
		}
		files, args = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if len(files) != 1 || files[0] == "" {
		return "", usageError("%s", usage)
	}
	return files[0], nil
}

// sqliteOnly refuses a PostgreSQL database, naming the PostgreSQL tool that does the job.
func sqliteOnly(cfg *config, instead string) error {
	if models.IsPostgresDSN(cfg.DB) {
		return usageError("mpt backup and restore work on the SQLite file; for PostgreSQL use its own tools, e.g. %s (see README, Backups)", instead)
	}
	return nil
}

// existingDatabase refuses a database path with no file (opening it would create an empty one).
func existingDatabase(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &exitError{code: 1, msg: fmt.Sprintf("mpt backup: there is no database at %s; check --db", path)}
	case err != nil:
		return err
	case !st.Mode().IsRegular():
		return &exitError{code: 1, msg: fmt.Sprintf("mpt backup: %s is not a database file", path)}
	}
	return nil
}
