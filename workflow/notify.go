package workflow

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"maps"
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
		rows = append(rows, n.row(id, now))
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

// row is the notice's notification for one user.
func (n Notice) row(userID int64, now time.Time) models.Notification {
	return models.Notification{UserID: userID, Kind: n.Kind, TextEn: n.Text.En, TextZh: n.Text.Zh, Link: n.Link,
		Entity: n.Entity, EntityID: n.EntityID, CreatedAt: now}
}

// notifyEach writes notices inside tx exactly as notify writes each in turn (the same
// notifications, in the same order, and the same webhook deliveries), with one query per 900
// parties for all their audiences and the notifications inserted in batches.
func (s *Service) notifyEach(tx *gorm.DB, actor Actor, ns []Notice) error {
	if len(ns) == 1 {
		return s.notify(tx, actor, ns[0])
	}
	var ids, merchants, agents []int64
	roles := map[string]bool{}
	for _, n := range ns {
		ids, merchants, agents = append(ids, n.UserIDs...), append(merchants, n.MerchantIDs...), append(agents, n.AgentIDs...)
		for _, r := range n.Roles {
			roles[r] = true
		}
	}
	users := map[int64]models.User{} // the enabled users of every audience
	load := func(q *gorm.DB) error {
		var us []models.User
		err := q.Model(&models.User{}).Select("id, role, merchant_id, agent_id").Where("disabled = ?", false).Find(&us).Error
		for _, u := range us {
			users[u.ID] = u
		}
		return err
	}
	for col, list := range map[string][]int64{"id": ids, "merchant_id": merchants, "agent_id": agents} {
		list = distinctIDs(len(list), func(i int) int64 { return list[i] })
		if err := forChunks(list, func(chunk []int64) error { return load(tx.Where(col+" IN ?", chunk)) }); err != nil {
			return apperr.Wrap(err, "load notice audience")
		}
	}
	if len(roles) > 0 {
		if err := load(tx.Where("role IN ?", slices.Sorted(maps.Keys(roles)))); err != nil {
			return apperr.Wrap(err, "load notice audience")
		}
	}
	byRole, byMerchant, byAgent := map[string][]int64{}, map[int64][]int64{}, map[int64][]int64{}
	for id, u := range users {
		byRole[u.Role] = append(byRole[u.Role], id)
		if u.MerchantID != nil {
			byMerchant[*u.MerchantID] = append(byMerchant[*u.MerchantID], id)
		}
		if u.AgentID != nil {
			byAgent[*u.AgentID] = append(byAgent[*u.AgentID], id)
		}
	}
	now := s.now()
	var rows []models.Notification
	for _, n := range ns {
		to := map[int64]bool{}
		for _, id := range n.UserIDs {
			_, enabled := users[id]
			to[id] = to[id] || enabled
		}
		for _, r := range n.Roles {
			for _, id := range byRole[r] {
				to[id] = true
			}
		}
		for _, m := range n.MerchantIDs {
			for _, id := range byMerchant[m] {
				to[id] = true
			}
		}
		for _, a := range n.AgentIDs {
			for _, id := range byAgent[a] {
				to[id] = true
			}
		}
		for _, id := range slices.Sorted(maps.Keys(to)) {
			if to[id] && id != actor.UserID {
				rows = append(rows, n.row(id, now))
			}
		}
	}
	if len(rows) > 0 {
		if err := tx.CreateInBatches(&rows, 500).Error; err != nil {
			return apperr.Wrap(err, "insert notifications")
		}
	}
	agents = distinctIDs(len(agents), func(i int) int64 { return agents[i] })
	if len(agents) == 0 {
		return nil
	}
	var hooks []models.Webhook
	err := forChunks(agents, func(chunk []int64) error {
		var hs []models.Webhook
		err := tx.Where("agent_id IN ? AND active = ?", chunk, true).Find(&hs).Error
		hooks = append(hooks, hs...)
		return err
	})
	if err != nil {
		return apperr.Wrap(err, "load webhooks")
	}
	slices.SortFunc(hooks, func(a, b models.Webhook) int { return cmp.Compare(a.ID, b.ID) })
	for _, n := range ns {
		var hs []models.Webhook
		for _, h := range hooks {
			if slices.Contains(n.AgentIDs, h.AgentID) {
				hs = append(hs, h)
			}
		}
		if len(hs) > 0 {
			if _, err := queueWebhookEvent(tx, hs, s.webhookEvent(n)); err != nil {
				return err
			}
		}
	}
	return nil
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
