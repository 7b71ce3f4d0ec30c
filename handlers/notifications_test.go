package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// notifyApp is the server over a seeded world, with a service on the same database for setup.
type notifyApp struct {
	*app
	svc *workflow.Service
}

func newNotifyApp(t *testing.T, db *gorm.DB) *notifyApp {
	t.Helper()
	a := newSeededApp(t, db)
	return &notifyApp{app: a, svc: servicetest.Service(t, db, nil)}
}

func (a *notifyApp) actor(t *testing.T, username string) workflow.Actor {
	return servicetest.Actor(t, a.World, username)
}

// api is an API client with a bearer token of the user (nobody for "").
func (a *notifyApp) api(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	if username == "" {
		return c
	}
	tok, err := a.svc.CreateAPIToken(context.Background(), a.actor(t, username), "notifications test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}

// notify writes a notification for a user straight into the database.
func (a *notifyApp) notify(t *testing.T, username, en, zh, link string, at time.Time) int64 {
	t.Helper()
	n := models.Notification{UserID: a.World.Users[username].ID, Kind: "declaration.submitted", TextEn: en, TextZh: zh, Link: link,
		Entity: "declaration", EntityID: "1", CreatedAt: at}
	if err := a.DB.Create(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n.ID
}

// bell is the header's unread number ("" without one) and the bell link's label.
func bell(t *testing.T, c *client) (string, string) {
	t.Helper()
	rec := c.get("/dashboard")
	if rec.Code != http.StatusOK {
		t.Fatalf("dashboard: %d", rec.Code)
	}
	d := htmlOf(t, rec)
	link := d.Find("header a.bell[href='/notifications']")
	if link.Length() != 1 {
		t.Fatal("no bell in the header")
	}
	label, _ := link.Attr("aria-label")
	return strings.TrimSpace(link.Find(".unread-count").Text()), label
}

// TestNotificationPages: the bell shows the unread count on every page; the list shows only
// the user's own notifications, newest first, unread ones marked; opening one marks it read
// and follows its link (never off the site); another user's is 404; read-all clears the bell;
// the text is in the page's language.
func TestNotificationPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newNotifyApp(t, db)
		old := a.notify(t, testkit.UserMerchantA, "Goods recognised", "商品已认定", "/goods/1", testkit.Now)
		evil := a.notify(t, testkit.UserMerchantA, "Look here", "看这里", "https://evil.example.com/", testkit.Now.Add(time.Minute))
		newest := a.notify(t, testkit.UserMerchantA, "Declaration submitted", "报关单已提交", "/declarations/7", testkit.Now.Add(2*time.Minute))
		theirs := a.notify(t, testkit.UserMerchantB, "Theirs", "他人的", "/goods/2", testkit.Now)

		ma := a.as(t, testkit.UserMerchantA)
		if n, label := bell(t, ma); n != "3" || !strings.Contains(label, "3 unread") {
			t.Errorf("bell %q %q", n, label)
		}
		if n, _ := bell(t, a.as(t, testkit.UserMerchantB)); n != "1" {
			t.Errorf("merchant-b bell %q", n)
		}
		if n, label := bell(t, a.as(t, testkit.UserCustoms)); n != "" || label != "Notifications" {
			t.Errorf("customs bell %q %q", n, label)
		}

		rec := ma.get("/notifications")
		if rec.Code != http.StatusOK {
			t.Fatalf("list: %d", rec.Code)
		}
		d := htmlOf(t, rec)
		var ids []string
		d.Find("ul.notifications li").Each(func(_ int, s *goquery.Selection) { v, _ := s.Attr("data-notification-id"); ids = append(ids, v) })
		if strings.Join(ids, ",") != strings.Join([]string{itoa(newest), itoa(evil), itoa(old)}, ",") {
			t.Fatalf("listed %v", ids)
		}
		if d.Find("li.unread").Length() != 3 || d.Find("li.unread mark.new").Length() != 3 || d.Find("button.read-all").Length() != 1 {
			t.Errorf("unread not marked: %s", d.Find("ul.notifications").Text())
		}
		if got := strings.TrimSpace(d.Find("li[data-notification-id='" + itoa(newest) + "'] a").Text()); got != "Declaration submitted" {
			t.Errorf("text %q", got)
		}

		if rec := ma.get("/notifications/" + itoa(newest)); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/declarations/7" {
			t.Errorf("open: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if rec := ma.get("/notifications/" + itoa(evil)); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/notifications" {
			t.Errorf("open an off-site link: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if rec := ma.get("/notifications/" + itoa(theirs)); rec.Code != http.StatusNotFound {
			t.Errorf("open another's: %d", rec.Code)
		}
		if n, _ := bell(t, a.as(t, testkit.UserMerchantB)); n != "1" {
			t.Errorf("merchant-b bell after merchant-a tried: %q", n)
		}
		if n, _ := bell(t, ma); n != "1" {
			t.Errorf("bell after opening two: %q", n)
		}
		d = htmlOf(t, ma.get("/notifications?unread=1"))
		if d.Find("ul.notifications li").Length() != 1 || d.Find("a.filter-unread[aria-current]").Length() != 1 {
			t.Errorf("unread filter: %s", d.Find("main").Text())
		}
		rec = ma.post("/notifications/"+itoa(old)+"/read", url.Values{"back": {"/notifications?unread=1"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/notifications?unread=1" {
			t.Errorf("mark read: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		rec = ma.post("/notifications/"+itoa(old)+"/read", url.Values{"back": {"https://evil.example.com/"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/notifications" {
			t.Errorf("mark read with an off-site back: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if n, _ := bell(t, ma); n != "" {
			t.Errorf("bell after reading all three: %q", n)
		}

		mb := a.as(t, testkit.UserMerchantB)
		mb.get("/lang/zh-CN?next=/")
		d = htmlOf(t, mb.get("/notifications"))
		if got := strings.TrimSpace(d.Find("ul.notifications li a").First().Text()); got != "他人的" {
			t.Errorf("Chinese text %q", got)
		}
		if rec := mb.post("/notifications/read-all", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/notifications" {
			t.Errorf("read all: %d", rec.Code)
		}
		if n, _ := bell(t, mb); n != "" {
			t.Errorf("merchant-b bell after read-all: %q", n)
		}
	})
}

// TestNotificationAPI: the API lists the token user's notifications only and marks one read;
// another user's answers 404.
func TestNotificationAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newNotifyApp(t, db)
		mine := a.notify(t, testkit.UserAgentX, "Declaration released", "报关单已放行", "/declarations/3", testkit.Now)
		theirs := a.notify(t, testkit.UserAgentY, "Theirs", "他人的", "/declarations/4", testkit.Now)
		c := a.api(t, testkit.UserAgentX)
		rec := c.get("/api/v1/notifications?unread=true")
		var list struct {
			Items []struct {
				ID     int64      `json:"id"`
				Text   string     `json:"text"`
				TextZh string     `json:"text_zh"`
				Link   string     `json:"link"`
				ReadAt *time.Time `json:"read_at"`
			} `json:"items"`
			Total, Unread int64
		}
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
			t.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
		if len(list.Items) != 1 || list.Items[0].ID != mine || list.Items[0].Text != "Declaration released" ||
			list.Items[0].TextZh != "报关单已放行" || list.Unread != 1 {
			t.Fatalf("list %+v", list)
		}
		if rec := c.postJSON("/api/v1/notifications/"+itoa(theirs)+"/read", "{}"); rec.Code != http.StatusNotFound {
			t.Errorf("read another's: %d", rec.Code)
		}
		rec = c.postJSON("/api/v1/notifications/"+itoa(mine)+"/read", "{}")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"read_at":"`) {
			t.Fatalf("read: %d %s", rec.Code, rec.Body)
		}
		rec = c.get("/api/v1/notifications?unread=true")
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil || len(list.Items) != 0 || list.Total != 0 {
			t.Fatalf("after read: %s", rec.Body)
		}
	})
}

// TestWebhookPages: an agent registers a webhook (a bad URL comes back with the error on the
// field; a good one shows the secret once, never again), sends a test event, sees the
// delivery, disables and enables it and resends a failed delivery.
func TestWebhookPages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newNotifyApp(t, db)
		x := a.as(t, testkit.UserAgentX)

		d := htmlOf(t, x.get("/webhooks"))
		if d.Find("a.webhook-new").Length() != 1 || d.Find("article.webhook").Length() != 0 {
			t.Fatalf("empty list: %s", d.Find("main").Text())
		}
		if rec := x.get("/webhooks/new"); rec.Code != http.StatusOK || htmlOf(t, rec).Find("input#f-url[name=url]").Length() != 1 {
			t.Fatalf("form: %d", rec.Code)
		}
		for _, bad := range []string{"http://erp.example.com/hook", "https://user:pw@erp.example.com/", "ftp://erp.example.com/", ""} {
			rec := x.post("/webhooks/new", url.Values{"url": {bad}})
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%q: %d", bad, rec.Code)
			}
			d := htmlOf(t, rec)
			if d.Find("#f-url[aria-invalid=true]").Length() != 1 || strings.TrimSpace(d.Find("#f-url-error").Text()) == "" {
				t.Errorf("%q: no error on the url field", bad)
			}
			if v, _ := d.Find("#f-url").Attr("value"); v != bad {
				t.Errorf("%q: value not kept: %q", bad, v)
			}
		}
		rec := x.post("/webhooks/new", url.Values{"url": {"https://erp.example.com/mpt/events"}})
		if rec.Code != http.StatusOK {
			t.Fatalf("register: %d %s", rec.Code, rec.Body)
		}
		d = htmlOf(t, rec)
		secret, _ := d.Find("#webhook-secret").Attr("value")
		if len(secret) != 64 || d.Find(".example-signature").Length() != 1 {
			t.Fatalf("secret %q", secret)
		}
		var hook models.Webhook
		if err := db.Where("agent_id = ?", a.World.AgentX.ID).Take(&hook).Error; err != nil || hook.Secret != secret || !hook.Active {
			t.Fatalf("stored %+v %v", hook, err)
		}
		id := itoa(hook.ID)

		rec = x.get("/webhooks")
		if strings.Contains(rec.Body.String(), secret) {
			t.Fatal("the list shows the secret")
		}
		d = htmlOf(t, rec)
		if got := strings.TrimSpace(d.Find("article.webhook .webhook-url").Text()); got != "https://erp.example.com/mpt/events" {
			t.Errorf("url %q", got)
		}
		if rec := x.post("/webhooks/"+id+"/test", url.Values{"back": {"/webhooks"}}); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/webhooks" {
			t.Fatalf("test: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		d = htmlOf(t, x.get("/webhooks"))
		if d.Find("table.deliveries tr[data-status=pending]").Length() != 1 || strings.TrimSpace(d.Find(".pending-count").Text()) != "1" {
			t.Errorf("pending delivery not shown: %s", d.Find("article.webhook").Text())
		}
		if rec := x.post("/webhooks/"+id+"/disable", url.Values{"version": {"1"}, "back": {"/webhooks/" + id}}); rec.Code != http.StatusSeeOther ||
			rec.Header().Get("Location") != "/webhooks/"+id {
			t.Fatalf("disable: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		d = htmlOf(t, x.get("/webhooks/"+id))
		if d.Find("button.enable").Length() != 1 || d.Find("button.ping").Length() != 0 {
			t.Errorf("disabled webhook: %s", d.Find("main").Text())
		}
		if rec := x.post("/webhooks/"+id+"/enable", url.Values{"version": {"1"}}); rec.Code != http.StatusConflict {
			t.Errorf("enable with a stale version: %d", rec.Code)
		}
		if rec := x.post("/webhooks/"+id+"/enable", url.Values{"version": {"2"}, "back": {"https://evil.example.com/"}}); rec.Code != http.StatusSeeOther ||
			rec.Header().Get("Location") != "/webhooks" {
			t.Fatalf("enable: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		var dl models.WebhookDelivery
		db.Where("webhook_id = ?", hook.ID).Take(&dl)
		db.Model(&models.WebhookDelivery{}).Where("id = ?", dl.ID).Updates(map[string]any{"status": models.DeliveryFailed, "attempts": 10,
			"last_status_code": 503, "last_error": "HTTP 503 Service Unavailable"})
		d = htmlOf(t, x.get("/webhooks/"+id+"?status=failed"))
		row := d.Find("table.deliveries tr[data-delivery-id='" + itoa(dl.ID) + "']")
		if row.Length() != 1 || !strings.Contains(row.Find(".last").Text(), "HTTP 503") || row.Find("button.resend").Length() != 1 {
			t.Fatalf("failed delivery: %s", d.Find("main").Text())
		}
		back := "/webhooks/" + id + "?status=failed"
		rec = x.post("/webhooks/"+id+"/deliveries/"+itoa(dl.ID)+"/resend", url.Values{"back": {back}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != back {
			t.Fatalf("resend: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		db.Take(&dl, dl.ID)
		if dl.Status != models.DeliveryPending || dl.Attempts != 0 {
			t.Errorf("after resend %+v", dl)
		}
		if rec := x.get("/webhooks/" + id + "?status=lost"); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("bad status filter: %d", rec.Code)
		}
	})
}

// TestNotificationAccessMatrix: every notification and webhook route × every seeded user and
// nobody. Notifications are anyone's own (another's is 404); webhooks are agents' only (403 for
// other roles), and another agent's webhook is 404. Nobody is sent to log in on a page and
// gets 401 on a post or the API.
func TestNotificationAccessMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newNotifyApp(t, db)
		ctx := context.Background()
		n := itoa(a.notify(t, testkit.UserMerchantA, "Hello", "你好", "/goods/1", testkit.Now))
		hook, err := a.svc.RegisterWebhook(ctx, a.actor(t, testkit.UserAgentX), workflow.WebhookInput{URL: "https://x.example.com/hook"})
		if err != nil {
			t.Fatal(err)
		}
		h := itoa(hook.Webhook.ID)
		ping, err := a.svc.PingWebhook(ctx, a.actor(t, testkit.UserAgentX), hook.Webhook.ID)
		if err != nil {
			t.Fatal(err)
		}
		db.Model(&models.WebhookDelivery{}).Where("id = ?", ping.ID).Update("status", models.DeliveryFailed)
		dl := itoa(ping.ID)

		const (
			mA, aX, aY       = testkit.UserMerchantA, testkit.UserAgentX, testkit.UserAgentY
			ok, seeOther, nf = http.StatusOK, http.StatusSeeOther, http.StatusNotFound
		)
		everyone := testkit.Everyone[1:]
		others := func(except ...string) []string {
			var out []string
			for _, u := range everyone {
				if !slices.Contains(except, u) {
					out = append(out, u)
				}
			}
			return out
		}
		form := func(v url.Values) func() url.Values { return func() url.Values { return v } }
		routes := []struct {
			method, path string
			form         func() url.Values
			allow        []goodsOutcome // users not named get 403
		}{
			{"GET", "/notifications", nil, []goodsOutcome{goodsIs(ok, everyone...)}},
			{"GET", "/notifications?unread=1&page=2", nil, []goodsOutcome{goodsIs(ok, everyone...)}},
			{"GET", "/notifications/" + n, nil, []goodsOutcome{goodsIs(nf, others(mA)...), goodsIs(seeOther, mA)}},
			{"GET", "/notifications/999999", nil, []goodsOutcome{goodsIs(nf, everyone...)}},
			{"POST", "/notifications/" + n + "/read", form(nil), []goodsOutcome{goodsIs(nf, others(mA)...), goodsIs(seeOther, mA)}},
			{"POST", "/notifications/read-all", form(nil), []goodsOutcome{goodsIs(seeOther, everyone...)}},
			{"GET", "/api/v1/notifications", nil, []goodsOutcome{goodsIs(ok, everyone...)}},
			{"POST", "/api/v1/notifications/" + n + "/read", nil, []goodsOutcome{goodsIs(nf, others(mA)...), goodsIs(ok, mA)}},
			{"POST", "/api/v1/notifications/read-all", nil, []goodsOutcome{goodsIs(ok, everyone...)}},

			{"GET", "/webhooks", nil, []goodsOutcome{goodsIs(ok, aX, aY)}},
			{"GET", "/webhooks/new", nil, []goodsOutcome{goodsIs(ok, aX, aY)}},
			{"POST", "/webhooks/new", form(url.Values{"url": {"https://erp.example.com/events"}}), []goodsOutcome{goodsIs(ok, aX, aY)}},
			{"GET", "/webhooks/" + h, nil, []goodsOutcome{goodsIs(nf, aY), goodsIs(ok, aX)}},
			{"GET", "/webhooks/999999", nil, []goodsOutcome{goodsIs(nf, aX, aY)}},
			{"POST", "/webhooks/" + h + "/deliveries/" + dl + "/resend", form(nil), []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/webhooks/" + h + "/test", form(nil), []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/webhooks/" + h + "/disable", form(url.Values{"version": {"1"}}), []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
			{"POST", "/webhooks/" + h + "/enable", form(url.Values{"version": {"2"}}), []goodsOutcome{goodsIs(nf, aY), goodsIs(seeOther, aX)}},
		}
		pages, apis := map[string]*client{}, map[string]*client{}
		for _, u := range testkit.Everyone {
			pages[u], apis[u] = a.anon(t), a.api(t, "")
			if u != "" {
				pages[u], apis[u] = a.as(t, u), a.api(t, u)
			}
		}
		for _, r := range routes {
			want := map[string]int{}
			var order []string
			for _, o := range r.allow {
				for _, u := range o.users {
					want[u] = o.status
					order = append(order, u)
				}
			}
			for _, u := range testkit.Everyone { // users not named first, successful writes last
				if _, named := want[u]; !named {
					order = append([]string{u}, order...)
				}
			}
			for _, u := range order {
				api := strings.HasPrefix(r.path, "/api/")
				exp, named := want[u]
				switch {
				case u == "" && (api || r.method == "POST"):
					exp = http.StatusUnauthorized
				case u == "":
					exp = seeOther
				case !named:
					exp = http.StatusForbidden
				}
				c := pages[u]
				if api {
					c = apis[u]
				}
				var code int
				var body string
				switch {
				case r.method == "GET":
					res := c.get(r.path)
					code, body = res.Code, res.Body.String()
				case api:
					res := c.postJSON(r.path, "{}")
					code, body = res.Code, res.Body.String()
				default:
					res := c.post(r.path, r.form())
					code, body = res.Code, res.Body.String()
				}
				if code != exp {
					t.Errorf("%s %s as %q: %d, want %d: %.300s", r.method, r.path, u, code, exp, body)
				}
			}
		}
	})
}
