package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// sendIngest posts a bulk ingest body, with an Idempotency-Key when key is not "".
func sendIngest(c *client, key, body string) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/transactions/bulk", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	return c.do(req)
}

// ingestBody is n sales of merchant A to its buyer, each with a line by SKU and a line by id.
func ingestBody(a *txnApp, n int) string { return ingestBodyBad(a, n, -1) }

// ingestBodyBad is ingestBody whose transaction bad has a second line lighter gross than net.
func ingestBodyBad(a *txnApp, n, bad int) string {
	txns := make([]string, n)
	for i := range txns {
		txns[i] = fmt.Sprintf(`{"merchant_id": %d, "buyer_id": %d, "trade_date": "2026-11-28", "currency": "USD", "submit": %t,
			"lines": [{"sku": "EAR-001", "quantity": "1200", "unit_price": 0.0035, "cartons": 2, "net_kg": "9.6", "gross_kg": 10.4},
			          {"goods_id": %d, "quantity": 10, "unit": "007", "unit_price": "1.5", "cartons": "1", "net_kg": 2, "gross_kg": "2.5"}]}`,
			a.World.MerchantA.ID, a.World.BuyerA.ID, i != 1, a.CupA.ID)
		if i == bad {
			txns[i] = strings.Replace(txns[i], `"gross_kg": "2.5"`, `"gross_kg": "1"`, 1)
		}
	}
	return `{"transactions": [` + strings.Join(txns, ",") + `]}`
}

// TestIngestAPI: a bulk ingest answers 201 with every transaction's number and every line's trace
// code; a retry under the same Idempotency-Key gets the same answer and registers nothing; the
// key with another body is 409; a bad line anywhere is 422 naming transactions[i].lines[j].field
// and registers nothing; a body above the forms' 16 MB limit is read.
func TestIngestAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newTxnApp(t, db)
		link := models.BuyerLink{BuyerID: a.World.BuyerA.ID, AgentID: &a.World.AgentX.ID, CreatedByUserID: a.World.Users[testkit.UserAgentX].ID, CreatedAt: testkit.Now}
		if err := db.Create(&link).Error; err != nil {
			t.Fatal(err)
		}
		count := func() string {
			var txns, lines, audits int64
			db.Model(&models.Transaction{}).Count(&txns)
			db.Model(&models.TransactionLine{}).Count(&lines)
			db.Model(&models.AuditEntry{}).Count(&audits)
			return fmt.Sprint(txns, " transactions, ", lines, " lines, ", audits, " audit entries")
		}
		agent := a.api(t, testkit.UserAgentX)
		body := ingestBody(a, 3)
		first := sendIngest(agent, "bulk-1", body)
		txnWant(t, first, http.StatusCreated)
		var got struct {
			Transactions []struct {
				ID     int64  `json:"id"`
				Number string `json:"number"`
				Status string `json:"status"`
				Total  string `json:"total_amount"`
				Lines  []struct {
					ID        int64  `json:"id"`
					LineNo    int    `json:"line_no"`
					TraceCode string `json:"trace_code"`
					Amount    string `json:"amount"`
				} `json:"lines"`
			} `json:"transactions"`
			Lines int `json:"lines"`
		}
		if err := json.Unmarshal(first.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Transactions) != 3 || got.Lines != 6 || got.Transactions[0].Status != "registered" || got.Transactions[1].Status != "draft" ||
			got.Transactions[2].Number != "TR2026112900003" || got.Transactions[0].Total != "19.20" || len(got.Transactions[2].Lines) != 2 ||
			!workflow.ValidTraceCode(got.Transactions[2].Lines[1].TraceCode) || got.Transactions[2].Lines[1].LineNo != 2 || got.Transactions[2].Lines[1].ID == 0 ||
			got.Transactions[0].Lines[0].Amount != "4.20" || got.Transactions[0].Lines[1].Amount != "15.00" {
			t.Fatalf("answer %s", first.Body)
		}
		var stored models.Transaction
		if err := db.Take(&stored, got.Transactions[0].ID).Error; err != nil || stored.AgentID == nil || stored.MerchantID != a.World.MerchantA.ID {
			t.Errorf("stored %+v %v", stored, err)
		}
		rec := a.api(t, testkit.UserMerchantA).get("/api/v1/transactions/" + txnID64(got.Transactions[2].ID))
		txnWant(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), got.Transactions[2].Lines[0].TraceCode) {
			t.Errorf("merchant's view of an ingested transaction: %s", txnShort(rec.Body.String(), 300))
		}

		merchantB, agentY := a.api(t, testkit.UserMerchantB), a.api(t, testkit.UserAgentY) // tokens are audited
		before := count()
		again := sendIngest(agent, "bulk-1", body)
		if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" || count() != before {
			t.Errorf("retry: %d %s (%s)", again.Code, txnShort(again.Body.String(), 200), count())
		}
		conflict := sendIngest(agent, "bulk-1", ingestBody(a, 2))
		if conflict.Code != http.StatusConflict || count() != before {
			t.Errorf("same key, other body: %d %s", conflict.Code, conflict.Body)
		}

		for _, tc := range []struct{ name, body, field string }{
			{"ErrLine", strings.Replace(ingestBody(a, 40), `"unit_price": "1.5"`, `"unit_price": "1.5.0"`, 1), ""},
			{"ErrDeepLine", ingestBodyBad(a, 30, 29), "transactions[29].lines[1].gross_kg"},
			{"ErrTooLong", strings.Replace(ingestBody(a, 3), `"unit": "007"`, `"unit": "`+strings.Repeat("7", 30)+`"`, 1), "transactions[0].lines[1].unit"},
			{"ErrNoTransactions", `{"transactions": []}`, "transactions"},
			{"ErrNotJSON", `{"transactions": {}}`, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rec := sendIngest(agent, "", tc.body)
				txnWant(t, rec, http.StatusUnprocessableEntity)
				if tc.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tc.field+`"`) {
					t.Errorf("no problem with %s: %s", tc.field, txnShort(rec.Body.String(), 400))
				}
				if tc.name == "ErrLine" && !strings.Contains(rec.Body.String(), `"field":"transactions[0].lines[1].unit_price"`) {
					t.Errorf("first line: %s", txnShort(rec.Body.String(), 400))
				}
				if count() != before {
					t.Errorf("a refused ingest wrote: %s", count())
				}
			})
		}

		// Merchant B may not ingest for merchant A: the buyer and the goods are not B's.
		rec = sendIngest(merchantB, "", ingestBody(a, 2))
		txnWant(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), `"field":"transactions[1].buyer_id"`) || count() != before {
			t.Errorf("merchant B: %s", txnShort(rec.Body.String(), 300))
		}
		// Agent Y is not entrusted by merchant A.
		rec = sendIngest(agentY, "", ingestBody(a, 2))
		txnWant(t, rec, http.StatusUnprocessableEntity)
		if !strings.Contains(rec.Body.String(), `"field":"transactions[0].merchant_id"`) || count() != before {
			t.Errorf("agent Y: %s", txnShort(rec.Body.String(), 300))
		}

		// The body may be larger than the forms' 16 MB (here white space, refused as empty).
		big := `{"transactions": [` + strings.Repeat(" ", 17<<20) + `]}`
		rec = sendIngest(agent, "", big)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"transactions"`) {
			t.Errorf("17 MB body: %d %s", rec.Code, txnShort(rec.Body.String(), 300))
		}
		txnWant(t, a.anon(t).postJSON("/api/v1/transactions/bulk", body), http.StatusUnauthorized)
		txnWant(t, a.api(t, testkit.UserAuditor).postJSON("/api/v1/transactions/bulk", body), http.StatusForbidden)
	})
}
