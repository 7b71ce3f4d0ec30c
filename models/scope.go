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
	// Day is the Yiwu date (YYYY-MM-DD) on which an agent's entrustments must be in force. Actors
	// built for a request carry it from the service clock; when it is empty (code outside a
	// request) only the "not ended" condition applies.
	Day string
}

// entrustingMerchants is the subquery of the merchants whose entrustment of an agent is in
// force on the scope's day: not ended, started, and not past its end date (inclusive).
func entrustingMerchants(sc Scope) (string, []any) {
	if sc.Day == "" {
		return "SELECT e.merchant_id FROM entrustments e WHERE e.agent_id = ? AND e.ended_at IS NULL", []any{sc.AgentID}
	}
	return "SELECT e.merchant_id FROM entrustments e WHERE e.agent_id = ? AND e.ended_at IS NULL" +
		" AND e.starts_on <= ? AND (e.ends_on = '' OR e.ends_on >= ?)", []any{sc.AgentID, sc.Day, sc.Day}
}

// MerchantsScoped limits a query on merchants to those the scope may see: a merchant itself,
// the merchants that entrust an agent.
func MerchantsScoped(q *gorm.DB, sc Scope) *gorm.DB {
	switch {
	case sc.All:
		return q
	case sc.MerchantID > 0:
		return q.Where("merchants.id = ?", sc.MerchantID)
	case sc.AgentID > 0:
		sub, args := entrustingMerchants(sc)
		return q.Where("merchants.id IN ("+sub+")", args...)
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
		sub, args := entrustingMerchants(sc)
		return q.Where(table+".merchant_id IN ("+sub+")", args...)
	}
	return q.Where("1 = 0")
}
