package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// Options sizes the demo; the zero value is not valid, use Defaults.
type Options struct {
	Seed     int64     // seeds math/rand/v2: the same Seed and Now give the same rows
	Now      time.Time // the demo's present: every date and timestamp lies at or before it
	Password string    // password of every demo user (at most 72 bytes, bcrypt's limit)

	Merchants    int // at least 5: two stay pending, one is abnormal, one suspended
	Agents       int // 1 to 5
	Buyers       int // at least 1
	Goods        int // 3–8 per active merchant and 2 per other merchant, in total
	Transactions int // registered by active merchants (or their agents)
}

// Defaults returns the standard demo: seed 1039 (the supervision mode of market procurement),
// password "demo1039", 40 merchants, 3 agents, 25 buyers, 200 goods and 120 transactions.
func Defaults(now time.Time) Options {
	return Options{
		Seed: 1039, Now: now, Password: "demo1039",
		Merchants: 40, Agents: 3, Buyers: 25, Goods: 200, Transactions: 120,
	}
}

// Login is a demo account a newcomer can sign in with.
type Login struct {
	Username, Password, Role string
	Who                      string // e.g. "义乌市稠城晶彩饰品商行 (merchant, active)"
}

// Summary counts what Load wrote and lists the logins to try.
type Summary struct {
	Merchants, Agents, Buyers, Goods int
	Transactions, Lines              int     // transactions and their lines
	Rates                            int     // monthly exchange rates
	Logins                           []Login // one per role (two customs inspectors): admin, auditor, customs, inspector1, inspector2, tax, fx, supervision, agent1, merchant1, merchant-pending
}

// Load fills an empty migrated database with demo data in one database transaction: agents,
// merchants and their entrustments, buyers, goods, transactions with their lines, monthly
// exchange rates and a user for every role (see Summary.Logins). The same Options give the
// same rows (IDs, names, numbers, amounts), except the bcrypt password hashes, which carry a
// random salt.
//
// Load refuses a database whose parties, users, goods, transactions or exchange rates already
// hold rows (apperr.Conflict) and options it cannot honour (apperr.Invalid). ref must not be
// nil: every generated HS code, country, currency, unit and USCC is checked against it.
//
// Transaction numbers read "TR" + the day the transaction was recorded (Yiwu time, yyyymmdd) +
// a 5-digit sequence that restarts daily; the number_sequences row "transaction:yyyymmdd"
// holds the next sequence number of each day the demo used, so later numbering continues.
func Load(ctx context.Context, db *gorm.DB, ref *refdata.Set, opts Options) (*Summary, error) {
	if ref == nil {
		return nil, errors.New("demo: reference data is required")
	}
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := checkReference(ref); err != nil {
		return nil, err
	}
	// One hash for every demo user: bcrypt at the default cost takes tens of milliseconds.
	hash, err := bcrypt.GenerateFromPassword([]byte(opts.Password), bcrypt.DefaultCost)
	if err != nil {
		return nil, fmt.Errorf("demo: hash password: %w", err)
	}
	g := newGenerator(opts, ref, string(hash))
	var sum *Summary
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := refuseNonEmpty(tx); err != nil {
			return err
		}
		s, err := g.load(tx)
		sum = s
		return err
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// Logins returns the logins Load creates with opts, without a database, so that a server
// restarted on a demo database can show them again. They depend on the seed and the sizes, not
// on Now. Options that Load would refuse give no logins.
func Logins(opts Options) []Login {
	if opts.validate() != nil {
		return nil
	}
	// Replay the draws Load makes up to the users; nothing before them needs the database.
	g := newGenerator(opts, nil, "")
	g.newOfficers()
	g.newRates()
	if g.newAgents() != nil || g.newMerchants() != nil {
		return nil
	}
	g.newPartyUsers()
	return g.summary(0, 0).Logins
}

// newGenerator starts a generator from the options' seed and clock.
func newGenerator(opts Options, ref *refdata.Set, passwordHash string) *generator {
	return &generator{
		rng:          rand.New(rand.NewPCG(uint64(opts.Seed), 1039)),
		now:          opts.Now.UTC().Truncate(time.Second),
		opts:         opts,
		ref:          ref,
		passwordHash: passwordHash,
		used:         map[string]bool{},
	}
}

// checkReference makes sure the reference data know every code the demo uses: the catalogue's
// HS codes (10 digits on an HS 2022 subheading) and customs units, the buyers' countries and
// the currencies of rates and transactions.
func checkReference(ref *refdata.Set) error {
	for _, t := range trades {
		for _, tpl := range t.goods {
			if v := workflow.CheckHSCode(ref, tpl.hs); !v.OK {
				return fmt.Errorf("demo: %s has HS code %s: %s", tpl.en, tpl.hs, v.Problem.En)
			}
			for _, u := range []string{tpl.legal, tpl.unit} {
				if _, ok := ref.Unit(u); !ok {
					return fmt.Errorf("demo: %s has unit %s, which is not a customs unit", tpl.en, u)
				}
			}
		}
	}
	for _, c := range buyerCountries {
		if _, ok := ref.Country(c.code); !ok {
			return fmt.Errorf("demo: buyer country %s is not in the reference data", c.code)
		}
	}
	codes := slices.Clone(transactionCurrencies)
	for _, c := range rateCurves {
		codes = append(codes, c.code)
	}
	for _, code := range codes {
		if _, ok := ref.Currency(code); !ok {
			return fmt.Errorf("demo: currency %s is not in the reference data", code)
		}
	}
	return nil
}

// validate says which option cannot be honoured.
func (o Options) validate() error {
	var fs apperr.Fields
	others := len(otherStatuses)
	active := o.Merchants - others
	switch {
	case o.Now.IsZero():
		fs.Add("Now", apperr.T("Give the demo's present time", "请提供演示数据的当前时间"))
	case o.Now.Year() < 2001 || o.Now.Year() > 2098:
		fs.Add("Now", apperr.T("The demo's present must lie between 2001 and 2098", "演示数据的当前时间应在 2001 至 2098 年之间"))
	}
	if o.Password == "" || len(o.Password) > 72 {
		fs.Add("Password", apperr.T("The demo password must have 1 to 72 bytes", "演示密码应为 1 至 72 个字节"))
	}
	if o.Merchants < others+1 || o.Merchants > 2000 {
		fs.Add("Merchants", apperr.Tf("Give %d to 2000 merchants", "商户数应为 %d 至 2000", others+1))
	}
	if o.Agents < 1 || o.Agents > len(agentProfiles) {
		fs.Add("Agents", apperr.Tf("Give 1 to %d agents", "代理商数应为 1 至 %d", len(agentProfiles)))
	}
	if o.Buyers < 1 || o.Buyers > 2000 {
		fs.Add("Buyers", apperr.T("Give 1 to 2000 buyers", "采购商数应为 1 至 2000"))
	}
	if lo, hi := 3*active+2*others, 8*active+2*others; active > 0 && (o.Goods < lo || o.Goods > hi) {
		fs.Add("Goods", apperr.Tf("For %d merchants give %d to %d goods", "%d 个商户应有 %d 至 %d 种商品", o.Merchants, lo, hi))
	}
	if o.Transactions < 0 || o.Transactions > 20000 {
		fs.Add("Transactions", apperr.T("Give 0 to 20000 transactions", "交易数应为 0 至 20000"))
	}
	return fs.Err()
}

// refuseNonEmpty stops Load when the database already holds data the demo would collide with.
func refuseNonEmpty(tx *gorm.DB) error {
	for _, t := range []struct {
		model  any
		en, zh string
	}{
		{&models.User{}, "users", "用户"},
		{&models.Merchant{}, "merchants", "商户"},
		{&models.Agent{}, "agents", "代理商"},
		{&models.Buyer{}, "buyers", "采购商"},
		{&models.Goods{}, "goods", "商品"},
		{&models.Transaction{}, "transactions", "交易"},
		{&models.ExchangeRate{}, "exchange rates", "汇率"},
	} {
		var n int64
		if err := tx.Model(t.model).Count(&n).Error; err != nil {
			return fmt.Errorf("demo: count %s: %w", t.en, err)
		}
		if n > 0 {
			return apperr.New(apperr.Conflict, apperr.Tf(
				"The database already holds %[1]d %[2]s: demo data is only loaded into an empty database",
				"数据库中已有 %[1]d 条%[3]s数据：演示数据只能导入空数据库", n, t.en, t.zh))
		}
	}
	return nil
}

// generator builds the demo rows in a fixed order from one seeded source, so that a seed
// always gives the same data, and remembers what later steps refer to. Row slices are shared
// with the inserts, so they hold the IDs the database gave.
type generator struct {
	rng          *rand.Rand
	now          time.Time
	opts         Options
	ref          *refdata.Set
	passwordHash string
	used         map[string]bool // identifiers handed out, to keep them unique

	officers     []models.User
	rates        []models.ExchangeRate
	agents       []agentPlan
	agentRows    []models.Agent
	merchants    []merchantPlan
	merchantRows []models.Merchant
	users        []models.User // agent and merchant users
	buyers       []models.Buyer
	goods        []goodsPlan
	goodsRows    []models.Goods
}

// batchSize keeps each INSERT well below PostgreSQL's 65,535 parameters.
const batchSize = 100

// load writes every table in dependency order and returns the summary.
func (g *generator) load(tx *gorm.DB) (*Summary, error) {
	g.newOfficers()
	if err := insert(tx, "officers", g.officers); err != nil {
		return nil, err
	}
	g.newRates()
	if err := insert(tx, "exchange rates", g.rates); err != nil {
		return nil, err
	}
	if err := g.newAgents(); err != nil {
		return nil, err
	}
	if err := insert(tx, "agents", g.agentRows); err != nil {
		return nil, err
	}
	if err := g.newMerchants(); err != nil {
		return nil, err
	}
	if err := insert(tx, "merchants", g.merchantRows); err != nil {
		return nil, err
	}
	g.newPartyUsers()
	if err := insert(tx, "agent and merchant users", g.users); err != nil {
		return nil, err
	}
	if err := insert(tx, "merchant status changes", g.newStatusChanges()); err != nil {
		return nil, err
	}
	if err := insert(tx, "entrustments", g.newEntrustments()); err != nil {
		return nil, err
	}
	if err := g.newBuyers(); err != nil {
		return nil, err
	}
	if err := insert(tx, "buyers", g.buyers); err != nil {
		return nil, err
	}
	watches, err := loadWatches(tx)
	if err != nil {
		return nil, err
	}
	g.newGoods(watches)
	if err := insert(tx, "goods", g.goodsRows); err != nil {
		return nil, err
	}
	if err := insert(tx, "goods reviews", g.newGoodsReviews()); err != nil {
		return nil, err
	}
	txns, lines, err := g.newTransactions()
	if err != nil {
		return nil, err
	}
	if err := insert(tx, "transactions", txns); err != nil {
		return nil, err
	}
	rows := make([]models.TransactionLine, len(lines))
	for i, l := range lines {
		rows[i] = l.row
		rows[i].TransactionID = txns[l.txn].ID
	}
	if err := insert(tx, "transaction lines", rows); err != nil {
		return nil, err
	}
	if err := insert(tx, "number sequences", transactionSequences(txns)); err != nil {
		return nil, err
	}
	if err := insert(tx, "buyer links", g.newBuyerLinks(txns)); err != nil {
		return nil, err
	}
	return g.summary(len(txns), len(rows)), nil
}

// insert writes rows in batches; GORM fills in their IDs.
func insert[T any](tx *gorm.DB, what string, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(rows, batchSize).Error; err != nil {
		return fmt.Errorf("demo: insert %s: %w", what, err)
	}
	return nil
}
