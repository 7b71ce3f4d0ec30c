package models

import "time"

// Notification is one item of a user's in-app list: something that needs their action or that
// changed on their records. Text is kept in both languages, as written when it happened.
type Notification struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64 `gorm:"index:ix_notifications_user,priority:1"`
	Kind      string
	TextEn    string
	TextZh    string
	Link      string
	Entity    string
	EntityID  string
	ReadAt    *time.Time `gorm:"index:ix_notifications_user,priority:2"`
	CreatedAt time.Time
}

// TableName is the notifications table.
func (Notification) TableName() string { return "notifications" }

// Webhook is a URL of an agent's system that receives signed (HMAC-SHA256) JSON events.
type Webhook struct {
	ID              int64 `gorm:"primaryKey"`
	AgentID         int64 `gorm:"index:ix_webhooks_agent"`
	URL             string
	Secret          string // the HMAC key, shown to the agent once
	Active          bool
	CreatedByUserID *int64 `gorm:"index:ix_webhooks_created_by"`
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the webhooks table.
func (Webhook) TableName() string { return "webhooks" }

// Webhook delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// WebhookDelivery is one event queued for one webhook (an outbox row written in the same
// database transaction as the change it reports), retried with backoff until delivered or
// failed.
type WebhookDelivery struct {
	ID             int64  `gorm:"primaryKey"`
	WebhookID      int64  `gorm:"uniqueIndex:ux_webhook_deliveries_event,priority:1"`
	EventID        string `gorm:"uniqueIndex:ux_webhook_deliveries_event,priority:2"`
	Kind           string
	PayloadJSON    string
	Status         string `gorm:"index:ix_webhook_deliveries_due,priority:1"`
	Attempts       int
	NextAttemptAt  time.Time `gorm:"index:ix_webhook_deliveries_due,priority:2"`
	LastStatusCode int
	LastError      string
	DeliveredAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName is the webhook_deliveries table.
func (WebhookDelivery) TableName() string { return "webhook_deliveries" }
