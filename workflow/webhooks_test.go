package workflow_test

import (
	"context"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestCheckWebhookURL: only https:// URLs with a host are accepted, to public addresses, without
// user info or fragment, at most MaxWebhookURL long; http:// and this machine only in
// development mode. Every refusal names the url field and says what to do.
func TestCheckWebhookURL(t *testing.T) {
	prod, dev := workflow.WebhookPolicy{}, workflow.WebhookPolicy{AllowLocalHTTP: true}
	long := "https://erp.example.com/" + strings.Repeat("a", workflow.MaxWebhookURL)
	tests := []struct {
		name   string
		policy workflow.WebhookPolicy
		in     string
		want   string // the URL kept, for OK cases
		errHas string // part of the English message, for Err cases
	}{
		{"OKHTTPS", prod, "  https://erp.example.com/mpt/events?x=1 ", "https://erp.example.com/mpt/events?x=1", ""},
		{"OKHTTPSPort", prod, "https://erp.example.com:8443/hook", "https://erp.example.com:8443/hook", ""},
		{"OKPublicIP", prod, "https://203.0.113.7/hook", "https://203.0.113.7/hook", ""},
		{"OKDevLocalHTTP", dev, "http://127.0.0.1:9000/hook", "http://127.0.0.1:9000/hook", ""},
		{"OKDevLocalhost", dev, "http://localhost:9000/hook", "http://localhost:9000/hook", ""},
		{"OKDevIPv6Loopback", dev, "http://[::1]:9000/hook", "http://[::1]:9000/hook", ""},
		{"ErrEmpty", prod, "  ", "", "Enter the URL"},
		{"ErrTooLong", prod, long, "", "use at most 2000"},
		{"ErrSpace", prod, "https://erp.example.com/a b", "", "spaces"},
		{"ErrRelative", prod, "/hook", "", "complete URL"},
		{"ErrNoScheme", prod, "erp.example.com/hook", "", "complete URL"},
		{"ErrHTTP", prod, "http://erp.example.com/hook", "", "Use https://"},
		{"ErrHTTPPublicInDev", dev, "http://erp.example.com/hook", "", "Use https://"},
		{"ErrHTTPLocalNotDev", prod, "http://127.0.0.1:9000/hook", "", "development mode"},
		{"ErrFTP", prod, "ftp://erp.example.com/hook", "", "(ftp:)"},
		{"ErrJavascript", prod, "javascript:alert(1)", "", "complete URL"},
		{"ErrUserinfo", prod, "https://user:pass@erp.example.com/hook", "", "user name and password"},
		{"ErrNoHost", prod, "https:///hook", "", "no host"},
		{"ErrFragment", prod, "https://erp.example.com/hook#top", "", "#…"},
		{"ErrBadPort", prod, "https://erp.example.com:99999/hook", "", "port"},
		{"ErrLocalhostHTTPS", prod, "https://localhost/hook", "", "server itself"},
		{"ErrLoopbackHTTPS", prod, "https://127.0.0.1/hook", "", "server itself"},
		{"ErrPrivateIP", prod, "https://10.1.2.3/hook", "", "not reachable from the internet"},
		{"ErrLinkLocal", prod, "https://169.254.169.254/latest/meta-data", "", "not reachable from the internet"},
		{"ErrSharedSpace", prod, "https://100.64.0.1/hook", "", "not reachable from the internet"},
		{"ErrPrivateIPv6", prod, "https://[fd00::1]/hook", "", "not reachable from the internet"},
		{"ErrPrivateIPInDev", dev, "http://192.168.1.10/hook", "", "Use https://"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := workflow.CheckWebhookURL(tc.policy, tc.in)
			if tc.errHas == "" {
				if err != nil || got != tc.want {
					t.Fatalf("got %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %q", tc.in)
			}
			if len(err.Fields) != 1 || err.Fields[0].Field != "url" || !strings.Contains(err.Fields[0].Text.En, tc.errHas) || err.Fields[0].Text.Zh == "" {
				t.Fatalf("error %+v, want a url field error containing %q", err.Fields, tc.errHas)
			}
		})
	}
}

// TestWebhookManagement: an agent registers a webhook (the secret returned once, 64 hex
// characters, never in the audit log), a duplicate URL is a field error, it disables and
// enables it with the version it saw, pings it and resends a delivery; another agent's
// webhook answers NotFound and a user who is not an agent's is refused.
func TestWebhookManagement(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		ctx := context.Background()
		x, y := servicetest.Actor(t, w, testkit.UserAgentX), servicetest.Actor(t, w, testkit.UserAgentY)

		created, err := svc.RegisterWebhook(ctx, x, workflow.WebhookInput{URL: "https://erp.example.com/events"})
		if err != nil {
			t.Fatal(err)
		}
		if len(created.Secret) != 64 || strings.Trim(created.Secret, "0123456789abcdef") != "" || !created.Webhook.Active {
			t.Fatalf("created %+v", created)
		}
		var entries []models.AuditEntry
		db.Where("entity = ?", "webhook").Find(&entries)
		if len(entries) != 1 || entries[0].Action != "create" || !strings.Contains(entries[0].NewJSON, "erp.example.com") ||
			strings.Contains(entries[0].NewJSON, created.Secret) {
			t.Fatalf("audit %+v", entries)
		}
		id := created.Webhook.ID

		if _, err := svc.RegisterWebhook(ctx, x, workflow.WebhookInput{URL: " https://erp.example.com/events"}); hookFieldOf(err) != "url" {
			t.Errorf("duplicate URL: %v", err)
		}
		if _, err := svc.RegisterWebhook(ctx, x, workflow.WebhookInput{URL: "http://erp.example.com/events"}); hookFieldOf(err) != "url" {
			t.Errorf("http URL: %v", err)
		}
		for _, name := range []string{testkit.UserMerchantA, testkit.UserCustoms, testkit.UserAdmin, testkit.UserAuditor, ""} {
			a := servicetest.Actor(t, w, name)
			if _, err := svc.RegisterWebhook(ctx, a, workflow.WebhookInput{URL: "https://other.example.com/"}); err == nil {
				t.Errorf("%q registered a webhook", name)
			}
			if _, err := svc.Webhooks(ctx, a); err == nil {
				t.Errorf("%q listed webhooks", name)
			}
		}

		// Another agent sees nothing of it.
		list, err := svc.Webhooks(ctx, y)
		if err != nil || len(list) != 0 {
			t.Fatalf("agent-y list %v %v", list, err)
		}
		notFound := map[string]error{}
		_, notFound["view"] = svc.Webhook(ctx, y, id, workflow.DeliveryFilter{})
		notFound["disable"] = svc.SetWebhookActive(ctx, y, id, false, 1)
		_, notFound["ping"] = svc.PingWebhook(ctx, y, id)
		for what, err := range notFound {
			if !apperr.Is(err, apperr.NotFound) {
				t.Errorf("agent-y %s: %v, want not found", what, err)
			}
		}

		// Disable with a stale version: conflict; with the current one: done, and pinging it is refused.
		if err := svc.SetWebhookActive(ctx, x, id, false, 7); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("stale version: %v", err)
		}
		if err := svc.SetWebhookActive(ctx, x, id, false, 1); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetWebhookActive(ctx, x, id, false, 1); err != nil {
			t.Errorf("disabling again: %v", err)
		}
		if _, err := svc.PingWebhook(ctx, x, id); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("ping disabled: %v", err)
		}
		if err := svc.SetWebhookActive(ctx, x, id, true, 2); err != nil {
			t.Fatal(err)
		}
		d, err := svc.PingWebhook(ctx, x, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Kind != "webhook.ping" || d.Status != models.DeliveryPending || !strings.Contains(d.PayloadJSON, `"kind":"webhook.ping"`) {
			t.Fatalf("ping delivery %+v", d)
		}
		if _, err := svc.ResendWebhookDelivery(ctx, x, id, d.ID); !apperr.Is(err, apperr.Conflict) {
			t.Errorf("resend pending: %v", err)
		}
		if _, err := svc.ResendWebhookDelivery(ctx, y, id, d.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("agent-y resend: %v", err)
		}
		db.Model(&models.WebhookDelivery{}).Where("id = ?", d.ID).Updates(map[string]any{"status": models.DeliveryFailed, "attempts": 10})
		again, err := svc.ResendWebhookDelivery(ctx, x, id, d.ID)
		if err != nil || again.Status != models.DeliveryPending || again.Attempts != 0 || again.EventID != d.EventID {
			t.Fatalf("resend: %+v %v", again, err)
		}

		detail, err := svc.Webhook(ctx, x, id, workflow.DeliveryFilter{Status: models.DeliveryPending})
		if err != nil || detail.Total != 1 || detail.Webhook.Pending != 1 || detail.Webhook.URL != "https://erp.example.com/events" {
			t.Fatalf("detail %+v %v", detail, err)
		}
		if _, err := svc.Webhook(ctx, x, id, workflow.DeliveryFilter{Status: "lost"}); hookFieldOf(err) != "status" {
			t.Errorf("bad status filter: %v", err)
		}
		var actions []string
		db.Model(&models.AuditEntry{}).Where("entity IN ?", []string{"webhook", "webhook_delivery"}).Order("id").Pluck("action", &actions)
		if strings.Join(actions, ",") != "create,disable,enable,ping,resend" {
			t.Errorf("audit actions %v", actions)
		}
	})
}

// hookFieldOf is the first field an Invalid error names, or "".
func hookFieldOf(err error) string {
	if apperr.Is(err, apperr.Invalid) && len(apperr.As(err).Fields) > 0 {
		return apperr.As(err).Fields[0].Field
	}
	return ""
}
