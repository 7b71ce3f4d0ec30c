package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
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
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// customsApp is the real server over the seeded world with a second on-duty customs officer
// (customs-2, who can log in), a data directory for documents, and the service behind it.
type customsApp struct {
	*app
	svc *workflow.Service
}

const customsUser2 = "customs-2"

func newCustomsApp(t *testing.T, db *gorm.DB) *customsApp {
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
	a := &customsApp{app: &app{Server: s, World: testkit.Seed(t, db), DB: db}, svc: svc}
	hash, _ := bcrypt.GenerateFromPassword([]byte(testkit.Password), bcrypt.MinCost)
	u := models.User{Username: customsUser2, DisplayName: "Officer Two", PasswordHash: string(hash), Role: models.RoleCustoms,
		Lang: "en", OnDuty: true, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	a.World.Users[customsUser2] = u
	return a
}

func (a *customsApp) actor(t *testing.T, name string) workflow.Actor {
	return servicetest.Actor(t, a.World, name)
}

// lane publishes rules sending every declaration of the default trade to a lane (none for green).
func (a *customsApp) lane(t *testing.T, lane string) {
	t.Helper()
	rules := `{"rules": []}`
	if lane != workflow.LaneGreen {
		rules = fmt.Sprintf(`{"rules": [{"code": "T", "kind": "hs_prefix", "lane": %q, "prefixes": ["95", "39"], "name_en": "t", "name_zh": "t"}]}`, lane)
	}
	if _, err := a.svc.PublishRuleSet(context.Background(), a.actor(t, testkit.UserAdmin), workflow.RuleSetInput{RulesJSON: rules,
		MinRates: map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "test " + lane}); err != nil {
		t.Fatal(err)
	}
}

func (a *customsApp) submitted(t *testing.T) models.Declaration {
	t.Helper()
	return servicetest.Submitted(t, a.svc, a.DB, a.World, servicetest.TradeSpec{}).Declaration
}

// accepted is a declaration accepted by an officer in a lane.
func (a *customsApp) accepted(t *testing.T, lane, officer string) models.Declaration {
	t.Helper()
	a.lane(t, lane)
	d := a.submitted(t)
	if _, err := a.svc.AcceptDeclaration(context.Background(), a.actor(t, officer), d.ID, 0); err != nil {
		t.Fatal(err)
	}
	return d
}

func (a *customsApp) release(t *testing.T, id int64) {
	t.Helper()
	if _, err := a.svc.ReleaseDeclaration(context.Background(), a.actor(t, testkit.UserCustoms), id, 0); err != nil {
		t.Fatal(err)
	}
}

func (a *customsApp) api(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	if username == "" {
		return c
	}
	tok, err := a.svc.CreateAPIToken(context.Background(), a.actor(t, username), "customs test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}

func (a *customsApp) inspectionOf(t *testing.T, declID int64) models.Inspection {
	t.Helper()
	var ins models.Inspection
	if err := a.DB.Where("declaration_id = ?", declID).Order("id DESC").Take(&ins).Error; err != nil {
		t.Fatal(err)
	}
	return ins
}

var customsPDFBytes = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

var customsSigned = url.Values{"signer_name": {"王小明"}, "signer_role": {"报关员"}, "statement": {"true"}}

func customsForm(base url.Values, kv ...string) url.Values {
	v := url.Values{}
	for k, vs := range base {
		v[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

// TestCustomsAccessMatrix: every customs route, page and API, for every seeded user and nobody:
// the desk and its steps are customs only (403 for tax, FX, market supervision, merchants,
// agents, auditors and admins); the inspection result is the assigned inspector's; the agent's
// upload and fix are its own (404 for the other agent); a declaration's documents are read by
// its agent, its merchants, customs, auditors and admins (404 for the other merchant and agent,
// 403 for the other officers). Nobody gets the login page on a page, 401 on a post or the API.
// Rows run in order; each write succeeds once, last.
func TestCustomsAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newCustomsApp(t, db)
		ctx := context.Background()
		const (
			mA, mB, mP     = testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending
			aX, aY         = testkit.UserAgentX, testkit.UserAgentY
			cu, tx, fx, sv = testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor
			au, adm        = testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther   = http.StatusOK, http.StatusSeeOther
			nf             = http.StatusNotFound
		)
		a.lane(t, workflow.LaneGreen)
		toAccept, toReject, apiAccept, apiReject := a.submitted(t), a.submitted(t), a.submitted(t), a.submitted(t)
		toRelease, toRequest := a.accepted(t, workflow.LaneGreen, cu), a.accepted(t, workflow.LaneGreen, cu)
		apiRelease := a.accepted(t, workflow.LaneGreen, cu)
		toExit, apiExit := a.accepted(t, workflow.LaneGreen, cu), a.accepted(t, workflow.LaneGreen, cu)
		a.release(t, toExit.ID)
		a.release(t, apiExit.ID)
		toAudit := a.accepted(t, workflow.LaneBlue, cu)
		a.release(t, toAudit.ID)
		docs := a.accepted(t, workflow.LaneYellow, cu)
		up, err := a.svc.UploadDeclarationDocuments(ctx, a.actor(t, aX), docs.ID, workflow.CustomsDocContract,
			[]workflow.DocumentUpload{{FileName: "合同.pdf", Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(customsPDFBytes))), nil }}})
		if err != nil {
			t.Fatal(err)
		}
		red := a.accepted(t, workflow.LaneRed, customsUser2) // the inspector is customs, the only other officer on duty
		ins := a.inspectionOf(t, red.ID)
		if ins.InspectorUserID != a.World.Users[cu].ID {
			t.Fatalf("inspector %d", ins.InspectorUserID)
		}
		a.lane(t, workflow.LaneGreen)
		toFix, apiFix := a.submitted(t), a.submitted(t)
		for _, d := range []models.Declaration{toFix, apiFix} {
			if _, err := a.svc.RejectDeclaration(ctx, a.actor(t, cu), d.ID, workflow.RejectInput{Reasons: []workflow.RejectionInput{{Code: "R01"}}}); err != nil {
				t.Fatal(err)
			}
		}
		id := func(d models.Declaration) string { return itoa(d.ID) }
		doc := "/declarations/" + id(docs) + "/documents/" + itoa(up[0].ID)
		readers := []string{aX, mA, cu, au, adm}
		routes := []struct {
			method, path string
			form         url.Values
			json         string
			upload       bool
			allow        []goodsOutcome // users not named get 403
		}{
			{"GET", "/customs", nil, "", false, []goodsOutcome{goodsIs(ok, cu)}},
			{"GET", "/customs?stage=post_audit&page=1", nil, "", false, []goodsOutcome{goodsIs(ok, cu)}},
			{"GET", "/customs/inspections", nil, "", false, []goodsOutcome{goodsIs(ok, cu)}},
			{"GET", doc, nil, "", false, []goodsOutcome{goodsIs(ok, readers...), goodsIs(nf, aY, mB, mP)}},
			{"GET", "/declarations/" + id(toFix) + "/documents/" + itoa(up[0].ID), nil, "", false, []goodsOutcome{goodsIs(nf, readers...), goodsIs(nf, aY, mB, mP)}},
			{"GET", "/declarations/" + id(toFix) + "/fix", nil, "", false, []goodsOutcome{goodsIs(ok, aX), goodsIs(nf, aY)}},
			{"POST", "/customs/declarations/" + id(toAccept) + "/accept", url.Values{}, "", false, []goodsOutcome{goodsIs(seeOther, cu)}},
			{"POST", "/customs/declarations/" + id(toRequest) + "/request-documents", url.Values{"request_text": {"the order"}}, "", false, []goodsOutcome{goodsIs(seeOther, cu)}},
			{"POST", "/customs/declarations/" + id(toRelease) + "/release", url.Values{}, "", false, []goodsOutcome{goodsIs(seeOther, cu)}},
			{"POST", "/customs/declarations/" + id(toExit) + "/exit", url.Values{"exit_date": {"2026-11-29"}}, "", false, []goodsOutcome{goodsIs(seeOther, cu)}},
			{"POST", "/customs/declarations/" + id(toReject) + "/reject", url.Values{"reasons": {"R02"}}, "", false, []goodsOutcome{goodsIs(seeOther, cu)}},
			{"POST", "/customs/declarations/" + id(toAudit) + "/post-audit", url.Values{"result": {"conform"}}, "", false, []goodsOutcome{goodsIs(seeOther, cu)}},
			{"POST", "/customs/inspections/" + itoa(ins.ID), url.Values{"result": {"conform"}}, "", false, []goodsOutcome{goodsIs(seeOther, cu)}},
			{"POST", "/declarations/" + id(docs) + "/documents", nil, "", true, []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/declarations/" + id(toFix) + "/fix", customsForm(customsSigned, "destination_port", "Dubai"), "", false, []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},

			{"GET", "/api/v1/customs/queue", nil, "", false, []goodsOutcome{goodsIs(ok, cu)}},
			{"POST", "/api/v1/customs/declarations/" + id(apiAccept) + "/accept", nil, `{}`, false, []goodsOutcome{goodsIs(ok, cu)}},
			{"POST", "/api/v1/customs/declarations/" + id(apiRelease) + "/release", nil, `{}`, false, []goodsOutcome{goodsIs(ok, cu)}},
			{"POST", "/api/v1/customs/declarations/" + id(apiExit) + "/exit", nil, `{"exit_date":"2026-11-29"}`, false, []goodsOutcome{goodsIs(ok, cu)}},
			{"POST", "/api/v1/customs/declarations/" + id(apiReject) + "/reject", nil, `{"reasons":[{"code":"R03"}]}`, false, []goodsOutcome{goodsIs(ok, cu)}},
			{"POST", "/api/v1/declarations/" + id(apiFix) + "/fix", nil,
				`{"values":{"destination_port":"Dubai"},"signer_name":"王","signer_role":"报关员","statement":true}`, false, []goodsOutcome{goodsIs(nf, aY), goodsIs(ok, aX)}},
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
			var order []string
			for _, o := range r.allow {
				for _, u := range o.users {
					want[u] = o.status
					order = append(order, u)
				}
			}
			for _, u := range testkit.Everyone {
				if _, named := want[u]; !named {
					order = append([]string{u}, order...)
				}
			}
			for _, u := range order {
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
				case r.upload:
					res := c.upload(r.path, map[string]string{"kind": "packing"}, "files", map[string][]byte{"装箱单.pdf": customsPDFBytes})
					code, body = res.Code, res.Body.String()
				default:
					res := c.post(r.path, customsForm(r.form))
					code, body = res.Code, res.Body.String()
				}
				if code != exp {
					t.Errorf("%s %s as %q: %d, want %d: %.300s", r.method, r.path, u, code, exp, body)
				}
			}
		}
	})
}

// TestCustomsDeskPages: the officer's queue with its tabs and counts; the red lane through the
// pages (accept, the inspector's list and result with its field errors, the inspector refused
// the release, another officer releasing, exit with a bad then a good date); a rejection from
// the declaration page, the agent's fix view with the original value next to the input, an
// incomplete fix kept with its errors, the resubmission shown old and new; in both languages.
func TestCustomsDeskPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newCustomsApp(t, db)
		a.lane(t, workflow.LaneRed)
		d := a.submitted(t)
		path := "/declarations/" + itoa(d.ID)
		officer2 := a.as(t, customsUser2)
		inspector := a.as(t, testkit.UserCustoms)

		q := goodsDoc(t, officer2.get("/customs"))
		if q.Find("a.customs-tab[aria-current=page]").AttrOr("data-stage", "") != "submitted" ||
			!strings.Contains(q.Find(`a.customs-tab[data-stage=submitted]`).Text(), "(1)") {
			t.Errorf("queue tabs: %s", q.Find("nav.customs-tabs").Text())
		}
		if href, _ := q.Find("tr.queue-row a").First().Attr("href"); href != path {
			t.Errorf("queue row link %q", href)
		}
		page := goodsDoc(t, officer2.get(path))
		if page.Find("form.accept-form").Length() != 1 || page.Find("form.reject-form fieldset.reject-reason").Length() != len(workflow.RejectReasons) {
			t.Fatalf("officer forms missing on a submitted declaration")
		}
		if rec := officer2.post("/customs/declarations/"+itoa(d.ID)+"/accept", url.Values{"version": {itoa(d.Version)}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("accept: %d %s", rec.Code, rec.Body)
		}
		if rec := officer2.post("/customs/declarations/"+itoa(d.ID)+"/accept", url.Values{}); rec.Code != http.StatusConflict {
			t.Errorf("second accept: %d", rec.Code)
		}
		page = goodsDoc(t, officer2.get(path))
		entry := strings.TrimSpace(page.Find("dd.entry-no code").Text())
		if len(entry) != 18 || page.Find("dd.customs-lane mark.lane[data-lane=red]").Length() != 1 ||
			page.Find(`a.routing-link[href="`+path+`/routing"]`).Length() != 1 {
			t.Errorf("customs section: entry %q lane %q", entry, page.Find("dd.customs-lane").Text())
		}
		if page.Find("p.release-blocked").Length() != 1 || page.Find("form.release-form").Length() != 0 {
			t.Errorf("release offered before the inspection")
		}

		ins := a.inspectionOf(t, d.ID)
		list := goodsDoc(t, inspector.get("/customs/inspections"))
		if list.Find(fmt.Sprintf("article#inspection-%d form.inspect-form", ins.ID)).Length() != 1 {
			t.Fatalf("inspection not listed for its inspector")
		}
		bad := inspector.post("/customs/inspections/"+itoa(ins.ID), url.Values{"result": {"discrepancy"}, "findings": {"wrong goods"}})
		if bad.Code != http.StatusUnprocessableEntity {
			t.Fatalf("discrepancy without items: %d", bad.Code)
		}
		bd := goodsDoc(t, bad)
		if bd.Find(fmt.Sprintf("#items-%d", ins.ID)).AttrOr("aria-invalid", "") != "true" ||
			bd.Find(fmt.Sprintf("#findings-%d", ins.ID)).Text() != "wrong goods" {
			t.Errorf("inspection form errors/values not kept")
		}
		if rec := inspector.post("/customs/inspections/"+itoa(ins.ID), url.Values{"result": {"conform"}, "next": {path}}); rec.Code != http.StatusSeeOther ||
			rec.Header().Get("Location") != path {
			t.Fatalf("inspection result: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if rec := inspector.post("/customs/declarations/"+itoa(d.ID)+"/release", url.Values{}); rec.Code != http.StatusForbidden {
			t.Errorf("the inspector released: %d", rec.Code)
		}
		page = goodsDoc(t, inspector.get(path))
		if !strings.Contains(page.Find("p.release-blocked").Text(), "another officer") {
			t.Errorf("inspector's page: %q", page.Find("p.release-blocked").Text())
		}
		if rec := officer2.post("/customs/declarations/"+itoa(d.ID)+"/release", url.Values{}); rec.Code != http.StatusSeeOther {
			t.Fatalf("release: %d %s", rec.Code, rec.Body)
		}
		rec := officer2.post("/customs/declarations/"+itoa(d.ID)+"/exit", url.Values{"exit_date": {"2026-12-24"}})
		if rec.Code != http.StatusUnprocessableEntity || goodsDoc(t, rec).Find("#exit-date").AttrOr("value", "") != "2026-12-24" ||
			goodsDoc(t, rec).Find("#exit-date-error").Length() != 1 {
			t.Errorf("exit in the future: %d", rec.Code)
		}
		if rec := officer2.post("/customs/declarations/"+itoa(d.ID)+"/exit", url.Values{"exit_date": {"2026-11-29"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("exit: %d", rec.Code)
		}
		for _, lang := range []string{"en", "zh-CN"} {
			goodsLang(t, officer2, lang)
			page = goodsDoc(t, officer2.get(path))
			var kinds []string
			page.Find("ol.declaration-timeline li.event").Each(func(_ int, s *goquery.Selection) { kinds = append(kinds, s.AttrOr("data-kind", "")) })
			want := "generated,submitted,accepted,routed,inspection_assigned,inspected,released,exited"
			if strings.Join(kinds, ",") != want {
				t.Errorf("%s: timeline %v", lang, kinds)
			}
			lane, exit := page.Find("dd.customs-lane mark.lane").Text(), page.Find("ol.declaration-timeline li[data-kind=exited]").Text()
			wantLane, wantExit := "Red", "exit date 2026-11-29"
			if lang == "zh-CN" {
				wantLane, wantExit = "红色", "结关日期 2026-11-29"
			}
			if lane != wantLane || !strings.Contains(exit, wantExit) {
				t.Errorf("%s: lane %q, exit %q", lang, lane, exit)
			}
		}

		// Rejection and fix through the pages.
		a.lane(t, workflow.LaneGreen)
		r := a.submitted(t)
		rpath := "/declarations/" + itoa(r.ID)
		rec = officer2.post("/customs/declarations/"+itoa(r.ID)+"/reject", url.Values{"reasons": {"R09"}})
		if rec.Code != http.StatusUnprocessableEntity || goodsDoc(t, rec).Find("#reject-R09").AttrOr("checked", "no") == "no" {
			t.Errorf("R09 without a note: %d", rec.Code)
		}
		if rec := officer2.post("/customs/declarations/"+itoa(r.ID)+"/reject", url.Values{"reasons": {"R01", "R09"},
			"note_R01": {"Dubai"}, "note_R09": {"passport copy unreadable"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("reject: %d %s", rec.Code, rec.Body)
		}
		agent := a.as(t, testkit.UserAgentX)
		goodsLang(t, agent, "en")
		rp := goodsDoc(t, agent.get(rpath))
		if rp.Find("tr.rejection-reason").Length() != 2 || rp.Find(`a.fix-link[href="`+rpath+`/fix"]`).Length() != 1 {
			t.Fatalf("rejection on the agent's page")
		}
		fix := goodsDoc(t, agent.get(rpath+"/fix"))
		reason := fix.Find("fieldset.fix-reason[data-code=R01]")
		if strings.TrimSpace(reason.Find(".fix-original").Text()) != "Jebel Ali" || reason.Find("#f-destination_port").AttrOr("value", "") != "Jebel Ali" {
			t.Errorf("fix view: original %q", reason.Find(".fix-original").Text())
		}
		rec = agent.post(rpath+"/fix", customsForm(customsSigned, "destination_port", "Dubai"))
		fd := goodsDoc(t, rec)
		if rec.Code != http.StatusUnprocessableEntity || fd.Find("#f-reply_R09").AttrOr("aria-invalid", "") != "true" ||
			fd.Find("#f-destination_port").AttrOr("value", "") != "Dubai" {
			t.Errorf("fix without the R09 answer: %d", rec.Code)
		}
		if rec := agent.post(rpath+"/fix", customsForm(customsSigned, "destination_port", "Dubai", "reply_R09", "new copy attached to the order")); rec.Code != http.StatusSeeOther {
			t.Fatalf("fix: %d %s", rec.Code, rec.Body)
		}
		rp = goodsDoc(t, agent.get(rpath))
		change := rp.Find("table.resubmission-changes tr.change[data-field=destination_port]")
		if strings.TrimSpace(change.Find("td.old del").Text()) != "Jebel Ali" || strings.TrimSpace(change.Find("td.new ins").Text()) != "Dubai" {
			t.Errorf("resubmission old/new: %q", change.Text())
		}
		if got := rp.Find("span.declaration-status").First().AttrOr("data-status", ""); got != "submitted" {
			t.Errorf("status after the fix %s", got)
		}
	})
}

// TestCustomsDocumentsPages: a yellow-lane declaration asks the agent for documents; the agent
// uploads them from the declaration page, customs downloads them, and the queue moves the
// declaration from "waiting for documents" to "documents uploaded".
func TestCustomsDocumentsPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newCustomsApp(t, db)
		d := a.accepted(t, workflow.LaneYellow, testkit.UserCustoms)
		path := "/declarations/" + itoa(d.ID)
		agent := a.as(t, testkit.UserAgentX)
		page := goodsDoc(t, agent.get(path))
		if page.Find("form.upload-form").Length() != 1 || page.Find("li.document-request").Length() != 1 {
			t.Fatalf("upload form or request missing")
		}
		rec := agent.upload(path+"/documents", map[string]string{"kind": "contract"}, "files", map[string][]byte{"a.pdf": []byte("<html>")})
		if rec.Code != http.StatusUnprocessableEntity || goodsDoc(t, rec).Find("#upload-files-error").Length() != 1 {
			t.Errorf("an HTML file: %d", rec.Code)
		}
		rec = agent.upload(path+"/documents", map[string]string{"kind": "contract"}, "files", map[string][]byte{"合同.pdf": customsPDFBytes})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("upload: %d %s", rec.Code, rec.Body)
		}
		officer := a.as(t, testkit.UserCustoms)
		q := goodsDoc(t, officer.get("/customs?stage=documents_uploaded"))
		if q.Find("tr.queue-row").AttrOr("data-id", "") != itoa(d.ID) {
			t.Errorf("documents uploaded stage: %s", q.Find("table").Text())
		}
		page = goodsDoc(t, officer.get(path))
		href, _ := page.Find("li.customs-document a").Attr("href")
		res := officer.get(href)
		if res.Code != http.StatusOK || res.Header().Get("Content-Type") != "application/pdf" || res.Body.String() != string(customsPDFBytes) {
			t.Errorf("download %s: %d %s", href, res.Code, res.Header().Get("Content-Type"))
		}
		if page.Find("form.release-form").Length() != 1 {
			t.Errorf("release not offered after the upload")
		}

		api := a.api(t, testkit.UserCustoms)
		rec = api.postJSON("/api/v1/customs/declarations/"+itoa(d.ID)+"/exit", `{"exit_date":"2026-11-29"}`)
		if rec.Code != http.StatusConflict {
			t.Errorf("exit before release: %d", rec.Code)
		}
		rec = api.postJSON("/api/v1/customs/declarations/"+itoa(d.ID)+"/reject", `{"reasons":[{"code":"R04"}]}`)
		var body struct {
			Error struct {
				Fields []struct{ Field string } `json:"fields"`
			} `json:"error"`
		}
		if rec.Code != http.StatusUnprocessableEntity || json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body.Error.Fields) == 0 ||
			body.Error.Fields[0].Field != "field_R04" {
			t.Errorf("API rejection without a field: %d %s", rec.Code, rec.Body)
		}
		rec = api.postJSON("/api/v1/customs/declarations/"+itoa(d.ID)+"/release", `{}`)
		var out struct {
			Status  string `json:"status"`
			Customs struct {
				Lane       string `json:"lane"`
				ReleasedAt string `json:"released_at"`
			} `json:"customs"`
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.Status != "released" || out.Customs.Lane != "yellow" {
			t.Errorf("API release: %d %s", rec.Code, rec.Body)
		}
	})
}
