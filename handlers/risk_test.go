package handlers_test

import (
	"context"
	"encoding/json"
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

// riskApp is the server over the seeded world with declarations submitted to customs.
type riskApp struct {
	*goodsApp
}

func newRiskApp(t *testing.T, db *gorm.DB) *riskApp {
	t.Helper()
	return &riskApp{goodsApp: newGoodsApp(t, db)}
}

// submitted is a declaration of MerchantA for BuyerA, submitted by agent X.
func (a *riskApp) submitted(t *testing.T) models.Declaration {
	t.Helper()
	return servicetest.Submitted(t, a.svc, a.DB, a.World, servicetest.TradeSpec{}).Declaration
}

// routed stores a decision for a declaration as routing would: the facts (the buyer watch-listed,
// so the seeded BUYER-WATCH rule hits), a fixed seed, and Route's result over the seeded version 1.
func (a *riskApp) routed(t *testing.T, d models.Declaration) models.CustomsDecision {
	t.Helper()
	rs, err := a.svc.RuleSetVersion(context.Background(), a.actor(testkit.UserAdmin), 1)
	if err != nil {
		t.Fatal(err)
	}
	facts := workflow.RiskFacts{DeclarationID: d.ID, DecidedAt: testkit.Now, AgentID: d.AgentID, BuyerID: d.BuyerID,
		BuyerWatchListed: true, AgentCreditClass: models.CreditB, DeclaredCartons: d.Packages, DeclaredGross: d.GrossGrams,
		PackedCartons: d.Packages, PackedGross: d.GrossGrams,
		Items:     []workflow.RiskItem{{No: 1, HSCode: "9503009000", LegalUnit: "007", LegalQty: 100_000, ValueUSD: 1200_00, Cartons: 2, GrossGrams: 11_000}},
		Merchants: []workflow.RiskMerchant{{ID: a.World.MerchantA.ID, Name: a.World.MerchantA.Name, CreditClass: models.CreditB}}}
	const seed = 8_765_432_101_234
	r := workflow.Route(rs.Set, facts, seed)
	hits, _ := json.Marshal(r.Hits)
	fj, _ := json.Marshal(facts)
	officer := a.World.Users[testkit.UserCustoms].ID
	dec := models.CustomsDecision{DeclarationID: d.ID, RuleSetVersion: 1, Lane: r.Lane, RulesHitJSON: string(hits), Seed: seed,
		Draw: r.Draw, FactsJSON: string(fj), OfficerUserID: &officer, DecidedAt: testkit.Now}
	if err := a.DB.Create(&dec).Error; err != nil {
		t.Fatal(err)
	}
	if err := a.DB.Model(&models.Declaration{}).Where("id = ?", d.ID).Update("lane", r.Lane).Error; err != nil {
		t.Fatal(err)
	}
	return dec
}

// validRuleForm is a new version as the form posts it.
func validRuleForm(note string) url.Values {
	return url.Values{"rules_json": {`{"rules": [{"code": "BW", "kind": "watched_buyer", "lane": "red", "name_en": "Watched buyer", "name_zh": "布控采购商"}]}`},
		"min_rates.red": {"10"}, "min_rates.yellow": {"20"}, "min_rates.blue": {"0"}, "note": {note}}
}

// TestRiskAccessMatrix: every risk route, page and API, for every seeded user and nobody:
// customs, auditors and admins read; only admins publish; 403 for other roles, the login page
// for nobody on a page, 401 for nobody on a page post or the API; unknown versions and
// declarations are 404.
func TestRiskAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRiskApp(t, db)
		d := a.submitted(t)
		a.routed(t, d)
		id := itoa(d.ID)
		const (
			cu, au, adm         = testkit.UserCustoms, testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther, nf    = http.StatusOK, http.StatusSeeOther, http.StatusNotFound
			created, unprocessd = http.StatusCreated, http.StatusUnprocessableEntity
		)
		readers := []string{cu, au, adm}
		apiRules := `{"rules": [{"code": "BW", "kind": "watched_buyer", "lane": "red", "name_en": "b", "name_zh": "b"}], "min_rates": {"red": 5}, "note": "api"}`
		routes := []struct {
			method, path string
			form         url.Values
			json         string
			allow        []goodsOutcome
		}{
			{"GET", "/risk-rules", nil, "", []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/risk-rules/1", nil, "", []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/risk-rules/99", nil, "", []goodsOutcome{goodsIs(nf, readers...)}},
			{"GET", "/risk-rules/x", nil, "", []goodsOutcome{goodsIs(nf, readers...)}},
			{"GET", "/risk-rules/new", nil, "", []goodsOutcome{goodsIs(ok, adm)}},
			{"POST", "/risk-rules", url.Values{"note": {"x"}}, "", []goodsOutcome{goodsIs(unprocessd, adm)}},
			{"POST", "/risk-rules", validRuleForm("page"), "", []goodsOutcome{goodsIs(seeOther, adm)}},
			{"GET", "/declarations/" + id + "/routing", nil, "", []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/declarations/999999/routing", nil, "", []goodsOutcome{goodsIs(nf, readers...)}},
			{"GET", "/api/v1/risk-rules", nil, "", []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/api/v1/risk-rules/active", nil, "", []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/api/v1/risk-rules/1", nil, "", []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/api/v1/risk-rules/99", nil, "", []goodsOutcome{goodsIs(nf, readers...)}},
			{"POST", "/api/v1/risk-rules", nil, `{"note": "x"}`, []goodsOutcome{goodsIs(unprocessd, adm)}},
			{"POST", "/api/v1/risk-rules", nil, apiRules, []goodsOutcome{goodsIs(created, adm)}},
			{"GET", "/api/v1/declarations/" + id + "/routing", nil, "", []goodsOutcome{goodsIs(ok, readers...)}},
			{"GET", "/api/v1/declarations/999999/routing", nil, "", []goodsOutcome{goodsIs(nf, readers...)}},
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range testkit.Everyone {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.api(t, "")
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.api(t, u)
		}
		for _, r := range routes {
			want := map[string]int{}
			for _, o := range r.allow {
				for _, u := range o.users {
					want[u] = o.status
				}
			}
			for _, u := range testkit.Everyone {
				api := strings.HasPrefix(r.path, "/api/")
				exp, named := want[u]
				switch {
				case u == "" && (api || r.method == "POST"):
					exp = http.StatusUnauthorized
				case u == "":
					exp = seeOther
				case !named:
					exp = http.StatusForbidden
				}
				c := pages[u]
				if api {
					c = apis[u]
				}
				var code int
				var body string
				switch {
				case r.method == "GET":
					res := c.get(r.path)
					code, body = res.Code, res.Body.String()
				case api:
					res := c.postJSON(r.path, r.json)
					code, body = res.Code, res.Body.String()
				default:
					form := url.Values{}
					for k, v := range r.form {
						form[k] = v
					}
					res := c.post(r.path, form)
					code, body = res.Code, res.Body.String()
				}
				if code != exp {
					t.Errorf("%s %s as %q: %d, want %d: %.300s", r.method, r.path, u, code, exp, body)
				}
			}
		}
		var versions int64
		db.Model(&models.RiskRuleSet{}).Count(&versions)
		if versions != 3 {
			t.Errorf("%d versions, want the seeded one and one per successful publish", versions)
		}
	})
}

// TestRiskRulePages: the list marks the active version; a version shows its rules in both
// languages, the rates and the norms.
func TestRiskRulePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRiskApp(t, db)
		c := a.as(t, testkit.UserAuditor)
		doc := htmlOf(t, c.get("/risk-rules"))
		if n := doc.Find("tr.version").Length(); n != 1 {
			t.Fatalf("%d versions listed", n)
		}
		if doc.Find(`tr.version[data-active="true"]`).AttrOr("data-version", "") != "1" || doc.Find("a.new-version").Length() != 0 {
			t.Errorf("active version or publish link for an auditor wrong")
		}
		doc = htmlOf(t, c.get("/risk-rules/1"))
		if n := doc.Find("tr.rule").Length(); n != 9 {
			t.Fatalf("%d rules shown, want 9", n)
		}
		row := doc.Find(`tr.rule[data-code="BUYER-WATCH"]`)
		if !strings.Contains(row.Text(), "采购商在海关布控名单上") || !strings.Contains(row.Text(), "Buyer on the customs watch list") ||
			row.AttrOr("data-lane", "") != "red" {
			t.Errorf("BUYER-WATCH row %q", row.Text())
		}
		if n := doc.Find("tr.norm").Length(); n != 8 || !strings.Contains(doc.Find(`tr.norm[data-heading="9503"]`).Text(), "5.00") {
			t.Errorf("%d norms", n)
		}
		if got := doc.Find(`.min-rates li[data-lane="yellow"]`).Text(); !strings.Contains(got, "30‰") {
			t.Errorf("yellow rate %q", got)
		}
	})
}

// TestRiskRulePublishForm: the form starts from the active version; invalid input comes back 422
// with each error named by its JSON path and the values kept; a valid one publishes the next
// version and redirects to it with a flash.
func TestRiskRulePublishForm(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRiskApp(t, db)
		c := a.as(t, testkit.UserAdmin)
		doc := htmlOf(t, c.get("/risk-rules/new"))
		if !strings.Contains(doc.Find("#f-rules_json").Text(), `"HS-DG"`) || doc.Find(`input[name="min_rates.yellow"]`).AttrOr("value", "") != "30" {
			t.Fatalf("form not pre-filled with version 1")
		}
		if n := doc.Find("table.risk-kinds tr[data-kind]").Length(); n != len(workflow.RuleKinds) {
			t.Errorf("help lists %d kinds", n)
		}
		bad := validRuleForm("more checks")
		bad.Set("rules_json", `{"rules": [{"code": "U", "kind": "unit_value", "lane": "green", "factor": "1", "name_en": "u", "name_zh": "u"}]}`)
		bad.Set("min_rates.red", "1001")
		res := c.post("/risk-rules", bad)
		if res.Code != http.StatusUnprocessableEntity {
			t.Fatalf("invalid rules: %d", res.Code)
		}
		doc = htmlOf(t, res)
		for _, f := range []string{"rules[0].factor", "rules[0].lane"} {
			if doc.Find(`ul.rule-errors li[data-field="`+f+`"]`).Length() != 1 {
				t.Errorf("no error listed for %s", f)
			}
		}
		if doc.Find("#f-rules_json").AttrOr("aria-invalid", "") != "true" || doc.Find(`[id="f-min_rates.red"]`).AttrOr("aria-invalid", "") != "true" {
			t.Errorf("text area or red rate not marked invalid")
		}
		if !strings.Contains(doc.Find("#f-rules_json").Text(), `"factor": "1"`) || doc.Find("#f-note").AttrOr("value", "") != "more checks" {
			t.Errorf("values not kept")
		}
		bad = validRuleForm("syntax")
		bad.Set("rules_json", `{"rules": [`)
		res = c.post("/risk-rules", bad)
		if doc = htmlOf(t, res); res.Code != http.StatusUnprocessableEntity || doc.Find("#f-rules_json-error").Length() != 1 {
			t.Fatalf("bad JSON: %d", res.Code)
		}
		bad = validRuleForm("rates")
		bad.Set("min_rates.red", "600")
		bad.Set("min_rates.yellow", "401")
		res = c.post("/risk-rules", bad)
		if doc = htmlOf(t, res); res.Code != http.StatusUnprocessableEntity || doc.Find("fieldset .rates-error").Length() != 1 ||
			doc.Find("ul.rule-errors").Length() != 0 {
			t.Fatalf("rates over 1000‰: %d", res.Code)
		}
		res = c.post("/risk-rules", validRuleForm("watch buyers only"))
		if res.Code != http.StatusSeeOther || res.Header().Get("Location") != "/risk-rules/2" {
			t.Fatalf("publish: %d %s", res.Code, res.Header().Get("Location"))
		}
		doc = htmlOf(t, c.get("/risk-rules/2"))
		if !strings.Contains(doc.Text(), "version 2 published") || doc.Find("strong.active").Length() != 1 || doc.Find("tr.rule").Length() != 1 {
			t.Errorf("version 2 page: %.400s", doc.Find("main").Text())
		}
		doc = htmlOf(t, c.get("/risk-rules"))
		if doc.Find(`tr.version[data-active="true"]`).AttrOr("data-version", "") != "2" || doc.Find("tr.version").Length() != 2 {
			t.Errorf("list after publishing")
		}
	})
}

// TestRoutingPage: the decision with its version, seed, draw, rules hit (named in the page's
// language) and facts, and the replay: same lane, or a warning once the stored lane is altered.
func TestRoutingPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRiskApp(t, db)
		d := a.submitted(t)
		unrouted := a.submitted(t)
		dec := a.routed(t, d)
		if dec.Lane != workflow.LaneRed {
			t.Fatalf("lane %s, want red from BUYER-WATCH", dec.Lane)
		}
		c := a.as(t, testkit.UserCustoms)
		path := "/declarations/" + itoa(d.ID) + "/routing"
		doc := htmlOf(t, c.get(path))
		if doc.Find(`.replay-result[data-match="true"]`).Length() != 1 {
			t.Fatalf("replay not shown as matching: %.500s", doc.Find("main").Text())
		}
		if doc.Find("code.seed").Text() != "8765432101234" || doc.Find("code.draw").Text() != itoa(dec.Draw) ||
			doc.Find("a.rule-set-version").AttrOr("href", "") != "/risk-rules/1" {
			t.Errorf("seed %q draw %q", doc.Find("code.seed").Text(), doc.Find("code.draw").Text())
		}
		hit := doc.Find(`tr.hit[data-code="BUYER-WATCH"]`)
		if !strings.Contains(hit.Text(), "Buyer on the customs watch list") {
			t.Errorf("hit row %q", hit.Text())
		}
		if !strings.Contains(doc.Find("table.facts-items").Text(), "9503009000") {
			t.Errorf("facts not shown")
		}
		zh := a.as(t, testkit.UserAuditor)
		zh.get("/lang/zh-CN?next=/")
		if got := htmlOf(t, zh.get(path)).Find(`tr.hit[data-code="BUYER-WATCH"]`).Text(); !strings.Contains(got, "采购商在海关布控名单上") {
			t.Errorf("Chinese hit row %q", got)
		}
		if doc := htmlOf(t, c.get("/declarations/"+itoa(unrouted.ID)+"/routing")); doc.Find(".not-routed").Length() != 1 {
			t.Errorf("unrouted declaration")
		}
		if err := db.Model(&models.CustomsDecision{}).Where("id = ?", dec.ID).Update("lane", workflow.LaneGreen).Error; err != nil {
			t.Fatal(err)
		}
		doc = htmlOf(t, c.get(path))
		warn := doc.Find(`.replay-result[data-match="false"][role="alert"]`)
		if warn.Length() != 1 || !strings.Contains(warn.Find(`li[data-check="lane"]`).Text(), "✗") {
			t.Fatalf("tampered lane not flagged: %.500s", doc.Find("main").Text())
		}
	})
}

// TestRoutingAPI: the decision and its replay as JSON, the seed as a string; a tampered draw
// does not match.
func TestRoutingAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRiskApp(t, db)
		d := a.submitted(t)
		dec := a.routed(t, d)
		c := a.api(t, testkit.UserAuditor)
		var out struct {
			Lane      string `json:"lane"`
			Match     bool   `json:"match"`
			Decisions []struct {
				Seed     string             `json:"seed"`
				Draw     int64              `json:"draw"`
				Hits     []workflow.RuleHit `json:"hits"`
				Replayed workflow.Routing   `json:"replayed"`
				Match    bool               `json:"match"`
			} `json:"decisions"`
		}
		read := func() {
			t.Helper()
			res := c.get("/api/v1/declarations/" + itoa(d.ID) + "/routing")
			if res.Code != http.StatusOK {
				t.Fatalf("%d %s", res.Code, res.Body)
			}
			if err := json.Unmarshal(res.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
		}
		read()
		if !out.Match || out.Lane != dec.Lane || len(out.Decisions) != 1 || out.Decisions[0].Seed != "8765432101234" ||
			out.Decisions[0].Replayed.Lane != dec.Lane || len(out.Decisions[0].Hits) != 1 {
			t.Fatalf("%+v", out)
		}
		db.Model(&models.CustomsDecision{}).Where("id = ?", dec.ID).Update("draw", dec.Draw+1)
		read()
		if out.Match || out.Decisions[0].Match {
			t.Fatalf("tampered draw matches: %+v", out)
		}
	})
}

// TestRiskRuleAPIPublish: an invalid version is refused with the JSON path of each problem; a
// valid one is created as the active version.
func TestRiskRuleAPIPublish(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newRiskApp(t, db)
		c := a.api(t, testkit.UserAdmin)
		res := c.postJSON("/api/v1/risk-rules", `{"rules": [{"code": "K", "kind": "kg_per_carton", "lane": "yellow", "factor": "0.5",
			"name_en": "k", "name_zh": "k"}], "norms": {"95": {"kg_per_carton": "8"}}, "min_rates": {"red": 600, "yellow": 500}, "note": "bad"}`)
		var e struct {
			Error struct {
				Fields []struct{ Field string } `json:"fields"`
			} `json:"error"`
		}
		if err := json.Unmarshal(res.Body.Bytes(), &e); err != nil || res.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", res.Code, res.Body)
		}
		var fields []string
		for _, f := range e.Error.Fields {
			fields = append(fields, f.Field)
		}
		if got := strings.Join(fields, ","); got != "rules[0].factor,min_rates,norms.95" {
			t.Fatalf("fields %s", got)
		}
		res = c.postJSON("/api/v1/risk-rules", `{"rules": [{"code": "K", "kind": "kg_per_carton", "lane": "yellow", "factor": 3,
			"name_en": "k", "name_zh": "k"}], "norms": {"9503": {"kg_per_carton": "8"}}, "min_rates": {"red": 5}, "note": "good"}`)
		if res.Code != http.StatusCreated {
			t.Fatalf("%d %s", res.Code, res.Body)
		}
		res = c.get("/api/v1/risk-rules/active")
		var active struct {
			Version  int               `json:"version"`
			Active   bool              `json:"active"`
			MinRates map[string]int    `json:"min_rates"`
			Rules    []json.RawMessage `json:"rules"`
		}
		if err := json.Unmarshal(res.Body.Bytes(), &active); err != nil || active.Version != 2 || !active.Active ||
			active.MinRates["red"] != 5 || active.MinRates["yellow"] != 0 || len(active.Rules) != 1 {
			t.Fatalf("active %+v %v", active, err)
		}
	})
}
