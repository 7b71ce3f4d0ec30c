package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"mpt/handlers"
	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// BenchmarkIngestAPI is a bulk ingest of 5,000 transactions of 10 lines through the HTTP API
// (the body read, JSON decoded and validated, the workflow's BenchmarkIngest, the answer
// encoded and stored for its Idempotency-Key), on SQLite:
//
//	go test ./handlers/ -run '^$' -bench BenchmarkIngestAPI -benchtime 3x
func BenchmarkIngestAPI(b *testing.B) {
	db := dbtest.Open(b, "sqlite")
	w := testkit.Seed(b, db)
	ref, err := refdata.Load()
	if err != nil {
		b.Fatal(err)
	}
	now := testkit.Now
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := workflow.NewService(db, ref, func() time.Time { return now }, log)
	srv, err := handlers.New(handlers.Deps{Service: svc, Log: log, Version: "test"})
	if err != nil {
		b.Fatal(err)
	}
	u := w.Users[testkit.UserMerchantA]
	tok, err := svc.CreateAPIToken(context.Background(), workflow.Actor{UserID: u.ID, Role: u.Role}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	goods := make([]models.Goods, 1000)
	for i := range goods {
		goods[i] = models.Goods{MerchantID: w.MerchantA.ID, SKU: fmt.Sprintf("SKU-%05d", i), NameZh: "商品", NameEn: "goods",
			HSCode: "3924100000", LegalUnit: "035", TransactionUnit: "007", Status: models.GoodsRecognised, Version: 1,
			CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	}
	if err := db.CreateInBatches(&goods, 200).Error; err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	sb.WriteString(`{"transactions": [`)
	for i := range 5000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"buyer_id": %d, "trade_date": "2026-11-28", "currency": "USD", "submit": true, "lines": [`, w.BuyerA.ID)
		for j := range 10 {
			if j > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"goods_id": %d, "quantity": "%d", "unit": "007", "unit_price": "1.%04d", "cartons": "%d", "net_kg": "%d.5", "gross_kg": "%d.1"}`,
				goods[(i*10+j)%len(goods)].ID, 1+j*7, 1+i%9999, j, 1+j, 2+j)
		}
		sb.WriteString(`]}`)
	}
	sb.WriteString(`]}`)
	body := sb.String()
	b.Logf("body %.1f MB", float64(len(body))/(1<<20))
	b.ResetTimer()
	for op := range b.N {
		b.StopTimer()
		now = testkit.Now.Add(time.Duration(op+1) * 24 * time.Hour) // 5,000 numbers a day each
		req := httptest.NewRequest(http.MethodPost, "/api/v1/transactions/bulk", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		rec := httptest.NewRecorder()
		b.StartTimer()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("%d %s", rec.Code, txnShort(rec.Body.String(), 300))
		}
	}
	b.ReportMetric(float64(b.N*50_000)/b.Elapsed().Seconds(), "lines/s")
}
