package models

import (
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// BuyerLink puts a buyer in a merchant's or an agent's list. A buyer is one person, kept once
// (unique on nationality + document number); every merchant or agent that registers the same
// person gets a link to the existing buyer, never a second buyer row. Exactly one of MerchantID
// and AgentID is set, and a party is linked to a buyer at most once.
type BuyerLink struct {
	ID              int64  `gorm:"primaryKey"`
	BuyerID         int64  `gorm:"uniqueIndex:ux_buyer_links_merchant,priority:1;uniqueIndex:ux_buyer_links_agent,priority:1;index:ix_buyer_links_merchant,priority:2;index:ix_buyer_links_agent,priority:2"`
	MerchantID      *int64 `gorm:"uniqueIndex:ux_buyer_links_merchant,priority:2;index:ix_buyer_links_merchant,priority:1"`
	AgentID         *int64 `gorm:"uniqueIndex:ux_buyer_links_agent,priority:2;index:ix_buyer_links_agent,priority:1"`
	CreatedByUserID int64  `gorm:"index:ix_buyer_links_created_by"`
	CreatedAt       time.Time
}

// TableName is the buyer_links table.
func (BuyerLink) TableName() string { return "buyer_links" }

// BuyersScoped limits a query on buyers to those the scope may see: officers, auditors and admins
// every buyer; a merchant's or an agent's users the buyers linked to that merchant or agent.
func BuyersScoped(q *gorm.DB, sc Scope) *gorm.DB {
	switch {
	case sc.All:
		return q
	case sc.MerchantID > 0:
		return q.Where("buyers.id IN (SELECT bl.buyer_id FROM buyer_links bl WHERE bl.merchant_id = ?)", sc.MerchantID)
	case sc.AgentID > 0:
		return q.Where("buyers.id IN (SELECT bl.buyer_id FROM buyer_links bl WHERE bl.agent_id = ?)", sc.AgentID)
	}
	return q.Where("1 = 0")
}

// LinkBuyer adds a link inside tx unless the party already has one, and reports whether it
// added it. It never fails on a concurrent duplicate: the unique indexes make it a no-op.
func LinkBuyer(tx *gorm.DB, link *BuyerLink) (bool, error) {
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(link)
	if res.Error != nil {
		return false, res.Error
	}
	return res.RowsAffected == 1, nil
}
