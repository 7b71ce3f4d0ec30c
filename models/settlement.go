package models

import "time"

// FXReceipt is money received from abroad (DOMAIN §5.2), recorded by the bank's FX officer.
type FXReceipt struct {
	ID                    int64  `gorm:"primaryKey"`
	BankRef               string `gorm:"uniqueIndex:ux_fx_receipts_bank_ref"`
	PayerName             string `gorm:"index:ix_fx_receipts_payer"`
	PayerCountry          string
	Currency              string
	Amount                Money
	Allocated             Money  // sum of allocations; never more than Amount
	ValueDate             string `gorm:"index:ix_fx_receipts_value_date"`
	BeneficiaryMerchantID *int64 `gorm:"index:ix_fx_receipts_merchant"`
	BeneficiaryAgentID    *int64 `gorm:"index:ix_fx_receipts_agent"`
	Flags                 string // comma-separated review flags
	StatementRef          string `gorm:"index:ix_fx_receipts_statement"` // the uploaded bank statement it came from, if any
	RecordedByUserID      *int64 `gorm:"index:ix_fx_receipts_recorded_by"`
	Version               int64
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// TableName is the fx_receipts table.
func (FXReceipt) TableName() string { return "fx_receipts" }

// FXAllocation assigns part of a receipt to a transaction line; a line's allocations never
// exceed its amount and are never claimed again by another receipt.
type FXAllocation struct {
	ID                int64 `gorm:"primaryKey"`
	ReceiptID         int64 `gorm:"uniqueIndex:ux_fx_allocations_line,priority:1"`
	TransactionLineID int64 `gorm:"uniqueIndex:ux_fx_allocations_line,priority:2;index:ix_fx_allocations_line"`
	Amount            Money
	PayerMismatch     bool   // payer is not the line's buyer
	BeforeExport      bool   // money arrived before exit was confirmed
	ConfirmedByUserID *int64 `gorm:"index:ix_fx_allocations_confirmed_by"`
	CreatedAt         time.Time
}

// TableName is the fx_allocations table.
func (FXAllocation) TableName() string { return "fx_allocations" }

// Tax filing statuses.
const (
	FilingDraft    = "draft"
	FilingFiled    = "filed"
	FilingAccepted = "accepted"
	FilingRejected = "rejected"
)

// TaxFiling is a merchant's monthly VAT exemption filing (免税申报, STA 2015 No. 89).
type TaxFiling struct {
	ID              int64  `gorm:"primaryKey"`
	Number          string `gorm:"uniqueIndex:ux_tax_filings_number"`
	MerchantID      int64  `gorm:"index:ix_tax_filings_merchant_period,priority:1"`
	Period          string `gorm:"index:ix_tax_filings_merchant_period,priority:2"` // export month, YYYY-MM
	DueDate         string
	Status          string `gorm:"index:ix_tax_filings_status"`
	TotalCNY        Money
	LineCount       int
	FiledByUserID   *int64 `gorm:"index:ix_tax_filings_filed_by"`
	FiledByAgentID  *int64 `gorm:"index:ix_tax_filings_agent"`
	FiledAt         *time.Time
	DecidedAt       *time.Time
	DecidedByUserID *int64 `gorm:"index:ix_tax_filings_decided_by"`
	DecisionReason  string
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the tax_filings table.
func (TaxFiling) TableName() string { return "tax_filings" }

// TaxFilingLine is one exported transaction line claimed in a filing.
type TaxFilingLine struct {
	ID                int64 `gorm:"primaryKey"`
	FilingID          int64 `gorm:"uniqueIndex:ux_tax_filing_lines,priority:1"`
	TransactionLineID int64 `gorm:"uniqueIndex:ux_tax_filing_lines,priority:2;index:ix_tax_filing_lines_line;uniqueIndex:ux_tax_filing_lines_claimed,where:claimed"`
	DeclarationID     int64 `gorm:"index:ix_tax_filing_lines_declaration"`
	Currency          string
	Amount            Money
	AmountCNY         Money
	// Claimed is true while the filing is not rejected: a line is claimed by at most one such
	// filing (partial unique index), so the exemption is never claimed twice.
	Claimed bool
}

// TableName is the tax_filing_lines table.
func (TaxFilingLine) TableName() string { return "tax_filing_lines" }

// Spot-check campaign statuses: drawn (checks being recorded), published (results public).
const (
	CampaignDrawn     = "drawn"
	CampaignPublished = "published"
)

// Spot-check results and reasons a merchant was drawn.
const (
	SpotCheckPass      = "pass"
	SpotCheckFail      = "fail"
	SpotCheckRandom    = "random"    // drawn at random among the active merchants
	SpotCheckComplaint = "complaint" // added for complaints, in addition to the random draw
)

// SpotCheckCampaign is a "double random" (双随机) draw of merchants and inspectors. It keeps
// what the draw read (candidate merchants, on-duty inspectors, complaint merchants, as
// ascending id ranges "1-40,42") so a replay from Seed recomputes the same checks.
type SpotCheckCampaign struct {
	ID                int64 `gorm:"primaryKey"`
	Name              string
	Year              int `gorm:"index:ix_spot_check_campaigns_year"`
	RatePermille      int // share of merchants drawn, per mille (at least the configured minimum)
	Seed              int64
	Status            string `gorm:"index:ix_spot_check_campaigns_status,priority:1"` // drawn, published
	CandidateIDs      string // active merchants the draw read
	CandidateCount    int
	InspectorIDs      string // on-duty supervision users the draw read
	ComplaintIDs      string // merchants added for complaints
	CreatedByUserID   *int64 `gorm:"index:ix_spot_check_campaigns_created_by"`
	PublishedAt       *time.Time
	PublishedByUserID *int64 `gorm:"index:ix_spot_check_campaigns_published_by"`
	Version           int64
	CreatedAt         time.Time
}

// TableName is the spot_check_campaigns table.
func (SpotCheckCampaign) TableName() string { return "spot_check_campaigns" }

// SpotCheck is one merchant drawn in a campaign, its inspector and the result.
type SpotCheck struct {
	ID              int64  `gorm:"primaryKey"`
	CampaignID      int64  `gorm:"index:ix_spot_checks_campaign;uniqueIndex:ux_spot_checks_campaign_merchant,priority:1"`
	MerchantID      int64  `gorm:"index:ix_spot_checks_merchant;uniqueIndex:ux_spot_checks_campaign_merchant,priority:2"`
	InspectorUserID *int64 `gorm:"index:ix_spot_checks_inspector;index:ix_spot_checks_inspector_result,priority:1"`
	Reason          string // random, complaint
	Result          string `gorm:"index:ix_spot_checks_inspector_result,priority:2"` // "", pass, fail
	Findings        string
	MerchantStatus  string // the status a failed check moved the merchant to, "" for none
	CheckedAt       *time.Time
	Version         int64
	CreatedAt       time.Time
}

// TableName is the spot_checks table.
func (SpotCheck) TableName() string { return "spot_checks" }
