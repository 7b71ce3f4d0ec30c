package models

import "time"

// Roles. A merchant or agent user belongs to its merchant or agent; officers act in their own
// step only; the auditor reads everything and changes nothing.
const (
	RoleMerchant    = "merchant"
	RoleAgent       = "agent"
	RoleCustoms     = "customs"
	RoleTax         = "tax"
	RoleFX          = "fx"
	RoleSupervision = "supervision"
	RoleAuditor     = "auditor"
	RoleAdmin       = "admin"
)

// Roles lists every role in display order.
var Roles = []string{RoleMerchant, RoleAgent, RoleCustoms, RoleTax, RoleFX, RoleSupervision, RoleAuditor, RoleAdmin}

// User is a person who logs in.
type User struct {
	ID                int64  `gorm:"primaryKey"`
	Username          string `gorm:"uniqueIndex:ux_users_username"`
	DisplayName       string
	PasswordHash      string
	Role              string `gorm:"index:ix_users_role"`
	MerchantID        *int64 `gorm:"index:ix_users_merchant"`
	AgentID           *int64 `gorm:"index:ix_users_agent"`
	Email             string
	Phone             string
	Lang              string // preferred language, "zh-CN" or "en"
	Disabled          bool
	OnDuty            bool // an officer on duty can be drawn for inspections and spot checks
	PasswordChangedAt *time.Time
	LastLoginAt       *time.Time
	Version           int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// TableName is the users table.
func (User) TableName() string { return "users" }

// Session is a server-side login session; the cookie holds a random token whose SHA-256 is ID,
// so several app instances can share sessions through the database.
type Session struct {
	ID         string `gorm:"primaryKey"`
	UserID     int64  `gorm:"index:ix_sessions_user"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time `gorm:"index:ix_sessions_expires_at"` // absolute expiry
	IP         string
	UserAgent  string
}

// TableName is the sessions table.
func (Session) TableName() string { return "sessions" }

// APIToken is a bearer token for /api/v1, stored as its SHA-256 and shown once.
type APIToken struct {
	ID         int64  `gorm:"primaryKey"`
	UserID     int64  `gorm:"index:ix_api_tokens_user"`
	Name       string // what the user called it
	Prefix     string // first characters, to tell tokens apart in lists
	TokenHash  string `gorm:"uniqueIndex:ux_api_tokens_hash"`
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// TableName is the api_tokens table.
func (APIToken) TableName() string { return "api_tokens" }

// LoginThrottle counts failed logins per key ("user:NAME" or "ip:ADDRESS").
type LoginThrottle struct {
	Key         string `gorm:"primaryKey"`
	Failures    int
	LockedUntil *time.Time
	UpdatedAt   time.Time
}

// TableName is the login_throttles table.
func (LoginThrottle) TableName() string { return "login_throttles" }
