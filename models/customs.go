package models

import "time"

// RiskRuleSet is one version of the admin-edited routing rules (DOMAIN §7); decisions name the
// version they used so they can be replayed.
type RiskRuleSet struct {
	ID              int64 `gorm:"primaryKey"`
	Version         int   `gorm:"uniqueIndex:ux_risk_rule_sets_version"`
	RulesJSON       string
	MinRatesJSON    string // minimum random rate per lane, per mille
	Note            string
	Active          bool   `gorm:"index:ix_risk_rule_sets_active"`
	CreatedByUserID *int64 `gorm:"index:ix_risk_rule_sets_created_by"`
	CreatedAt       time.Time
}

// TableName is the risk_rule_sets table.
func (RiskRuleSet) TableName() string { return "risk_rule_sets" }

// CustomsDecision is the routing of a declaration: lane, rules hit, random draw and seed.
type CustomsDecision struct {
	ID             int64 `gorm:"primaryKey"`
	DeclarationID  int64 `gorm:"index:ix_customs_decisions_declaration"`
	RuleSetVersion int
	Lane           string `gorm:"index:ix_customs_decisions_lane"`
	RulesHitJSON   string
	Seed           int64
	Draw           int64  // the random draw, per million
	FactsJSON      string // the facts the rules read, so a replay recomputes the same lane
	OfficerUserID  *int64 `gorm:"index:ix_customs_decisions_officer"`
	DecidedAt      time.Time
}

// TableName is the customs_decisions table.
func (CustomsDecision) TableName() string { return "customs_decisions" }

// CustomsEvent is one step of a declaration at customs: accepted, routed, documents requested,
// released, exited, rejected with a reason code and field, resubmitted.
type CustomsEvent struct {
	ID            int64 `gorm:"primaryKey"`
	DeclarationID int64 `gorm:"index:ix_customs_events_declaration"`
	Kind          string
	ReasonCode    string
	Field         string
	DetailJSON    string
	ActorUserID   *int64 `gorm:"index:ix_customs_events_actor"`
	CreatedAt     time.Time
}

// TableName is the customs_events table.
func (CustomsEvent) TableName() string { return "customs_events" }

// Inspection is a red-lane physical inspection by an inspector drawn at random.
type Inspection struct {
	ID               int64 `gorm:"primaryKey"`
	DeclarationID    int64 `gorm:"index:ix_inspections_declaration"`
	InspectorUserID  int64 `gorm:"index:ix_inspections_inspector"`
	Seed             int64
	Result           string // "", conform, discrepancy
	Findings         string
	DiscrepancyItems string // item numbers found discrepant, "3,7"
	AssignedAt       time.Time
	CompletedAt      *time.Time
}

// TableName is the inspections table.
func (Inspection) TableName() string { return "inspections" }
