// Package servicetest builds the workflow service and its actors for tests over the world that
// testkit seeds (testkit itself stays free of workflow, so workflow's own tests can use it).
package servicetest

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/workflow"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// Service builds the workflow service over db with a clock (nil: the world's fixed Now), a
// fast password hash and a silent log.
func Service(t testing.TB, db *gorm.DB, now func() time.Time) *workflow.Service {
	t.Helper()
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	if now == nil {
		now = func() time.Time { return testkit.Now }
	}
	svc := workflow.NewService(db, ref, now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Policy.BcryptCost = bcrypt.MinCost
	return svc
}

// Actor is a seeded user as the service sees it after login, on testkit.Day (the zero Actor
// for "").
func Actor(t testing.TB, w *testkit.World, username string) workflow.Actor {
	t.Helper()
	if username == "" {
		return workflow.Actor{}
	}
	u, ok := w.Users[username]
	if !ok {
		t.Fatalf("no seeded user %q", username)
	}
	a := workflow.Actor{UserID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: u.Role, Lang: u.Lang, Day: testkit.Day}
	if u.MerchantID != nil {
		a.MerchantID = *u.MerchantID
	}
	if u.AgentID != nil {
		a.AgentID = *u.AgentID
	}
	return a
}
