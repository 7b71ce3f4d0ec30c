package e2e_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// validUSCC makes a Yiwu individual-business USCC with a correct check character.
func validUSCC(t *testing.T, serial string) string {
	t.Helper()
	first := "92330782" + serial
	c, ok := workflow.USCCCheckChar(first)
	if !ok {
		t.Fatalf("bad serial %q", serial)
	}
	return first + string(c)
}

// TestRegisterApproveLogin is issue 3's journey in a real browser: a stall-holder registers its
// business (the USCC is checked as it types), the market-supervision officer approves it from
// the queue, and the merchant logs in and sees its business active — once in Chinese on a
// laptop, once in English on a phone.
func TestRegisterApproveLogin(t *testing.T) {
	site := startSite(t)
	for i, tc := range []struct {
		name, lang string
		w, h       int
		active     string
	}{
		{"zh-CN laptop", "zh-CN", 1280, 900, "正常"},
		{"en phone", "en", 390, 844, "Active"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, tc.w, tc.h)
			uscc := validUSCC(t, fmt.Sprintf("MA2P%04dX", 3+i))
			username := fmt.Sprintf("stall-%d", i)
			b.do("open the registration form",
				chromedp.Navigate(site.URL+"/lang/"+tc.lang+"?next=/register"),
				chromedp.WaitVisible(chromedp.CSS("#f-uscc")),
			)
			b.checkA11y("registration form")

			// A wrong check character is flagged while typing, before any submit.
			b.do("type a USCC with a wrong check character",
				chromedp.SendKeys(chromedp.CSS("#f-uscc"), uscc[:17]+wrongCheck(uscc[17])))
			b.poll("live USCC verdict", `document.getElementById('uscc-verdict').textContent.trim() !== ''`)
			if v := b.text("#uscc-verdict"); v == "" {
				t.Error("no live verdict for the USCC")
			}
			b.do("correct the USCC", chromedp.SetValue(chromedp.CSS("#f-uscc"), uscc))

			b.do("fill and submit",
				fill(map[string]string{
					"#f-name": "义乌市稠城丁饰品商行", "#f-name_en": "Ding Jewelry", "#f-legal_rep": "丁一",
					"#f-phone": "13912345678", "#f-gate": "5", "#f-floor": "2", "#f-street": "12", "#f-booth": "1024" + fmt.Sprint(i),
					"#f-stall_raw": "一区 5号门 2楼 12街 1024" + fmt.Sprint(i), "#f-username": username,
					"#f-display_name": "丁一", "#f-password": "stall-pass-1", "#f-password_confirm": "stall-pass-1",
				}),
				chromedp.SetValue(chromedp.CSS("#f-district"), "1"),
				chromedp.Click(chromedp.CSS("form button[type=submit]")),
				chromedp.WaitVisible(chromedp.CSS("p.flash")),
			)
			if !strings.Contains(b.location(), "/login") {
				t.Fatalf("after registering at %s", b.location())
			}
			b.checkClean("registration")

			// The officer approves it from the queue.
			var m models.Merchant
			if err := site.DB.Where("uscc = ?", uscc).Take(&m).Error; err != nil || m.Status != models.MerchantPending {
				t.Fatalf("registered merchant: %+v %v", m, err)
			}
			b.login(site, testkit.UserSupervisor, testkit.Password)
			b.do("open the queue", chromedp.Navigate(site.URL+"/merchants?status=pending"), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf("a[href='/merchants/%d']", m.ID))))
			b.checkA11y("approval queue")
			b.do("approve",
				chromedp.Click(chromedp.CSS(fmt.Sprintf("a[href='/merchants/%d']", m.ID))),
				chromedp.WaitVisible(chromedp.CSS("form.approve-form button")),
				chromedp.Click(chromedp.CSS("form.approve-form button")),
				chromedp.WaitVisible(chromedp.CSS("p.flash")),
			)
			b.checkClean("approval")
			b.logout()

			// The merchant logs in and sees its business active.
			b.login(site, username, "stall-pass-1")
			b.do("my business", chromedp.Navigate(fmt.Sprintf("%s/merchants/%d", site.URL, m.ID)), chromedp.WaitVisible(chromedp.CSS(".merchant-status")))
			if got := b.text(".merchant-status"); got != tc.active {
				t.Errorf("status shown = %q, want %q", got, tc.active)
			}
			b.checkA11y("merchant page")
			b.checkClean("merchant page")
		})
	}
}

func wrongCheck(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// login signs in through the login form.
func (b *browser) login(s *site, username, password string) {
	b.t.Helper()
	b.do("log in as "+username,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#f-username")),
		fill(map[string]string{"#f-username": username, "#f-password": password}),
		chromedp.Click(chromedp.CSS("form[action='/login'] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("p.flash")),
	)
}

// logout uses the header's logout button.
func (b *browser) logout() {
	b.t.Helper()
	b.do("log out",
		chromedp.Click(chromedp.CSS("form[action='/logout'] button")),
		chromedp.WaitVisible(chromedp.CSS(".site-header a[href='/login']")),
	)
}
