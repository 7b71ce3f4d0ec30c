package handlers_test

import (
	"net/http"
	"testing"

	"mpt/models/dbtest"
	"mpt/workflow"
)

// TestEveryRouteHasAPermission walks every route Echo knows and fails when one was registered
// without a declared permission, so no route can be added unprotected.
func TestEveryRouteHasAPermission(t *testing.T) {
	s := newApp(t, dbtest.SQLite(t))
	n := 0
	for _, r := range s.Echo().Routes() {
		if r.Method == echoAny || r.Path == "" {
			continue
		}
		act, ok := s.Permission(r.Method, r.Path)
		if !ok {
			t.Errorf("%s %s has no declared permission: register it with Server.handle", r.Method, r.Path)
			continue
		}
		if !workflow.Known(act) {
			t.Errorf("%s %s: action %q is not in the permission table", r.Method, r.Path, act)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d routes found", n)
	}
}

const echoAny = "echo_route_any"

// TestAnonymousIsSentToLogin: pages that need a login redirect there; the API answers 401.
func TestAnonymousIsSentToLogin(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	c := a.anon(t)
	rec := c.get("/dashboard")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?next=%2Fdashboard" {
		t.Errorf("dashboard: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	rec = c.get("/api/v1/me")
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("api/me without token: %d", rec.Code)
	}
}
