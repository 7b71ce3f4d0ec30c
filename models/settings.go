package models

import "time"

// Setting keys and their meaning. Values are text; each key's reader parses it.
const (
	SettingCapUSD        = "declaration.cap_usd"    // value cap per declaration, USD, inclusive (DOMAIN §4)
	SettingItemLimit     = "declaration.item_limit" // at most this many items per declaration
	SettingCustomsOffice = "customs.office_code"    // 4-digit office code for declaration numbers
	SettingTaxDueDay     = "tax.due_day"            // default filing due day of the month
	// SettingSpotCheckMinPermille is the least share of active merchants a spot-check campaign
	// draws, per mille (DOMAIN §8: at least 5% a year).
	SettingSpotCheckMinPermille = "supervision.spot_check_min_permille"
	// SettingFXUnallocatedDays is how long money may stay unallocated before it is flagged.
	SettingFXUnallocatedDays = "fx.unallocated_days"
)

// Setting is one admin-maintained configuration value.
type Setting struct {
	Key             string `gorm:"primaryKey"`
	Value           string
	UpdatedByUserID *int64 `gorm:"index:ix_settings_updated_by"`
	UpdatedAt       time.Time
}

// TableName is the settings table.
func (Setting) TableName() string { return "settings" }

// ExchangeRate is the customs monthly rate (海关月度汇率): CNY per one unit of a currency.
type ExchangeRate struct {
	ID              int64  `gorm:"primaryKey"`
	Month           string `gorm:"uniqueIndex:ux_exchange_rates_month_currency,priority:1"`
	Currency        string `gorm:"uniqueIndex:ux_exchange_rates_month_currency,priority:2"`
	CNYPerUnit      Rate
	UpdatedByUserID *int64 `gorm:"index:ix_exchange_rates_updated_by"`
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the exchange_rates table.
func (ExchangeRate) TableName() string { return "exchange_rates" }

// TaxDueDay moves the VAT filing due day of one month (normally the 15th, moved by holidays).
type TaxDueDay struct {
	Month           string `gorm:"primaryKey"` // YYYY-MM
	Day             int
	UpdatedByUserID *int64 `gorm:"index:ix_tax_due_days_updated_by"`
	UpdatedAt       time.Time
}

// TableName is the tax_due_days table.
func (TaxDueDay) TableName() string { return "tax_due_days" }

// HS prefix lists maintained by admins (DOMAIN §4).
const (
	ListIneligible      = "ineligible"       // never under 1039
	ListNotSimplifiable = "not_simplifiable" // always declared item by item
)

// HSPrefix is an entry of an HS prefix list: a chapter, heading or full code with its reason.
type HSPrefix struct {
	ID              int64  `gorm:"primaryKey"`
	List            string `gorm:"uniqueIndex:ux_hs_prefixes,priority:1"`
	Prefix          string `gorm:"uniqueIndex:ux_hs_prefixes,priority:2"`
	ReasonEn        string
	ReasonZh        string
	CreatedByUserID *int64 `gorm:"index:ix_hs_prefixes_created_by"`
	CreatedAt       time.Time
}

// TableName is the hs_prefixes table.
func (HSPrefix) TableName() string { return "hs_prefixes" }

// BrandWatch is a protected trademark: branded goods naming it are held for review (DOMAIN §8).
type BrandWatch struct {
	ID              int64 `gorm:"primaryKey"`
	Brand           string
	BrandKey        string `gorm:"uniqueIndex:ux_brand_watches_key"` // lower-cased, spaces removed
	Holder          string
	Note            string
	CreatedByUserID *int64 `gorm:"index:ix_brand_watches_created_by"`
	CreatedAt       time.Time
}

// TableName is the brand_watches table.
func (BrandWatch) TableName() string { return "brand_watches" }

// NumberSequence hands out the next number of a series (transaction numbers, pre-entry numbers
// per office and year, …) inside the transaction that uses it.
type NumberSequence struct {
	Name string `gorm:"primaryKey"`
	Next int64
}

// TableName is the number_sequences table.
func (NumberSequence) TableName() string { return "number_sequences" }

// AuditEntry is one append-only record of a change: who, when, what, old and new values.
// Entries form a hash chain (PrevHash, Hash) so tampering can be detected.
type AuditEntry struct {
	ID          int64     `gorm:"primaryKey"`
	At          time.Time `gorm:"index:ix_audit_entries_at"`
	ActorUserID *int64    `gorm:"index:ix_audit_entries_actor"`
	ActorRole   string
	RequestID   string
	Entity      string `gorm:"index:ix_audit_entries_entity,priority:1"`
	EntityID    string `gorm:"index:ix_audit_entries_entity,priority:2"`
	Action      string
	OldJSON     string
	NewJSON     string
	PrevHash    string
	Hash        string
}

// TableName is the audit_entries table.
func (AuditEntry) TableName() string { return "audit_entries" }

// All lists every model, in the order their tables are created; the schema test walks it.
func All() []any {
	return []any{
		&User{}, &Session{}, &APIToken{}, &LoginThrottle{},
		&Merchant{}, &MerchantStatusChange{}, &Agent{}, &Buyer{}, &Entrustment{},
		&Goods{}, &GoodsReview{},
		&Transaction{}, &TransactionLine{}, &Document{},
		&Consolidation{}, &ConsolidationLine{}, &ContainerType{}, &Container{}, &PackingLine{},
		&Declaration{}, &DeclarationItem{}, &DeclarationItemLine{}, &DeclarationFinding{},
		&RiskRuleSet{}, &CustomsDecision{}, &CustomsEvent{}, &Inspection{},
		&FXReceipt{}, &FXAllocation{}, &TaxFiling{}, &TaxFilingLine{},
		&SpotCheckCampaign{}, &SpotCheck{},
		&Setting{}, &ExchangeRate{}, &TaxDueDay{}, &HSPrefix{}, &BrandWatch{}, &NumberSequence{},
		&AuditEntry{},
		&BuyerLink{}, &IdempotencyKey{},
		&Notification{}, &Webhook{}, &WebhookDelivery{},
		&ImportJob{},
	}
}
