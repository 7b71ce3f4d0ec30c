package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// taxApp is the server over the seeded world (clock 29 November 2026) with declarations that
// exited on chosen days, written straight into the database as the customs desk leaves them.
type taxApp struct {
	*goodsApp
}

func newTaxApp(t *testing.T, db *gorm.DB) *taxApp {
	t.Helper()
	return &taxApp{goodsApp: newGoodsApp(t, db)}
}

// exited submits a one-line trade (merchant A through agent X unless spec says otherwise) and
// marks its declaration exited on a date.
func (a *taxApp) exited(t *testing.T, spec servicetest.TradeSpec, exitDate string) *servicetest.Trade {
	t.Helper()
	if len(spec.Lines) == 0 {
		spec.Lines = []servicetest.Line{{Amount: 100_000}}
	}
	tr := servicetest.Submitted(t, a.svc, a.DB, a.World, spec)
	entry := fmt.Sprintf("293320260%09d", 600_000_000+tr.Declaration.ID)
	if err := a.DB.Model(&models.Declaration{}).Where("id = ?", tr.Declaration.ID).Updates(map[string]any{
		"status": models.DeclarationExited, "exit_date": exitDate, "accepted_at": testkit.Now, "released_at": testkit.Now,
		"entry_no": entry}).Error; err != nil {
		t.Fatal(err)
	}
	return tr
}

// filing builds merchant A's filing of a month (exiting one line on the 15th first), filed or not.
func (a *taxApp) filing(t *testing.T, period string, file bool) *models.TaxFiling {
	t.Helper()
	a.exited(t, servicetest.TradeSpec{}, period+"-15")
	ctx, m := context.Background(), a.actor(testkit.UserMerchantA)
	f, err := a.svc.BuildTaxFiling(ctx, m, workflow.TaxFilingInput{Period: period})
	if err != nil {
		t.Fatal(err)
	}
	if file {
		if f, err = a.svc.FileTaxFiling(ctx, m, f.ID, 0); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// TestTaxAccessMatrix: every tax route, page and API, for every seeded user and nobody: 404
// outside the caller's scope (agent-y or merchant-b on merchant A's filing or for merchant A),
// 403 for a role without the action (building for officers, auditors and admins; deciding for
// everybody but the tax officer; customs, FX and supervision on everything), the login page for
// nobody on a page, 401 for nobody on a page post or the API. Rows run in order; writes that
// succeed run last, and a second writer then meets the changed state.
func TestTaxAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newTaxApp(t, db)
		w := a.World
		a.exited(t, servicetest.TradeSpec{}, "2026-10-20")
		a.exited(t, servicetest.TradeSpec{}, "2026-01-20")
		draft := a.filing(t, "2026-08", false)
		del := a.filing(t, "2026-07", false)
		acc, rej := a.filing(t, "2026-06", true), a.filing(t, "2026-05", true)
		apiDraft := a.filing(t, "2026-04", false)
		apiAcc, apiRej := a.filing(t, "2026-03", true), a.filing(t, "2026-02", true)
		ma := itoa(w.MerchantA.ID)
		id := func(f *models.TaxFiling) string { return itoa(f.ID) }

		const (
			mA, mB, mP   = testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending
			aX, aY       = testkit.UserAgentX, testkit.UserAgentY
			tx, au, adm  = testkit.UserTax, testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther = http.StatusOK, http.StatusSeeOther
			created, nf  = http.StatusCreated, http.StatusNotFound
			conflict     = http.StatusConflict
		)
		listers := []string{mA, mB, mP, aX, aY, tx, au, adm}
		filers := []string{mA, mB, mP, aX, aY}
		form := func(v url.Values) func() url.Values { return func() url.Values { return v } }
		build := url.Values{"merchant_id": {ma}, "period": {"2026-10"}}
		routes := []matrixRoute{
			{"GET", "/tax", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/tax?status=draft&period=2026-10&merchant=" + ma, nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/tax/new", nil, "", []goodsOutcome{goodsIs(ok, filers...)}},
			{"GET", "/tax/new?merchant_id=" + ma + "&period=2026-10", nil, "", []goodsOutcome{goodsIs(ok, mA, aX), goodsIs(nf, mB, mP, aY)}},
			{"GET", "/tax/overdue", nil, "", []goodsOutcome{goodsIs(ok, tx)}},
			{"GET", "/tax/" + id(acc), nil, "", []goodsOutcome{goodsIs(ok, mA, aX, tx, au, adm), goodsIs(nf, mB, mP, aY)}},
			{"GET", "/tax/999999", nil, "", []goodsOutcome{goodsIs(nf, listers...)}},
			{"POST", "/tax", form(build), "", []goodsOutcome{goodsIs(nf, mB, mP, aY), goodsIs(seeOther, aX), goodsIs(conflict, mA)}},
			{"POST", "/tax/" + id(draft) + "/file", form(nil), "", []goodsOutcome{goodsIs(nf, mB, mP, aY), goodsIs(seeOther, mA), goodsIs(conflict, aX)}},
			{"POST", "/tax/" + id(del) + "/delete", form(nil), "", []goodsOutcome{goodsIs(nf, mB, mP, aY), goodsIs(seeOther, aX), goodsIs(nf, mA)}},
			{"POST", "/tax/" + id(acc) + "/accept", form(nil), "", []goodsOutcome{goodsIs(seeOther, tx)}},
			{"POST", "/tax/" + id(rej) + "/reject", form(url.Values{"reason": {"wrong month"}}), "", []goodsOutcome{goodsIs(seeOther, tx)}},

			{"GET", "/api/v1/tax/filings", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/api/v1/tax/filings/" + id(apiDraft), nil, "", []goodsOutcome{goodsIs(ok, mA, aX, tx, au, adm), goodsIs(nf, mB, mP, aY)}},
			{"POST", "/api/v1/tax/filings", nil, `{"merchant_id":` + ma + `,"period":"2026-01"}`,
				[]goodsOutcome{goodsIs(nf, mB, mP, aY), goodsIs(created, aX), goodsIs(conflict, mA)}},
			{"POST", "/api/v1/tax/filings/" + id(apiDraft) + "/file", nil, "{}", []goodsOutcome{goodsIs(nf, mB, mP, aY), goodsIs(ok, aX), goodsIs(conflict, mA)}},
			{"POST", "/api/v1/tax/filings/" + id(apiAcc) + "/accept", nil, "{}", []goodsOutcome{goodsIs(ok, tx)}},
			{"POST", "/api/v1/tax/filings/" + id(apiRej) + "/reject", nil, `{"reason":"amounts differ"}`, []goodsOutcome{goodsIs(ok, tx)}},
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range testkit.Everyone {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.api(t, "")
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.api(t, u)
		}
		checkAccessMatrix(t, routes, testkit.Everyone, pages, apis)
		var f models.TaxFiling
		if err := db.Where("period = ? AND merchant_id = ?", "2026-10", w.MerchantA.ID).Take(&f).Error; err != nil ||
			f.Status != models.FilingDraft || f.FiledByAgentID != nil {
			t.Errorf("filing built through the page: %v %+v", err, f)
		}
	})
}

// TestTaxJourney: merchant A previews October (a line failing a check is shown with its reason
// and left out), builds the draft (input cannot set its status), files it; filing again is
// refused (409); the tax officer sees the filing late, must give a reason to reject (422 with
// the field error), rejects; the merchant reads the rejection in Chinese; the overdue list shows
// the unfiled month.
func TestTaxJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newTaxApp(t, db)
		w := a.World
		good := a.exited(t, servicetest.TradeSpec{}, "2026-10-20")
		held := a.exited(t, servicetest.TradeSpec{Lines: []servicetest.Line{{HSCode: "3924100000", Name: "塑料餐具", Amount: 30_000}}}, "2026-10-21")
		if err := db.Model(&models.Goods{}).Where("id = ?", held.Lines[0].GoodsID).Update("status", models.GoodsHeld).Error; err != nil {
			t.Fatal(err)
		}
		merchant := a.as(t, testkit.UserMerchantA)
		rec := merchant.get("/tax/new")
		if rec.Code != http.StatusOK {
			t.Fatalf("preview: %d %s", rec.Code, rec.Body)
		}
		d := goodsDoc(t, rec)
		if v, _ := d.Find("#f-period").Attr("value"); v != "2026-10" {
			t.Errorf("default period %q", v)
		}
		if n := d.Find("table.tax-eligible tr.tax-line").Length(); n != 1 || goodsText(d, ".tax-due") != "2026-11-15" {
			t.Errorf("%d eligible rows, due %q", n, goodsText(d, ".tax-due"))
		}
		failing := d.Find(fmt.Sprintf("table.tax-failing tr.tax-line[data-line='%d'] li[data-check='%s']", held.Lines[0].ID, workflow.TaxCheckGoodsEligible))
		if failing.Length() != 1 || !strings.Contains(failing.Text(), "not recognised") {
			t.Errorf("failing line: %q", failing.Text())
		}
		rec = merchant.post("/tax", url.Values{"period": {"2026-10"}, "status": {"accepted"}, "number": {"X1"}, "merchant_id": {""}})
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/tax/") {
			t.Fatalf("build: %d %s", rec.Code, rec.Body)
		}
		loc := rec.Header().Get("Location")
		var f models.TaxFiling
		if err := db.Where("merchant_id = ? AND period = ?", w.MerchantA.ID, "2026-10").Take(&f).Error; err != nil {
			t.Fatal(err)
		}
		if f.Status != models.FilingDraft || !strings.HasPrefix(f.Number, "MS202610") || f.LineCount != 1 || loc != "/tax/"+itoa(f.ID) {
			t.Errorf("built %+v at %s", f, loc)
		}
		d = goodsDoc(t, merchant.get(loc))
		if d.Find("form.tax-file").Length() != 1 || d.Find("form.tax-reject").Length() != 0 ||
			d.Find(fmt.Sprintf("tr.tax-line[data-line='%d'] .tax-pass", good.Lines[0].ID)).Length() != 1 || goodsText(d, ".flash") == "" {
			t.Errorf("draft page: %s", d.Find("main").Text())
		}
		if rec := merchant.post(loc+"/file", url.Values{"version": {itoa(f.Version)}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("file: %d %s", rec.Code, rec.Body)
		}
		if rec := merchant.post(loc+"/file", url.Values{"version": {itoa(f.Version)}}); rec.Code != http.StatusConflict ||
			goodsDoc(t, rec).Find("p.form-error").Length() == 0 {
			t.Errorf("second file: %d", rec.Code)
		}

		tax := a.as(t, testkit.UserTax)
		d = goodsDoc(t, tax.get(loc))
		if d.Find("form.tax-accept").Length() != 1 || d.Find("form.tax-file").Length() != 0 ||
			!strings.Contains(goodsText(d, ".tax-due"), "14") || !strings.Contains(goodsText(d, ".tax-filed-by"), testkit.UserMerchantA) {
			t.Errorf("officer page: due %q, filed by %q", goodsText(d, ".tax-due"), goodsText(d, ".tax-filed-by"))
		}
		rec = tax.post(loc+"/reject", url.Values{"reason": {"  "}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("reject without reason: %d", rec.Code)
		}
		d = goodsDoc(t, rec)
		if v, _ := d.Find("#f-reason").Attr("aria-invalid"); v != "true" || goodsText(d, "#f-reason-error") == "" {
			t.Errorf("reason field not marked: %q", goodsText(d, "#f-reason-error"))
		}
		if rec := tax.post(loc+"/reject", url.Values{"reason": {"Buyer name differs from the declaration"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("reject: %d %s", rec.Code, rec.Body)
		}
		goodsLang(t, merchant, "zh-CN")
		d = goodsDoc(t, merchant.get(loc))
		if goodsText(d, ".tax-status") != "已退回" || goodsText(d, ".tax-reason") != "Buyer name differs from the declaration" {
			t.Errorf("merchant sees %q / %q", goodsText(d, ".tax-status"), goodsText(d, ".tax-reason"))
		}
		d = goodsDoc(t, tax.get("/tax/overdue"))
		row := d.Find(fmt.Sprintf("tr.tax-overdue-row[data-merchant='%d'][data-period='2026-10']", w.MerchantA.ID))
		if row.Length() != 1 || goodsText(d, "tr.tax-overdue-row .tax-days-overdue") != "14" {
			t.Errorf("overdue page: %s", d.Find("main").Text())
		}
		d = goodsDoc(t, tax.get("/tax?status=rejected"))
		if d.Find("tr.tax-row").Length() != 1 || goodsText(d, ".tax-total") != "1" {
			t.Errorf("officer list: %s", d.Find("main").Text())
		}
		if rec := tax.get("/tax?period=2026-13"); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("bad period filter: %d", rec.Code)
		}
	})
}

// TestTaxAgentBuilds: an agent picks among the merchants entrusting it (only one here, so it is
// chosen) and builds the filing through the API; the JSON names the lines and their checks.
func TestTaxAgentBuilds(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newTaxApp(t, db)
		w := a.World
		tr := a.exited(t, servicetest.TradeSpec{}, "2026-10-05")
		d := goodsDoc(t, a.as(t, testkit.UserAgentX).get("/tax/new"))
		if v, _ := d.Find("#f-merchant_id option[selected]").Attr("value"); v != itoa(w.MerchantA.ID) || d.Find("#f-merchant_id option").Length() != 2 {
			t.Errorf("merchant choice %q of %d", v, d.Find("#f-merchant_id option").Length())
		}
		if d.Find("table.tax-eligible tr.tax-line").Length() != 1 {
			t.Errorf("agent preview: %s", d.Find("main").Text())
		}
		api := a.api(t, testkit.UserAgentX)
		rec := api.postJSON("/api/v1/tax/filings", fmt.Sprintf(`{"merchant_id":%d,"period":"2026-10"}`, w.MerchantA.ID))
		if rec.Code != http.StatusCreated {
			t.Fatalf("API build: %d %s", rec.Code, rec.Body)
		}
		var out struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
			Lines  []struct {
				TransactionLineID int64 `json:"transaction_line_id"`
				OK                bool  `json:"ok"`
				Checks            []struct {
					Code string `json:"code"`
				} `json:"checks"`
			} `json:"lines"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
		if out.Status != models.FilingDraft || len(out.Lines) != 1 || out.Lines[0].TransactionLineID != tr.Lines[0].ID ||
			!out.Lines[0].OK || len(out.Lines[0].Checks) != len(workflow.TaxCheckCodes) {
			t.Errorf("API filing %s", rec.Body)
		}
		rec = api.postJSON("/api/v1/tax/filings/"+itoa(out.ID)+"/file", `{"version":99}`)
		if rec.Code != http.StatusConflict {
			t.Errorf("stale version: %d", rec.Code)
		}
		rec = api.postJSON("/api/v1/tax/filings/"+itoa(out.ID)+"/file", `{}`)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"filed_by_agent_id":`+itoa(w.AgentX.ID)) {
			t.Errorf("API file: %d %s", rec.Code, rec.Body)
		}
		rec = a.api(t, testkit.UserTax).postJSON("/api/v1/tax/filings/"+itoa(out.ID)+"/reject", `{}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "reason") {
			t.Errorf("API reject without reason: %d %s", rec.Code, rec.Body)
		}
	})
}
