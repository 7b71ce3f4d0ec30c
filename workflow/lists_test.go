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
	"mpt/workflow/testkit"
)

func TestSetTaxDueDay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		tests := []struct {
			name  string
			actor workflow.Actor
			in    workflow.TaxDueDayInput
			code  apperr.Code
			field string
		}{
			{"OK", admin, workflow.TaxDueDayInput{Month: "2026-10", Day: "20"}, "", ""},
			{"OKReplace", admin, workflow.TaxDueDayInput{Month: "2026-10", Day: "22"}, "", ""},
			{"OKLeapDay", admin, workflow.TaxDueDayInput{Month: "2028-02", Day: "29"}, "", ""},
			{"ErrSameDay", admin, workflow.TaxDueDayInput{Month: "2026-10", Day: "22"}, apperr.Invalid, "day"},
			{"ErrNoFeb29", admin, workflow.TaxDueDayInput{Month: "2027-02", Day: "29"}, apperr.Invalid, "day"},
			{"ErrNov31", admin, workflow.TaxDueDayInput{Month: "2026-11", Day: "31"}, apperr.Invalid, "day"},
			{"ErrDay0", admin, workflow.TaxDueDayInput{Month: "2026-11", Day: "0"}, apperr.Invalid, "day"},
			{"ErrDayText", admin, workflow.TaxDueDayInput{Month: "2026-11", Day: "15th"}, apperr.Invalid, "day"},
			{"ErrMonth", admin, workflow.TaxDueDayInput{Month: "October", Day: "15"}, apperr.Invalid, "month"},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), workflow.TaxDueDayInput{Month: "2026-12", Day: "18"}, apperr.Forbidden, ""},
			{"ErrTaxOfficerMayNot", w.as(t, testkit.UserTax), workflow.TaxDueDayInput{Month: "2026-12", Day: "18"}, apperr.Forbidden, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := w.svc.SetTaxDueDay(ctx, tt.actor, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					return
				}
				day, err := w.svc.TaxDueDayFor(ctx, tt.in.Month)
				if err != nil || strconv.Itoa(day) != tt.in.Day {
					t.Errorf("due day %d (%v), want %s", day, err, tt.in.Day)
				}
			})
		}
		var e models.AuditEntry
		db.Where("entity = ? AND entity_id = ?", "tax_due_day", "2026-10").Order("id DESC").Take(&e)
		if e.OldJSON != `{"month":"2026-10","day":20}` || e.NewJSON != `{"month":"2026-10","day":22}` {
			t.Errorf("audit old %s new %s", e.OldJSON, e.NewJSON)
		}
		if day, err := w.svc.TaxDueDayFor(ctx, "2026-12"); err != nil || day != 15 {
			t.Errorf("default due day %d, %v", day, err)
		}
		rows, err := w.svc.TaxDueDays(ctx, w.as(t, testkit.UserAuditor))
		if err != nil || len(rows) != 2 || rows[0].Month != "2028-02" || rows[1].UpdatedBy != testkit.UserAdmin {
			t.Errorf("list %+v, %v", rows, err)
		}
		wantAdminErr(t, w.svc.DeleteTaxDueDay(ctx, admin, "2026-09"), apperr.NotFound, "")
		wantAdminErr(t, w.svc.DeleteTaxDueDay(ctx, w.as(t, testkit.UserAuditor), "2026-10"), apperr.Forbidden, "")
		wantAdminErr(t, w.svc.DeleteTaxDueDay(ctx, admin, "2026-10"), "", "")
		if day, _ := w.svc.TaxDueDayFor(ctx, "2026-10"); day != 15 {
			t.Errorf("after delete the due day is %d, want the default 15", day)
		}
		if _, old, nw := w.lastAudit(t, "tax_due_day", "delete"); old["day"] != float64(22) || nw != nil {
			t.Errorf("delete audit old %v new %v", old, nw)
		}
	})
}

func TestAddHSPrefix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		in := func(list, prefix string) workflow.HSPrefixInput {
			return workflow.HSPrefixInput{List: list, Prefix: prefix, ReasonEn: "Statutory inspection", ReasonZh: "法定检验"}
		}
		ne, ns := models.ListIneligible, models.ListNotSimplifiable
		tests := []struct {
			name   string
			actor  workflow.Actor
			in     workflow.HSPrefixInput
			code   apperr.Code
			field  string
			stored string
		}{
			{"OKChapter", admin, in(ns, "04"), "", "", "04"},
			{"OKHeading", admin, in(ns, "9503"), "", "", "9503"},
			{"OKSubheadingWithDots", admin, in(ns, "3304.99"), "", "", "330499"},
			{"OKTenDigits", admin, in(ne, "9306 3000 00"), "", "", "9306300000"},
			{"OKSamePrefixOnTheOtherList", admin, in(ns, "93"), "", "", "93"},
			{"ErrDuplicateOfSeed", admin, in(ne, "93"), apperr.Invalid, "prefix", ""},
			{"ErrDuplicateAdded", admin, in(ns, "9503"), apperr.Invalid, "prefix", ""},
			{"ErrChapter77", admin, in(ne, "77"), apperr.Invalid, "prefix", ""},
			{"ErrNoSuchHeading", admin, in(ne, "9599"), apperr.Invalid, "prefix", ""},
			{"ErrOldSubheading", admin, in(ne, "940540"), apperr.Invalid, "prefix", ""},
			{"ErrOddLength", admin, in(ne, "950"), apperr.Invalid, "prefix", ""},
			{"ErrTooLong", admin, in(ne, "950300009011"), apperr.Invalid, "prefix", ""},
			{"ErrLetters", admin, in(ne, "95A3"), apperr.Invalid, "prefix", ""},
			{"ErrEmpty", admin, in(ne, ""), apperr.Invalid, "prefix", ""},
			{"ErrNoChineseReason", admin, workflow.HSPrefixInput{List: ne, Prefix: "8710", ReasonEn: "x"}, apperr.Invalid, "reason_zh", ""},
			{"ErrNoEnglishReason", admin, workflow.HSPrefixInput{List: ne, Prefix: "8710", ReasonZh: "x"}, apperr.Invalid, "reason_en", ""},
			{"ErrUnknownList", admin, in("watched", "95"), apperr.Invalid, "list", ""},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), in(ne, "95"), apperr.Forbidden, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := w.count(t, &models.HSPrefix{}, "1 = 1")
				row, err := w.svc.AddHSPrefix(ctx, tt.actor, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					if n := w.count(t, &models.HSPrefix{}, "1 = 1"); n != before {
						t.Error("a refused prefix was stored")
					}
					return
				}
				if row.Prefix != tt.stored || row.List != tt.in.List || row.CreatedByUserID == nil {
					t.Errorf("stored %+v", row)
				}
				_, old, nw := w.lastAudit(t, "hs_prefix", "create")
				if old != nil || nw["prefix"] != tt.stored || nw["reason_zh"] != "法定检验" {
					t.Errorf("audit old %v new %v", old, nw)
				}
			})
		}
		rows, err := w.svc.HSPrefixes(ctx, w.as(t, testkit.UserAuditor), ns)
		if err != nil {
			t.Fatal(err)
		}
		described := map[string]string{}
		for _, r := range rows {
			described[r.Prefix] = r.Description
		}
		if !strings.Contains(strings.ToLower(described["9503"]), "toy") || described["330499"] == "" || described["04"] == "" {
			t.Errorf("descriptions %v", described)
		}
		if _, err := w.svc.HSPrefixes(ctx, admin, "watched"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("unknown list: %v", err)
		}
		var seeded models.HSPrefix
		if err := db.Where("list = ? AND prefix = ?", ne, "3604").Take(&seeded).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.DeleteHSPrefix(ctx, w.as(t, testkit.UserAuditor), seeded.ID); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("auditor deletes: %v", err)
		}
		if _, err := w.svc.DeleteHSPrefix(ctx, admin, seeded.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.DeleteHSPrefix(ctx, admin, seeded.ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("second delete: %v", err)
		}
		if _, old, nw := w.lastAudit(t, "hs_prefix", "delete"); old["prefix"] != "3604" || nw != nil {
			t.Errorf("delete audit old %v new %v", old, nw)
		}
	})
}

func TestBrandKey(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"OKLowerCase", "LEGO", "lego"},
		{"OKSpacesRemoved", " Hello  Kitty ", "hellokitty"},
		{"OKIdeographicSpace", "Louis\u3000Vuitton", "louisvuitton"},
		{"OKAccentKept", "Pokémon", "pokémon"},
		{"OKChinese", "迪士尼", "迪士尼"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.BrandKey(tt.in); got != tt.want {
				t.Errorf("BrandKey(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAddBrandWatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		tests := []struct {
			name  string
			actor workflow.Actor
			in    workflow.BrandInput
			code  apperr.Code
			field string
			key   string
		}{
			{"OK", admin, workflow.BrandInput{Brand: "  Peppa   Pig ", Holder: "Hasbro", Note: "小猪佩奇"}, "", "", "peppapig"},
			{"OKChinese", admin, workflow.BrandInput{Brand: "迪士尼"}, "", "", "迪士尼"},
			{"ErrDuplicateOfSeedCaseAndSpaces", admin, workflow.BrandInput{Brand: "HELLOKITTY"}, apperr.Invalid, "brand", ""},
			{"ErrDuplicateAdded", admin, workflow.BrandInput{Brand: "peppa pig"}, apperr.Invalid, "brand", ""},
			{"ErrEmpty", admin, workflow.BrandInput{Brand: "   "}, apperr.Invalid, "brand", ""},
			{"ErrLongNote", admin, workflow.BrandInput{Brand: "Zara", Note: strings.Repeat("注", 501)}, apperr.Invalid, "note", ""},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), workflow.BrandInput{Brand: "Zara"}, apperr.Forbidden, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				row, err := w.svc.AddBrandWatch(ctx, tt.actor, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					return
				}
				if row.BrandKey != tt.key || row.CreatedByUserID == nil {
					t.Errorf("stored %+v", row)
				}
				if _, _, nw := w.lastAudit(t, "brand_watch", "create"); nw["brand_key"] != tt.key {
					t.Errorf("audit new %v", nw)
				}
			})
		}
		got, err := w.svc.AddBrandWatch(ctx, admin, workflow.BrandInput{Brand: "Peppa Pig"})
		if err == nil || !strings.Contains(apperr.As(err).Fields[0].Text.En, "Peppa Pig") {
			t.Errorf("duplicate message does not name the listed brand: %v %v", got, err)
		}
		rows, err := w.svc.BrandWatches(ctx, w.as(t, testkit.UserAuditor))
		if err != nil || len(rows) != 14 {
			t.Fatalf("%d brands, %v", len(rows), err)
		}
		if _, err := w.svc.DeleteBrandWatch(ctx, admin, rows[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, old, _ := w.lastAudit(t, "brand_watch", "delete"); old["brand"] != rows[0].Brand {
			t.Errorf("delete audit old %v", old)
		}
		if _, err := w.svc.DeleteBrandWatch(ctx, admin, rows[0].ID); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("second delete: %v", err)
		}
	})
}
