package models

import "time"

// IdempotencyKey remembers the answer to an API create sent with an Idempotency-Key header, so
// a retried request returns the same answer and creates nothing new.
type IdempotencyKey struct {
	ID             int64  `gorm:"primaryKey"`
	UserID         int64  `gorm:"uniqueIndex:ux_idempotency_keys,priority:1"`
	Key            string `gorm:"uniqueIndex:ux_idempotency_keys,priority:2"`
	RequestHash    string
	ResponseStatus int
	ResponseBody   string
	CreatedAt      time.Time `gorm:"index:ix_idempotency_keys_created_at"`
}

// TableName is the idempotency_keys table.
func (IdempotencyKey) TableName() string { return "idempotency_keys" }
