package workflow_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// noRandom are rates that select nothing at random, so a test knows the lane from the rules.
var noRandom = map[string]string{"red": "0", "yellow": "0", "blue": "0"}

// publishRules publishes a rule set as the seeded admin and fails the test on error.
func publishRules(t *testing.T, svc *workflow.Service, w *testkit.World, rules string, rates map[string]string) *models.RiskRuleSet {
	t.Helper()
	rs, err := svc.PublishRuleSet(context.Background(), servicetest.Actor(t, w, testkit.UserAdmin),
		workflow.RuleSetInput{RulesJSON: rules, MinRates: rates, Note: "test rules"})
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return rs
}

func countAudit(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var n int64
	if err := db.Model(&models.AuditEntry{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRouteDeclarationReplaysSameLane: routing with the seeded rule set stores a decision with
// its facts, seed, draw and version, sets the lane, writes a "routed" event and no audit entry;
// replaying it gives the same lane, hits and draw.
func TestRouteDeclarationReplaysSameLane(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		tr := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{})
		customs := servicetest.Actor(t, w, testkit.UserCustoms)
		audits := countAudit(t, db)
		d := tr.Declaration
		dec, err := svc.RouteForTest(ctx, customs, &d)
		if err != nil {
			t.Fatal(err)
		}
		if countAudit(t, db) != audits {
			t.Errorf("routing wrote audit entries; the acceptance writes the one entry")
		}
		if dec.ID == 0 || dec.RuleSetVersion != 1 || dec.Seed < 0 || dec.Draw < 0 || dec.Draw >= 1_000_000 ||
			dec.OfficerUserID == nil || *dec.OfficerUserID != customs.UserID || d.Lane != dec.Lane {
			t.Fatalf("decision %+v, declaration lane %q", dec, d.Lane)
		}
		var stored models.Declaration
		if err := db.Take(&stored, d.ID).Error; err != nil || stored.Lane != dec.Lane || stored.Status != models.DeclarationSubmitted {
			t.Fatalf("stored lane %q status %q (%v), want lane %q and status unchanged", stored.Lane, stored.Status, err, dec.Lane)
		}
		var facts workflow.RiskFacts
		if err := json.Unmarshal([]byte(dec.FactsJSON), &facts); err != nil {
			t.Fatal(err)
		}
		if len(facts.Items) != 2 || len(facts.Merchants) != 1 || facts.Merchants[0].ID != w.MerchantA.ID ||
			facts.AgentID != w.AgentX.ID || facts.BuyerID != w.BuyerA.ID || facts.PackedCartons != 4 || facts.DeclaredCartons != 4 ||
			facts.PackedGross != facts.DeclaredGross || len(facts.BuyerDeclarations) != 1 || facts.Items[0].Cartons != 2 {
			t.Fatalf("facts %+v", facts)
		}
		var ev models.CustomsEvent
		if err := db.Where("declaration_id = ? AND kind = ?", d.ID, workflow.EventRouted).Take(&ev).Error; err != nil ||
			ev.ReasonCode != dec.Lane || !strings.Contains(ev.DetailJSON, `"version":1`) {
			t.Fatalf("routed event %+v %v", ev, err)
		}
		rp, err := svc.ReplayRouting(ctx, servicetest.Actor(t, w, testkit.UserAuditor), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		l := rp.Latest()
		if len(rp.Decisions) != 1 || !rp.Match() || l.Replayed.Lane != dec.Lane || l.Replayed.Draw != dec.Draw {
			t.Fatalf("replay %+v", rp.Decisions)
		}
	})
}

// TestRouteDeclarationRules: the rules read the database's facts: a watch-listed merchant, a
// class C agent, a new merchant and a unit value far from the norm each route as the rule says.
func TestRouteDeclarationRules(t *testing.T) {
	const rules = `{"rules": [
		{"code": "WM", "kind": "watched_merchant", "lane": "red", "name_en": "watched", "name_zh": "布控"},
		{"code": "CC", "kind": "credit_class", "lane": "yellow", "classes": ["C"], "name_en": "class C", "name_zh": "C 类"},
		{"code": "NM", "kind": "new_merchant", "lane": "blue", "days": 90, "name_en": "new", "name_zh": "新"},
		{"code": "UV", "kind": "unit_value", "lane": "yellow", "factor": "5", "name_en": "unit value", "name_zh": "单价"},
		{"code": "BB", "kind": "buyer_burst", "lane": "yellow", "count": 2, "max_usd": "10000", "hours": 24, "name_en": "burst", "name_zh": "多票"}
	], "norms": {"9503": {"unit_value_usd": "12.00"}, "3924": {"unit_value_usd": "8.00"}}}`
	tests := []struct {
		name  string
		setup func(t *testing.T, db *gorm.DB, w *testkit.World)
		lines []servicetest.Line
		lane  string
		hits  []string
	}{
		{"OKGreen", nil, nil, workflow.LaneGreen, nil},
		{"OKRedWatchedMerchant", func(t *testing.T, db *gorm.DB, w *testkit.World) {
			db.Model(&models.Merchant{}).Where("id = ?", w.MerchantA.ID).Update("watch_listed", true)
		}, nil, workflow.LaneRed, []string{"WM"}},
		{"OKYellowAgentClassC", func(t *testing.T, db *gorm.DB, w *testkit.World) {
			db.Model(&models.Agent{}).Where("id = ?", w.AgentX.ID).Update("credit_class", models.CreditC)
		}, nil, workflow.LaneYellow, []string{"CC"}},
		{"OKBlueNewMerchant", func(t *testing.T, db *gorm.DB, w *testkit.World) {
			db.Model(&models.Merchant{}).Where("id = ?", w.MerchantA.ID).Update("approved_at", testkit.Now.AddDate(0, 0, -30))
		}, nil, workflow.LaneBlue, []string{"NM"}},
		{"OKYellowUnitValue", nil, []servicetest.Line{{Amount: 100_00}}, workflow.LaneYellow, []string{"UV"}},
		{"OKRedOverYellow", func(t *testing.T, db *gorm.DB, w *testkit.World) {
			db.Model(&models.Merchant{}).Where("id = ?", w.MerchantA.ID).Updates(map[string]any{"watch_listed": true, "credit_class": models.CreditC})
		}, nil, workflow.LaneRed, []string{"WM", "CC"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
				w := testkit.Seed(t, db)
				svc := servicetest.Service(t, db, nil)
				publishRules(t, svc, w, rules, noRandom)
				if tt.setup != nil {
					tt.setup(t, db, w)
				}
				tr := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{Lines: tt.lines})
				d := tr.Declaration
				dec, err := svc.RouteForTest(context.Background(), servicetest.Actor(t, w, testkit.UserCustoms), &d)
				if err != nil {
					t.Fatal(err)
				}
				var hits []workflow.RuleHit
				if err := json.Unmarshal([]byte(dec.RulesHitJSON), &hits); err != nil {
					t.Fatal(err)
				}
				var codes []string
				for _, h := range hits {
					codes = append(codes, h.Code)
				}
				if dec.Lane != tt.lane || dec.RuleSetVersion != 2 || strings.Join(codes, ",") != strings.Join(tt.hits, ",") {
					t.Fatalf("lane %s v%d hits %v, want %s hits %v", dec.Lane, dec.RuleSetVersion, codes, tt.lane, tt.hits)
				}
			})
		})
	}
}

// TestRouteDeclarationBuyerBurst: the buyer's earlier declarations in the window count.
func TestRouteDeclarationBuyerBurst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		publishRules(t, svc, w, `{"rules": [{"code": "BB", "kind": "buyer_burst", "lane": "yellow", "count": 3,
			"max_usd": "10000", "hours": 24, "name_en": "burst", "name_zh": "多票"}]}`, noRandom)
		customs := servicetest.Actor(t, w, testkit.UserCustoms)
		var lanes []string
		for i := 0; i < 3; i++ {
			d := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{}).Declaration
			dec, err := svc.RouteForTest(context.Background(), customs, &d)
			if err != nil {
				t.Fatal(err)
			}
			lanes = append(lanes, dec.Lane)
		}
		other := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{MerchantID: w.MerchantB.ID, BuyerID: w.BuyerB.ID,
			AgentID: w.AgentY.ID, AgentUser: testkit.UserAgentY}).Declaration
		dec, err := svc.RouteForTest(context.Background(), customs, &other)
		if err != nil {
			t.Fatal(err)
		}
		lanes = append(lanes, dec.Lane)
		if strings.Join(lanes, ",") != "green,green,yellow,green" {
			t.Fatalf("lanes %v, want the third declaration of buyer A yellow", lanes)
		}
	})
}

// TestReplayDetectsTampering: a stored lane, draw or facts changed after the decision no longer
// replays to what is stored.
func TestReplayDetectsTampering(t *testing.T) {
	tests := []struct {
		name   string
		update map[string]any
		check  func(d workflow.DecisionReplay) bool
	}{
		{"ErrLaneChanged", map[string]any{"lane": "blue"}, func(d workflow.DecisionReplay) bool { return !d.SameLane && d.SameDraw }},
		{"ErrDrawChanged", map[string]any{"draw": 999_999}, func(d workflow.DecisionReplay) bool { return !d.SameDraw }},
		{"ErrSeedChanged", map[string]any{"seed": 1}, func(d workflow.DecisionReplay) bool { return !d.SameDraw }},
		{"ErrFactsUnreadable", map[string]any{"facts_json": "{"}, func(d workflow.DecisionReplay) bool { return !d.Problem.IsZero() }},
		{"ErrRuleSetMissing", map[string]any{"rule_set_version": 99}, func(d workflow.DecisionReplay) bool { return !d.Problem.IsZero() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
				ctx := context.Background()
				w := testkit.Seed(t, db)
				svc := servicetest.Service(t, db, nil)
				publishRules(t, svc, w, `{"rules": []}`, noRandom)
				d := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{}).Declaration
				dec, err := svc.RouteForTest(ctx, servicetest.Actor(t, w, testkit.UserCustoms), &d)
				if err != nil || dec.Lane != workflow.LaneGreen {
					t.Fatalf("%+v %v", dec, err)
				}
				if err := db.Model(&models.CustomsDecision{}).Where("id = ?", dec.ID).Updates(tt.update).Error; err != nil {
					t.Fatal(err)
				}
				rp, err := svc.ReplayRoutingByNumber(ctx, d.PreEntryNo)
				if err != nil {
					t.Fatal(err)
				}
				if rp.Match() || rp.Latest().Match() || !tt.check(*rp.Latest()) {
					t.Fatalf("tampered decision replays as %+v", rp.Latest())
				}
			})
		})
	}
}

// TestReplayRoutingAccess: customs, auditors and admins replay; others are refused; an unknown
// declaration is not found; a declaration never routed has no decisions and does not match.
func TestReplayRoutingAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		d := servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{}).Declaration
		for _, u := range testkit.Everyone {
			_, err := svc.ReplayRouting(ctx, servicetest.Actor(t, w, u), d.ID)
			want := apperr.Code("")
			switch u {
			case "":
				want = apperr.Unauthenticated
			case testkit.UserCustoms, testkit.UserAuditor, testkit.UserAdmin:
			default:
				want = apperr.Forbidden
			}
			if apperr.CodeOf(err) != want {
				t.Errorf("%q: %v, want %q", u, err, want)
			}
		}
		rp, err := svc.ReplayRouting(ctx, servicetest.Actor(t, w, testkit.UserAuditor), d.ID)
		if err != nil || len(rp.Decisions) != 0 || rp.Match() || rp.Latest() != nil {
			t.Fatalf("unrouted: %+v %v", rp, err)
		}
		if _, err := svc.ReplayRouting(ctx, servicetest.Actor(t, w, testkit.UserAuditor), d.ID+1000); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		for _, ref := range []string{"", "x", "999999", "123456789012345678"} {
			if _, err := svc.ReplayRoutingByNumber(ctx, ref); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("ref %q: %v", ref, err)
			}
		}
	})
}

// TestPublishRuleSet: a new version is the next number and the only active one, the previous
// stays stored unchanged, and one audit entry names old and new active versions.
func TestPublishRuleSet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		admin := servicetest.Actor(t, w, testkit.UserAdmin)
		v1, err := svc.ActiveRuleSet(ctx, admin)
		if err != nil || v1.Version != 1 || len(v1.Set.Rules) != 9 || len(v1.Set.Norms) != 8 || v1.Set.MinRates["yellow"] != 30 {
			t.Fatalf("seeded %+v %v", v1, err)
		}
		if err := v1.Set.Check(); err != nil {
			t.Fatalf("seeded rule set is invalid: %v", err)
		}
		audits := countAudit(t, db)
		in := workflow.RuleSetInput{RulesJSON: v1.RulesText(), MinRates: map[string]string{"red": "10", "yellow": "10", "blue": "5"}, Note: "lower rates"}
		v2, err := svc.PublishRuleSet(ctx, admin, in)
		if err != nil || v2.Version != 2 || !v2.Active {
			t.Fatalf("publish %+v %v", v2, err)
		}
		v3, err := svc.PublishRuleSet(ctx, admin, in)
		if err != nil || v3.Version != 3 {
			t.Fatalf("publish again %+v %v", v3, err)
		}
		all, err := svc.RuleSets(ctx, servicetest.Actor(t, w, testkit.UserAuditor))
		if err != nil || len(all) != 3 {
			t.Fatalf("%d versions %v", len(all), err)
		}
		for _, r := range all {
			if r.Active != (r.Version == 3) {
				t.Errorf("version %d active %v", r.Version, r.Active)
			}
		}
		if all[0].CreatedBy != testkit.UserAdmin || all[2].Note == "" || all[2].Set.MinRates["red"] != 20 {
			t.Errorf("versions %+v", all)
		}
		got, err := svc.RuleSetVersion(ctx, servicetest.Actor(t, w, testkit.UserCustoms), 2)
		if err != nil || got.Set.MinRates["blue"] != 5 || len(got.Set.Rules) != 9 || got.Set.Norms["9503"].UnitValueUSD != "5.00" {
			t.Fatalf("version 2: %+v %v", got, err)
		}
		if _, err := svc.RuleSetVersion(ctx, admin, 9); !apperr.Is(err, apperr.NotFound) {
			t.Fatalf("version 9: %v", err)
		}
		if n := countAudit(t, db); n != audits+2 {
			t.Fatalf("%d audit entries, want 2 more than %d", n, audits)
		}
		var e models.AuditEntry
		if err := db.Where("entity = ? AND entity_id = ?", "risk_rule_set", "3").Take(&e).Error; err != nil ||
			e.Action != "publish" || !strings.Contains(e.OldJSON, `"active_version":2`) || !strings.Contains(e.NewJSON, `"active_version":3`) {
			t.Fatalf("audit %+v %v", e, err)
		}
	})
}

// TestPublishRuleSetRefused: only admins publish; invalid input names its field and changes nothing.
func TestPublishRuleSetRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		good := `{"rules": [{"code": "X", "kind": "watched_buyer", "lane": "red", "name_en": "x", "name_zh": "x"}]}`
		tests := []struct {
			name  string
			user  string
			in    workflow.RuleSetInput
			code  apperr.Code
			field string
		}{
			{"ErrCustoms", testkit.UserCustoms, workflow.RuleSetInput{RulesJSON: good, Note: "n"}, apperr.Forbidden, ""},
			{"ErrAuditor", testkit.UserAuditor, workflow.RuleSetInput{RulesJSON: good, Note: "n"}, apperr.Forbidden, ""},
			{"ErrNobody", "", workflow.RuleSetInput{RulesJSON: good, Note: "n"}, apperr.Unauthenticated, ""},
			{"ErrNotJSON", testkit.UserAdmin, workflow.RuleSetInput{RulesJSON: `{"rules": [`, Note: "n"}, apperr.Invalid, "rules_json"},
			{"ErrUnknownKey", testkit.UserAdmin, workflow.RuleSetInput{RulesJSON: `{"rulez": []}`, Note: "n"}, apperr.Invalid, "rules_json"},
			{"ErrUnknownRuleKey", testkit.UserAdmin, workflow.RuleSetInput{RulesJSON: `{"rules": [{"code": "X", "kind": "watched_buyer", "lane": "red", "name_en": "x", "name_zh": "x", "factr": 2}]}`, Note: "n"}, apperr.Invalid, "rules_json"},
			{"ErrBadFactor", testkit.UserAdmin, workflow.RuleSetInput{RulesJSON: `{"rules": [{"code": "U", "kind": "unit_value", "lane": "yellow", "factor": 0.5, "name_en": "u", "name_zh": "u"}]}`, Note: "n"}, apperr.Invalid, "rules[0].factor"},
			{"ErrRateText", testkit.UserAdmin, workflow.RuleSetInput{RulesJSON: good, MinRates: map[string]string{"red": "two"}, Note: "n"}, apperr.Invalid, "min_rates.red"},
			{"ErrRatesSum", testkit.UserAdmin, workflow.RuleSetInput{RulesJSON: good, MinRates: map[string]string{"red": "600", "blue": "401"}, Note: "n"}, apperr.Invalid, "min_rates"},
			{"ErrNoNote", testkit.UserAdmin, workflow.RuleSetInput{RulesJSON: good, Note: "  "}, apperr.Invalid, "note"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := svc.PublishRuleSet(ctx, servicetest.Actor(t, w, tt.user), tt.in)
				ae := apperr.As(err)
				if err == nil || ae.Code != tt.code || (tt.field != "" && (len(ae.Fields) != 1 || ae.Fields[0].Field != tt.field)) {
					t.Fatalf("got %v, want %s on %q", err, tt.code, tt.field)
				}
			})
		}
		var n int64
		db.Model(&models.RiskRuleSet{}).Count(&n)
		if n != 1 {
			t.Fatalf("%d versions after refusals", n)
		}
	})
}

// TestPublishRuleSetConcurrent: admins publishing at once never leave two active versions or
// two rule sets with one number; a publish that loses the race is a conflict.
func TestPublishRuleSetConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, nil)
		admin := servicetest.Actor(t, w, testkit.UserAdmin)
		const n = 4
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				_, err := svc.PublishRuleSet(context.Background(), admin, workflow.RuleSetInput{RulesJSON: `{"rules": []}`, Note: "race"})
				errs <- err
			}()
		}
		ok := 0
		for i := 0; i < n; i++ {
			if err := <-errs; err == nil {
				ok++
			} else if !apperr.Is(err, apperr.Conflict) {
				t.Errorf("publish: %v", err)
			}
		}
		var rows []models.RiskRuleSet
		if err := db.Order("version").Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		active := 0
		for i, r := range rows {
			if r.Version != i+1 {
				t.Errorf("versions %d at position %d", r.Version, i)
			}
			if r.Active {
				active++
			}
		}
		if ok == 0 || len(rows) != ok+1 || active != 1 || !rows[len(rows)-1].Active {
			t.Fatalf("%d published, %d stored, %d active", ok, len(rows), active)
		}
	})
}
