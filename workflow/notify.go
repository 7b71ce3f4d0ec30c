package workflow

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Notice is something users should hear about: a step that needs their action, or a change on
// their records. notify writes it, inside the transaction of the change, as one in-app
// notification per user of the audience and one webhook delivery per active webhook of the
// agents in it (an outbox: the delivery worker sends them later, from any instance).
type Notice struct {
	Kind     string      // dotted event name, e.g. "declaration.released"
	Text     apperr.Text // one sentence in both languages
	Link     string      // the page it is about, e.g. "/declarations/12"
	Entity   string      // what it is about, as in the audit log
	EntityID string

	// The audience. Users are resolved when the notice is written; disabled users are skipped,
	// and so is the user who caused it.
	UserIDs     []int64
	Roles       []string // every user of these (officer) roles
	MerchantIDs []int64  // every user of these merchants
	AgentIDs    []int64  // every user of these agents, and the agents' webhooks

	Data any // the webhook payload's "data"; nil for none
}

// WebhookEvent is the JSON body a webhook receives. The X-MPT-Signature header carries
// "sha256=" and the hex HMAC-SHA256 of the body under the webhook's secret.
type WebhookEvent struct {
	ID       string            `json:"id"`
	Kind     string            `json:"kind"`
	At       time.Time         `json:"at"`
	Entity   string            `json:"entity"`
	EntityID string            `json:"entity_id"`
	Text     map[string]string `json:"text"`
	Link     string            `json:"link"`
	Data     any               `json:"data,omitempty"`
}

// notify writes a notice for its audience inside tx.
func (s *Service) notify(tx *gorm.DB, actor Actor, n Notice) error {
	now := s.now()
	users, err := noticeUsers(tx, n)
	if err != nil {
		return err
	}
	rows := make([]models.Notification, 0, len(users))
	for _, id := range users {
		if id == actor.UserID {
			continue
		}
		rows = append(rows, models.Notification{UserID: id, Kind: n.Kind, TextEn: n.Text.En, TextZh: n.Text.Zh, Link: n.Link,
			Entity: n.Entity, EntityID: n.EntityID, CreatedAt: now})
	}
	if len(rows) > 0 {
		if err := tx.CreateInBatches(&rows, 500).Error; err != nil {
			return apperr.Wrap(err, "insert notifications")
		}
	}
	if len(n.AgentIDs) == 0 {
		return nil
	}
	var hooks []models.Webhook
	if err := tx.Where("agent_id IN ? AND active = ?", n.AgentIDs, true).Order("id").Find(&hooks).Error; err != nil {
		return apperr.Wrap(err, "load webhooks")
	}
	if len(hooks) == 0 {
		return nil
	}
	_, err = queueWebhookEvent(tx, hooks, s.webhookEvent(n))
	return err
}

// webhookEvent is the webhook payload of a notice, with a new event id.
func (s *Service) webhookEvent(n Notice) WebhookEvent {
	return WebhookEvent{ID: newEventID(), Kind: n.Kind, At: s.now(), Entity: n.Entity, EntityID: n.EntityID,
		Text: map[string]string{"en": n.Text.En, "zh-CN": n.Text.Zh}, Link: n.Link, Data: n.Data}
}

// queueWebhookEvent writes one pending delivery of an event per webhook, due at once: the
// outbox the delivery worker (webhook_worker.go) sends from.
func queueWebhookEvent(tx *gorm.DB, hooks []models.Webhook, ev WebhookEvent) ([]models.WebhookDelivery, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, apperr.Wrap(err, "webhook payload")
	}
	deliveries := make([]models.WebhookDelivery, len(hooks))
	for i, h := range hooks {
		deliveries[i] = models.WebhookDelivery{WebhookID: h.ID, EventID: ev.ID, Kind: ev.Kind, PayloadJSON: string(body),
			Status: models.DeliveryPending, NextAttemptAt: ev.At, CreatedAt: ev.At, UpdatedAt: ev.At}
	}
	if err := tx.Create(&deliveries).Error; err != nil {
		return nil, apperr.Wrap(err, "queue webhook deliveries")
	}
	return deliveries, nil
}

// noticeUsers resolves a notice's audience to enabled user ids, ascending, without repeats:
// the users named, and the users of the roles, merchants and agents named. A disabled user
// is skipped even when named.
func noticeUsers(tx *gorm.DB, n Notice) ([]int64, error) {
	if len(n.UserIDs) == 0 && len(n.Roles) == 0 && len(n.MerchantIDs) == 0 && len(n.AgentIDs) == 0 {
		return nil, nil
	}
	// One OR term per kind of audience, each on its own index (no constant term, which would
	// make SQLite scan the users table); sorted here rather than by the query for the same reason.
	var cond *gorm.DB
	or := func(query string, arg any) {
		if cond == nil {
			cond = tx.Where(query, arg)
		} else {
			cond = cond.Or(query, arg)
		}
	}
	if len(n.UserIDs) > 0 {
		or("id IN ?", n.UserIDs)
	}
	if len(n.Roles) > 0 {
		or("role IN ?", n.Roles)
	}
	if len(n.MerchantIDs) > 0 {
		or("merchant_id IN ?", n.MerchantIDs)
	}
	if len(n.AgentIDs) > 0 {
		or("agent_id IN ?", n.AgentIDs)
	}
	var ids []int64
	if err := tx.Model(&models.User{}).Where(cond).Where("disabled = ?", false).Pluck("id", &ids).Error; err != nil {
		return nil, apperr.Wrap(err, "load notice audience")
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// newEventID is a random 128-bit event id in hex: receivers use it to drop repeats.
func newEventID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
