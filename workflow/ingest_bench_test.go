package workflow_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// Bulk ingest benchmarks (issue 9: at least 50,000 lines/s, compared with raw batched inserts of
// the same rows). Both write 5,000 transactions of 10 lines per operation into SQLite:
//
//	go test ./workflow/ -run '^$' -bench 'BenchmarkIngest|BenchmarkRawInsert' -benchtime 5x -count 3
const (
	benchIngestTxns  = 5000
	benchIngestLines = 10
	benchIngestGoods = 1000
)

// ingestBenchWorld is the seeded world with a catalogue of recognised goods for merchant A, its
// buyer in agent X's list, and a clock the benchmark moves a day per operation (a day numbers at
// most 99,999 transactions).
type ingestBenchWorld struct {
	db    *gorm.DB
	w     *testkit.World
	svc   *workflow.Service
	now   time.Time
	goods []int64
}

func newIngestBenchWorld(b *testing.B) *ingestBenchWorld {
	b.Helper()
	db := dbtest.Open(b, "sqlite")
	bw := &ingestBenchWorld{db: db, w: testkit.Seed(b, db), now: testkit.Now}
	bw.svc = servicetest.Service(b, db, func() time.Time { return bw.now })
	hs := []string{"3924100000", "7117190000", "9503002100", "6702100000", "4202220000"}
	goods := make([]models.Goods, benchIngestGoods)
	for i := range goods {
		goods[i] = models.Goods{MerchantID: bw.w.MerchantA.ID, SKU: fmt.Sprintf("SKU-%05d", i), NameZh: "商品", NameEn: "goods",
			HSCode: hs[i%len(hs)], LegalUnit: "035", TransactionUnit: "007", Status: models.GoodsRecognised, Version: 1,
			CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	}
	if err := db.CreateInBatches(&goods, 200).Error; err != nil {
		b.Fatal(err)
	}
	for _, g := range goods {
		bw.goods = append(bw.goods, g.ID)
	}
	link := models.BuyerLink{BuyerID: bw.w.BuyerA.ID, AgentID: &bw.w.AgentX.ID, CreatedByUserID: bw.w.Users[testkit.UserAgentX].ID, CreatedAt: testkit.Now}
	if err := db.Create(&link).Error; err != nil {
		b.Fatal(err)
	}
	return bw
}

// input is one operation's call: agent X registers 5,000 sales of merchant A, 10 lines each.
func (bw *ingestBenchWorld) input() []workflow.NewTransaction {
	r := rand.New(rand.NewPCG(1, 2))
	in := make([]workflow.NewTransaction, benchIngestTxns)
	for i := range in {
		lines := make([]workflow.LineInput, benchIngestLines)
		for j := range lines {
			net := 1 + r.IntN(500)
			lines[j] = workflow.LineInput{GoodsID: bw.goods[r.IntN(len(bw.goods))], Quantity: fmt.Sprint(1 + r.IntN(5000)),
				Unit: "007", UnitPrice: fmt.Sprintf("%d.%04d", r.IntN(20), 1+r.IntN(9999)), Cartons: fmt.Sprint(r.IntN(50)),
				NetKg: fmt.Sprintf("%d.5", net), GrossKg: fmt.Sprintf("%d.1", net+1)}
		}
		in[i] = workflow.NewTransaction{TransactionInput: workflow.TransactionInput{MerchantID: bw.w.MerchantA.ID, BuyerID: bw.w.BuyerA.ID,
			TradeDate: "2026-11-28", Currency: "USD"}, Lines: lines, Submit: true}
	}
	return in
}

// BenchmarkIngest is IngestTransactions of 50,000 lines: every check, numbering, trace codes,
// batched inserts and one audit entry per transaction, in one database transaction.
func BenchmarkIngest(b *testing.B) {
	bw := newIngestBenchWorld(b)
	in := bw.input()
	agent := servicetest.Actor(b, bw.w, testkit.UserAgentX)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		bw.now = bw.now.Add(24 * time.Hour)
		b.StartTimer()
		res, err := bw.svc.IngestTransactions(ctx, agent, in)
		if err != nil {
			b.Fatal(err)
		}
		if res.Lines != benchIngestTxns*benchIngestLines {
			b.Fatalf("%d lines", res.Lines)
		}
	}
	b.ReportMetric(float64(b.N*benchIngestTxns*benchIngestLines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkRawInsert writes the same transaction and line rows as BenchmarkIngest (5,000 and
// 50,000; no audit entries) with plain multi-row INSERT statements of 500 rows, prepared once,
// through database/sql in one transaction: no checks, no trace-code lookups, no audit. The rows,
// their figures parsed and their trace codes drawn, are built outside the timer. It is the floor
// the ingest is compared with.
func BenchmarkRawInsert(b *testing.B) {
	bw := newIngestBenchWorld(b)
	in := bw.input()
	sqlDB, err := bw.db.DB()
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	ctx := context.Background()
	b.ResetTimer()
	for op := range b.N {
		b.StopTimer()
		// The rows, figures parsed and trace codes drawn beforehand.
		var maxID int64
		if err := sqlDB.QueryRow("SELECT COALESCE(MAX(id), 0) FROM transactions").Scan(&maxID); err != nil {
			b.Fatal(err)
		}
		now := testkit.Now.Add(time.Duration(op+1) * 24 * time.Hour)
		txns := make([][]any, len(in))
		var lines [][]any
		for i, t := range in {
			id := maxID + int64(i) + 1
			var amount, cartons, net, gross int64
			for j, l := range t.Lines {
				q, _ := models.ParseQuantity(l.Quantity)
				p, _ := models.ParsePrice(l.UnitPrice)
				c, _ := models.ParseFixed(l.Cartons, 0)
				n, _ := models.ParseKg(l.NetKg)
				g, _ := models.ParseKg(l.GrossKg)
				a := models.LineAmount(q, p)
				amount, cartons, net, gross = amount+int64(a), cartons+c, net+int64(n), gross+int64(g)
				lines = append(lines, []any{id, j + 1, l.GoodsID, workflow.NewTraceCode(r), int64(q), l.Unit, int64(p), int64(a), c,
					int64(n), int64(g), 0, now, now})
			}
			txns[i] = []any{id, fmt.Sprintf("TR%s%05d", now.Format("20060102"), i+1), t.MerchantID, t.BuyerID, bw.w.AgentX.ID,
				t.TradeDate, t.Currency, amount, len(t.Lines), cartons, net, gross, models.TransactionRegistered, "", now,
				bw.w.Users[testkit.UserAgentX].ID, 1, now, now}
		}
		b.StartTimer()
		if err := rawInsert(ctx, sqlDB, txns, lines); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchIngestTxns*benchIngestLines)/b.Elapsed().Seconds(), "lines/s")
}

// rawInsert inserts the rows in one transaction, 500 rows per INSERT.
func rawInsert(ctx context.Context, db *sql.DB, txns, lines [][]any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := rawInsertRows(ctx, tx, "transactions", "id, number, merchant_id, buyer_id, agent_id, trade_date, currency, total_amount, line_count, "+
		"total_cartons, total_net_grams, total_gross_grams, status, status_reason, registered_at, created_by_user_id, version, created_at, updated_at", txns); err != nil {
		return err
	}
	if err := rawInsertRows(ctx, tx, "transaction_lines", "transaction_id, line_no, goods_id, trace_code, quantity, unit, unit_price, amount, "+
		"cartons, net_grams, gross_grams, fx_allocated, created_at, updated_at", lines); err != nil {
		return err
	}
	return tx.Commit()
}

func rawInsertRows(ctx context.Context, tx *sql.Tx, table, cols string, rows [][]any) error {
	const batch = 500
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
	var stmt *sql.Stmt
	stmtRows := 0
	args := make([]any, 0, batch*width)
	for start := 0; start < len(rows); start += batch {
		chunk := rows[start:min(start+batch, len(rows))]
		if stmtRows != len(chunk) {
			if stmt != nil {
				_ = stmt.Close()
			}
			var err error
			stmt, err = tx.PrepareContext(ctx, "INSERT INTO "+table+" ("+cols+") VALUES "+strings.TrimSuffix(strings.Repeat(row+",", len(chunk)), ","))
			if err != nil {
				return err
			}
			stmtRows = len(chunk)
		}
		args = args[:0]
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return stmt.Close()
}
