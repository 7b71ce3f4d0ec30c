package handlers_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// adminRouteTable is every admin route with the permission it must be registered with. The
// access matrix walks it; TestAdminAccessMatrix fails when an /admin route is missing here.
var adminRouteTable = []struct {
	method, path string
	action       workflow.Action
}{
	{"GET", "/admin/users", workflow.ActUserManage},
	{"GET", "/admin/users/new", workflow.ActUserManage},
	{"POST", "/admin/users", workflow.ActUserManage},
	{"GET", "/admin/users/:id", workflow.ActUserManage},
	{"POST", "/admin/users/:id/disable", workflow.ActUserManage},
	{"POST", "/admin/users/:id/enable", workflow.ActUserManage},
	{"POST", "/admin/users/:id/password", workflow.ActUserManage},
	{"POST", "/admin/users/:id/role", workflow.ActUserManage},
	{"GET", "/admin/settings", workflow.ActSettingsView},
	{"POST", "/admin/settings", workflow.ActSettingsManage},
	{"GET", "/admin/rates", workflow.ActSettingsView},
	{"POST", "/admin/rates", workflow.ActSettingsManage},
	{"POST", "/admin/rates/upload", workflow.ActSettingsManage},
	{"GET", "/admin/rates/template.csv", workflow.ActSettingsView},
	{"GET", "/admin/tax-days", workflow.ActSettingsView},
	{"POST", "/admin/tax-days", workflow.ActSettingsManage},
	{"POST", "/admin/tax-days/:month/delete", workflow.ActSettingsManage},
	{"GET", "/admin/hs-prefixes", workflow.ActSettingsView},
	{"POST", "/admin/hs-prefixes", workflow.ActSettingsManage},
	{"POST", "/admin/hs-prefixes/:id/delete", workflow.ActSettingsManage},
	{"GET", "/admin/brands", workflow.ActSettingsView},
	{"POST", "/admin/brands", workflow.ActSettingsManage},
	{"POST", "/admin/brands/:id/delete", workflow.ActSettingsManage},
}

// adminAllowed says which seeded roles each admin action lets in; everyone else gets 403.
var adminAllowed = map[workflow.Action][]string{
	workflow.ActUserManage:     {models.RoleAdmin},
	workflow.ActSettingsView:   {models.RoleAdmin, models.RoleAuditor},
	workflow.ActSettingsManage: {models.RoleAdmin},
}

var adminUsernames = []string{testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending, testkit.UserAgentX,
	testkit.UserAgentY, testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor, testkit.UserAuditor, testkit.UserAdmin}

func adminDoc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestAdminAccessMatrix: every seeded user and nobody against every admin route. Admins may do
// everything, auditors read the settings pages (not users), every other role gets 403, and
// nobody is sent to the login page (GET) or refused with 401 (POST).
func TestAdminAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSeededApp(t, db)
		known := map[string]bool{}
		for _, r := range adminRouteTable {
			known[r.method+" "+r.path] = true
			if act, ok := a.Permission(r.method, r.path); !ok || act != r.action {
				t.Errorf("%s %s is registered with %q, want %q", r.method, r.path, act, r.action)
			}
		}
		for _, r := range a.Routes() {
			if strings.Contains(r, " /admin") && !known[r] {
				t.Errorf("%s is not in the admin access matrix", r)
			}
		}
		var prefix models.HSPrefix
		var brand models.BrandWatch
		if err := db.Where("prefix = ?", "2601").Take(&prefix).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Where("brand_key = ?", "apple").Take(&brand).Error; err != nil {
			t.Fatal(err)
		}
		concrete := func(path string) string {
			if strings.HasPrefix(path, "/admin/users/") {
				path = strings.Replace(path, ":id", strconv.FormatInt(a.World.Users[testkit.UserMerchantB].ID, 10), 1)
			}
			path = strings.Replace(path, "/admin/hs-prefixes/:id", "/admin/hs-prefixes/"+strconv.FormatInt(prefix.ID, 10), 1)
			path = strings.Replace(path, "/admin/brands/:id", "/admin/brands/"+strconv.FormatInt(brand.ID, 10), 1)
			return strings.Replace(path, ":month", "2026-12", 1)
		}
		clients := map[string]*client{"": a.anon(t)}
		for _, u := range adminUsernames {
			clients[u] = a.as(t, u)
		}
		for _, username := range append([]string{""}, adminUsernames...) {
			c := clients[username]
			role := ""
			if username != "" {
				role = a.World.Users[username].Role
			}
			for _, r := range adminRouteTable {
				path := concrete(r.path)
				var rec *httptest.ResponseRecorder
				if r.method == http.MethodGet {
					rec = c.get(path)
				} else {
					rec = c.post(path, url.Values{})
				}
				loc := rec.Header().Get("Location")
				name := "nobody"
				if username != "" {
					name = username
				}
				switch {
				case username == "" && r.method == http.MethodGet:
					if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
						t.Errorf("%s %s %s: %d %s, want 303 to /login", name, r.method, path, rec.Code, loc)
					}
				case username == "":
					if rec.Code != http.StatusUnauthorized {
						t.Errorf("%s %s %s: %d, want 401", name, r.method, path, rec.Code)
					}
				case contains(adminAllowed[r.action], role):
					if rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized || strings.HasPrefix(loc, "/login") || rec.Code >= 500 {
						t.Errorf("%s %s %s: %d %s, want it allowed", name, r.method, path, rec.Code, loc)
					}
				default:
					if rec.Code != http.StatusForbidden {
						t.Errorf("%s %s %s: %d, want 403", name, r.method, path, rec.Code)
					}
				}
			}
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// setLang makes a client's pages come in a language.
func setLang(c *client, lang string) {
	c.cookies["mpt_lang"] = &http.Cookie{Name: "mpt_lang", Value: lang}
}

var rawMessageID = regexp.MustCompile(`\b(admin|nav|role)\.[a-z_]+`)

// TestAdminPagesInBothLanguages renders every admin page for the admin and the auditor in zh-CN
// and en: each answers 200 in its language with no untranslated message id, and the auditor
// sees no form that changes anything.
func TestAdminPagesInBothLanguages(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	pages := []struct{ path, h1en, h1zh string }{
		{"/admin/users", "Users", "用户"},
		{"/admin/users/new", "New user", "新建用户"},
		{"/admin/users/" + strconv.FormatInt(a.World.Users[testkit.UserMerchantA].ID, 10), "merchant-a", "merchant-a"},
		{"/admin/settings", "Settings", "参数设置"},
		{"/admin/rates?month=2026-11", "Customs monthly exchange rates 2026-11", "海关月度汇率 2026-11"},
		{"/admin/tax-days", "VAT exemption filing due days", "免税申报截止日"},
		{"/admin/hs-prefixes?list=not_simplifiable", "HS prefix lists", "HS 编码清单"},
		{"/admin/brands", "Brand watch list", "品牌监控名单"},
	}
	for _, username := range []string{testkit.UserAdmin, testkit.UserAuditor} {
		c := a.as(t, username)
		for _, lang := range []string{"en", "zh-CN"} {
			setLang(c, lang)
			for _, pg := range pages {
				t.Run(username+"/"+lang+pg.path, func(t *testing.T) {
					rec := c.get(pg.path)
					if username == testkit.UserAuditor && strings.HasPrefix(pg.path, "/admin/users") {
						if rec.Code != http.StatusForbidden {
							t.Errorf("auditor on %s: %d, want 403", pg.path, rec.Code)
						}
						return
					}
					if rec.Code != http.StatusOK {
						t.Fatalf("status %d", rec.Code)
					}
					d := adminDoc(t, rec)
					if got, _ := d.Find("html").Attr("lang"); got != lang {
						t.Errorf("html lang %q", got)
					}
					h1 := strings.Join(strings.Fields(d.Find("h1").First().Text()), " ")
					want := pg.h1en
					if lang == "zh-CN" {
						want = pg.h1zh
					}
					if !strings.HasPrefix(h1, want) {
						t.Errorf("h1 %q, want it to start with %q", h1, want)
					}
					if m := rawMessageID.FindString(d.Find("body").Text()); m != "" {
						t.Errorf("untranslated message id %q on the page", m)
					}
					if d.Find(`meta[name=viewport]`).Length() == 0 || d.Find("table").Length() != d.Find(".table-wrap > table").Length() {
						t.Error("a table is not wrapped for small screens")
					}
					if username == testkit.UserAuditor {
						if n := d.Find(`main form[method=post]`).Length(); n != 0 {
							t.Errorf("the auditor sees %d forms that change things", n)
						}
						if d.Find(".read-only").Length() != 1 {
							t.Error("no read-only notice for the auditor")
						}
					}
				})
			}
		}
	}
}

func TestAdminCreateUser(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserAdmin)
	valid := func(mod func(v url.Values)) url.Values {
		v := url.Values{"username": {"new-customs"}, "display_name": {"张关员"}, "role": {models.RoleCustoms},
			"password": {"first-pass-2026"}, "on_duty": {"true"}}
		if mod != nil {
			mod(v)
		}
		return v
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
		field  string // the field whose error shows, for 422
	}{
		{"ErrMerchantRoleWithoutMerchant", valid(func(v url.Values) { v.Set("role", models.RoleMerchant) }), http.StatusUnprocessableEntity, "merchant_id"},
		{"ErrAgentOnOfficer", valid(func(v url.Values) { v.Set("agent_id", strconv.FormatInt(a.World.AgentX.ID, 10)) }), http.StatusUnprocessableEntity, "agent_id"},
		{"ErrUsernameTaken", valid(func(v url.Values) { v.Set("username", "Auditor") }), http.StatusUnprocessableEntity, "username"},
		{"ErrNoPassword", valid(func(v url.Values) { v.Del("password") }), http.StatusUnprocessableEntity, "password"},
		{"ErrMerchantIDNotANumber", valid(func(v url.Values) { v.Set("merchant_id", "abc") }), http.StatusUnprocessableEntity, "_"},
		// Fields a form must never set: id, version, hash, state and timestamps are ignored.
		{"OKInputCannotSetIDVersionOrHash", valid(func(v url.Values) {
			v.Set("id", "999")
			v.Set("version", "42")
			v.Set("password_hash", "$2a$04$forgedforgedforgedforgedforgedforgedforgedforgedforged")
			v.Set("disabled", "true")
			v.Set("created_at", "2001-01-01T00:00:00Z")
		}), http.StatusSeeOther, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := c.post("/admin/users", tt.form)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status != http.StatusSeeOther {
				d := adminDoc(t, rec)
				if tt.field == "_" {
					if d.Find(".form-error").Length() == 0 {
						t.Error("no form error shown")
					}
				} else if d.Find("#f-"+tt.field+"-error").Length() != 1 {
					t.Errorf("no error under %s", tt.field)
				}
				if v, _ := d.Find("#f-display_name").Attr("value"); v != "张关员" {
					t.Errorf("display name not kept: %q", v)
				}
				if v, _ := d.Find("#f-password").Attr("value"); v != "" {
					t.Error("the password was sent back")
				}
				return
			}
			var u models.User
			if err := a.DB.Where("username = ?", "new-customs").Take(&u).Error; err != nil {
				t.Fatal(err)
			}
			if u.ID == 999 || u.Version != 1 || u.Disabled || u.CreatedAt.Year() == 2001 || !u.OnDuty || u.Role != models.RoleCustoms {
				t.Errorf("stored %+v", u)
			}
			if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("first-pass-2026")) != nil {
				t.Error("the stored hash is not of the given password")
			}
			if loc := rec.Header().Get("Location"); loc != "/admin/users/"+strconv.FormatInt(u.ID, 10) {
				t.Errorf("redirect to %s", loc)
			}
			login := a.anon(t).post("/login", url.Values{"username": {"new-customs"}, "password": {"first-pass-2026"}})
			if login.Code != http.StatusSeeOther {
				t.Errorf("the new user cannot log in: %d", login.Code)
			}
		})
	}
}

func TestAdminDisableUser(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	admin := a.as(t, testkit.UserAdmin)
	victim := a.as(t, testkit.UserMerchantA)
	id := func(name string) string { return strconv.FormatInt(a.World.Users[name].ID, 10) }
	tests := []struct {
		name, user, version string
		status              int
	}{
		{"ErrSelf", testkit.UserAdmin, "1", http.StatusUnprocessableEntity},
		{"ErrNoVersion", testkit.UserMerchantA, "", http.StatusUnprocessableEntity},
		{"ErrStaleVersion", testkit.UserMerchantA, "9", http.StatusConflict},
		{"OK", testkit.UserMerchantA, "1", http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := admin.post("/admin/users/"+id(tt.user)+"/disable", url.Values{"version": {tt.version}})
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status != http.StatusSeeOther {
				if adminDoc(t, rec).Find(".form-error").Length() == 0 {
					t.Error("no error message shown")
				}
				return
			}
			d := adminDoc(t, admin.get(rec.Header().Get("Location")))
			if d.Find(".flash").Length() != 1 || d.Find("form.user-enable").Length() != 1 || strings.TrimSpace(d.Find("dd.sessions").Text()) != "0" {
				t.Error("the user page does not show the disabled user")
			}
		})
	}
	if rec := victim.get("/dashboard"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Errorf("the disabled user's session still works: %d", rec.Code)
	}
	rec := a.anon(t).post("/login", url.Values{"username": {testkit.UserMerchantA}, "password": {testkit.Password}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a disabled user logged in: %d", rec.Code)
	}
}

func TestAdminSettingsPage(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	admin := a.as(t, testkit.UserAdmin)
	form := url.Values{"cap_usd": {"140000.00"}, "item_limit": {"50"}, "customs_office": {"2933"}, "tax_due_day": {"15"},
		"spot_check_min_permille": {"60"}, "fx_unallocated_days": {"30"}}
	bad := url.Values{"cap_usd": {"0"}, "item_limit": {"1000"}, "customs_office": {"2933"}, "tax_due_day": {"15"},
		"spot_check_min_permille": {"2000"}, "fx_unallocated_days": {"30"}}
	rec := admin.post("/admin/settings", bad)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid settings: %d", rec.Code)
	}
	d := adminDoc(t, rec)
	if d.Find("#f-cap_usd-error").Length() != 1 || d.Find("#f-item_limit-error").Length() != 1 || d.Find("#f-spot_check_min_permille-error").Length() != 1 {
		t.Error("field errors not shown")
	}
	if v, _ := d.Find("#f-item_limit").Attr("value"); v != "1000" {
		t.Errorf("typed value not kept: %q", v)
	}
	if rec := admin.post("/admin/settings", form); rec.Code != http.StatusSeeOther {
		t.Fatalf("save: %d", rec.Code)
	}
	auditor := a.as(t, testkit.UserAuditor)
	setLang(auditor, "zh-CN")
	d = adminDoc(t, auditor.get("/admin/settings"))
	if got := d.Find(`tr[data-key="declaration.cap_usd"] .value strong`).Text(); got != "140000.00" {
		t.Errorf("cap shown as %q", got)
	}
	found := false
	d.Find(`table.history tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		row := tr.Text()
		found = found || strings.Contains(row, "单票报关单货值上限") && strings.Contains(row, "150000.00") &&
			strings.Contains(row, "140000.00") && strings.Contains(row, testkit.UserAdmin)
	})
	if !found {
		t.Errorf("no history row shows the cap change: %q", d.Find(`table.history tbody`).Text())
	}
	if rec := auditor.post("/admin/settings", form); rec.Code != http.StatusForbidden {
		t.Errorf("auditor saves settings: %d", rec.Code)
	}
}

// adminUpload posts a file as the upload form does, with its CSRF token.
func adminUpload(c *client, path string, fields map[string]string, filename string, content []byte) *httptest.ResponseRecorder {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("_csrf", c.csrf())
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("file", filename)
		_, _ = fw.Write(content)
	}
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

func TestAdminRatesUpload(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	admin := a.as(t, testkit.UserAdmin)
	tests := []struct {
		name     string
		filename string
		content  string
		status   int
		problems int
	}{
		{"ErrNoFile", "", "", http.StatusUnprocessableEntity, 1},
		{"ErrBadRowsImportNothing", "rates.csv", "month,currency,cny_per_unit\n2026-11,USD,7.1\n2026-11,EUR,x\n2026-11,CNY,1\n2026-13,GBP,9\n",
			http.StatusUnprocessableEntity, 3},
		{"OKChineseHeaderWithBOM", "汇率.csv", "\uFEFF月份,币制,汇率\n2026-11,USD,7.1045\n2026-11,EUR,7.85\n", http.StatusSeeOther, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := adminUpload(admin, "/admin/rates/upload", map[string]string{"month": "2026-11"}, tt.filename, []byte(tt.content))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == http.StatusSeeOther {
				if loc := rec.Header().Get("Location"); loc != "/admin/rates?month=2026-11" {
					t.Errorf("redirect to %s", loc)
				}
				return
			}
			d := adminDoc(t, rec)
			if n := d.Find(".upload-errors li").Length(); n != tt.problems {
				t.Errorf("%d problems listed, want %d", n, tt.problems)
			}
			var n int64
			a.DB.Model(&models.ExchangeRate{}).Count(&n)
			if n != 0 {
				t.Errorf("%d rates stored from a refused upload", n)
			}
		})
	}
	d := adminDoc(t, admin.get("/admin/rates?month=2026-11"))
	if got := d.Find(`tr[data-currency="USD"] .rate`).Text(); got != "7.104500" {
		t.Errorf("USD shown as %q", got)
	}
	if href, _ := d.Find("a.prev-month").Attr("href"); href != "/admin/rates?month=2026-10" {
		t.Errorf("previous month link %q", href)
	}
	if href, _ := d.Find("a.next-month").Attr("href"); href != "/admin/rates?month=2026-12" {
		t.Errorf("next month link %q", href)
	}
	rec := a.as(t, testkit.UserAuditor).get("/admin/rates/template.csv?month=2026-11")
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("template: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if want := "\uFEFFmonth,currency,cny_per_unit\n2026-11,EUR,7.850000\n2026-11,USD,7.104500\n"; rec.Body.String() != want {
		t.Errorf("template %q, want %q", rec.Body.String(), want)
	}
	// The template uploads back unchanged.
	if rec := adminUpload(admin, "/admin/rates/upload", nil, "t.csv", rec.Body.Bytes()); rec.Code != http.StatusSeeOther {
		t.Errorf("re-upload of the template: %d", rec.Code)
	}
	rec = admin.post("/admin/rates", url.Values{"month": {"2026-11"}, "currency": {"CNY"}, "cny_per_unit": {"1"}})
	if rec.Code != http.StatusUnprocessableEntity || adminDoc(t, rec).Find("#f-currency-error").Length() != 1 {
		t.Errorf("CNY rate: %d", rec.Code)
	}
	if rec := admin.get("/admin/rates?month=Nov-26"); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad month: %d", rec.Code)
	}
}

func TestAdminListsForms(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	admin := a.as(t, testkit.UserAdmin)
	tests := []struct {
		name, path string
		form       url.Values
		status     int
		field      string
		location   string
	}{
		{"OKTaxDay", "/admin/tax-days", url.Values{"month": {"2027-02"}, "day": {"24"}}, http.StatusSeeOther, "", "/admin/tax-days"},
		{"ErrTaxDayNotInMonth", "/admin/tax-days", url.Values{"month": {"2027-02"}, "day": {"30"}}, http.StatusUnprocessableEntity, "day", ""},
		{"OKHSPrefix", "/admin/hs-prefixes", url.Values{"list": {"not_simplifiable"}, "prefix": {"0901"}, "reason_en": {"Coffee: inspection"}, "reason_zh": {"咖啡：法检"}},
			http.StatusSeeOther, "", "/admin/hs-prefixes?list=not_simplifiable"},
		{"ErrHSPrefixDuplicate", "/admin/hs-prefixes", url.Values{"list": {"ineligible"}, "prefix": {"93"}, "reason_en": {"x"}, "reason_zh": {"x"}},
			http.StatusUnprocessableEntity, "prefix", ""},
		{"ErrHSPrefixNoChineseReason", "/admin/hs-prefixes", url.Values{"list": {"ineligible"}, "prefix": {"9301"}, "reason_en": {"x"}},
			http.StatusUnprocessableEntity, "reason_zh", ""},
		{"OKBrand", "/admin/brands", url.Values{"brand": {"Peppa Pig"}, "holder": {"Hasbro"}}, http.StatusSeeOther, "", "/admin/brands"},
		{"ErrBrandDuplicate", "/admin/brands", url.Values{"brand": {"hello kitty"}}, http.StatusUnprocessableEntity, "brand", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := admin.post(tt.path, tt.form)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status == http.StatusSeeOther {
				if loc := rec.Header().Get("Location"); loc != tt.location {
					t.Errorf("redirect to %s", loc)
				}
				return
			}
			if adminDoc(t, rec).Find("#f-"+tt.field+"-error").Length() != 1 {
				t.Errorf("no error under %s", tt.field)
			}
		})
	}
	d := adminDoc(t, admin.get("/admin/hs-prefixes?list=not_simplifiable"))
	if desc := d.Find(`tr[data-prefix="0901"] td`).First().Text(); !strings.Contains(strings.ToLower(desc), "coffee") {
		t.Errorf("HS description %q", desc)
	}
	if rec := admin.post("/admin/tax-days/2027-02/delete", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("delete tax day: %d", rec.Code)
	}
	if rec := admin.post("/admin/tax-days/2027-02/delete", nil); rec.Code != http.StatusNotFound {
		t.Errorf("delete a missing tax day: %d", rec.Code)
	}
	if rec := admin.get("/admin/hs-prefixes?list=other"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown list: %d", rec.Code)
	}
}
