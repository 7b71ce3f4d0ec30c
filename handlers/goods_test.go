package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// goodsApp is the real server over the seeded world, with a service over the same database
// that issues API tokens and takes officers' decisions for the tests.
type goodsApp struct {
	*app
	svc *workflow.Service
}

func newGoodsApp(t *testing.T, db *gorm.DB) *goodsApp {
	t.Helper()
	a := newSeededApp(t, db)
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(db, ref, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Policy.BcryptCost = bcrypt.MinCost
	return &goodsApp{app: a, svc: svc}
}

// actor is a seeded user as the service sees them.
func (a *goodsApp) actor(username string) workflow.Actor {
	u := a.World.Users[username]
	act := workflow.Actor{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role}
	if u.MerchantID != nil {
		act.MerchantID = *u.MerchantID
	}
	if u.AgentID != nil {
		act.AgentID = *u.AgentID
	}
	return act
}

// api is an API client with a bearer token of the seeded user ("" for no token).
func (a *goodsApp) api(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	if username == "" {
		return c
	}
	tok, err := a.svc.CreateAPIToken(context.Background(), a.actor(username), "goods test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}

// goods inserts goods of a merchant, in a status, straight into the database.
func (a *goodsApp) goods(t *testing.T, merchantID int64, sku, nameZh, nameEn, hs, status string) models.Goods {
	t.Helper()
	g := models.Goods{MerchantID: merchantID, SKU: sku, NameZh: nameZh, NameEn: nameEn, HSCode: hs, LegalUnit: "007",
		TransactionUnit: "007", Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := a.DB.Create(&g).Error; err != nil {
		t.Fatal(err)
	}
	return g
}

func (a *goodsApp) stored(t *testing.T, id int64) models.Goods {
	t.Helper()
	var g models.Goods
	if err := a.DB.Take(&g, id).Error; err != nil {
		t.Fatal(err)
	}
	return g
}

// goodsForm is a valid registration form.
func goodsForm(sku string) url.Values {
	return url.Values{"sku": {sku}, "name_zh": {"塑料水杯"}, "name_en": {"Plastic cup"}, "hs_code": {"3924100000"},
		"spec": {"PP, 350ml"}, "producer": {"义乌市星光塑料厂"}, "legal_unit": {"007"}, "transaction_unit": {"007"}}
}

func goodsDoc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func goodsText(d *goquery.Document, sel string) string {
	return strings.TrimSpace(d.Find(sel).First().Text())
}

// goodsLang makes a client's pages come in a language, as the language switch does (a logged-in
// user's own language otherwise wins over Accept-Language).
func goodsLang(t *testing.T, c *client, lang string) {
	t.Helper()
	if rec := c.get("/lang/" + lang + "?next=/"); rec.Code != http.StatusSeeOther {
		t.Fatalf("switch to %s: %d", lang, rec.Code)
	}
	c.lang = lang
}

// goodsMatrixUsers are every seeded user and nobody ("").
var goodsMatrixUsers = testkit.Everyone

type goodsOutcome struct {
	status int
	users  []string
}

func goodsIs(status int, users ...string) goodsOutcome { return goodsOutcome{status, users} }

// TestGoodsAccessMatrix: every goods and HS route, page and API, read and write, for every
// seeded user and nobody: 404 for another merchant's goods (merchant-a → MerchantB's goods;
// agent-x → MerchantB's goods, as B entrusts agent-y), 403 for a role without the action (and
// for a merchant that is not active), the login page for nobody on a page, 401 for nobody on a
// page post or the API. Rows run in order; each successful write is unique to its user.
func TestGoodsAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		w := a.World
		gA := a.goods(t, w.MerchantA.ID, "A-1", "发夹", "Hair clip", "9615110000", models.GoodsRecognised)
		gB := a.goods(t, w.MerchantB.ID, "B-1", "毛绒玩具", "Plush toy", "9503002100", models.GoodsPending)
		gB2 := a.goods(t, w.MerchantB.ID, "B-2", "积木", "Building blocks", "9503008100", models.GoodsPending)
		gB3 := a.goods(t, w.MerchantB.ID, "B-3", "拼图", "Puzzle", "9503009000", models.GoodsPending)
		idA, idB := itoa(gA.ID), itoa(gB.ID)
		const (
			mA, mB, mP     = testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending
			aX, aY         = testkit.UserAgentX, testkit.UserAgentY
			cu, tx, fx, sv = testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor
			au, ad         = testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther   = http.StatusOK, http.StatusSeeOther
			created, nf    = http.StatusCreated, http.StatusNotFound
		)
		readers := []string{mA, mB, mP, aX, aY, sv, au, ad}
		searchers := []string{mA, mB, mP, aX, aY, cu, sv, au, ad}
		newGoods := func(prefix string) func(string) url.Values {
			return func(u string) url.Values { return goodsForm(prefix + strings.ToUpper(strings.ReplaceAll(u, "-", ""))) }
		}
		edit := func(string) url.Values { // the producer only: recognition stays
			return url.Values{"sku": {"A-1"}, "name_zh": {"发夹"}, "name_en": {"Hair clip"}, "hs_code": {"9615110000"},
				"legal_unit": {"007"}, "transaction_unit": {"007"}, "version": {"1"}, "producer": {"金华某厂"}}
		}
		decision := func(reason string) func(string) url.Values {
			return func(string) url.Values { return url.Values{"version": {"1"}, "reason": {reason}} }
		}
		routes := []struct {
			method, path string
			form         func(user string) url.Values
			allow        []goodsOutcome // users not named get 403
		}{
			{"GET", "/goods", nil, []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/goods?status=pending&chapter=95&q=toy", nil, []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/goods/new", nil, []goodsOutcome{goodsIs(ok, mA, mB, mP)}},
			{"POST", "/goods", newGoods("P"), []goodsOutcome{goodsIs(seeOther, mA, mB)}},
			{"GET", "/goods/review", nil, []goodsOutcome{goodsIs(ok, sv)}},
			{"GET", "/goods/" + idA, nil, []goodsOutcome{goodsIs(ok, mA, aX, sv, au, ad), goodsIs(nf, mB, mP, aY)}},
			{"GET", "/goods/" + idB, nil, []goodsOutcome{goodsIs(ok, mB, aY, sv, au, ad), goodsIs(nf, mA, mP, aX)}},
			{"GET", "/goods/999999", nil, []goodsOutcome{goodsIs(nf, readers...)}},
			{"GET", "/goods/" + idA + "/edit", nil, []goodsOutcome{goodsIs(ok, mA), goodsIs(nf, mB, mP)}},
			{"GET", "/goods/" + idB + "/edit", nil, []goodsOutcome{goodsIs(ok, mB), goodsIs(nf, mA, mP)}},
			{"POST", "/goods/" + idA + "/edit", edit, []goodsOutcome{goodsIs(seeOther, mA), goodsIs(nf, mB, mP)}},
			{"POST", "/goods/" + idB + "/recognise", decision(""), []goodsOutcome{goodsIs(seeOther, sv)}},
			{"POST", "/goods/" + itoa(gB2.ID) + "/reject", decision("名称不符"), []goodsOutcome{goodsIs(seeOther, sv)}},
			{"POST", "/goods/" + itoa(gB3.ID) + "/hold", decision("抽检"), []goodsOutcome{goodsIs(seeOther, sv)}},
			{"GET", "/hs/search?q=cup", nil, []goodsOutcome{goodsIs(ok, searchers...)}},
			{"GET", "/hs/describe?code=3924100000", nil, []goodsOutcome{goodsIs(ok, searchers...)}},

			{"GET", "/api/v1/goods", nil, []goodsOutcome{goodsIs(ok, readers...)}},
			{"POST", "/api/v1/goods", newGoods("API"), []goodsOutcome{goodsIs(created, mA, mB)}},
			{"GET", "/api/v1/goods/" + idA, nil, []goodsOutcome{goodsIs(ok, mA, aX, sv, au, ad), goodsIs(nf, mB, mP, aY)}},
			{"GET", "/api/v1/goods/" + idB, nil, []goodsOutcome{goodsIs(ok, mB, aY, sv, au, ad), goodsIs(nf, mA, mP, aX)}},
			{"GET", "/api/v1/hs/search?q=9503", nil, []goodsOutcome{goodsIs(ok, searchers...)}},
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range goodsMatrixUsers {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.api(t, "")
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.api(t, u)
		}
		for _, r := range routes {
			isAPI := strings.HasPrefix(r.path, "/api/")
			for _, u := range goodsMatrixUsers {
				want := http.StatusForbidden
				for _, o := range r.allow {
					for _, name := range o.users {
						if name == u {
							want = o.status
						}
					}
				}
				switch {
				case u == "" && !isAPI && r.method == "GET":
					want = seeOther
				case u == "":
					want = http.StatusUnauthorized
				}
				var rec *httptest.ResponseRecorder
				switch {
				case isAPI && r.method == "POST":
					body := map[string]any{}
					for k, v := range r.form(u) {
						body[k] = v[0]
					}
					b, _ := json.Marshal(body)
					rec = apis[u].postJSON(r.path, string(b))
				case isAPI:
					rec = apis[u].get(r.path)
				case r.method == "POST":
					rec = pages[u].post(r.path, r.form(u))
				default:
					rec = pages[u].get(r.path)
				}
				name := u
				if name == "" {
					name = "anonymous"
				}
				if rec.Code != want {
					t.Errorf("%s %s as %s: status %d, want %d: %.300s", r.method, r.path, name, rec.Code, want, rec.Body)
					continue
				}
				if u == "" && want == seeOther && !strings.HasPrefix(rec.Header().Get("Location"), "/login?next=") {
					t.Errorf("%s %s as nobody: redirected to %q, not the login page", r.method, r.path, rec.Header().Get("Location"))
				}
			}
		}
		// The writes that succeeded did what they said, once.
		if g := a.stored(t, gA.ID); g.Producer != "金华某厂" || g.Version != 2 || g.Status != models.GoodsRecognised {
			t.Errorf("edited goods %+v", g)
		}
		for id, st := range map[int64]string{gB.ID: models.GoodsRecognised, gB2.ID: models.GoodsRejected, gB3.ID: models.GoodsHeld} {
			if g := a.stored(t, id); g.Status != st || g.Version != 2 {
				t.Errorf("goods %d: %s v%d, want %s v2", id, g.Status, g.Version, st)
			}
		}
		var n int64
		db.Model(&models.Goods{}).Where("merchant_id = ?", w.Pending.ID).Count(&n)
		if n != 0 {
			t.Errorf("the pending merchant registered %d goods", n)
		}
	})
}

// noRawIDs fails when a page shows a message id instead of its translation.
func noRawIDs(t *testing.T, d *goquery.Document) {
	t.Helper()
	if body := d.Find("body").Text(); strings.Contains(body, "goods.") {
		i := strings.Index(body, "goods.")
		t.Errorf("untranslated message id near %q", body[max(0, i-20):min(len(body), i+40)])
	}
}

// noInlineCode fails on inline script, inline style or hx-on attributes, which the CSP forbids.
func noInlineCode(t *testing.T, d *goquery.Document) {
	t.Helper()
	d.Find("script").Each(func(_ int, s *goquery.Selection) {
		if _, ok := s.Attr("src"); !ok {
			t.Error("inline script")
		}
	})
	if d.Find("[style], style").Length() > 0 {
		t.Error("inline style")
	}
	d.Find("*").Each(func(_ int, s *goquery.Selection) {
		for _, a := range s.Nodes[0].Attr {
			if strings.HasPrefix(a.Key, "hx-on") || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s>: inline event handler", goquery.NodeName(s), a.Key)
			}
		}
	})
}

func TestGoodsFormInBothLanguages(t *testing.T) {
	a := newGoodsApp(t, dbtest.SQLite(t))
	for _, tt := range []struct{ lang, h1, unit, search string }{
		{"zh-CN", "登记商品", "007 个", "查找商品编码"},
		{"en", "Register goods", "007 piece", "Find the HS code"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			c := a.as(t, testkit.UserMerchantA)
			goodsLang(t, c, tt.lang)
			rec := c.get("/goods/new")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			d := goodsDoc(t, rec)
			noRawIDs(t, d)
			noInlineCode(t, d)
			if got := goodsText(d, "h1"); got != tt.h1 {
				t.Errorf("h1 = %q", got)
			}
			hs := d.Find("form#goods-form input#f-hs_code[name=hs_code]")
			if hs.AttrOr("hx-get", "") != "/hs/describe" || !strings.Contains(hs.AttrOr("hx-trigger", ""), "input changed delay:300ms") ||
				hs.AttrOr("hx-target", "") != "#hs-describe" || !strings.Contains(hs.AttrOr("aria-describedby", ""), "hs-describe") {
				t.Errorf("HS input %v", hs.Nodes)
			}
			if d.Find("#hs-describe[aria-live=polite]").Length() != 1 {
				t.Error("no live region for the HS description")
			}
			q := d.Find("input#hs-q[type=search]")
			if q.AttrOr("form", "") != "hs-finder" || q.AttrOr("hx-get", "") != "/hs/search" ||
				q.AttrOr("hx-trigger", "") != "input changed delay:300ms, search" || q.AttrOr("hx-target", "") != "#hs-results" {
				t.Errorf("search box %v", q.Nodes)
			}
			if d.Find("form#hs-finder[action='/hs/search'][hx-get='/hs/search']").Length() != 1 || d.Find("form#goods-form form").Length() != 0 {
				t.Error("the finder needs its own form outside the goods form")
			}
			if got := goodsText(d, "select#f-legal_unit option[value='007']"); got != tt.unit {
				t.Errorf("unit label %q, want %q", got, tt.unit)
			}
			if !d.Find("select#f-legal_unit option[value='007']").Is("[selected]") {
				t.Error("the legal unit does not default to 007")
			}
			if got := goodsText(d, "details.hs-finder summary"); got != tt.search {
				t.Errorf("finder %q", got)
			}
			for _, f := range []string{"sku", "name_zh", "name_en", "spec", "producer", "brand", "second_unit", "transaction_unit"} {
				if d.Find("#f-"+f).Length() != 1 {
					t.Errorf("no field %s", f)
				}
			}
			if d.Find("input#f-branded[type=checkbox][value=true]").Length() != 1 {
				t.Error("no branded checkbox")
			}
		})
	}
}

func TestGoodsRegisterThroughTheForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		a.goods(t, a.World.MerchantA.ID, "TAKEN", "发夹", "Hair clip", "9615110000", models.GoodsRecognised)
		with := func(sku string, kv ...string) url.Values {
			f := goodsForm(sku)
			for i := 0; i+1 < len(kv); i += 2 {
				f.Set(kv[i], kv[i+1])
			}
			return f
		}
		tests := []struct {
			name, lang string
			form       url.Values
			status     int
			field      string // the field whose error is shown
			message    string // part of the error or of the flash
			saved      string // the saved status
		}{
			{"OK", "en", with("N-1"), http.StatusSeeOther, "", "wait for recognition", models.GoodsPending},
			{"OKHeldBrand", "zh-CN", with("N-2", "branded", "true", "brand", "Disney Frozen"), http.StatusSeeOther, "", "品牌监控名单", models.GoodsHeld},
			{"ErrIneligibleHS", "zh-CN", with("N-3", "hs_code", "9303200000"), http.StatusUnprocessableEntity, "hs_code", "武器弹药：出口须许可", ""},
			{"ErrIneligibleHSEnglish", "en", with("N-3", "hs_code", "3604100000"), http.StatusUnprocessableEntity, "hs_code", "Fireworks and pyrotechnics are restricted", ""},
			{"ErrShortHS", "en", with("N-4", "hs_code", "950300"), http.StatusUnprocessableEntity, "hs_code", "10-digit", ""},
			{"ErrDuplicateSKU", "en", with("TAKEN"), http.StatusUnprocessableEntity, "sku", "already has goods with SKU TAKEN", ""},
			{"ErrNoName", "zh-CN", with("N-5", "name_zh", "", "name_en", ""), http.StatusUnprocessableEntity, "name_zh", "中文名称或英文名称", ""},
			{"ErrBrandMissing", "en", with("N-6", "branded", "true"), http.StatusUnprocessableEntity, "brand", "Enter the brand", ""},
			{"ErrUnknownUnit", "en", with("N-7", "legal_unit", "999"), http.StatusUnprocessableEntity, "legal_unit", "not a customs unit", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := a.as(t, testkit.UserMerchantA)
				goodsLang(t, c, tt.lang)
				rec := c.post("/goods", tt.form)
				if rec.Code != tt.status {
					t.Fatalf("status %d, want %d: %.400s", rec.Code, tt.status, rec.Body)
				}
				if tt.status == http.StatusSeeOther {
					loc := rec.Header().Get("Location")
					if !strings.HasPrefix(loc, "/goods/") {
						t.Fatalf("redirected to %q", loc)
					}
					d := goodsDoc(t, c.get(loc))
					if flash := goodsText(d, "p.flash"); !strings.Contains(flash, tt.message) {
						t.Errorf("flash %q, want %q", flash, tt.message)
					}
					if got := d.Find(".goods-status").AttrOr("data-status", ""); got != tt.saved {
						t.Errorf("status %q, want %q", got, tt.saved)
					}
					if tt.saved == models.GoodsHeld && !strings.Contains(goodsText(d, ".goods-wait"), "Disney Enterprises, Inc.") {
						t.Errorf("wait %q names no holder", goodsText(d, ".goods-wait"))
					}
					return
				}
				d := goodsDoc(t, rec)
				noRawIDs(t, d)
				input := d.Find("#f-" + tt.field)
				if input.AttrOr("aria-invalid", "") != "true" || input.AttrOr("aria-describedby", "") == "" {
					t.Errorf("field %s not marked invalid", tt.field)
				}
				if msg := goodsText(d, "#f-"+tt.field+"-error"); !strings.Contains(msg, tt.message) {
					t.Errorf("error of %s = %q, want %q", tt.field, msg, tt.message)
				}
				if got := d.Find("#f-sku").AttrOr("value", ""); got != tt.form.Get("sku") {
					t.Errorf("SKU not kept: %q", got)
				}
				if got := d.Find("#f-hs_code").AttrOr("value", ""); got != tt.form.Get("hs_code") {
					t.Errorf("HS code not kept: %q", got)
				}
			})
		}
	})
}

func TestGoodsFormClosedForInactiveMerchant(t *testing.T) {
	a := newGoodsApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserPending)
	d := goodsDoc(t, c.get("/goods/new"))
	if msg := goodsText(d, ".goods-closed"); !strings.Contains(msg, "waiting for approval") || d.Find("form#goods-form").Length() != 0 {
		t.Errorf("closed notice %q", msg)
	}
	rec := c.post("/goods", goodsForm("P-1"))
	if rec.Code != http.StatusForbidden || !strings.Contains(goodsText(goodsDoc(t, rec), ".form-error"), "waiting for approval") {
		t.Errorf("post: %d %.300s", rec.Code, rec.Body)
	}
}

func TestGoodsInputCannotSetOwnerStatusOrVersion(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		w := a.World
		c := a.as(t, testkit.UserMerchantA)
		form := goodsForm("OWN-1")
		for k, v := range map[string]string{"id": "999", "merchant_id": itoa(w.MerchantB.ID), "status": "recognised", "version": "9",
			"status_reason": "x", "reviewed_by": itoa(w.Users[testkit.UserSupervisor].ID), "reviewed_at": "2026-01-01T00:00:00Z"} {
			form.Set(k, v)
		}
		rec := c.post("/goods", form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("post: %d %.300s", rec.Code, rec.Body)
		}
		var g models.Goods
		if err := db.Where("sku = ?", "OWN-1").Take(&g).Error; err != nil {
			t.Fatal(err)
		}
		if g.ID == 999 || g.MerchantID != w.MerchantA.ID || g.Status != models.GoodsPending || g.Version != 1 ||
			g.StatusReason != "" || g.ReviewedBy != nil || g.ReviewedAt != nil {
			t.Errorf("form set protected fields: %+v", g)
		}

		api := a.api(t, testkit.UserMerchantA)
		rec = api.postJSON("/api/v1/goods", `{"id": 998, "merchant_id": `+itoa(w.MerchantB.ID)+`, "status": "recognised", "version": 9,
			"reviewed_by": 1, "sku": "OWN-2", "name_zh": "水杯", "hs_code": "3924100000", "legal_unit": "007", "transaction_unit": "007"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("api: %d %s", rec.Code, rec.Body)
		}
		g = models.Goods{}
		if err := db.Where("sku = ?", "OWN-2").Take(&g).Error; err != nil {
			t.Fatal(err)
		}
		if g.ID == 998 || g.MerchantID != w.MerchantA.ID || g.Status != models.GoodsPending || g.Version != 1 || g.ReviewedBy != nil {
			t.Errorf("API set protected fields: %+v", g)
		}

		// An edit cannot move the goods or set their status: the version is only the lock.
		form = goodsForm("OWN-2")
		for k, v := range map[string]string{"version": "1", "merchant_id": itoa(w.MerchantB.ID), "status": "recognised", "producer": "新厂"} {
			form.Set(k, v)
		}
		if rec := c.post("/goods/"+itoa(g.ID)+"/edit", form); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %.300s", rec.Code, rec.Body)
		}
		g = a.stored(t, g.ID)
		if g.MerchantID != w.MerchantA.ID || g.Status != models.GoodsPending || g.Version != 2 || g.Producer != "新厂" {
			t.Errorf("edit set protected fields: %+v", g)
		}
	})
}

func TestGoodsEditSendsRecognisedGoodsBack(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		g := a.goods(t, a.World.MerchantA.ID, "R-1", "塑料水杯", "Plastic cup", "3924100000", models.GoodsRecognised)
		c := a.as(t, testkit.UserMerchantA)
		goodsLang(t, c, "en")
		d := goodsDoc(t, c.get("/goods/"+itoa(g.ID)+"/edit"))
		if !strings.Contains(goodsText(d, ".goods-requeue-notice"), "sends them back to market supervision") {
			t.Errorf("no requeue notice: %q", goodsText(d, ".goods-requeue-notice"))
		}
		if d.Find("input[name=version]").AttrOr("value", "") != "1" || d.Find("#f-sku").AttrOr("value", "") != "R-1" {
			t.Error("the edit form does not carry the goods")
		}
		if !strings.Contains(goodsText(d, "#hs-describe .hs-subheading"), "Plastics; tableware and kitchenware") {
			t.Errorf("no description of the current code: %q", goodsText(d, "#hs-describe"))
		}

		form := goodsForm("R-1")
		form.Set("version", "1")
		form.Set("hs_code", "3924900000")
		rec := c.post("/goods/"+itoa(g.ID)+"/edit", form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %.300s", rec.Code, rec.Body)
		}
		if got := a.stored(t, g.ID); got.Status != models.GoodsPending || got.HSCode != "3924900000" {
			t.Errorf("after the HS change: %s %s", got.Status, got.HSCode)
		}
		d = goodsDoc(t, c.get(rec.Header().Get("Location")))
		if !strings.Contains(goodsText(d, "p.flash"), "again") || d.Find(".goods-wait").AttrOr("data-wait", "") != workflow.WaitChanged {
			t.Errorf("flash %q, wait %q", goodsText(d, "p.flash"), d.Find(".goods-wait").AttrOr("data-wait", ""))
		}

		// The same form again carries a stale version: 409 with the message, values kept.
		form.Set("producer", "另一个厂")
		rec = c.post("/goods/"+itoa(g.ID)+"/edit", form)
		if rec.Code != http.StatusConflict {
			t.Fatalf("stale edit: %d", rec.Code)
		}
		d = goodsDoc(t, rec)
		if !strings.Contains(goodsText(d, ".form-error"), "changed by someone else") || d.Find("#f-producer").AttrOr("value", "") != "另一个厂" {
			t.Errorf("stale edit page: %q", goodsText(d, ".form-error"))
		}
	})
}

func TestHSDescribeFragment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		for i := range 3 {
			a.goods(t, a.World.MerchantB.ID, "D-"+itoa(int64(i)), "塑料水杯", "Plastic cup", "3924100000", models.GoodsRecognised)
		}
		c := a.as(t, testkit.UserMerchantA)
		fragment := func(t *testing.T, lang, query string) *goquery.Document {
			t.Helper()
			goodsLang(t, c, lang)
			req := httptest.NewRequest(http.MethodGet, "/hs/describe?"+query, nil)
			req.Header.Set("HX-Request", "true")
			rec := c.do(req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if strings.Contains(rec.Body.String(), "<html") || strings.Contains(rec.Body.String(), "<nav") {
				t.Fatalf("not a fragment: %.200s", rec.Body)
			}
			d := goodsDoc(t, rec)
			noInlineCode(t, d)
			return d
		}
		tests := []struct {
			name, lang, query string
			want              map[string]string // selector → part of its text
			absent            []string
		}{
			{"OKTyping", "en", "hs_code=3924100000", map[string]string{
				".hs-subheading": "Plastics; tableware and kitchenware", ".hs-ok": "Valid 10-digit code", ".hs-uses": "used by 3 goods",
				".hs-path": "Chapter 39"}, []string{".hs-problem", "#hs-field"}},
			{"OKTypingChinese", "zh-CN", "hs_code=3924100000", map[string]string{".hs-ok": "有效的 10 位编码", ".hs-uses": "已有 3 件商品使用"}, nil},
			{"OKPartial", "en", "hs_code=392410", map[string]string{".hs-progress": "6 of 10 digits", "ul.hs-codes": "3924100000"}, []string{".hs-ok"}},
			{"OKPick", "en", "code=3924100000&pick=1", map[string]string{".hs-ok": "Valid"}, nil},
			{"ErrIneligible", "zh-CN", "hs_code=930200", map[string]string{".hs-ineligible": "武器弹药"}, nil},
			{"ErrNotSubheading", "en", "hs_code=9405400000", map[string]string{".hs-problem": "not an HS 2022 subheading"}, nil},
			{"OKEmpty", "en", "hs_code=", nil, []string{".hs-describe-body"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := fragment(t, tt.lang, tt.query)
				for sel, text := range tt.want {
					if got := goodsText(d, sel); !strings.Contains(got, text) {
						t.Errorf("%s = %q, want %q", sel, got, text)
					}
				}
				for _, sel := range tt.absent {
					if d.Find(sel).Length() > 0 {
						t.Errorf("%s present", sel)
					}
				}
			})
		}
		// Picking sends the HS field again, out of band, holding the code.
		d := fragment(t, "en", "code=3924100000&pick=1")
		field := d.Find("#hs-field[hx-swap-oob=true]")
		if field.Length() != 1 || field.Find("input#f-hs_code").AttrOr("value", "") != "3924100000" ||
			field.Find("input#f-hs_code").AttrOr("hx-get", "") != "/hs/describe" {
			t.Errorf("picked field %v", field.Nodes)
		}
		if d.Find("button.hs-pick").Length() != 0 {
			t.Error("a complete code offers codes to pick")
		}
		d = fragment(t, "en", "hs_code=392410")
		if b := d.Find("button.hs-pick[data-code='3924100000']"); b.AttrOr("hx-get", "") != "/hs/describe?code=3924100000&pick=1" || b.AttrOr("hx-target", "") != "#hs-describe" {
			t.Errorf("pick button %v", b.Nodes)
		}
	})
}

func TestHSSearchResults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		w := a.World
		for i, r := range []struct {
			m              int64
			zh, en, hs, st string
		}{
			{w.MerchantA.ID, "塑料水杯", "Plastic cup", "3924100000", models.GoodsRecognised},
			{w.MerchantB.ID, "塑料水杯", "Plastic water cup", "3924100000", models.GoodsRecognised},
			{w.MerchantB.ID, "玻璃水杯", "Glass cup", "7013370000", models.GoodsRecognised},
			{w.MerchantB.ID, "水杯", "Cup", "9617001900", models.GoodsPending},
		} {
			a.goods(t, r.m, "S-"+itoa(int64(i)), r.zh, r.en, r.hs, r.st)
		}
		c := a.as(t, testkit.UserMerchantA)
		search := func(t *testing.T, lang, query string, htmx bool) (*httptest.ResponseRecorder, *goquery.Document) {
			t.Helper()
			goodsLang(t, c, lang)
			req := httptest.NewRequest(http.MethodGet, "/hs/search?"+query, nil)
			if htmx {
				req.Header.Set("HX-Request", "true")
			}
			rec := c.do(req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %.300s", rec.Code, rec.Body)
			}
			return rec, goodsDoc(t, rec)
		}
		tests := []struct {
			name, lang, query string
			suggestions       []string // data-code of the suggestions, in order
			uses              string   // text of the first suggestion's use count
			match             string   // a nomenclature match
		}{
			{"OKChinese", "zh-CN", "q=" + url.QueryEscape("水杯"), []string{"3924100000", "7013370000"}, "已有 2 件商品使用", ""},
			{"OKEnglish", "en", "q=cup", []string{"3924100000", "7013370000"}, "used by 2 goods", "4823"},
			{"OKWordsNomenclature", "en", "q=christmas", nil, "", "950510"},
			{"OKCodes", "en", "q=3924", nil, "", "392410"},
			{"OKNamesFromTheForm", "en", "name_zh=" + url.QueryEscape("玻璃水杯") + "&name_en=", []string{"7013370000"}, "used by 1 goods", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec, d := search(t, tt.lang, tt.query, true)
				body := rec.Body.String()
				if strings.Contains(body, "<html") {
					t.Fatal("htmx got a whole page")
				}
				noInlineCode(t, d)
				var got []string
				d.Find("ul.hs-suggestions > li").Each(func(_ int, s *goquery.Selection) { got = append(got, s.AttrOr("data-code", "")) })
				if strings.Join(got, ",") != strings.Join(tt.suggestions, ",") {
					t.Errorf("suggestions %v, want %v", got, tt.suggestions)
				}
				if tt.uses != "" && goodsText(d, "ul.hs-suggestions > li .hs-uses") != tt.uses {
					t.Errorf("uses %q, want %q", goodsText(d, "ul.hs-suggestions > li .hs-uses"), tt.uses)
				}
				if tt.match != "" && d.Find("ul.hs-matches > li[data-code^='"+tt.match+"']").Length() == 0 {
					t.Errorf("no nomenclature match %s", tt.match)
				}
				d.Find("ul.hs-suggestions button.hs-pick").Each(func(_ int, s *goquery.Selection) {
					if s.AttrOr("hx-get", "") != "/hs/describe?code="+s.AttrOr("data-code", "")+"&pick=1" || s.AttrOr("hx-target", "") != "#hs-describe" {
						t.Errorf("pick button %v", s.Nodes[0].Attr)
					}
				})
				for _, m := range []models.Merchant{w.MerchantA, w.MerchantB} {
					if strings.Contains(body, m.Name) || strings.Contains(body, m.USCC) {
						t.Errorf("the results name merchant %s", m.Name)
					}
				}
			})
		}
		rec, d := search(t, "en", "q=cup", false)
		if goodsText(d, "h1") != "Find the HS code" || d.Find("#hs-results ul.hs-suggestions li").Length() != 2 {
			t.Errorf("page without script: %.300s", rec.Body)
		}
		if vary := strings.Join(rec.Header().Values("Vary"), ", "); !strings.Contains(vary, "HX-Request") {
			t.Errorf("Vary %q", vary)
		}
	})
}

func TestGoodsRecognitionQueuePage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		w := a.World
		ctx := context.Background()
		mA := a.actor(testkit.UserMerchantA)
		create := func(in workflow.GoodsInput) models.Goods {
			t.Helper()
			res, err := a.svc.CreateGoods(ctx, mA, in)
			if err != nil {
				t.Fatal(err)
			}
			return res.Goods
		}
		base := workflow.GoodsInput{NameZh: "塑料水杯", NameEn: "Plastic cup", HSCode: "3924100000", LegalUnit: "007", TransactionUnit: "007"}
		in := func(sku string, f func(*workflow.GoodsInput)) workflow.GoodsInput {
			i := base
			i.SKU = sku
			if f != nil {
				f(&i)
			}
			return i
		}
		fresh := create(in("Q-NEW", nil))
		brand := create(in("Q-BRAND", func(i *workflow.GoodsInput) {
			i.Branded, i.Brand, i.HSCode, i.NameZh, i.NameEn = true, "Disney", "9503002100", "毛绒玩具", "Plush toy"
		}))
		cream := create(in("Q-CREAM", func(i *workflow.GoodsInput) { i.HSCode, i.NameZh, i.NameEn = "3304990000", "面霜", "Face cream" }))
		// The list changes after registration: the goods become ineligible.
		if _, err := a.svc.AddHSPrefix(ctx, a.actor(testkit.UserAdmin), workflow.HSPrefixInput{List: models.ListIneligible, Prefix: "392410",
			ReasonEn: "Test restriction", ReasonZh: "测试限制"}); err != nil {
			t.Fatal(err)
		}

		c := a.as(t, testkit.UserSupervisor)
		goodsLang(t, c, "en")
		d := goodsDoc(t, c.get("/goods/review"))
		noRawIDs(t, d)
		noInlineCode(t, d)
		want := map[string]string{itoa(fresh.ID): workflow.WaitNew, itoa(brand.ID): workflow.WaitBrand, itoa(cream.ID): workflow.WaitNew}
		items := d.Find("article.goods-queue-item")
		if items.Length() != len(want) {
			t.Fatalf("%d items, want %d", items.Length(), len(want))
		}
		items.Each(func(_ int, s *goquery.Selection) {
			id := s.AttrOr("data-goods-id", "")
			if s.AttrOr("data-wait", "") != want[id] {
				t.Errorf("goods %s waits for %q, want %q", id, s.AttrOr("data-wait", ""), want[id])
			}
			if !strings.Contains(s.Find(".goods-merchant").Text(), w.MerchantA.Name) || s.Find(".hs-description").Text() == "" {
				t.Errorf("goods %s lacks merchant or description", id)
			}
		})
		item := func(id int64) *goquery.Selection { return d.Find("article[data-goods-id='" + itoa(id) + "']") }
		if got := strings.TrimSpace(item(brand.ID).Find(".goods-why").Text()); !strings.Contains(got, "Brand watch list: Disney (Disney Enterprises, Inc.)") {
			t.Errorf("brand reason %q", got)
		}
		if !strings.Contains(item(fresh.ID).Find(".goods-ineligible").Text(), "Test restriction") || item(fresh.ID).Find("form.recognise-form").Length() != 0 {
			t.Error("ineligible goods show no note or can be recognised from the queue")
		}
		if !strings.Contains(item(cream.ID).Find(".goods-not-simplifiable").Text(), "item by item") {
			t.Error("no not-simplifiable note")
		}

		// Recognise from the queue: back to the queue, one fewer.
		form := url.Values{"version": {"1"}, "from": {"queue"}}
		rec := c.post("/goods/"+itoa(cream.ID)+"/recognise", form)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/goods/review" {
			t.Fatalf("recognise: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		d = goodsDoc(t, c.get("/goods/review"))
		if d.Find("article.goods-queue-item").Length() != 2 || !strings.Contains(goodsText(d, "p.flash"), "recognised") {
			t.Errorf("after recognising: %d items, flash %q", d.Find("article.goods-queue-item").Length(), goodsText(d, "p.flash"))
		}
		g := a.stored(t, cream.ID)
		if g.Status != models.GoodsRecognised || g.ReviewedBy == nil || *g.ReviewedBy != w.Users[testkit.UserSupervisor].ID {
			t.Errorf("recognised goods %+v", g)
		}

		// A rejection without a reason comes back on the goods page, tied to its field.
		rec = c.post("/goods/"+itoa(brand.ID)+"/reject", url.Values{"version": {"1"}, "reason": {"  "}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("reject without reason: %d", rec.Code)
		}
		d = goodsDoc(t, rec)
		if msg := goodsText(d, "#f-reason-reject-error"); !strings.Contains(msg, "Give the reason") ||
			d.Find("#f-reason-reject").AttrOr("aria-invalid", "") != "true" || d.Find("#f-reason-hold-error").Length() != 0 {
			t.Errorf("reason error %q", msg)
		}
		// A stale version is a conflict.
		rec = c.post("/goods/"+itoa(brand.ID)+"/recognise", url.Values{"version": {"7"}})
		if rec.Code != http.StatusConflict || !strings.Contains(goodsText(goodsDoc(t, rec), ".form-error"), "changed by someone else") {
			t.Errorf("stale decision: %d", rec.Code)
		}
		// The officer's hold, with a reason, is what the merchant sees.
		rec = c.post("/goods/"+itoa(brand.ID)+"/recognise", url.Values{"version": {"1"}, "reason": {"授权书已核"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("recognise held: %d", rec.Code)
		}
		m := a.as(t, testkit.UserMerchantA)
		goodsLang(t, m, "zh-CN")
		d = goodsDoc(t, m.get("/goods/"+itoa(brand.ID)))
		if d.Find(".goods-decide").Length() != 0 || d.Find("a.goods-edit").Length() != 1 {
			t.Error("the merchant sees decision forms or no edit link")
		}
		if rows := d.Find("table.goods-history tbody tr"); rows.Length() != 2 || !strings.Contains(rows.First().Text(), "授权书已核") ||
			!strings.Contains(rows.Last().Text(), "品牌核查") {
			t.Errorf("history %q", d.Find("table.goods-history").Text())
		}
	})
}

func TestGoodsAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newGoodsApp(t, db)
		api := a.api(t, testkit.UserMerchantA)
		body := `{"sku": "API-1", "name_zh": "塑料水杯", "name_en": "Plastic cup", "hs_code": "3924100000", "legal_unit": "007", "transaction_unit": "007"}`
		post := func(key, body string) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/goods", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if key != "" {
				req.Header.Set("Idempotency-Key", key)
			}
			return api.do(req)
		}
		var first struct {
			ID      int64  `json:"id"`
			Status  string `json:"status"`
			Version int64  `json:"version"`
		}
		rec := post("k-1", body)
		if rec.Code != http.StatusCreated || !strings.HasPrefix(rec.Header().Get("Location"), "/api/v1/goods/") {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &first); err != nil || first.Status != models.GoodsPending || first.Version != 1 {
			t.Fatalf("created %s", rec.Body)
		}
		tests := []struct {
			name, key, body string
			status          int
			code            string
		}{
			{"OKRetrySameKeyAndBody", "k-1", body, http.StatusOK, ""},
			{"ErrSameKeyOtherBody", "k-1", strings.Replace(body, "Plastic cup", "Plastic mug", 1), http.StatusConflict, "conflict"},
			{"ErrOtherKeySameSKU", "k-2", body, http.StatusConflict, "conflict"},
			{"ErrDuplicateWithoutKey", "", body, http.StatusUnprocessableEntity, "invalid"},
			{"ErrIneligible", "k-3", strings.Replace(strings.Replace(body, "3924100000", "9302000000", 1), "API-1", "API-2", 1), http.StatusUnprocessableEntity, "invalid"},
			{"ErrNotJSON", "k-4", "{", http.StatusUnprocessableEntity, "invalid"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rec := post(tt.key, tt.body)
				if rec.Code != tt.status {
					t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
				}
				if tt.code == "" {
					var again struct{ ID, Version int64 }
					if err := json.Unmarshal(rec.Body.Bytes(), &again); err != nil || again.ID != first.ID || again.Version != first.Version ||
						rec.Header().Get("Idempotent-Replayed") != "true" {
						t.Errorf("replay %s (%v)", rec.Body, rec.Header())
					}
					return
				}
				var e struct {
					Error struct {
						Code   string `json:"code"`
						Fields []struct{ Field string }
					} `json:"error"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != tt.code {
					t.Errorf("error body %s", rec.Body)
				}
				if tt.name == "ErrIneligible" && (len(e.Error.Fields) == 0 || e.Error.Fields[0].Field != "hs_code") {
					t.Errorf("ineligible error names %v", e.Error.Fields)
				}
			})
		}
		var n int64
		db.Model(&models.Goods{}).Where("merchant_id = ?", a.World.MerchantA.ID).Count(&n)
		if n != 1 {
			t.Errorf("%d goods after the retries, want 1", n)
		}

		var list struct {
			Items []struct {
				ID           int64  `json:"id"`
				SKU          string `json:"sku"`
				MerchantName string `json:"merchant_name"`
			} `json:"items"`
			Total int64 `json:"total"`
		}
		rec = a.api(t, testkit.UserSupervisor).get("/api/v1/goods?status=pending")
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || list.Total != 1 || list.Items[0].SKU != "API-1" || list.Items[0].MerchantName != a.World.MerchantA.Name {
			t.Errorf("list %s", rec.Body)
		}
		var one struct {
			HSDescription string `json:"hs_description"`
			Waiting       string `json:"waiting"`
			History       []any  `json:"history"`
		}
		rec = api.get("/api/v1/goods/" + itoa(first.ID))
		if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil || !strings.Contains(one.HSDescription, "tableware") || one.Waiting != "New goods" || one.History == nil {
			t.Errorf("one %s", rec.Body)
		}
		var hs struct {
			Matches []struct {
				Code    string `json:"code"`
				Chapter struct {
					Code string `json:"code"`
				} `json:"chapter"`
			} `json:"matches"`
			Suggestions []any `json:"suggestions"`
		}
		rec = api.get("/api/v1/hs/search?q=" + url.QueryEscape("plastics tableware"))
		if err := json.Unmarshal(rec.Body.Bytes(), &hs); err != nil || len(hs.Matches) == 0 || hs.Matches[0].Code != "392410" ||
			hs.Matches[0].Chapter.Code != "39" || hs.Suggestions == nil {
			t.Errorf("hs search %s", rec.Body)
		}
	})
}

func TestGoodsListPage(t *testing.T) {
	a := newGoodsApp(t, dbtest.SQLite(t))
	w := a.World
	for i := range 55 {
		a.goods(t, w.MerchantA.ID, "L-"+itoa(int64(100+i)), "发夹", "Hair clip", "9615110000", models.GoodsRecognised)
	}
	a.goods(t, w.MerchantA.ID, "TOY-1", "毛绒玩具", "Plush toy", "9503002100", models.GoodsPending)
	a.goods(t, w.MerchantB.ID, "B-1", "积木", "Blocks", "9503008100", models.GoodsPending)
	c := a.as(t, testkit.UserMerchantA)
	goodsLang(t, c, "zh-CN")
	d := goodsDoc(t, c.get("/goods"))
	noRawIDs(t, d)
	noInlineCode(t, d)
	if d.Find("table.goods tbody tr").Length() != 50 || goodsText(d, ".goods-total") != "56" || d.Find("a.goods-new").Length() != 1 {
		t.Errorf("first page: %d rows, total %s", d.Find("table.goods tbody tr").Length(), goodsText(d, ".goods-total"))
	}
	if next := d.Find("nav.pager a[rel=next]").AttrOr("href", ""); next != "/goods?page=2" {
		t.Errorf("next %q", next)
	}
	if d.Find("table.goods th").Length() != 5 {
		t.Error("a merchant's list shows a merchant column")
	}
	d = goodsDoc(t, c.get("/goods?chapter=95&status=pending"))
	if rows := d.Find("table.goods tbody tr"); rows.Length() != 1 || !strings.Contains(rows.Text(), "TOY-1") ||
		!strings.Contains(rows.Find(".goods-status").Text(), "待认定") {
		t.Errorf("filtered: %q", rows.Text())
	}
	if rec := c.get("/goods?chapter=77"); rec.Code != http.StatusUnprocessableEntity || goodsText(goodsDoc(t, rec), "#f-chapter-error") == "" {
		t.Errorf("bad chapter: %d", rec.Code)
	}
	s := a.as(t, testkit.UserSupervisor)
	d = goodsDoc(t, s.get("/goods?q=toy"))
	if d.Find("table.goods th").Length() != 6 || !strings.Contains(d.Find("table.goods").Text(), w.MerchantA.Name) || d.Find("a.goods-queue-link").Length() != 1 {
		t.Errorf("officer's list: %q", d.Find("table.goods").Text())
	}
}
