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
	ev := WebhookEvent{ID: newEventID(), Kind: n.Kind, At: now, Entity: n.Entity, EntityID: n.EntityID,
		Text: map[string]string{"en": n.Text.En, "zh-CN": n.Text.Zh}, Link: n.Link, Data: n.Data}
	body, err := json.Marshal(ev)
	if err != nil {
		return apperr.Wrap(err, "webhook payload")
	}
	deliveries := make([]models.WebhookDelivery, len(hooks))
	for i, h := range hooks {
		deliveries[i] = models.WebhookDelivery{WebhookID: h.ID, EventID: ev.ID, Kind: n.Kind, PayloadJSON: string(body),
			Status: models.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now}
	}
	if err := tx.Create(&deliveries).Error; err != nil {
		return apperr.Wrap(err, "queue webhook deliveries")
	}
	return nil
}

// noticeUsers resolves a notice's audience to enabled user ids, ascending, without repeats.
func noticeUsers(tx *gorm.DB, n Notice) ([]int64, error) {
	ids := slices.Clone(n.UserIDs)
	if len(n.Roles) > 0 || len(n.MerchantIDs) > 0 || len(n.AgentIDs) > 0 {
		q := tx.Model(&models.User{}).Where("disabled = ?", false)
		cond := tx.Where("1 = 0")
		if len(n.Roles) > 0 {
			cond = cond.Or("role IN ?", n.Roles)
		}
		if len(n.MerchantIDs) > 0 {
			cond = cond.Or("merchant_id IN ?", n.MerchantIDs)
		}
		if len(n.AgentIDs) > 0 {
			cond = cond.Or("agent_id IN ?", n.AgentIDs)
		}
		var more []int64
		if err := q.Where(cond).Pluck("id", &more).Error; err != nil {
			return nil, apperr.Wrap(err, "load notice audience")
		}
		ids = append(ids, more...)
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
