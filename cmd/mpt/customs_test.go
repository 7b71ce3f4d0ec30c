package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestCustomsReplayCommand: a routed declaration, named by id or pre-entry number, replays to
// its stored lane (exit 0); an altered stored lane is a mismatch (exit 1), as are an unknown and
// an unrouted declaration; a missing or extra argument is a usage error (exit 2).
func TestCustomsReplayCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mpt.db")
	if _, errOut, code := runCmd(t, "migrate", "--db", path); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	db, err := models.Open(context.Background(), path, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	w := testkit.Seed(t, db)
	svc := servicetest.Service(t, db, nil)
	d := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{}).Declaration
	unrouted := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{}).Declaration

	// A decision as routing stores it: the buyer watch-listed, so version 1's BUYER-WATCH hits.
	rs, err := svc.ActiveRuleSet(context.Background(), servicetest.Actor(t, w, testkit.UserAuditor))
	if err != nil {
		t.Fatal(err)
	}
	facts := workflow.RiskFacts{DeclarationID: d.ID, DecidedAt: testkit.Now, BuyerID: d.BuyerID, BuyerWatchListed: true}
	const seed = 1039
	r := workflow.Route(rs.Set, facts, seed)
	hits, _ := json.Marshal(r.Hits)
	fj, _ := json.Marshal(facts)
	dec := models.CustomsDecision{DeclarationID: d.ID, RuleSetVersion: rs.Version, Lane: r.Lane, RulesHitJSON: string(hits),
		Seed: seed, Draw: r.Draw, FactsJSON: string(fj), DecidedAt: testkit.Now}
	if err := db.Create(&dec).Error; err != nil {
		t.Fatal(err)
	}
	if r.Lane != workflow.LaneRed {
		t.Fatalf("lane %s, want red", r.Lane)
	}

	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"OKById", []string{"customs", "replay", strconv.FormatInt(d.ID, 10), "--db", path}, 0, "replayed: same lane (red)"},
		{"OKByPreEntryNo", []string{"customs", "replay", "--db", path, d.PreEntryNo}, 0, "rules hit BUYER-WATCH"},
		{"ErrUnknown", []string{"customs", "replay", "--db", path, "999999"}, 1, `no declaration "999999"`},
		{"ErrNotRouted", []string{"customs", "replay", "--db", path, unrouted.PreEntryNo}, 1, "not routed"},
		{"ErrUsageNoDeclaration", []string{"customs", "replay", "--db", path}, 2, "usage: mpt customs replay"},
		{"ErrUsageTwoDeclarations", []string{"customs", "replay", "1", "2", "--db", path}, 2, ""},
		{"ErrUsageNoSubcommand", []string{"customs"}, 2, "usage: mpt customs replay"},
		{"ErrUsageUnknownSubcommand", []string{"customs", "route", "1"}, 2, "usage: mpt customs replay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, tt.args...)
			if code != tt.code || !strings.Contains(out+errOut, tt.out) {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.code, out, errOut)
			}
		})
	}

	if err := db.Model(&models.CustomsDecision{}).Where("id = ?", dec.ID).Update("lane", workflow.LaneGreen).Error; err != nil {
		t.Fatal(err)
	}
	out, _, code := runCmd(t, "customs", "replay", "--db", path, strconv.FormatInt(d.ID, 10))
	if code != 1 || !strings.Contains(out, "DIFFERENT: lane") || !strings.Contains(out, "MISMATCH") {
		t.Fatalf("tampered lane: exit %d %q", code, out)
	}
}
