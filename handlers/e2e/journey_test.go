package e2e_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// journeyWords are the few words of each language the journey reads back from the pages.
type journeyWords struct {
	active, registered string
}

// TestWholeJourney is issue 8's journey in a real browser, every step through the pages, once
// in Chinese and once in English, each on a fresh site: a stall-holder registers its business
// and market supervision approves it; it registers two kinds of goods that supervision
// recognises, registers its buyer and entrusts agent-x; it files a sale with a receipt photo and
// imports more lines from an .xlsx workbook; it and merchant-a file their lines into agent-x's
// booking by its code; agent-x packs a container, closes, generates and submits the declaration;
// customs accepts it (toys are routed red), the officer drawn inspects, another releases and
// confirms exit; the FX desk records the buyer's payment and allocates it to the suggested
// lines; the merchant files its VAT exemption for the month and the tax officer accepts it; the
// auditor opens a label's trace URL, sees every step done, and verifies the audit log. Every
// page is checked for console errors, failed requests and accessibility basics.
func TestWholeJourney(t *testing.T) {
	for i, tc := range []struct {
		lang  string
		words journeyWords
	}{
		{"zh-CN", journeyWords{active: "正常", registered: "已登记"}},
		{"en", journeyWords{active: "Active", registered: "Registered"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			start := time.Now()
			j := newJourney(t, tc.lang, tc.words, i)
			j.registerMerchant()
			j.approveMerchant()
			j.prepareMerchant()
			j.recogniseGoods()
			j.setRate()
			j.openBooking()
			j.fileTransaction()
			j.fileIntoBooking(j.username, "stall-pass-1", 3)
			j.merchantASale()
			j.fileIntoBooking(testkit.UserMerchantA, testkit.Password, 1)
			j.packAndDeclare()
			j.clearCustoms()
			j.allocateReceipt()
			j.fileExemption()
			j.auditTrace()
			t.Logf("%s journey took %s", tc.lang, time.Since(start).Round(time.Millisecond))
		})
	}
}

// journey is one run of the whole journey: the browser, the site and what the steps made.
type journey struct {
	t     *testing.T
	b     *browser
	site  *txnSite
	lang  string
	words journeyWords
	run   int
	today string

	username, uscc string           // the new merchant's login and business
	goods          map[string]int64 // the new merchant's goods by SKU
	txnURL         string           // its transaction's page
	traceURL       string           // the first label's QR target
	bookingCode    string
	consURL        string
	declIDs        []int64
}

// newJourney starts a fresh site (startTxnSite: startSite's server with a data directory for the
// receipt photo) and a laptop-sized browser in a language. Besides the world as it stands before
// the journey (testkit.Seed, merchant-a's recognised goods) it seeds only a second on-duty customs
// officer to be drawn as inspector and a rule set that routes toys red with no random lanes, so
// the path is the same every run.
func newJourney(t *testing.T, lang string, words journeyWords, run int) *journey {
	t.Helper()
	site := startTxnSite(t)
	admin := servicetest.Actor(t, site.World, testkit.UserAdmin)
	if _, err := site.Svc.PublishRuleSet(context.Background(), admin, workflow.RuleSetInput{
		RulesJSON: `{"rules": [{"code": "TOYS", "kind": "hs_prefix", "lane": "red", "name_en": "Toys under watch", "name_zh": "玩具布控", "prefixes": ["9503"]}]}`,
		MinRates:  map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "browser journey"}); err != nil {
		t.Fatal(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(testkit.Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := site.DB.Create(&models.User{Username: "inspector", DisplayName: "查验关员 林峰", PasswordHash: string(hash),
		Role: models.RoleCustoms, Lang: "en", OnDuty: true, Version: 1, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	j := &journey{t: t, b: newBrowser(t, 1280, 900), site: site, lang: lang, words: words, run: run,
		today: now.In(workflow.MarketZone).Format("2006-01-02"), goods: map[string]int64{},
		username: fmt.Sprintf("stall-journey-%d", run), uscc: validUSCC(t, fmt.Sprintf("MA2R%04dJ", run))}
	j.open("choose the language", "/lang/"+lang+"?next=/login", "#f-username")
	j.b.checkFocusVisible("login page")
	return j
}

// url is a path on the site.
func (j *journey) url(path string) string { return j.site.URL + path }

// check runs the checks every page gets: accessibility basics, the page in the run's language,
// and no console errors or failed requests since the last check.
func (j *journey) check(step string) {
	j.t.Helper()
	j.b.checkA11y(step)
	lang, err := chromedp.Run(j.b.ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	if err != nil {
		j.t.Fatalf("%s: %v", step, err)
	}
	if lang != j.lang {
		j.t.Errorf("%s: page in %q, want %q", step, lang, j.lang)
	}
	j.b.checkClean(step)
}

// open loads a page, fails unless it answers 200, waits for an element and checks the page.
func (j *journey) open(step, path, wait string) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(j.url(path)))
	if err != nil {
		j.t.Fatalf("%s: open %s: %v", step, path, err)
	}
	if resp.Status != 200 {
		j.t.Fatalf("%s: %s answered %d", step, path, resp.Status)
	}
	j.b.do(step, chromedp.WaitVisible(chromedp.CSS(wait)))
	j.check(step)
}

// submit clicks a button that sends its form and waits for the page it leads to. A form sent
// back with errors (4xx) fails the step with the messages on the page.
func (j *journey) submit(step, button, wait string) {
	j.t.Helper()
	ctx, cancel := context.WithTimeout(j.b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		j.t.Fatalf("%s: submit %s: %v", step, button, err)
	}
	if resp.Status >= 400 {
		msgs, _ := chromedp.Run(j.b.ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('.form-error, .field-error, .notice')].map(e => e.textContent.trim())`))
		j.t.Fatalf("%s: HTTP %d from %s: %q", step, resp.Status, resp.URL, msgs)
	}
	j.b.do(step, chromedp.WaitVisible(chromedp.CSS(wait)))
	j.check(step)
}

// login signs in through the login form; logout through the header's button.
func (j *journey) login(username, password string) {
	j.t.Helper()
	j.open("login page", "/login", "#f-username")
	j.b.do("type the password of "+username, fill(map[string]string{"#f-username": username, "#f-password": password}))
	j.submit("log in as "+username, "form[action='/login'] button[type=submit]", "p.flash")
	if strings.HasSuffix(j.b.location(), "/login") {
		j.t.Fatalf("%s is still at the login page", username)
	}
}

func (j *journey) logout() {
	j.t.Helper()
	j.submit("log out", "form[action='/logout'] button", ".site-header a[href='/login']")
}

// evalInt evaluates a JavaScript expression giving a number.
func (j *journey) evalInt(expr string) int64 {
	j.t.Helper()
	n, err := chromedp.Run(j.b.ctx, chromedp.Evaluate[int64](expr))
	if err != nil {
		j.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return n
}

// idIn is the number after prefix in the current location (e.g. "/transactions/").
func (j *journey) idIn(prefix string) int64 {
	j.t.Helper()
	loc := j.b.location()
	_, rest, ok := strings.Cut(loc, prefix)
	if !ok {
		j.t.Fatalf("no %s in %s", prefix, loc)
	}
	if k := strings.IndexAny(rest, "/?#"); k >= 0 {
		rest = rest[:k]
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		j.t.Fatalf("no id after %s in %s", prefix, loc)
	}
	return id
}

// 1. The stall-holder registers its business at /register (a USCC with a valid check character).
func (j *journey) registerMerchant() {
	j.open("registration form", "/register", "#f-uscc")
	booth := fmt.Sprintf("2048%d", j.run)
	j.b.do("fill the registration",
		fill(map[string]string{
			"#f-uscc": j.uscc, "#f-name": "义乌市稠城戊玩具商行", "#f-name_en": "Wu Toys", "#f-legal_rep": "戊一",
			"#f-phone": "13912345679", "#f-gate": "7", "#f-floor": "3", "#f-street": "15", "#f-booth": booth,
			"#f-stall_raw": "二区 7号门 3楼 15街 " + booth, "#f-username": j.username,
			"#f-display_name": "戊一", "#f-password": "stall-pass-1", "#f-password_confirm": "stall-pass-1",
		}),
		chromedp.SetValue(chromedp.CSS("#f-district"), "2"),
	)
	j.submit("register", "form[action='/register'] button[type=submit]", "p.flash")
	if !strings.HasSuffix(j.b.location(), "/login") {
		j.t.Fatalf("after registering at %s", j.b.location())
	}
}

// approveMerchant: the market-supervision officer approves the registration from the queue.
func (j *journey) approveMerchant() {
	var m models.Merchant
	if err := j.site.DB.Where("uscc = ?", j.uscc).Take(&m).Error; err != nil {
		j.t.Fatalf("the registered merchant: %v", err)
	}
	link := fmt.Sprintf("a[href='/merchants/%d']", m.ID)
	j.login(testkit.UserSupervisor, testkit.Password)
	j.open("approval queue", "/merchants?status=pending", link)
	j.submit("open the registration", link, "form.approve-form button")
	j.submit("approve", "form.approve-form button", "p.flash")
	if got := j.b.text(".merchant-status"); got != j.words.active {
		j.t.Errorf("status after approval %q, want %q", got, j.words.active)
	}
	j.logout()
}

// 2. The merchant registers its goods, its buyer and its agent; supervision recognises the goods.
func (j *journey) prepareMerchant() {
	j.login(j.username, "stall-pass-1")
	for _, g := range []struct{ sku, zh, en, hs, spec string }{
		{"TOY-J01", "毛绒玩具熊", "Plush teddy bear", "9503002100", "30cm, polyester"},
		{"CUP-J02", "塑料水杯", "Plastic cup", "3924100000", "PP, 350ml"},
	} {
		j.open("new goods form", "/goods/new", "#f-sku")
		j.b.do("fill goods "+g.sku,
			fill(map[string]string{"#f-sku": g.sku, "#f-name_zh": g.zh, "#f-name_en": g.en,
				"#f-spec": g.spec, "#f-producer": "义乌市星光工艺品厂"}),
			chromedp.SetValue(chromedp.CSS("#f-legal_unit"), "007"),
			chromedp.SetValue(chromedp.CSS("#f-transaction_unit"), "007"),
			// Typed, so the page describes the code as it comes (htmx).
			chromedp.SendKeys(chromedp.CSS("#f-hs_code"), g.hs),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("#hs-describe .hs-describe-body[data-code='%s'] .hs-ok", g.hs))),
		)
		j.submit("register goods "+g.sku, "#goods-form button[type=submit]", "p.flash")
		j.goods[g.sku] = j.idIn("/goods/")
	}
	w := j.site.World
	j.open("new buyer form", "/buyers/new", "#f-name")
	j.b.do("fill the buyer",
		fill(map[string]string{"#f-name": w.BuyerA.Name, "#f-doc_number": w.BuyerA.DocNumber}),
		chromedp.SetValue(chromedp.CSS("#f-nationality"), w.BuyerA.Nationality),
		chromedp.SetValue(chromedp.CSS("#f-doc_type"), workflow.DocPassport),
	)
	j.submit("register the buyer", "form.buyer-form button[type=submit]", "p.flash")

	j.open("entrustments", "/entrustments", "a.entrustment-new")
	j.submit("new entrustment form", "a.entrustment-new", "#f-agent_id")
	j.b.do("fill the entrustment",
		chromedp.SetValue(chromedp.CSS("#f-agent_id"), strconv.FormatInt(w.AgentX.ID, 10)),
		fill(map[string]string{"#f-agreement_no": fmt.Sprintf("WT-J%d-X", j.run), "#f-starts_on": j.today}),
	)
	j.submit("entrust agent-x", "form.entrustment-form button[type=submit]", "p.flash")
	j.logout()
}

// recogniseGoods: the officer recognises both goods from the goods review queue (商品认定).
func (j *journey) recogniseGoods() {
	j.login(testkit.UserSupervisor, testkit.Password)
	for sku, id := range j.goods {
		button := fmt.Sprintf("article.goods-queue-item[data-goods-id='%d'] form.recognise-form button", id)
		j.open("goods review queue", "/goods/review", button)
		j.submit("recognise "+sku, button, "p.flash")
	}
	j.logout()
}

// The admin keeps the month's customs rate, which the declaration needs to convert to USD.
func (j *journey) setRate() {
	j.login(testkit.UserAdmin, testkit.Password)
	j.open("exchange rates", "/admin/rates", "form.rate-form")
	j.b.do("fill the USD rate", fill(map[string]string{"form.rate-form #f-month": j.today[:7], "form.rate-form #f-currency": "USD",
		"form.rate-form #f-cny_per_unit": "7.1"}))
	j.submit("save the USD rate", "form.rate-form button[type=submit]", "table.rates tr[data-currency=USD]")
	j.logout()
}

// 4a. Agent-x opens a consolidation and gets the booking code the merchants file into.
func (j *journey) openBooking() {
	j.login(testkit.UserAgentX, testkit.Password)
	j.open("new consolidation form", "/consolidations/new", "#f-destination_port")
	j.b.do("fill the consolidation",
		chromedp.SetValue(chromedp.CSS("#f-destination_country"), "AE"),
		fill(map[string]string{"#f-destination_port": "Jebel Ali", "#f-exit_port": "Ningbo", "#f-stuffing_place": "义乌国际陆港监管场站"}),
		chromedp.SetValue(chromedp.CSS("#f-transport_mode"), "2"),
		chromedp.SetValue(chromedp.CSS("#f-trade_terms"), "FOB"),
	)
	j.submit("open the consolidation", "form.consolidation-form button[type=submit]", "h1 .booking-code")
	j.bookingCode = j.b.text("h1 .booking-code")
	if !workflow.CheckBookingCode(j.bookingCode).OK {
		j.t.Fatalf("booking code %q", j.bookingCode)
	}
	j.consURL = j.b.location()
	j.logout()
}

// 3. The merchant files the sale: a line typed in, a receipt photo, two lines imported from
// .xlsx; it registers the transaction and its labels carry the trace URLs.
func (j *journey) fileTransaction() {
	j.login(j.username, "stall-pass-1")
	j.open("new transaction form", "/transactions/new", "#f-buyer_id")
	j.b.do("fill the transaction",
		chromedp.SetValue(chromedp.CSS("#f-buyer_id"), strconv.FormatInt(j.site.World.BuyerA.ID, 10)),
		chromedp.SetValue(chromedp.CSS("#f-trade_date"), j.today),
		chromedp.SetValue(chromedp.CSS("#f-currency"), "USD"),
	)
	j.submit("save the draft", "button.txn-save", "form#line-add")
	j.txnURL = strings.TrimPrefix(j.b.location(), j.site.URL)
	j.b.do("add a line in place",
		chromedp.SetValue(chromedp.CSS("#f-goods_id"), strconv.FormatInt(j.goods["TOY-J01"], 10)),
		fill(map[string]string{"#f-quantity": "240", "#f-unit_price": "5", "#f-cartons": "4", "#f-net_kg": "40", "#f-gross_kg": "44"}),
		chromedp.Click(chromedp.CSS("button.line-add-submit")),
	)
	j.b.poll("the line in the table", `document.querySelectorAll('#line-rows tr.line-row').length === 1`)
	j.check("line added")

	j.b.do("choose a receipt photo", chromedp.SetUploadFiles(chromedp.CSS("#f-files"), []string{txnReceiptPNG(j.t)}))
	j.submit("attach the receipt photo", "button.doc-upload-submit", "ul.txn-documents li a.doc-link")

	j.open("import form", j.txnURL+"/import", "#f-file")
	j.b.do("choose the workbook", chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{journeyWorkbook(j.t)}))
	j.submit("import the workbook", "button.import-submit", "#import-progress")
	j.b.poll("the import ends", `document.querySelector('#import-progress').dataset.state !== 'running'`)
	j.b.do("import done", chromedp.WaitVisible(chromedp.CSS("#import-progress .import-done")))
	j.check("import done")

	j.open("the transaction with its lines", j.txnURL, "button.txn-submit-button")
	if n := j.evalInt(`document.querySelectorAll('#line-rows tr.line-row').length`); n != 3 {
		j.t.Fatalf("%d lines after the import, want 3", n)
	}
	if got := j.b.text("#txn-totals .total-amount strong"); got != "2,610.00" {
		j.t.Errorf("total %q, want 2,610.00", got)
	}
	j.submit("register the transaction", "button.txn-submit-button", ".txn-status ins")
	if got := j.b.text(".txn-status"); got != j.words.registered {
		j.t.Errorf("status %q, want %q", got, j.words.registered)
	}
	j.open("labels", j.txnURL+"/labels", "section.trace-label .label-url")
	j.b.poll("QR codes drawn", `[...document.images].filter(i => i.classList.contains('label-qr')).every(i => i.complete && i.naturalWidth > 0)`)
	j.traceURL = j.b.text("section.trace-label .label-url")
	if !strings.HasPrefix(j.traceURL, j.site.URL+"/trace/") {
		j.t.Fatalf("label's trace URL %q", j.traceURL)
	}
	j.logout()
}

// journeyWorkbook is the .xlsx of two more lines: cups, and more bears.
func journeyWorkbook(t *testing.T) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "追加明细.xlsx")
	wb := excelize.NewFile()
	for i, row := range [][]any{
		{"SKU 货号", "Quantity 数量", "Unit 单位", "Unit price 单价", "Cartons 箱数", "Net kg 净重", "Gross kg 毛重"},
		{"CUP-J02", 600, "", 1.25, 5, 30, 33},
		{"TOY-J01", 120, "", 5.5, 2, 20, 22},
	} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := wb.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := wb.SaveAs(file); err != nil {
		t.Fatal(err)
	}
	return file
}

// merchantASale is merchant-a's sale to the same buyer, registered through the same pages.
func (j *journey) merchantASale() {
	j.login(testkit.UserMerchantA, testkit.Password)
	j.open("merchant-a: new transaction form", "/transactions/new", "#f-buyer_id")
	j.b.do("merchant-a: fill the transaction",
		chromedp.SetValue(chromedp.CSS("#f-buyer_id"), strconv.FormatInt(j.site.World.BuyerA.ID, 10)),
		chromedp.SetValue(chromedp.CSS("#f-trade_date"), j.today),
		chromedp.SetValue(chromedp.CSS("#f-currency"), "USD"),
	)
	j.submit("merchant-a: save the draft", "button.txn-save", "form#line-add")
	j.b.do("merchant-a: add a line",
		chromedp.SetValue(chromedp.CSS("#f-goods_id"), strconv.FormatInt(j.site.Goods[0].ID, 10)),
		fill(map[string]string{"#f-quantity": "1200", "#f-unit_price": "0.35", "#f-cartons": "2", "#f-net_kg": "9.6", "#f-gross_kg": "10.4"}),
		chromedp.Click(chromedp.CSS("button.line-add-submit")),
	)
	j.b.poll("merchant-a: the line in the table", `document.querySelectorAll('#line-rows tr.line-row').length === 1`)
	j.check("merchant-a: line added")
	j.submit("merchant-a: register", "button.txn-submit-button", ".txn-status ins")
	j.logout()
}

// 4b. A merchant finds the booking by its code and files all its open lines into it.
func (j *journey) fileIntoBooking(username, password string, lines int) {
	j.login(username, password)
	j.open(username+": booking form", "/consolidations/file", "#f-booking_code")
	j.b.do(username+": type the booking code", chromedp.SendKeys(chromedp.CSS("#f-booking_code"), strings.ToLower(j.bookingCode)))
	j.submit(username+": find the booking", "form.booking-form button[type=submit]", "form.file-form")
	if got := j.b.text(".booking-agent"); got != j.site.World.AgentX.Name {
		j.t.Errorf("%s: booking agent %q", username, got)
	}
	j.b.poll(username+": tick the lines", fmt.Sprintf(`(() => { const bs = document.querySelectorAll('form.file-form input[name=line_ids]');
	  bs.forEach(c => { c.checked = true; }); return bs.length === %d; })()`, lines))
	j.submit(username+": file the lines", "form.file-form button[type=submit]", "p.flash")
	j.b.poll(username+": own lines in the consolidation", fmt.Sprintf(`document.querySelectorAll('.consolidated-lines tbody tr').length === %d`, lines))
	j.logout()
}

// 4c. Agent-x packs the container, closes, generates and submits the declaration.
func (j *journey) packAndDeclare() {
	j.login(testkit.UserAgentX, testkit.Password)
	cons := strings.TrimPrefix(j.consURL, j.site.URL)
	j.open("the consolidation", cons, "form.container-form")
	j.b.poll("four lines filed", `document.querySelectorAll('.consolidated-lines tbody tr').length === 4`)
	j.b.do("add a container",
		fill(map[string]string{"#f-number": "CSQU3054383", "#f-seal_no": "YW654321", "#f-tare_kg": "3900"}),
		chromedp.SetValue(chromedp.CSS("#f-size_type"), "40HQ"),
		chromedp.Click(chromedp.CSS("form.container-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("table.containers code.container-number")),
	)
	j.check("container added")
	j.b.do("pack everything", chromedp.WaitVisible(chromedp.CSS("button.pack-all")), chromedp.Click(chromedp.CSS("button.pack-all")))
	j.b.poll("everything packed", `document.querySelectorAll('.consolidated-lines tr.packed').length === 4`)
	j.check("packed")
	j.open("the packed consolidation", cons, "p.checks-ok")
	j.submit("close", "form.close-form button", "a.declare-link")
	j.submit("generate form", "a.declare-link", "button.declaration-generate")
	j.submit("generate", "button.declaration-generate", "tr.declaration-row")
	ids, err := chromedp.Run(j.b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('tr.declaration-row')].map(r => r.dataset.id)`))
	if err != nil {
		j.t.Fatal(err)
	}
	// One buyer and far below the value cap: one declaration holds both merchants' lines.
	if len(ids) != 1 {
		j.t.Fatalf("%d declarations generated, want 1", len(ids))
	}
	for _, s := range ids {
		id, _ := strconv.ParseInt(s, 10, 64)
		j.declIDs = append(j.declIDs, id)
		j.open("review the declaration", fmt.Sprintf("/declarations/%d", id), "form.submit-form")
		j.b.do("sign the statement",
			fill(map[string]string{"form.submit-form #f-signer_name": "王小明", "form.submit-form #f-signer_role": "报关员"}),
			chromedp.Click(chromedp.CSS("form.submit-form input[name=statement]")),
		)
		j.submit("submit the declaration", "form.submit-form button[type=submit]", "form.amend-form")
	}
	j.logout()
}

// 5. Customs accepts and routes red, the officer drawn inspects, another releases and confirms exit.
func (j *journey) clearCustoms() {
	d := j.declIDs[0]
	declPath := fmt.Sprintf("/declarations/%d", d)
	accept := fmt.Sprintf("tr.queue-row[data-id='%d'] form button", d)
	j.login(testkit.UserCustoms, testkit.Password)
	j.open("customs queue", "/customs", accept)
	j.submit("accept and route", accept, "p.flash")
	j.open("the accepted declaration", declPath, ".customs-lane mark.lane")
	j.b.poll("routed red, waiting for the inspection", `document.querySelector('.customs-lane mark.lane').dataset.lane === 'red' &&
	  document.querySelector('.release-blocked') !== null && document.querySelector('form.release-form') === null`)
	j.logout()

	j.login("inspector", testkit.Password)
	j.open("my inspections", "/customs/inspections", "form.inspect-form")
	j.b.do("record the inspection",
		chromedp.SetValue(chromedp.CSS("form.inspect-form select[name=result]"), workflow.CustomsConform),
		chromedp.SetValue(chromedp.CSS("form.inspect-form textarea[name=findings]"), "货证相符 goods match the declaration"),
	)
	j.submit("goods conform", "form.inspect-form button[type=submit]", "p.flash")
	j.logout()

	j.login(testkit.UserCustoms, testkit.Password)
	j.open("the inspected declaration", declPath, "form.release-form button")
	j.submit("release", "form.release-form button", "form.exit-form")
	j.b.do("exit date", chromedp.SetValue(chromedp.CSS("#exit-date"), j.today))
	j.submit("confirm exit", "form.exit-form button[type=submit]", ".declaration-timeline")
	j.b.poll("the customs timeline", `['accepted', 'routed', 'released', 'exited'].every(k => document.querySelector('.declaration-timeline li[data-kind=' + k + ']'))`)
	j.logout()
}

// 6. The FX desk records the buyer's payment to the merchant and allocates it as suggested.
func (j *journey) allocateReceipt() {
	w := j.site.World
	j.login(testkit.UserFX, testkit.Password)
	j.open("new receipt form", "/fx/receipts/new", "form.fx-receipt-form")
	j.b.do("fill the receipt",
		fill(map[string]string{"#f-bank_ref": fmt.Sprintf("BOCYW%s%02d", strings.ReplaceAll(j.today, "-", ""), j.run),
			"#f-value_date": j.today, "#f-payer": w.BuyerA.Name, "#f-amount": "2610.00", "#f-beneficiary": j.uscc}),
		chromedp.SetValue(chromedp.CSS("#f-payer_country"), w.BuyerA.Nationality),
		chromedp.SetValue(chromedp.CSS("#f-currency"), "USD"),
	)
	j.submit("record the receipt", "form.fx-receipt-form button[type=submit]", "form.fx-allocate-form")
	j.b.poll("the merchant's three lines suggested and ticked", `document.querySelectorAll('tr.fx-suggestion').length === 3 &&
	  document.querySelectorAll('tr.fx-suggestion input[type=checkbox]:checked').length === 3`)
	j.submit("allocate", "form.fx-allocate-form button[type=submit]", "table.fx-allocations")
	if n := j.evalInt(`document.querySelectorAll('tr.fx-allocation').length`); n != 3 {
		j.t.Errorf("%d allocations, want 3", n)
	}
	j.logout()
}

// 7. The merchant builds and files its VAT exemption for the month; the tax officer accepts it.
func (j *journey) fileExemption() {
	j.login(j.username, "stall-pass-1")
	j.open("VAT exemption preview", "/tax/new?period="+j.today[:7], "form.tax-build")
	if got := j.b.text(".tax-eligible-count"); got != "3" {
		j.t.Errorf("%s lines eligible, want 3", got)
	}
	j.submit("build the filing", "form.tax-build button", "form.tax-file button")
	j.submit("file it", "form.tax-file button", "p.flash")
	filing := j.idIn("/tax/")
	j.logout()

	j.login(testkit.UserTax, testkit.Password)
	link := fmt.Sprintf("tr.tax-row[data-id='%d'] a", filing)
	j.open("filings", "/tax", link)
	j.submit("open the filing", link, "form.tax-accept button")
	j.submit("accept the filing", "form.tax-accept button", "p.flash")
	if got := j.evalInt(`document.querySelectorAll('.tax-status[data-status=accepted]').length`); got != 1 {
		j.t.Errorf("filing not shown accepted")
	}
	j.logout()
}

// 8. The auditor opens the label's trace URL, sees every step done, and verifies the audit log.
func (j *journey) auditTrace() {
	j.login(testkit.UserAuditor, testkit.Password)
	j.open("the label's trace URL", strings.TrimPrefix(j.traceURL, j.site.URL), "article.trace-view")
	j.b.poll("every step done", `document.querySelectorAll('.trace-step').length === 7 && document.querySelectorAll('.trace-step.done').length === 7`)
	j.b.poll("the chain", `document.querySelector('.trace-packing .container-number').textContent === 'CSQU3054383' &&
	  document.querySelector('.trace-declaration .entry-no') !== null && document.querySelector('.trace-declaration mark.lane[data-lane=red]') !== null &&
	  document.querySelectorAll('.trace-documents li').length === 1 && document.querySelectorAll('.trace-fx tbody tr').length === 1 &&
	  document.querySelectorAll('.trace-filings li').length === 1 && document.querySelectorAll('.trace-customs li[data-kind=inspection]').length === 1`)
	j.open("audit log", "/audit", "form.audit-verify-form")
	j.b.do("verify the audit log", chromedp.Click(chromedp.CSS("form.audit-verify-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.audit-ok")))
	j.check("audit log verified")
	j.logout()
}

// phoneOverflowScript reports what makes the page wider than the screen: the page must never
// scroll sideways (a wide table scrolls inside its .table-wrap instead).
const phoneOverflowScript = `(() => {
  const w = window.innerWidth, sw = document.documentElement.scrollWidth;
  if (sw <= w) return [];
  const out = ['page is ' + sw + 'px wide on a ' + w + 'px screen'];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('.table-wrap') && !el.classList.contains('table-wrap')) continue;
    const r = el.getBoundingClientRect();
    if (r.right > w + 0.5) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + [...el.classList].map(c => '.' + c).join('') + ' reaches ' + Math.round(r.right) + 'px');
    if (out.length > 8) break;
  }
  return out;
})()`

// TestMerchantPagesOnAPhone visits every page a merchant uses on a 390×844 phone, in Chinese,
// with data on each: the page body never scrolls sideways, accessibility basics hold, and no
// console errors or failed requests.
func TestMerchantPagesOnAPhone(t *testing.T) {
	s := startTxnSite(t)
	ids := phoneTrade(t, s)
	b := newBrowser(t, 390, 844)
	b.do("language", chromedp.Navigate(s.URL+"/lang/zh-CN?next=/login"), chromedp.WaitVisible(chromedp.CSS("#f-username")))
	b.login(&site{URL: s.URL, DB: s.DB, World: s.World}, testkit.UserMerchantA, testkit.Password)
	b.checkClean("log in")
	for _, p := range []struct{ name, path, wait string }{
		{"dashboard", "/dashboard", "main h1"},
		{"my transactions and stages", "/my", "article.dashboard-txn"},
		{"goods list", "/goods", "main h1"},
		{"goods form", "/goods/new", "#f-sku"},
		{"goods", fmt.Sprintf("/goods/%d", s.Goods[0].ID), "main h1"},
		{"buyers", "/buyers", "main h1"},
		{"buyer form", "/buyers/new", "#f-doc_number"},
		{"transactions list", "/transactions", "table.txn-list"},
		{"transaction form", "/transactions/new", "#f-buyer_id"},
		{"draft transaction", fmt.Sprintf("/transactions/%d", ids.draft), "form#line-add"},
		{"line form", fmt.Sprintf("/transactions/%d/lines/%d/edit", ids.draft, ids.draftLine), "#f-quantity"},
		{"import", fmt.Sprintf("/transactions/%d/import", ids.draft), "#f-file"},
		{"registered transaction", fmt.Sprintf("/transactions/%d", ids.registered), "table.txn-lines"},
		{"registered transaction, not yet consolidated", fmt.Sprintf("/transactions/%d", ids.open), "table.txn-lines"},
		{"labels", fmt.Sprintf("/transactions/%d/labels", ids.open), "section.trace-label"},
		{"entrustments", "/entrustments", "table.entrustments"},
		{"entrustment form", "/entrustments/new", "#f-agreement_no"},
		{"consolidations", "/consolidations", "main h1"},
		{"file into a booking", "/consolidations/file", "#f-booking_code"},
		{"a booking found", "/consolidations/file?booking_code=" + ids.booking, "form.file-form"},
		{"declarations", "/declarations", "tr.declaration-row"},
		{"declaration", fmt.Sprintf("/declarations/%d", ids.declaration), "main h1"},
		{"FX receipts", "/fx", "main h1"},
		{"FX receipt", fmt.Sprintf("/fx/receipts/%d", ids.receipt), "table.fx-allocations"},
		{"VAT filings", "/tax", "tr.tax-row"},
		{"VAT filing preview", "/tax/new?period=" + ids.period, "form.tax-choose"},
		{"VAT filing", fmt.Sprintf("/tax/%d", ids.filing), "table.tax-summary"},
		{"notifications", "/notifications", "main h1"},
		{"trace search", "/trace", "main h1"},
		{"trace", workflow.TracePath(ids.traceCode), "article.trace-view"},
		{"profile", "/profile", "#f-current"},
	} {
		resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(s.URL+p.path))
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		if resp.Status != 200 {
			t.Errorf("%s: %s answered %d", p.name, p.path, resp.Status)
			continue
		}
		b.do(p.name, chromedp.WaitVisible(chromedp.CSS(p.wait)))
		problems, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](phoneOverflowScript))
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		for _, msg := range problems {
			t.Errorf("%s (%s): %s", p.name, p.path, msg)
		}
		b.checkA11y(p.name)
		b.checkClean(p.name)
	}
}

// phoneIDs are the records of merchant-a the phone pass opens.
type phoneIDs struct {
	draft, draftLine, registered, open, declaration, receipt, filing int64
	booking, period, traceCode                                       string
}

// phoneTrade gives merchant-a something on every page, through the service: a trade declared,
// released and exited (routed green), paid and filed for VAT exemption; a draft with a line and
// a receipt photo; and an open booking of agent-x.
func phoneTrade(t *testing.T, s *txnSite) phoneIDs {
	t.Helper()
	ctx, svc, w := context.Background(), s.Svc, s.World
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	as := func(username string) workflow.Actor {
		a, err := svc.ActAs(ctx, username)
		must(err)
		return a
	}
	_, err := svc.PublishRuleSet(ctx, servicetest.Actor(t, w, testkit.UserAdmin), workflow.RuleSetInput{RulesJSON: `{"rules": []}`,
		MinRates: map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "phone pass: everything green"})
	must(err)
	tr := servicetest.Submitted(t, svc, s.DB, w, servicetest.TradeSpec{})
	customs := as(testkit.UserCustoms)
	d, err := svc.AcceptDeclaration(ctx, customs, tr.Declaration.ID, tr.Declaration.Version)
	must(err)
	d, err = svc.ReleaseDeclaration(ctx, customs, d.ID, d.Version)
	must(err)
	_, err = svc.ConfirmExit(ctx, customs, d.ID, workflow.ExitInput{Version: d.Version, ExitDate: svc.EntrustmentToday()})
	must(err)

	fx := as(testkit.UserFX)
	r, err := svc.RecordFXReceipt(ctx, fx, workflow.FXReceiptInput{BankRef: "BOCYWPHONE0001", Payer: w.BuyerA.Name,
		PayerCountry: w.BuyerA.Nationality, Currency: "USD", Amount: tr.Transaction.TotalAmount.String(),
		ValueDate: svc.EntrustmentToday(), Beneficiary: w.MerchantA.USCC})
	must(err)
	var items []workflow.FXAllocationItem
	for _, l := range tr.Lines {
		items = append(items, workflow.FXAllocationItem{LineID: l.ID, Amount: l.Amount.String()})
	}
	_, err = svc.AllocateFXReceipt(ctx, fx, r.ID, workflow.FXAllocateInput{Items: items})
	must(err)

	merchant := as(testkit.UserMerchantA)
	f, err := svc.BuildTaxFiling(ctx, merchant, workflow.TaxFilingInput{MerchantID: w.MerchantA.ID, Period: svc.CurrentMonth()})
	must(err)
	_, err = svc.FileTaxFiling(ctx, merchant, f.ID, f.Version)
	must(err)

	sale := func() (models.Transaction, *workflow.LineView) {
		t.Helper()
		draft, err := svc.CreateTransaction(ctx, merchant, workflow.TransactionInput{BuyerID: w.BuyerA.ID,
			TradeDate: svc.EntrustmentToday(), Currency: "CNY"})
		must(err)
		line, err := svc.AddLine(ctx, merchant, draft.Transaction.ID, draft.Transaction.Version, workflow.LineInput{GoodsID: s.Goods[1].ID,
			Quantity: "360", UnitPrice: "1.25", Cartons: "6", NetKg: "48", GrossKg: "51.5"})
		must(err)
		return line.Transaction, line.Line
	}
	// A registered sale not yet consolidated: its labels, and lines to file into the booking.
	open, _ := sale()
	_, err = svc.SubmitTransaction(ctx, merchant, open.ID, open.Version)
	must(err)
	draft, line := sale()
	photo := txnReceiptPNG(t)
	_, err = svc.AttachDocuments(ctx, merchant, draft.ID, "receipt", []workflow.DocumentUpload{{FileName: filepath.Base(photo),
		Open: func() (io.ReadCloser, error) { return os.Open(photo) }}})
	must(err)

	c, err := svc.OpenConsolidation(ctx, as(testkit.UserAgentX), workflow.ConsolidationInput{DestinationCountry: "AE",
		DestinationPort: "Jebel Ali", TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "义乌国际陆港监管场站"})
	must(err)
	return phoneIDs{draft: draft.ID, draftLine: line.ID, registered: tr.Transaction.ID, open: open.ID, declaration: d.ID,
		receipt: r.ID, filing: f.ID, booking: c.BookingCode, period: svc.CurrentMonth(), traceCode: tr.Lines[0].TraceCode}
}
