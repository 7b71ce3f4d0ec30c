package workflow

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// TestOpenConsolidationDrawsAgainOnClash: a booking code already taken is drawn again.
func TestOpenConsolidationDrawsAgainOnClash(t *testing.T) {
	db := dbtest.SQLite(t)
	w := testkit.Seed(t, db)
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	svc := NewService(db, ref, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	taken, free := "7KQ2M9X0", "8KQ2M9X0"
	taken = taken[:7] + string(mustCheck(t, taken[:7]))
	free = free[:7] + string(mustCheck(t, free[:7]))
	if err := db.Create(&models.Consolidation{BookingCode: taken, AgentID: w.AgentX.ID, Status: models.ConsolidationOpen,
		Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}).Error; err != nil {
		t.Fatal(err)
	}
	codes := []string{taken, taken, free}
	next := func() string { c := codes[0]; codes = codes[1:]; return c }
	u := w.Users[testkit.UserAgentX]
	actor := Actor{UserID: u.ID, Role: u.Role, AgentID: w.AgentX.ID, Day: "2026-11-29"}
	c, err := svc.openConsolidation(context.Background(), actor, ConsolidationInput{DestinationCountry: "AE", DestinationPort: "Jebel Ali",
		TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "Yiwu"}, next)
	if err != nil || c.BookingCode != free {
		t.Fatalf("opened %+v %v, want code %s", c, err, free)
	}
}

func mustCheck(t *testing.T, first7 string) byte {
	t.Helper()
	c, ok := BookingCheckChar(first7)
	if !ok {
		t.Fatalf("bad code %q", first7)
	}
	return c
}
