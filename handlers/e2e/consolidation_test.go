package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// consolidationLines writes a registered transaction of a merchant with n lines of its goods
// straight into the database (2 cartons, 9.6 kg net, 10.4 kg gross each).
func consolidationLines(t *testing.T, s *site, m models.Merchant, b models.Buyer, g models.Goods, tag string, n int) {
	t.Helper()
	now := time.Now()
	tr := models.Transaction{Number: "T2026E2E" + tag, MerchantID: m.ID, BuyerID: b.ID, TradeDate: now.In(workflow.MarketZone).Format("2006-01-02"),
		Currency: "USD", Status: models.TransactionRegistered, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := s.DB.Create(&tr).Error; err != nil {
		t.Fatal(err)
	}
	for i := range n {
		l := models.TransactionLine{TransactionID: tr.ID, LineNo: i + 1, GoodsID: g.ID, TraceCode: fmt.Sprintf("E2E%s%02d", tag, i),
			Quantity: 120_000, Unit: "007", UnitPrice: 8500, Amount: 10200, Cartons: 2, NetGrams: 9600, GrossGrams: 10400,
			CreatedAt: now, UpdatedAt: now}
		if err := s.DB.Create(&l).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// TestConsolidateTwoMerchants is issue 5's consolidation journey in a real browser: agent-x
// opens a consolidation; merchant-a and merchant-b (who entrusts agent-x too) each file their
// lines by its booking code; agent-x adds a 40HQ container, packs everything with one click and
// closes the consolidation — once in Chinese on a laptop, once in English on a phone.
func TestConsolidateTwoMerchants(t *testing.T) {
	site := startSite(t)
	w := site.World
	now := time.Now()
	if err := site.DB.Create(&models.Entrustment{MerchantID: w.MerchantB.ID, AgentID: w.AgentX.ID, AgreementNo: "WT-B-X",
		StartsOn: "2000-01-01", Version: 1, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	goods := func(m models.Merchant, sku, zh, en, hs string) models.Goods {
		g := models.Goods{MerchantID: m.ID, SKU: sku, NameZh: zh, NameEn: en, HSCode: hs, LegalUnit: "035", TransactionUnit: "007",
			Status: models.GoodsRecognised, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := site.DB.Create(&g).Error; err != nil {
			t.Fatal(err)
		}
		return g
	}
	earrings := goods(w.MerchantA, "EAR-001", "合金耳环", "Alloy earrings", "7117190000")
	bear := goods(w.MerchantB, "BEAR-001", "毛绒玩具熊", "Plush teddy bear", "9503002100")
	for i, tc := range []struct {
		name, lang string
		w, h       int
		closed     string
	}{
		{"zh-CN laptop", "zh-CN", 1280, 900, "已截单"},
		{"en phone", "en", 390, 844, "closed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			consolidationLines(t, site, w.MerchantA, w.BuyerA, earrings, fmt.Sprintf("A%d", i), 2)
			consolidationLines(t, site, w.MerchantB, w.BuyerB, bear, fmt.Sprintf("B%d", i), 1)
			b := newBrowser(t, tc.w, tc.h)
			b.do("choose the language", chromedp.Navigate(site.URL+"/lang/"+tc.lang+"?next=/login"), chromedp.WaitVisible(chromedp.CSS("#f-username")))

			// The agent opens a consolidation and gets its booking code.
			b.login(site, testkit.UserAgentX, testkit.Password)
			b.do("open the form", chromedp.Navigate(site.URL+"/consolidations/new"), chromedp.WaitVisible(chromedp.CSS("#f-destination_port")))
			b.checkA11y("new consolidation")
			b.do("open a consolidation",
				chromedp.SetValue(chromedp.CSS("#f-destination_country"), "AE"),
				fill(map[string]string{"#f-destination_port": "Jebel Ali", "#f-exit_port": "Ningbo", "#f-stuffing_place": "Yiwu consolidation site"}),
				chromedp.SetValue(chromedp.CSS("#f-transport_mode"), "2"),
				chromedp.SetValue(chromedp.CSS("#f-trade_terms"), "FOB"),
				chromedp.Click(chromedp.CSS("form.consolidation-form button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS("p.flash")),
			)
			code := b.text("h1 .booking-code")
			if !workflow.CheckBookingCode(code).OK {
				t.Fatalf("booking code %q", code)
			}
			consURL := b.location()
			b.checkA11y("consolidation page")
			b.checkClean("open consolidation")
			b.logout()

			// Each merchant files its lines by the code.
			for _, m := range []struct {
				user  string
				lines int
			}{{testkit.UserMerchantA, 2}, {testkit.UserMerchantB, 1}} {
				b.login(site, m.user, testkit.Password)
				b.do(m.user+": find the booking",
					chromedp.Navigate(site.URL+"/consolidations/file"),
					chromedp.WaitVisible(chromedp.CSS("#f-booking_code")),
					chromedp.SendKeys(chromedp.CSS("#f-booking_code"), strings.ToLower(code)),
					chromedp.Click(chromedp.CSS("form.booking-form button[type=submit]")),
					chromedp.WaitVisible(chromedp.CSS("form.file-form")),
				)
				b.checkA11y(m.user + ": booking")
				if got := b.text(".booking-agent"); got != w.AgentX.Name {
					t.Errorf("%s: booking agent %q", m.user, got)
				}
				b.poll(m.user+": tick the lines", `(() => { const bs = document.querySelectorAll('form.file-form input[name=line_ids]'); bs.forEach(c => { c.checked = true; }); return bs.length === `+fmt.Sprint(m.lines)+`; })()`)
				b.do(m.user+": file",
					chromedp.Click(chromedp.CSS("form.file-form button[type=submit]")),
					chromedp.WaitVisible(chromedp.CSS("p.flash")),
				)
				b.poll(m.user+": own lines shown", `document.querySelectorAll('.consolidated-lines tbody tr').length === `+fmt.Sprint(m.lines))
				b.checkA11y(m.user + ": consolidation")
				b.checkClean(m.user + ": filing")
				b.logout()
			}

			// The agent adds a 40HQ container, packs everything with one click and closes.
			b.login(site, testkit.UserAgentX, testkit.Password)
			b.do("back to the consolidation", chromedp.Navigate(consURL), chromedp.WaitVisible(chromedp.CSS("form.container-form")))
			b.poll("three lines filed", `document.querySelectorAll('.consolidated-lines tbody tr').length === 3`)
			b.do("add a container",
				fill(map[string]string{"#f-number": "CSQU3054383", "#f-seal_no": "YW123456", "#f-tare_kg": "3900"}),
				chromedp.SetValue(chromedp.CSS("#f-size_type"), "40HQ"),
				chromedp.Click(chromedp.CSS("form.container-form button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS("table.containers code.container-number")),
			)
			b.checkA11y("container added")
			b.do("pack the rest into the container",
				chromedp.WaitVisible(chromedp.CSS("button.pack-all")),
				chromedp.Click(chromedp.CSS("button.pack-all")),
			)
			b.poll("everything packed", `document.querySelectorAll('.consolidated-lines tr.packed').length === 3`)
			b.checkA11y("packed")
			b.checkClean("packing")
			b.do("reload and close",
				chromedp.Navigate(consURL),
				chromedp.WaitVisible(chromedp.CSS("p.checks-ok")),
				chromedp.Click(chromedp.CSS("form.close-form button")),
				chromedp.WaitVisible(chromedp.CSS("p.flash")),
			)
			if got := b.text(".consolidation-status"); got != tc.closed {
				t.Errorf("status shown %q, want %q", got, tc.closed)
			}
			b.checkA11y("closed")
			b.do("packing list", chromedp.Navigate(consURL+"/packing-list"), chromedp.WaitVisible(chromedp.CSS(".packing-list-sheet")))
			b.checkA11y("packing list")
			b.checkClean("close")
		})
	}
}
