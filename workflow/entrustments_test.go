package workflow_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

func TestEntrustmentState(t *testing.T) {
	ended := testkit.Now
	tests := []struct {
		name string
		e    models.Entrustment
		day  string
		want string
	}{
		{"OKInForceOpenEnded", models.Entrustment{StartsOn: "2026-01-01"}, "2026-11-29", workflow.EntrustmentInForce},
		{"OKInForceOnStartDay", models.Entrustment{StartsOn: "2026-11-29", EndsOn: "2026-12-31"}, "2026-11-29", workflow.EntrustmentInForce},
		{"OKInForceOnLastDay", models.Entrustment{StartsOn: "2026-01-01", EndsOn: "2026-11-29"}, "2026-11-29", workflow.EntrustmentInForce},
		{"OKExpiredDayAfterEnd", models.Entrustment{StartsOn: "2026-01-01", EndsOn: "2026-11-28"}, "2026-11-29", workflow.EntrustmentExpired},
		{"OKUpcoming", models.Entrustment{StartsOn: "2026-11-30"}, "2026-11-29", workflow.EntrustmentUpcoming},
		{"OKEndedBeatsDates", models.Entrustment{StartsOn: "2026-01-01", EndedAt: &ended}, "2026-11-29", workflow.EntrustmentEnded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.EntrustmentState(&tt.e, tt.day); got != tt.want {
				t.Errorf("state %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEntrustmentTodayIsYiwuDate: at 20:00 UTC it is already the next day in Yiwu.
func TestEntrustmentTodayIsYiwuDate(t *testing.T) {
	svc := workflow.NewService(nil, nil, func() time.Time { return time.Date(2026, 11, 29, 20, 0, 0, 0, time.UTC) }, nil)
	if got := svc.EntrustmentToday(); got != "2026-11-30" {
		t.Errorf("today %s, want 2026-11-30", got)
	}
}

func TestEntrust(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		ctx := context.Background()
		suspended := models.Agent{USCC: "91330782MA28X7Y8W1", Name: "义乌市丙报关有限公司", CustomsCode: "3318960003", CommerceRegNo: "SW-330782-0003",
			Status: "suspended", CreditClass: models.CreditB, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&suspended).Error; err != nil {
			t.Fatal(err)
		}
		in := func(agent int64, no, start, end string) workflow.EntrustmentInput {
			return workflow.EntrustmentInput{AgentID: agent, AgreementNo: no, StartsOn: start, EndsOn: end}
		}
		x, y := w.AgentX.ID, w.AgentY.ID
		tests := []struct {
			name  string
			user  string
			in    workflow.EntrustmentInput
			code  apperr.Code
			field string
		}{
			{"OK", testkit.UserMerchantA, in(y, " wt-2026-a-y ", "2026-11-29", ""), "", ""},
			{"ErrOpenExists", testkit.UserMerchantA, in(x, "WT-2026-A-X2", "2026-12-01", ""), apperr.Invalid, "agent_id"},
			{"ErrOpenExistsJustCreated", testkit.UserMerchantA, in(y, "WT-2027-A-Y", "2027-01-01", "2027-12-31"), apperr.Invalid, "agent_id"},
			{"ErrAgreementTaken", testkit.UserMerchantB, in(x, "WT-A-X", "2026-12-01", ""), apperr.Invalid, "agreement_no"},
			{"ErrAgreementTakenNormalised", testkit.UserMerchantB, in(y, "wt-2026-A-Y", "2026-12-01", ""), apperr.Invalid, "agreement_no"},
			{"OKSameNumberOtherAgent", testkit.UserMerchantB, in(x, "WT-2026-A-Y", "2026-12-01", "2027-11-30"), "", ""},
			{"OKAfterPreviousEnds", testkit.UserMerchantB, in(x, "WT-2027-B-X", "2027-12-01", ""), "", ""},
			{"ErrEndBeforeStart", testkit.UserMerchantB, in(y, "N1", "2026-12-10", "2026-12-09"), apperr.Invalid, "ends_on"},
			{"ErrEndPassed", testkit.UserMerchantB, in(y, "N2", "2026-01-01", "2026-11-28"), apperr.Invalid, "ends_on"},
			{"ErrStartNotADate", testkit.UserMerchantB, in(y, "N3", "2026-02-30", ""), apperr.Invalid, "starts_on"},
			{"ErrStartMissing", testkit.UserMerchantB, in(y, "N4", "", ""), apperr.Invalid, "starts_on"},
			{"ErrAgreementMissing", testkit.UserMerchantB, in(y, "  ", "2026-12-01", ""), apperr.Invalid, "agreement_no"},
			{"ErrAgentMissing", testkit.UserMerchantB, in(0, "N5", "2026-12-01", ""), apperr.Invalid, "agent_id"},
			{"ErrAgentInactive", testkit.UserMerchantB, in(suspended.ID, "N6", "2026-12-01", ""), apperr.Invalid, "agent_id"},
			{"ErrAgentUnknown", testkit.UserMerchantB, in(999999, "N7", "2026-12-01", ""), apperr.Invalid, "agent_id"},
			{"ErrMerchantNotActive", testkit.UserPending, in(x, "N8", "2026-12-01", ""), apperr.Forbidden, ""},
			{"ErrRoleAgent", testkit.UserAgentX, in(y, "N9", "2026-12-01", ""), apperr.Forbidden, ""},
			{"ErrRoleAuditor", testkit.UserAuditor, in(y, "N10", "2026-12-01", ""), apperr.Forbidden, ""},
			{"ErrRoleAdmin", testkit.UserAdmin, in(y, "N11", "2026-12-01", ""), apperr.Forbidden, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := w.rows(t, &models.Entrustment{}, "1 = 1")
				e, err := w.svc.Entrust(ctx, w.as(t, tt.user), tt.in)
				wantPartyErr(t, err, tt.code, tt.field)
				if err != nil {
					if n := w.rows(t, &models.Entrustment{}, "1 = 1"); n != before {
						t.Errorf("entrustments %d → %d after a refusal", before, n)
					}
					return
				}
				a := w.as(t, tt.user)
				if e.ID == 0 || e.MerchantID != a.MerchantID || e.Version != 1 || e.EndedAt != nil || e.CreatedByUserID == nil || *e.CreatedByUserID != a.UserID {
					t.Errorf("created %+v", e)
				}
				if w.rows(t, &models.AuditEntry{}, "entity = 'entrustment' AND entity_id = ? AND action = 'create'", strconv.FormatInt(e.ID, 10)) != 1 {
					t.Error("no audit entry")
				}
			})
		}
		var e models.Entrustment
		if err := db.Where("agent_id = ? AND merchant_id = ?", y, w.MerchantA.ID).Take(&e).Error; err != nil || e.AgreementNo != "WT-2026-A-Y" {
			t.Errorf("stored agreement number %q (%v), want it normalised", e.AgreementNo, err)
		}
	})
}

func TestEndEntrustment(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		ctx := context.Background()
		var ax, by models.Entrustment
		if err := db.Where("agreement_no = 'WT-A-X'").Take(&ax).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Where("agreement_no = 'WT-B-Y'").Take(&by).Error; err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			user   string
			id     int64
			reason string
			code   apperr.Code
			field  string
		}{
			{"ErrReasonRequired", testkit.UserMerchantA, ax.ID, "   ", apperr.Invalid, "reason"},
			{"ErrEndNotOwner", testkit.UserMerchantB, ax.ID, "not mine", apperr.NotFound, ""},
			{"ErrEndNotOwnerPending", testkit.UserPending, ax.ID, "not mine", apperr.NotFound, ""},
			{"ErrEndNoSuchEntrustment", testkit.UserMerchantA, 999999, "gone", apperr.NotFound, ""},
			{"ErrRoleAgent", testkit.UserAgentX, ax.ID, "I quit", apperr.Forbidden, ""},
			{"ErrRoleAuditor", testkit.UserAuditor, ax.ID, "audit", apperr.Forbidden, ""},
			{"OK", testkit.UserMerchantA, ax.ID, "Agreement terminated  by both parties", "", ""},
			{"ErrAlreadyEnded", testkit.UserMerchantA, ax.ID, "again", apperr.Conflict, ""},
			{"OKOtherMerchant", testkit.UserMerchantB, by.ID, "moved to another agent", "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e, err := w.svc.EndEntrustment(ctx, w.as(t, tt.user), tt.id, tt.reason)
				wantPartyErr(t, err, tt.code, tt.field)
				if err != nil {
					return
				}
				if e.EndedAt == nil || e.EndReason == "" || e.Version != 2 {
					t.Errorf("ended %+v", e)
				}
			})
		}
		var got models.Entrustment
		if err := db.Where("id = ?", ax.ID).Take(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got.EndedAt == nil || got.EndReason != "Agreement terminated by both parties" {
			t.Errorf("stored %+v", got)
		}
		// Once ended, the merchant may entrust the same agent again.
		if _, err := w.svc.Entrust(ctx, w.as(t, testkit.UserMerchantA), workflow.EntrustmentInput{AgentID: w.AgentX.ID, AgreementNo: "WT-A-X-2", StartsOn: "2026-11-29"}); err != nil {
			t.Errorf("entrust again after ending: %v", err)
		}
		// And the agent no longer sees the merchant through the shared scope.
		var ids []int64
		if err := models.MerchantsScoped(db.Model(&models.Merchant{}), models.Scope{AgentID: w.AgentY.ID}).Pluck("id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		if len(ids) != 0 {
			t.Errorf("agent Y still sees merchants %v after its only entrustment ended", ids)
		}
	})
}

func TestEntrustmentsScoped(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		ctx := context.Background()
		var ax models.Entrustment
		if err := db.Where("agreement_no = 'WT-A-X'").Take(&ax).Error; err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			user string
			want []string // agreement numbers, newest first
			code apperr.Code
		}{
			{"OKMerchantOwn", testkit.UserMerchantA, []string{"WT-A-X"}, ""},
			{"OKAgentEntrustingIt", testkit.UserAgentY, []string{"WT-B-Y"}, ""},
			{"OKAuditorAll", testkit.UserAuditor, []string{"WT-B-Y", "WT-A-X"}, ""},
			{"OKAdminAll", testkit.UserAdmin, []string{"WT-B-Y", "WT-A-X"}, ""},
			{"OKPendingNone", testkit.UserPending, nil, ""},
			{"ErrRoleCustoms", testkit.UserCustoms, nil, apperr.Forbidden},
			{"ErrAnonymous", "", nil, apperr.Unauthenticated},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, err := w.svc.Entrustments(ctx, w.as(t, tt.user), workflow.EntrustmentQuery{})
				wantPartyErr(t, err, tt.code, "")
				if err != nil {
					return
				}
				var got []string
				for _, e := range list.Entrustments {
					got = append(got, e.AgreementNo)
					if e.MerchantName == "" || e.AgentName == "" || e.State != workflow.EntrustmentInForce {
						t.Errorf("row %+v", e)
					}
				}
				if len(got) != len(tt.want) || int(list.Total) != len(tt.want) {
					t.Fatalf("got %v (total %d), want %v", got, list.Total, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("got %v, want %v", got, tt.want)
					}
				}
			})
		}
		one := []struct {
			name string
			user string
			code apperr.Code
		}{
			{"OKOwner", testkit.UserMerchantA, ""},
			{"OKAgent", testkit.UserAgentX, ""},
			{"OKAuditor", testkit.UserAuditor, ""},
			{"ErrNotFoundOtherAgent", testkit.UserAgentY, apperr.NotFound},
			{"ErrNotFoundOtherMerchant", testkit.UserMerchantB, apperr.NotFound},
			{"ErrRoleFX", testkit.UserFX, apperr.Forbidden},
		}
		for _, tt := range one {
			t.Run("One"+tt.name, func(t *testing.T) {
				v, err := w.svc.Entrustment(ctx, w.as(t, tt.user), ax.ID)
				wantPartyErr(t, err, tt.code, "")
				if err == nil && (v.ID != ax.ID || v.MerchantName != w.MerchantA.Name || v.AgentName != w.AgentX.Name) {
					t.Errorf("view %+v", v)
				}
			})
		}
	})
}

func TestEntrustableAgents(t *testing.T) {
	w := newBuyersWorld(t, dbtest.SQLite(t))
	agents, err := w.svc.EntrustableAgents(context.Background(), w.as(t, testkit.UserMerchantA))
	if err != nil || len(agents) != 2 {
		t.Fatalf("agents %v, %v", agents, err)
	}
	if _, err := w.svc.EntrustableAgents(context.Background(), w.as(t, testkit.UserAgentX)); apperr.CodeOf(err) != apperr.Forbidden {
		t.Errorf("agent listing entrustable agents: %v", err)
	}
}
