package models

import (
	"context"
	"time"

	"gorm.io/gorm/logger"
)

// SlowSQL is the duration past which a statement is logged as slow (Open's logger setting).
const SlowSQL = 200 * time.Millisecond

// lazySQLLog wraps a GORM logger so that a statement's SQL text is rendered only when it is
// going to be logged: on an error or when slower than SlowSQL. GORM's slog logger renders every
// statement with its values inlined before it decides whether to log it, which for a multi-row
// INSERT of 500 rows costs more than a tenth of the insert itself.
type lazySQLLog struct{ logger.Interface }

// Trace passes the statement on only when it failed or was slow.
func (l lazySQLLog) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	if err == nil && time.Since(begin) <= SlowSQL {
		return
	}
	l.Interface.Trace(ctx, begin, fc, err)
}
