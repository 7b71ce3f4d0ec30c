package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/demo"
	"mpt/workflow/refdata"
)

// database is an open connection and what start-up learned about it.
type database struct {
	db    *gorm.DB
	fresh bool // no migration had ever been applied: a new, empty database
}

// openDatabase connects and reports whether the database is new.
func openDatabase(ctx context.Context, cfg *config, log *slog.Logger) (*database, error) {
	if !models.IsPostgresDSN(cfg.DB) {
		if strings.Contains(cfg.DB, "://") {
			return nil, usageError("--db must be a SQLite file path or a postgres:// DSN, got %q", cfg.DB)
		}
	}
	db, err := models.Open(ctx, cfg.DB, log)
	if err != nil {
		return nil, err
	}
	pending, err := models.PendingMigrations(ctx, db)
	if err != nil {
		_ = models.Close(db)
		return nil, err
	}
	all, err := models.Migrations(db)
	if err != nil {
		_ = models.Close(db)
		return nil, err
	}
	return &database{db: db, fresh: len(pending) == len(all)}, nil
}

// migrateNow applies pending migrations and stores the start-up settings that come from
// configuration (the customs office code) when the database does not have them yet.
func migrateNow(ctx context.Context, d *database, cfg *config, out io.Writer) error {
	n, err := models.Migrate(ctx, d.db)
	if err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintf(out, "applied %d migration(s)\n", n)
	}
	_, err = models.InitSetting(ctx, d.db, models.SettingCustomsOffice, cfg.CustomsOffice, time.Now().UTC())
	return err
}

// fillDemo loads the demo data into an empty database, takes part of its trade through
// customs, FX and tax with the real service (so every desk has work and history), and remembers
// that it did.
func fillDemo(ctx context.Context, db *gorm.DB) (*demo.Summary, *demo.FlowSummary, error) {
	ref, err := refdata.Load()
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC()
	sum, err := demo.Load(ctx, db, ref, demo.Defaults(now))
	if err != nil {
		return nil, nil, err
	}
	svc := workflow.NewService(db, ref, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	flow, err := demo.Flow(ctx, svc, db)
	if err != nil {
		return nil, nil, err
	}
	if _, err := models.InitSetting(ctx, db, models.SettingDemoLoaded, now.Format(time.RFC3339), now); err != nil {
		return nil, nil, err
	}
	return sum, flow, nil
}

// printLogins shows the demo logins a newcomer can use.
func printLogins(out io.Writer, logins []demo.Login) {
	if len(logins) == 0 {
		return
	}
	fmt.Fprintln(out, "Demo logins (change these before real use):")
	for _, l := range logins {
		fmt.Fprintf(out, "  %-12s %-18s password %-10s %s\n", l.Role, l.Username, l.Password, l.Who)
	}
}

// migrate is `mpt migrate`.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg config
	fs := newFlagSet("migrate", stderr)
	cfg.bind(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	d, err := openDatabase(ctx, &cfg, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer models.Close(d.db)
	if err := migrateNow(ctx, d, &cfg, stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}

// loadDemo is `mpt demo`: migrate a new database if needed, then load the demo data.
func loadDemo(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg config
	fs := newFlagSet("demo", stderr)
	cfg.bind(fs, getenv)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	d, err := openDatabase(ctx, &cfg, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer models.Close(d.db)
	pending, err := models.PendingMigrations(ctx, d.db)
	if err != nil {
		return err
	}
	if len(pending) > 0 && !d.fresh {
		return fmt.Errorf("the database has %d pending migration(s): run 'mpt migrate' first", len(pending))
	}
	if err := migrateNow(ctx, d, &cfg, stdout); err != nil {
		return err
	}
	sum, flow, err := fillDemo(ctx, d.db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "demo data loaded: %d merchants, %d agents, %d buyers, %d goods, %d transactions (%d lines), %d exchange rates\n",
		sum.Merchants, sum.Agents, sum.Buyers, sum.Goods, sum.Transactions, sum.Lines, sum.Rates)
	fmt.Fprintln(stdout, "demo trade:", flow)
	printLogins(stdout, sum.Logins)
	return nil
}
