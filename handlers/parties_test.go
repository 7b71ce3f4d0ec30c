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
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// partiesApp is the real server over the seeded world, with the seeded buyers linked to the
// merchants whose users registered them, and a service over the same database that issues API
// tokens.
type partiesApp struct {
	*app
	tokens *workflow.Service
}

func newPartiesApp(t *testing.T, db *gorm.DB) *partiesApp {
	t.Helper()
	a := newSeededApp(t, db)
	w := a.World
	for _, l := range []models.BuyerLink{
		{BuyerID: w.BuyerA.ID, MerchantID: &w.MerchantA.ID, CreatedByUserID: w.Users[testkit.UserMerchantA].ID, CreatedAt: testkit.Now},
		{BuyerID: w.BuyerB.ID, MerchantID: &w.MerchantB.ID, CreatedByUserID: w.Users[testkit.UserMerchantB].ID, CreatedAt: testkit.Now},
	} {
		if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&l).Error; err != nil {
			t.Fatal(err)
		}
	}
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(db, ref, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Policy.BcryptCost = bcrypt.MinCost
	return &partiesApp{app: a, tokens: svc}
}

// api is an API client with a bearer token of the seeded user ("" for no token).
func (a *partiesApp) api(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	if username == "" {
		return c
	}
	u := a.World.Users[username]
	actor := workflow.Actor{UserID: u.ID, Username: u.Username, Role: u.Role}
	tok, err := a.tokens.CreateAPIToken(context.Background(), actor, "parties test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}

// entrustmentOf returns the seeded entrustment with an agreement number.
func (a *partiesApp) entrustmentOf(t *testing.T, agreementNo string) models.Entrustment {
	t.Helper()
	var e models.Entrustment
	if err := a.DB.Where("agreement_no = ?", agreementNo).Take(&e).Error; err != nil {
		t.Fatal(err)
	}
	return e
}

func partyDoc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func partyJSON(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
}

// partyMatrixUsers are every seeded user and nobody ("").
var partyMatrixUsers = testkit.Everyone

// partyOutcome gives a status to some users.
type partyOutcome struct {
	status int
	users  []string
}

func partyIs(status int, users ...string) partyOutcome { return partyOutcome{status, users} }

// TestPartiesAccessMatrix: every buyer and entrustment route, page and API, read and write, for
// every seeded user and nobody, answers as the rules say: 404 for another party's record, 403
// for an action the role lacks (or an inactive business), the login page (pages) or 401 (API
// and page posts) for nobody. Rows run in order; each successful write is unique to its user.
func TestPartiesAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newPartiesApp(t, db)
		w := a.World
		ax, by := a.entrustmentOf(t, "WT-A-X"), a.entrustmentOf(t, "WT-B-Y")
		buyerA, buyerB := itoa(w.BuyerA.ID), itoa(w.BuyerB.ID)
		const (
			mA, mB, mP     = testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending
			aX, aY         = testkit.UserAgentX, testkit.UserAgentY
			cu, tx, fx, sv = testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor
			au, ad         = testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther   = http.StatusOK, http.StatusSeeOther
			created        = http.StatusCreated
			nf, forbidden  = http.StatusNotFound, http.StatusForbidden
		)
		// A new buyer per user: the document number is derived from the username.
		buyerForm := func(prefix string) func(string) url.Values {
			return func(u string) url.Values {
				return url.Values{"name": {"Buyer of " + u}, "nationality": {"TR"}, "doc_type": {"passport"},
					"doc_number": {prefix + strings.ToUpper(strings.ReplaceAll(u, "-", ""))}}
			}
		}
		// merchant-a entrusts agent Y and merchant-b agent X, in two non-overlapping periods.
		entrustForm := func(start, end string) func(string) url.Values {
			return func(u string) url.Values {
				agent := w.AgentY.ID
				if u == mB {
					agent = w.AgentX.ID
				}
				return url.Values{"agent_id": {itoa(agent)}, "agreement_no": {"M-" + u + "-" + start}, "starts_on": {start}, "ends_on": {end}}
			}
		}
		routes := []struct {
			method, path string
			form         func(user string) url.Values
			allow        []partyOutcome // users not named here get 403
		}{
			{"GET", "/buyers", nil, []partyOutcome{partyIs(ok, mA, mB, mP, aX, aY, cu, fx, au, ad)}},
			{"GET", "/buyers?q=ahmed&country=AE", nil, []partyOutcome{partyIs(ok, mA, mB, mP, aX, aY, cu, fx, au, ad)}},
			{"GET", "/buyers/new", nil, []partyOutcome{partyIs(ok, mA, mB, mP, aX, aY)}},
			{"POST", "/buyers", buyerForm("U"), []partyOutcome{partyIs(seeOther, mA, mB, aX, aY)}},
			{"GET", "/buyers/" + buyerA, nil, []partyOutcome{partyIs(ok, mA, cu, fx, au, ad), partyIs(nf, mB, mP, aX, aY)}},
			{"GET", "/buyers/" + buyerB, nil, []partyOutcome{partyIs(ok, mB, cu, fx, au, ad), partyIs(nf, mA, mP, aX, aY)}},
			{"GET", "/buyers/999999", nil, []partyOutcome{partyIs(nf, mA, mB, mP, aX, aY, cu, fx, au, ad)}},
			{"GET", "/buyers/" + buyerA + "/edit", nil, []partyOutcome{partyIs(ok, mA), partyIs(nf, mB, mP, aX, aY)}},
			{"POST", "/buyers/" + buyerA + "/edit", func(string) url.Values { return url.Values{"version": {"1"}, "phone": {"+971 50 123 4567"}} },
				[]partyOutcome{partyIs(seeOther, mA), partyIs(nf, mB, mP, aX, aY)}},
			{"GET", "/entrustments", nil, []partyOutcome{partyIs(ok, mA, mB, mP, aX, aY, au, ad)}},
			{"GET", "/entrustments/new", nil, []partyOutcome{partyIs(ok, mA, mB, mP)}},
			{"POST", "/entrustments", entrustForm("2027-01-01", "2027-06-30"), []partyOutcome{partyIs(seeOther, mA, mB)}},
			{"GET", "/entrustments/" + itoa(ax.ID), nil, []partyOutcome{partyIs(ok, mA, aX, au, ad), partyIs(nf, mB, mP, aY)}},
			{"GET", "/entrustments/" + itoa(by.ID), nil, []partyOutcome{partyIs(ok, mB, aY, au, ad), partyIs(nf, mA, mP, aX)}},
			{"POST", "/entrustments/" + itoa(ax.ID) + "/end", func(string) url.Values { return url.Values{"reason": {"test"}} },
				[]partyOutcome{partyIs(seeOther, mA), partyIs(nf, mB, mP)}},

			{"GET", "/api/v1/buyers", nil, []partyOutcome{partyIs(ok, mA, mB, mP, aX, aY, cu, fx, au, ad)}},
			{"POST", "/api/v1/buyers", buyerForm("API"), []partyOutcome{partyIs(created, mA, mB, aX, aY)}},
			{"GET", "/api/v1/buyers/" + buyerA, nil, []partyOutcome{partyIs(ok, mA, cu, fx, au, ad), partyIs(nf, mB, mP, aX, aY)}},
			{"GET", "/api/v1/buyers/" + buyerB, nil, []partyOutcome{partyIs(ok, mB, cu, fx, au, ad), partyIs(nf, mA, mP, aX, aY)}},
			{"GET", "/api/v1/entrustments", nil, []partyOutcome{partyIs(ok, mA, mB, mP, aX, aY, au, ad)}},
			{"POST", "/api/v1/entrustments", entrustForm("2027-07-01", ""), []partyOutcome{partyIs(created, mA, mB)}},
			{"GET", "/api/v1/entrustments/" + itoa(ax.ID), nil, []partyOutcome{partyIs(ok, mA, aX, au, ad), partyIs(nf, mB, mP, aY)}},
			{"GET", "/api/v1/entrustments/" + itoa(by.ID), nil, []partyOutcome{partyIs(ok, mB, aY, au, ad), partyIs(nf, mA, mP, aX)}},
			{"POST", "/api/v1/entrustments/" + itoa(by.ID) + "/end", func(string) url.Values { return url.Values{"reason": {"test"}} },
				[]partyOutcome{partyIs(ok, mB), partyIs(nf, mA, mP)}},
		}
		pages := map[string]*client{}
		apis := map[string]*client{}
		for _, u := range partyMatrixUsers {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.api(t, "")
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.api(t, u)
		}
		for _, r := range routes {
			isAPI := strings.HasPrefix(r.path, "/api/")
			for _, u := range partyMatrixUsers {
				want := forbidden
				for _, o := range r.allow {
					for _, name := range o.users {
						if name == u {
							want = o.status
						}
					}
				}
				switch {
				case u == "" && !isAPI && r.method == "GET":
					want = seeOther // to the login page
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
					if id, ok := body["agent_id"]; ok {
						var n int64
						_, _ = fmt.Sscan(id.(string), &n)
						body["agent_id"] = n
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
	})
}

// TestBuyerRegisterPage: the form in both languages, a registration, its masked list row and
// its full detail page.
func TestBuyerRegisterPage(t *testing.T) {
	a := newPartiesApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserMerchantA)

	for _, tt := range []struct{ name, lang, h1, ae, first string }{
		{"OKEnglish", "en", "Register a buyer", "United Arab Emirates (AE)", "Afghanistan (AF)"},
		{"OKChinese", "zh-CN", "登记采购商", "阿联酋 (AE)", "阿尔巴尼亚 (AL)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.lang = tt.lang
			c.cookies["mpt_lang"] = &http.Cookie{Name: "mpt_lang", Value: tt.lang}
			rec := c.get("/buyers/new")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			d := partyDoc(t, rec)
			if got := strings.TrimSpace(d.Find("h1").Text()); got != tt.h1 {
				t.Errorf("h1 %q, want %q", got, tt.h1)
			}
			if got := d.Find(`select[name=nationality] option[value=AE]`).Text(); got != tt.ae {
				t.Errorf("AE option %q, want %q", got, tt.ae)
			}
			if got := d.Find(`select[name=nationality] option`).Eq(1).Text(); got != tt.first {
				t.Errorf("first country %q, want %q", got, tt.first)
			}
			if v, _ := d.Find(`select[name=nationality] option`).First().Attr("value"); v != "" {
				t.Errorf("first option is %q, want the empty choice", v)
			}
			if d.Find(`form[action="/buyers"] input[name=_csrf]`).Length() != 1 {
				t.Error("no CSRF field")
			}
			noRawMessageIDs(t, d)
		})
	}
	c.lang = "en"
	c.cookies["mpt_lang"] = &http.Cookie{Name: "mpt_lang", Value: "en"}

	rec := c.post("/buyers", url.Values{"name": {" Maria  González "}, "nationality": {"ES"}, "doc_type": {"passport"},
		"doc_number": {"paa-123 456"}, "phone": {"+34 600 123 456"}, "email": {"maria@example.com"}})
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/buyers/") {
		t.Fatalf("register: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	loc := rec.Header().Get("Location")
	d := partyDoc(t, c.get(loc))
	if got := d.Find(".flash").Text(); got != "Buyer registered" {
		t.Errorf("flash %q", got)
	}
	if got := d.Find("h1.buyer-name").Text(); got != "Maria González" {
		t.Errorf("name %q", got)
	}
	if got := d.Find("dd.doc code").Text(); got != "PAA123456" {
		t.Errorf("detail document %q, want it in full", got)
	}
	if got := strings.TrimSpace(d.Find("dd.nationality").Text()); got != "Spain (ES)" {
		t.Errorf("nationality %q", got)
	}
	if d.Find("a.buyer-edit").Length() != 1 {
		t.Error("the registrar sees no edit link")
	}
	if d.Find("table.buyer-parties").Length() != 0 {
		t.Error("a merchant sees who else lists the buyer")
	}

	d = partyDoc(t, c.get("/buyers"))
	rows := d.Find("table.buyers tbody tr")
	if rows.Length() != 2 {
		t.Fatalf("%d rows, want 2", rows.Length())
	}
	docs := rows.Find("code.doc").Map(func(_ int, s *goquery.Selection) string { return s.Text() })
	if strings.Join(docs, ",") != "P12****67,PAA****56" {
		t.Errorf("masked documents %v", docs)
	}
	if strings.Contains(d.Text(), "PAA123456") || strings.Contains(d.Text(), "P1234567") {
		t.Error("the list shows a document number in full")
	}
	d = partyDoc(t, c.get("/buyers?q=paa&country=ES"))
	if n := d.Find("table.buyers tbody tr").Length(); n != 1 {
		t.Errorf("search: %d rows, want 1", n)
	}
	d = partyDoc(t, c.get("/buyers?q=nobody"))
	if d.Find("p.empty").Length() != 1 {
		t.Error("an empty search shows no message")
	}
}

// noRawMessageIDs fails when a page shows a catalog id instead of its text.
func noRawMessageIDs(t *testing.T, d *goquery.Document) {
	t.Helper()
	raw := regexp.MustCompile(`\b(buyer|entrustment|party)\.[a-z_]+(\.[a-z_]+)*\b`)
	if m := raw.FindString(d.Find("main").Text()); m != "" {
		t.Errorf("page shows the message id %q", m)
	}
	d.Find("main [aria-label], main option, main label").Each(func(_ int, s *goquery.Selection) {
		if m := raw.FindString(s.AttrOr("aria-label", "") + s.Text()); m != "" {
			t.Errorf("page shows the message id %q", m)
		}
	})
}

func TestBuyerFormErrorsKeepValues(t *testing.T) {
	a := newPartiesApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserAgentX)
	tests := []struct {
		name   string
		form   url.Values
		fields []string
	}{
		{"ErrNationality", url.Values{"name": {"Ali"}, "nationality": {"XX"}, "doc_number": {"A1234567"}}, []string{"nationality"}},
		{"ErrRequired", url.Values{"name": {""}, "nationality": {""}, "doc_number": {""}, "email": {"ali@example.com"}}, []string{"name", "nationality", "doc_number"}},
		{"ErrDocumentAndEmail", url.Values{"name": {"Ali"}, "nationality": {"TR"}, "doc_number": {"A12/4567"}, "email": {"ali-at-example"}}, []string{"doc_number", "email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := c.post("/buyers", tt.form)
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", rec.Code)
			}
			d := partyDoc(t, rec)
			for _, f := range tt.fields {
				if strings.TrimSpace(d.Find("#f-"+f+"-error").Text()) == "" {
					t.Errorf("no error shown for %s", f)
				}
				if v, _ := d.Find("[name=" + f + "]").Attr("aria-invalid"); v != "true" {
					t.Errorf("%s not marked invalid", f)
				}
			}
			if got, _ := d.Find("input[name=name]").Attr("value"); got != tt.form.Get("name") {
				t.Errorf("name not kept: %q", got)
			}
			if got, _ := d.Find("input[name=email]").Attr("value"); got != tt.form.Get("email") {
				t.Errorf("email not kept: %q", got)
			}
			if d.Find(".form-error").Length() == 0 {
				t.Error("no summary of the errors")
			}
		})
	}
	if n := a.DB.Model(&models.Buyer{}).Where("name = ?", "Ali").Find(&[]models.Buyer{}).RowsAffected; n != 0 {
		t.Errorf("%d buyers saved from invalid forms", n)
	}
}

// TestBuyerRegisterExistingLinks: registering a person already registered by another merchant
// links them, keeps their data, and says so.
func TestBuyerRegisterExistingLinks(t *testing.T) {
	a := newPartiesApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserMerchantB)
	if rec := c.get("/buyers/" + itoa(a.World.BuyerA.ID)); rec.Code != http.StatusNotFound {
		t.Fatalf("before linking: %d, want 404", rec.Code)
	}
	rec := c.post("/buyers", url.Values{"name": {"Somebody Else"}, "nationality": {"ae"}, "doc_type": {"passport"}, "doc_number": {"p 123-4567"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/buyers/"+itoa(a.World.BuyerA.ID) {
		t.Fatalf("register existing: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	d := partyDoc(t, c.get(rec.Header().Get("Location")))
	if got := d.Find(".flash").Text(); !strings.Contains(got, "already registered") || !strings.Contains(got, "now in your list") {
		t.Errorf("flash %q", got)
	}
	if got := d.Find("h1.buyer-name").Text(); got != a.World.BuyerA.Name {
		t.Errorf("name %q: the existing buyer's data must be kept", got)
	}
	if d.Find("a.buyer-edit").Length() != 0 {
		t.Error("a merchant that did not register the buyer may edit it")
	}
	if rec := c.get("/buyers/" + itoa(a.World.BuyerA.ID) + "/edit"); rec.Code != http.StatusForbidden {
		t.Errorf("edit by a linked non-registrar: %d, want 403", rec.Code)
	}
	var n int64
	a.DB.Model(&models.Buyer{}).Where("nationality = 'AE'").Count(&n)
	if n != 1 {
		t.Errorf("%d AE buyers, want 1", n)
	}
	// The officer's view lists both merchants.
	d = partyDoc(t, a.as(t, testkit.UserCustoms).get("/buyers/"+itoa(a.World.BuyerA.ID)))
	if rows := d.Find("table.buyer-parties tbody tr").Length(); rows != 2 {
		t.Errorf("customs sees %d listing parties, want 2", rows)
	}
}

// TestBuyerInputCannotSetOwner: ids, owners, versions and flags in the input are ignored, on
// the page and in the API.
func TestBuyerInputCannotSetOwner(t *testing.T) {
	a := newPartiesApp(t, dbtest.SQLite(t))
	w := a.World
	c := a.as(t, testkit.UserMerchantA)
	rec := c.post("/buyers", url.Values{"name": {"Owner Test"}, "nationality": {"FR"}, "doc_number": {"FR0001111"},
		"id": {"777"}, "ID": {"777"}, "version": {"9"}, "created_by_user_id": {itoa(w.Users[testkit.UserMerchantB].ID)},
		"merchant_id": {itoa(w.MerchantB.ID)}, "agent_id": {itoa(w.AgentX.ID)}, "watch_listed": {"true"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d", rec.Code)
	}
	body := `{"id": 778, "name": "Owner Test 2", "nationality": "FR", "doc_number": "FR0002222", "version": 9,
		"created_by_user_id": 1, "merchant_id": ` + itoa(w.MerchantB.ID) + `, "watch_listed": true, "created_at": "2020-01-01T00:00:00Z"}`
	if rec := a.api(t, testkit.UserMerchantA).postJSON("/api/v1/buyers", body); rec.Code != http.StatusCreated {
		t.Fatalf("api status %d: %s", rec.Code, rec.Body)
	}
	for _, doc := range []string{"FR0001111", "FR0002222"} {
		var b models.Buyer
		if err := a.DB.Where("doc_number = ?", doc).Take(&b).Error; err != nil {
			t.Fatal(err)
		}
		if b.ID == 777 || b.ID == 778 || b.Version != 1 || b.WatchListed || b.CreatedByUserID == nil ||
			*b.CreatedByUserID != w.Users[testkit.UserMerchantA].ID || !b.CreatedAt.Equal(testkit.Now) {
			t.Errorf("%s: input set protected fields: %+v", doc, b)
		}
		var links []models.BuyerLink
		a.DB.Where("buyer_id = ?", b.ID).Find(&links)
		if len(links) != 1 || links[0].MerchantID == nil || *links[0].MerchantID != w.MerchantA.ID || links[0].AgentID != nil {
			t.Errorf("%s: links %+v, want only merchant A's", doc, links)
		}
	}
	// Entrustments: the merchant is always the caller's own.
	rec = c.post("/entrustments", url.Values{"agent_id": {itoa(w.AgentY.ID)}, "agreement_no": {"OWN-1"}, "starts_on": {"2026-12-01"},
		"merchant_id": {itoa(w.MerchantB.ID)}, "id": {"555"}, "version": {"7"}, "ended_at": {"2026-01-01T00:00:00Z"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("entrust: %d %s", rec.Code, rec.Body)
	}
	var e models.Entrustment
	if err := a.DB.Where("agreement_no = 'OWN-1'").Take(&e).Error; err != nil {
		t.Fatal(err)
	}
	if e.ID == 555 || e.MerchantID != w.MerchantA.ID || e.Version != 1 || e.EndedAt != nil {
		t.Errorf("entrustment input set protected fields: %+v", e)
	}
}

func TestBuyerEditContact(t *testing.T) {
	a := newPartiesApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserMerchantA)
	path := "/buyers/" + itoa(a.World.BuyerA.ID) + "/edit"
	d := partyDoc(t, c.get(path))
	if d.Find("dl.buyer-identity input, form.buyer-contact-form input[name=name], form.buyer-contact-form input[name=doc_number]").Length() != 0 {
		t.Error("identity fields are editable")
	}
	if !strings.Contains(d.Find(".identity-locked").Text(), "cannot be changed") {
		t.Error("the page does not say the identity cannot be changed")
	}
	if v, _ := d.Find("input[name=version]").Attr("value"); v != "1" {
		t.Errorf("version %q", v)
	}
	tests := []struct {
		name   string
		form   url.Values
		status int
	}{
		{"ErrEmail", url.Values{"version": {"1"}, "email": {"not-an-address"}, "name": {"Hacker"}}, http.StatusUnprocessableEntity},
		{"OK", url.Values{"version": {"1"}, "phone": {"+971 50 123 4567"}, "email": {"ahmed@example.ae"}, "name": {"Hacker"}, "doc_number": {"X1"}}, http.StatusSeeOther},
		{"ErrStaleVersion", url.Values{"version": {"1"}, "phone": {"+971 50 000 0000"}}, http.StatusConflict},
		{"ErrVersionMissing", url.Values{"phone": {"+971 50 000 0000"}}, http.StatusUnprocessableEntity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := c.post(path, tt.form)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %.300s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == http.StatusUnprocessableEntity {
				if got, _ := partyDoc(t, rec).Find("input[name=email]").Attr("value"); got != tt.form.Get("email") {
					t.Errorf("email not kept: %q", got)
				}
			}
		})
	}
	d = partyDoc(t, c.get("/buyers/"+itoa(a.World.BuyerA.ID)))
	if got := d.Find("dd.phone").Text(); got != "+971 50 123 4567" {
		t.Errorf("phone %q", got)
	}
	if got := d.Find("h1.buyer-name").Text(); got != a.World.BuyerA.Name {
		t.Errorf("name changed to %q", got)
	}
}

func TestEntrustmentPages(t *testing.T) {
	a := newPartiesApp(t, dbtest.SQLite(t))
	w := a.World
	c := a.as(t, testkit.UserMerchantA)

	d := partyDoc(t, c.get("/entrustments/new"))
	if got := d.Find("select[name=agent_id] option").Length(); got != 3 {
		t.Errorf("%d agent options, want the empty choice and 2 agents", got)
	}
	if v, _ := d.Find("input[name=starts_on]").Attr("value"); v != "2026-11-29" {
		t.Errorf("start date defaults to %q, want today", v)
	}
	if typ, _ := d.Find("input[name=starts_on]").Attr("type"); typ != "date" {
		t.Errorf("start date input type %q", typ)
	}
	noRawMessageIDs(t, d)

	form := url.Values{"agent_id": {itoa(w.AgentY.ID)}, "agreement_no": {"WT-2026-A-Y"}, "starts_on": {"2026-12-10"}, "ends_on": {"2026-12-01"}}
	rec := c.post("/entrustments", form)
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("end before start: %d", rec.Code)
	}
	d = partyDoc(t, rec)
	if !strings.Contains(d.Find("#f-ends_on-error").Text(), "before the start") {
		t.Errorf("end date error %q", d.Find("#f-ends_on-error").Text())
	}
	if v, _ := d.Find("select[name=agent_id] option[selected]").Attr("value"); v != itoa(w.AgentY.ID) {
		t.Errorf("chosen agent not kept: %q", v)
	}
	if v, _ := d.Find("input[name=agreement_no]").Attr("value"); v != "WT-2026-A-Y" {
		t.Errorf("agreement not kept: %q", v)
	}

	rec = c.post("/entrustments", url.Values{"agent_id": {itoa(w.AgentX.ID)}, "agreement_no": {"X-2"}, "starts_on": {"2026-12-01"}})
	if rec.Code != http.StatusUnprocessableEntity || partyDoc(t, rec).Find("#f-agent_id-error").Length() != 1 {
		t.Errorf("second open entrustment to the same agent: %d", rec.Code)
	}
	rec = c.post("/entrustments", url.Values{"agent_id": {itoa(w.AgentX.ID)}, "agreement_no": {"WT-A-X"}, "starts_on": {"2028-01-01"}})
	if rec.Code != http.StatusUnprocessableEntity || partyDoc(t, rec).Find("#f-agreement_no-error").Length() != 1 {
		t.Errorf("agreement number taken: %d", rec.Code)
	}

	form.Set("ends_on", "")
	rec = c.post("/entrustments", form)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("entrust: %d %.300s", rec.Code, rec.Body)
	}
	loc := rec.Header().Get("Location")
	d = partyDoc(t, c.get(loc))
	if got := d.Find(".flash").Text(); got != "Entrustment recorded" {
		t.Errorf("flash %q", got)
	}
	if st, _ := d.Find("p.state").Attr("data-state"); st != workflow.EntrustmentUpcoming {
		t.Errorf("state %q, want upcoming", st)
	}
	if d.Find("section.entrustment-end form").Length() != 1 {
		t.Fatal("no end form for the owner")
	}

	rec = c.post(loc+"/end", url.Values{"reason": {"  "}})
	if rec.Code != http.StatusUnprocessableEntity || strings.TrimSpace(partyDoc(t, rec).Find("#f-reason-error").Text()) == "" {
		t.Errorf("end without reason: %d", rec.Code)
	}
	if rec = c.post(loc+"/end", url.Values{"reason": {"Signed with another agent"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("end: %d", rec.Code)
	}
	d = partyDoc(t, c.get(loc))
	if got := d.Find("dd.end-reason").Text(); got != "Signed with another agent" {
		t.Errorf("reason %q", got)
	}
	if d.Find("section.entrustment-end").Length() != 0 {
		t.Error("an ended entrustment still offers the end form")
	}
	if rec = c.post(loc+"/end", url.Values{"reason": {"again"}}); rec.Code != http.StatusConflict {
		t.Errorf("end twice: %d, want 409", rec.Code)
	}

	// The list, in Chinese, for the agent entrusted by merchant A.
	ag := a.as(t, testkit.UserAgentX)
	ag.lang = "zh-CN"
	ag.cookies["mpt_lang"] = &http.Cookie{Name: "mpt_lang", Value: "zh-CN"}
	d = partyDoc(t, ag.get("/entrustments"))
	if got := strings.TrimSpace(d.Find("h1").Text()); got != "委托代理" {
		t.Errorf("h1 %q", got)
	}
	if rows := d.Find("table.entrustments tbody tr"); rows.Length() != 1 || rows.Find("td.state strong").Text() != "有效" {
		t.Errorf("agent X rows: %d, state %q", rows.Length(), rows.Find("td.state strong").Text())
	}
	if d.Find("a.entrustment-new").Length() != 0 {
		t.Error("an agent is offered to create entrustments")
	}
	noRawMessageIDs(t, d)
}

func TestBuyerAndEntrustmentAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newPartiesApp(t, db)
		w := a.World
		ma, mb := a.api(t, testkit.UserMerchantA), a.api(t, testkit.UserMerchantB)

		rec := ma.postJSON("/api/v1/buyers", `{"name": "Kofi Mensah", "nationality": "GH", "doc_type": "passport", "doc_number": "g-123 4567", "phone": "+233 20 123 4567"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		var created map[string]any
		partyJSON(t, rec, &created)
		for _, k := range []string{"id", "name", "nationality", "doc_type", "doc_number", "phone", "email", "address", "version", "created_at", "updated_at", "linked_existing", "message"} {
			if _, ok := created[k]; !ok {
				t.Errorf("created buyer has no %q: %s", k, rec.Body)
			}
		}
		if created["doc_number"] != "G1234567" || created["linked_existing"] != false {
			t.Errorf("created %s", rec.Body)
		}

		rec = mb.postJSON("/api/v1/buyers", `{"name": "K. Mensah", "nationality": "GH", "doc_number": "G1234567"}`)
		var linked struct {
			ID             int64  `json:"id"`
			Name           string `json:"name"`
			LinkedExisting bool   `json:"linked_existing"`
		}
		partyJSON(t, rec, &linked)
		if rec.Code != http.StatusOK || !linked.LinkedExisting || linked.Name != "Kofi Mensah" || float64(linked.ID) != created["id"] {
			t.Errorf("link existing: %d %s", rec.Code, rec.Body)
		}

		rec = ma.postJSON("/api/v1/buyers", `{"name": "Bad", "nationality": "GHA", "doc_number": "G7654321"}`)
		var bad struct {
			Error struct {
				Code   string `json:"code"`
				Fields []struct{ Field, Message string }
			} `json:"error"`
		}
		partyJSON(t, rec, &bad)
		if rec.Code != http.StatusUnprocessableEntity || bad.Error.Code != "invalid" || len(bad.Error.Fields) != 1 ||
			bad.Error.Fields[0].Field != "nationality" || !strings.Contains(bad.Error.Fields[0].Message, "GH") {
			t.Errorf("invalid nationality: %d %s", rec.Code, rec.Body)
		}

		rec = ma.get("/api/v1/buyers?q=mensah")
		var list struct {
			Buyers []map[string]any `json:"buyers"`
			Total  int64            `json:"total"`
			Page   int              `json:"page"`
		}
		partyJSON(t, rec, &list)
		if rec.Code != http.StatusOK || list.Total != 1 || list.Page != 1 || list.Buyers[0]["doc_number_masked"] != "G12****67" {
			t.Errorf("list: %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "G1234567") {
			t.Error("the API list shows a document number in full")
		}
		rec = ma.get("/api/v1/buyers/" + itoa(w.BuyerA.ID))
		var one map[string]any
		partyJSON(t, rec, &one)
		if rec.Code != http.StatusOK || one["doc_number"] != "P1234567" {
			t.Errorf("detail: %d %s", rec.Code, rec.Body)
		}

		rec = ma.postJSON("/api/v1/entrustments", `{"agent_id": `+itoa(w.AgentY.ID)+`, "agreement_no": "API-1", "starts_on": "2026-11-29"}`)
		var e struct {
			ID          int64   `json:"id"`
			MerchantID  int64   `json:"merchant_id"`
			AgentName   string  `json:"agent_name"`
			EndsOn      *string `json:"ends_on"`
			State       string  `json:"state"`
			AgreementNo string  `json:"agreement_no"`
		}
		partyJSON(t, rec, &e)
		if rec.Code != http.StatusCreated || e.MerchantID != w.MerchantA.ID || e.AgentName != w.AgentY.Name || e.EndsOn != nil || e.State != "in_force" {
			t.Errorf("entrust: %d %s", rec.Code, rec.Body)
		}
		rec = ma.postJSON("/api/v1/entrustments", `{"agent_id": `+itoa(w.AgentY.ID)+`, "agreement_no": "API-2", "starts_on": "2026-12-29", "ends_on": "2026-12-01"}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"ends_on"`) {
			t.Errorf("end before start: %d %s", rec.Code, rec.Body)
		}
		rec = ma.postJSON("/api/v1/entrustments/"+itoa(e.ID)+"/end", `{"reason": ""}`)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"reason"`) {
			t.Errorf("end without reason: %d %s", rec.Code, rec.Body)
		}
		rec = ma.postJSON("/api/v1/entrustments/"+itoa(e.ID)+"/end", `{"reason": "done"}`)
		partyJSON(t, rec, &e)
		if rec.Code != http.StatusOK || e.State != "ended" {
			t.Errorf("end: %d %s", rec.Code, rec.Body)
		}
		if rec = ma.postJSON("/api/v1/entrustments/"+itoa(e.ID)+"/end", `{"reason": "again"}`); rec.Code != http.StatusConflict {
			t.Errorf("end twice: %d %s", rec.Code, rec.Body)
		}
		rec = a.api(t, testkit.UserAgentY).get("/api/v1/entrustments")
		var el struct {
			Entrustments []struct {
				AgreementNo string `json:"agreement_no"`
				State       string `json:"state"`
			} `json:"entrustments"`
			Total int64 `json:"total"`
		}
		partyJSON(t, rec, &el)
		if rec.Code != http.StatusOK || el.Total != 2 || el.Entrustments[0].AgreementNo != "API-1" || el.Entrustments[0].State != "ended" {
			t.Errorf("agent Y's entrustments: %d %s", rec.Code, rec.Body)
		}
		// The API never takes the session cookie.
		page := a.as(t, testkit.UserMerchantA)
		if rec := page.get("/api/v1/buyers"); rec.Code != http.StatusUnauthorized {
			t.Errorf("API with a session cookie only: %d, want 401", rec.Code)
		}
	})
}

// TestBuyerListPaging: 30 buyers make two pages whose links keep the search.
func TestBuyerListPaging(t *testing.T) {
	a := newPartiesApp(t, dbtest.SQLite(t))
	actor := workflow.Actor{UserID: a.World.Users[testkit.UserAgentX].ID, Role: models.RoleAgent, AgentID: a.World.AgentX.ID}
	for i := range 30 {
		in := workflow.BuyerInput{Name: fmt.Sprintf("Trader %02d", i), Nationality: "IN", DocNumber: fmt.Sprintf("IN%07d", i)}
		if _, err := a.tokens.RegisterBuyer(context.Background(), actor, in); err != nil {
			t.Fatal(err)
		}
	}
	c := a.as(t, testkit.UserAgentX)
	d := partyDoc(t, c.get("/buyers?country=IN"))
	if n := d.Find("table.buyers tbody tr").Length(); n != 25 {
		t.Errorf("first page: %d rows, want 25", n)
	}
	next, _ := d.Find(`nav.pager a[rel=next]`).Attr("href")
	if next != "/buyers?country=IN&page=2" {
		t.Fatalf("next link %q", next)
	}
	d = partyDoc(t, c.get(next))
	if n := d.Find("table.buyers tbody tr").Length(); n != 5 {
		t.Errorf("second page: %d rows, want 5", n)
	}
	if prev, _ := d.Find(`nav.pager a[rel=prev]`).Attr("href"); prev != "/buyers?country=IN" {
		t.Errorf("prev link %q", prev)
	}
	if rec := c.get("/buyers?page=x"); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad page number: %d", rec.Code)
	}
	if rec := c.get("/buyers?country=IND"); rec.Code != http.StatusUnprocessableEntity || partyDoc(t, rec).Find("#f-country-error").Length() != 1 {
		t.Errorf("bad country: %d", rec.Code)
	}
}
