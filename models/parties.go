package models

import "time"

// Merchant statuses (DOMAIN §8). Only an active merchant may register transactions.
const (
	MerchantPending     = "pending"     // registered, waiting for market supervision
	MerchantActive      = "active"      // approved
	MerchantRejected    = "rejected"    // registration refused, with a reason
	MerchantAbnormal    = "abnormal"    // 经营异常
	MerchantSuspended   = "suspended"   // 暂停
	MerchantBlacklisted = "blacklisted" // 严重违法失信名单
)

// Credit classes used by customs routing (DOMAIN §7): A advanced, B general, C discredited.
const (
	CreditA = "A"
	CreditB = "B"
	CreditC = "C"
)

// Merchant is a stall-holder (市场经营户) registered on the platform (DOMAIN §2).
type Merchant struct {
	ID          int64  `gorm:"primaryKey"`
	USCC        string `gorm:"uniqueIndex:ux_merchants_uscc"`
	Name        string `gorm:"index:ix_merchants_name"`
	NameEn      string
	District    string `gorm:"index:ix_merchants_stall,priority:1"` // market district, "1"…"5"
	Gate        string // 门
	Floor       string // 楼层
	Street      string `gorm:"index:ix_merchants_stall,priority:2"` // 街
	Booth       string `gorm:"index:ix_merchants_stall,priority:3"` // 商位号
	StallRaw    string // the location as the merchant wrote it
	LegalRep    string
	Phone       string
	BankName    string
	BankAccount string
	Status      string `gorm:"index:ix_merchants_status"`
	CreditClass string
	USCCReview  bool // the USCC failed its check character and waits for manual review
	WatchListed bool // customs watch list (DOMAIN §7)
	// StatusReason is the reason given with the current status (rejection, abnormal, …).
	StatusReason string
	ApprovedAt   *time.Time
	ApprovedBy   *int64 `gorm:"index:ix_merchants_approved_by"`
	Version      int64
	CreatedAt    time.Time `gorm:"index:ix_merchants_created_at"`
	UpdatedAt    time.Time
}

// TableName is the merchants table.
func (Merchant) TableName() string { return "merchants" }

// MerchantStatusChange is the history of a merchant's status, each with its reason (DOMAIN §8).
type MerchantStatusChange struct {
	ID          int64 `gorm:"primaryKey"`
	MerchantID  int64 `gorm:"index:ix_merchant_status_changes_merchant"`
	FromStatus  string
	ToStatus    string
	Reason      string
	ActorUserID *int64 `gorm:"index:ix_merchant_status_changes_actor"`
	CreatedAt   time.Time
}

// TableName is the merchant_status_changes table.
func (MerchantStatusChange) TableName() string { return "merchant_status_changes" }

// Agent is a trade company that consolidates goods and files declarations; it is the
// declaration's domestic consignor (境内发货人).
type Agent struct {
	ID            int64  `gorm:"primaryKey"`
	USCC          string `gorm:"uniqueIndex:ux_agents_uscc"`
	Name          string `gorm:"index:ix_agents_name"`
	NameEn        string
	CustomsCode   string `gorm:"uniqueIndex:ux_agents_customs_code"` // 10-character customs registration code
	CommerceRegNo string `gorm:"uniqueIndex:ux_agents_commerce_reg_no"`
	Address       string
	Contact       string
	Phone         string
	Status        string `gorm:"index:ix_agents_status"` // active, suspended
	CreditClass   string
	USCCReview    bool
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName is the agents table.
func (Agent) TableName() string { return "agents" }

// Buyer is a foreign purchaser (采购商), unique on nationality and document number.
type Buyer struct {
	ID              int64  `gorm:"primaryKey"`
	Name            string `gorm:"index:ix_buyers_name"`
	Nationality     string `gorm:"uniqueIndex:ux_buyers_document,priority:1"` // ISO 3166 alpha-2
	DocType         string // passport, id_card, other
	DocNumber       string `gorm:"uniqueIndex:ux_buyers_document,priority:2;index:ix_buyers_doc_number"`
	Phone           string
	Email           string
	Address         string
	WatchListed     bool
	CreatedByUserID *int64 `gorm:"index:ix_buyers_created_by"`
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the buyers table.
func (Buyer) TableName() string { return "buyers" }

// Entrustment is an entrusted-export agency agreement (委托代理出口货物协议): an agent may only
// consolidate goods of merchants that entrusted it.
type Entrustment struct {
	ID              int64  `gorm:"primaryKey"`
	MerchantID      int64  `gorm:"index:ix_entrustments_merchant"`
	AgentID         int64  `gorm:"index:ix_entrustments_agent;uniqueIndex:ux_entrustments_agreement,priority:1"`
	AgreementNo     string `gorm:"uniqueIndex:ux_entrustments_agreement,priority:2"`
	StartsOn        string // YYYY-MM-DD
	EndsOn          string // YYYY-MM-DD, "" for open-ended
	EndedAt         *time.Time
	EndReason       string
	CreatedByUserID *int64 `gorm:"index:ix_entrustments_created_by"`
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the entrustments table.
func (Entrustment) TableName() string { return "entrustments" }
