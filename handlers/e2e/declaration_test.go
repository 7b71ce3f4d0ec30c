package e2e_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// openConsolidation writes an open consolidation of agent-x and registered, not yet filed lines
// straight into the database: seven kinds of goods from merchant-a and one from merchant-b, all
// sold to buyer A, so the simplified declaration has five top items and merged chapters.
func openConsolidation(t *testing.T, s *site) models.Consolidation {
	t.Helper()
	w, now := s.World, time.Now()
	must := func(v any) {
		t.Helper()
		if err := s.DB.Create(v).Error; err != nil {
			t.Fatal(err)
		}
	}
	must(&models.Entrustment{MerchantID: w.MerchantB.ID, AgentID: w.AgentX.ID, AgreementNo: "WT-B-X2", StartsOn: "2000-01-01", Version: 1, CreatedAt: now, UpdatedAt: now})
	month := now.In(workflow.MarketZone).Format("2006-01")
	must(&models.ExchangeRate{Month: month, Currency: "USD", CNYPerUnit: 7_120_000, CreatedAt: now, UpdatedAt: now})
	check, _ := workflow.BookingCheckChar("E2EDEC9")
	c := models.Consolidation{BookingCode: "E2EDEC9" + string(check), AgentID: w.AgentX.ID, DestinationCountry: "AE", DestinationPort: "Jebel Ali",
		TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "Yiwu", Status: models.ConsolidationOpen,
		Version: 1, CreatedAt: now, UpdatedAt: now}
	must(&c)
	goods := []struct {
		merchant models.Merchant
		hs, zh   string
		dollars  int64
	}{
		{w.MerchantA, "9503002100", "毛绒玩具", 12000}, {w.MerchantA, "3924100000", "塑料餐具", 9000},
		{w.MerchantA, "9505100000", "圣诞饰品", 8500}, {w.MerchantA, "6307900090", "纺织制品", 7000},
		{w.MerchantA, "8513109000", "手电筒", 6000}, {w.MerchantA, "3926400000", "塑料装饰品", 2000},
		{w.MerchantB, "3924900000", "塑料家居用品", 3500}, {w.MerchantA, "6117100000", "围巾", 800},
	}
	for i, gd := range goods {
		g := models.Goods{MerchantID: gd.merchant.ID, SKU: fmt.Sprintf("D%d", i), NameZh: gd.zh, NameEn: gd.zh, HSCode: gd.hs,
			LegalUnit: "007", TransactionUnit: "007", Status: models.GoodsRecognised, Version: 1, CreatedAt: now, UpdatedAt: now}
		must(&g)
		tr := models.Transaction{Number: fmt.Sprintf("TRE2E%05d", i), MerchantID: gd.merchant.ID, BuyerID: w.BuyerA.ID,
			TradeDate: now.In(workflow.MarketZone).Format("2006-01-02"), Currency: "USD", TotalAmount: models.Money(gd.dollars * 100),
			LineCount: 1, Status: models.TransactionRegistered, Version: 1, CreatedAt: now, UpdatedAt: now}
		must(&tr)
		l := models.TransactionLine{TransactionID: tr.ID, LineNo: 1, GoodsID: g.ID, TraceCode: fmt.Sprintf("DECLE2E%03d", i),
			Quantity: 1_000_000, Unit: "007", UnitPrice: models.Price(gd.dollars * 10), Amount: models.Money(gd.dollars * 100),
			Cartons: 10, NetGrams: 80_000, GrossGrams: 90_000, CreatedAt: now, UpdatedAt: now}
		must(&l)
	}
	return c
}

// TestDeclareSubmitAmend is issue 5's whole journey in a real browser: two merchants file their
// lines into one booking by its code, the agent packs them into a container and closes the
// consolidation, generates the declarations, reads a merged item's correspondence, submits with
// a signed statement, amends the destination port with a reason, and the timeline shows it.
func TestDeclareSubmitAmend(t *testing.T) {
	site := startSite(t)
	c := openConsolidation(t, site)
	b := newBrowser(t, 1280, 900)
	b.do("language", chromedp.Navigate(site.URL+"/lang/zh-CN?next=/login"), chromedp.WaitVisible(chromedp.CSS("#f-username")))

	for _, m := range []struct {
		user  string
		lines int
	}{{testkit.UserMerchantA, 7}, {testkit.UserMerchantB, 1}} {
		b.login(site, m.user, testkit.Password)
		b.do(m.user+": find the booking",
			chromedp.Navigate(site.URL+"/consolidations/file"),
			chromedp.WaitVisible(chromedp.CSS("#f-booking_code")),
			chromedp.SendKeys(chromedp.CSS("#f-booking_code"), c.BookingCode),
			chromedp.Click(chromedp.CSS("form.booking-form button[type=submit]")),
			chromedp.WaitVisible(chromedp.CSS("form.file-form")),
		)
		b.poll(m.user+": tick the lines", `(() => { const bs = document.querySelectorAll('form.file-form input[name=line_ids]'); bs.forEach(c => { c.checked = true; }); return bs.length === `+fmt.Sprint(m.lines)+`; })()`)
		b.do(m.user+": file", chromedp.Click(chromedp.CSS("form.file-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
		b.checkClean(m.user + ": filing")
		b.logout()
	}

	b.login(site, testkit.UserAgentX, testkit.Password)
	consURL := fmt.Sprintf("%s/consolidations/%d", site.URL, c.ID)
	b.do("add a container",
		chromedp.Navigate(consURL),
		chromedp.WaitVisible(chromedp.CSS("form.container-form")),
		fill(map[string]string{"#f-number": "CSQU3054383", "#f-seal_no": "YW123456", "#f-tare_kg": "3900"}),
		chromedp.SetValue(chromedp.CSS("#f-size_type"), "40HQ"),
		chromedp.Click(chromedp.CSS("form.container-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("button.pack-all")),
		chromedp.Click(chromedp.CSS("button.pack-all")),
	)
	b.poll("everything packed", `document.querySelectorAll('.consolidated-lines tr.packed').length === 8`)
	b.do("close",
		chromedp.Navigate(consURL),
		chromedp.WaitVisible(chromedp.CSS("p.checks-ok")),
		chromedp.Click(chromedp.CSS("form.close-form button")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.checkClean("pack and close")
	b.do("generate",
		chromedp.Navigate(consURL),
		chromedp.WaitVisible(chromedp.CSS("a.declare-link")),
		chromedp.Click(chromedp.CSS("a.declare-link")),
		chromedp.WaitVisible(chromedp.CSS("button.declaration-generate")),
		chromedp.Click(chromedp.CSS("button.declaration-generate")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.checkA11y("declarations list")
	b.checkClean("generate")

	var d models.Declaration
	if err := site.DB.Where("consolidation_id = ?", c.ID).Take(&d).Error; err != nil {
		t.Fatal(err)
	}
	declURL := fmt.Sprintf("%s/declarations/%d", site.URL, d.ID)
	b.do("review", chromedp.Navigate(declURL), chromedp.WaitVisible(chromedp.CSS("form.submit-form")))
	// Chapter 39's merged item holds the plastic ornament and the household article of two merchants.
	b.poll("merged item's correspondence", `(() => {
	  const m = document.querySelectorAll('tbody.declaration-item[data-kind=merged]');
	  return m.length === 2 && [...m].some(t => t.querySelectorAll('tr.correspondence-line').length === 2);
	})()`)
	b.checkA11y("review")

	b.do("submit",
		fill(map[string]string{"form.submit-form #f-signer_name": "王小明", "form.submit-form #f-signer_role": "报关员"}),
		chromedp.Click(chromedp.CSS("form.submit-form input[name=statement]")),
		chromedp.Click(chromedp.CSS("form.submit-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.do("amend form", chromedp.WaitVisible(chromedp.CSS("form.amend-form")))
	b.checkA11y("submitted")
	b.poll("forget the last flash", `(() => { document.querySelectorAll('p.flash').forEach(e => e.remove()); return true; })()`)
	b.do("amend",
		chromedp.SetValue(chromedp.CSS("form.amend-form #f-destination_port"), "Dubai"),
		fill(map[string]string{"form.amend-form #f-reason": "船公司改港", "form.amend-form #f-signer_name": "王小明", "form.amend-form #f-signer_role": "报关员"}),
		chromedp.Click(chromedp.CSS("form.amend-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.poll("timeline", `['generated', 'submitted', 'amended'].every(k => document.querySelector('.declaration-timeline li[data-kind=' + k + ']'))`)
	b.checkA11y("amended")
	b.checkClean("submit and amend")

	if err := site.DB.Take(&d, d.ID).Error; err != nil || d.Status != models.DeclarationSubmitted || d.DestinationPort != "Dubai" {
		t.Errorf("declaration after amend: %s %q %v", d.Status, d.DestinationPort, err)
	}
}
