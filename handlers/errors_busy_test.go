package handlers_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"mpt/models/dbtest"
	"mpt/workflow/apperr"
)

// TestBusyDatabaseAnswers503: a write the database could not take in time (SQLite's busy
// timeout, a PostgreSQL serialization failure) is not an internal error: the user is told that
// nothing was saved and to try again, with 503 and Retry-After; other internal errors stay 500.
func TestBusyDatabaseAnswers503(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	e := a.Echo()
	for path, cause := range map[string]string{"/test-busy": "database is locked", "/api/v1/test-busy": "ERROR: could not serialize access (SQLSTATE 40001)",
		"/test-broken": "disk I/O error"} {
		cause := cause
		e.GET(path, func(echo.Context) error { return apperr.Wrap(errors.New(cause), "save") })
	}
	c := a.anon(t)
	rec := c.get("/test-busy")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "try again") {
		t.Errorf("busy page: %d %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	rec = c.get("/api/v1/test-busy")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"busy"`) {
		t.Errorf("busy API: %d %s", rec.Code, rec.Body)
	}
	if rec := c.get("/test-broken"); rec.Code != http.StatusInternalServerError {
		t.Errorf("other internal error: %d", rec.Code)
	}
}
