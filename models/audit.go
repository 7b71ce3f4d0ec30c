package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"gorm.io/gorm"
)

// AuditRecord is what a write tells the audit log: who did what to which record, with the old
// and new values. It is appended in the same database transaction as the change.
type AuditRecord struct {
	ActorUserID *int64
	ActorRole   string
	RequestID   string
	Entity      string // table-like name: "merchant", "user", "setting", …
	EntityID    string
	Action      string // "create", "update", "approve", "login_failed", …
	Old, New    any    // marshalled to JSON; nil for none
}

// auditContent is the canonical content an entry's hash covers.
type auditContent struct {
	At        string `json:"at"`
	Actor     *int64 `json:"actor"`
	Role      string `json:"role"`
	RequestID string `json:"request_id"`
	Entity    string `json:"entity"`
	EntityID  string `json:"entity_id"`
	Action    string `json:"action"`
	Old       string `json:"old"`
	New       string `json:"new"`
	PrevHash  string `json:"prev"`
}

// AuditHash is the hash of an entry: SHA-256 over its canonical JSON content, which includes the
// previous entry's hash, so the entries form a chain that breaks where one is altered.
func AuditHash(e *AuditEntry) string {
	b, _ := json.Marshal(auditContent{
		At: e.At.UTC().Format(time.RFC3339Nano), Actor: e.ActorUserID, Role: e.ActorRole,
		RequestID: e.RequestID, Entity: e.Entity, EntityID: e.EntityID, Action: e.Action,
		Old: e.OldJSON, New: e.NewJSON, PrevHash: e.PrevHash,
	})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// AppendAudit adds an entry to the audit log inside tx, chained to the last one. On PostgreSQL a
// transaction-scoped advisory lock keeps the chain linear under concurrent writers; on SQLite
// every write transaction already holds the database's single write lock (BEGIN IMMEDIATE).
func AppendAudit(tx *gorm.DB, at time.Time, r AuditRecord) error {
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(1039)").Error; err != nil {
			return err
		}
	}
	var prev string
	if err := tx.Model(&AuditEntry{}).Order("id DESC").Limit(1).Pluck("hash", &prev).Error; err != nil {
		return err
	}
	e := AuditEntry{
		At: at.UTC().Truncate(time.Microsecond), ActorUserID: r.ActorUserID, ActorRole: r.ActorRole,
		RequestID: r.RequestID, Entity: r.Entity, EntityID: r.EntityID, Action: r.Action,
		OldJSON: auditJSON(r.Old), NewJSON: auditJSON(r.New), PrevHash: prev,
	}
	e.Hash = AuditHash(&e)
	return tx.Create(&e).Error
}

func auditJSON(v any) string {
	if v == nil {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return `{"unmarshalable":true}`
	}
	return string(b)
}

// AppendAudits adds entries to the audit log inside tx in the given order, chained to the last
// entry and to each other exactly as AppendAudit chains them one by one, with one read of the
// last hash and multi-row INSERTs (a bulk change writes thousands at once).
func AppendAudits(tx *gorm.DB, at time.Time, recs []AuditRecord) error {
	if len(recs) == 0 {
		return nil
	}
	prev, err := LockAuditChain(tx)
	if err != nil {
		return err
	}
	return InsertAudits(tx, ChainAudits(prev, at, recs))
}

// LockAuditChain takes the audit chain for the rest of tx (on PostgreSQL the advisory lock
// AppendAudit takes; SQLite's write transaction already excludes other writers) and returns the
// hash of the last entry, to which ChainAudits chains new entries. The caller appends nothing
// else to the log in tx before InsertAudits, or the chain forks.
func LockAuditChain(tx *gorm.DB) (string, error) {
	if tx.Dialector.Name() == "postgres" {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(1039)").Error; err != nil {
			return "", err
		}
	}
	var prev string
	err := tx.Model(&AuditEntry{}).Order("id DESC").Limit(1).Pluck("hash", &prev).Error
	return prev, err
}

// ChainAudits builds the entries of recs, in order, each chained to the one before and the first
// to prev. It touches no database, so a bulk change may compute it while it writes other rows.
func ChainAudits(prev string, at time.Time, recs []AuditRecord) []AuditEntry {
	at = at.UTC().Truncate(time.Microsecond)
	entries := make([]AuditEntry, len(recs))
	for i, r := range recs {
		e := &entries[i]
		*e = AuditEntry{At: at, ActorUserID: r.ActorUserID, ActorRole: r.ActorRole, RequestID: r.RequestID,
			Entity: r.Entity, EntityID: r.EntityID, Action: r.Action,
			OldJSON: auditJSON(r.Old), NewJSON: auditJSON(r.New), PrevHash: prev}
		e.Hash = AuditHash(e)
		prev = e.Hash
	}
	return entries
}

// InsertAudits writes chained entries with multi-row INSERTs. The rows get increasing ids in
// slice order (a multi-row INSERT numbers its rows in order, and the chain's lock or SQLite's
// single writer keeps anyone else from writing between them), so VerifyAudit, which walks the
// log by id, sees the same chain.
func InsertAudits(tx *gorm.DB, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	// 11 columns a row: 500 rows stay far below both databases' limits on bound parameters.
	return tx.CreateInBatches(&entries, 500).Error
}
