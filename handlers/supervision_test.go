package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// spotApp is the server over the seeded world with a service to draw and record spot checks.
type spotApp struct{ *goodsApp }

func newSpotApp(t *testing.T, db *gorm.DB) *spotApp {
	t.Helper()
	return &spotApp{newGoodsApp(t, db)}
}

// draw draws a campaign of every active merchant (MerchantA and MerchantB) as the seeded officer.
func (a *spotApp) draw(t *testing.T, name string) (*models.SpotCheckCampaign, []models.SpotCheck) {
	t.Helper()
	c, err := a.svc.DrawSpotCheckCampaign(context.Background(), a.actor(testkit.UserSupervisor),
		workflow.SpotCheckCampaignInput{Name: name, Year: "2026", SharePermille: "1000"})
	if err != nil {
		t.Fatal(err)
	}
	var checks []models.SpotCheck
	if err := a.DB.Where("campaign_id = ?", c.ID).Order("id").Find(&checks).Error; err != nil {
		t.Fatal(err)
	}
	return c, checks
}

// officer adds a market supervision user who logs in with the seeded password.
func (a *spotApp) officer(t *testing.T, name string, onDuty bool) models.User {
	t.Helper()
	hash, _ := bcrypt.GenerateFromPassword([]byte(testkit.Password), bcrypt.MinCost)
	u := models.User{Username: name, DisplayName: "监管 " + name, PasswordHash: string(hash), Role: models.RoleSupervision,
		OnDuty: onDuty, Lang: "en", Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := a.DB.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	a.World.Users[name] = u
	return u
}

// TestSupervisionAccessMatrix: every route of the desk and the spot checks, page and API, for
// every seeded user and nobody: the desk and every change are market supervision's, campaigns
// are read by market supervision, auditors and admins, and the published results are public
// (no login, no token). Nobody gets the login page on a page, 401 on a post or the API.
func TestSupervisionAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSpotApp(t, db)
		camp, checks := a.draw(t, "矩阵抽查")
		done, doneChecks := a.draw(t, "待公示")
		for _, k := range doneChecks {
			if _, err := a.svc.RecordSpotCheckResult(context.Background(), a.actor(testkit.UserSupervisor), done.ID, k.ID,
				workflow.SpotCheckResultInput{Result: "pass", Version: 1}); err != nil {
				t.Fatal(err)
			}
		}
		id, cid := itoa(camp.ID), itoa(checks[0].ID)
		const (
			mA, mB, mP   = testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending
			aX, aY       = testkit.UserAgentX, testkit.UserAgentY
			cu, tx, fx   = testkit.UserCustoms, testkit.UserTax, testkit.UserFX
			sv, au, adm  = testkit.UserSupervisor, testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther = http.StatusOK, http.StatusSeeOther
		)
		everyone := []string{mA, mB, mP, aX, aY, cu, tx, fx, sv, au, adm}
		readers := []string{sv, au, adm}
		draw := url.Values{"name": {"页面抽查"}, "year": {"2026"}, "share_permille": {"50"}}
		routes := []struct {
			method, path string
			form         url.Values
			json         string
			public       bool
			allow        []goodsOutcome
		}{
			{"GET", "/supervision", nil, "", false, []goodsOutcome{goodsIs(ok, sv)}},
			{"GET", "/spot-checks", nil, "", false, []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/spot-checks/new", nil, "", false, []goodsOutcome{goodsIs(ok, sv)}},
			{"POST", "/spot-checks/new", draw, "", false, []goodsOutcome{goodsIs(seeOther, sv)}},
			{"GET", "/spot-checks/published", nil, "", true, []goodsOutcome{goodsIs(ok, everyone...)}},
			{"GET", "/spot-checks/" + id, nil, "", false, []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/spot-checks/" + id + "?show=mine", nil, "", false, []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/spot-checks/999999", nil, "", false, []goodsOutcome{goodsIs(http.StatusNotFound, readers...)}},
			{"GET", "/spot-checks/" + id + "/checks/" + cid, nil, "", false, []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/spot-checks/" + itoa(done.ID) + "/checks/" + cid, nil, "", false, []goodsOutcome{goodsIs(http.StatusNotFound, readers...)}},
			{"POST", "/spot-checks/" + id + "/checks/" + cid, url.Values{"result": {"pass"}, "version": {"1"}}, "", false, []goodsOutcome{goodsIs(seeOther, sv)}},
			{"POST", "/spot-checks/" + itoa(done.ID) + "/publish", url.Values{"version": {"1"}}, "", false, []goodsOutcome{goodsIs(seeOther, sv)}},
			{"GET", "/api/v1/spot-checks", nil, "", false, []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/api/v1/spot-checks/" + id, nil, "", false, []goodsOutcome{goodsIs(ok, readers...)}},
			{"POST", "/api/v1/spot-checks", nil, `{"name":"API 抽查","year":2026,"share_permille":50}`, false, []goodsOutcome{goodsIs(http.StatusCreated, sv)}},
			{"GET", "/api/v1/spot-checks/published", nil, "", true, []goodsOutcome{goodsIs(ok, everyone...)}},
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
			want := map[string]int{}
			var order []string
			for _, u := range goodsMatrixUsers { // users without the action first, the one successful write last
				if !spotNamed(r.allow, u) {
					order = append(order, u)
				}
			}
			for _, o := range r.allow {
				for _, u := range o.users {
					want[u] = o.status
					order = append(order, u)
				}
			}
			isAPI := strings.HasPrefix(r.path, "/api/")
			for _, u := range order {
				exp, named := want[u]
				switch {
				case u == "" && r.public:
					exp = http.StatusOK
				case u == "" && (isAPI || r.method == "POST"):
					exp = http.StatusUnauthorized
				case u == "":
					exp = seeOther
				case !named:
					exp = http.StatusForbidden
				}
				var res *httptest.ResponseRecorder
				switch {
				case r.method == "GET" && isAPI:
					res = apis[u].get(r.path)
				case r.method == "GET":
					res = pages[u].get(r.path)
				case isAPI:
					res = apis[u].postJSON(r.path, r.json)
				default:
					res = pages[u].post(r.path, r.form)
				}
				if res.Code != exp {
					t.Errorf("%s %s as %q: %d, want %d: %.300s", r.method, r.path, u, res.Code, exp, res.Body.String())
				}
				if u == "" && exp == seeOther && !strings.HasPrefix(res.Header().Get("Location"), "/login") {
					t.Errorf("%s %s as nobody: sent to %q, not to log in", r.method, r.path, res.Header().Get("Location"))
				}
			}
		}
	})
}

func spotNamed(allow []goodsOutcome, u string) bool {
	for _, o := range allow {
		for _, name := range o.users {
			if name == u {
				return true
			}
		}
	}
	return false
}

// TestSpotCheckJourney: an officer draws a campaign from the form (a share under the minimum
// comes back with the field marked), sees the seed, the count drawn from how many and the
// replay; only the assigned inspector gets the form and may record; publishing waits for every
// result; then the results are public without login, without a passed check's notes; the API
// answers the same.
func TestSpotCheckJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSpotApp(t, db)
		other := a.officer(t, "supervision-b", false) // off duty: never drawn as inspector
		sv := a.as(t, testkit.UserSupervisor)

		rec := sv.post("/spot-checks/new", url.Values{"name": {"2026 年度抽查"}, "year": {"2026"}, "share_permille": {"49"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("share under the minimum: %d", rec.Code)
		}
		doc := htmlOf(t, rec)
		if doc.Find(`#f-share_permille[aria-invalid="true"]`).Length() != 1 || !strings.Contains(doc.Find("#f-share_permille-error").Text(), "50") {
			t.Fatalf("share field not marked: %s", doc.Find(".field-error").Text())
		}
		if v, _ := doc.Find("#f-name").Attr("value"); v != "2026 年度抽查" {
			t.Fatalf("name not kept: %q", v)
		}
		rec = sv.post("/spot-checks/new", url.Values{"name": {"2026 年度抽查"}, "year": {"2026"}, "share_permille": {"1000"},
			"complaints": {a.World.MerchantB.USCC}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("draw: %d %s", rec.Code, rec.Body)
		}
		loc := rec.Header().Get("Location")
		var camp models.SpotCheckCampaign
		if err := db.Order("id DESC").Take(&camp).Error; err != nil || loc != "/spot-checks/"+itoa(camp.ID) {
			t.Fatalf("redirect %q, campaign %+v %v", loc, camp, err)
		}
		doc = htmlOf(t, sv.get(loc))
		if got := strings.TrimSpace(doc.Find("code.seed").Text()); got != itoa(camp.Seed) {
			t.Fatalf("seed shown %q, want %d", got, camp.Seed)
		}
		if got := strings.Join(strings.Fields(doc.Find(".drawn-of").Text()), " "); !strings.HasPrefix(got, "2 merchants drawn from 2") {
			t.Fatalf("drawn of: %q", got) // both active merchants; MerchantB, named for complaints too, once
		}
		if v, _ := doc.Find(".replay").Attr("data-same"); v != "true" {
			t.Fatalf("replay: %s", doc.Find(".replay").Text())
		}
		if doc.Find(".my-open-checks li").Length() != 2 || doc.Find(".publish-blocked").Length() != 1 {
			t.Fatalf("my open checks %d, publish blocked %d", doc.Find(".my-open-checks li").Length(), doc.Find(".publish-blocked").Length())
		}
		var checks []models.SpotCheck
		db.Where("campaign_id = ?", camp.ID).Order("id").Find(&checks)
		checkURL := func(k models.SpotCheck) string { return loc + "/checks/" + itoa(k.ID) }

		// Another officer sees the check but no form, and may not record it.
		ob := a.as(t, other.Username)
		if d := htmlOf(t, ob.get(checkURL(checks[0]))); d.Find(".result-form").Length() != 0 || d.Find(".not-yours").Length() != 1 {
			t.Fatal("the form is shown to an officer who is not the inspector")
		}
		if rec := ob.post(checkURL(checks[0]), url.Values{"result": {"pass"}, "version": {"1"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("other officer records: %d", rec.Code)
		}
		// The inspector: a fail without findings comes back marked, then a fail with findings.
		if d := htmlOf(t, sv.get(checkURL(checks[0]))); d.Find(".result-form").Length() != 1 {
			t.Fatal("no form for the assigned inspector")
		}
		rec = sv.post(checkURL(checks[0]), url.Values{"result": {"fail"}, "version": {"1"}, "merchant_version": {"1"}})
		if rec.Code != http.StatusUnprocessableEntity || htmlOf(t, rec).Find(`#f-findings[aria-invalid="true"]`).Length() != 1 {
			t.Fatalf("fail without findings: %d", rec.Code)
		}
		if rec := sv.post(checkURL(checks[0]), url.Values{"result": {"fail"}, "findings": {"销售无厂名厂址商品"}, "version": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("record fail: %d %s", rec.Code, rec.Body)
		}
		if rec := sv.post(loc+"/publish", url.Values{"version": {itoa(camp.Version)}}); rec.Code != http.StatusConflict {
			t.Fatalf("publish with an open check: %d", rec.Code)
		}
		if rec := sv.post(checkURL(checks[1]), url.Values{"result": {"pass"}, "findings": {"内部备注：台账齐全"}, "version": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("record pass: %d", rec.Code)
		}
		if rec := sv.post(loc+"/publish", url.Values{"version": {itoa(camp.Version)}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("publish: %d %s", rec.Code, rec.Body)
		}

		// Public: no login.
		anon := a.anon(t)
		rec = anon.get("/spot-checks/published")
		if rec.Code != http.StatusOK {
			t.Fatalf("public results: %d", rec.Code)
		}
		doc = htmlOf(t, rec)
		if doc.Find("table.published-results tbody tr").Length() != 2 || doc.Find(`tr[data-result="fail"]`).Length() != 1 {
			t.Fatalf("public rows: %s", doc.Find("table.published-results").Text())
		}
		if body := rec.Body.String(); strings.Contains(body, "内部备注") || !strings.Contains(body, "销售无厂名厂址商品") {
			t.Fatal("public page shows a pass's notes or hides a fail's findings")
		}
		rec = anon.get("/api/v1/spot-checks/published")
		var api struct {
			Campaign *struct{ ID int64 } `json:"campaign"`
			Results  []struct {
				USCC     string `json:"uscc"`
				Result   string `json:"result"`
				Findings string `json:"findings"`
			} `json:"results"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &api); err != nil || rec.Code != http.StatusOK || api.Campaign == nil || api.Campaign.ID != camp.ID || len(api.Results) != 2 {
			t.Fatalf("API published: %d %s", rec.Code, rec.Body)
		}
		for _, r := range api.Results {
			if r.Result == "pass" && r.Findings != "" {
				t.Fatalf("API publishes a pass's notes: %+v", r)
			}
		}
		if rec := anon.get("/spot-checks/published?campaign=999999"); rec.Code != http.StatusNotFound {
			t.Fatalf("unknown published campaign: %d", rec.Code)
		}
		// In Chinese too.
		goodsLang(t, sv, "zh-CN")
		if doc := htmlOf(t, sv.get(loc)); !strings.Contains(doc.Find(".campaign-status").Text(), "已公示") {
			t.Fatalf("zh status: %q", doc.Find(".campaign-status").Text())
		}
	})
}

// TestSupervisionDeskPage: the desk shows each queue's count and rows, in both languages.
func TestSupervisionDeskPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSpotApp(t, db)
		a.draw(t, "桌面抽查")
		sv := a.as(t, testkit.UserSupervisor)
		if _, err := a.svc.ChangeMerchantStatus(context.Background(), a.actor(testkit.UserSupervisor), a.World.MerchantB.ID,
			workflow.MerchantDecision{To: models.MerchantBlacklisted, Reason: "严重违法", Version: a.World.MerchantB.Version}); err != nil {
			t.Fatal(err)
		}
		doc := htmlOf(t, sv.get("/supervision"))
		for queue, want := range map[string]string{"pending": "1", "troubled": "1", "my-checks": "2", "campaigns": "1"} {
			if got := strings.TrimSpace(doc.Find(`.count[data-queue="` + queue + `"]`).Text()); got != want {
				t.Errorf("queue %s: %q, want %s", queue, got, want)
			}
		}
		if doc.Find(`.desk-pending tr[data-merchant-id="`+itoa(a.World.Pending.ID)+`"] a[href="/merchants/`+itoa(a.World.Pending.ID)+`"]`).Length() != 1 {
			t.Error("the pending registration does not link to its approval page")
		}
		if doc.Find(`.desk-troubled tr[data-merchant-id="`+itoa(a.World.MerchantB.ID)+`"]`).Length() != 1 {
			t.Error("the blacklisted merchant is not listed")
		}
		goodsLang(t, sv, "zh-CN")
		if doc := htmlOf(t, sv.get("/supervision")); strings.TrimSpace(doc.Find("h1").Text()) != "市场监管工作台" {
			t.Errorf("zh title %q", doc.Find("h1").Text())
		}
	})
}

// TestPartyTimelinePages: the merchant's and the agent's pages show the timeline with who and
// when; a merchant sees its own page only (another's is 404 as before).
func TestPartyTimelinePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSpotApp(t, db)
		ctx := context.Background()
		later := servicetest.Service(t, db, func() time.Time { return testkit.Now.Add(time.Hour) })
		m, err := later.ChangeMerchantStatus(ctx, a.actor(testkit.UserSupervisor), a.World.MerchantA.ID,
			workflow.MerchantDecision{To: models.MerchantAbnormal, Reason: "未按时公示年报", Version: a.World.MerchantA.Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := later.ChangeMerchantStatus(ctx, a.actor(testkit.UserSupervisor), m.ID,
			workflow.MerchantDecision{To: models.MerchantActive, Reason: "已补报", Version: m.Version}); err != nil {
			t.Fatal(err)
		}
		ma := a.as(t, testkit.UserMerchantA)
		doc := htmlOf(t, ma.get("/merchants/"+itoa(a.World.MerchantA.ID)))
		events := doc.Find(".party-timeline li.event")
		if events.Length() != 4 { // two status changes, the entrustment, the registration
			t.Fatalf("%d timeline entries: %s", events.Length(), doc.Find(".party-timeline").Text())
		}
		first := events.First()
		if k, _ := first.Attr("data-kind"); k != "status" || !strings.Contains(first.Text(), "已补报") ||
			!strings.Contains(first.Find(".actor").Text(), "supervision") || !strings.Contains(first.Text(), "2026-11-29 18:00") {
			t.Fatalf("latest entry %q", first.Text())
		}
		if rec := ma.get("/merchants/" + itoa(a.World.MerchantB.ID)); rec.Code != http.StatusNotFound {
			t.Fatalf("other merchant's page: %d", rec.Code)
		}
		goodsLang(t, ma, "zh-CN")
		doc = htmlOf(t, ma.get("/merchants/"+itoa(a.World.MerchantA.ID)))
		if got := doc.Find(".party-timeline li.event").First().Find("strong").Text(); got != "状态变更：经营异常 → 正常" {
			t.Fatalf("zh entry %q", got)
		}
		ax := a.as(t, testkit.UserAgentX)
		doc = htmlOf(t, ax.get("/agents/"+itoa(a.World.AgentX.ID)))
		if doc.Find(`.party-timeline li[data-kind="registered"]`).Length() != 1 || doc.Find(`.party-timeline li[data-kind="entrusted"]`).Length() != 1 {
			t.Fatalf("agent timeline: %s", doc.Find(".party-timeline").Text())
		}
	})
}
