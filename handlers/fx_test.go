package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// fxApp is the server over the seeded world, a service over the same database for setting
// up trades and receipts, and helpers.
type fxApp struct {
	*app
	svc *workflow.Service
	fx  workflow.Actor
}

func newFXApp(t *testing.T, db *gorm.DB) *fxApp {
	t.Helper()
	a := newSeededApp(t, db)
	svc := servicetest.Service(t, db, func() time.Time { return fixedNow })
	return &fxApp{app: a, svc: svc, fx: servicetest.Actor(t, a.World, testkit.UserFX)}
}

// trade is a submitted declaration of merchant A for buyer A (lines 1,200.00 and 800.00 USD).
func (a *fxApp) trade(t *testing.T, spec servicetest.TradeSpec) *servicetest.Trade {
	t.Helper()
	return servicetest.Submitted(t, a.svc, a.DB, a.World, spec)
}

func (a *fxApp) receipt(t *testing.T, ref, amount, beneficiary string) *models.FXReceipt {
	t.Helper()
	r, err := a.svc.RecordFXReceipt(context.Background(), a.fx, workflow.FXReceiptInput{BankRef: ref, Payer: "Ahmed Al Mansouri",
		PayerCountry: "AE", Currency: "USD", Amount: amount, ValueDate: "2026-11-28", Beneficiary: beneficiary})
	if err != nil {
		t.Fatalf("record %s: %v", ref, err)
	}
	return r
}

// apiAs is an API client with a bearer token of a seeded user ("" for none).
func (a *fxApp) apiAs(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	if username == "" {
		return c
	}
	tok, err := a.svc.CreateAPIToken(context.Background(), servicetest.Actor(t, a.World, username), "fx test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}

func fxDoc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFXAccessMatrix: every FX route, page and API, for every seeded user and nobody: 404
// outside the caller's scope (merchant B and agent Y on merchant A's receipt; agent X too, as
// nothing of it pays its merchants' lines yet), 403 for a role without the action (customs, tax,
// market supervision; every desk route for all but the FX officer; balances for merchants and
// agents), the login page for nobody on a page, 401 for nobody on a page post or the API.
func TestFXAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		w := a.World
		ctx := context.Background()
		tr := a.trade(t, servicetest.TradeSpec{})
		view := a.receipt(t, "FX-VIEW", "100", w.MerchantA.USCC)
		page := a.receipt(t, "FX-PAGE", "100", w.MerchantA.USCC)
		apiR := a.receipt(t, "FX-API", "100", w.MerchantA.USCC)
		rev := a.receipt(t, "FX-REV", "100", w.MerchantA.USCC)
		revAPI := a.receipt(t, "FX-REVAPI", "100", w.MerchantA.USCC)
		var aids []int64
		for _, r := range []*models.FXReceipt{rev, revAPI} {
			if _, err := a.svc.AllocateFXReceipt(ctx, a.fx, r.ID, workflow.FXAllocateInput{Items: []workflow.FXAllocationItem{{LineID: tr.Lines[1].ID, Amount: "10"}}}); err != nil {
				t.Fatal(err)
			}
			var al models.FXAllocation
			db.Where("receipt_id = ?", r.ID).Take(&al)
			aids = append(aids, al.ID)
		}
		const (
			mA, mB, mP   = testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending
			aX, aY       = testkit.UserAgentX, testkit.UserAgentY
			fx, au, adm  = testkit.UserFX, testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther = http.StatusOK, http.StatusSeeOther
			created, nf  = http.StatusCreated, http.StatusNotFound
			invalid      = http.StatusUnprocessableEntity
			line0        = "line"
		)
		listers := []string{mA, mB, mP, aX, aY, fx, au, adm}
		v := itoa(view.ID)
		form := func(v url.Values) func() url.Values { return func() url.Values { return v } }
		newReceipt := url.Values{"bank_ref": {"FX-FORM"}, "payer": {"Ahmed"}, "payer_country": {"AE"}, "currency": {"USD"},
			"amount": {"5"}, "value_date": {"2026-11-28"}, "beneficiary": {w.MerchantA.USCC}}
		alloc := url.Values{line0: {itoa(tr.Lines[0].ID)}, "amount_" + itoa(tr.Lines[0].ID): {"50"}}
		routes := []matrixRoute{
			{"GET", "/fx", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/fx?flag=unallocated&currency=USD&unallocated=1&beneficiary=x&page=2", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/fx/receipts/" + v, nil, "", []goodsOutcome{goodsIs(ok, mA, fx, au, adm), goodsIs(nf, mB, mP, aX, aY)}},
			{"GET", "/fx/receipts/999999", nil, "", []goodsOutcome{goodsIs(nf, listers...)}},
			{"GET", "/fx/receipts/new", nil, "", []goodsOutcome{goodsIs(ok, fx)}},
			{"GET", "/fx/beneficiaries?q=" + url.QueryEscape("稠城"), nil, "", []goodsOutcome{goodsIs(ok, fx)}},
			{"GET", "/fx/statements", nil, "", []goodsOutcome{goodsIs(ok, fx)}},
			{"GET", "/fx/statements/template.csv", nil, "", []goodsOutcome{goodsIs(ok, fx)}},
			{"GET", "/fx/balances", nil, "", []goodsOutcome{goodsIs(ok, fx, au, adm)}},
			{"POST", "/fx/statements", form(nil), "", []goodsOutcome{goodsIs(invalid, fx)}},
			{"POST", "/fx/receipts/new", form(newReceipt), "", []goodsOutcome{goodsIs(seeOther, fx)}},
			{"POST", "/fx/receipts/" + itoa(page.ID) + "/allocate", form(alloc), "", []goodsOutcome{goodsIs(seeOther, fx)}},
			{"POST", "/fx/receipts/" + itoa(rev.ID) + "/allocations/" + itoa(aids[0]) + "/reverse", form(url.Values{"reason": {"wrong"}}), "",
				[]goodsOutcome{goodsIs(seeOther, fx)}},

			{"GET", "/api/v1/fx/receipts", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/api/v1/fx/receipts/" + v, nil, "", []goodsOutcome{goodsIs(ok, mA, fx, au, adm), goodsIs(nf, mB, mP, aX, aY)}},
			{"GET", "/api/v1/fx/receipts/" + v + "/suggestions", nil, "", []goodsOutcome{goodsIs(ok, fx)}},
			{"GET", "/api/v1/fx/balances?by=buyer", nil, "", []goodsOutcome{goodsIs(ok, fx, au, adm)}},
			{"POST", "/api/v1/fx/receipts", nil, `{"bank_ref":"FX-JSON","payer":"Ahmed","payer_country":"AE","currency":"USD","amount":"5",` +
				`"value_date":"2026-11-28","beneficiary":"` + w.MerchantA.USCC + `"}`, []goodsOutcome{goodsIs(created, fx)}},
			{"POST", "/api/v1/fx/receipts/" + itoa(apiR.ID) + "/allocations", nil, `[{"line_id":` + itoa(tr.Lines[0].ID) + `,"amount":"25"}]`,
				[]goodsOutcome{goodsIs(ok, fx)}},
			{"POST", "/api/v1/fx/receipts/" + itoa(revAPI.ID) + "/allocations/" + itoa(aids[1]) + "/reverse", nil, `{"reason":"wrong"}`,
				[]goodsOutcome{goodsIs(ok, fx)}},
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range testkit.Everyone {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.apiAs(t, "")
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.apiAs(t, u)
		}
		checkAccessMatrix(t, routes, testkit.Everyone, pages, apis)
	})
}

// TestFXReceiptForm: the form shows labelled fields; invalid input comes back (422) with each
// field's problem tied to it and the values kept; the beneficiary search lists matches; a valid
// receipt redirects to its page, in both languages.
func TestFXReceiptForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		c := a.as(t, testkit.UserFX)
		d := fxDoc(t, c.get("/fx/receipts/new"))
		for _, name := range []string{"bank_ref", "payer", "payer_country", "currency", "amount", "value_date", "beneficiary"} {
			if d.Find(`label[for="f-`+name+`"]`).Length() != 1 || d.Find(`[name="`+name+`"]`).Length() != 1 {
				t.Errorf("field %s has no label or input", name)
			}
		}
		rec := c.post("/fx/receipts/new", url.Values{"bank_ref": {"FX 1"}, "payer": {"Ahmed"}, "payer_country": {"ARE"}, "currency": {"USD"},
			"amount": {"1.234"}, "value_date": {"2026-12-01"}, "beneficiary": {"nobody"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("invalid receipt: %d", rec.Code)
		}
		d = fxDoc(t, rec)
		for _, name := range []string{"bank_ref", "payer_country", "amount", "value_date", "beneficiary"} {
			if d.Find(`[name="`+name+`"][aria-invalid="true"]`).Length() != 1 || d.Find("#f-"+name+"-error").Text() == "" {
				t.Errorf("field %s is not marked with its problem", name)
			}
		}
		if v, _ := d.Find(`input[name="payer"]`).Attr("value"); v != "Ahmed" {
			t.Errorf("payer not kept: %q", v)
		}

		frag := c.get("/fx/beneficiaries?beneficiary=" + url.QueryEscape("稠城"))
		fd := fxDoc(t, frag)
		if v, _ := fd.Find("option.fx-beneficiary-option").First().Attr("value"); frag.Code != http.StatusOK || v != a.World.MerchantA.USCC {
			t.Fatalf("beneficiary search: %d %s", frag.Code, frag.Body)
		}

		setLang(c, "zh-CN")
		rec = c.post("/fx/receipts/new", url.Values{"bank_ref": {"FX-OK"}, "payer": {"Ahmed"}, "payer_country": {"AE"}, "currency": {"USD"},
			"amount": {"1,000.50"}, "value_date": {"2026-11-28"}, "beneficiary": {a.World.MerchantA.USCC + " 义乌市稠城甲饰品商行"}})
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/fx/receipts/") {
			t.Fatalf("valid receipt: %d %s", rec.Code, rec.Body)
		}
		d = fxDoc(t, c.get(rec.Header().Get("Location")))
		if got := strings.TrimSpace(d.Find(".fx-amount").Text()); got != "1000.50 USD" || !strings.Contains(d.Find(".flash").Text(), "已登记") ||
			!strings.Contains(d.Find("h1").Text(), "收汇记录") {
			t.Fatalf("receipt page: amount %q flash %q h1 %q", got, d.Find(".flash").Text(), d.Find("h1").Text())
		}
	})
}

// TestFXStatementUpload: a file with bad rows is refused (422) with each problem's row and
// column; the corrected file redirects to its receipts; the template downloads.
func TestFXStatementUpload(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		c := a.as(t, testkit.UserFX)
		tpl := c.get("/fx/statements/template.csv")
		if tpl.Code != http.StatusOK || !strings.HasPrefix(tpl.Body.String(), "\ufeffbank_ref,payer,payer_country,currency,amount,value_date,beneficiary_uscc") {
			t.Fatalf("template: %d %q", tpl.Code, tpl.Body)
		}
		head := "bank_ref,payer,payer_country,currency,amount,value_date,beneficiary_uscc\n"
		uscc := a.World.MerchantA.USCC
		rec := adminUpload(c, "/fx/statements", nil, "s.csv", []byte(head+"B-1,Ahmed,AE,USD,10,2026-11-28,"+uscc+"\nB-1,Ahmed,AE,USD,abc,2026-11-28,"+uscc+"\n"))
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad statement: %d", rec.Code)
		}
		var got []string
		fxDoc(t, rec).Find("tr.fx-row-error").Each(func(_ int, s *goquery.Selection) {
			row, _ := s.Attr("data-row")
			col, _ := s.Attr("data-column")
			got = append(got, row+" "+col)
		})
		if strings.Join(got, ";") != "3 amount;3 bank_ref" {
			t.Fatalf("row errors %v", got)
		}
		var n int64
		db.Model(&models.FXReceipt{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d receipts after a refused statement", n)
		}
		rec = adminUpload(c, "/fx/statements", nil, "s.csv", []byte("\ufeff"+head+"B-1,Ahmed,AE,USD,10,2026-11-28,"+uscc+"\nB-2,Ahmed,AE,USD,20,2026-11-28,"+uscc+"\n"))
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/fx?statement=ST202611290001" {
			t.Fatalf("good statement: %d %s %s", rec.Code, rec.Header().Get("Location"), rec.Body)
		}
		d := fxDoc(t, c.get(rec.Header().Get("Location")))
		if d.Find("tr.fx-row").Length() != 2 || d.Find(".fx-statement-filter").Length() != 1 {
			t.Fatalf("statement's receipts: %s", d.Find("main").Text())
		}
		rec = adminUpload(c, "/fx/statements", nil, "s.xlsx", []byte("PK\x03\x04"))
		if rec.Code != http.StatusUnprocessableEntity || fxDoc(t, rec).Find("#f-file-error").Text() == "" {
			t.Fatalf("wrong file type: %d", rec.Code)
		}
	})
}

// TestFXAllocatePage: the officer sees suggestions pre-filled and confirms them; too much for a
// line comes back with the problem tied to it; the merchant sees the allocation but no forms;
// the other merchant gets 404; a reversal needs a reason.
func TestFXAllocatePage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		w := a.World
		tr := a.trade(t, servicetest.TradeSpec{})
		r := a.receipt(t, "FX-P1", "1500", w.MerchantA.USCC)
		c := a.as(t, testkit.UserFX)
		path := "/fx/receipts/" + itoa(r.ID)
		d := fxDoc(t, c.get(path))
		rows := d.Find("tr.fx-suggestion")
		if rows.Length() != 2 {
			t.Fatalf("%d suggestions", rows.Length())
		}
		l0, l1 := itoa(tr.Lines[0].ID), itoa(tr.Lines[1].ID)
		if _, checked := d.Find("#line-" + l0).Attr("checked"); !checked {
			t.Fatal("first suggestion not ticked")
		}
		if v, _ := d.Find("#amount-" + l1).Attr("value"); v != "300.00" {
			t.Fatalf("second suggestion pre-filled with %q", v)
		}
		if got := rows.Eq(1).Find("td.line-amount").Text(); !strings.Contains(got, "800.00 USD") || !strings.Contains(got, "0.00 / 800.00") {
			t.Fatalf("second suggestion's remaining amount %q", got)
		}
		rec := c.post(path+"/allocate", url.Values{"version": {"1"}, "line": {l0, l1}, "amount_" + l0: {"1200.01"}, "amount_" + l1: {"10"}})
		if rec.Code != http.StatusConflict {
			t.Fatalf("too much for a line: %d", rec.Code)
		}
		d = fxDoc(t, rec)
		if !strings.Contains(d.Find(".form-error").Text(), tr.Lines[0].TraceCode) {
			t.Fatalf("conflict message %q", d.Find(".form-error").Text())
		}
		if v, _ := d.Find("#amount-" + l0).Attr("value"); v != "1200.01" {
			t.Fatalf("typed amount not kept: %q", v)
		}
		rec = c.post(path+"/allocate", url.Values{"version": {"1"}, "line": {l0}, "amount_" + l0: {"x"}})
		if rec.Code != http.StatusUnprocessableEntity || fxDoc(t, rec).Find("#amount-"+l0+"-error").Text() == "" {
			t.Fatalf("bad amount: %d", rec.Code)
		}
		rec = c.post(path+"/allocate", url.Values{"version": {"1"}, "line": {l0, l1}, "amount_" + l0: {"1200"}, "amount_" + l1: {"300"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("confirm: %d %s", rec.Code, rec.Body)
		}
		d = fxDoc(t, c.get(path))
		if d.Find("tr.fx-allocation").Length() != 2 || strings.TrimSpace(d.Find(".fx-unallocated").Text()) != "0.00 USD" ||
			d.Find(".fx-allocate-form").Length() != 0 || d.Find("tr.fx-history-entry").Length() != 2 {
			t.Fatalf("after confirming: %s", d.Find("main").Text())
		}

		m := a.as(t, testkit.UserMerchantA)
		d = fxDoc(t, m.get(path))
		if d.Find("tr.fx-allocation").Length() != 2 || d.Find("form").Length() != 1 /* logout only */ {
			t.Fatalf("merchant's view: %d allocations, %d forms", d.Find("tr.fx-allocation").Length(), d.Find("form").Length())
		}
		if rec := a.as(t, testkit.UserMerchantB).get(path); rec.Code != http.StatusNotFound {
			t.Fatalf("merchant B: %d", rec.Code)
		}

		var al models.FXAllocation
		db.Where("receipt_id = ? AND transaction_line_id = ?", r.ID, tr.Lines[1].ID).Take(&al)
		rec = c.post(path+"/allocations/"+itoa(al.ID)+"/reverse", url.Values{"version": {"2"}, "reason": {""}})
		if rec.Code != http.StatusUnprocessableEntity || fxDoc(t, rec).Find("#reason-"+itoa(al.ID)+"-error").Text() == "" {
			t.Fatalf("reversal without reason: %d", rec.Code)
		}
		rec = c.post(path+"/allocations/"+itoa(al.ID)+"/reverse", url.Values{"version": {"2"}, "reason": {"paid twice"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("reversal: %d %s", rec.Code, rec.Body)
		}
		if got := strings.TrimSpace(fxDoc(t, c.get(path)).Find(".fx-unallocated").Text()); got != "300.00 USD" {
			t.Fatalf("after reversal unallocated %q", got)
		}
	})
}

// TestFXParallelHTTPAllocations: eight API requests allocating the same line from different
// receipts at once (run with -race): three fit, five get 409 naming the line; fx_allocated
// equals the sum of the allocation rows and never exceeds the line's amount.
func TestFXParallelHTTPAllocations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		tr := a.trade(t, servicetest.TradeSpec{Lines: []servicetest.Line{{Amount: 100_000}}})
		line := tr.Lines[0]
		tok := a.apiAs(t, testkit.UserFX).bearer
		const n = 8
		ids := make([]int64, n)
		for i := range ids {
			ids[i] = a.receipt(t, fmt.Sprintf("FX-H%d", i), "300", a.World.MerchantA.USCC).ID
		}
		codes := make([]int, n)
		bodies := make([]string, n)
		e := a.Echo()
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/fx/receipts/"+itoa(ids[i])+"/allocations",
					strings.NewReader(`{"allocations":[{"trace_code":"`+line.TraceCode+`","amount":"300"}]}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				<-start
				e.ServeHTTP(rec, req)
				codes[i], bodies[i] = rec.Code, rec.Body.String()
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for i, code := range codes {
			switch {
			case code == http.StatusOK:
				won++
			case code == http.StatusConflict && strings.Contains(bodies[i], line.TraceCode):
			default:
				t.Errorf("request %d: %d %s", i, code, bodies[i])
			}
		}
		var l models.TransactionLine
		db.Where("id = ?", line.ID).Take(&l)
		var sum int64
		db.Model(&models.FXAllocation{}).Select("COALESCE(CAST(SUM(amount) AS BIGINT), 0)").Where("transaction_line_id = ?", line.ID).Scan(&sum)
		if won != 3 || l.FXAllocated != 90_000 || int64(l.FXAllocated) != sum {
			t.Fatalf("%d won; line allocated %s, rows %d", won, l.FXAllocated, sum)
		}
	})
}

// TestFXAPI: record a receipt (201; invalid input 422 naming the fields), read its suggestions,
// allocate by trace code, list and read it, and read balances.
func TestFXAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newFXApp(t, db)
		tr := a.trade(t, servicetest.TradeSpec{})
		c := a.apiAs(t, testkit.UserFX)
		rec := c.postJSON("/api/v1/fx/receipts", `{"bank_ref":"","amount":"x","beneficiary":"nobody"}`)
		var fail struct {
			Error struct {
				Code   string                   `json:"code"`
				Fields []struct{ Field string } `json:"fields"`
			} `json:"error"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &fail)
		if rec.Code != http.StatusUnprocessableEntity || fail.Error.Code != "invalid" || len(fail.Error.Fields) != 7 {
			t.Fatalf("invalid receipt: %d %s", rec.Code, rec.Body)
		}
		rec = c.postJSON("/api/v1/fx/receipts", `{"bank_ref":"API-1","payer":"AHMED AL MANSOURI","payer_country":"AE","currency":"USD",`+
			`"amount":"1500.00","value_date":"2026-11-28","beneficiary":"`+a.World.MerchantA.USCC+`"}`)
		var r struct {
			ID              int64    `json:"id"`
			Unallocated     string   `json:"unallocated"`
			BeneficiaryKind string   `json:"beneficiary_kind"`
			Flags           []string `json:"flags"`
			Allocations     []struct {
				TraceCode     string `json:"trace_code"`
				Amount        string `json:"amount"`
				PayerMismatch bool   `json:"payer_mismatch"`
				BeforeExport  bool   `json:"before_export"`
			} `json:"allocations"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &r); rec.Code != http.StatusCreated || err != nil || r.BeneficiaryKind != "merchant" {
			t.Fatalf("record: %d %s", rec.Code, rec.Body)
		}
		rec = c.get("/api/v1/fx/receipts/" + itoa(r.ID) + "/suggestions")
		var sg struct {
			Suggestions []struct {
				TraceCode  string `json:"trace_code"`
				BuyerMatch bool   `json:"buyer_match"`
				Suggested  string `json:"suggested_amount"`
			} `json:"suggestions"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &sg); err != nil || len(sg.Suggestions) != 2 || !sg.Suggestions[0].BuyerMatch ||
			sg.Suggestions[0].Suggested != "1200.00" || sg.Suggestions[1].Suggested != "300.00" {
			t.Fatalf("suggestions: %s", rec.Body)
		}
		rec = c.postJSON("/api/v1/fx/receipts/"+itoa(r.ID)+"/allocations",
			`{"version":1,"allocations":[{"trace_code":"`+tr.Lines[0].TraceCode+`","amount":"1200"}]}`)
		if err := json.Unmarshal(rec.Body.Bytes(), &r); rec.Code != http.StatusOK || err != nil || r.Unallocated != "300.00" ||
			len(r.Allocations) != 1 || r.Allocations[0].PayerMismatch || !r.Allocations[0].BeforeExport || strings.Join(r.Flags, ",") != "before_export" {
			t.Fatalf("allocate: %d %s", rec.Code, rec.Body)
		}
		if rec := c.postJSON("/api/v1/fx/receipts/"+itoa(r.ID)+"/allocations", `{"version":1,"allocations":[{"line_id":`+itoa(tr.Lines[1].ID)+`,"amount":"1"}]}`); rec.Code != http.StatusConflict {
			t.Fatalf("stale version: %d %s", rec.Code, rec.Body)
		}
		if rec := c.postJSON("/api/v1/fx/receipts/"+itoa(r.ID)+"/allocations", `not json`); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bad body: %d", rec.Code)
		}
		rec = c.get("/api/v1/fx/receipts?flag=before_export")
		var list struct {
			Items []struct {
				BankRef string `json:"bank_ref"`
			} `json:"items"`
			Total int64 `json:"total"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list.Total != 1 || list.Items[0].BankRef != "API-1" {
			t.Fatalf("list: %s", rec.Body)
		}
		rec = a.apiAs(t, testkit.UserMerchantA).get("/api/v1/fx/receipts")
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list.Total != 1 {
			t.Fatalf("merchant's list: %s", rec.Body)
		}
		rec = a.apiAs(t, testkit.UserAuditor).get("/api/v1/fx/balances")
		var bal struct {
			Items []struct {
				Received string `json:"received"`
				Exported string `json:"exported"`
			} `json:"items"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &bal); err != nil || len(bal.Items) != 1 || bal.Items[0].Received != "1200.00" || bal.Items[0].Exported != "0.00" {
			t.Fatalf("balances: %s", rec.Body)
		}
	})
}

// TestFXPagesInBothLanguages: the list, receipt, statement and balances pages render in zh-CN
// and en without raw message ids, for the officer and the auditor.
func TestFXPagesInBothLanguages(t *testing.T) {
	a := newFXApp(t, dbtest.SQLite(t))
	tr := a.trade(t, servicetest.TradeSpec{})
	r := a.receipt(t, "FX-L1", "100", a.World.MerchantA.USCC)
	if _, err := a.svc.AllocateFXReceipt(context.Background(), a.fx, r.ID, workflow.FXAllocateInput{Items: []workflow.FXAllocationItem{{LineID: tr.Lines[0].ID, Amount: "50"}}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{testkit.UserFX, testkit.UserAuditor} {
		for _, lang := range []string{"en", "zh-CN"} {
			c := a.as(t, u)
			setLang(c, lang)
			paths := []string{"/fx", "/fx/receipts/" + itoa(r.ID), "/fx/balances", "/fx/balances?by=buyer", "/fx/balances?by=beneficiary"}
			if u == testkit.UserFX {
				paths = append(paths, "/fx/receipts/new", "/fx/statements")
			}
			for _, p := range paths {
				rec := c.get(p)
				body := rec.Body.String()
				if rec.Code != http.StatusOK || strings.Contains(body, "fx.") && fxRawID(body) != "" {
					t.Errorf("%s %s %s: %d raw id %q", u, lang, p, rec.Code, fxRawID(body))
				}
				if u == testkit.UserAuditor && fxDoc(t, rec).Find("form[method=post]").Length() > 1 {
					t.Errorf("auditor sees a form on %s", p)
				}
			}
		}
	}
}

// fxRawID finds an untranslated fx message id in visible text.
func fxRawID(body string) string {
	d, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		return ""
	}
	text := d.Find("main").Text()
	for _, w := range strings.Fields(text) {
		if strings.HasPrefix(w, "fx.") && len(w) > 4 {
			return w
		}
	}
	return ""
}
