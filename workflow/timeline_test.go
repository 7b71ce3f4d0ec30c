package workflow_test

import (
	"context"
	"strconv"
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

func timelineKinds(es []workflow.PartyEvent) string {
	var k []string
	for _, e := range es {
		k = append(k, e.Kind)
	}
	return strings.Join(k, ",")
}

// TestMerchantTimeline: a merchant registered, approved, listed abnormal and restored has each
// step on its timeline, newest first, with who (name and role) and the reason; each change left
// exactly one audit entry; a credit class change in the audit log shows; spot checks show to a
// merchant only once published; another party's merchant is not found.
func TestMerchantTimeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		ctx := context.Background()
		check, _ := workflow.USCCCheckChar("92330782MA2K7TL8X")
		reg, err := w.svc.RegisterMerchant(ctx, workflow.Actor{}, workflow.MerchantRegistration{Name: "义乌市时间线饰品商行", USCC: "92330782MA2K7TL8X" + string(check),
			District: "3", Booth: "30001", LegalRep: "陈时", Phone: "13900000000", Username: "timeline-shop", DisplayName: "陈老板",
			Password: "timeline-pass-1039", PasswordConfirm: "timeline-pass-1039"})
		if err != nil {
			t.Fatal(err)
		}
		id := reg.Merchant.ID
		sv := w.actor(t, testkit.UserSupervisor)
		m, err := w.svc.ApproveMerchant(ctx, sv, id, workflow.MerchantDecision{Reason: "材料齐全", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if m, err = w.svc.ChangeMerchantStatus(ctx, sv, id, workflow.MerchantDecision{To: models.MerchantAbnormal, Reason: "未按时公示年报", Version: m.Version}); err != nil {
			t.Fatal(err)
		}
		if _, err = w.svc.ChangeMerchantStatus(ctx, sv, id, workflow.MerchantDecision{To: models.MerchantActive, Reason: "已补报年报", Version: m.Version}); err != nil {
			t.Fatal(err)
		}
		for action, want := range map[string]int64{"register": 1, "approve": 1, "status": 2} {
			if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ?", "merchant", strconv.FormatInt(id, 10), action); n != want {
				t.Errorf("%d audit entries %q, want %d", n, action, want)
			}
		}
		tl, err := w.svc.MerchantTimeline(ctx, sv, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := timelineKinds(tl); got != "status,status,approved,registered" {
			t.Fatalf("kinds %s", got)
		}
		if e := tl[0]; e.Text.En != "Status changed: listed as abnormal → active" || e.Detail != "已补报年报" ||
			e.ActorName != "supervision" || e.ActorRole != models.RoleSupervision || !e.At.Equal(testkit.Now) {
			t.Errorf("latest %+v", e)
		}
		if e := tl[1]; e.Text.Zh != "状态变更：正常 → 经营异常" || e.Detail != "未按时公示年报" {
			t.Errorf("abnormal %+v", e)
		}
		if e := tl[2]; e.Detail != "材料齐全" || e.ActorRole != models.RoleSupervision {
			t.Errorf("approval %+v", e)
		}
		if e := tl[3]; e.ActorName != "陈老板" || e.ActorRole != models.RoleMerchant {
			t.Errorf("registration %+v", e)
		}

		// What customs writes when a failed inspection lowers the credit class.
		customs := w.Users[testkit.UserCustoms].ID
		if err := models.AppendAudit(db, testkit.Now, models.AuditRecord{ActorUserID: &customs, ActorRole: models.RoleCustoms,
			Entity: "merchant", EntityID: strconv.FormatInt(w.MerchantA.ID, 10), Action: "credit_class",
			Old: map[string]any{"credit_class": "B", "version": 1}, New: map[string]any{"credit_class": "C", "version": 2}}); err != nil {
			t.Fatal(err)
		}
		c := w.draw(t, "1000")
		var k models.SpotCheck
		db.Where("campaign_id = ? AND merchant_id = ?", c.ID, w.MerchantA.ID).Take(&k)
		inspector := ""
		for name, u := range w.Users {
			if u.ID == *k.InspectorUserID {
				inspector = name
			}
		}
		if _, err := w.svc.RecordSpotCheckResult(ctx, w.actor(t, inspector), c.ID, k.ID, workflow.SpotCheckResultInput{Result: "pass", Findings: "内部备注", Version: 1}); err != nil {
			t.Fatal(err)
		}
		kinds := func(user string) string {
			t.Helper()
			tl, err := w.svc.MerchantTimeline(ctx, w.actor(t, user), w.MerchantA.ID)
			if err != nil {
				t.Fatal(err)
			}
			return timelineKinds(tl)
		}
		for user, want := range map[string]string{
			testkit.UserSupervisor: "spot_check_pass,spot_check_drawn,entrusted,credit_class,registered",
			testkit.UserAuditor:    "spot_check_pass,spot_check_drawn,entrusted,credit_class,registered",
			testkit.UserMerchantA:  "entrusted,credit_class,registered", // not published yet
			testkit.UserAgentX:     "entrusted,credit_class,registered",
		} {
			if got := kinds(user); got != want {
				t.Errorf("%s sees %s, want %s", user, got, want)
			}
		}
		for _, user := range []string{testkit.UserMerchantB, testkit.UserAgentY} {
			if _, err := w.svc.MerchantTimeline(ctx, w.actor(t, user), w.MerchantA.ID); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("%s: %v, want not found", user, err)
			}
		}
	})
}

// TestAgentTimeline: an agent's timeline has its registration, the merchants entrusting it,
// its declarations of the month and its webhooks; a merchant sees the registration and its own
// entrustment only.
func TestAgentTimeline(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		ctx := context.Background()
		servicetest.Submitted(t, w.svc, db, w.World, servicetest.TradeSpec{})
		uid := w.Users[testkit.UserAgentX].ID
		if err := db.Create(&models.Webhook{AgentID: w.AgentX.ID, URL: "https://erp.example.com/hooks/mpt", Secret: strings.Repeat("s", 40),
			Active: true, CreatedByUserID: &uid, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}).Error; err != nil {
			t.Fatal(err)
		}
		tl, err := w.svc.AgentTimeline(ctx, w.actor(t, testkit.UserAgentX), w.AgentX.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]workflow.PartyEvent{}
		for _, e := range tl {
			got[e.Kind] = e
		}
		if e := got["declarations"]; e.Text.En != "Declarations in 2026-11: 1 submitted, 0 released, 0 rejected" {
			t.Errorf("declarations %+v (all: %s)", e, timelineKinds(tl))
		}
		if e := got["webhook"]; e.Detail != "https://erp.example.com/hooks/mpt" || e.ActorName != testkit.UserAgentX || e.ActorRole != models.RoleAgent {
			t.Errorf("webhook %+v", e)
		}
		if _, ok := got["entrusted"]; !ok || got["registered"].Kind == "" {
			t.Errorf("kinds %s", timelineKinds(tl))
		}
		for user, want := range map[string]string{testkit.UserMerchantA: "entrusted,registered", testkit.UserMerchantB: "registered"} {
			tl, err := w.svc.AgentTimeline(ctx, w.actor(t, user), w.AgentX.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := timelineKinds(tl); got != want {
				t.Errorf("%s sees %s, want %s", user, got, want)
			}
		}
		if _, err := w.svc.AgentTimeline(ctx, w.actor(t, testkit.UserAgentY), w.AgentX.ID); apperr.CodeOf(err) != apperr.NotFound {
			t.Errorf("agent-y: %v, want not found", err)
		}
	})
}
