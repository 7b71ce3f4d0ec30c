package e2e_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mpt/workflow/testkit"
)

// TestShellInBothLanguagesAndOnAPhone opens the home page, logs in and visits the account pages,
// in Chinese on a laptop and in English on a phone, with no console errors, failed requests or
// accessibility basics broken.
func TestShellInBothLanguagesAndOnAPhone(t *testing.T) {
	site := startSite(t)
	for _, tc := range []struct {
		name, lang, h1, dashboard string
		w, h                      int
	}{
		{"zh-CN laptop", "zh-CN", "义乌市场采购贸易", "工作台", 1280, 900},
		{"en phone", "en", "Market procurement trade in Yiwu", "Dashboard", 390, 844},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, tc.w, tc.h)
			b.do("home", chromedp.Navigate(site.URL+"/lang/"+tc.lang+"?next=/"))
			if got := b.text("h1"); got != tc.h1 {
				t.Errorf("h1 = %q, want %q", got, tc.h1)
			}
			b.checkA11y("home")
			b.checkFocusVisible("home")
			b.checkClean("home")

			b.do("login",
				chromedp.Navigate(site.URL+"/login"),
				fill(map[string]string{"#f-username": testkit.UserMerchantA, "#f-password": testkit.Password}),
				chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS("p.flash")),
			)
			if !strings.HasSuffix(b.location(), "/dashboard") {
				t.Errorf("after login at %s", b.location())
			}
			if got := b.text("h1"); got != tc.dashboard {
				t.Errorf("dashboard h1 = %q", got)
			}
			b.checkA11y("dashboard")
			b.checkClean("dashboard")

			b.do("profile", chromedp.Navigate(site.URL+"/profile"), chromedp.WaitVisible(chromedp.CSS("#f-current")))
			b.checkA11y("profile")
			b.do("wrong password change",
				fill(map[string]string{"#f-current": "wrong", "#f-new": "short", "#f-confirm": "other"}),
				chromedp.Click(chromedp.CSS("form[action='/profile/password'] button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS("#f-current-error")),
			)
			b.checkA11y("password errors")
			b.checkClean("profile")
		})
	}
}
