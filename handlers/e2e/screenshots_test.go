package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"gorm.io/gorm"

	"mpt/handlers"
	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/demo"
	"mpt/workflow/refdata"
)

// screenshotsEnv names the folder TestScreenshots writes to; `make screenshots` sets it to docs/img.
const screenshotsEnv = "MPT_SCREENSHOTS"

// demoPassword is the password of every demo user (demo.Defaults).
const demoPassword = "demo1039"

// TestScreenshots is not a check but the tool behind `make screenshots`: it starts the real
// server on a new database filled exactly as `mpt serve` fills a new SQLite file (the demo data
// and the demo trade), logs in as each demo role and saves PNG screenshots of its key pages for
// the user guides in docs/guide. It does nothing unless MPT_SCREENSHOTS names the output folder.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		t.Skip("screenshots are taken only on request: set " + screenshotsEnv + " to the output folder (make screenshots)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	site := startDemoSite(t)
	f := findDemoRecords(t, site.DB)

	desk := &camera{t: t, site: site, dir: dir, width: 1280, maxHeight: 1200, b: newBrowser(t, 1280, 800)}
	desk.shot("login", "zh-CN", "/login")

	// The agent opens a consolidation first, so that the merchant has a booking to file into.
	var cons, booking string
	desk.as("agent1", func(c *camera) {
		cons, booking = c.openConsolidation()
		c.shot("agent-consolidation", "zh-CN", cons, shotFrom("#checks-h"))
	})
	desk.as("merchant1", func(c *camera) {
		c.shot("merchant-dashboard", "zh-CN", "/my")
		c.shot("merchant-goods-new", "zh-CN", "/goods/new", shotFrom(".hs-finder"), typeHSQuery("塑料玩具车", "玩具车"))
		c.shot("merchant-transaction-new", "zh-CN", "/transactions/new")
		c.shot("merchant-transaction", "zh-CN", fmt.Sprintf("/transactions/%d", f.merchantTxn), shotFrom("main h1"))
		c.shot("merchant-entrustments", "en", "/entrustments")
		c.shot("merchant-file-lines", "zh-CN", "/consolidations/file", shotFrom("main h1"),
			chromedp.SendKeys(chromedp.CSS("#f-booking_code"), booking),
			chromedp.Click(chromedp.CSS("form.booking-form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("section.booking")),
			chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('form.file-form input[name=line_ids]').forEach((b, i) => { b.checked = i < 2; })`))
	})
	desk.as(f.filer, func(c *camera) {
		c.shot("merchant-trade-progress", "en", "/my?stage="+workflow.StepVATFiled, shotFrom("#trade-heading"))
		c.shot("merchant-tax-filing", "en", fmt.Sprintf("/tax/%d", f.filing))
	})
	desk.as("agent1", func(c *camera) {
		draft := c.declare(cons)
		c.shot("agent-declarations", "zh-CN", "/declarations")
		c.shot("agent-declaration", "en", draft, shotFrom("#findings"))
	})
	desk.as("customs", func(c *camera) {
		c.shot("customs-queue", "zh-CN", "/customs")
		c.shot("customs-declaration", "zh-CN", fmt.Sprintf("/declarations/%d", f.submitted))
		c.shot("customs-routing", "en", fmt.Sprintf("/declarations/%d/routing", f.red))
	})
	desk.as(f.inspector, func(c *camera) {
		c.shot("inspector-inspections", "zh-CN", "/customs/inspections")
	})
	desk.as("fx", func(c *camera) {
		c.shot("fx-receipt-new", "zh-CN", "/fx/receipts/new")
		c.shot("fx-receipt", "en", fmt.Sprintf("/fx/receipts/%d", f.receipt))
	})
	desk.as("tax", func(c *camera) {
		c.shot("tax-filings", "zh-CN", "/tax")
		c.shot("tax-filing", "zh-CN", fmt.Sprintf("/tax/%d", f.filing))
	})
	desk.as("supervision", func(c *camera) {
		c.shot("supervision-desk", "zh-CN", "/supervision")
		c.shot("supervision-merchant", "zh-CN", fmt.Sprintf("/merchants/%d", f.pendingMerchant))
		c.shot("supervision-goods-review", "zh-CN", "/goods/review")
		c.shot("supervision-spot-check-new", "en", "/spot-checks/new")
	})
	desk.as("auditor", func(c *camera) {
		c.shot("auditor-trace", "en", "/trace/"+f.traceCode)
		c.shot("auditor-audit", "en", "/audit", chromedp.Click(chromedp.CSS("form.audit-verify-form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("p.audit-ok")))
		c.shot("auditor-dashboard", "zh-CN", "/audit/dashboard", chromedp.WaitVisible(chromedp.CSS(".dash-chart svg")))
	})
	desk.as("admin", func(c *camera) {
		c.shot("admin-users", "zh-CN", "/admin/users")
		c.shot("admin-settings", "zh-CN", "/admin/settings")
		c.shot("admin-rates", "en", "/admin/rates")
		c.shot("admin-risk-rules", "zh-CN", "/risk-rules/1")
	})

	phone := &camera{t: t, site: site, dir: dir, width: 390, maxHeight: 1400, b: newBrowser(t, 390, 844)}
	phone.as("merchant1", func(c *camera) {
		c.shot("phone-merchant-dashboard", "zh-CN", "/my")
		c.shot("phone-merchant-transaction", "en", fmt.Sprintf("/transactions/%d", f.merchantTxn))
	})
	phone.as("auditor", func(c *camera) {
		c.shot("phone-auditor-trace", "zh-CN", "/trace/"+f.traceCode)
	})
}

// startDemoSite is the real server on a new SQLite database holding what `mpt serve` puts in a
// new file (cmd/mpt fillDemo): the demo data, then the demo trade taken through the steps.
func startDemoSite(t *testing.T) *site {
	t.Helper()
	ctx := context.Background()
	db := dbtest.SQLite(t)
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if _, err := models.InitSetting(ctx, db, models.SettingCustomsOffice, "2933", now); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Load(ctx, db, ref, demo.Defaults(now)); err != nil {
		t.Fatalf("demo data: %v", err)
	}
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := workflow.NewService(db, ref, time.Now, lg)
	svc.DataDir = t.TempDir()
	if _, err := demo.Flow(ctx, svc, db); err != nil {
		t.Fatalf("demo trade: %v", err)
	}
	if _, err := models.InitSetting(ctx, db, models.SettingDemoLoaded, now.Format(time.RFC3339), now); err != nil {
		t.Fatal(err)
	}
	s, err := handlers.New(handlers.Deps{Service: svc, Log: lg, Version: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return &site{URL: ts.URL, DB: db}
}

// demoRecords are the records of the demo trade the screenshots show. The demo draws customs
// lanes at random, so they are looked up, never assumed.
type demoRecords struct {
	merchantTxn     int64  // merchant1's first transaction
	filer           string // the user of the merchant that filed the demo's VAT exemption
	filing          int64  // that filing
	submitted       int64  // a declaration waiting for customs to accept it
	red             int64  // a declaration routed red whose inspection waits
	inspector       string // the officer drawn to inspect it
	receipt         int64  // an FX receipt
	pendingMerchant int64  // merchant-pending's business, waiting for approval
	traceCode       string // a goods line that has gone through every step
}

func findDemoRecords(t *testing.T, db *gorm.DB) demoRecords {
	t.Helper()
	var f demoRecords
	one := func(what string, dest any, query string, args ...any) {
		t.Helper()
		if err := db.Raw(query, args...).Row().Scan(dest); err != nil {
			t.Fatalf("demo records: %s: %v", what, err)
		}
	}
	one("merchant1's transaction", &f.merchantTxn, `SELECT t.id FROM transactions t JOIN users u ON u.merchant_id = t.merchant_id
		WHERE u.username = 'merchant1' ORDER BY t.id LIMIT 1`)
	one("VAT filing", &f.filing, `SELECT id FROM tax_filings ORDER BY id LIMIT 1`)
	one("filing merchant's user", &f.filer, `SELECT u.username FROM users u JOIN tax_filings f ON f.merchant_id = u.merchant_id
		WHERE f.id = ? ORDER BY u.id LIMIT 1`, f.filing)
	one("submitted declaration", &f.submitted, `SELECT id FROM declarations WHERE status = 'submitted' ORDER BY id LIMIT 1`)
	one("red declaration", &f.red, `SELECT declaration_id FROM inspections WHERE result = '' ORDER BY id LIMIT 1`)
	one("inspector", &f.inspector, `SELECT u.username FROM inspections i JOIN users u ON u.id = i.inspector_user_id
		WHERE i.declaration_id = ? AND i.result = '' ORDER BY i.id LIMIT 1`, f.red)
	one("FX receipt", &f.receipt, `SELECT id FROM fx_receipts ORDER BY id LIMIT 1`)
	one("pending merchant", &f.pendingMerchant, `SELECT merchant_id FROM users WHERE username = 'merchant-pending'`)
	one("trace code", &f.traceCode, `SELECT tl.trace_code FROM transaction_lines tl
		JOIN fx_allocations a ON a.transaction_line_id = tl.id
		JOIN tax_filing_lines fl ON fl.transaction_line_id = tl.id
		ORDER BY tl.id LIMIT 1`)
	return f
}

// camera takes the screenshots of one browser at one viewport size.
type camera struct {
	t         *testing.T
	site      *site
	b         *browser
	dir       string
	width     int
	maxHeight int // a taller page is cut at this height, so the files stay small
}

// as logs in as a demo user, runs the shots and logs out.
func (c *camera) as(username string, shots func(c *camera)) {
	c.t.Helper()
	c.b.login(c.site, username, demoPassword)
	shots(c)
	c.b.logout()
}

// shotStart starts a shot at an element instead of the top of the page.
type shotStart string

// shotFrom starts a shot at the first element matching a CSS selector (a little above it), for a
// part of a long page.
func shotFrom(sel string) shotStart { return shotStart(sel) }

// shot opens a page in a language, waits for its heading, runs the extra actions (typing into a
// finder, pressing a button) and saves the page, from its top (or from a shotStart) and at
// most maxHeight tall, as <name>.png. It fails on an error page, a console error or a failed
// request.
func (c *camera) shot(name, lang, path string, opts ...any) {
	c.t.Helper()
	start := ""
	var actions []chromedp.Action[chromedp.Void]
	for _, o := range opts {
		switch o := o.(type) {
		case shotStart:
			start = string(o)
		case chromedp.Action[chromedp.Void]:
			actions = append(actions, o)
		default:
			c.t.Fatalf("%s: unknown option %T", name, o)
		}
	}
	steps := append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(c.site.URL + "/lang/" + lang + "?next=" + url.QueryEscape(path)),
		chromedp.WaitVisible(chromedp.CSS("main h1")),
	}, actions...)
	c.b.do(name, steps...)
	if msg, err := chromedp.Run(c.b.ctx, chromedp.Evaluate[string](`(() => {
	  const e = document.querySelector('.error-page');
	  return e ? 'an error page: ' + e.innerText.slice(0, 200) : '';
	})()`)); err != nil || msg != "" {
		c.t.Fatalf("%s (%s): %s %v", name, path, msg, err)
	}
	c.b.checkClean(name)
	ctx, cancel := context.WithTimeout(c.b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, clippedScreenshot(start, c.width, c.maxHeight))
	if err != nil {
		c.t.Fatalf("%s: screenshot: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(c.dir, name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
	c.t.Logf("%s.png: %s (%s), %d KB", name, path, lang, len(png)/1024)
}

// clippedScreenshot captures the page from its top, or from a little above the element a
// selector finds, down to its end or maxHeight pixels, whichever comes first, once fonts have
// loaded.
func clippedScreenshot(from string, width, maxHeight int) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		sel, _ := json.Marshal(from)
		// [top of the shot, height of the page]
		box, err := chromedp.Evaluate[[]float64](fmt.Sprintf(`document.fonts.ready.then(() => {
		  const sel = %s;
		  const el = sel ? document.querySelector(sel) : null;
		  const top = el ? Math.max(0, el.getBoundingClientRect().top + window.scrollY - 24) : 0;
		  return [top, document.documentElement.scrollHeight];
		})`, sel), chromedp.EvalAwaitPromise)(ctx, t)
		if err != nil {
			return nil, err
		}
		if len(box) != 2 || (from != "" && box[0] == 0) {
			return nil, fmt.Errorf("no element %q to start at", from)
		}
		yes := true
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format:                page.CaptureScreenshotFormatPng,
			Clip:                  &page.Viewport{Y: box[0], Width: float64(width), Height: min(box[1]-box[0], float64(maxHeight)), Scale: 1},
			FromSurface:           &yes,
			CaptureBeyondViewport: &yes,
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	}
}

// openConsolidation opens a consolidation through the agent's form, allocates the first four
// lines offered and adds a 40HQ container, as an agent at work would, and returns its path and
// booking code.
func (c *camera) openConsolidation() (path, booking string) {
	c.t.Helper()
	c.b.do("open a consolidation",
		chromedp.Navigate(c.site.URL+"/consolidations/new"),
		chromedp.WaitVisible(chromedp.CSS("#f-destination_port")),
		chromedp.SetValue(chromedp.CSS("#f-destination_country"), "AE"),
		fill(map[string]string{"#f-destination_port": "Jebel Ali", "#f-exit_port": "Ningbo", "#f-stuffing_place": "义乌国际陆港监管场站"}),
		chromedp.SetValue(chromedp.CSS("#f-transport_mode"), "2"),
		chromedp.SetValue(chromedp.CSS("#f-trade_terms"), "FOB"),
		chromedp.Click(chromedp.CSS("form.consolidation-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.allocate-form")),
	)
	path = strings.TrimPrefix(c.b.location(), c.site.URL)
	booking = c.b.text("h1 .booking-code")
	c.b.poll("tick four lines", `(() => { const bs = [...document.querySelectorAll('form.allocate-form input[name=line_ids]')].slice(0, 4);
	  bs.forEach(b => { b.checked = true; }); return bs.length === 4; })()`)
	c.b.do("allocate",
		chromedp.Click(chromedp.CSS("form.allocate-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.consolidated-lines")),
	)
	c.b.do("add a container",
		fill(map[string]string{"#f-number": "CSQU3054383", "#f-seal_no": "YW123456", "#f-tare_kg": "3900"}),
		chromedp.SetValue(chromedp.CSS("#f-size_type"), "40HQ"),
		chromedp.Click(chromedp.CSS("form.container-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.containers code.container-number")),
	)
	c.b.checkClean("open a consolidation")
	return path, booking
}

// declare packs every line of an open consolidation, closes it, generates its declarations and
// returns the path of the first one, a draft for the agent to review.
func (c *camera) declare(cons string) string {
	c.t.Helper()
	c.b.do("pack everything", chromedp.Navigate(c.site.URL+cons), chromedp.WaitVisible(chromedp.CSS("button.pack-all")),
		chromedp.Click(chromedp.CSS("button.pack-all")))
	c.b.poll("everything packed", `document.querySelectorAll('.consolidated-lines tr.packed').length === 4`)
	c.b.do("close",
		chromedp.Navigate(c.site.URL+cons),
		chromedp.WaitVisible(chromedp.CSS("p.checks-ok")),
		chromedp.Click(chromedp.CSS("form.close-form button")),
		chromedp.WaitVisible(chromedp.CSS("a.declare-link")),
	)
	c.b.do("generate the declarations",
		chromedp.Click(chromedp.CSS("a.declare-link")),
		chromedp.WaitVisible(chromedp.CSS("button.declaration-generate")),
		chromedp.Click(chromedp.CSS("button.declaration-generate")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	c.b.checkClean("generate the declarations")
	var id int64
	if err := c.site.DB.Raw(`SELECT id FROM declarations WHERE status = 'draft' ORDER BY id LIMIT 1`).Row().Scan(&id); err != nil {
		c.t.Fatalf("the generated declaration: %v", err)
	}
	return fmt.Sprintf("/declarations/%d", id)
}

// typeHSQuery fills the goods' Chinese name and types into the HS finder, waiting for its
// suggestions.
func typeHSQuery(name, query string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.SetValue(chromedp.CSS("#f-name_zh"), name),
		chromedp.SendKeys(chromedp.CSS("#hs-q"), query),
		chromedp.WaitVisible(chromedp.CSS("#hs-results li, #hs-results tr")),
	)
}
