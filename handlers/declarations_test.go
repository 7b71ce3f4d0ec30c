package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// declApp is the server over the seeded world with the November 2026 rates and helpers that
// write goods, transactions and closed consolidations straight into the database.
type declApp struct {
	*goodsApp
	seq int
}

func newDeclApp(t *testing.T, db *gorm.DB) *declApp {
	t.Helper()
	a := &declApp{goodsApp: newGoodsApp(t, db)}
	for cur, r := range map[string]models.Rate{"USD": 7_100_000, "EUR": 7_700_000} {
		a.mustCreate(t, &models.ExchangeRate{Month: "2026-11", Currency: cur, CNYPerUnit: r, CreatedAt: testkit.Now, UpdatedAt: testkit.Now})
	}
	return a
}

func (a *declApp) mustCreate(t *testing.T, v any) {
	t.Helper()
	if err := a.DB.Create(v).Error; err != nil {
		t.Fatalf("create %T: %v", v, err)
	}
}

// declLine is one line to file: goods, amount in cents of USD, cartons and net grams.
type declLine struct {
	goods   models.Goods
	amount  models.Money
	cartons int64
	net     models.Grams
}

// closedConsolidation writes a closed consolidation of agent X holding one transaction of a
// merchant for a buyer, packed in one container.
func (a *declApp) closedConsolidation(t *testing.T, merchantID, buyerID int64, lines ...declLine) models.Consolidation {
	t.Helper()
	a.seq++
	tr := models.Transaction{Number: fmt.Sprintf("TR20261129%05d", a.seq), MerchantID: merchantID, BuyerID: buyerID, TradeDate: "2026-11-29",
		Currency: "USD", Status: models.TransactionRegistered, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	a.mustCreate(t, &tr)
	c := models.Consolidation{BookingCode: fmt.Sprintf("BK%06d", a.seq), AgentID: a.World.AgentX.ID, DestinationCountry: "AE",
		DestinationPort: "Jebel Ali", TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", Status: models.ConsolidationClosed,
		Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	a.mustCreate(t, &c)
	ct := models.Container{ConsolidationID: c.ID, Number: fmt.Sprintf("MSCU%06d7", a.seq), SizeType: "40HQ", SealNo: "S1",
		CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	a.mustCreate(t, &ct)
	for i, l := range lines {
		net := l.net
		if net == 0 {
			net = 10_000
		}
		cartons := l.cartons
		if cartons == 0 {
			cartons = 2
		}
		tl := models.TransactionLine{TransactionID: tr.ID, LineNo: i + 1, GoodsID: l.goods.ID, TraceCode: fmt.Sprintf("YW%08d%03d", a.seq, i+1),
			Quantity: 100_000, Unit: l.goods.LegalUnit, UnitPrice: 1, Amount: l.amount, Cartons: cartons, NetGrams: net, GrossGrams: net + 500,
			CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		a.mustCreate(t, &tl)
		a.mustCreate(t, &models.ConsolidationLine{ConsolidationID: c.ID, TransactionLineID: tl.ID, CreatedAt: testkit.Now})
		a.mustCreate(t, &models.PackingLine{ContainerID: ct.ID, TransactionLineID: tl.ID, Cartons: cartons, NetGrams: net,
			GrossGrams: net + 500, CreatedAt: testkit.Now})
	}
	return c
}

// declared generates a consolidation's declarations as agent X and returns the first.
func (a *declApp) declared(t *testing.T, c models.Consolidation) models.Declaration {
	t.Helper()
	res, err := a.svc.GenerateDeclarations(context.Background(), a.actor(testkit.UserAgentX), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return res.Declarations[0]
}

func (a *declApp) findings(t *testing.T, declID int64) []models.DeclarationFinding {
	t.Helper()
	var fs []models.DeclarationFinding
	if err := a.DB.Where("declaration_id = ?", declID).Order("id").Find(&fs).Error; err != nil {
		t.Fatal(err)
	}
	return fs
}

var signedForm = url.Values{"signer_name": {"王小明"}, "signer_role": {"报关员"}, "statement": {"true"}}

// TestDeclarationAccessMatrix: every declaration route, page and API, for every seeded user and
// nobody: 404 outside the caller's scope (agent-y on agent-x's declaration, merchant-b on one
// without its lines, customs on a draft), 403 for a role without the action (tax, FX, market
// supervision; every write for merchants, customs, auditors and admins), the login page for
// nobody on a page, 401 for nobody on a page post or the API. Rows run in order; writes
// succeed once, for agent-x.
func TestDeclarationAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newDeclApp(t, db)
		w := a.World
		toy := a.goods(t, w.MerchantA.ID, "TOY", "毛绒玩具", "Plush toy", "9503002100", models.GoodsRecognised)
		heavy := declLine{goods: toy, amount: 1000_00, cartons: 1, net: 80_000} // 80 kg per carton: a warning
		draft := a.declared(t, a.closedConsolidation(t, w.MerchantA.ID, w.BuyerA.ID, heavy))
		sub := a.declared(t, a.closedConsolidation(t, w.MerchantA.ID, w.BuyerA.ID, declLine{goods: toy, amount: 2000_00}))
		if _, err := a.svc.SubmitDeclaration(context.Background(), a.actor(testkit.UserAgentX), sub.ID, workflow.SubmitInput{
			SignerName: "王", SignerRole: "报关员", Statement: true}); err != nil {
			t.Fatal(err)
		}
		apiDraft := a.declared(t, a.closedConsolidation(t, w.MerchantA.ID, w.BuyerA.ID, heavy))
		pageCons := a.closedConsolidation(t, w.MerchantA.ID, w.BuyerA.ID, declLine{goods: toy, amount: 300_00})
		apiCons := a.closedConsolidation(t, w.MerchantA.ID, w.BuyerA.ID, declLine{goods: toy, amount: 400_00})
		fid, apiFid := a.findings(t, draft.ID)[0].ID, a.findings(t, apiDraft.ID)[0].ID
		d, s, ad := itoa(draft.ID), itoa(sub.ID), itoa(apiDraft.ID)

		const (
			mA, mB, mP     = testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending
			aX, aY         = testkit.UserAgentX, testkit.UserAgentY
			cu, tx, fx, sv = testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor
			au, adm        = testkit.UserAuditor, testkit.UserAdmin
			ok, seeOther   = http.StatusOK, http.StatusSeeOther
			created, nf    = http.StatusCreated, http.StatusNotFound
		)
		listers := []string{mA, mB, mP, aX, aY, cu, au, adm}
		form := func(v url.Values) func() url.Values { return func() url.Values { return v } }
		amend := url.Values{"reason": {"port"}, "signer_name": {"王"}, "signer_role": {"报关员"}, "destination_port": {"Dubai"}}
		routes := []matrixRoute{
			{"GET", "/declarations", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/declarations?status=draft&consolidation=1&buyer=1", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/declarations/" + d, nil, "", []goodsOutcome{goodsIs(ok, aX, mA, au, adm), goodsIs(nf, aY, mB, mP, cu)}},
			{"GET", "/declarations/" + s, nil, "", []goodsOutcome{goodsIs(ok, aX, mA, au, adm, cu), goodsIs(nf, aY, mB, mP)}},
			{"GET", "/declarations/999999", nil, "", []goodsOutcome{goodsIs(nf, listers...)}},
			{"GET", "/declarations/" + d + "/print", nil, "", []goodsOutcome{goodsIs(ok, aX, mA, au, adm), goodsIs(nf, aY, mB, mP, cu)}},
			{"GET", "/declarations/" + s + "/packing-list", nil, "", []goodsOutcome{goodsIs(ok, aX, mA, au, adm, cu), goodsIs(nf, aY, mB, mP)}},
			{"GET", "/declarations/" + d + "/invoice", nil, "", []goodsOutcome{goodsIs(ok, aX, mA, au, adm), goodsIs(nf, aY, mB, mP, cu)}},
			{"GET", "/consolidations/" + itoa(pageCons.ID) + "/declare", nil, "", []goodsOutcome{goodsIs(ok, aX), goodsIs(nf, aY)}},
			{"POST", "/consolidations/" + itoa(pageCons.ID) + "/declare", form(nil), "", []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/declarations/" + d + "/findings/" + itoa(fid) + "/ack", form(nil), "", []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/declarations/" + d + "/submit", form(signedForm), "", []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/declarations/" + d + "/amend", form(amend), "", []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/declarations/" + d + "/cancel", form(url.Values{"reason_code": {"duplicate"}}), "", []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},

			{"GET", "/api/v1/declarations", nil, "", []goodsOutcome{goodsIs(ok, listers...)}},
			{"GET", "/api/v1/declarations/" + ad, nil, "", []goodsOutcome{goodsIs(ok, aX, mA, au, adm), goodsIs(nf, aY, mB, mP, cu)}},
			{"GET", "/api/v1/declarations/" + s, nil, "", []goodsOutcome{goodsIs(ok, aX, mA, au, adm, cu), goodsIs(nf, aY, mB, mP)}},
			{"POST", "/api/v1/consolidations/" + itoa(apiCons.ID) + "/declare", nil, "{}", []goodsOutcome{goodsIs(nf, aY), goodsIs(created, aX)}},
			{"POST", "/api/v1/declarations/" + ad + "/findings/" + itoa(apiFid) + "/ack", nil, "{}", []goodsOutcome{goodsIs(nf, aY), goodsIs(ok, aX)}},
			{"POST", "/api/v1/declarations/" + ad + "/submit", nil, `{"signer_name":"王","signer_role":"报关员","statement":true}`, []goodsOutcome{goodsIs(nf, aY), goodsIs(ok, aX)}},
			{"POST", "/api/v1/declarations/" + ad + "/amend", nil, `{"reason":"port","signer_name":"王","signer_role":"报关员","exit_port":"Shanghai"}`, []goodsOutcome{goodsIs(nf, aY), goodsIs(ok, aX)}},
			{"POST", "/api/v1/declarations/" + ad + "/cancel", nil, `{"reason_code":"other","text":"buyer withdrew"}`, []goodsOutcome{goodsIs(nf, aY), goodsIs(ok, aX)}},
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range goodsMatrixUsers {
			if u == "" {
				pages[u], apis[u] = a.anon(t), a.api(t, "")
				continue
			}
			pages[u], apis[u] = a.as(t, u), a.api(t, u)
		}
		checkAccessMatrix(t, routes, goodsMatrixUsers, pages, apis)
	})
}

// TestDeclarationJourney: the agent generates from the page, reads a merged item's
// correspondence, acknowledges the warning, submits with a signature, amends (old and new side
// by side), cancels, and a second cancel is refused with who and when; the timeline shows it,
// in both languages.
func TestDeclarationJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newDeclApp(t, db)
		w := a.World
		var lines []declLine
		for i, hs := range []string{"9503002100", "3924100000", "9505100000", "6307900000", "8513101000", "3926400000", "3924900000"} {
			g := a.goods(t, w.MerchantA.ID, fmt.Sprintf("G%d", i), fmt.Sprintf("商品%d", i), fmt.Sprintf("Goods %d", i), hs, models.GoodsRecognised)
			lines = append(lines, declLine{goods: g, amount: models.Money(10_000_00 - i*1000_00)})
		}
		lines[0].cartons, lines[0].net = 1, 90_000 // 90 kg per carton: a warning
		cons := a.closedConsolidation(t, w.MerchantA.ID, w.BuyerA.ID, lines...)
		agent := a.as(t, testkit.UserAgentX)
		if rec := agent.get("/consolidations/" + itoa(cons.ID) + "/declare"); rec.Code != http.StatusOK {
			t.Fatalf("generate page: %d", rec.Code)
		}
		rec := agent.post("/consolidations/"+itoa(cons.ID)+"/declare", nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("generate: %d %s", rec.Code, rec.Body)
		}
		rec = agent.post("/consolidations/"+itoa(cons.ID)+"/declare", nil)
		if rec.Code != http.StatusConflict {
			t.Errorf("declared twice: %d", rec.Code)
		}
		var decl models.Declaration
		if err := db.Where("consolidation_id = ?", cons.ID).Take(&decl).Error; err != nil {
			t.Fatal(err)
		}
		path := "/declarations/" + itoa(decl.ID)
		doc := goodsDoc(t, agent.get(path))
		merged := doc.Find("tbody.declaration-item[data-kind=merged]")
		if merged.Length() != 1 || merged.Find("tr.correspondence-line").Length() != 2 {
			t.Fatalf("merged item with its two lines: %d items", merged.Length())
		}
		if got := goodsText(doc, "li.finding[data-severity=warning] a.finding-field"); !strings.HasPrefix(got, "lines[") {
			t.Errorf("finding field link %q", got)
		}
		href, _ := doc.Find("li.finding a.finding-field").Attr("href")
		if doc.Find(href).Length() != 1 {
			t.Errorf("finding anchor %s has no target", href)
		}
		if rec := agent.post(path+"/submit", signedForm); rec.Code != http.StatusConflict {
			t.Errorf("submit with an open warning: %d", rec.Code)
		}
		fs := a.findings(t, decl.ID)
		if rec := agent.post(fmt.Sprintf("%s/findings/%d/ack", path, fs[0].ID), nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("ack: %d", rec.Code)
		}
		if rec := agent.post(path+"/submit", url.Values{"signer_name": {"王小明"}, "signer_role": {"报关员"}}); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("submit unsigned: %d", rec.Code)
		} else if d := goodsDoc(t, rec); d.Find("#f-signer_name").AttrOr("value", "") != "王小明" {
			t.Errorf("form values not kept")
		}
		if rec := agent.post(path+"/submit", signedForm); rec.Code != http.StatusSeeOther {
			t.Fatalf("submit: %d %s", rec.Code, rec.Body)
		}
		amend := url.Values{"reason": {"the line changed port"}, "signer_name": {"李四"}, "signer_role": {"经理"},
			"destination_port": {"Dubai"}, "exit_port": {"Ningbo"}, "transport_mode": {"2"}, "trade_terms": {"FOB"},
			"marks": {"N/M"}, "remarks": {decl.Remarks}, "freight": {"0.00"}, "insurance": {"0.00"}}
		if rec := agent.post(path+"/amend", amend); rec.Code != http.StatusSeeOther {
			t.Fatalf("amend: %d %s", rec.Code, rec.Body)
		}
		for _, lang := range []string{"en", "zh-CN"} {
			goodsLang(t, agent, lang)
			doc = goodsDoc(t, agent.get(path))
			change := doc.Find("table.amendment-changes tr.change[data-field=destination_port]")
			if strings.TrimSpace(change.Find("td.old del").Text()) != "Jebel Ali" || strings.TrimSpace(change.Find("td.new ins").Text()) != "Dubai" {
				t.Errorf("%s: amendment old/new: %q", lang, change.Text())
			}
			var kinds []string
			doc.Find("ol.declaration-timeline li.event").Each(func(_ int, s *goquery.Selection) { kinds = append(kinds, s.AttrOr("data-kind", "")) })
			if strings.Join(kinds, ",") != "generated,acknowledged,submitted,amended" {
				t.Errorf("%s: timeline %v", lang, kinds)
			}
			if goodsText(doc, "span.signer") != "王小明 (报关员)" {
				t.Errorf("%s: signer %q", lang, goodsText(doc, "span.signer"))
			}
		}
		for _, p := range []string{"/print", "/packing-list", "/invoice"} {
			doc := goodsDoc(t, agent.get(path+p))
			if doc.Find(`link[href*="declaration-print"]`).Length() != 1 || doc.Find("article.print-doc").Length() != 1 {
				t.Errorf("%s: not a printable page", p)
			}
		}
		if rec := agent.post(path+"/cancel", url.Values{"reason_code": {"duplicate"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("cancel: %d", rec.Code)
		}
		rec = agent.post(path+"/cancel", url.Values{"reason_code": {"duplicate"}})
		if rec.Code != http.StatusConflict || !strings.Contains(goodsDoc(t, rec).Find("p.form-error").Text(), "2026-11-29 17:00") {
			t.Errorf("second cancel: %d %s", rec.Code, goodsDoc(t, rec).Find("p.form-error").Text())
		}
		var c models.Consolidation
		db.Take(&c, cons.ID)
		if c.Status != models.ConsolidationClosed {
			t.Errorf("consolidation %s after its only declaration was cancelled", c.Status)
		}

		// The API shows the same declaration with its correspondence and findings.
		api := a.api(t, testkit.UserAgentX)
		rec = api.get("/api/v1/declarations/" + itoa(decl.ID))
		var body struct {
			Status string `json:"status"`
			Items  []struct {
				Kind  string            `json:"kind"`
				Lines []json.RawMessage `json:"lines"`
			} `json:"items"`
			Findings   []struct{ Code string } `json:"findings"`
			Amendments []json.RawMessage       `json:"amendments"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body.Status != "cancelled" || len(body.Items) != 6 ||
			len(body.Findings) != 1 || len(body.Amendments) != 1 {
			t.Errorf("api: %v %.500s", err, rec.Body)
		}
	})
}

// TestDeclarationListFiltersStartEmpty: the number filters are empty until the user types one,
// and keep what was typed.
func TestDeclarationListFiltersStartEmpty(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserAgentX)
	for path, want := range map[string]string{"/declarations": "", "/declarations?consolidation=7&buyer=3": "7"} {
		d, err := goquery.NewDocumentFromReader(c.get(path).Body)
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := d.Find("#f-consolidation").Attr("value"); v != want {
			t.Errorf("%s: consolidation filter %q, want %q", path, v, want)
		}
	}
}
