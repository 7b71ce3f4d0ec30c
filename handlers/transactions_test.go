package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/handlers"
	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// txnApp is the real server over a seeded world with recognised goods for both merchants, the
// service behind it (to check what was written) and a data directory for documents.
type txnApp struct {
	*app
	Svc                              *workflow.Service
	EarringsA, CupA, PendingA, BearB models.Goods
}

func newTxnApp(t *testing.T, db *gorm.DB) *txnApp {
	t.Helper()
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := workflow.NewService(db, ref, func() time.Time { return testkit.Now }, log)
	svc.Policy.BcryptCost = bcrypt.MinCost
	svc.DataDir = t.TempDir()
	s, err := handlers.New(handlers.Deps{Service: svc, Log: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	a := &txnApp{app: &app{Server: s, World: testkit.Seed(t, db), DB: db}, Svc: svc}
	a.EarringsA = a.goods(t, a.World.MerchantA.ID, "EAR-001", "合金耳环", "Alloy earrings", "7117190000", "025", models.GoodsRecognised)
	a.CupA = a.goods(t, a.World.MerchantA.ID, "CUP-002", "塑料水杯", "Plastic cup", "3924100000", "007", models.GoodsRecognised)
	a.PendingA = a.goods(t, a.World.MerchantA.ID, "TOY-003", "毛绒玩具", "Plush toy", "9503002100", "007", models.GoodsPending)
	a.BearB = a.goods(t, a.World.MerchantB.ID, "BEAR-001", "毛绒玩具熊", "Plush teddy bear", "9503002100", "007", models.GoodsRecognised)
	return a
}

func (a *txnApp) goods(t *testing.T, merchantID int64, sku, zh, en, hs, unit, status string) models.Goods {
	t.Helper()
	g := models.Goods{MerchantID: merchantID, SKU: sku, NameZh: zh, NameEn: en, HSCode: hs, LegalUnit: "035", TransactionUnit: unit,
		Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := a.DB.Create(&g).Error; err != nil {
		t.Fatal(err)
	}
	return g
}

// actor is a seeded user as the service sees a request of testkit.Now.
func (a *txnApp) actor(t *testing.T, username string) workflow.Actor {
	t.Helper()
	u := a.World.Users[username]
	act := workflow.Actor{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Day: "2026-11-29"}
	if u.MerchantID != nil {
		act.MerchantID = *u.MerchantID
	}
	if u.AgentID != nil {
		act.AgentID = *u.AgentID
	}
	return act
}

// draftWithLine makes a draft of merchant-a with one line of earrings and a PNG receipt.
func (a *txnApp) draftWithLine(t *testing.T) (models.Transaction, models.TransactionLine, models.Document) {
	t.Helper()
	ctx := context.Background()
	act := a.actor(t, testkit.UserMerchantA)
	res, err := a.Svc.CreateTransaction(ctx, act, workflow.TransactionInput{BuyerID: a.World.BuyerA.ID, TradeDate: "2026-11-28", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := a.Svc.AddLine(ctx, act, res.Transaction.ID, res.Transaction.Version,
		workflow.LineInput{GoodsID: a.EarringsA.ID, Quantity: "120", UnitPrice: "0.85", Cartons: "2", NetKg: "9.6", GrossKg: "10.4"})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := a.Svc.AttachDocuments(ctx, act, res.Transaction.ID, workflow.DocumentReceipt, []workflow.DocumentUpload{{FileName: "收据.png",
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(txnPNG(t))), nil }}})
	if err != nil {
		t.Fatal(err)
	}
	return l.Transaction, l.Line.TransactionLine, docs[0]
}

// api is an API client with a bearer token of a seeded user.
func (a *txnApp) api(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	u := a.World.Users[username]
	tok, err := a.Svc.CreateAPIToken(context.Background(), workflow.Actor{UserID: u.ID, Role: u.Role}, "test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}

func txnPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 3, 3))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// htmx sends a form as htmx does (HX-Request and the CSRF header).
func (c *client) htmx(method, path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", c.csrf())
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return c.do(req)
}

// upload posts a multipart form with files (field → name → content).
func (c *client) upload(path string, fields map[string]string, field string, files map[string][]byte) *httptest.ResponseRecorder {
	c.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	_ = w.WriteField("_csrf", c.csrf())
	for name, content := range files {
		part, _ := w.CreateFormFile(field, name)
		_, _ = part.Write(content)
	}
	_ = w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func txnDoc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// txnFragment parses an htmx answer made of table rows (and out-of-band parts) inside a table,
// as the browser places them.
func txnFragment(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	body := strings.NewReplacer("<template>", "", "</template>", "").Replace(rec.Body.String())
	d, err := goquery.NewDocumentFromReader(strings.NewReader("<table><tbody>" + body + "</tbody></table>"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func txnWant(t *testing.T, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, txnShort(rec.Body.String(), 600))
	}
}

func txnShort(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func txnID64(id int64) string { return strconv.FormatInt(id, 10) }

// TestTransactionJourneyThroughThePages: a merchant registers a sale with the form, adds lines in
// place (htmx fragments with the totals out of band), attaches a document, registers it, prints
// labels and sees it on the dashboard, in both languages.
func TestTransactionJourneyThroughThePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newTxnApp(t, db)
		for _, lang := range []string{"zh-CN", "en"} {
			t.Run(lang, func(t *testing.T) {
				c := a.as(t, testkit.UserMerchantA)
				c.lang = lang
				rec := c.get("/transactions/new")
				txnWant(t, rec, http.StatusOK)
				d := txnDoc(t, rec)
				if d.Find("select#f-buyer_id option[value='"+txnID64(a.World.BuyerA.ID)+"']").Length() != 1 ||
					d.Find("select#f-buyer_id option[value='"+txnID64(a.World.BuyerB.ID)+"']").Length() != 0 {
					t.Fatalf("buyer choices: %s", d.Find("select#f-buyer_id").Text())
				}
				rec = c.post("/transactions", url.Values{"buyer_id": {txnID64(a.World.BuyerA.ID)}, "trade_date": {"2026-11-28"}, "currency": {"CNY"}})
				txnWant(t, rec, http.StatusSeeOther)
				page := rec.Header().Get("Location")
				id, _ := strconv.ParseInt(strings.TrimPrefix(page, "/transactions/"), 10, 64)

				rec = c.get(page)
				txnWant(t, rec, http.StatusOK)
				d = txnDoc(t, rec)
				version := d.Find("#txn-version").AttrOr("value", "")
				if version != "1" || d.Find("form#line-add select#f-goods_id option").Length() != 3 { // choose + 2 recognised
					t.Fatalf("version %q, goods options %d", version, d.Find("form#line-add select#f-goods_id option").Length())
				}
				// Add a line in place: the posted amount is ignored.
				rec = c.htmx(http.MethodPost, page+"/lines", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"33.333"},
					"unit_price": {"1.2345"}, "cartons": {"1"}, "net_kg": {"3"}, "gross_kg": {"3.25"}, "amount": {"999999.99"},
					"trace_code": {"0000000000"}, "version": {version}})
				txnWant(t, rec, http.StatusOK)
				frag := txnFragment(t, rec)
				want := models.LineAmount(33333, 12345)
				if got := strings.TrimSpace(frag.Find("tr.line-row .line-amount").Text()); got != want.String() {
					t.Errorf("row amount %q, want %s", got, want)
				}
				if got := strings.TrimSpace(frag.Find("tfoot#txn-totals[hx-swap-oob] .total-amount strong").Text()); got != want.String() {
					t.Errorf("totals %q", got)
				}
				if frag.Find("input#txn-version[hx-swap-oob]").AttrOr("value", "") != "2" || frag.Find("form#line-add[hx-swap-oob]").Length() != 1 {
					t.Errorf("versions or fresh add form missing: %s", rec.Body)
				}
				code := frag.Find("tr.line-row").AttrOr("data-trace-code", "")
				if !workflow.ValidTraceCode(code) {
					t.Errorf("trace code %q", code)
				}
				// A bad line comes back as the form with the field's error, in place.
				rec = c.htmx(http.MethodPost, page+"/lines", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"1"}, "unit_price": {"1"},
					"cartons": {"1"}, "net_kg": {"5"}, "gross_kg": {"4"}, "version": {"2"}})
				txnWant(t, rec, http.StatusOK)
				if rec.Header().Get("HX-Retarget") != "#line-add" || txnDoc(t, rec).Find("#f-gross_kg-error").Length() != 1 {
					t.Errorf("field error not shown: %v %s", rec.Header(), rec.Body)
				}
				// A stale version is refused with a message.
				rec = c.htmx(http.MethodPost, page+"/lines", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"1"}, "unit_price": {"1"},
					"cartons": {"1"}, "net_kg": {"1"}, "gross_kg": {"1"}, "version": {"1"}})
				if rec.Header().Get("HX-Retarget") != "#line-message" || !strings.Contains(rec.Body.String(), "form-error") {
					t.Errorf("stale version: %v %s", rec.Header(), rec.Body)
				}
				// Edit the line in place, then cancel.
				lines := a.lines(t, id)
				base := page + "/lines/" + txnID64(lines[0].ID)
				rec = c.htmx(http.MethodGet, base+"/edit", nil)
				txnWant(t, rec, http.StatusOK)
				if txnFragment(t, rec).Find("tr#line-"+txnID64(lines[0].ID)+" input[name=quantity][form]").AttrOr("value", "") != "33.333" {
					t.Errorf("edit row: %s", rec.Body)
				}
				rec = c.htmx(http.MethodPost, base+"/edit", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"10"}, "unit_price": {"2"},
					"cartons": {"1"}, "net_kg": {"3"}, "gross_kg": {"3.25"}, "version": {"2"}})
				txnWant(t, rec, http.StatusOK)
				if got := strings.TrimSpace(txnFragment(t, rec).Find("tfoot .total-amount strong").Text()); got != "20.00" {
					t.Errorf("totals after edit %q: %s", got, rec.Body)
				}
				// A second line, then register.
				rec = c.htmx(http.MethodPost, page+"/lines", url.Values{"goods_id": {txnID64(a.EarringsA.ID)}, "quantity": {"1200"}, "unit_price": {"0.0035"},
					"cartons": {"2"}, "net_kg": {"9.6"}, "gross_kg": {"10.4"}, "version": {"3"}})
				txnWant(t, rec, http.StatusOK)
				rec = c.upload(page+"/documents", map[string]string{"kind": "receipt"}, "files", map[string][]byte{"收据.png": txnPNG(t)})
				txnWant(t, rec, http.StatusSeeOther)
				rec = c.post(page+"/submit", url.Values{"version": {"4"}})
				txnWant(t, rec, http.StatusSeeOther)
				got := a.reload(t, id)
				if got.Status != models.TransactionRegistered || got.TotalAmount != 2000+420 || got.LineCount != 2 {
					t.Fatalf("registered %+v", got)
				}
				rec = c.get(page)
				txnWant(t, rec, http.StatusOK)
				d = txnDoc(t, rec)
				if d.Find(".txn-status ins").Length() != 1 || d.Find("ul.txn-documents li").Length() != 1 || d.Find("ol.txn-history li").Length() < 5 {
					t.Errorf("page after registering: %s", d.Find("article").Text())
				}
				noRawTxnIDs(t, rec)

				rec = c.get(page + "/labels")
				txnWant(t, rec, http.StatusOK)
				d = txnDoc(t, rec)
				if d.Find("section.trace-label").Length() != 2 || !strings.Contains(d.Find(".label-code strong").First().Text(), "-") {
					t.Errorf("labels: %s", d.Find(".label-sheet").Text())
				}
				qr := d.Find("img.label-qr").AttrOr("src", "")
				rec = c.get(qr)
				txnWant(t, rec, http.StatusOK)
				if rec.Header().Get("Content-Type") != "image/png" || !strings.Contains(rec.Header().Get("Cache-Control"), "max-age") {
					t.Errorf("QR: %v", rec.Header())
				}
				txnWant(t, c.get("/qr/ABCDEFGHJK.png"), http.StatusNotFound) // wrong check character

				rec = c.get("/my")
				txnWant(t, rec, http.StatusOK)
				d = txnDoc(t, rec)
				if d.Find("article.dashboard-txn[data-transaction-id='"+txnID64(id)+"'] li[data-stage=registered]").Length() != 2 {
					t.Errorf("dashboard: %s", d.Find("main").Text())
				}
				noRawTxnIDs(t, rec)
				rec = c.get("/transactions?q=" + url.QueryEscape(strings.ToLower(workflow.GroupTraceCode(code))))
				if txnDoc(t, rec).Find("tr[data-transaction-id='"+txnID64(id)+"']").Length() != 1 {
					t.Errorf("search by trace code: %s", rec.Body)
				}
			})
		}
	})
}

// noRawTxnIDs fails when a page shows a message id instead of its text.
func noRawTxnIDs(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	for _, id := range []string{"txn.", "goods.status.", "merchant.status."} {
		if strings.Contains(txnDoc(t, rec).Find("body").Text(), id) {
			t.Errorf("page shows a raw message id %q", id)
		}
	}
}

func (a *txnApp) lines(t *testing.T, id int64) []models.TransactionLine {
	t.Helper()
	var ls []models.TransactionLine
	if err := a.DB.Where("transaction_id = ?", id).Order("line_no").Find(&ls).Error; err != nil {
		t.Fatal(err)
	}
	return ls
}

func (a *txnApp) reload(t *testing.T, id int64) models.Transaction {
	t.Helper()
	var tr models.Transaction
	if err := a.DB.Where("id = ?", id).Take(&tr).Error; err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestTransactionInputCannotSetProtectedFields: id, number, status, amounts, trace codes and the
// merchant come from the platform, never from a form or JSON.
func TestTransactionInputCannotSetProtectedFields(t *testing.T) {
	a := newTxnApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserMerchantA)
	rec := c.post("/transactions", url.Values{"buyer_id": {txnID64(a.World.BuyerA.ID)}, "trade_date": {"2026-11-28"}, "currency": {"USD"},
		"id": {"424242"}, "number": {"TR0"}, "status": {"registered"}, "merchant_id": {txnID64(a.World.MerchantB.ID)},
		"total_amount": {"1000"}, "version": {"99"}, "agent_id": {txnID64(a.World.AgentY.ID)}})
	txnWant(t, rec, http.StatusSeeOther)
	var tr models.Transaction
	a.DB.Order("id DESC").Take(&tr)
	if tr.ID == 424242 || tr.Status != models.TransactionDraft || tr.MerchantID != a.World.MerchantA.ID || tr.TotalAmount != 0 ||
		tr.AgentID != nil || tr.Version != 1 || !strings.HasPrefix(tr.Number, "TR20261129") {
		t.Fatalf("input reached the model: %+v", tr)
	}
	rec = c.post("/transactions/"+txnID64(tr.ID)+"/lines", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"2"}, "unit_price": {"3"},
		"cartons": {"1"}, "net_kg": {"1"}, "gross_kg": {"1"}, "version": {"1"}, "amount": {"999"}, "trace_code": {"0000000000"},
		"line_no": {"77"}, "fx_allocated": {"5"}, "transaction_id": {"1"}, "id": {"5"}})
	txnWant(t, rec, http.StatusSeeOther)
	l := a.lines(t, tr.ID)[0]
	if l.Amount != 600 || l.TraceCode == "0000000000" || l.LineNo != 1 || l.FXAllocated != 0 || l.TransactionID != tr.ID {
		t.Errorf("line input reached the model: %+v", l)
	}
	api := a.api(t, testkit.UserMerchantA)
	rec = api.postJSON("/api/v1/transactions", fmt.Sprintf(`{"id": 777, "status": "registered", "merchant_id": %d, "buyer_id": %d,
		"trade_date": "2026-11-28", "currency": "USD", "total_amount": "1",
		"lines": [{"goods_id": %d, "quantity": 2, "unit_price": "3", "cartons": 1, "net_kg": 1, "gross_kg": 1, "amount": "999", "trace_code": "0000000000"}]}`,
		a.World.MerchantB.ID, a.World.BuyerA.ID, a.CupA.ID))
	txnWant(t, rec, http.StatusCreated)
	var body struct {
		ID         int64  `json:"id"`
		MerchantID int64  `json:"merchant_id"`
		Status     string `json:"status"`
		Total      string `json:"total_amount"`
		Lines      []struct {
			Amount    string `json:"amount"`
			TraceCode string `json:"trace_code"`
		} `json:"lines"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	if body.ID == 777 || body.MerchantID != a.World.MerchantA.ID || body.Status != models.TransactionDraft || body.Total != "6.00" ||
		len(body.Lines) != 1 || body.Lines[0].Amount != "6.00" || body.Lines[0].TraceCode == "0000000000" {
		t.Errorf("API input reached the model: %s", rec.Body)
	}
}

func TestTransactionPagesRefuseChangesOnceConsolidated(t *testing.T) {
	a := newTxnApp(t, dbtest.SQLite(t))
	tr, line, doc := a.draftWithLine(t)
	ctx := context.Background()
	res, err := a.Svc.SubmitTransaction(ctx, a.actor(t, testkit.UserMerchantA), tr.ID, tr.Version)
	if err != nil {
		t.Fatal(err)
	}
	cons := models.Consolidation{BookingCode: "CB1", AgentID: a.World.AgentX.ID, Status: models.ConsolidationOpen, Version: 1,
		CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	a.DB.Create(&cons)
	a.DB.Create(&models.ConsolidationLine{ConsolidationID: cons.ID, TransactionLineID: line.ID, CreatedAt: testkit.Now})
	c := a.as(t, testkit.UserMerchantA)
	page := "/transactions/" + txnID64(tr.ID)
	v := txnID64(res.Transaction.Version)
	for _, tc := range []struct {
		name, path string
		form       url.Values
	}{
		{"AddLine", page + "/lines", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"1"}, "unit_price": {"1"}, "cartons": {"1"}, "net_kg": {"1"}, "gross_kg": {"1"}, "version": {v}}},
		{"DeleteLine", page + "/lines/" + txnID64(line.ID) + "/delete", url.Values{"version": {v}}},
		{"Void", page + "/void", url.Values{"reason": {"x"}, "version": {v}}},
		{"Header", page + "/edit", url.Values{"buyer_id": {txnID64(a.World.BuyerA.ID)}, "trade_date": {"2026-11-28"}, "currency": {"USD"}, "version": {v}}},
		{"DeleteDocument", "/documents/" + txnID64(doc.ID) + "/delete", nil},
	} {
		t.Run("Err"+tc.name, func(t *testing.T) {
			rec := c.post(tc.path, tc.form)
			if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "CB1") {
				t.Errorf("status %d: %s", rec.Code, txnShort(rec.Body.String(), 300))
			}
		})
	}
	rec := c.get(page)
	txnWant(t, rec, http.StatusOK)
	d := txnDoc(t, rec)
	if d.Find("form#line-add").Length() != 0 || d.Find(".line-actions").Length() != 0 || d.Find(".txn-locked").Length() != 1 {
		t.Errorf("a locked transaction offers changes")
	}
}

func TestDocumentDownload(t *testing.T) {
	a := newTxnApp(t, dbtest.SQLite(t))
	tr, _, doc := a.draftWithLine(t)
	c := a.as(t, testkit.UserMerchantA)
	rec := c.get("/documents/" + txnID64(doc.ID))
	txnWant(t, rec, http.StatusOK)
	h := rec.Header()
	if h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Disposition") != `inline; filename="__.png"; filename*=UTF-8''%E6%94%B6%E6%8D%AE.png` || !bytes.Equal(rec.Body.Bytes(), txnPNG(t)) {
		t.Errorf("headers %v", h)
	}
	// A PDF is sandboxed; an HTML file named .pdf is refused.
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	rec = c.upload("/transactions/"+txnID64(tr.ID)+"/documents", map[string]string{"kind": "order"}, "files", map[string][]byte{"order.pdf": pdf})
	txnWant(t, rec, http.StatusSeeOther)
	var d models.Document
	a.DB.Where("file_name = ?", "order.pdf").Take(&d)
	rec = c.get("/documents/" + txnID64(d.ID) + "?download=1")
	if !strings.Contains(rec.Header().Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "attachment;") {
		t.Errorf("PDF headers %v", rec.Header())
	}
	rec = c.upload("/transactions/"+txnID64(tr.ID)+"/documents", map[string]string{"kind": "order"}, "files",
		map[string][]byte{"fake.pdf": []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")})
	txnWant(t, rec, http.StatusUnprocessableEntity)
	if !strings.Contains(txnDoc(t, rec).Find(".txn-problem").Text(), "fake.pdf") {
		t.Errorf("refusal does not name the file: %s", txnDoc(t, rec).Find(".txn-problem").Text())
	}
	for _, u := range []string{testkit.UserMerchantB, testkit.UserAgentY} {
		txnWant(t, a.as(t, u).get("/documents/"+txnID64(doc.ID)), http.StatusNotFound)
	}
	txnWant(t, a.as(t, testkit.UserAuditor).get("/documents/"+txnID64(doc.ID)), http.StatusOK)
}

// TestImportThroughThePages: a file with a bad row in the middle imports nothing and the job page
// lists every bad row with its row number and column; a good file imports every line.
func TestImportThroughThePages(t *testing.T) {
	a := newTxnApp(t, dbtest.SQLite(t))
	tr, _, _ := a.draftWithLine(t)
	c := a.as(t, testkit.UserMerchantA)
	page := "/transactions/" + txnID64(tr.ID)
	rec := c.get(page + "/import")
	txnWant(t, rec, http.StatusOK)
	version := txnDoc(t, rec).Find("input[name=version]").AttrOr("value", "")
	for _, tpl := range []string{"/transactions/import-template.csv", "/transactions/import-template.xlsx"} {
		rec := c.get(tpl)
		txnWant(t, rec, http.StatusOK)
		if !strings.Contains(rec.Header().Get("Content-Disposition"), "filename*=UTF-8''") || rec.Body.Len() < 50 {
			t.Errorf("%s: %v", tpl, rec.Header())
		}
	}
	bad := "SKU 货号,Quantity 数量,Unit price 单价,Cartons 箱数,Net kg 净重,Gross kg 毛重\nCUP-002,1,1,1,1,1\nCUP-002,1,1,1,5,4\nCUP-002,1,1,1,1,1\n"
	rec = c.upload(page+"/import", map[string]string{"version": version}, "file", map[string][]byte{"lines.csv": []byte(bad)})
	txnWant(t, rec, http.StatusSeeOther)
	job := rec.Header().Get("Location")
	d := txnWaitImport(t, c, job)
	if d.Find("table.import-errors tr[data-row='3'] td.column").Text() != "Gross kg 毛重" || d.Find("table.import-errors tbody tr").Length() != 1 {
		t.Errorf("errors: %s", d.Find("#import-progress").Text())
	}
	if n := len(a.lines(t, tr.ID)); n != 1 {
		t.Errorf("%d lines after a refused import", n)
	}
	good := strings.Replace(bad, "1,1,1,5,4", "1,1,1,5,6", 1)
	rec = c.upload(page+"/import", map[string]string{"version": version}, "file", map[string][]byte{"lines.csv": []byte(good)})
	txnWant(t, rec, http.StatusSeeOther)
	d = txnWaitImport(t, c, rec.Header().Get("Location"))
	if d.Find(".import-done").Length() != 1 || len(a.lines(t, tr.ID)) != 4 {
		t.Errorf("good import: %s", d.Find("#import-progress").Text())
	}
	// The job is the importer's alone.
	txnWant(t, a.as(t, testkit.UserAgentX).get(job), http.StatusNotFound)
	// No file: the form again with the field's error.
	rec = c.upload(page+"/import", map[string]string{"version": txnID64(a.reload(t, tr.ID).Version)}, "file", nil)
	txnWant(t, rec, http.StatusUnprocessableEntity)
	if txnDoc(t, rec).Find("#f-file-error").Length() != 1 {
		t.Errorf("no file error: %s", rec.Body)
	}
}

// txnWaitImport polls a job's progress block as the page does until it stops polling.
func txnWaitImport(t *testing.T, c *client, job string) *goquery.Document {
	t.Helper()
	rec := c.get(job)
	txnWant(t, rec, http.StatusOK)
	if txnDoc(t, rec).Find("h1").Length() != 1 {
		t.Fatalf("job page: %s", rec.Body)
	}
	for range 200 {
		rec = c.htmx(http.MethodGet, job, nil)
		txnWant(t, rec, http.StatusOK)
		d := txnDoc(t, rec)
		if _, polling := d.Find("#import-progress").Attr("hx-trigger"); !polling {
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("import did not finish")
	return nil
}

// TestTransactionAPI: create (201 with lines and trace codes), idempotent retries, list, get, void.
func TestTransactionAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newTxnApp(t, db)
		api := a.api(t, testkit.UserMerchantA)
		body := fmt.Sprintf(`{"buyer_id": %d, "trade_date": "2026-11-28", "currency": "USD", "submit": true,
			"lines": [{"sku": "EAR-001", "quantity": "1200", "unit_price": 0.0035, "cartons": 2, "net_kg": "9.6", "gross_kg": 10.4},
			          {"goods_id": %d, "quantity": 10, "unit": "个", "unit_price": "1.5", "cartons": 1, "net_kg": 2, "gross_kg": 2.5}]}`,
			a.World.BuyerA.ID, a.CupA.ID)
		send := func(c *client, key, body string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/transactions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Idempotency-Key", key)
			}
			return c.do(req)
		}
		count := func() int64 {
			var n int64
			db.Model(&models.Transaction{}).Count(&n)
			return n
		}
		first := send(api, "k-1", body)
		txnWant(t, first, http.StatusCreated)
		var created struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Total  string `json:"total_amount"`
			Lines  []struct {
				TraceCode string `json:"trace_code"`
				Amount    string `json:"amount"`
			} `json:"lines"`
		}
		_ = json.Unmarshal(first.Body.Bytes(), &created)
		if created.Status != "registered" || created.Total != "19.20" || len(created.Lines) != 2 || !workflow.ValidTraceCode(created.Lines[1].TraceCode) ||
			first.Header().Get("Location") != "/api/v1/transactions/"+txnID64(created.ID) {
			t.Fatalf("created %s", first.Body)
		}
		before := count()
		again := send(api, "k-1", body)
		if again.Code != http.StatusCreated || again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" || count() != before {
			t.Errorf("retry: %d %s", again.Code, again.Body)
		}
		conflict := send(api, "k-1", strings.Replace(body, `"submit": true`, `"submit": false`, 1))
		if conflict.Code != http.StatusConflict || count() != before {
			t.Errorf("same key, other request: %d %s", conflict.Code, conflict.Body)
		}
		// Concurrent retries of a new key create exactly one transaction.
		var wg sync.WaitGroup
		answers := make([]string, 5)
		for i := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rec := send(api, "k-race", body)
				answers[i] = strconv.Itoa(rec.Code) + rec.Body.String()
			}()
		}
		wg.Wait()
		for _, ans := range answers {
			if ans != answers[0] || !strings.HasPrefix(ans, "201") {
				t.Errorf("concurrent answers differ: %s / %s", txnShort(ans, 80), txnShort(answers[0], 80))
			}
		}
		if got := count() - before; got != 1 {
			t.Errorf("%d transactions from concurrent retries", got)
		}

		bad := send(api, "", strings.Replace(body, `"gross_kg": 2.5`, `"gross_kg": 1`, 1))
		if bad.Code != http.StatusUnprocessableEntity || !strings.Contains(bad.Body.String(), `"lines[1].gross_kg"`) {
			t.Errorf("bad line: %d %s", bad.Code, bad.Body)
		}
		other := send(api, "", strings.Replace(body, `"goods_id": `+txnID64(a.CupA.ID), `"goods_id": `+txnID64(a.BearB.ID), 1))
		txnWant(t, other, http.StatusNotFound)

		rec := api.get("/api/v1/transactions?status=registered")
		txnWant(t, rec, http.StatusOK)
		var list struct {
			Total int64 `json:"total"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &list)
		if list.Total != 2 {
			t.Errorf("list: %s", rec.Body)
		}
		rec = api.get("/api/v1/transactions/" + txnID64(created.ID))
		txnWant(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), created.Lines[0].TraceCode) {
			t.Errorf("get: %s", rec.Body)
		}
		txnWant(t, a.api(t, testkit.UserMerchantB).get("/api/v1/transactions/"+txnID64(created.ID)), http.StatusNotFound)
		rec = api.postJSON("/api/v1/transactions/"+txnID64(created.ID)+"/void", `{"reason": "buyer cancelled"}`)
		txnWant(t, rec, http.StatusOK)
		if !strings.Contains(rec.Body.String(), `"status":"voided"`) {
			t.Errorf("void: %s", rec.Body)
		}
		txnWant(t, api.postJSON("/api/v1/transactions/"+txnID64(created.ID)+"/void", `{"reason": "again"}`), http.StatusConflict)
		txnWant(t, a.anon(t).get("/api/v1/transactions"), http.StatusUnauthorized)
	})
}

// TestTransactionAccessMatrix sends every transaction route as every seeded user and nobody:
// owners and their agent get through, other merchants and agents get 404 for merchant A's
// records, officers without the action 403, auditors and admins read but never write, nobody is
// sent to the login page (pages) or gets 401 (writes, API).
func TestTransactionAccessMatrix(t *testing.T) {
	const (
		list        = "list"        // a list of the user's own scope
		managePage  = "manage-page" // a page of the manage action, not tied to a record
		createPost  = "create-post" // a create
		view        = "view"        // a read of merchant A's record
		manageGet   = "manage-get"  // a form on merchant A's record
		managePost  = "manage-post" // a change to merchant A's record
		ownJob      = "own-job"     // merchant-a's import job
		anyTraceQR  = "qr"          // a QR code of a well-formed trace code
		isOK        = "ok"          // through (2xx, 3xx, or the workflow's 409/422)
		isNotFound  = "404"         //
		isForbidden = "403"         //
		isLogin     = "login"       // 303 to /login (pages), 401 (writes and API)
	)
	users := []string{testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending, testkit.UserAgentX, testkit.UserAgentY,
		testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor, testkit.UserAuditor, testkit.UserAdmin, ""}
	expect := func(kind, user string) string {
		switch user {
		case "":
			return isLogin
		case testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor:
			return isForbidden
		}
		reader := user == testkit.UserAuditor || user == testkit.UserAdmin
		owner := user == testkit.UserMerchantA || user == testkit.UserAgentX
		switch kind {
		case list:
			return isOK
		case anyTraceQR:
			return isOK
		case managePage, createPost:
			if reader {
				return isForbidden
			}
			return isOK
		case view:
			if reader || owner {
				return isOK
			}
			return isNotFound
		case manageGet, managePost:
			if reader {
				return isForbidden
			}
			if owner {
				return isOK
			}
			return isNotFound
		case ownJob:
			if reader {
				return isForbidden
			}
			if user == testkit.UserMerchantA {
				return isOK
			}
			return isNotFound
		}
		t.Fatalf("unknown kind %s", kind)
		return ""
	}
	routes := []struct{ method, path, kind string }{
		{"GET", "/transactions", list},
		{"GET", "/my", list},
		{"GET", "/transactions/new", managePage},
		{"POST", "/transactions", createPost},
		{"GET", "/transactions/import-template.csv", managePage},
		{"GET", "/transactions/import-template.xlsx", managePage},
		{"GET", "/transactions/{txn}", view},
		{"GET", "/transactions/{txn}/edit", manageGet},
		{"POST", "/transactions/{txn}/edit", managePost},
		{"POST", "/transactions/{txn}/submit", managePost},
		{"POST", "/transactions/{txn}/void", managePost},
		{"POST", "/transactions/{txn}/lines", managePost},
		{"GET", "/transactions/{txn}/lines/{line}", view},
		{"GET", "/transactions/{txn}/lines/{line}/edit", manageGet},
		{"POST", "/transactions/{txn}/lines/{line}/edit", managePost},
		{"POST", "/transactions/{txn}/lines/{line}/delete", managePost},
		{"POST", "/transactions/{txn}/documents", managePost},
		{"GET", "/documents/{doc}", view},
		{"POST", "/documents/{doc}/delete", managePost},
		{"GET", "/transactions/{txn}/import", manageGet},
		{"POST", "/transactions/{txn}/import", managePost},
		{"GET", "/imports/{job}", ownJob},
		{"GET", "/transactions/{txn}/labels", view},
		{"GET", "/transactions/{txn}/lines/{line}/label", view},
		{"GET", "/qr/{code}.png", anyTraceQR},
		{"GET", "/api/v1/transactions", list},
		{"POST", "/api/v1/transactions", createPost},
		{"POST", "/api/v1/transactions/bulk", createPost},
		{"GET", "/api/v1/transactions/{txn}", view},
		{"POST", "/api/v1/transactions/{txn}/void", managePost},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newTxnApp(t, db)
		// Every route of this area is in the table.
		covered := map[string]bool{}
		for _, r := range routes {
			covered[r.method+" "+strings.NewReplacer("{txn}", ":id", "{line}", ":line", "{doc}", ":id", "{job}", ":job", "{code}.png", ":code").Replace(r.path)] = true
		}
		for _, r := range a.Routes() {
			// Declarations' documents and QR codes are the customs and trace matrices' (customs_test.go, trace_test.go).
			theirs := strings.Contains(r, " /declarations/") || strings.Contains(r, " /api/v1/declarations/") || strings.Contains(r, "/qr/declarations/")
			if (strings.Contains(r, "transactions") || strings.Contains(r, "/documents") || strings.Contains(r, "/imports") ||
				strings.Contains(r, "/qr/") || strings.HasSuffix(r, " /my")) && !covered[r] && !theirs {
				t.Errorf("route %s is not in the access matrix", r)
			}
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range users {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.anon(t)
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.api(t, u)
		}
		owner := pages[testkit.UserMerchantA]
		for _, r := range routes {
			for _, u := range users {
				name := strings.ReplaceAll(r.method+r.path, "/", "_") + "/" + u
				if u == "" {
					name += "anonymous"
				}
				t.Run(name, func(t *testing.T) {
					tr, line, doc := a.draftWithLine(t)
					path := strings.NewReplacer("{txn}", txnID64(tr.ID), "{line}", txnID64(line.ID), "{doc}", txnID64(doc.ID), "{code}", line.TraceCode).Replace(r.path)
					if strings.Contains(path, "{job}") {
						rec := owner.upload("/transactions/"+txnID64(tr.ID)+"/import", map[string]string{"version": txnID64(tr.Version)}, "file",
							map[string][]byte{"l.csv": []byte("SKU,Quantity,Unit price,Cartons,Net kg,Gross kg\nCUP-002,1,1,1,1,1\n")})
						txnWant(t, rec, http.StatusSeeOther)
						path = rec.Header().Get("Location")
						txnWaitImport(t, owner, path) // one user runs at most two imports at once
					}
					api := strings.HasPrefix(path, "/api/")
					c := pages[u]
					if api {
						c = apis[u]
					}
					var rec *httptest.ResponseRecorder
					switch {
					case r.method == "GET":
						rec = c.get(path)
					case api:
						rec = c.postJSON(path, fmt.Sprintf(`{"reason": "test", "buyer_id": %d, "trade_date": "2026-11-28", "currency": "USD"}`, a.World.BuyerA.ID))
					default:
						rec = c.post(path, url.Values{"version": {txnID64(tr.Version)}, "reason": {"test"}, "buyer_id": {txnID64(a.World.BuyerA.ID)},
							"trade_date": {"2026-11-28"}, "currency": {"USD"}, "goods_id": {txnID64(a.CupA.ID)}, "quantity": {"1"},
							"unit_price": {"1"}, "cartons": {"1"}, "net_kg": {"1"}, "gross_kg": {"1"}, "kind": {"receipt"}})
					}
					want := expect(r.kind, u)
					got := isOK
					switch {
					case rec.Code == http.StatusNotFound:
						got = isNotFound
					case rec.Code == http.StatusForbidden:
						got = isForbidden
					case rec.Code == http.StatusUnauthorized:
						got = isLogin
					case rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/login"):
						got = isLogin
						if r.method != "GET" || api {
							got = "redirect-on-write"
						}
					case rec.Code >= 400 && rec.Code != http.StatusConflict && rec.Code != http.StatusUnprocessableEntity:
						got = "status " + strconv.Itoa(rec.Code)
					}
					if want == isLogin && (r.method != "GET" || api) && rec.Code != http.StatusUnauthorized {
						got = "status " + strconv.Itoa(rec.Code)
					}
					if got != want {
						t.Errorf("%s %s as %q: %d (%s), want %s: %s", r.method, path, u, rec.Code, got, want, txnShort(rec.Body.String(), 200))
					}
				})
			}
		}
	})
}

// TestLinesWithoutScript: every line change also works as a plain form, coming back to the
// transaction page (or a page of the line's form) without htmx.
func TestLinesWithoutScript(t *testing.T) {
	a := newTxnApp(t, dbtest.SQLite(t))
	tr, line, _ := a.draftWithLine(t)
	c := a.as(t, testkit.UserMerchantA)
	page := "/transactions/" + txnID64(tr.ID)
	base := page + "/lines/" + txnID64(line.ID)
	v := txnID64(tr.Version)

	rec := c.get(page + "/edit")
	txnWant(t, rec, http.StatusOK)
	if txnDoc(t, rec).Find("input[name=version]").AttrOr("value", "") != v {
		t.Errorf("header form without the version")
	}
	rec = c.get(base + "/edit")
	txnWant(t, rec, http.StatusOK)
	d := txnDoc(t, rec)
	if d.Find("form[action='"+base+"/edit'] #f-quantity").AttrOr("value", "") != "120" || d.Find("h1").Length() != 1 {
		t.Fatalf("line page: %s", rec.Body)
	}
	rec = c.post(base+"/edit", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"x"}, "unit_price": {"1"}, "cartons": {"1"},
		"net_kg": {"1"}, "gross_kg": {"1"}, "version": {v}})
	txnWant(t, rec, http.StatusUnprocessableEntity)
	if txnDoc(t, rec).Find("#f-quantity-error").Length() != 1 {
		t.Errorf("no quantity error: %s", rec.Body)
	}
	rec = c.post(base+"/edit", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"5"}, "unit_price": {"1"}, "cartons": {"1"},
		"net_kg": {"1"}, "gross_kg": {"1"}, "version": {v}})
	txnWant(t, rec, http.StatusSeeOther)
	rec = c.post(page+"/lines", url.Values{"goods_id": {txnID64(a.CupA.ID)}, "quantity": {"1"}, "unit_price": {"1"}, "cartons": {"1"},
		"net_kg": {"2"}, "gross_kg": {"1"}, "version": {txnID64(tr.Version + 1)}})
	txnWant(t, rec, http.StatusUnprocessableEntity)
	if txnDoc(t, rec).Find("form#line-add #f-gross_kg-error").Length() != 1 {
		t.Errorf("add form without its error")
	}
	rec = c.post(base+"/delete", url.Values{"version": {txnID64(tr.Version + 1)}})
	txnWant(t, rec, http.StatusSeeOther)
	if got := a.reload(t, tr.ID); got.LineCount != 0 || got.TotalAmount != 0 {
		t.Errorf("after delete %+v", got)
	}
	// htmx: the edit row of a line of a voided transaction is refused with a message.
	if _, err := a.Svc.VoidTransaction(context.Background(), a.actor(t, testkit.UserMerchantA), tr.ID, workflow.VoidInput{Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	rec = c.htmx(http.MethodGet, base+"/edit", nil)
	if rec.Header().Get("HX-Retarget") != "#line-message" {
		t.Errorf("edit of a voided line: %v %s", rec.Header(), rec.Body)
	}
}
