package workflow_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

func TestSettingsDefaults(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		got, err := w.svc.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The migrations seed the cap, the item limit and the due day; the office is a default.
		if want := workflow.DefaultSettings(); got != want {
			t.Errorf("seeded settings %+v, want %+v", got, want)
		}
		if err := db.Where("1 = 1").Delete(&models.Setting{}).Error; err != nil {
			t.Fatal(err)
		}
		got, err = w.svc.Settings(ctx)
		if err != nil || got != workflow.DefaultSettings() {
			t.Errorf("without rows: %+v, %v", got, err)
		}
		if got.CapUSD != 150_000_00 || got.ItemLimit != 50 || got.TaxDueDay != 15 {
			t.Errorf("defaults %+v", got)
		}
	})
}

func TestSetSettings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		valid := func(mod func(in *workflow.SettingsInput)) workflow.SettingsInput {
			in := workflow.SettingsInput{CapUSD: "150000.00", ItemLimit: "50", CustomsOffice: "2933", TaxDueDay: "15"}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		tests := []struct {
			name    string
			actor   workflow.Actor
			in      workflow.SettingsInput
			code    apperr.Code
			field   string
			changed int
			want    workflow.Settings
		}{
			// The office is not seeded: the first save stores it even though it equals the default.
			{"OKStoresTheMissingOffice", admin, valid(nil), "", "", 1, workflow.DefaultSettings()},
			{"OKNothingChanged", admin, valid(nil), "", "", 0, workflow.DefaultSettings()},
			{"OKCapWithSeparators", admin, valid(func(in *workflow.SettingsInput) { in.CapUSD = "120,000.5" }), "", "", 1,
				workflow.Settings{CapUSD: 120_000_50, ItemLimit: 50, CustomsOffice: "2933", TaxDueDay: 15, SpotCheckMinPermille: 50, FXUnallocatedDays: 30}},
			{"OKEverything", admin, workflow.SettingsInput{CapUSD: "100000", ItemLimit: " 40 ", CustomsOffice: "２９２９", TaxDueDay: "20"}, "", "", 4,
				workflow.Settings{CapUSD: 100_000_00, ItemLimit: 40, CustomsOffice: "2929", TaxDueDay: 20, SpotCheckMinPermille: 50, FXUnallocatedDays: 30}},
			{"OKSpotCheckAndFXDays", admin, valid(func(in *workflow.SettingsInput) {
				in.CapUSD, in.ItemLimit, in.CustomsOffice, in.TaxDueDay = "100000", "40", "2929", "20"
				in.SpotCheckMinPermille, in.FXUnallocatedDays = "80", "45"
			}), "", "", 2,
				workflow.Settings{CapUSD: 100_000_00, ItemLimit: 40, CustomsOffice: "2929", TaxDueDay: 20, SpotCheckMinPermille: 80, FXUnallocatedDays: 45}},
			{"ErrSpotCheckZero", admin, valid(func(in *workflow.SettingsInput) { in.SpotCheckMinPermille = "0" }), apperr.Invalid, "spot_check_min_permille", 0, workflow.Settings{}},
			{"ErrSpotCheckOver1000", admin, valid(func(in *workflow.SettingsInput) { in.SpotCheckMinPermille = "1001" }), apperr.Invalid, "spot_check_min_permille", 0, workflow.Settings{}},
			{"ErrFXDaysText", admin, valid(func(in *workflow.SettingsInput) { in.FXUnallocatedDays = "a month" }), apperr.Invalid, "fx_unallocated_days", 0, workflow.Settings{}},
			{"ErrCapZero", admin, valid(func(in *workflow.SettingsInput) { in.CapUSD = "0" }), apperr.Invalid, "cap_usd", 0, workflow.Settings{}},
			{"ErrCapNegative", admin, valid(func(in *workflow.SettingsInput) { in.CapUSD = "-1" }), apperr.Invalid, "cap_usd", 0, workflow.Settings{}},
			{"ErrCapThreeDecimals", admin, valid(func(in *workflow.SettingsInput) { in.CapUSD = "150000.001" }), apperr.Invalid, "cap_usd", 0, workflow.Settings{}},
			{"ErrCapText", admin, valid(func(in *workflow.SettingsInput) { in.CapUSD = "lots" }), apperr.Invalid, "cap_usd", 0, workflow.Settings{}},
			{"ErrItemLimitZero", admin, valid(func(in *workflow.SettingsInput) { in.ItemLimit = "0" }), apperr.Invalid, "item_limit", 0, workflow.Settings{}},
			{"ErrItemLimit1000", admin, valid(func(in *workflow.SettingsInput) { in.ItemLimit = "1000" }), apperr.Invalid, "item_limit", 0, workflow.Settings{}},
			{"ErrOffice0000", admin, valid(func(in *workflow.SettingsInput) { in.CustomsOffice = "0000" }), apperr.Invalid, "customs_office", 0, workflow.Settings{}},
			{"ErrOfficeShort", admin, valid(func(in *workflow.SettingsInput) { in.CustomsOffice = "293" }), apperr.Invalid, "customs_office", 0, workflow.Settings{}},
			{"ErrOfficeLetters", admin, valid(func(in *workflow.SettingsInput) { in.CustomsOffice = "29A3" }), apperr.Invalid, "customs_office", 0, workflow.Settings{}},
			{"ErrDueDay29", admin, valid(func(in *workflow.SettingsInput) { in.TaxDueDay = "29" }), apperr.Invalid, "tax_due_day", 0, workflow.Settings{}},
			{"ErrDueDayZero", admin, valid(func(in *workflow.SettingsInput) { in.TaxDueDay = "0" }), apperr.Invalid, "tax_due_day", 0, workflow.Settings{}},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), valid(nil), apperr.Forbidden, "", 0, workflow.Settings{}},
			{"ErrCustomsMayNot", w.as(t, testkit.UserCustoms), valid(nil), apperr.Forbidden, "", 0, workflow.Settings{}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := w.count(t, &models.AuditEntry{}, "entity = ?", "setting")
				n, err := w.svc.SetSettings(ctx, tt.actor, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				audits := w.count(t, &models.AuditEntry{}, "entity = ?", "setting")
				if tt.code != "" {
					if audits != before {
						t.Error("a refused change was audited")
					}
					return
				}
				if n != tt.changed || audits-before != int64(tt.changed) {
					t.Errorf("changed %d, audited %d, want %d", n, audits-before, tt.changed)
				}
				got, err := w.svc.Settings(ctx)
				if err != nil || got != tt.want {
					t.Errorf("settings %+v, want %+v (%v)", got, tt.want, err)
				}
			})
		}
		// The last change: the cap from 120000.50 to 100000.00, by the admin.
		var s models.Setting
		if err := db.Where("key = ?", models.SettingCapUSD).Take(&s).Error; err != nil {
			t.Fatal(err)
		}
		if s.Value != "100000.00" || s.UpdatedByUserID == nil || *s.UpdatedByUserID != admin.UserID || !s.UpdatedAt.Equal(testkit.Now) {
			t.Errorf("stored cap %+v", s)
		}
		var e models.AuditEntry
		if err := db.Where("entity = ? AND entity_id = ?", "setting", models.SettingCapUSD).Order("id DESC").Take(&e).Error; err != nil {
			t.Fatal(err)
		}
		if e.OldJSON != `{"key":"declaration.cap_usd","value":"120000.50"}` || e.NewJSON != `{"key":"declaration.cap_usd","value":"100000.00"}` {
			t.Errorf("audit old %s new %s", e.OldJSON, e.NewJSON)
		}
		ov, err := w.svc.SettingsOverview(ctx, w.as(t, testkit.UserAuditor))
		if err != nil {
			t.Fatalf("auditor reads settings: %v", err)
		}
		if len(ov.Rows) != 6 || ov.Rows[0].UpdatedBy != testkit.UserAdmin || len(ov.History) != 8 || ov.History[0].By != testkit.UserAdmin {
			t.Errorf("overview rows %+v history %d", ov.Rows, len(ov.History))
		}
		if _, err := w.svc.SettingsOverview(ctx, w.as(t, testkit.UserMerchantA)); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("merchant reads settings: %v", err)
		}
	})
}
