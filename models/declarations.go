package models

import "time"

// Declaration statuses under mode 1039 (DOMAIN §3 step 4).
const (
	DeclarationDraft     = "draft"     // generated, under agent review
	DeclarationSubmitted = "submitted" // sent to customs
	DeclarationAccepted  = "accepted"  // customs entry number assigned, being routed
	DeclarationRejected  = "rejected"  // 退单: back to the agent with coded reasons
	DeclarationReleased  = "released"  // 放行
	DeclarationExited    = "exited"    // 结关
	DeclarationCancelled = "cancelled"
)

// Customs lanes (DOMAIN §7).
const (
	LaneGreen  = "green"
	LaneYellow = "yellow"
	LaneRed    = "red"
	LaneBlue   = "blue"
)

// Declaration is one export declaration under supervision mode 1039: one consignee, at most the
// value cap and the item limit.
type Declaration struct {
	ID                  int64   `gorm:"primaryKey"`
	PreEntryNo          string  `gorm:"uniqueIndex:ux_declarations_pre_entry_no"` // 18 digits, 预录入编号
	EntryNo             *string `gorm:"uniqueIndex:ux_declarations_entry_no"`     // 18 digits, 海关编号, once accepted
	ConsolidationID     int64   `gorm:"index:ix_declarations_consolidation"`
	AgentID             int64   `gorm:"index:ix_declarations_agent_status,priority:1"`
	BuyerID             int64   `gorm:"index:ix_declarations_buyer"`
	Seq                 int     // position among the consolidation's declarations
	Status              string  `gorm:"index:ix_declarations_agent_status,priority:2;index:ix_declarations_status"`
	SupervisionMode     string  // always "1039"
	TransportMode       string
	ArrivalCountry      string
	DestinationPort     string
	ExitPort            string
	TradeTerms          string
	Currency            string // currency of TotalValue
	TotalValue          Money
	TotalUSD            Money  // at the monthly rate of RateMonth; at most the cap
	RateMonth           string // YYYY-MM
	Freight             Money
	Insurance           Money
	Packages            int64
	PackageType         string
	NetGrams            Grams
	GrossGrams          Grams
	Marks               string
	Remarks             string // buyer name, nationality and document
	Declarant           string
	Lane                string
	SubmittedAt         *time.Time
	AcceptedAt          *time.Time
	ReleasedAt          *time.Time
	ExitDate            string // YYYY-MM-DD, 结关
	CancelledAt         *time.Time
	AmendedAfterRelease bool
	PostAuditAt         *time.Time // blue lane: post-clearance audit done
	PostAuditByUserID   *int64     `gorm:"index:ix_declarations_post_audit_by"`
	PostAuditResult     string     // "", conform, discrepancy
	PostAuditFindings   string
	CreatedByUserID     *int64 `gorm:"index:ix_declarations_created_by"`
	Version             int64
	CreatedAt           time.Time `gorm:"index:ix_declarations_created_at"`
	UpdatedAt           time.Time
}

// TableName is the declarations table.
func (Declaration) TableName() string { return "declarations" }

// Kinds of declaration item under the simplified declaration (GACC 2019 No. 221).
const (
	ItemSingle         = "single"         // ≤ 5 varieties: each its own item
	ItemTop            = "top"            // one of the top 5 by value
	ItemMerged         = "merged"         // the rest of one HS chapter
	ItemUnsimplifiable = "unsimplifiable" // export duty or statutory inspection: always its own item
)

// DeclarationItem is one goods item of a declaration.
type DeclarationItem struct {
	ID                 int64 `gorm:"primaryKey"`
	DeclarationID      int64 `gorm:"uniqueIndex:ux_declaration_items_no,priority:1"`
	ItemNo             int   `gorm:"uniqueIndex:ux_declaration_items_no,priority:2"`
	Kind               string
	HSCode             string `gorm:"index:ix_declaration_items_hs_code"`
	Chapter            string
	Name               string
	Spec               string
	LegalQty           Quantity
	LegalUnit          string
	SecondQty          Quantity
	SecondUnit         string
	TxnQty             Quantity
	TxnUnit            string
	UnitPrice          Price
	TotalValue         Money
	Currency           string
	TotalUSD           Money
	NetGrams           Grams
	GrossGrams         Grams
	Origin             string // CHN
	DestinationCountry string
	SourceRegion       string // 境内货源地
	MixedUnits         bool   // merged lines with different legal units: agent review
	CreatedAt          time.Time
}

// TableName is the declaration_items table.
func (DeclarationItem) TableName() string { return "declaration_items" }

// DeclarationItemLine is the correspondence (对应关系): which transaction line an item holds.
type DeclarationItemLine struct {
	ID                int64 `gorm:"primaryKey"`
	DeclarationItemID int64 `gorm:"uniqueIndex:ux_declaration_item_lines,priority:1"`
	TransactionLineID int64 `gorm:"uniqueIndex:ux_declaration_item_lines,priority:2;index:ix_declaration_item_lines_line"`
	Value             Money // in the line's currency
	ValueUSD          Money
	Quantity          Quantity
	Unit              string
	LegalUnit         string
	NetGrams          Grams
	GrossGrams        Grams
}

// TableName is the declaration_item_lines table.
func (DeclarationItemLine) TableName() string { return "declaration_item_lines" }

// Finding severities: an error blocks submission, a warning must be acknowledged.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// DeclarationFinding is a problem found before submission, tied to a field.
type DeclarationFinding struct {
	ID                int64 `gorm:"primaryKey"`
	DeclarationID     int64 `gorm:"index:ix_declaration_findings_declaration"`
	Code              string
	Severity          string
	Field             string
	MessageEn         string
	MessageZh         string
	TransactionLineID *int64 `gorm:"index:ix_declaration_findings_line"`
	AcknowledgedAt    *time.Time
	AcknowledgedBy    *int64 `gorm:"index:ix_declaration_findings_ack_by"`
	CreatedAt         time.Time
}

// TableName is the declaration_findings table.
func (DeclarationFinding) TableName() string { return "declaration_findings" }
