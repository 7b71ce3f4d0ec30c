package models

import (
	"errors"
	"strings"

	"gorm.io/gorm"

	"mpt/workflow/apperr"
)

// Translate turns a database error into an apperr: not found, duplicate key and foreign-key
// failures become their codes; anything else is Internal with the cause kept for the log.
func Translate(err error, what apperr.Text) error {
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return &apperr.Error{Code: apperr.NotFound, Text: apperr.T(what.En+" not found", "未找到"+what.Zh), Err: err}
	case IsUniqueViolation(err):
		return &apperr.Error{Code: apperr.Conflict, Text: apperr.T("This "+strings.ToLower(what.En)+" already exists", "该"+what.Zh+"已存在"), Err: err}
	}
	return apperr.Wrap(err, what.En)
}

// IsUniqueViolation reports a duplicate key on either database.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE 23505") // PostgreSQL unique_violation
}

// IsBusy reports that the database could not take the write in time: SQLite's busy timeout or
// lock ("database is locked"), or on PostgreSQL a serialization failure, a deadlock or a lock
// timeout. Nothing was written; the same request may succeed a moment later.
func IsBusy(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "database table is locked") || // SQLite
		strings.Contains(msg, "SQLSTATE 40001") || strings.Contains(msg, "SQLSTATE 40P01") || strings.Contains(msg, "SQLSTATE 55P03")
}

var settingNoun = apperr.T("Setting", "设置项")
