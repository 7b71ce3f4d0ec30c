package workflow

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// Service carries out the trade's use cases. Every method that changes state runs in one
// database transaction that also appends the audit entry, and returns an *apperr.Error.
type Service struct {
	db     *gorm.DB
	ref    *refdata.Set
	now    func() time.Time
	log    *slog.Logger
	Policy AuthPolicy
	// DataDir is where uploaded documents are stored, by content hash.
	DataDir string
	// WebhookPolicy says which webhook URLs may be registered and called (webhooks.go); the zero
	// value is production's: HTTPS to public addresses only.
	WebhookPolicy WebhookPolicy

	dummyOnce sync.Once
	dummy     []byte
}

// NewService builds the service. now is the clock (injected so tests and replays are exact).
func NewService(db *gorm.DB, ref *refdata.Set, now func() time.Time, log *slog.Logger) *Service {
	return &Service{db: db, ref: ref, now: func() time.Time { return now().UTC() }, log: log, Policy: DefaultAuthPolicy()}
}

// Ref is the reference data.
func (s *Service) Ref() *refdata.Set { return s.ref }

// Now is the service clock.
func (s *Service) Now() time.Time { return s.now() }

// MarketZone is China Standard Time (UTC+8, no daylight saving): the time of the Yiwu market and
// of every authority in the trade. Dates, months, numbering days and due days are read in it.
var MarketZone = time.FixedZone("CST", 8*60*60)

type ctxKey int

const requestIDKey ctxKey = 1

// WithRequestID stores the HTTP request id so audit entries can name the request.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// tx runs fn in one database transaction, after waiting for the write turn on SQLite
// (models.WriteTx).
func (s *Service) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return models.WriteTx(ctx, s.db, fn)
}

// audit appends an audit entry for a change made by actor, inside tx.
func (s *Service) audit(ctx context.Context, tx *gorm.DB, actor Actor, entity, entityID, action string, old, new any) error {
	return models.AppendAudit(tx, s.now(), auditRecordOf(ctx, actor, entity, entityID, action, old, new))
}

// auditRecordOf is the record of a change made by actor: what audit appends, and what the bulk
// paths collect to append as one batch (models.AppendAudits, models.ChainAudits).
func auditRecordOf(ctx context.Context, actor Actor, entity, entityID, action string, old, new any) models.AuditRecord {
	rec := models.AuditRecord{ActorRole: actor.Role, RequestID: requestID(ctx), Entity: entity, EntityID: entityID, Action: action, Old: old, New: new}
	if actor.UserID != 0 {
		id := actor.UserID
		rec.ActorUserID = &id
	}
	return rec
}

// Ready checks that the database answers and its schema is current, for /readyz.
func (s *Service) Ready(ctx context.Context) error {
	if err := models.Ping(ctx, s.db); err != nil {
		return apperr.Wrap(err, "database unreachable")
	}
	pending, err := models.PendingMigrations(ctx, s.db)
	if err != nil {
		return apperr.Wrap(err, "read migrations")
	}
	if len(pending) > 0 {
		return apperr.New(apperr.Internal, apperr.Tf("%d migration(s) pending", "有 %d 个迁移未执行", len(pending)))
	}
	return nil
}
