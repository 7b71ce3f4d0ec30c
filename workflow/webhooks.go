package workflow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// WebhookPolicy says which webhook URLs may be registered and called. The zero value is
// production's: HTTPS only, to public addresses only (no loopback, private, link-local or
// shared addresses, so a webhook cannot make the server call its own network).
type WebhookPolicy struct {
	// AllowLocalHTTP also accepts http:// and https:// URLs on this machine (localhost,
	// 127.0.0.1, ::1), for an agent developing its receiver next to a development server
	// (`mpt serve --webhook-dev`). Never set it in production.
	AllowLocalHTTP bool
}

// Limits of webhooks.
const (
	MaxWebhookURL       = 2000 // characters of a webhook URL
	MaxWebhooksPerAgent = 10
	webhookSecretBytes  = 32
)

var (
	webhookNoun         = apperr.T("Webhook", "Webhook")
	webhookDeliveryNoun = apperr.T("Delivery", "推送记录")
)

// CheckWebhookURL checks a webhook URL an agent registers and returns it trimmed: an absolute
// https:// URL of at most MaxWebhookURL characters, with a host name or a public IP address,
// without user name or password (they would be stored and shown) and without a #fragment
// (never sent). Under AllowLocalHTTP, http:// and https:// URLs on this machine are accepted too.
func CheckWebhookURL(p WebhookPolicy, raw string) (string, *apperr.Error) {
	v := strings.TrimSpace(raw)
	bad := func(en, zh string) (string, *apperr.Error) { return v, apperr.Field("url", apperr.T(en, zh)) }
	switch {
	case v == "":
		return bad("Enter the URL that should receive the events, e.g. https://erp.example.com/mpt/events",
			"请填写接收事件的网址，例如 https://erp.example.com/mpt/events")
	case len(v) > MaxWebhookURL:
		return v, apperr.Field("url", apperr.Tf("The URL has %d characters; use at most %d", "网址长度为 %d 个字符，最多 %d 个",
			len(v), MaxWebhookURL))
	case strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return bad("The URL contains spaces or control characters; remove them", "网址包含空格或控制字符，请删除")
	}
	u, err := url.Parse(v)
	if err != nil || !u.IsAbs() || u.Opaque != "" {
		return bad("Enter a complete URL starting with https://", "请填写以 https:// 开头的完整网址")
	}
	local := isLocalHost(u.Hostname())
	switch scheme := strings.ToLower(u.Scheme); {
	case scheme == "http" && local && p.AllowLocalHTTP:
	case scheme == "http" && local:
		return bad("http:// is accepted only for a receiver on this machine while the server runs in development mode (--webhook-dev); use https://",
			"仅当服务器以开发模式（--webhook-dev）运行且接收端在本机时才接受 http://；请使用 https://")
	case scheme == "http":
		return bad("Use https://: events are sent only over an encrypted connection", "请使用 https://：事件只通过加密连接发送")
	case scheme != "https":
		return bad("Use an https:// URL; other kinds of address ("+scheme+":) cannot receive events",
			"请使用 https:// 网址；其他类型的地址（"+scheme+":）无法接收事件")
	}
	switch {
	case u.User != nil:
		return bad("Remove the user name and password from the URL; the signature proves the events come from mpt",
			"请从网址中删除用户名和密码；签名可以证明事件来自本平台")
	case u.Hostname() == "":
		return bad("The URL has no host name; enter e.g. https://erp.example.com/mpt/events",
			"网址缺少主机名，例如 https://erp.example.com/mpt/events")
	case u.Fragment != "" || strings.Contains(v, "#"):
		return bad("Remove the #… part: it is never sent to the server", "请删除 #… 部分：它不会发送给服务器")
	case local && !p.AllowLocalHTTP:
		return bad("The URL points to the server itself; use the public address of your system",
			"该网址指向本服务器；请使用贵方系统的公网地址")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return bad("The port must be a number from 1 to 65535", "端口应为 1 至 65535 之间的数字")
		}
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && !local && !publicAddr(ip) {
		return bad("The address is not reachable from the internet (private, reserved or local); use a public address",
			"该地址无法从互联网访问（内网、保留或本地地址）；请使用公网地址")
	}
	return v, nil
}

// isLocalHost reports whether a host names this machine.
func isLocalHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.Unmap().IsLoopback()
}

// publicAddr reports whether an IP address is a public unicast address: not loopback,
// private (RFC 1918, fc00::/7), link-local, shared (100.64.0.0/10), unspecified or multicast.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsGlobalUnicast() && !ip.IsPrivate() && !sharedSpace.Contains(ip) && !ip.IsLinkLocalUnicast()
}

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10") // carrier-grade NAT (RFC 6598)

// webhookDialAllowed is the delivery client's check of every address it connects to, after
// name resolution (so a public name resolving to a private address is refused too).
func webhookDialAllowed(p WebhookPolicy, address string) bool {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return publicAddr(ip) || (p.AllowLocalHTTP && ip.Unmap().IsLoopback())
}

// newWebhookSecret is 32 random bytes in hex: the HMAC key, as the agent copies it.
func newWebhookSecret() string {
	b := make([]byte, webhookSecretBytes)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// WebhookInfo is a webhook as its agent sees it: everything but the secret, with how many of
// its deliveries wait or failed, and the newest ones.
type WebhookInfo struct {
	ID          int64
	URL         string
	Active      bool
	Version     int64
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Pending     int64
	Failed      int64
	Recent      []models.WebhookDelivery // newest first
	RecentLimit int
}

// CreatedWebhook is a new webhook and its secret, which is shown this once.
type CreatedWebhook struct {
	Webhook WebhookInfo
	Secret  string
}

// WebhookInput is what an agent submits to register a webhook.
type WebhookInput struct {
	URL string
}

// RecentDeliveries is how many of each webhook's newest deliveries the webhook list shows.
const RecentDeliveries = 5

// Webhooks lists the actor's agent's webhooks, oldest first, each with its newest deliveries.
func (s *Service) Webhooks(ctx context.Context, actor Actor) ([]WebhookInfo, error) {
	if err := webhookOwner(actor); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var hooks []models.Webhook
	if err := db.Where("agent_id = ?", actor.AgentID).Order("id").Find(&hooks).Error; err != nil {
		return nil, apperr.Wrap(err, "list webhooks")
	}
	out := make([]WebhookInfo, 0, len(hooks))
	for i := range hooks {
		info, err := s.webhookInfo(db, &hooks[i], RecentDeliveries)
		if err != nil {
			return nil, err
		}
		out = append(out, *info)
	}
	return out, nil
}

// webhookInfo adds the counts, the creator's name and the newest deliveries to a webhook.
func (s *Service) webhookInfo(db *gorm.DB, h *models.Webhook, recent int) (*WebhookInfo, error) {
	info := &WebhookInfo{ID: h.ID, URL: h.URL, Active: h.Active, Version: h.Version, CreatedAt: h.CreatedAt,
		UpdatedAt: h.UpdatedAt, RecentLimit: recent}
	if h.CreatedByUserID != nil {
		var names []string
		if err := db.Model(&models.User{}).Where("id = ?", *h.CreatedByUserID).Pluck("display_name", &names).Error; err != nil {
			return nil, apperr.Wrap(err, "load webhook creator")
		}
		if len(names) > 0 {
			info.CreatedBy = names[0]
		}
	}
	for st, n := range map[string]*int64{models.DeliveryPending: &info.Pending, models.DeliveryFailed: &info.Failed} {
		if err := db.Model(&models.WebhookDelivery{}).Where("webhook_id = ? AND status = ?", h.ID, st).Count(n).Error; err != nil {
			return nil, apperr.Wrap(err, "count webhook deliveries")
		}
	}
	if recent > 0 {
		if err := db.Where("webhook_id = ?", h.ID).Order("id DESC").Limit(recent).Find(&info.Recent).Error; err != nil {
			return nil, apperr.Wrap(err, "list webhook deliveries")
		}
	}
	return info, nil
}

// DeliveryFilter selects a page of one webhook's deliveries.
type DeliveryFilter struct {
	Status string // pending, delivered, failed, or "" for all
	Page   int    // 1-based
}

// DeliveriesPerPage is the size of a page of a webhook's deliveries.
const DeliveriesPerPage = 30

// DeliveryStatuses lists the delivery statuses.
var DeliveryStatuses = []string{models.DeliveryPending, models.DeliveryDelivered, models.DeliveryFailed}

// WebhookDetail is one webhook with a page of its deliveries, newest first.
type WebhookDetail struct {
	Webhook    WebhookInfo
	Deliveries []models.WebhookDelivery
	Total      int64
	Page       int
	Pages      int
	PerPage    int
}

// Webhook returns one of the actor's agent's webhooks with a page of its deliveries. Another
// agent's webhook answers NotFound.
func (s *Service) Webhook(ctx context.Context, actor Actor, id int64, f DeliveryFilter) (*WebhookDetail, error) {
	if err := webhookOwner(actor); err != nil {
		return nil, err
	}
	if f.Status != "" && !slices.Contains(DeliveryStatuses, f.Status) {
		return nil, apperr.Field("status", apperr.T("Choose a status from the list", "请从列表中选择状态"))
	}
	db := s.db.WithContext(ctx)
	h, err := ownWebhook(db, actor, id)
	if err != nil {
		return nil, err
	}
	info, err := s.webhookInfo(db, h, 0)
	if err != nil {
		return nil, err
	}
	out := &WebhookDetail{Webhook: *info, PerPage: DeliveriesPerPage, Page: max(f.Page, 1)}
	query := func() *gorm.DB {
		q := db.Model(&models.WebhookDelivery{}).Where("webhook_id = ?", h.ID)
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		return q
	}
	if err := query().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count webhook deliveries")
	}
	out.Pages = int((out.Total + DeliveriesPerPage - 1) / DeliveriesPerPage)
	err = query().Order("id DESC").Limit(DeliveriesPerPage).Offset((out.Page - 1) * DeliveriesPerPage).Find(&out.Deliveries).Error
	return out, apperr.Wrap(err, "list webhook deliveries")
}

// RegisterWebhook registers a URL of the actor's agent that receives its events, active at
// once, with a new random secret (32 bytes, hex) returned this once. The URL is checked by
// CheckWebhookURL; an agent has at most MaxWebhooksPerAgent webhooks and each URL once. The
// audit entry keeps the URL, never the secret.
func (s *Service) RegisterWebhook(ctx context.Context, actor Actor, in WebhookInput) (*CreatedWebhook, error) {
	if err := webhookOwner(actor); err != nil {
		return nil, err
	}
	u, ferr := CheckWebhookURL(s.WebhookPolicy, in.URL)
	if ferr != nil {
		return nil, ferr
	}
	now := s.now()
	h := models.Webhook{AgentID: actor.AgentID, URL: u, Secret: newWebhookSecret(), Active: true,
		CreatedByUserID: actorUserRef(actor), Version: 1, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var urls []string
		if err := tx.Model(&models.Webhook{}).Where("agent_id = ?", actor.AgentID).Pluck("url", &urls).Error; err != nil {
			return err
		}
		switch {
		case slices.Contains(urls, u):
			return apperr.Field("url", apperr.T("This URL is already registered; enable it again in the list if it was disabled",
				"该网址已登记；如已停用，可在列表中重新启用"))
		case len(urls) >= MaxWebhooksPerAgent:
			return apperr.Field("url", apperr.Tf("An agent may register at most %d webhooks; disable and reuse one of them",
				"每家代理企业最多登记 %d 个 Webhook；请重新使用已登记的网址", MaxWebhooksPerAgent))
		}
		if err := tx.Create(&h).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "webhook", strconv.FormatInt(h.ID, 10), "create", nil, webhookAudit(&h))
	})
	if err != nil {
		return nil, apperr.Wrap(err, "register webhook")
	}
	return &CreatedWebhook{Webhook: WebhookInfo{ID: h.ID, URL: h.URL, Active: h.Active, Version: h.Version,
		CreatedBy: actor.DisplayName, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}, Secret: h.Secret}, nil
}

// SetWebhookActive disables a webhook (its waiting deliveries stay queued and no new events
// are queued for it) or enables it again (waiting deliveries are sent). The agent must have
// seen the current version; asking for the state it already has changes nothing.
func (s *Service) SetWebhookActive(ctx context.Context, actor Actor, id int64, active bool, version int64) error {
	if err := webhookOwner(actor); err != nil {
		return err
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		h, err := ownWebhook(tx, actor, id)
		if err != nil {
			return err
		}
		if h.Active == active {
			return nil
		}
		if version != h.Version {
			return errWebhookChanged
		}
		now := s.now()
		res := tx.Model(&models.Webhook{}).Where("id = ? AND version = ?", h.ID, h.Version).
			Updates(map[string]any{"active": active, "version": h.Version + 1, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errWebhookChanged
		}
		action := "disable"
		if active {
			action = "enable"
		}
		return s.audit(ctx, tx, actor, "webhook", strconv.FormatInt(h.ID, 10), action,
			map[string]any{"active": h.Active, "version": h.Version}, map[string]any{"active": active, "version": h.Version + 1})
	})
	return apperr.Wrap(err, "change webhook")
}

var errWebhookChanged = apperr.New(apperr.Conflict, apperr.T(
	"This webhook was changed by someone else since you opened the page. Reload it and try again.",
	"该 Webhook 在您打开页面后已被他人修改。请刷新后重试。"))

// PingWebhook queues a "webhook.ping" event for one active webhook, so the agent can check its
// receiver and the signature. It returns the delivery.
func (s *Service) PingWebhook(ctx context.Context, actor Actor, id int64) (*models.WebhookDelivery, error) {
	if err := webhookOwner(actor); err != nil {
		return nil, err
	}
	var out models.WebhookDelivery
	err := s.tx(ctx, func(tx *gorm.DB) error {
		h, err := ownWebhook(tx, actor, id)
		if err != nil {
			return err
		}
		if !h.Active {
			return apperr.New(apperr.Conflict, apperr.T("This webhook is disabled; enable it before sending a test event",
				"该 Webhook 已停用；请先启用再发送测试事件"))
		}
		hookID := strconv.FormatInt(h.ID, 10)
		ev := s.webhookEvent(Notice{Kind: "webhook.ping", Entity: "webhook", EntityID: hookID, Link: "/webhooks/" + hookID,
			Text: apperr.T("Test event from mpt: your receiver works if it checks this signature",
				"来自本平台的测试事件：如能验证此签名，说明接收端工作正常"),
			Data: map[string]any{"webhook_id": h.ID, "url": h.URL}})
		ds, err := queueWebhookEvent(tx, []models.Webhook{*h}, ev)
		if err != nil {
			return err
		}
		out = ds[0]
		return s.audit(ctx, tx, actor, "webhook", hookID, "ping", nil,
			map[string]any{"delivery_id": out.ID, "event_id": out.EventID})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "ping webhook")
	}
	return &out, nil
}

// ResendWebhookDelivery queues a failed or delivered delivery again, with the same event id
// (a receiver that already handled it may drop it) and a fresh series of attempts.
func (s *Service) ResendWebhookDelivery(ctx context.Context, actor Actor, webhookID, deliveryID int64) (*models.WebhookDelivery, error) {
	if err := webhookOwner(actor); err != nil {
		return nil, err
	}
	var out models.WebhookDelivery
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := ownWebhook(tx, actor, webhookID); err != nil {
			return err
		}
		var d models.WebhookDelivery
		if err := tx.Where("id = ? AND webhook_id = ?", deliveryID, webhookID).Take(&d).Error; err != nil {
			return models.Translate(err, webhookDeliveryNoun)
		}
		if d.Status == models.DeliveryPending {
			return apperr.New(apperr.Conflict, apperr.T("This delivery is already waiting to be sent", "该推送已在等待发送"))
		}
		now := s.now()
		res := tx.Model(&models.WebhookDelivery{}).Where("id = ? AND status = ? AND attempts = ?", d.ID, d.Status, d.Attempts).
			Updates(map[string]any{"status": models.DeliveryPending, "attempts": 0, "next_attempt_at": now, "updated_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return apperr.New(apperr.Conflict, apperr.T("This delivery changed meanwhile; reload the page", "该推送记录已变化，请刷新页面"))
		}
		old := map[string]any{"status": d.Status, "attempts": d.Attempts, "last_status_code": d.LastStatusCode}
		d.Status, d.Attempts, d.NextAttemptAt, d.UpdatedAt = models.DeliveryPending, 0, now, now
		out = d
		return s.audit(ctx, tx, actor, "webhook_delivery", strconv.FormatInt(d.ID, 10), "resend", old,
			map[string]any{"status": d.Status, "attempts": 0, "webhook_id": webhookID, "event_id": d.EventID})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "resend webhook delivery")
	}
	return &out, nil
}

// webhookOwner checks the actor manages webhooks for an agent.
func webhookOwner(actor Actor) error {
	if err := actor.Require(ActWebhookManage); err != nil {
		return err
	}
	if actor.AgentID == 0 {
		return apperr.New(apperr.Forbidden, apperr.T("Only an agent's users manage its webhooks", "只有代理企业的用户可以管理其 Webhook"))
	}
	return nil
}

// ownWebhook loads a webhook of the actor's agent; another agent's answers NotFound.
func ownWebhook(db *gorm.DB, actor Actor, id int64) (*models.Webhook, error) {
	var h models.Webhook
	if err := db.Where("id = ? AND agent_id = ?", id, actor.AgentID).Take(&h).Error; err != nil {
		return nil, models.Translate(err, webhookNoun)
	}
	return &h, nil
}

// webhookAudit is what the audit log keeps of a webhook: never its secret.
func webhookAudit(h *models.Webhook) map[string]any {
	return map[string]any{"agent_id": h.AgentID, "url": h.URL, "active": h.Active, "version": h.Version}
}
