package models

import "time"

// Consolidation statuses: a consolidation is closed before it is declared and reopened only by
// cancelling its declarations.
const (
	ConsolidationOpen      = "open"
	ConsolidationClosed    = "closed"
	ConsolidationDeclared  = "declared"
	ConsolidationCancelled = "cancelled"
)

// Consolidation (组货) is one shipment an agent assembles from many merchants' lines.
type Consolidation struct {
	ID                 int64  `gorm:"primaryKey"`
	BookingCode        string `gorm:"uniqueIndex:ux_consolidations_booking_code"`
	AgentID            int64  `gorm:"index:ix_consolidations_agent_status,priority:1"`
	DestinationCountry string // ISO 3166 alpha-2
	DestinationPort    string
	TransportMode      string // customs transport mode code, e.g. "2" waterway
	TradeTerms         string // FOB, CIF, …
	ExitPort           string
	StuffingPlace      string
	Status             string `gorm:"index:ix_consolidations_agent_status,priority:2"`
	ClosedAt           *time.Time
	CreatedByUserID    *int64 `gorm:"index:ix_consolidations_created_by"`
	Version            int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// TableName is the consolidations table.
func (Consolidation) TableName() string { return "consolidations" }

// ConsolidationLine files a transaction line into a consolidation; a line sits in at most one.
type ConsolidationLine struct {
	ID                int64  `gorm:"primaryKey"`
	ConsolidationID   int64  `gorm:"index:ix_consolidation_lines_consolidation"`
	TransactionLineID int64  `gorm:"uniqueIndex:ux_consolidation_lines_line"`
	FiledByUserID     *int64 `gorm:"index:ix_consolidation_lines_filed_by"`
	CreatedAt         time.Time
}

// TableName is the consolidation_lines table.
func (ConsolidationLine) TableName() string { return "consolidation_lines" }

// ContainerType is a container size/type with its configurable payload limit.
type ContainerType struct {
	Code            string `gorm:"primaryKey"` // 20GP, 40GP, 40HQ, …
	NameEn          string
	NameZh          string
	TEU             int
	MaxPayloadGrams Grams
}

// TableName is the container_types table.
func (ContainerType) TableName() string { return "container_types" }

// Container is one box of a consolidation (ISO 6346 number).
type Container struct {
	ID              int64  `gorm:"primaryKey"`
	ConsolidationID int64  `gorm:"uniqueIndex:ux_containers_number,priority:1"`
	Number          string `gorm:"uniqueIndex:ux_containers_number,priority:2;index:ix_containers_number"`
	SizeType        string `gorm:"index:ix_containers_size_type"`
	SealNo          string
	TareGrams       Grams
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the containers table.
func (Container) TableName() string { return "containers" }

// PackingLine says how many cartons and kilograms of a line went into a container.
type PackingLine struct {
	ID                int64 `gorm:"primaryKey"`
	ContainerID       int64 `gorm:"uniqueIndex:ux_packing_lines_line,priority:1"`
	TransactionLineID int64 `gorm:"uniqueIndex:ux_packing_lines_line,priority:2;index:ix_packing_lines_transaction_line"`
	Cartons           int64
	NetGrams          Grams
	GrossGrams        Grams
	CreatedAt         time.Time
}

// TableName is the packing_lines table.
func (PackingLine) TableName() string { return "packing_lines" }
