package demo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/demo"
	"mpt/workflow/refdata"
)

// now is the demo's fixed clock: a Monday afternoon in Yiwu.
var now = time.Date(2025, 3, 17, 7, 30, 0, 0, time.UTC)

var (
	refOnce sync.Once
	refSet  *refdata.Set
	refErr  error
)

// ref returns the reference data, loaded once for the package's tests.
func ref(t testing.TB) *refdata.Set {
	t.Helper()
	refOnce.Do(func() { refSet, refErr = refdata.Load() })
	if refErr != nil {
		t.Fatalf("load reference data: %v", refErr)
	}
	return refSet
}

// load fills db with the default demo and returns its summary.
func load(t testing.TB, db *gorm.DB, opts demo.Options) *demo.Summary {
	t.Helper()
	sum, err := demo.Load(context.Background(), db, ref(t), opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return sum
}

// all reads every row of a model ordered by id.
func all[T any](t testing.TB, db *gorm.DB) []T {
	t.Helper()
	var rows []T
	if err := db.Order("id").Find(&rows).Error; err != nil {
		t.Fatalf("read %T: %v", rows, err)
	}
	return rows
}

func TestLoad_OK(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		sum := load(t, db, demo.Defaults(now))
		checkSummary(t, db, sum)
		checkParties(t, db)
		checkGoods(t, db)
		checkTransactions(t, db)
		checkUsers(t, db, sum)
		checkTimes(t, db, now)
	})
}

// checkTimes checks that nothing happens after now and nothing before its cause.
func checkTimes(t *testing.T, db *gorm.DB, now time.Time) {
	t.Helper()
	for _, q := range []string{
		"SELECT COUNT(*) FROM merchants WHERE created_at > ? OR updated_at > ? OR approved_at < created_at",
		"SELECT COUNT(*) FROM goods WHERE created_at > ? OR updated_at > ? OR reviewed_at < created_at",
		"SELECT COUNT(*) FROM transactions WHERE created_at > ? OR updated_at > ? OR registered_at < created_at",
		"SELECT COUNT(*) FROM users WHERE created_at > ? OR updated_at > ?",
		"SELECT COUNT(*) FROM exchange_rates WHERE created_at > ? OR updated_at > ?",
		"SELECT COUNT(*) FROM entrustments WHERE created_at > ? OR updated_at > ?",
		// a transaction's goods were recognised before it was created
		`SELECT COUNT(*) FROM transaction_lines l JOIN transactions t ON t.id = l.transaction_id
		 JOIN goods g ON g.id = l.goods_id WHERE g.reviewed_at > t.created_at OR l.created_at > ? OR l.updated_at > ?`,
		// an agent registered a transaction only for a merchant that entrusted it
		`SELECT COUNT(*) FROM transactions t WHERE t.agent_id IS NOT NULL AND NOT EXISTS
		 (SELECT 1 FROM entrustments e WHERE e.merchant_id = t.merchant_id AND e.agent_id = t.agent_id AND e.starts_on <= t.trade_date)`,
	} {
		var n int64
		if err := db.Raw(q, slices.Repeat([]any{now}, strings.Count(q, "?"))...).Scan(&n).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n != 0 {
			t.Errorf("%d rows break: %s", n, q)
		}
	}
}

func checkSummary(t *testing.T, db *gorm.DB, sum *demo.Summary) {
	t.Helper()
	got := [...]int{sum.Merchants, sum.Agents, sum.Buyers, sum.Goods, sum.Transactions, sum.Rates}
	if want := [...]int{40, 3, 25, 200, 120, 13 * 12}; got != want {
		t.Errorf("summary counts %v, want %v", got, want)
	}
	if n := len(all[models.TransactionLine](t, db)); n != sum.Lines || n < 120 {
		t.Errorf("lines: %d in the database, summary says %d", n, sum.Lines)
	}
	if n := len(all[models.ExchangeRate](t, db)); n != sum.Rates {
		t.Errorf("rates: %d in the database, summary says %d", n, sum.Rates)
	}
}

func checkParties(t *testing.T, db *gorm.DB) {
	t.Helper()
	merchants := all[models.Merchant](t, db)
	districts, statuses := map[string]int{}, map[string]int{}
	for _, m := range merchants {
		districts[m.District]++
		statuses[m.Status]++
		if v := workflow.CheckUSCC(m.USCC); !v.OK {
			t.Errorf("merchant %s: USCC %s: %s", m.Name, m.USCC, v.Problem.En)
		}
		if !strings.HasPrefix(m.USCC, "92330782") && !strings.HasPrefix(m.USCC, "91330782") {
			t.Errorf("merchant %s: USCC %s is not a Yiwu business code", m.Name, m.USCC)
		}
		if !strings.Contains(m.StallRaw, m.Booth) || m.Gate == "" || m.Floor == "" || m.Street == "" {
			t.Errorf("merchant %s: incomplete stall %+v", m.Name, m)
		}
		if (m.Status == models.MerchantPending) != (m.ApprovedAt == nil) {
			t.Errorf("merchant %s (%s): approved at %v", m.Name, m.Status, m.ApprovedAt)
		}
	}
	if len(merchants) != 40 || len(districts) != 5 {
		t.Errorf("%d merchants in districts %v, want 40 across all 5", len(merchants), districts)
	}
	if statuses[models.MerchantPending] != 2 || statuses[models.MerchantAbnormal] != 1 || statuses[models.MerchantSuspended] != 1 {
		t.Errorf("merchant statuses = %v, want 2 pending, 1 abnormal, 1 suspended", statuses)
	}
	var changes int64
	db.Model(&models.MerchantStatusChange{}).Count(&changes)
	if changes != 38+2 {
		t.Errorf("%d status changes, want an approval per approved merchant plus 2", changes)
	}

	agents := all[models.Agent](t, db)
	for _, a := range agents {
		if v := workflow.CheckUSCC(a.USCC); !v.OK || !strings.HasPrefix(a.USCC, "91330782") {
			t.Errorf("agent %s: USCC %s: %s", a.Name, a.USCC, v.Problem.En)
		}
		if len(a.CustomsCode) != 10 || !strings.HasPrefix(a.CustomsCode, "3318") {
			t.Errorf("agent %s: customs code %q", a.Name, a.CustomsCode)
		}
	}
	entrusted := map[int64]int{}
	for _, e := range all[models.Entrustment](t, db) {
		entrusted[e.MerchantID]++
	}
	for _, m := range merchants {
		if n := entrusted[m.ID]; m.Status == models.MerchantActive && (n < 1 || n > 2) {
			t.Errorf("active merchant %s entrusts %d agents, want 1 or 2", m.Name, n)
		}
	}

	buyers := all[models.Buyer](t, db)
	countries, watched := map[string]bool{}, 0
	for _, b := range buyers {
		countries[b.Nationality] = true
		if b.WatchListed {
			watched++
		}
		if _, ok := ref(t).Country(b.Nationality); !ok || b.DocType != "passport" || b.DocNumber == "" {
			t.Errorf("buyer %+v", b)
		}
	}
	if len(buyers) != 25 || len(countries) < 12 || watched != 1 {
		t.Errorf("%d buyers from %d countries, %d watch-listed; want 25 from at least 12, 1 watch-listed", len(buyers), len(countries), watched)
	}
}

func checkGoods(t *testing.T, db *gorm.DB) {
	t.Helper()
	goods := all[models.Goods](t, db)
	reviews := map[int64][]models.GoodsReview{}
	for _, r := range all[models.GoodsReview](t, db) {
		reviews[r.GoodsID] = append(reviews[r.GoodsID], r)
	}
	statuses := map[string]int{}
	for _, g := range goods {
		statuses[g.Status]++
		if v := workflow.CheckHSCode(ref(t), g.HSCode); !v.OK {
			t.Errorf("goods %s: HS %s: %s", g.NameEn, g.HSCode, v.Problem.En)
		}
		for _, u := range []string{g.LegalUnit, g.TransactionUnit} {
			if _, ok := ref(t).Unit(u); !ok {
				t.Errorf("goods %s: unit %q is not a customs unit", g.NameEn, u)
			}
		}
		switch g.Status {
		case models.GoodsRecognised:
			if g.ReviewedAt == nil || g.ReviewedBy == nil || len(reviews[g.ID]) != 1 {
				t.Errorf("recognised goods %s: reviewed %v by %v, %d reviews", g.NameEn, g.ReviewedAt, g.ReviewedBy, len(reviews[g.ID]))
			}
		case models.GoodsHeld:
			r := reviews[g.ID]
			if !g.Branded || g.Brand == "" || g.StatusReason == "" || len(r) != 1 || r[0].ToStatus != models.GoodsHeld {
				t.Errorf("held goods %+v, reviews %+v", g, r)
			}
			var n int64
			db.Model(&models.BrandWatch{}).Where("brand = ?", g.Brand).Count(&n)
			if n != 1 {
				t.Errorf("held goods %s carry brand %q, which is not on the watch list", g.NameEn, g.Brand)
			}
		}
	}
	if len(goods) != 200 || statuses[models.GoodsHeld] != 3 || statuses[models.GoodsPending] != 10 {
		t.Errorf("%d goods, statuses %v; want 200 with 3 held and 10 pending", len(goods), statuses)
	}
}

func checkTransactions(t *testing.T, db *gorm.DB) {
	t.Helper()
	goods := map[int64]models.Goods{}
	for _, g := range all[models.Goods](t, db) {
		goods[g.ID] = g
	}
	lines := map[int64][]models.TransactionLine{}
	traces := map[string]bool{}
	for _, l := range all[models.TransactionLine](t, db) {
		lines[l.TransactionID] = append(lines[l.TransactionID], l)
		if want := models.LineAmount(l.Quantity, l.UnitPrice); l.Amount != want {
			t.Errorf("line %d: amount %s, want %s", l.ID, l.Amount, want)
		}
		if !workflow.ValidTraceCode(l.TraceCode) || traces[l.TraceCode] {
			t.Errorf("line %d: trace code %q invalid or repeated", l.ID, l.TraceCode)
		}
		traces[l.TraceCode] = true
		if g := goods[l.GoodsID]; g.Status != models.GoodsRecognised || l.Unit != g.TransactionUnit {
			t.Errorf("line %d sells goods %d (%s) in %s", l.ID, g.ID, g.Status, l.Unit)
		}
		if kg := int64(l.GrossGrams) / max(l.Cartons, 1); l.GrossGrams <= l.NetGrams || kg < 5000 || kg > 25000 {
			t.Errorf("line %d: %d cartons, net %s kg, gross %s kg", l.ID, l.Cartons, l.NetGrams.Kg(), l.GrossGrams.Kg())
		}
	}
	statuses, currencies := map[string]int{}, map[string]bool{}
	seq := map[string]int64{}
	for _, tx := range all[models.Transaction](t, db) {
		statuses[tx.Status]++
		currencies[tx.Currency] = true
		var sum models.Money
		var cartons int64
		var net, gross models.Grams
		for _, l := range lines[tx.ID] {
			sum += l.Amount
			cartons += l.Cartons
			net += l.NetGrams
			gross += l.GrossGrams
		}
		if n := len(lines[tx.ID]); tx.TotalAmount != sum || tx.LineCount != n || tx.TotalCartons != cartons ||
			tx.TotalNetGrams != net || tx.TotalGrossGrams != gross || n < 1 || n > 8 {
			t.Errorf("transaction %s: totals %s/%d/%d/%d/%d, lines sum to %s/%d/%d/%d/%d",
				tx.Number, tx.TotalAmount, tx.LineCount, tx.TotalCartons, tx.TotalNetGrams, tx.TotalGrossGrams,
				sum, n, cartons, net, gross)
		}
		if len(tx.Number) != 15 || !strings.HasPrefix(tx.Number, "TR") {
			t.Errorf("transaction number %q", tx.Number)
		}
		if (tx.Status == models.TransactionDraft) != (tx.RegisteredAt == nil) {
			t.Errorf("transaction %s (%s) registered at %v", tx.Number, tx.Status, tx.RegisteredAt)
		}
		if tx.TradeDate > now.Format("2006-01-02") || tx.TradeDate < now.AddDate(0, 0, -61).Format("2006-01-02") {
			t.Errorf("transaction %s traded on %s", tx.Number, tx.TradeDate)
		}
		day := "transaction:" + tx.Number[2:10]
		seq[day] = max(seq[day], mustAtoi(t, tx.Number[10:])+1)
	}
	if statuses[models.TransactionVoided] != 1 || statuses[models.TransactionDraft] < 1 || statuses[models.TransactionRegistered] < 100 {
		t.Errorf("transaction statuses %v", statuses)
	}
	for _, c := range []string{"USD", "EUR", "CNY", "AED", "GBP", "RUB", "JPY"} {
		if !currencies[c] {
			t.Errorf("no transaction in %s; currencies %v", c, currencies)
		}
	}
	var sequences []models.NumberSequence
	if err := db.Order("name").Find(&sequences).Error; err != nil {
		t.Fatalf("read sequences: %v", err)
	}
	if len(sequences) != len(seq) {
		t.Errorf("%d sequences for %d days", len(sequences), len(seq))
	}
	for _, s := range sequences {
		if seq[s.Name] != s.Next {
			t.Errorf("sequence %s: next %d, want %d", s.Name, s.Next, seq[s.Name])
		}
	}
}

func checkUsers(t *testing.T, db *gorm.DB, sum *demo.Summary) {
	t.Helper()
	users := map[string]models.User{}
	for _, u := range all[models.User](t, db) {
		users[u.Username] = u
	}
	var roles []string
	for _, l := range sum.Logins {
		roles = append(roles, l.Role)
		u, ok := users[l.Username]
		if !ok || u.Role != l.Role || l.Who == "" {
			t.Errorf("login %+v: user %+v", l, u)
		}
	}
	for _, r := range models.Roles {
		if !slices.Contains(roles, r) {
			t.Errorf("no login for role %s", r)
		}
	}
	for _, name := range []string{"admin", "auditor", "customs", "inspector1", "inspector2", "tax", "fx", "supervision", "supervision2",
		"agent1", "agent2", "agent3", "merchant1", "merchant5", "merchant-pending"} {
		if _, ok := users[name]; !ok {
			t.Errorf("no user %s", name)
		}
	}
	if err := bcrypt.CompareHashAndPassword([]byte(users["merchant1"].PasswordHash), []byte("demo1039")); err != nil {
		t.Errorf("merchant1's password is not demo1039: %v", err)
	}
	if !users["inspector1"].OnDuty || users["merchant-pending"].MerchantID == nil {
		t.Errorf("inspector1 %+v, merchant-pending %+v", users["inspector1"], users["merchant-pending"])
	}
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("%q is not a number", s)
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

func TestLoad_SameSeedSameRows(t *testing.T) {
	a, b := dbtest.SQLite(t), dbtest.SQLite(t)
	load(t, a, demo.Defaults(now))
	load(t, b, demo.Defaults(now))
	if da, db := digest(t, a), digest(t, b); da != db {
		t.Errorf("two loads differ: %s vs %s", da, db)
	}

	c := dbtest.SQLite(t)
	opts := demo.Defaults(now)
	opts.Seed++
	load(t, c, opts)
	if digest(t, a) == digest(t, c) {
		t.Error("another seed gave the same rows")
	}
}

// digest hashes the merchants, goods, transactions and lines.
func digest(t *testing.T, db *gorm.DB) string {
	t.Helper()
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, rows := range []any{
		all[models.Merchant](t, db), all[models.Goods](t, db),
		all[models.Transaction](t, db), all[models.TransactionLine](t, db),
	} {
		if err := enc.Encode(rows); err != nil {
			t.Fatal(err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestLogins_SameAsLoad(t *testing.T) {
	sum := load(t, dbtest.SQLite(t), demo.Defaults(now))
	// A server restarted later shows the same logins.
	if got := demo.Logins(demo.Defaults(now.AddDate(0, 1, 0))); !reflect.DeepEqual(got, sum.Logins) {
		t.Errorf("Logins = %+v\nLoad gave %+v", got, sum.Logins)
	}
	if got := demo.Logins(demo.Options{}); got != nil {
		t.Errorf("Logins of invalid options = %+v", got)
	}
}

func TestLoad_ErrNotEmpty(t *testing.T) {
	db := dbtest.SQLite(t)
	load(t, db, demo.Defaults(now))
	_, err := demo.Load(context.Background(), db, ref(t), demo.Defaults(now))
	if !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("second Load: %v, want a conflict", err)
	}
	var n int64
	db.Model(&models.Merchant{}).Count(&n)
	if n != 40 {
		t.Errorf("%d merchants after the refused load, want 40", n)
	}
}

func TestLoad_ErrInvalidOptions(t *testing.T) {
	db := dbtest.SQLite(t)
	small := demo.Defaults(now)
	small.Goods = 20
	for name, opts := range map[string]demo.Options{"zero": {}, "too few goods": small} {
		t.Run(name, func(t *testing.T) {
			if _, err := demo.Load(context.Background(), db, ref(t), opts); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("Load: %v, want invalid options", err)
			}
		})
	}
}

func TestLoad_SmallDemo(t *testing.T) {
	db := dbtest.SQLite(t)
	opts := demo.Options{Seed: 7, Now: now, Password: "x", Merchants: 5, Agents: 1, Buyers: 1, Goods: 11, Transactions: 3}
	sum := load(t, db, opts)
	if sum.Merchants != 5 || sum.Goods != 11 || sum.Transactions != 3 {
		t.Errorf("summary %+v", sum)
	}
}

func BenchmarkLoad(b *testing.B) {
	ref(b)
	for b.Loop() {
		b.StopTimer()
		db := dbtest.SQLite(b)
		b.StartTimer()
		load(b, db, demo.Defaults(now))
	}
}
