package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
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

// registryApp is the real server over a seeded world, with the service behind it (to make API
// tokens and check what was written).
type registryApp struct {
	*app
	Svc *workflow.Service
}

func newRegistryApp(t *testing.T, db *gorm.DB) *registryApp {
	t.Helper()
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := workflow.NewService(db, ref, func() time.Time { return testkit.Now }, log)
	svc.Policy.BcryptCost = bcrypt.MinCost
	s, err := handlers.New(handlers.Deps{Service: svc, Log: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	w := testkit.Seed(t, db)
	return &registryApp{app: &app{Server: s, World: w, DB: db}, Svc: svc}
}

// api is an API client with a bearer token of a seeded user.
func (a *registryApp) api(t *testing.T, username string) *client {
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

func htmlOf(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// usccFor completes 17 characters with their check character (wrong=true: a wrong one).
func usccFor(t *testing.T, first17 string, wrong bool) string {
	t.Helper()
	c, ok := workflow.USCCCheckChar(first17)
	if !ok {
		t.Fatalf("bad prefix %q", first17)
	}
	if wrong {
		if c == '0' {
			c = '1'
		} else {
			c = '0'
		}
	}
	return first17 + string(c)
}

func registrationForm(t *testing.T) url.Values {
	return url.Values{
		"name": {"义乌市稠城戊箱包商行"}, "name_en": {"Wu Bags"}, "uscc": {usccFor(t, "92330782MA2K8R4T1", false)},
		"district": {"3"}, "gate": {"9"}, "floor": {"1"}, "street": {"5"}, "booth": {"31002"},
		"stall_raw": {"国际商贸城三区 9号门 1楼 5街 31002"}, "legal_rep": {"戊大伟"}, "phone": {"13912345678"},
		"bank_name": {"义乌农商银行"}, "bank_account": {"6228480099998888"},
		"username": {"wu-bags"}, "display_name": {"戊大伟"}, "password": {"bags-2026!"}, "password_confirm": {"bags-2026!"},
	}
}

func flashOf(t *testing.T, c *client) string {
	t.Helper()
	return strings.TrimSpace(htmlOf(t, c.get("/login")).Find(".flash").Text())
}

func TestRegisterPageInBothLanguages(t *testing.T) {
	a := newRegistryApp(t, dbtest.SQLite(t))
	for _, tt := range []struct{ lang, h1, district string }{
		{"en", "Register your business", "District 1"},
		{"zh-CN", "经营户备案登记", "一区"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			c := a.anon(t)
			c.lang = tt.lang
			rec := c.get("/register")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			d := htmlOf(t, rec)
			if got := strings.TrimSpace(d.Find("h1").Text()); got != tt.h1 {
				t.Errorf("h1 = %q", got)
			}
			if got := strings.TrimSpace(d.Find("#f-district option[value='1']").Text()); got != tt.district {
				t.Errorf("district 1 = %q", got)
			}
			for _, name := range []string{"name", "name_en", "uscc", "district", "gate", "floor", "street", "booth", "stall_raw",
				"legal_rep", "phone", "bank_name", "bank_account", "username", "display_name", "password", "password_confirm"} {
				if d.Find("form[action='/register'] [name='"+name+"']").Length() != 1 {
					t.Errorf("no field %q", name)
				}
			}
			if d.Find("#uscc-verdict[aria-live='polite']").Length() != 1 {
				t.Error("no live USCC verdict")
			}
			src, _ := d.Find("script[src*='uscc-check']").Attr("src")
			if src == "" || strings.Contains(src, "missing") || c.get(src).Code != http.StatusOK {
				t.Errorf("uscc-check.js not served: %q", src)
			}
			if d.Find("script:not([src])").Length() > 0 {
				t.Error("inline script on the page")
			}
		})
	}
}

func TestCheckUSCC(t *testing.T) {
	a := newRegistryApp(t, dbtest.SQLite(t))
	good := usccFor(t, "92330782MA2K8R4T1", false)
	tests := []struct {
		name, value, lang string
		ok, review        bool
		message           string
	}{
		{"OK", good, "en", true, false, "well formed"},
		{"OKChinese", strings.ToLower(good), "zh-CN", true, false, "格式正确"},
		{"NeedsReview", usccFor(t, "92330782MA2K8R4T1", true), "en", false, true, "manual review"},
		{"NeedsReviewChinese", usccFor(t, "92330782MA2K8R4T1", true), "zh-CN", false, true, "人工复核"},
		{"ErrTooShort", "9233078", "en", false, false, "it must have 18"},
		{"ErrLetterO", "92330782MA2K8R4TO" + "1", "en", false, false, "Did you mean the digit"},
		{"ErrEmpty", "", "zh-CN", false, false, "请填写"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := a.anon(t)
			c.lang = tt.lang
			rec := c.get("/register/check-uscc?value=" + url.QueryEscape(tt.value))
			if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
				t.Fatalf("status %d type %s", rec.Code, rec.Header().Get("Content-Type"))
			}
			var v struct {
				OK          bool   `json:"ok"`
				NeedsReview bool   `json:"needs_review"`
				Value       string `json:"value"`
				Message     string `json:"message"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			if v.OK != tt.ok || v.NeedsReview != tt.review || !strings.Contains(v.Message, tt.message) {
				t.Errorf("verdict = %+v", v)
			}
			if tt.ok && v.Value != good {
				t.Errorf("value %q, want the normalised %q", v.Value, good)
			}
		})
	}
}

func TestRegisterMerchantThroughTheForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRegistryApp(t, db)
		tests := []struct {
			name   string
			edit   func(f url.Values)
			status int
			field  string // the field marked invalid
			text   string // its message
		}{
			{"ErrDuplicateUSCC", func(f url.Values) { f.Set("uscc", a.World.MerchantA.USCC) }, 422, "uscc", "already registered"},
			{"ErrDuplicateUsername", func(f url.Values) { f.Set("username", testkit.UserMerchantB) }, 422, "username", "taken"},
			{"ErrInvalidUSCC", func(f url.Values) { f.Set("uscc", "92330782MA2K8R4TS1") }, 422, "uscc", "never used"},
			{"ErrBadPassword", func(f url.Values) { f.Set("password", "1234"); f.Set("password_confirm", "1234") }, 422, "password", "at least 8"},
			{"ErrPasswordsDiffer", func(f url.Values) { f.Set("password_confirm", "other-pass-1") }, 422, "password_confirm", "differ"},
			{"ErrMissingBooth", func(f url.Values) { f.Del("booth") }, 422, "booth", "booth"},
			{"ErrMissingDistrict", func(f url.Values) { f.Set("district", "") }, 422, "district", "district"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := a.anon(t)
				f := registrationForm(t)
				tt.edit(f)
				var before int64
				db.Model(&models.Merchant{}).Count(&before)
				rec := c.post("/register", f)
				if rec.Code != tt.status {
					t.Fatalf("status %d, want %d", rec.Code, tt.status)
				}
				d := htmlOf(t, rec)
				in := d.Find("#f-" + tt.field)
				if v, _ := in.Attr("aria-invalid"); v != "true" {
					t.Errorf("#f-%s not aria-invalid", tt.field)
				}
				if msg := d.Find("#f-" + tt.field + "-error").Text(); !strings.Contains(msg, tt.text) {
					t.Errorf("error next to %s = %q, want %q", tt.field, msg, tt.text)
				}
				if v, _ := d.Find("#f-name").Attr("value"); v != f.Get("name") {
					t.Errorf("name not kept: %q", v)
				}
				if v, _ := d.Find("#f-password").Attr("value"); v != "" {
					t.Error("the password was sent back")
				}
				if sel := d.Find("#f-district option[selected]"); f.Get("district") != "" && sel.AttrOr("value", "") != f.Get("district") {
					t.Errorf("district not kept: %q", sel.AttrOr("value", ""))
				}
				var after int64
				db.Model(&models.Merchant{}).Count(&after)
				if after != before {
					t.Error("a refused registration created a merchant")
				}
			})
		}

		t.Run("OKInputCannotSetIdentityOrStatus", func(t *testing.T) {
			c := a.anon(t)
			f := registrationForm(t)
			for k, v := range map[string]string{"id": "99", "status": "active", "credit_class": "A", "uscc_review": "false",
				"approved_by": "1", "version": "7", "merchant_id": strconv.FormatInt(a.World.MerchantA.ID, 10), "role": "admin",
				"watch_listed": "true", "created_at": "2020-01-01T00:00:00Z"} {
				f.Set(k, v)
			}
			f.Set("uscc", usccFor(t, "92330782MA2K8R4T1", true))
			rec := c.post("/register", f)
			if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
				t.Fatalf("status %d → %s: %s", rec.Code, rec.Header().Get("Location"), rec.Body)
			}
			if got := flashOf(t, c); !strings.Contains(got, "manual review") {
				t.Errorf("flash = %q", got)
			}
			var m models.Merchant
			if err := db.Where("uscc = ?", f.Get("uscc")).Take(&m).Error; err != nil {
				t.Fatal(err)
			}
			if m.ID == 99 || m.Status != models.MerchantPending || m.CreditClass != models.CreditB || !m.USCCReview ||
				m.ApprovedBy != nil || m.Version != 1 || m.WatchListed || !m.CreatedAt.Equal(testkit.Now) {
				t.Errorf("input set platform fields: %+v", m)
			}
			var u models.User
			if err := db.Where("username = ?", "wu-bags").Take(&u).Error; err != nil {
				t.Fatal(err)
			}
			if u.Role != models.RoleMerchant || u.MerchantID == nil || *u.MerchantID != m.ID {
				t.Errorf("user = role %s merchant %v", u.Role, u.MerchantID)
			}

			// The new user logs in and sees its merchant page: pending approval.
			me := a.anon(t)
			rec = me.post("/login", url.Values{"username": {"wu-bags"}, "password": {"bags-2026!"}})
			if rec.Code != http.StatusSeeOther {
				t.Fatalf("login: %d", rec.Code)
			}
			d := htmlOf(t, me.get("/dashboard"))
			link := d.Find("a[href='/merchants/" + strconv.FormatInt(m.ID, 10) + "']")
			if link.Length() == 0 {
				t.Fatal("the dashboard does not link to the merchant's page")
			}
			rec = me.get("/merchants/" + strconv.FormatInt(m.ID, 10))
			if rec.Code != http.StatusOK {
				t.Fatalf("own page: %d", rec.Code)
			}
			d = htmlOf(t, rec)
			if !strings.Contains(d.Find(".pending-notice").Text(), "pending approval") {
				t.Errorf("pending notice = %q", d.Find(".pending-notice").Text())
			}
			if d.Find("form[action$='/approve']").Length() > 0 || d.Find("form[action$='/status']").Length() > 0 {
				t.Error("the merchant sees the supervision forms")
			}
		})
	})
}

// TestApprovalJourney: the officer sees the queue, approves one registration, rejects another
// with a reason the merchant then reads, and changes a status with a reason; stale forms and
// missing reasons are refused with the message on the page.
func TestApprovalJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRegistryApp(t, db)
		sv := a.as(t, testkit.UserSupervisor)
		// A second pending registration, with a code for review.
		reg := registrationForm(t)
		reg.Set("uscc", usccFor(t, "92330782MA2K8R4T1", true))
		if rec := a.anon(t).post("/register", reg); rec.Code != http.StatusSeeOther {
			t.Fatalf("register: %d", rec.Code)
		}
		var second models.Merchant
		if err := db.Where("uscc = ?", reg.Get("uscc")).Take(&second).Error; err != nil {
			t.Fatal(err)
		}

		d := htmlOf(t, sv.get("/merchants?status=pending"))
		rows := d.Find("table.merchants tbody tr")
		if rows.Length() != 2 {
			t.Fatalf("%d rows in the queue, want 2", rows.Length())
		}
		if rows.First().AttrOr("data-merchant-id", "") != strconv.FormatInt(a.World.Pending.ID, 10) {
			t.Error("the queue is not oldest first")
		}
		if d.Find("tr[data-merchant-id='"+strconv.FormatInt(second.ID, 10)+"'] mark.uscc-review").Length() != 1 {
			t.Error("the USCC review flag is not shown")
		}

		pending := "/merchants/" + strconv.FormatInt(a.World.Pending.ID, 10)
		d = htmlOf(t, sv.get(pending))
		version := d.Find("form[action='"+pending+"/approve'] input[name=version]").AttrOr("value", "")
		if version != "1" {
			t.Fatalf("approve form version = %q", version)
		}
		rec := sv.post(pending+"/approve", url.Values{"version": {version}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != pending {
			t.Fatalf("approve: %d %s", rec.Code, rec.Body)
		}
		// The same form again: the merchant changed meanwhile.
		rec = sv.post(pending+"/approve", url.Values{"version": {version}})
		if rec.Code != http.StatusConflict {
			t.Fatalf("stale approve: %d", rec.Code)
		}
		if msg := htmlOf(t, rec).Find(".form-error").Text(); !strings.Contains(msg, "changed by someone else") {
			t.Errorf("conflict message = %q", msg)
		}
		d = htmlOf(t, a.as(t, testkit.UserPending).get(pending))
		if got := d.Find(".merchant-status").AttrOr("data-status", ""); got != models.MerchantActive {
			t.Errorf("pending merchant's status after approval = %q", got)
		}

		secondURL := "/merchants/" + strconv.FormatInt(second.ID, 10)
		rec = sv.post(secondURL+"/reject", url.Values{"version": {"1"}, "reason": {"  "}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("reject without reason: %d", rec.Code)
		}
		d = htmlOf(t, rec)
		if d.Find("#f-reason[aria-invalid=true]").Length() != 1 || d.Find("#f-reason-error").Text() == "" {
			t.Error("the missing reason is not marked")
		}
		rec = sv.post(secondURL+"/reject", url.Values{"version": {"1"}, "reason": {"营业执照已注销"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("reject: %d", rec.Code)
		}
		wu := a.anon(t)
		wu.post("/login", url.Values{"username": {"wu-bags"}, "password": {"bags-2026!"}})
		d = htmlOf(t, wu.get(secondURL))
		if !strings.Contains(d.Find(".rejected-notice").Text(), "rejected") || d.Find(".status-reason").Text() != "营业执照已注销" {
			t.Errorf("rejected notice = %q", d.Find(".rejected-notice").Text())
		}

		aURL := "/merchants/" + strconv.FormatInt(a.World.MerchantA.ID, 10)
		d = htmlOf(t, sv.get(aURL))
		var targets []string
		d.Find("#f-to option").Each(func(_ int, s *goquery.Selection) { targets = append(targets, s.AttrOr("value", "")) })
		if strings.Join(targets, ",") != ",abnormal,suspended,blacklisted" {
			t.Errorf("status choices = %v", targets)
		}
		rec = sv.post(aURL+"/status", url.Values{"version": {"1"}, "to": {"suspended"}})
		if rec.Code != http.StatusUnprocessableEntity || htmlOf(t, rec).Find("#f-reason[aria-invalid=true]").Length() != 1 {
			t.Fatalf("status without reason: %d", rec.Code)
		}
		rec = sv.post(aURL+"/status", url.Values{"version": {"1"}, "to": {"suspended"}, "reason": {"涉嫌销售侵权商品"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("suspend: %d", rec.Code)
		}
		d = htmlOf(t, sv.get(aURL))
		hist := d.Find("table.merchant-history tbody tr")
		if hist.Length() != 1 || !strings.Contains(hist.Text(), "涉嫌销售侵权商品") || !strings.Contains(hist.Text(), testkit.UserSupervisor) {
			t.Errorf("history = %q", hist.Text())
		}
		if d.Find("form[action='"+aURL+"/status'] input[name=version]").AttrOr("value", "") != "2" {
			t.Error("the form does not carry the new version")
		}
	})
}

func TestAgentPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRegistryApp(t, db)
		admin := a.as(t, testkit.UserAdmin)
		form := url.Values{"uscc": {usccFor(t, "91330782MA5K8R4T1", false)}, "customs_code": {"3318a6777x"},
			"commerce_reg_no": {"SW-330782-0777"}, "name": {"义乌市庚国际货运代理有限公司"}, "name_en": {"Geng Forwarding"},
			"address": {"义乌市江东街道"}, "contact": {"庚经理"}, "phone": {"0579-85557777"},
			"username": {"agent-geng"}, "password": {"forward-77"}, "password_confirm": {"forward-77"},
			"status": {"suspended"}, "credit_class": {"C"}, "id": {"55"}}

		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("customs_code", a.World.AgentX.CustomsCode)
		rec := admin.post("/agents", bad)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("duplicate customs code: %d", rec.Code)
		}
		if htmlOf(t, rec).Find("#f-customs_code[aria-invalid=true]").Length() != 1 {
			t.Error("customs code not marked")
		}

		rec = admin.post("/agents", form)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/agents/") {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		var ag models.Agent
		if err := db.Where("uscc = ?", form.Get("uscc")).Take(&ag).Error; err != nil {
			t.Fatal(err)
		}
		if ag.ID == 55 || ag.Status != workflow.AgentActive || ag.CreditClass != models.CreditB || ag.CustomsCode != "3318A6777X" {
			t.Errorf("agent = %+v", ag)
		}
		page := "/agents/" + strconv.FormatInt(ag.ID, 10)
		if rec.Header().Get("Location") != page {
			t.Errorf("redirect to %s, want %s", rec.Header().Get("Location"), page)
		}

		// Edit with the version shown; then the same form again is stale.
		d := htmlOf(t, admin.get(page+"/edit"))
		if d.Find("#f-uscc").Length() != 0 {
			t.Error("the edit form offers the USCC")
		}
		edit := url.Values{"version": {d.Find("input[name=version]").AttrOr("value", "")}, "customs_code": {"3318A6777X"},
			"commerce_reg_no": {"SW-330782-0777"}, "name": {"义乌市庚国际物流有限公司"}, "contact": {"庚经理"}, "phone": {"0579-85557777"}}
		if rec := admin.post(page+"/edit", edit); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", rec.Code, rec.Body)
		}
		rec = admin.post(page+"/edit", edit)
		if rec.Code != http.StatusConflict || !strings.Contains(htmlOf(t, rec).Find(".form-error").Text(), "changed by someone else") {
			t.Fatalf("stale edit: %d", rec.Code)
		}

		// A merchant sees the agent in the list and on its page, without its merchants.
		m := a.as(t, testkit.UserMerchantB)
		d = htmlOf(t, m.get("/agents"))
		if d.Find("tr[data-agent-id='"+strconv.FormatInt(ag.ID, 10)+"']").Length() != 1 || d.Find("table.agents tbody tr").Length() != 3 {
			t.Errorf("merchant's agent list: %q", d.Find("table.agents").Text())
		}
		d = htmlOf(t, m.get("/agents/"+strconv.FormatInt(a.World.AgentX.ID, 10)))
		if d.Find("table.agent-merchants").Length() != 0 {
			t.Error("a merchant sees another agent's merchants")
		}
		d = htmlOf(t, a.as(t, testkit.UserAgentX).get("/agents/"+strconv.FormatInt(a.World.AgentX.ID, 10)))
		if got := d.Find("table.agent-merchants tbody tr").Length(); got != 1 {
			t.Errorf("agent sees %d entrusting merchants, want 1", got)
		}
	})
}

func TestMerchantAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRegistryApp(t, db)
		sv := a.api(t, testkit.UserSupervisor)
		rec := sv.get("/api/v1/merchants?status=pending")
		if rec.Code != http.StatusOK {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
		var list struct {
			Items []map[string]any `json:"items"`
			Total int              `json:"total"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
			t.Fatal(err)
		}
		if list.Total != 1 || len(list.Items) != 1 || list.Items[0]["uscc"] != a.World.Pending.USCC || list.Items[0]["status"] != "pending" {
			t.Fatalf("list = %s", rec.Body)
		}
		for _, k := range []string{"id", "uscc_review", "name_en", "stall", "legal_rep", "credit_class", "version", "created_at"} {
			if _, ok := list.Items[0][k]; !ok {
				t.Errorf("no %q in %v", k, list.Items[0])
			}
		}

		id := strconv.FormatInt(a.World.Pending.ID, 10)
		rec = sv.postJSON("/api/v1/merchants/"+id+"/reject", `{"version":1}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"reason"`) {
			t.Errorf("reject without reason: %d %s", rec.Code, rec.Body)
		}
		rec = sv.postJSON("/api/v1/merchants/"+id+"/approve", `{"version":1,"reason":"ok","status":"blacklisted","id":5}`)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"active"`) || !strings.Contains(rec.Body.String(), `"version":2`) {
			t.Fatalf("approve: %d %s", rec.Code, rec.Body)
		}
		rec = sv.postJSON("/api/v1/merchants/"+id+"/status", `{"version":1,"to":"suspended","reason":"x"}`)
		if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), `"code":"conflict"`) {
			t.Errorf("stale status: %d %s", rec.Code, rec.Body)
		}
		rec = sv.postJSON("/api/v1/merchants/"+id+"/status", `{"version":2,"to":"suspended","reason":"x"}`)
		if rec.Code != http.StatusOK {
			t.Errorf("status: %d %s", rec.Code, rec.Body)
		}
		rec = sv.get("/api/v1/merchants/" + id)
		var detail struct {
			Status  string `json:"status"`
			History []struct {
				From, To, Reason, By string
			} `json:"history"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &detail); err != nil {
			t.Fatal(err)
		}
		if detail.Status != "suspended" || len(detail.History) != 2 || detail.History[0].To != "suspended" || detail.History[1].From != "pending" {
			t.Errorf("detail = %s", rec.Body)
		}

		admin := a.api(t, testkit.UserAdmin)
		body := fmt.Sprintf(`{"uscc":%q,"customs_code":"3318960888","commerce_reg_no":"SW-330782-0888","name":"义乌市辛外贸有限公司",
			"contact":"辛经理","phone":"13700000000","username":"agent-xin","password":"xin-trade-1","status":"suspended"}`,
			usccFor(t, "91330782MA5K8R4T2", false))
		rec = admin.postJSON("/api/v1/agents", body)
		if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), `"username":"agent-xin"`) || !strings.Contains(rec.Body.String(), `"status":"active"`) {
			t.Fatalf("create agent: %d %s", rec.Code, rec.Body)
		}
		for _, rec := range []*httptest.ResponseRecorder{rec, admin.get("/api/v1/agents"), sv.get("/api/v1/merchants")} {
			if s := strings.ToLower(rec.Body.String()); strings.Contains(s, "password") || strings.Contains(s, "$2a$") {
				t.Errorf("a response shows a password: %s", rec.Body)
			}
		}
	})
}

// The users of the access matrix, in the order of each row's statuses.
var matrixUsers = testkit.Everyone

// TestRegistryAccessMatrix: every user (and nobody) against every merchant and agent route,
// pages and API, reads and writes, on the user's own records and on other parties'. 404 means
// the record is outside the user's scope, 403 the role lacks the action; writes send a stale
// version (409) or an empty form (422) so that passing the checks changes nothing.
func TestRegistryAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRegistryApp(t, db)
		w := a.World
		id := func(n int64) string { return strconv.FormatInt(n, 10) }
		mA, mB, mP, aX, aY := id(w.MerchantA.ID), id(w.MerchantB.ID), id(w.Pending.ID), id(w.AgentX.ID), id(w.AgentY.ID)
		stale := url.Values{"version": {"999"}, "to": {"suspended"}, "reason": {"matrix"}}
		staleJSON := `{"version":999,"to":"suspended","reason":"matrix"}`
		agentEdit := url.Values{"version": {"999"}, "customs_code": {"3318960001"}, "commerce_reg_no": {"SW-330782-0001"},
			"name": {"义乌市甲外贸有限公司"}, "contact": {"x"}, "phone": {"13800000000"}}
		const (
			ok  = http.StatusOK
			see = http.StatusSeeOther
			un  = http.StatusUnauthorized
			fb  = http.StatusForbidden
			nf  = http.StatusNotFound
			cf  = http.StatusConflict
			bad = http.StatusUnprocessableEntity
		)
		rows := []struct {
			route  string // the registered route, for the coverage check
			method string
			path   string
			form   url.Values
			json   string
			//       anon  m-a  m-b  m-p  ag-x ag-y cus  tax  fx   sup  aud  adm
			want [12]int
		}{
			{"GET /register", "GET", "/register", nil, "", [12]int{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},
			{"POST /register", "POST", "/register", url.Values{}, "", [12]int{bad, bad, bad, bad, bad, bad, bad, bad, bad, bad, bad, bad}},
			{"GET /register/check-uscc", "GET", "/register/check-uscc?value=" + w.MerchantA.USCC, nil, "", [12]int{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}},

			{"GET /merchants", "GET", "/merchants", nil, "", [12]int{see, fb, fb, fb, ok, ok, fb, fb, fb, ok, ok, ok}},
			{"GET /merchants/:id", "GET", "/merchants/" + mA, nil, "", [12]int{see, ok, nf, nf, ok, nf, fb, fb, fb, ok, ok, ok}},
			{"GET /merchants/:id", "GET", "/merchants/" + mB, nil, "", [12]int{see, nf, ok, nf, nf, ok, fb, fb, fb, ok, ok, ok}},
			{"GET /merchants/:id", "GET", "/merchants/" + mP, nil, "", [12]int{see, nf, nf, ok, nf, nf, fb, fb, fb, ok, ok, ok}},
			{"GET /merchants/:id", "GET", "/merchants/424242", nil, "", [12]int{see, nf, nf, nf, nf, nf, fb, fb, fb, nf, nf, nf}},
			{"POST /merchants/:id/approve", "POST", "/merchants/" + mP + "/approve", stale, "", [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, cf, fb, fb}},
			{"POST /merchants/:id/reject", "POST", "/merchants/" + mP + "/reject", stale, "", [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, cf, fb, fb}},
			{"POST /merchants/:id/status", "POST", "/merchants/" + mA + "/status", stale, "", [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, cf, fb, fb}},
			{"POST /merchants/:id/status", "POST", "/merchants/424242/status", stale, "", [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, nf, fb, fb}},

			{"GET /agents", "GET", "/agents", nil, "", [12]int{see, ok, ok, ok, fb, fb, fb, fb, fb, fb, ok, ok}},
			{"GET /agents/new", "GET", "/agents/new", nil, "", [12]int{see, fb, fb, fb, fb, fb, fb, fb, fb, fb, fb, ok}},
			{"POST /agents", "POST", "/agents", url.Values{}, "", [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, fb, fb, bad}},
			{"GET /agents/:id", "GET", "/agents/" + aX, nil, "", [12]int{see, ok, ok, ok, ok, nf, fb, fb, fb, fb, ok, ok}},
			{"GET /agents/:id", "GET", "/agents/" + aY, nil, "", [12]int{see, ok, ok, ok, nf, ok, fb, fb, fb, fb, ok, ok}},
			{"GET /agents/:id/edit", "GET", "/agents/" + aX + "/edit", nil, "", [12]int{see, fb, fb, fb, fb, fb, fb, fb, fb, fb, fb, ok}},
			{"POST /agents/:id/edit", "POST", "/agents/" + aX + "/edit", agentEdit, "", [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, fb, fb, cf}},

			{"GET /api/v1/merchants", "GET", "/api/v1/merchants", nil, "", [12]int{un, fb, fb, fb, ok, ok, fb, fb, fb, ok, ok, ok}},
			{"GET /api/v1/merchants/:id", "GET", "/api/v1/merchants/" + mA, nil, "", [12]int{un, ok, nf, nf, ok, nf, fb, fb, fb, ok, ok, ok}},
			{"GET /api/v1/merchants/:id", "GET", "/api/v1/merchants/" + mB, nil, "", [12]int{un, nf, ok, nf, nf, ok, fb, fb, fb, ok, ok, ok}},
			{"POST /api/v1/merchants/:id/approve", "POST", "/api/v1/merchants/" + mP + "/approve", nil, staleJSON, [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, cf, fb, fb}},
			{"POST /api/v1/merchants/:id/reject", "POST", "/api/v1/merchants/" + mP + "/reject", nil, staleJSON, [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, cf, fb, fb}},
			{"POST /api/v1/merchants/:id/status", "POST", "/api/v1/merchants/" + mB + "/status", nil, staleJSON, [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, cf, fb, fb}},
			{"GET /api/v1/agents", "GET", "/api/v1/agents", nil, "", [12]int{un, ok, ok, ok, fb, fb, fb, fb, fb, fb, ok, ok}},
			{"GET /api/v1/agents/:id", "GET", "/api/v1/agents/" + aX, nil, "", [12]int{un, ok, ok, ok, ok, nf, fb, fb, fb, fb, ok, ok}},
			{"GET /api/v1/agents/:id", "GET", "/api/v1/agents/" + aY, nil, "", [12]int{un, ok, ok, ok, nf, ok, fb, fb, fb, fb, ok, ok}},
			{"POST /api/v1/agents", "POST", "/api/v1/agents", nil, `{}`, [12]int{un, fb, fb, fb, fb, fb, fb, fb, fb, fb, fb, bad}},
		}

		// Every route of this area is in the matrix.
		covered := map[string]bool{}
		for _, r := range rows {
			covered[r.route] = true
		}
		for _, r := range a.Routes() {
			_, path, _ := strings.Cut(r, " ")
			for _, prefix := range []string{"/register", "/merchants", "/agents", "/api/v1/merchants", "/api/v1/agents"} {
				if (path == prefix || strings.HasPrefix(path, prefix+"/")) && !covered[r] {
					t.Errorf("route %s is not in the access matrix", r)
				}
			}
		}

		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range matrixUsers {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.anon(t)
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.api(t, u)
		}
		before := registryState(t, db)
		for _, r := range rows {
			for i, u := range matrixUsers {
				name := u
				if name == "" {
					name = "anonymous"
				}
				var rec *httptest.ResponseRecorder
				api := strings.HasPrefix(r.path, "/api/")
				c := pages[u]
				if api {
					c = apis[u]
				}
				switch {
				case r.method == http.MethodGet:
					rec = c.get(r.path)
				case api:
					rec = c.postJSON(r.path, r.json)
				default:
					form := url.Values{}
					for k, v := range r.form {
						form[k] = v
					}
					rec = c.post(r.path, form)
				}
				if rec.Code != r.want[i] {
					t.Errorf("%s %s as %s: %d, want %d", r.method, r.path, name, rec.Code, r.want[i])
				}
				if rec.Code == http.StatusSeeOther && !strings.HasPrefix(rec.Header().Get("Location"), "/login?next=") {
					t.Errorf("%s %s as %s: redirected to %s", r.method, r.path, name, rec.Header().Get("Location"))
				}
				if api && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
					t.Errorf("%s %s as %s: %s answer", r.method, r.path, name, rec.Header().Get("Content-Type"))
				}
			}
		}
		if after := registryState(t, db); after != before {
			t.Errorf("the matrix changed the registry:\n before %s\n after  %s", before, after)
		}
	})
}

// registryState summarises merchants, agents, users and status history, to check that refused
// requests changed nothing.
func registryState(t *testing.T, db *gorm.DB) string {
	t.Helper()
	var b strings.Builder
	var ms []models.Merchant
	var as []models.Agent
	var users, changes int64
	if err := db.Order("id").Find(&ms).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Order("id").Find(&as).Error; err != nil {
		t.Fatal(err)
	}
	db.Model(&models.User{}).Count(&users)
	db.Model(&models.MerchantStatusChange{}).Count(&changes)
	for _, m := range ms {
		fmt.Fprintf(&b, "m%d:%s:v%d ", m.ID, m.Status, m.Version)
	}
	for _, a := range as {
		fmt.Fprintf(&b, "a%d:%s:v%d ", a.ID, a.CustomsCode, a.Version)
	}
	fmt.Fprintf(&b, "users:%d changes:%d", users, changes)
	return b.String()
}
