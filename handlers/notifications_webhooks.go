package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// webhookRoutes registers an agent's webhook pages: the list with recent deliveries, a
// webhook's deliveries, registration (the secret shown once), disable and enable, a test
// event, and resending a delivery.
func (s *Server) webhookRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/webhooks", workflow.ActWebhookManage, s.webhookList)
	s.handle(get, "/webhooks/new", workflow.ActWebhookManage, s.webhookForm)
	s.handle(post, "/webhooks/new", workflow.ActWebhookManage, s.webhookCreate)
	s.handle(get, "/webhooks/:id", workflow.ActWebhookManage, s.webhookView)
	s.handle(post, "/webhooks/:id/disable", workflow.ActWebhookManage, s.webhookSetActive(false))
	s.handle(post, "/webhooks/:id/enable", workflow.ActWebhookManage, s.webhookSetActive(true))
	s.handle(post, "/webhooks/:id/test", workflow.ActWebhookManage, s.webhookTest)
	s.handle(post, "/webhooks/:id/deliveries/:delivery/resend", workflow.ActWebhookManage, s.webhookResend)
}

// webhookPage holds what every webhook page shows about deliveries.
type webhookPage struct{ Page }

// DeliveryStatus names a delivery status in the page's language.
func (p webhookPage) DeliveryStatus(st string) string { return p.T("webhook.status." + st) }

// Resendable reports whether a delivery may be sent again (it is not waiting already).
func (p webhookPage) Resendable(d models.WebhookDelivery) bool {
	return d.Status != models.DeliveryPending
}

// DeliveryTable is what the "webhook-deliveries" partial shows: a webhook's deliveries, with
// resend forms returning to Back.
type DeliveryTable struct {
	Page webhookPage
	Hook int64
	Rows []models.WebhookDelivery
	Back string
}

// Deliveries builds the deliveries table of a webhook.
func (p webhookPage) Deliveries(hook int64, rows []models.WebhookDelivery, back string) DeliveryTable {
	return DeliveryTable{Page: p, Hook: hook, Rows: rows, Back: back}
}

// WebhookActions is what the "webhook-actions" partial shows: test, disable or enable.
type WebhookActions struct {
	Page webhookPage
	Hook workflow.WebhookInfo
	Back string
}

// Actions builds the action forms of a webhook.
func (p webhookPage) Actions(h workflow.WebhookInfo, back string) WebhookActions {
	return WebhookActions{Page: p, Hook: h, Back: back}
}

// WebhookListPage lists the agent's webhooks with their newest deliveries.
type WebhookListPage struct {
	webhookPage
	Hooks []workflow.WebhookInfo
}

func (s *Server) webhookList(c echo.Context) error {
	hooks, err := s.svc.Webhooks(c.Request().Context(), actorOf(c))
	if err != nil {
		return err
	}
	return s.render(c, "webhook_list", WebhookListPage{webhookPage: webhookPage{s.page(c)}, Hooks: hooks})
}

// webhookRequest is the registration form: only the URL. The secret, owner and state are
// set by the platform.
type webhookRequest struct {
	URL string `form:"url" validate:"max=4000"`
}

// WebhookFormPage registers a webhook, and then shows its secret once.
type WebhookFormPage struct {
	Page
	Form    webhookRequest
	DevHTTP bool                     // the server accepts http:// on this machine (development)
	Created *workflow.CreatedWebhook // after registration: the webhook and its secret
}

// URLHint says which URLs are accepted on this server.
func (p WebhookFormPage) URLHint() string {
	if p.DevHTTP {
		return p.T("webhook.url_hint_dev")
	}
	return p.T("webhook.url_hint")
}

// SignatureExample is the signature header of an example body, for the instructions.
func (p WebhookFormPage) SignatureExample() string {
	if p.Created == nil {
		return ""
	}
	return workflow.SignWebhook([]byte(p.Created.Secret), []byte(webhookExampleBody))
}

// ExampleBody is the body the signature example signs.
func (p WebhookFormPage) ExampleBody() string { return webhookExampleBody }

const webhookExampleBody = `{"id":"0123456789abcdef0123456789abcdef","kind":"webhook.ping"}`

func (s *Server) webhookForm(c echo.Context) error {
	return s.render(c, "webhook_form", WebhookFormPage{Page: s.page(c), DevHTTP: s.svc.WebhookPolicy.AllowLocalHTTP})
}

// webhookCreate registers the webhook and answers with its secret on this response only:
// it is never put in a URL, a cookie or a later page.
func (s *Server) webhookCreate(c echo.Context) error {
	var req webhookRequest
	err := s.bind(c, &req)
	if err == nil {
		var created *workflow.CreatedWebhook
		created, err = s.svc.RegisterWebhook(c.Request().Context(), actorOf(c), workflow.WebhookInput{URL: req.URL})
		if err == nil {
			return s.render(c, "webhook_created", WebhookFormPage{Page: s.page(c), Created: created})
		}
	}
	p := WebhookFormPage{Page: s.page(c), Form: req, DevHTTP: s.svc.WebhookPolicy.AllowLocalHTTP}
	if p.withErrors(err) {
		return s.views.Render(c, http.StatusUnprocessableEntity, "webhook_form", p)
	}
	return err
}

// deliveryFilterRequest selects a page of a webhook's deliveries.
type deliveryFilterRequest struct {
	Status string `query:"status" validate:"max=20"`
	Page   int    `query:"page" validate:"min=0,max=1000000"`
}

// WebhookViewPage is one webhook with a page of its deliveries.
type WebhookViewPage struct {
	webhookPage
	Filter deliveryFilterRequest
	Detail *workflow.WebhookDetail
}

// StatusOptions are the choices of the status filter.
func (p WebhookViewPage) StatusOptions() []Option {
	opts := []Option{{Value: "", Label: p.T("webhook.filter.all")}}
	for _, st := range workflow.DeliveryStatuses {
		opts = append(opts, Option{Value: st, Label: p.DeliveryStatus(st)})
	}
	return opts
}

// PageURL links to page n of the deliveries with the same filter.
func (p WebhookViewPage) PageURL(n int) string {
	q := url.Values{}
	if p.Filter.Status != "" {
		q.Set("status", p.Filter.Status)
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	base := "/webhooks/" + strconv.FormatInt(p.Detail.Webhook.ID, 10)
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// PrevURL links to the previous page.
func (p WebhookViewPage) PrevURL() string { return p.PageURL(p.Detail.Page - 1) }

// NextURL links to the next page.
func (p WebhookViewPage) NextURL() string { return p.PageURL(p.Detail.Page + 1) }

func (s *Server) webhookView(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var f deliveryFilterRequest
	if err := s.bind(c, &f); err != nil {
		return err
	}
	d, err := s.svc.Webhook(c.Request().Context(), actorOf(c), id, workflow.DeliveryFilter{Status: f.Status, Page: f.Page})
	if err != nil {
		return err
	}
	return s.render(c, "webhook_view", WebhookViewPage{webhookPage: webhookPage{s.page(c)}, Filter: f, Detail: d})
}

// webhookActionRequest carries the version the agent saw and the page to return to.
type webhookActionRequest struct {
	Version int64  `form:"version" validate:"min=0"`
	Back    string `form:"back" validate:"max=200"`
}

func (s *Server) webhookSetActive(active bool) echo.HandlerFunc {
	msg := apperr.T("Webhook disabled: no new events are queued for it; waiting deliveries are kept",
		"Webhook 已停用：不再为其排队新事件，等待中的推送予以保留")
	if active {
		msg = apperr.T("Webhook enabled: waiting deliveries are sent now", "Webhook 已启用：等待中的推送将立即发送")
	}
	return func(c echo.Context) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		var req webhookActionRequest
		if err := s.bind(c, &req); err != nil {
			return err
		}
		if err := s.svc.SetWebhookActive(c.Request().Context(), actorOf(c), id, active, req.Version); err != nil {
			return err
		}
		return s.redirect(c, webhookBack(req.Back, id), msg)
	}
}

func (s *Server) webhookTest(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req webhookActionRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.PingWebhook(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return s.redirect(c, webhookBack(req.Back, id), apperr.T("Test event queued: it is sent within a minute",
		"测试事件已排队，将在一分钟内发送"))
}

func (s *Server) webhookResend(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	did, err := strconv.ParseInt(c.Param("delivery"), 10, 64)
	if err != nil || did <= 0 {
		return echo.ErrNotFound
	}
	var req webhookActionRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if _, err := s.svc.ResendWebhookDelivery(c.Request().Context(), actorOf(c), id, did); err != nil {
		return err
	}
	return s.redirect(c, webhookBack(req.Back, id), apperr.T("Delivery queued again", "推送已重新排队"))
}

// webhookBack is where a webhook form returns: the list, or the webhook's own page (with its
// filter), never elsewhere.
func webhookBack(back string, id int64) string {
	own := "/webhooks/" + strconv.FormatInt(id, 10)
	switch {
	case back == "/webhooks", back == own:
		return back
	case len(back) > len(own) && back[:len(own)+1] == own+"?" && workflow.LocalLink(back) != "":
		return back
	}
	return "/webhooks"
}
