package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"mpt/handlers"
	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/demo"
	"mpt/workflow/refdata"
)

// serve is `mpt serve`, the default command. On a new SQLite file it migrates, loads demo data
// and prints the URL and logins; on a database with pending migrations it refuses to start
// unless --migrate is given, so an upgrade is always a deliberate step.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var cfg config
	fs := newFlagSet("serve", stderr)
	cfg.bind(fs, getenv)
	migrateFlag := fs.Bool("migrate", false, "apply pending migrations before starting")
	noDemo := fs.Bool("no-demo", false, "do not load demo data into a new SQLite database")
	secureCookies := fs.Bool("secure-cookies", getenv("MPT_SECURE_COOKIES") == "true",
		"mark cookies Secure even on plain HTTP, for a server behind a TLS proxy (MPT_SECURE_COOKIES=true)")
	webhookDev := fs.Bool("webhook-dev", getenv("MPT_WEBHOOK_DEV") == "true",
		"development only: accept and call webhook URLs on this machine, over http:// too (MPT_WEBHOOK_DEV=true)")
	pprofAddr := fs.String("pprof", getenv("MPT_PPROF"),
		"serve Go's profiler (net/http/pprof) on this loopback address, e.g. 127.0.0.1:6060, for measuring the server under load (MPT_PPROF)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := cfg.logger(stderr)
	if *pprofAddr != "" {
		_, stop, err := serveProfiler(*pprofAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	d, err := openDatabase(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer models.Close(d.db)
	pending, err := models.PendingMigrations(ctx, d.db)
	if err != nil {
		return err
	}
	newSQLite := d.fresh && !models.IsPostgresDSN(cfg.DB)
	if len(pending) > 0 && !*migrateFlag && !newSQLite {
		names := make([]string, len(pending))
		for i, m := range pending {
			names[i] = fmt.Sprintf("%04d_%s", m.Version, m.Name)
		}
		return fmt.Errorf("the database has %d pending migration(s) (%s): run 'mpt migrate' or start with --migrate",
			len(pending), strings.Join(names, ", "))
	}
	if err := migrateNow(ctx, d, &cfg, stdout); err != nil {
		return err
	}
	var logins []demo.Login
	if newSQLite && !*noDemo {
		fmt.Fprintln(stdout, "new database: loading demo data…")
		sum, flow, err := fillDemo(ctx, d.db)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "demo trade:", flow)
		logins = sum.Logins
	} else if _, loaded, err := models.GetSetting(ctx, d.db, models.SettingDemoLoaded); err == nil && loaded {
		logins = demo.Logins(demo.Defaults(time.Now()))
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}

	ref, err := refdata.Load()
	if err != nil {
		return err
	}
	svc := workflow.NewService(d.db, ref, time.Now, log)
	svc.DataDir = cfg.DataDir
	svc.WebhookPolicy.AllowLocalHTTP = *webhookDev
	if *webhookDev {
		log.Warn("webhook development mode: webhooks may call this machine over plain http; never use it in production")
	}
	web, err := handlers.New(handlers.Deps{Service: svc, Log: log, Version: version(), SecureCookies: *secureCookies})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute, // uploads of bank statements and imports
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}
	fmt.Fprintf(stdout, "mpt %s is running at %s (database %s)\n", version(), "http://"+displayAddr(ln.Addr()), describeDB(cfg.DB))
	printLogins(stdout, logins)
	fmt.Fprintln(stdout, "Press Ctrl+C to stop.")

	// The webhook worker sends queued deliveries beside the web server, in its own goroutine
	// with its own HTTP client and timeouts, and stops before the database closes.
	workerCtx, stopWorker := context.WithCancel(ctx)
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); svc.RunWebhookWorker(workerCtx, webhookInterval) }()
	defer func() { stopWorker(); <-workerDone }()

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// webhookInterval is how often `serve` looks for webhook deliveries that are due.
const webhookInterval = 5 * time.Second

// displayAddr turns a listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// describeDB names the database without printing a password.
func describeDB(dsn string) string {
	if !models.IsPostgresDSN(dsn) {
		return "SQLite " + dsn
	}
	if i := strings.Index(dsn, "@"); i >= 0 {
		return "PostgreSQL " + dsn[i+1:]
	}
	return "PostgreSQL"
}
