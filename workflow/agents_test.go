package workflow_test

import (
	"context"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

func validAgent(t *testing.T, n int) workflow.AgentRegistration {
	return workflow.AgentRegistration{
		USCC: uscc(t, "91330782MA5"+strconv.Itoa(100000+n), false), CustomsCode: "33189" + strconv.Itoa(60100+n),
		CommerceRegNo: "SW-330782-" + strconv.Itoa(1000+n), Name: "义乌市丙国际物流有限公司", NameEn: "Yiwu Bing Logistics",
		Address: "浙江省义乌市福田街道", Contact: "陈经理", Phone: "0579-85001234",
		Username: "agent-bing-" + strconv.Itoa(n), Password: "logistics-1", PasswordConfirm: "logistics-1",
	}
}

func TestRegisterAgent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newPartyWorld(t, db)
		tests := []struct {
			name   string
			user   string
			edit   func(r *workflow.AgentRegistration)
			code   apperr.Code
			fields []string
			review bool
		}{
			{name: "OK", edit: func(*workflow.AgentRegistration) {}},
			{name: "OKCustomsCodeUpperCased", edit: func(r *workflow.AgentRegistration) { r.CustomsCode = " 3318a6010b " }},
			{name: "OKUSCCNeedsReview", review: true, edit: func(r *workflow.AgentRegistration) {
				r.USCC = uscc(t, r.USCC[:17], true)
			}},
			{name: "ErrDuplicateUSCC", code: apperr.Invalid, fields: []string{"uscc"}, edit: func(r *workflow.AgentRegistration) { r.USCC = w.AgentX.USCC }},
			{name: "ErrDuplicateCustomsCode", code: apperr.Invalid, fields: []string{"customs_code"}, edit: func(r *workflow.AgentRegistration) { r.CustomsCode = w.AgentY.CustomsCode }},
			{name: "ErrDuplicateCommerceRegNo", code: apperr.Invalid, fields: []string{"commerce_reg_no"}, edit: func(r *workflow.AgentRegistration) { r.CommerceRegNo = w.AgentX.CommerceRegNo }},
			{name: "ErrDuplicateUsername", code: apperr.Invalid, fields: []string{"username"}, edit: func(r *workflow.AgentRegistration) { r.Username = testkit.UserAgentX }},
			{name: "ErrCustomsCodeLength", code: apperr.Invalid, fields: []string{"customs_code"}, edit: func(r *workflow.AgentRegistration) { r.CustomsCode = "331896001" }},
			{name: "ErrCustomsCodeCharacters", code: apperr.Invalid, fields: []string{"customs_code"}, edit: func(r *workflow.AgentRegistration) { r.CustomsCode = "3318-60011" }},
			{name: "ErrInvalidUSCC", code: apperr.Invalid, fields: []string{"uscc"}, edit: func(r *workflow.AgentRegistration) { r.USCC = "91330782MA5OOOOOOO" }},
			{name: "ErrPasswordsDiffer", code: apperr.Invalid, fields: []string{"password_confirm"}, edit: func(r *workflow.AgentRegistration) { r.PasswordConfirm = "x" }},
			{name: "ErrMissingFields", code: apperr.Invalid,
				fields: []string{"uscc", "customs_code", "commerce_reg_no", "name", "contact", "phone", "username", "password"},
				edit:   func(r *workflow.AgentRegistration) { *r = workflow.AgentRegistration{} }},
			{name: "ErrForbiddenSupervision", user: testkit.UserSupervisor, code: apperr.Forbidden, edit: func(*workflow.AgentRegistration) {}},
			{name: "ErrForbiddenAuditor", user: testkit.UserAuditor, code: apperr.Forbidden, edit: func(*workflow.AgentRegistration) {}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := validAgent(t, i)
				tt.edit(&in)
				user := tt.user
				if user == "" {
					user = testkit.UserAdmin
				}
				agents, users := w.count(t, &models.Agent{}, ""), w.count(t, &models.User{}, "")
				res, err := w.svc.RegisterAgent(context.Background(), w.actor(t, user), in)
				if tt.code != "" {
					if apperr.CodeOf(err) != tt.code {
						t.Fatalf("err = %v, want %s", err, tt.code)
					}
					got := fieldsOf(err)
					for _, f := range tt.fields {
						if !got[f] {
							t.Errorf("no error on %q; got %v", f, got)
						}
					}
					if w.count(t, &models.Agent{}, "") != agents || w.count(t, &models.User{}, "") != users {
						t.Error("a failed registration wrote rows")
					}
					return
				}
				if err != nil {
					t.Fatalf("RegisterAgent: %v", err)
				}
				a := res.Agent
				if a.Status != workflow.AgentActive || a.CreditClass != models.CreditB || a.Version != 1 || a.USCCReview != tt.review {
					t.Errorf("agent = %+v", a)
				}
				if len(a.CustomsCode) != 10 || a.CustomsCode != normalizeUpper(in.CustomsCode) {
					t.Errorf("customs code %q from %q", a.CustomsCode, in.CustomsCode)
				}
				var u models.User
				if err := db.Where("agent_id = ?", a.ID).Take(&u).Error; err != nil {
					t.Fatalf("no user for the agent: %v", err)
				}
				if u.Role != models.RoleAgent || u.MerchantID != nil || u.DisplayName != in.Contact {
					t.Errorf("user = %+v", u)
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ? AND actor_user_id = ?",
					"agent", strconv.FormatInt(a.ID, 10), "create", w.Users[testkit.UserAdmin].ID); n != 1 {
					t.Errorf("%d audit entries, want 1", n)
				}
			})
		}
	})
}

// normalizeUpper is what the form's customs code becomes: trimmed and upper-cased.
func normalizeUpper(s string) string {
	out := []rune{}
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		out = append(out, r)
	}
	return string(out)
}

func TestUpdateAgent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newPartyWorld(t, db)
		ctx := context.Background()
		admin := w.actor(t, testkit.UserAdmin)
		edit := func(a models.Agent) workflow.AgentUpdate {
			return workflow.AgentUpdate{CustomsCode: a.CustomsCode, CommerceRegNo: a.CommerceRegNo, Name: a.Name + "（新址）",
				NameEn: "Yiwu Jia Trading", Address: "义乌市稠城街道", Contact: "李经理", Phone: "13900000000", Version: a.Version}
		}
		tests := []struct {
			name  string
			user  string
			id    int64
			edit  func(u *workflow.AgentUpdate)
			code  apperr.Code
			field string
		}{
			{name: "ErrDuplicateCustomsCode", id: w.AgentX.ID, edit: func(u *workflow.AgentUpdate) { u.CustomsCode = w.AgentY.CustomsCode }, code: apperr.Invalid, field: "customs_code"},
			{name: "ErrMissingName", id: w.AgentX.ID, edit: func(u *workflow.AgentUpdate) { u.Name = "" }, code: apperr.Invalid, field: "name"},
			{name: "ErrStaleVersion", id: w.AgentX.ID, edit: func(u *workflow.AgentUpdate) { u.Version++ }, code: apperr.Conflict},
			{name: "ErrForbiddenMerchant", user: testkit.UserMerchantA, id: w.AgentX.ID, edit: func(*workflow.AgentUpdate) {}, code: apperr.Forbidden},
			{name: "ErrNotFound", id: 777777, edit: func(*workflow.AgentUpdate) {}, code: apperr.NotFound},
			{name: "OK", id: w.AgentX.ID, edit: func(*workflow.AgentUpdate) {}},
			{name: "ErrSecondEditWithOldVersion", id: w.AgentX.ID, edit: func(*workflow.AgentUpdate) {}, code: apperr.Conflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				user := tt.user
				if user == "" {
					user = testkit.UserAdmin
				}
				in := edit(w.AgentX)
				tt.edit(&in)
				got, err := w.svc.UpdateAgent(ctx, w.actor(t, user), tt.id, in)
				if apperr.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
				if tt.field != "" && !fieldsOf(err)[tt.field] {
					t.Errorf("no error on %q: %v", tt.field, err)
				}
				if err != nil {
					return
				}
				if got.Version != w.AgentX.Version+1 || got.Name != in.Name || got.USCC != w.AgentX.USCC || got.Contact != "李经理" {
					t.Errorf("agent = %+v", got)
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ? AND actor_user_id = ?",
					"agent", strconv.FormatInt(tt.id, 10), "update", admin.UserID); n != 1 {
					t.Errorf("%d audit entries, want 1", n)
				}
			})
		}
	})
}

func TestAgentScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newPartyWorld(t, db)
		ctx := context.Background()
		// A suspended agent that merchant-a entrusts: merchant-a still sees it, merchant-b does not.
		z := models.Agent{USCC: uscc(t, "91330782MA5999999", false), Name: "义乌市丁停业外贸有限公司", CustomsCode: "3318969999",
			CommerceRegNo: "SW-330782-9999", Status: workflow.AgentSuspended, CreditClass: models.CreditB, Version: 1,
			CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&z).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&models.Entrustment{MerchantID: w.MerchantA.ID, AgentID: z.ID, AgreementNo: "WT-A-Z", StartsOn: "2025-01-01",
			Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}).Error; err != nil {
			t.Fatal(err)
		}
		view := []struct {
			name      string
			user      string
			id        int64
			code      apperr.Code
			merchants int // entrusting merchants shown
		}{
			{"OKMerchantSeesActiveAgent", testkit.UserMerchantB, w.AgentX.ID, "", 0},
			{"OKMerchantSeesSuspendedAgentItEntrusts", testkit.UserMerchantA, z.ID, "", 0},
			{"ErrNotFoundMerchantSuspendedAgent", testkit.UserMerchantB, z.ID, apperr.NotFound, 0},
			{"OKAgentOwn", testkit.UserAgentX, w.AgentX.ID, "", 1},
			{"ErrNotFoundAgentOther", testkit.UserAgentX, w.AgentY.ID, apperr.NotFound, 0},
			{"OKAdmin", testkit.UserAdmin, w.AgentY.ID, "", 1},
			{"OKAuditor", testkit.UserAuditor, z.ID, "", 1},
			{"ErrForbiddenCustoms", testkit.UserCustoms, w.AgentX.ID, apperr.Forbidden, 0},
			{"ErrForbiddenSupervision", testkit.UserSupervisor, w.AgentX.ID, apperr.Forbidden, 0},
		}
		for _, tt := range view {
			t.Run("View"+tt.name, func(t *testing.T) {
				d, err := w.svc.Agent(ctx, w.actor(t, tt.user), tt.id)
				if apperr.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
				if err == nil && len(d.Merchants) != tt.merchants {
					t.Errorf("%d entrusting merchants shown, want %d", len(d.Merchants), tt.merchants)
				}
			})
		}
		list := []struct {
			name   string
			user   string
			filter workflow.AgentFilter
			want   int
			code   apperr.Code
		}{
			{"OKMerchantActivePlusEntrusted", testkit.UserMerchantA, workflow.AgentFilter{}, 3, ""},
			{"OKMerchantActiveOnly", testkit.UserMerchantB, workflow.AgentFilter{}, 2, ""},
			{"OKAdminAll", testkit.UserAdmin, workflow.AgentFilter{}, 3, ""},
			{"OKSearchCustomsCode", testkit.UserAuditor, workflow.AgentFilter{Query: "3318960002"}, 1, ""},
			{"OKSearchName", testkit.UserMerchantB, workflow.AgentFilter{Query: "供应链"}, 1, ""},
			{"ErrForbiddenAgent", testkit.UserAgentX, workflow.AgentFilter{}, 0, apperr.Forbidden},
		}
		for _, tt := range list {
			t.Run("List"+tt.name, func(t *testing.T) {
				got, err := w.svc.Agents(ctx, w.actor(t, tt.user), tt.filter)
				if apperr.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
				if err == nil && (len(got.Agents) != tt.want || int(got.Total) != tt.want) {
					t.Errorf("%d agents (total %d), want %d", len(got.Agents), got.Total, tt.want)
				}
			})
		}
	})
}
