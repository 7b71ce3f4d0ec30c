package handlers_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
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

// consApp is a seeded server with a service on the same database (for fixtures and API
// tokens), recognised goods, and registered transactions written straight into the database.
type consApp struct {
	*app
	svc              *workflow.Service
	earringsA, bearB models.Goods
	seq              int
}

func newConsApp(t *testing.T, db *gorm.DB) *consApp {
	t.Helper()
	a := newSeededApp(t, db)
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := workflow.NewService(db, ref, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Policy.BcryptCost = bcrypt.MinCost
	ca := &consApp{app: a, svc: svc}
	goods := func(merchantID int64, sku, zh, en, hs string) models.Goods {
		g := models.Goods{MerchantID: merchantID, SKU: sku, NameZh: zh, NameEn: en, HSCode: hs, LegalUnit: "035",
			TransactionUnit: "007", Status: models.GoodsRecognised, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&g).Error; err != nil {
			t.Fatal(err)
		}
		return g
	}
	ca.earringsA = goods(a.World.MerchantA.ID, "EAR-001", "合金耳环", "Alloy earrings", "7117190000")
	ca.bearB = goods(a.World.MerchantB.ID, "BEAR-001", "毛绒玩具熊", "Plush teddy bear", "9503002100")
	return ca
}

// actor is a seeded user as a request of testkit.Now carries it.
func (a *consApp) actor(username string) workflow.Actor {
	u := a.World.Users[username]
	ac := workflow.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, Day: "2026-11-29"}
	if u.MerchantID != nil {
		ac.MerchantID = *u.MerchantID
	}
	if u.AgentID != nil {
		ac.AgentID = *u.AgentID
	}
	return ac
}

// registered writes a registered transaction of merchant-a or merchant-b with n lines (2
// cartons, 9.6 kg net, 10.4 kg gross each) and returns the line ids.
func (a *consApp) registered(t *testing.T, merchant string, n int) []int64 {
	t.Helper()
	m, b, g := a.World.MerchantA, a.World.BuyerA, a.earringsA
	if merchant == testkit.UserMerchantB {
		m, b, g = a.World.MerchantB, a.World.BuyerB, a.bearB
	}
	a.seq++
	tr := models.Transaction{Number: fmt.Sprintf("T20261128H%04d", a.seq), MerchantID: m.ID, BuyerID: b.ID, TradeDate: "2026-11-28",
		Currency: "USD", Status: models.TransactionRegistered, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := a.DB.Create(&tr).Error; err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range n {
		l := models.TransactionLine{TransactionID: tr.ID, LineNo: i + 1, GoodsID: g.ID, TraceCode: fmt.Sprintf("H%05dL%03d", a.seq, i),
			Quantity: 120_000, Unit: "007", UnitPrice: 8500, Amount: 10200, Cartons: 2, NetGrams: 9600, GrossGrams: 10400,
			CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := a.DB.Create(&l).Error; err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	return ids
}

// apiAs is an API client with a bearer token of a seeded user ("" for none).
func (a *consApp) apiAs(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	if username == "" {
		return c
	}
	tok, err := a.svc.CreateAPIToken(context.Background(), a.actor(username), "consolidation test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}

// consRoute is one route of the matrix with the request it sends.
type consRoute struct {
	method, path, body string // body: form (pages) or JSON (API)
}

// TestConsolidationAccessMatrix sends every consolidation route as every seeded user and
// anonymous, on agent-x's consolidation holding a line of merchant-a, and checks the status.
func TestConsolidationAccessMatrix(t *testing.T) {
	a := newConsApp(t, dbtest.SQLite(t))
	ctx := context.Background()
	cons, err := a.svc.OpenConsolidation(ctx, a.actor(testkit.UserAgentX), workflow.ConsolidationInput{DestinationCountry: "AE",
		DestinationPort: "Jebel Ali", TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "Yiwu"})
	if err != nil {
		t.Fatal(err)
	}
	lineA := a.registered(t, testkit.UserMerchantA, 1)
	lineB := a.registered(t, testkit.UserMerchantB, 1)
	if _, _, err := a.svc.FileLines(ctx, a.actor(testkit.UserMerchantA), cons.BookingCode, lineA); err != nil {
		t.Fatal(err)
	}
	box, err := a.svc.AddContainer(ctx, a.actor(testkit.UserAgentX), cons.ID, workflow.ContainerInput{Number: "CSQU3054383", SizeType: "40HQ", TareKg: "3900"})
	if err != nil {
		t.Fatal(err)
	}
	id, code := strconv.FormatInt(cons.ID, 10), cons.BookingCode
	base := "/consolidations/" + id
	lb := strconv.FormatInt(lineB[0], 10)
	routes := []consRoute{
		{"GET", "/consolidations", ""},
		{"GET", "/consolidations/new", ""},
		{"POST", "/consolidations", "destination_port="},
		{"GET", "/consolidations/file?booking_code=" + code, ""},
		{"POST", "/consolidations/file/" + code, "line_ids=" + lb},
		{"GET", base, ""},
		{"GET", base + "/packing-list", ""},
		{"GET", base + "/edit-header", ""},
		{"POST", base + "/edit-header", "version=1"},
		{"POST", base + "/lines", ""},
		{"POST", base + "/lines/999999/remove", ""},
		{"POST", base + "/containers", "number="},
		{"GET", base + "/containers/" + strconv.FormatInt(box.ID, 10) + "/edit", ""},
		{"POST", base + "/containers/" + strconv.FormatInt(box.ID, 10) + "/edit", "number="},
		{"POST", base + "/containers/999999/remove", ""},
		{"POST", base + "/packing", "container_id=0"},
		{"POST", base + "/close", "version=1"},
		{"POST", base + "/reopen", "version=1"},
		{"POST", base + "/cancel", "version=1"},
		{"GET", "/api/v1/consolidations", ""},
		{"POST", "/api/v1/consolidations", "{}"},
		{"POST", "/api/v1/consolidations/file", `{"booking_code":"` + code + `","line_ids":[` + lb + `]}`},
		{"GET", "/api/v1" + base, ""},
		{"POST", "/api/v1" + base + "/lines", "{}"},
		{"POST", "/api/v1" + base + "/containers", "{}"},
		{"POST", "/api/v1" + base + "/packing", `{"container_id":999999,"line_id":1,"cartons":1}`},
		{"POST", "/api/v1" + base + "/close", "{}"},
		{"POST", "/api/v1" + base + "/reopen", "{}"},
	}
	// want gives the status a user gets on a route.
	want := func(user string, r consRoute) int {
		api := strings.HasPrefix(r.path, "/api/")
		post := r.method == "POST"
		manage := !strings.Contains(r.path, "/file") && (post || strings.HasSuffix(r.path, "/new") || strings.Contains(r.path, "edit"))
		file := strings.Contains(r.path, "/file")
		switch user {
		case "":
			if api || post {
				return http.StatusUnauthorized
			}
			return http.StatusSeeOther
		case testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor:
			return http.StatusForbidden
		case testkit.UserAuditor, testkit.UserAdmin:
			if manage || file {
				return http.StatusForbidden
			}
			return http.StatusOK
		case testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending:
			switch {
			case manage:
				return http.StatusForbidden
			case file && user == testkit.UserMerchantA && post:
				return http.StatusNotFound // merchant-b's line is not merchant-a's
			case file && user == testkit.UserMerchantA:
				return http.StatusOK
			case file:
				return http.StatusForbidden // they do not entrust agent-x
			case r.path == "/consolidations" || r.path == "/api/v1/consolidations":
				return http.StatusOK
			case user == testkit.UserMerchantA:
				return http.StatusOK // it has a line in the consolidation
			}
			return http.StatusNotFound
		case testkit.UserAgentY:
			switch {
			case file:
				return http.StatusForbidden
			case post && (r.path == "/consolidations" || r.path == "/api/v1/consolidations"):
				return http.StatusUnprocessableEntity // its own new consolidation, with an empty header
			case r.path == "/consolidations" || r.path == "/api/v1/consolidations" || r.path == "/consolidations/new":
				return http.StatusOK
			}
			return http.StatusNotFound // agent-x's consolidation does not exist for agent-y
		case testkit.UserAgentX:
			switch {
			case file:
				return http.StatusForbidden
			case !post:
				return http.StatusOK
			case strings.HasSuffix(r.path, "/remove"):
				return http.StatusNotFound
			case strings.HasSuffix(r.path, "/reopen") || strings.HasSuffix(r.path, "/cancel") ||
				(strings.HasSuffix(r.path, "/close") && !api) || strings.HasSuffix(r.path, "/edit-header"):
				return http.StatusConflict // stale version, or not closed
			}
			return http.StatusUnprocessableEntity
		}
		t.Fatalf("no expectation for %s", user)
		return 0
	}
	users := []string{"", testkit.UserMerchantA, testkit.UserMerchantB, testkit.UserPending, testkit.UserAgentX, testkit.UserAgentY,
		testkit.UserCustoms, testkit.UserTax, testkit.UserFX, testkit.UserSupervisor, testkit.UserAuditor, testkit.UserAdmin}
	for _, user := range users {
		page := a.anon(t)
		if user != "" {
			page = a.as(t, user)
		}
		api := a.apiAs(t, user)
		for _, r := range routes {
			w := want(user, r)
			t.Run(fmt.Sprintf("%s %s %s", consUserName(user), r.method, r.path), func(t *testing.T) {
				var code int
				var body, loc string
				switch {
				case strings.HasPrefix(r.path, "/api/") && r.method == "GET":
					rec := api.get(r.path)
					code, body = rec.Code, rec.Body.String()
				case strings.HasPrefix(r.path, "/api/"):
					rec := api.postJSON(r.path, r.body)
					code, body = rec.Code, rec.Body.String()
				case r.method == "GET":
					rec := page.get(r.path)
					code, body, loc = rec.Code, rec.Body.String(), rec.Header().Get("Location")
				default:
					form, _ := url.ParseQuery(r.body)
					rec := page.post(r.path, form)
					code, body = rec.Code, rec.Body.String()
				}
				if code != w {
					t.Fatalf("status %d, want %d: %.300s", code, w, body)
				}
				if code == http.StatusSeeOther && !strings.HasPrefix(loc, "/login") {
					t.Errorf("redirected to %q, want /login", loc)
				}
			})
		}
	}
}

func consUserName(user string) string {
	if user == "" {
		return "anonymous"
	}
	return user
}

// TestConsolidationJourney opens a consolidation through the pages, files lines of two
// merchants by booking code, allocates, adds a container, packs the rest with htmx, closes,
// and reads it through the API; in Chinese, so both catalogs are exercised.
func TestConsolidationJourney(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newConsApp(t, db)
		// merchant-b entrusts agent-x too.
		if err := db.Create(&models.Entrustment{MerchantID: a.World.MerchantB.ID, AgentID: a.World.AgentX.ID, AgreementNo: "WT-B-X",
			StartsOn: "2026-01-01", Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}).Error; err != nil {
			t.Fatal(err)
		}
		lineA := a.registered(t, testkit.UserMerchantA, 2)
		lineB := a.registered(t, testkit.UserMerchantB, 1)
		agent := a.as(t, testkit.UserAgentX)
		agent.lang = "zh-CN"
		rec := agent.post("/consolidations", url.Values{"destination_country": {"AE"}, "destination_port": {"Jebel Ali"},
			"transport_mode": {"2"}, "trade_terms": {"CIF"}, "exit_port": {"宁波"}, "stuffing_place": {"义乌"}, "id": {"77"}, "status": {"closed"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("open: %d %s", rec.Code, rec.Body)
		}
		loc := rec.Header().Get("Location")
		var cons models.Consolidation
		if err := db.Order("id DESC").Take(&cons).Error; err != nil || loc != "/consolidations/"+strconv.FormatInt(cons.ID, 10) {
			t.Fatalf("opened %+v at %s", cons, loc)
		}
		if cons.Status != models.ConsolidationOpen || cons.ID == 77 || cons.AgentID != a.World.AgentX.ID {
			t.Errorf("input set protected fields: %+v", cons)
		}
		// An invalid header comes back with the field marked.
		rec = agent.post("/consolidations", url.Values{"destination_country": {"UAE"}})
		doc := consDoc(t, rec.Body.String())
		if rec.Code != http.StatusUnprocessableEntity || doc.Find("#f-destination_country[aria-invalid=true]").Length() != 1 {
			t.Fatalf("invalid header: %d", rec.Code)
		}
		// Merchants find the booking by code and file their lines.
		ma := a.as(t, testkit.UserMerchantA)
		rec = ma.get("/consolidations/file?booking_code=" + strings.ToLower(workflow.FormatBookingCode(cons.BookingCode)))
		doc = consDoc(t, rec.Body.String())
		if rec.Code != http.StatusOK || doc.Find("input[name=line_ids]").Length() != 2 {
			t.Fatalf("booking page: %d %s", rec.Code, rec.Body)
		}
		rec = ma.post("/consolidations/file/"+cons.BookingCode, url.Values{"line_ids": {strconv.FormatInt(lineA[0], 10), strconv.FormatInt(lineA[1], 10)}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("file A: %d %s", rec.Code, rec.Body)
		}
		mb := a.as(t, testkit.UserMerchantB)
		rec = mb.post("/consolidations/file/"+cons.BookingCode, url.Values{"line_ids": {strconv.FormatInt(lineA[0], 10)}})
		if rec.Code != http.StatusNotFound {
			t.Fatalf("B filing A's line: %d", rec.Code)
		}
		// B uses the API.
		rec = a.apiAs(t, testkit.UserMerchantB).postJSON("/api/v1/consolidations/file",
			fmt.Sprintf(`{"booking_code":%q,"line_ids":[%d]}`, cons.BookingCode, lineB[0]))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"filed":1`) {
			t.Fatalf("file B by API: %d %s", rec.Code, rec.Body)
		}
		// The agent adds a container, then packs everything with one htmx click.
		rec = agent.post("/consolidations/"+strconv.FormatInt(cons.ID, 10)+"/containers", url.Values{"number": {"CSQU3054384"}, "size_type": {"40HQ"}, "tare_kg": {"3900"}})
		doc = consDoc(t, rec.Body.String())
		if rec.Code != http.StatusUnprocessableEntity || doc.Find("#f-number[aria-invalid=true]").Length() != 1 {
			t.Fatalf("bad container number: %d", rec.Code)
		}
		rec = agent.post("/consolidations/"+strconv.FormatInt(cons.ID, 10)+"/containers", url.Values{"number": {"CSQU3054383"}, "size_type": {"40HQ"}, "seal_no": {"YW123456"}, "tare_kg": {"3900"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("add container: %d %s", rec.Code, rec.Body)
		}
		var box models.Container
		if err := db.Where("consolidation_id = ?", cons.ID).Take(&box).Error; err != nil {
			t.Fatal(err)
		}
		form := url.Values{"container_id": {strconv.FormatInt(box.ID, 10)}, "rest": {"all"}, "_csrf": {agent.csrf()}}
		req, _ := http.NewRequest(http.MethodPost, "/consolidations/"+strconv.FormatInt(cons.ID, 10)+"/packing", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		rec = agent.do(req)
		doc = consDoc(t, rec.Body.String())
		if rec.Code != http.StatusOK || doc.Find("#consolidation-work .work-notice[role=status]").Length() != 1 ||
			doc.Find(".consolidated-lines tr.packed").Length() != 3 {
			t.Fatalf("pack rest (htmx): %d %s", rec.Code, rec.Body)
		}
		if doc.Find(".closing-problems li").Length() != 0 {
			t.Errorf("problems remain: %s", doc.Find(".closing-problems").Text())
		}
		// Close with the version shown.
		version := doc.Find("form.close-form input[name=version]").AttrOr("value", "")
		rec = agent.post("/consolidations/"+strconv.FormatInt(cons.ID, 10)+"/close", url.Values{"version": {version}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("close: %d %s", rec.Code, rec.Body)
		}
		rec = agent.get("/consolidations/" + strconv.FormatInt(cons.ID, 10))
		doc = consDoc(t, rec.Body.String())
		if doc.Find(".consolidation-status").AttrOr("data-status", "") != models.ConsolidationClosed || doc.Find("form.packing-form").Length() != 0 ||
			doc.Find("form.reopen-form").Length() != 1 {
			t.Errorf("closed page: %s", doc.Find(".consolidation-header").Text())
		}
		rec = agent.get("/consolidations/" + strconv.FormatInt(cons.ID, 10) + "/packing-list")
		doc = consDoc(t, rec.Body.String())
		if rec.Code != http.StatusOK || doc.Find(".packing-list-sheet tbody tr").Length() != 3 {
			t.Errorf("packing list: %d", rec.Code)
		}
		// Merchant A sees its own two lines only; the API answers the whole consolidation to the agent.
		rec = ma.get("/consolidations/" + strconv.FormatInt(cons.ID, 10))
		if doc := consDoc(t, rec.Body.String()); doc.Find(".consolidated-lines tbody tr").Length() != 2 {
			t.Errorf("merchant A sees %d lines", doc.Find(".consolidated-lines tbody tr").Length())
		}
		rec = a.apiAs(t, testkit.UserAgentX).get("/api/v1/consolidations/" + strconv.FormatInt(cons.ID, 10))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"closed"`) || !strings.Contains(rec.Body.String(), `"total_cartons":6`) {
			t.Errorf("API view: %d %s", rec.Code, rec.Body)
		}
		rec = a.apiAs(t, testkit.UserAgentX).postJSON("/api/v1/consolidations/"+strconv.FormatInt(cons.ID, 10)+"/reopen", "")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"open"`) {
			t.Errorf("API reopen: %d %s", rec.Code, rec.Body)
		}
	})
}

func consDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
