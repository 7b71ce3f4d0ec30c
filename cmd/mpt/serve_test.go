package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
)

// startServe runs `mpt serve` as the README's first command does and returns the URL it prints
// and a function that stops it (SIGTERM-like) and returns its error.
func startServe(t *testing.T, args ...string) (url string, out *strings.Builder, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	out = &strings.Builder{} // written by the reader below until readDone closes; read after stop
	readDone := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"}, args...), strings.NewReader(""), pw, io.Discard, func(string) string { return "" })
		pw.Close()
		done <- err
	}()
	found := make(chan string, 1)
	go func() {
		defer close(readDone)
		re := regexp.MustCompile(`running at (http://\S+)`)
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			out.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case url = <-found:
	case err := <-done:
		cancel()
		<-readDone
		t.Fatalf("serve stopped before printing its URL: %v\n%s", err, out)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve printed no URL within 60 s")
	}
	return url, out, func() error {
		cancel()
		select {
		case err := <-done:
			<-readDone
			return err
		case <-time.After(20 * time.Second):
			return context.DeadlineExceeded
		}
	}
}

func httpGet(t *testing.T, url string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, h := range header {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestServeNewDatabase is the README's first command on a fresh machine: a new SQLite file is
// migrated and filled with demo data, the URL and demo logins are printed, the home page
// answers in both languages, and the server stops cleanly.
func TestServeNewDatabase(t *testing.T) {
	dir := t.TempDir()
	url, out, stop := startServe(t, "--db", filepath.Join(dir, "mpt.db"), "--data-dir", filepath.Join(dir, "data"))
	if code, body := httpGet(t, url+"/", "Accept-Language: zh-CN"); code != http.StatusOK || !strings.Contains(body, "市场采购贸易") {
		t.Errorf("home zh: %d", code)
	}
	if code, body := httpGet(t, url+"/", "Accept-Language: en"); code != http.StatusOK || !strings.Contains(body, "The six steps of the trade") {
		t.Errorf("home en: %d", code)
	}
	if code, _ := httpGet(t, url+"/readyz"); code != http.StatusOK {
		t.Errorf("readyz: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	for _, want := range []string{"demo data", "Demo logins", "admin", "demo1039"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}

	// A second start on the same file loads nothing new and still prints the logins.
	url, out, stop = startServe(t, "--db", filepath.Join(dir, "mpt.db"), "--data-dir", filepath.Join(dir, "data"))
	if code, _ := httpGet(t, url+"/healthz"); code != http.StatusOK {
		t.Errorf("healthz: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "loading demo data") || !strings.Contains(out.String(), "Demo logins") {
		t.Errorf("second start output:\n%s", out)
	}
}

// TestServeRefusesPendingMigrations: an existing database with a pending migration is not
// upgraded behind the operator's back; --migrate does it.
func TestServeRefusesPendingMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mpt.db")
	if _, _, code := runCmd(t, "migrate", "--db", path); code != 0 {
		t.Fatalf("migrate exit %d", code)
	}
	// Pretend migration 2 is new: remove its record and the rows it seeds.
	withDB(t, path, func(db *gorm.DB) {
		for _, q := range []string{"DELETE FROM settings WHERE key <> 'customs.office_code'", "DELETE FROM container_types",
			"DELETE FROM hs_prefixes", "DELETE FROM brand_watches", "DELETE FROM schema_migrations WHERE version = 2"} {
			if err := db.Exec(q).Error; err != nil {
				t.Fatal(err)
			}
		}
	})
	_, errOut, code := runCmd(t, "serve", "--db", path, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "pending migration") || !strings.Contains(errOut, "--migrate") {
		t.Fatalf("serve on pending migrations: exit %d, %q", code, errOut)
	}
	url, _, stop := startServe(t, "--db", path, "--migrate", "--no-demo")
	if code, _ := httpGet(t, url+"/readyz"); code != http.StatusOK {
		t.Errorf("readyz after --migrate: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateAndDemoCommands: migrate is idempotent; demo fills an empty database once.
func TestMigrateAndDemoCommands(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mpt.db")
	out, _, code := runCmd(t, "migrate", "--db", path)
	if code != 0 || !strings.Contains(out, "applied 2 migration") && !strings.Contains(out, "applied") {
		t.Fatalf("migrate: %d %q", code, out)
	}
	if out, _, code = runCmd(t, "migrate", "--db", path); code != 0 || strings.Contains(out, "applied") {
		t.Fatalf("second migrate: %d %q", code, out)
	}
	out, errOut, code := runCmd(t, "demo", "--db", path)
	if code != 0 || !strings.Contains(out, "40 merchants") {
		t.Fatalf("demo: %d %q %q", code, out, errOut)
	}
	if _, _, code = runCmd(t, "demo", "--db", path); code == 0 {
		t.Fatal("demo into a filled database succeeded")
	}
}

// TestServeOnPostgres: a new PostgreSQL database is never migrated implicitly; with --migrate
// the server starts and is ready.
func TestServeOnPostgres(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	_, errOut, code := runCmd(t, "serve", "--db", dsn, "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "--migrate") {
		t.Fatalf("serve on a new PostgreSQL database: exit %d, %q", code, errOut)
	}
	url, out, stop := startServe(t, "--db", dsn, "--migrate")
	if code, _ := httpGet(t, url+"/readyz"); code != http.StatusOK {
		t.Errorf("readyz: %d", code)
	}
	if code, _ := httpGet(t, url+"/"); code != http.StatusOK {
		t.Errorf("home: %d", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "postgres@") {
		t.Errorf("the DSN's user part was printed:\n%s", out)
	}
}

func withDB(t *testing.T, path string, fn func(db *gorm.DB)) {
	t.Helper()
	db, err := models.Open(context.Background(), path, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	fn(db)
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
