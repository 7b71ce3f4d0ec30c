package models

import "gorm.io/gorm"

// Scope limits queries to the rows a caller may see. Exactly one field is set: All for officers,
// auditors and admins (whose access is limited by action, not by owner), MerchantID for a
// merchant's users, AgentID for an agent's users, None for nobody.
type Scope struct {
	All        bool
	MerchantID int64
	AgentID    int64
	None       bool
}

// activeEntrustment is the condition that an entrustment is in force today.
const activeEntrustment = "e.ended_at IS NULL"

// MerchantsScoped limits a query on merchants to those the scope may see: a merchant itself,
// the merchants that entrust an agent.
func MerchantsScoped(q *gorm.DB, sc Scope) *gorm.DB {
	switch {
	case sc.All:
		return q
	case sc.MerchantID > 0:
		return q.Where("merchants.id = ?", sc.MerchantID)
	case sc.AgentID > 0:
		return q.Where("merchants.id IN (SELECT e.merchant_id FROM entrustments e WHERE e.agent_id = ? AND "+activeEntrustment+")", sc.AgentID)
	}
	return q.Where("1 = 0")
}

// MerchantColumnScoped limits a query on a table with a merchant_id column.
func MerchantColumnScoped(q *gorm.DB, table string, sc Scope) *gorm.DB {
	switch {
	case sc.All:
		return q
	case sc.MerchantID > 0:
		return q.Where(table+".merchant_id = ?", sc.MerchantID)
	case sc.AgentID > 0:
		return q.Where(table+".merchant_id IN (SELECT e.merchant_id FROM entrustments e WHERE e.agent_id = ? AND "+activeEntrustment+")", sc.AgentID)
	}
	return q.Where("1 = 0")
}
