package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/handlers"
	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// TestTwoInstancesOnePostgres is the scale-out promise: two servers (each its own Echo, Service
// and connection pool, as two `mpt serve` processes) over one PostgreSQL schema serve the same
// users with requests alternating between them, as a load balancer without sticky sessions
// sends them. Sessions, CSRF, idempotency keys, login throttling, number sequences, import
// jobs and the audit chain live in the database (or in the client's cookies), never in one
// process's memory.
func TestTwoInstancesOnePostgres(t *testing.T) {
	dsn := dbtest.PostgresDSN(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() *gorm.DB {
		db, err := models.Open(ctx, dsn, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = models.Close(db) })
		return db
	}
	dbA, dbB := open(), open()
	if _, err := models.Migrate(ctx, dbA); err != nil { // `mpt migrate`, once, before the instances start
		t.Fatal(err)
	}
	a := newTxnApp(t, dbA) // instance A, and the seeded world
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svcB := workflow.NewService(dbB, ref, func() time.Time { return testkit.Now }, log)
	svcB.Policy.BcryptCost = bcrypt.MinCost
	svcB.DataDir = t.TempDir()
	b, err := handlers.New(handlers.Deps{Service: svcB, Log: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	onA := func(c *client) *client { c.e = a.Echo(); return c }
	onB := func(c *client) *client { c.e = b.Echo(); return c }

	t.Run("SessionFromAOnB", func(t *testing.T) {
		c := a.as(t, testkit.UserMerchantA)
		txnWant(t, onB(c).get("/transactions"), http.StatusOK)
		session := c.cookies[handlers.SessionCookie]
		onA(c).post("/logout", nil)
		c.cookies[handlers.SessionCookie] = session // the old cookie, replayed
		if rec := onB(c).get("/transactions"); rec.Code == http.StatusOK {
			t.Errorf("logged out on A, still in on B: %d", rec.Code)
		}
	})

	t.Run("CSRFFromAOnB", func(t *testing.T) {
		c := a.as(t, testkit.UserMerchantA)
		form := url.Values{"buyer_id": {txnID64(a.World.BuyerA.ID)}, "trade_date": {"2026-11-28"}, "currency": {"USD"}}
		rec := onB(c).post("/transactions", form) // the token came with A's pages
		txnWant(t, rec, http.StatusSeeOther)
		form.Set("_csrf", "forged")
		req := httptest.NewRequest(http.MethodPost, "/transactions", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if rec := c.do(req); rec.Code != http.StatusForbidden && rec.Code != http.StatusBadRequest {
			t.Errorf("forged CSRF token on B: %d", rec.Code)
		}
	})

	t.Run("IdempotencyKeyFromAReplayedOnB", func(t *testing.T) {
		api := a.api(t, testkit.UserMerchantA)
		body := fmt.Sprintf(`{"buyer_id": %d, "trade_date": "2026-11-28", "currency": "USD",
			"lines": [{"sku": "EAR-001", "quantity": "1200", "unit_price": 0.0035, "cartons": 2, "net_kg": "9.6", "gross_kg": 10.4}]}`, a.World.BuyerA.ID)
		send := func(c *client) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/transactions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", "two-instances-1")
			return c.do(req)
		}
		count := func() (n int64) { dbA.Model(&models.Transaction{}).Count(&n); return n }
		first := send(onA(api))
		txnWant(t, first, http.StatusCreated)
		before := count()
		again := send(onB(api))
		if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay on B: %d %s", again.Code, again.Body)
		}
		if n := count(); n != before {
			t.Errorf("replay on B created %d transaction(s)", n-before)
		}
	})

	t.Run("ParallelCreatesOnBothShareSequencesAndChain", func(t *testing.T) {
		body := fmt.Sprintf(`{"buyer_id": %d, "trade_date": "2026-11-28", "currency": "USD"}`, a.World.BuyerA.ID)
		var wg sync.WaitGroup
		codes := make([]int, 16)
		for i := range codes {
			c := a.api(t, testkit.UserMerchantA)
			if i%2 == 1 {
				onB(c)
			}
			wg.Go(func() { codes[i] = c.postJSON("/api/v1/transactions", body).Code })
		}
		wg.Wait()
		for i, code := range codes {
			if code != http.StatusCreated {
				t.Errorf("create %d: %d", i, code)
			}
		}
		var dup int64
		dbA.Raw(`SELECT count(*) FROM (SELECT number FROM transactions GROUP BY number HAVING count(*) > 1) d`).Scan(&dup)
		if dup != 0 {
			t.Errorf("%d transaction numbers given twice", dup)
		}
	})

	t.Run("FailedLoginsOnAAndBAddUp", func(t *testing.T) {
		user := testkit.UserAgentY
		limit := a.Svc.Policy.MaxFailures
		for i := range limit {
			c := a.anon(t)
			if i%2 == 1 {
				onB(c)
			}
			rec := c.post("/login", url.Values{"username": {user}, "password": {"wrong password 1"}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("failure %d: %d", i+1, rec.Code)
			}
		}
		// The limit was reached across both instances: the right password is refused on either.
		for _, c := range []*client{a.anon(t), onB(a.anon(t))} {
			rec := c.post("/login", url.Values{"username": {user}, "password": {testkit.Password}})
			if rec.Code != http.StatusTooManyRequests || c.cookies[handlers.SessionCookie] != nil {
				t.Errorf("locked account logged in: %d", rec.Code)
			}
		}
	})

	t.Run("ImportStartedOnAPolledOnB", func(t *testing.T) {
		tr, _, _ := a.draftWithLine(t)
		c := a.as(t, testkit.UserMerchantA)
		file := "SKU 货号,Quantity 数量,Unit price 单价,Cartons 箱数,Net kg 净重,Gross kg 毛重\n" + strings.Repeat("CUP-002,1,1,1,1,1\n", 2000)
		rec := c.upload("/transactions/"+txnID64(tr.ID)+"/import", map[string]string{"version": txnID64(tr.Version)}, "file",
			map[string][]byte{"lines.csv": []byte(file)})
		txnWant(t, rec, http.StatusSeeOther)
		d := txnWaitImport(t, onB(c), rec.Header().Get("Location"))
		if d.Find(".import-done").Length() != 1 {
			t.Errorf("import on B: %s", d.Find("#import-progress").Text())
		}
		if n := len(a.lines(t, tr.ID)); n != 2001 {
			t.Errorf("%d lines after the import", n)
		}
		// The job is still the importer's alone, on either instance.
		txnWant(t, onB(a.as(t, testkit.UserMerchantB)).get(rec.Header().Get("Location")), http.StatusNotFound)
	})

	v, err := models.VerifyAudit(ctx, dbB, nil, nil)
	if err != nil || !v.OK() || v.Entries == 0 {
		t.Errorf("audit chain after both instances wrote: %+v %v", v, err)
	}
}
