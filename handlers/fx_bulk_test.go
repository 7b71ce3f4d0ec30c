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
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestFXBulkAccessMatrix: the bulk allocation and statement APIs are the FX officer's alone:
// 403 for merchants, agents, customs, tax, market supervision, the auditor and the admin, 401
// without a token.
func TestFXBulkAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		tr := a.trade(t, servicetest.TradeSpec{})
		r := a.receipt(t, "FX-BULK", "100", a.World.MerchantA.USCC)
		routes := []matrixRoute{
			{"POST", "/api/v1/fx/allocations/bulk", nil, fmt.Sprintf(`{"allocations":[{"receipt_id":%d,"version":1,"items":[{"line_id":%d,"amount":"25"}]}]}`,
				r.ID, tr.Lines[0].ID), []goodsOutcome{goodsIs(http.StatusOK, testkit.UserFX)}},
			// a JSON body is not a statement file: the officer gets 422, everyone else is refused first
			{"POST", "/api/v1/fx/statements", nil, `{}`, []goodsOutcome{goodsIs(http.StatusUnprocessableEntity, testkit.UserFX)}},
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range testkit.Everyone {
			pages[u], apis[u] = a.anon(t), a.apiAs(t, u)
		}
		checkAccessMatrix(t, routes, testkit.Everyone, pages, apis)
		var n int64
		db.Model(&models.FXAllocation{}).Where("receipt_id = ?", r.ID).Count(&n)
		if n != 1 {
			t.Fatalf("%d allocation rows after the matrix, want the officer's one", n)
		}
	})
}

// fxAPIError is the error body of the API.
type fxAPIError struct {
	Error struct {
		Code   string `json:"code"`
		Fields []struct {
			Field string `json:"field"`
		} `json:"fields"`
	} `json:"error"`
}

func (e fxAPIError) fields() string {
	var out []string
	for _, f := range e.Error.Fields {
		out = append(out, f.Field)
	}
	return strings.Join(out, ",")
}

// TestFXBulkAllocateAPI: two receipts allocated in one call answer 200 with each receipt's new
// version, allocated money and flags; the same request under the same Idempotency-Key is
// answered again without allocating; bad items are named by path with nothing written; a stale
// version is 409; a body that is not JSON 422.
func TestFXBulkAllocateAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		tr := a.trade(t, servicetest.TradeSpec{})
		r1 := a.receipt(t, "FX-B1", "1500", a.World.MerchantA.USCC)
		r2 := a.receipt(t, "FX-B2", "300", a.World.MerchantA.USCC)
		c := a.apiAs(t, testkit.UserFX)
		body := fmt.Sprintf(`{"allocations":[{"receipt_id":%d,"version":1,"items":[{"line_id":%d,"amount":"1200"},{"trace_code":"%s","amount":"100"}]},`+
			`{"receipt_id":%d,"items":[{"line_id":%d,"amount":"300"}]}]}`, r1.ID, tr.Lines[0].ID, tr.Lines[1].TraceCode, r2.ID, tr.Lines[1].ID)
		post := func(body, key string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/fx/allocations/bulk", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Idempotency-Key", key)
			}
			return c.do(req)
		}
		rec := post(body, "bulk-1")
		var out struct {
			Allocations []struct {
				ReceiptID   int64    `json:"receipt_id"`
				Version     int64    `json:"version"`
				Total       string   `json:"total"`
				Allocated   string   `json:"allocated"`
				Unallocated string   `json:"unallocated"`
				Lines       int      `json:"lines"`
				Flags       []string `json:"flags"`
			} `json:"allocations"`
			Lines int `json:"lines"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); rec.Code != http.StatusOK || err != nil || out.Lines != 3 || len(out.Allocations) != 2 {
			t.Fatalf("bulk: %d %s", rec.Code, rec.Body)
		}
		got := fmt.Sprintf("%+v", out.Allocations)
		want := fmt.Sprintf("[{ReceiptID:%d Version:2 Total:1300.00 Allocated:1300.00 Unallocated:200.00 Lines:2 Flags:[before_export]} "+
			"{ReceiptID:%d Version:2 Total:300.00 Allocated:300.00 Unallocated:0.00 Lines:1 Flags:[before_export]}]", r1.ID, r2.ID)
		if got != want {
			t.Fatalf("answer %s\nwant   %s", got, want)
		}
		count := func() string {
			var rows, audits int64
			db.Model(&models.FXAllocation{}).Count(&rows)
			db.Model(&models.AuditEntry{}).Count(&audits)
			return fmt.Sprintf("%d rows, %d audit entries", rows, audits)
		}
		before := count()
		again := post(body, "bulk-1")
		if again.Code != http.StatusOK || again.Body.String() != rec.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" || count() != before {
			t.Fatalf("retry: %d %s %q; %s, was %s", again.Code, again.Body, again.Header().Get("Idempotent-Replayed"), count(), before)
		}
		if rec := post(body, ""); rec.Code != http.StatusConflict {
			t.Fatalf("the same allocations again without a key: %d %s", rec.Code, rec.Body)
		}

		r3 := a.receipt(t, "FX-B3", "500", a.World.MerchantA.USCC)
		for _, c := range []struct {
			name, body string
			status     int
			fields     string
		}{
			{"ErrUnknownReceipt", fmt.Sprintf(`{"allocations":[{"receipt_id":%d,"items":[{"line_id":%d,"amount":"100"}]},{"receipt_id":%d,"items":[{"line_id":%d,"amount":"1.234"}]}]}`,
				r3.ID, tr.Lines[1].ID, r3.ID+1000, tr.Lines[1].ID), http.StatusUnprocessableEntity, "allocations[1].receipt_id"},
			{"ErrAmount", fmt.Sprintf(`{"allocations":[{"receipt_id":%d,"items":[{"line_id":%d,"amount":"100"},{"line_id":%d,"amount":"x"}]}]}`,
				r3.ID, tr.Lines[1].ID, tr.Lines[0].ID), http.StatusUnprocessableEntity, "allocations[0].items[1].amount"},
			{"ErrValidate", `{"allocations":[{"receipt_id":-1,"items":[{"line_id":-5,"amount":"1"}]}]}`, http.StatusUnprocessableEntity,
				"allocations[0].receipt_id,allocations[0].items[0].line_id"},
			{"ErrStale", fmt.Sprintf(`{"allocations":[{"receipt_id":%d,"version":1,"items":[{"line_id":%d,"amount":"1"}]}]}`, r1.ID, tr.Lines[1].ID),
				http.StatusConflict, "allocations[0].version"},
			{"ErrNotJSON", `{"allocations": "all"}`, http.StatusUnprocessableEntity, ""},
			{"ErrKeyReused", fmt.Sprintf(`{"allocations":[{"receipt_id":%d,"items":[{"line_id":%d,"amount":"1"}]}]}`, r3.ID, tr.Lines[1].ID),
				http.StatusConflict, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				key := ""
				if c.name == "ErrKeyReused" {
					key = "bulk-1" // the key of the first call, with another request
				}
				before := count()
				rec := post(c.body, key)
				var e fxAPIError
				_ = json.Unmarshal(rec.Body.Bytes(), &e)
				if rec.Code != c.status || e.fields() != c.fields || count() != before {
					t.Fatalf("%d %s; %s, was %s", rec.Code, rec.Body, count(), before)
				}
			})
		}
	})
}

// TestFXStatementAPI: a statement uploaded by a system records its receipts (201, ids and bank
// references in the file's order); a file with bad rows is refused (422) with each row and
// column, recording nothing; no file is 422 naming the field.
func TestFXStatementAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		c := a.apiAs(t, testkit.UserFX)
		head := "bank_ref,payer,payer_country,currency,amount,value_date,beneficiary_uscc\n"
		uscc := a.World.MerchantA.USCC
		rec := adminUpload(c, "/api/v1/fx/statements", nil, "s.csv", []byte(head+"S-1,Ahmed,AE,USD,10,2026-11-28,"+uscc+"\nS-1,Ahmed,AE,USD,abc,2026-11-28,"+uscc+"\n"))
		var bad struct {
			fxAPIError
			Rows     int `json:"rows"`
			Problems []struct {
				Row     int    `json:"row"`
				Column  string `json:"column"`
				Message string `json:"message"`
			} `json:"problems"`
			ProblemCount int `json:"problem_count"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &bad); rec.Code != http.StatusUnprocessableEntity || err != nil || bad.Error.Code != "invalid" ||
			bad.Rows != 2 || bad.ProblemCount != 2 || len(bad.Problems) != 2 {
			t.Fatalf("bad statement: %d %s", rec.Code, rec.Body)
		}
		if p := bad.Problems; p[0].Row != 3 || p[0].Column != "amount" || p[1].Row != 3 || p[1].Column != "bank_ref" || p[0].Message == "" {
			t.Fatalf("problems %+v", p)
		}
		var n int64
		db.Model(&models.FXReceipt{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d receipts after a refused statement", n)
		}
		rec = adminUpload(c, "/api/v1/fx/statements", nil, "s.csv", []byte(head+"S-1,Ahmed,AE,USD,10,2026-11-28,"+uscc+"\nS-2,Ahmed,AE,USD,20,2026-11-28,"+uscc+"\n"))
		var ok struct {
			StatementRef string `json:"statement_ref"`
			Recorded     int    `json:"recorded"`
			Receipts     []struct {
				ID      int64  `json:"id"`
				BankRef string `json:"bank_ref"`
			} `json:"receipts"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &ok); rec.Code != http.StatusCreated || err != nil || ok.StatementRef != "ST202611290001" ||
			ok.Recorded != 2 || len(ok.Receipts) != 2 || ok.Receipts[0].BankRef != "S-1" || ok.Receipts[1].BankRef != "S-2" {
			t.Fatalf("good statement: %d %s", rec.Code, rec.Body)
		}
		var r models.FXReceipt
		if err := db.Where("id = ?", ok.Receipts[1].ID).Take(&r).Error; err != nil || r.BankRef != "S-2" || r.StatementRef != ok.StatementRef {
			t.Fatalf("receipt %d: %+v, %v", ok.Receipts[1].ID, r, err)
		}
		var e fxAPIError
		rec = adminUpload(c, "/api/v1/fx/statements", nil, "", nil)
		if _ = json.Unmarshal(rec.Body.Bytes(), &e); rec.Code != http.StatusUnprocessableEntity || e.fields() != "file" {
			t.Fatalf("no file: %d %s", rec.Code, rec.Body)
		}
		rec = adminUpload(c, "/api/v1/fx/statements", nil, "s.xlsx", []byte("PK\x03\x04"))
		if _ = json.Unmarshal(rec.Body.Bytes(), &e); rec.Code != http.StatusUnprocessableEntity || e.fields() != "file" {
			t.Fatalf("not a CSV: %d %s", rec.Code, rec.Body)
		}
	})
}
