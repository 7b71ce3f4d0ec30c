package models

import "time"

// Transaction statuses (交易登记). A registered transaction can be edited until its lines are
// consolidated and voided with a reason; a merchant turning abnormal holds its open ones.
const (
	TransactionDraft      = "draft"
	TransactionRegistered = "registered"
	TransactionHeld       = "held"
	TransactionVoided     = "voided"
)

// Transaction is a registered sale: the root of every trace (DOMAIN §3 step 2).
type Transaction struct {
	ID              int64  `gorm:"primaryKey"`
	Number          string `gorm:"uniqueIndex:ux_transactions_number"`
	MerchantID      int64  `gorm:"index:ix_transactions_merchant_status,priority:1"`
	BuyerID         int64  `gorm:"index:ix_transactions_buyer"`
	AgentID         *int64 `gorm:"index:ix_transactions_agent"` // set when an agent registered it for the merchant
	TradeDate       string `gorm:"index:ix_transactions_trade_date"`
	Currency        string
	TotalAmount     Money
	LineCount       int
	TotalCartons    int64
	TotalNetGrams   Grams
	TotalGrossGrams Grams
	Status          string `gorm:"index:ix_transactions_merchant_status,priority:2"`
	StatusReason    string // why it is voided or held
	RegisteredAt    *time.Time
	CreatedByUserID *int64 `gorm:"index:ix_transactions_created_by"`
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the transactions table.
func (Transaction) TableName() string { return "transactions" }

// TransactionLine is one goods line of a transaction, with its trace code.
type TransactionLine struct {
	ID            int64    `gorm:"primaryKey"`
	TransactionID int64    `gorm:"uniqueIndex:ux_transaction_lines_no,priority:1"`
	LineNo        int      `gorm:"uniqueIndex:ux_transaction_lines_no,priority:2"`
	GoodsID       int64    `gorm:"index:ix_transaction_lines_goods"`
	TraceCode     string   `gorm:"uniqueIndex:ux_transaction_lines_trace_code"`
	Quantity      Quantity // in Unit
	Unit          string   // transaction unit code
	UnitPrice     Price
	Amount        Money // Quantity × UnitPrice, computed on the server
	Cartons       int64
	NetGrams      Grams
	GrossGrams    Grams
	FXAllocated   Money // sum of FX allocations; never more than Amount (DOMAIN §5.2)
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName is the transaction_lines table.
func (TransactionLine) TableName() string { return "transaction_lines" }

// Document is an uploaded file, stored under the data directory by its SHA-256: the original
// documents of a transaction, or documents customs asked an agent for.
type Document struct {
	ID               int64  `gorm:"primaryKey"`
	TransactionID    *int64 `gorm:"index:ix_documents_transaction"`
	DeclarationID    *int64 `gorm:"index:ix_documents_declaration"`
	Kind             string // receipt, order, invoice, packing, other
	FileName         string
	ContentType      string
	Size             int64
	SHA256           string `gorm:"index:ix_documents_sha256"`
	UploadedByUserID *int64 `gorm:"index:ix_documents_uploaded_by"`
	CreatedAt        time.Time
}

// TableName is the documents table.
func (Document) TableName() string { return "documents" }
