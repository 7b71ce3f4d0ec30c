package e2e_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestDeclarationThroughTheAuthorities is issue 6's journey and issue 7's trace in a real
// browser: a submitted declaration is accepted and routed red by customs, inspected by the
// officer drawn at random, released and its exit confirmed by another officer; the FX desk
// records the buyer's payment and allocates it to the lines it suggests; the merchant files its
// VAT exemption for the month and the tax officer accepts it; the auditor opens the line's label
// trace URL, sees every step, exports the trace and verifies the audit log.
func TestDeclarationThroughTheAuthorities(t *testing.T) {
	site := startSite(t)
	w := site.World
	ctx := context.Background()
	svc := servicetest.Service(t, site.DB, time.Now)
	admin := servicetest.Actor(t, w, testkit.UserAdmin)
	// Toys are routed red; no random lanes, so the journey is the same every run.
	if _, err := svc.PublishRuleSet(ctx, admin, workflow.RuleSetInput{
		RulesJSON: `{"rules": [{"code": "TOYS", "kind": "hs_prefix", "lane": "red", "name_en": "Toys under watch", "name_zh": "玩具布控", "prefixes": ["9503"]}]}`,
		MinRates:  map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "browser journey"}); err != nil {
		t.Fatal(err)
	}
	// The officer who accepts is never drawn to inspect: a second customs officer on duty is.
	hash, err := bcrypt.GenerateFromPassword([]byte(testkit.Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := site.DB.Create(&models.User{Username: "inspector", DisplayName: "查验关员 林峰", PasswordHash: string(hash),
		Role: models.RoleCustoms, Lang: "en", OnDuty: true, Version: 1, CreatedAt: now, UpdatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	tr := servicetest.Submitted(t, svc, site.DB, w, servicetest.TradeSpec{})
	d := tr.Declaration
	declURL := fmt.Sprintf("%s/declarations/%d", site.URL, d.ID)
	today := now.In(workflow.MarketZone).Format("2006-01-02")

	b := newBrowser(t, 1280, 900)
	b.do("language", chromedp.Navigate(site.URL+"/lang/en?next=/login"), chromedp.WaitVisible(chromedp.CSS("#f-username")))

	b.login(site, testkit.UserCustoms, testkit.Password)
	b.do("customs queue", chromedp.Navigate(site.URL+"/customs"), chromedp.WaitVisible(chromedp.CSS("form.accept-form, a[href='/declarations/"+fmt.Sprint(d.ID)+"']")))
	b.checkA11y("customs queue")
	b.do("accept",
		chromedp.Navigate(declURL),
		chromedp.WaitVisible(chromedp.CSS("form.accept-form button")),
		chromedp.Click(chromedp.CSS("form.accept-form button")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.poll("routed red, inspection pending", `document.querySelector('.release-blocked') !== null && document.querySelector('form.release-form') === null`)
	b.checkA11y("accepted")
	b.checkClean("accept")
	b.logout()

	b.login(site, "inspector", testkit.Password)
	b.do("my inspections", chromedp.Navigate(site.URL+"/customs/inspections"), chromedp.WaitVisible(chromedp.CSS("form.inspect-form")))
	b.checkA11y("inspections")
	b.do("record conform",
		chromedp.SetValue(chromedp.CSS("form.inspect-form select[name=result]"), workflow.CustomsConform),
		chromedp.SetValue(chromedp.CSS("form.inspect-form textarea[name=findings]"), "货证相符 goods match the declaration"),
		chromedp.Click(chromedp.CSS("form.inspect-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.checkClean("inspection")
	b.do("the inspector may not release", chromedp.Navigate(declURL), chromedp.WaitVisible(chromedp.CSS(".declaration-timeline")))
	b.poll("no release button for the inspector", `document.querySelector('form.release-form') === null`)
	b.logout()

	b.login(site, testkit.UserCustoms, testkit.Password)
	b.do("release",
		chromedp.Navigate(declURL),
		chromedp.WaitVisible(chromedp.CSS("form.release-form button")),
		chromedp.Click(chromedp.CSS("form.release-form button")),
		chromedp.WaitVisible(chromedp.CSS("form.exit-form")),
	)
	b.forgetFlash()
	b.do("confirm exit",
		chromedp.SetValue(chromedp.CSS("#exit-date"), today),
		chromedp.Click(chromedp.CSS("form.exit-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.poll("timeline", `['accepted', 'routed', 'released', 'exited'].every(k => document.querySelector('.declaration-timeline li[data-kind=' + k + ']'))`)
	b.checkClean("release and exit")
	b.logout()

	b.login(site, testkit.UserFX, testkit.Password)
	b.do("record a receipt",
		chromedp.Navigate(site.URL+"/fx/receipts/new"),
		chromedp.WaitVisible(chromedp.CSS("form.fx-receipt-form")),
		fill(map[string]string{"#f-bank_ref": "BOCYW20261129001", "#f-value_date": today, "#f-payer": w.BuyerA.Name,
			"#f-amount": "2000.00", "#f-beneficiary": w.MerchantA.USCC}),
		chromedp.SetValue(chromedp.CSS("#f-payer_country"), "AE"),
		chromedp.SetValue(chromedp.CSS("#f-currency"), "USD"),
		chromedp.Click(chromedp.CSS("form.fx-receipt-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form.fx-allocate-form")),
	)
	b.checkA11y("receipt")
	b.poll("both lines suggested and ticked", `document.querySelectorAll('tr.fx-suggestion input[type=checkbox]:checked').length === 2`)
	b.forgetFlash()
	b.do("allocate",
		chromedp.Click(chromedp.CSS("form.fx-allocate-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.checkClean("FX")
	b.logout()

	period := today[:7]
	b.login(site, testkit.UserMerchantA, testkit.Password)
	b.do("preview the VAT exemption filing",
		chromedp.Navigate(site.URL+"/tax/new?period="+period),
		chromedp.WaitVisible(chromedp.CSS("form.tax-build")),
	)
	b.poll("both lines eligible", `document.querySelector('.tax-eligible-count').textContent.trim() === '2'`)
	b.checkA11y("tax preview")
	b.do("build", chromedp.Click(chromedp.CSS("form.tax-build button")), chromedp.WaitVisible(chromedp.CSS("form.tax-file button")))
	b.forgetFlash()
	b.do("file", chromedp.Click(chromedp.CSS("form.tax-file button")), chromedp.WaitVisible(chromedp.CSS("p.flash")))
	b.checkClean("filing")
	b.logout()

	var f models.TaxFiling
	if err := site.DB.Where("merchant_id = ?", w.MerchantA.ID).Take(&f).Error; err != nil || f.Status != models.FilingFiled {
		t.Fatalf("filing %+v: %v", f, err)
	}
	b.login(site, testkit.UserTax, testkit.Password)
	b.do("accept the filing",
		chromedp.Navigate(fmt.Sprintf("%s/tax/%d", site.URL, f.ID)),
		chromedp.WaitVisible(chromedp.CSS("form.tax-accept button")),
		chromedp.Click(chromedp.CSS("form.tax-accept button")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
	b.checkA11y("filing accepted")
	b.checkClean("tax")
	b.logout()

	// The auditor scans a label: its QR code opens the trace page.
	code := tr.Lines[0].TraceCode
	b.login(site, testkit.UserAuditor, testkit.Password)
	b.do("open the label's trace URL", chromedp.Navigate(site.URL+workflow.TracePath(code)), chromedp.WaitVisible(chromedp.CSS("article.trace-view")))
	b.poll("every step done", `document.querySelectorAll('.trace-step').length === 7 && document.querySelectorAll('.trace-step.done').length === 7`)
	b.poll("the chain", `document.querySelector('.trace-declaration .entry-no') !== null && document.querySelectorAll('.trace-fx tbody tr').length === 1 &&
	  document.querySelectorAll('.trace-filings li').length === 1 && document.querySelectorAll('.trace-customs li[data-kind=inspection]').length === 1`)
	b.checkA11y("trace")
	b.poll("export JSON and CSV", `(() => {
	  if (window.__exported !== undefined) return window.__exported;
	  window.__exported = false;
	  Promise.all([fetch(document.querySelector('a.trace-export-json').href).then(r => r.json()),
	               fetch(document.querySelector('a.trace-export-csv').href).then(r => r.text())])
	    .then(([j, c]) => { window.__exported = j.line.trace_code === '`+code+`' && j.filings.length === 1 && c.includes('declaration') && c.includes('vat'); });
	  return false;
	})()`)
	b.do("verify the audit log",
		chromedp.Navigate(site.URL+"/audit"),
		chromedp.WaitVisible(chromedp.CSS("form.audit-verify-form")),
		chromedp.Click(chromedp.CSS("form.audit-verify-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.audit-ok")),
	)
	b.checkA11y("audit")
	b.do("dashboard", chromedp.Navigate(site.URL+"/audit/dashboard"), chromedp.WaitVisible(chromedp.CSS(".dash-chart[data-chart=country] svg")))
	b.checkA11y("dashboard")
	b.checkClean("auditor")

	if err := site.DB.Take(&f, f.ID).Error; err != nil || f.Status != models.FilingAccepted {
		t.Errorf("filing after acceptance: %s %v", f.Status, err)
	}
	var line models.TransactionLine
	if err := site.DB.Take(&line, tr.Lines[0].ID).Error; err != nil || line.FXAllocated != line.Amount {
		t.Errorf("line after allocation: %+v %v", line, err)
	}
	if err := site.DB.Take(&d, d.ID).Error; err != nil || d.Status != models.DeclarationExited || d.ExitDate != today || !strings.HasPrefix(*d.EntryNo, "2933") {
		t.Errorf("declaration: %+v %v", d, err)
	}
}

// forgetFlash removes the flash messages on the page, so that waiting for the next step's flash
// does not match this page's.
func (b *browser) forgetFlash() {
	b.t.Helper()
	b.poll("forget the last flash", `(() => { document.querySelectorAll('p.flash').forEach(e => e.remove()); return true; })()`)
}
