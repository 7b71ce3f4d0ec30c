package workflow

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// TestIngestTraceCodes: codes drawn before the write are redrawn when already stored or drawn
// twice; a code another writer stored after the draw fails the insert as a trace-code clash,
// which makes the call draw again.
func TestIngestTraceCodes(t *testing.T) {
	db := dbtest.SQLite(t)
	w := testkit.Seed(t, db)
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(db, ref, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	g := models.Goods{MerchantID: w.MerchantA.ID, SKU: "CUP-1", NameZh: "杯", NameEn: "cup", HSCode: "3924100000", LegalUnit: "007",
		TransactionUnit: "007", Status: models.GoodsRecognised, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	tr := models.Transaction{Number: "TR2026112800001", MerchantID: w.MerchantA.ID, BuyerID: w.BuyerA.ID, TradeDate: "2026-11-28",
		Currency: "USD", Status: models.TransactionDraft, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := db.Create(&g).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Create(&tr).Error; err != nil {
		t.Fatal(err)
	}
	code := func(first9 string) string { c, _ := TraceCheckChar(first9); return first9 + string(c) }
	stored := code("ABCDEFGHJ")
	line := models.TransactionLine{TransactionID: tr.ID, LineNo: 1, GoodsID: g.ID, TraceCode: stored, Quantity: 1000, Unit: "007",
		UnitPrice: 10000, Amount: 100, NetGrams: 1000, GrossGrams: 1000, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := db.Create(&line).Error; err != nil {
		t.Fatal(err)
	}
	seq := []string{stored, code("000000001"), code("000000001"), code("000000002"), code("000000003")}
	next := 0
	codes, err := drawTraceCodes(db, 2, func() string { next++; return seq[next-1] })
	if err != nil || len(codes) != 2 || codes[0] == stored || codes[1] == stored || codes[0] == codes[1] {
		t.Fatalf("codes %v, %v", codes, err)
	}

	actor := Actor{UserID: w.Users[testkit.UserMerchantA].ID, Role: models.RoleMerchant, MerchantID: w.MerchantA.ID, Day: testkit.Day}
	in := []NewTransaction{{TransactionInput: TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-11-28", Currency: "USD"},
		Lines: []LineInput{{GoodsID: g.ID, Quantity: "1", UnitPrice: "1", Cartons: "1", NetKg: "1", GrossKg: "1"}}}}
	txns, problems := svc.checkIngest(actor, in)
	if problems.err() != nil {
		t.Fatal(problems.err())
	}
	err = svc.tx(context.Background(), func(tx *gorm.DB) error {
		_, err := svc.writeIngest(context.Background(), tx, actor, txns, []string{stored})
		return err
	})
	if !isTraceCodeClash(err) {
		t.Errorf("a code stored meanwhile: %v, want a trace-code clash", err)
	}
	if _, err := svc.IngestTransactions(context.Background(), actor, in); err != nil {
		t.Errorf("ingest: %v", err)
	}
}
