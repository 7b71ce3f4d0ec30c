package e2e_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/handlers"
	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// txnSite is the real server over a seeded world with recognised goods for merchant A and a data
// directory for documents.
type txnSite struct {
	URL   string
	DB    *gorm.DB
	World *testkit.World
	Svc   *workflow.Service
	Goods []models.Goods
}

func startTxnSite(t *testing.T) *txnSite {
	t.Helper()
	db := dbtest.SQLite(t)
	w := testkit.Seed(t, db)
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := workflow.NewService(db, ref, time.Now, lg)
	svc.Policy.BcryptCost = bcrypt.MinCost
	svc.DataDir = t.TempDir()
	s, err := handlers.New(handlers.Deps{Service: svc, Log: lg, Version: "e2e"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	site := &txnSite{URL: ts.URL, DB: db, World: w, Svc: svc}
	for _, g := range []models.Goods{
		{SKU: "EAR-001", NameZh: "合金耳环", NameEn: "Alloy earrings", HSCode: "7117190000", TransactionUnit: "025"},
		{SKU: "CUP-002", NameZh: "塑料水杯", NameEn: "Plastic cup", HSCode: "3924100000", TransactionUnit: "007"},
		{SKU: "BEAR-003", NameZh: "毛绒玩具熊", NameEn: "Plush teddy bear", HSCode: "9503002100", TransactionUnit: "007"},
	} {
		g.MerchantID, g.LegalUnit, g.Status, g.Version = w.MerchantA.ID, "035", models.GoodsRecognised, 1
		g.CreatedAt, g.UpdatedAt = time.Now(), time.Now()
		if err := db.Create(&g).Error; err != nil {
			t.Fatal(err)
		}
		site.Goods = append(site.Goods, g)
	}
	return site
}

// txnLogin signs in through the login form in a language.
func (b *browser) txnLogin(s *txnSite, lang, username string) {
	b.t.Helper()
	b.do("log in as "+username,
		chromedp.Navigate(s.URL+"/lang/"+lang+"?next=/login"),
		chromedp.WaitVisible(chromedp.CSS("#f-username")),
		fill(map[string]string{"#f-username": username, "#f-password": testkit.Password}),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
}

// txnScreenshot saves a full-page screenshot to test-output/ when MPT_SCREENSHOTS is set, for
// looking at the pages by eye.
func (b *browser) txnScreenshot(name string) {
	b.t.Helper()
	if os.Getenv("MPT_SCREENSHOTS") == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	dir := filepath.Join("..", "..", "test-output")
	_ = os.MkdirAll(dir, 0o755)
	_ = os.WriteFile(filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")+".png"), png, 0o644)
}

// txnReceiptPNG writes a small photo of a receipt.
func txnReceiptPNG(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 60))
	for x := range 40 {
		for y := range 60 {
			img.Set(x, y, color.RGBA{R: 250, G: 250, B: byte(200 + y%50), A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "收据.png")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFileATransactionWithADocument is issue 4's first journey in a real browser: merchant A
// registers a sale, adds three lines in place (no page reload), attaches a receipt photo,
// registers it and finds it on its dashboard with each line's stage; the labels page shows its
// QR codes. In Chinese on a laptop, and in English on a phone.
func TestFileATransactionWithADocument(t *testing.T) {
	site := startTxnSite(t)
	for _, tc := range []struct {
		name, lang string
		w, h       int
		registered string
	}{
		{"zh-CN laptop", "zh-CN", 1280, 900, "已登记"},
		{"en phone", "en", 390, 844, "Registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, tc.w, tc.h)
			b.txnLogin(site, tc.lang, testkit.UserMerchantA)
			today := time.Now().In(workflow.MarketZone).Format("2006-01-02")
			b.do("open the form", chromedp.Navigate(site.URL+"/transactions/new"), chromedp.WaitVisible(chromedp.CSS("#f-buyer_id")))
			b.checkA11y("new transaction")
			b.txnScreenshot("txn-new-" + tc.name)
			b.do("save the draft",
				chromedp.SetValue(chromedp.CSS("#f-buyer_id"), fmt.Sprint(site.World.BuyerA.ID)),
				chromedp.SetValue(chromedp.CSS("#f-trade_date"), today),
				chromedp.SetValue(chromedp.CSS("#f-currency"), "CNY"),
				chromedp.Click(chromedp.CSS("button.txn-save")),
				chromedp.WaitVisible(chromedp.CSS("p.flash")),
				chromedp.WaitVisible(chromedp.CSS("form#line-add")),
			)
			page := b.location()
			if !strings.Contains(page, "/transactions/") {
				t.Fatalf("after saving at %s", page)
			}
			b.checkClean("draft")

			// Three lines, each added in place: the page is never reloaded.
			if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`window.__notReloaded = true`)); err != nil {
				t.Fatal(err)
			}
			lines := []struct{ goods, qty, price, cartons, net, gross string }{
				{fmt.Sprint(site.Goods[0].ID), "1200", "0.0035", "2", "9.6", "10.4"},
				{fmt.Sprint(site.Goods[1].ID), "360", "1.25", "6", "48", "51.5"},
				{fmt.Sprint(site.Goods[2].ID), "48", "6.8", "4", "20", "23"},
			}
			for i, l := range lines {
				b.do(fmt.Sprintf("add line %d", i+1),
					chromedp.WaitVisible(chromedp.CSS("#f-goods_id")),
					chromedp.SetValue(chromedp.CSS("#f-goods_id"), l.goods),
					fill(map[string]string{"#f-quantity": l.qty, "#f-unit_price": l.price, "#f-cartons": l.cartons, "#f-net_kg": l.net, "#f-gross_kg": l.gross}),
					chromedp.Click(chromedp.CSS("button.line-add-submit")),
				)
				b.poll(fmt.Sprintf("line %d in the table", i+1), fmt.Sprintf(`document.querySelectorAll('#line-rows tr.line-row').length === %d`, i+1))
			}
			b.poll("totals", `document.querySelector('#txn-totals .total-amount strong').textContent.trim() === '780.60'`)
			b.poll("not reloaded", `window.__notReloaded === true && document.getElementById('txn-version').value === '4'`)
			b.checkA11y("lines")
			b.checkClean("lines")
			b.txnScreenshot("txn-lines-" + tc.name)

			b.do("attach a receipt photo",
				chromedp.SetUploadFiles(chromedp.CSS("#f-files"), []string{txnReceiptPNG(t)}),
				chromedp.Click(chromedp.CSS("button.doc-upload-submit")),
				chromedp.WaitVisible(chromedp.CSS("ul.txn-documents li a.doc-link")),
			)
			if got := b.text("ul.txn-documents li a.doc-link"); got != "收据.png" {
				t.Errorf("document shown as %q", got)
			}
			b.do("register",
				chromedp.Click(chromedp.CSS("button.txn-submit-button")),
				chromedp.WaitVisible(chromedp.CSS(".txn-status ins")),
			)
			if got := b.text(".txn-status"); got != tc.registered {
				t.Errorf("status %q, want %q", got, tc.registered)
			}
			b.checkA11y("registered")
			b.checkClean("registered")
			number := b.text("code.txn-number")

			b.do("dashboard", chromedp.Navigate(site.URL+"/my"), chromedp.WaitVisible(chromedp.CSS("article.dashboard-txn")))
			b.poll("the transaction on the dashboard", fmt.Sprintf(
				`[...document.querySelectorAll('article.dashboard-txn')].some(a => a.querySelector('code').textContent === %q && a.querySelectorAll('li[data-stage=registered]').length === 3)`, number))
			b.checkA11y("dashboard")
			b.checkClean("dashboard")
			b.txnScreenshot("my-" + tc.name)

			b.do("the list",
				chromedp.Navigate(site.URL+"/transactions"), chromedp.WaitVisible(chromedp.CSS("table.txn-list")))
			b.checkA11y("list")
			b.checkClean("list")
			b.txnScreenshot("list-" + tc.name)

			b.do("labels", chromedp.Navigate(page+"/labels"), chromedp.WaitVisible(chromedp.CSS("section.trace-label")))
			b.poll("QR codes drawn", `[...document.images].filter(i => i.classList.contains('label-qr')).every(i => i.complete && i.naturalWidth > 0)`)
			b.checkA11y("labels")
			b.checkClean("labels")
			b.txnScreenshot("labels-" + tc.name)
		})
	}
}

// TestImportShowsTheBadRow is issue 4's second journey: an .xlsx made in the test, with a bad row
// in the middle, is imported into a draft; the progress page ends on the list of problems naming
// the exact row and column, and nothing is imported.
func TestImportShowsTheBadRow(t *testing.T) {
	site := startTxnSite(t)
	for _, tc := range []struct {
		name, lang string
		w, h       int
	}{
		{"zh-CN laptop", "zh-CN", 1280, 900},
		{"en phone", "en", 390, 844},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := site.World.Users[testkit.UserMerchantA]
			actor := workflow.Actor{UserID: u.ID, Role: u.Role, MerchantID: site.World.MerchantA.ID}
			draft, err := site.Svc.CreateTransaction(t.Context(), actor, workflow.TransactionInput{BuyerID: site.World.BuyerA.ID,
				TradeDate: time.Now().In(workflow.MarketZone).Format("2006-01-02"), Currency: "CNY"})
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "明细.xlsx")
			wb := excelize.NewFile()
			for i, row := range [][]any{
				{"SKU 货号", "Quantity 数量", "Unit 单位", "Unit price 单价", "Cartons 箱数", "Net kg 净重", "Gross kg 毛重"},
				{"EAR-001", 1200, "", 0.0035, 2, 9.6, 10.4},
				{"CUP-002", 360, "", 1.25, 6, 48, 47.5}, // row 3: gross below net
				{"BEAR-003", 48, "", 6.8, 4, 20, 23},
			} {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := wb.SetSheetRow("Sheet1", cell, &row); err != nil {
					t.Fatal(err)
				}
			}
			if err := wb.SaveAs(file); err != nil {
				t.Fatal(err)
			}

			b := newBrowser(t, tc.w, tc.h)
			b.txnLogin(site, tc.lang, testkit.UserMerchantA)
			b.do("open the import", chromedp.Navigate(fmt.Sprintf("%s/transactions/%d/import", site.URL, draft.Transaction.ID)),
				chromedp.WaitVisible(chromedp.CSS("#f-file")))
			b.checkA11y("import form")
			b.do("upload the workbook",
				chromedp.SetUploadFiles(chromedp.CSS("#f-file"), []string{file}),
				chromedp.Click(chromedp.CSS("button.import-submit")),
				chromedp.WaitVisible(chromedp.CSS("#import-progress")),
			)
			b.poll("the import ends", `document.querySelector('#import-progress').dataset.state !== 'running'`)
			b.do("the problems", chromedp.WaitVisible(chromedp.CSS("table.import-errors")))
			if got := b.text("table.import-errors tr[data-row='3'] td.column"); got != "Gross kg 毛重" {
				t.Errorf("column of row 3: %q", got)
			}
			if got := b.text("table.import-errors tbody tr td.row-no"); got != "3" {
				t.Errorf("first bad row: %q", got)
			}
			if n, _ := chromedp.Run(b.ctx, chromedp.Evaluate[int](`document.querySelectorAll('table.import-errors tbody tr').length`)); n != 1 {
				t.Errorf("%d problems listed, want 1", n)
			}
			var lines int64
			site.DB.Model(&models.TransactionLine{}).Where("transaction_id = ?", draft.Transaction.ID).Count(&lines)
			if lines != 0 {
				t.Errorf("%d lines imported from a file with a bad row", lines)
			}
			b.checkA11y("import problems")
			b.checkClean("import problems")
			b.txnScreenshot("import-errors-" + tc.name)
		})
	}
}
