package workflow

import (
	"context"
	"strings"
	"time"

	"mpt/models"
	"mpt/workflow/apperr"
)

// VerifyAuditLog recomputes the audit log's hash chain (and checks checkpoints exported earlier)
// for an auditor: the result names the first broken entry, if any.
func (s *Service) VerifyAuditLog(ctx context.Context, actor Actor, known []models.AuditCheckpoint) (*models.AuditVerification, error) {
	if err := actor.Require(ActAuditVerify); err != nil {
		return nil, err
	}
	v, err := models.VerifyAudit(ctx, s.db, known, nil)
	if err != nil {
		return nil, apperr.Wrap(err, "verify audit log")
	}
	return v, nil
}

// AuditFilter narrows the audit log list.
type AuditFilter struct {
	Entity   string
	EntityID string
	Action   string
	Username string
	BeforeID int64 // entries older than this id (the next page)
}

// AuditRow is one audit entry with its actor's name.
type AuditRow struct {
	models.AuditEntry
	Username    string
	DisplayName string
}

// AuditPerPage is how many entries a page of the audit log shows.
const AuditPerPage = 100

// AuditEntries lists audit entries newest first, for auditors and admins (read-only), a page
// at a time by id so that paging stays fast on millions of entries.
func (s *Service) AuditEntries(ctx context.Context, actor Actor, f AuditFilter) ([]AuditRow, error) {
	if err := actor.Require(ActAuditVerify); err != nil {
		return nil, err
	}
	q := s.db.WithContext(ctx).Table("audit_entries AS e").
		Select("e.*, COALESCE(u.username, '') AS username, COALESCE(u.display_name, '') AS display_name").
		Joins("LEFT JOIN users u ON u.id = e.actor_user_id")
	if v := strings.TrimSpace(f.Entity); v != "" {
		q = q.Where("e.entity = ?", v)
	}
	if v := strings.TrimSpace(f.EntityID); v != "" {
		q = q.Where("e.entity_id = ?", v)
	}
	if v := strings.TrimSpace(f.Action); v != "" {
		q = q.Where("e.action = ?", v)
	}
	if v := strings.TrimSpace(f.Username); v != "" {
		q = q.Where("u.username = ?", v)
	}
	if f.BeforeID > 0 {
		q = q.Where("e.id < ?", f.BeforeID)
	}
	var rows []AuditRow
	if err := q.Order("e.id DESC").Limit(AuditPerPage).Scan(&rows).Error; err != nil {
		return nil, apperr.Wrap(err, "list audit entries")
	}
	for i := range rows {
		rows[i].At = rows[i].At.UTC().Truncate(time.Microsecond)
	}
	return rows, nil
}
