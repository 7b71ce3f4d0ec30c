package workflow_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// adminWorld is the service over a seeded database, for the admin use cases.
type adminWorld struct {
	svc *workflow.Service
	db  *gorm.DB
	*testkit.World
}

var (
	adminRefOnce sync.Once
	adminRef     *refdata.Set
	adminRefErr  error
)

func newAdminWorld(t *testing.T, db *gorm.DB) *adminWorld {
	t.Helper()
	adminRefOnce.Do(func() { adminRef, adminRefErr = refdata.Load() })
	if adminRefErr != nil {
		t.Fatal(adminRefErr)
	}
	svc := workflow.NewService(db, adminRef, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	svc.Policy.BcryptCost = bcrypt.MinCost
	return &adminWorld{svc: svc, db: db, World: testkit.Seed(t, db)}
}

// as is the actor of a seeded user.
func (w *adminWorld) as(t *testing.T, username string) workflow.Actor {
	t.Helper()
	return servicetest.Actor(t, w.World, username)
}

// user reloads a user.
func (w *adminWorld) user(t *testing.T, id int64) models.User {
	t.Helper()
	var u models.User
	if err := w.db.Where("id = ?", id).Take(&u).Error; err != nil {
		t.Fatal(err)
	}
	return u
}

func (w *adminWorld) count(t *testing.T, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// lastAudit returns the newest audit entry of an entity and action, with its old and new values
// decoded.
func (w *adminWorld) lastAudit(t *testing.T, entity, action string) (e models.AuditEntry, old, new map[string]any) {
	t.Helper()
	if err := w.db.Where("entity = ? AND action = ?", entity, action).Order("id DESC").Take(&e).Error; err != nil {
		t.Fatalf("no audit entry %s/%s: %v", entity, action, err)
	}
	decode := func(s string) map[string]any {
		if s == "" {
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			var list []any
			if json.Unmarshal([]byte(s), &list) != nil {
				t.Fatalf("audit json %q: %v", s, err)
			}
			return map[string]any{"list": list} // a bulk change: its values, one per record
		}
		return m
	}
	return e, decode(e.OldJSON), decode(e.NewJSON)
}

// wantAdminErr checks an error's code and, for Invalid, that the named field is among its fields.
func wantAdminErr(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if apperr.CodeOf(err) != code {
		t.Fatalf("error %v, want code %s", err, code)
	}
	if field == "" {
		return
	}
	for _, f := range apperr.As(err).Fields {
		if f.Field == field {
			if f.Text.En == "" || f.Text.Zh == "" {
				t.Errorf("field %s: message missing a language: %+v", field, f.Text)
			}
			return
		}
	}
	t.Fatalf("error %v has no field %q", err, field)
}

func TestCreateUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		base := func(mod func(in *workflow.NewUserInput)) workflow.NewUserInput {
			in := workflow.NewUserInput{Username: "new.officer", DisplayName: "李关员", Role: models.RoleCustoms,
				Password: "initial-pass-1", OnDuty: true}
			if mod != nil {
				mod(&in)
			}
			return in
		}
		tests := []struct {
			name  string
			actor workflow.Actor
			in    workflow.NewUserInput
			code  apperr.Code
			field string
		}{
			{"OKOfficerOnDuty", admin, base(nil), "", ""},
			{"OKMerchantUser", admin, base(func(in *workflow.NewUserInput) {
				in.Username, in.Role, in.MerchantID, in.OnDuty = "  Shop.A-2 ", models.RoleMerchant, w.MerchantA.ID, false
			}), "", ""},
			{"OKAgentUser", admin, base(func(in *workflow.NewUserInput) {
				in.Username, in.Role, in.AgentID = "agent-x2", models.RoleAgent, w.AgentX.ID
			}), "", ""},
			{"ErrMerchantRoleWithoutMerchant", admin, base(func(in *workflow.NewUserInput) { in.Role = models.RoleMerchant }), apperr.Invalid, "merchant_id"},
			{"ErrAgentRoleWithoutAgent", admin, base(func(in *workflow.NewUserInput) { in.Role = models.RoleAgent }), apperr.Invalid, "agent_id"},
			{"ErrMerchantOnOfficer", admin, base(func(in *workflow.NewUserInput) { in.MerchantID = w.MerchantA.ID }), apperr.Invalid, "merchant_id"},
			{"ErrAgentOnMerchantUser", admin, base(func(in *workflow.NewUserInput) {
				in.Role, in.MerchantID, in.AgentID = models.RoleMerchant, w.MerchantA.ID, w.AgentX.ID
			}), apperr.Invalid, "agent_id"},
			{"ErrUnknownMerchant", admin, base(func(in *workflow.NewUserInput) { in.Role, in.MerchantID = models.RoleMerchant, 99999 }), apperr.Invalid, "merchant_id"},
			{"ErrUnknownAgent", admin, base(func(in *workflow.NewUserInput) { in.Role, in.AgentID = models.RoleAgent, 99999 }), apperr.Invalid, "agent_id"},
			{"ErrUnknownRole", admin, base(func(in *workflow.NewUserInput) { in.Role = "superuser" }), apperr.Invalid, "role"},
			{"ErrUsernameTaken", admin, base(func(in *workflow.NewUserInput) { in.Username = "Customs" }), apperr.Invalid, "username"},
			{"ErrUsernameTooShort", admin, base(func(in *workflow.NewUserInput) { in.Username = "ab" }), apperr.Invalid, "username"},
			{"ErrUsernameSpace", admin, base(func(in *workflow.NewUserInput) { in.Username = "wang li" }), apperr.Invalid, "username"},
			{"ErrUsernameChinese", admin, base(func(in *workflow.NewUserInput) { in.Username = "王丽丽" }), apperr.Invalid, "username"},
			{"ErrNoDisplayName", admin, base(func(in *workflow.NewUserInput) { in.DisplayName = "  " }), apperr.Invalid, "display_name"},
			{"ErrShortPassword", admin, base(func(in *workflow.NewUserInput) { in.Password = "short1" }), apperr.Invalid, "password"},
			{"ErrDigitsOnlyPassword", admin, base(func(in *workflow.NewUserInput) { in.Password = "1234567890" }), apperr.Invalid, "password"},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), base(func(in *workflow.NewUserInput) { in.Username = "by-auditor" }), apperr.Forbidden, ""},
			{"ErrMerchantMayNot", w.as(t, testkit.UserMerchantA), base(func(in *workflow.NewUserInput) { in.Username = "by-merchant" }), apperr.Forbidden, ""},
			{"ErrAnonymous", workflow.Actor{}, base(func(in *workflow.NewUserInput) { in.Username = "by-nobody" }), apperr.Unauthenticated, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := w.count(t, &models.User{}, "1 = 1")
				u, err := w.svc.CreateUser(ctx, tt.actor, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					if n := w.count(t, &models.User{}, "1 = 1"); n != before {
						t.Errorf("users %d → %d after a refused creation", before, n)
					}
					return
				}
				got := w.user(t, u.ID)
				if got.Username != strings.ToLower(strings.TrimSpace(tt.in.Username)) || got.Version != 1 || got.Disabled {
					t.Errorf("stored %+v", got)
				}
				if bcrypt.CompareHashAndPassword([]byte(got.PasswordHash), []byte(tt.in.Password)) != nil {
					t.Error("the initial password does not match the stored hash")
				}
				if wantDuty := tt.in.Role == models.RoleCustoms; got.OnDuty != wantDuty {
					t.Errorf("on duty = %v, want %v", got.OnDuty, wantDuty)
				}
				e, old, nw := w.lastAudit(t, "user", "create")
				if e.ActorUserID == nil || *e.ActorUserID != admin.UserID || old != nil || nw["username"] != got.Username || nw["role"] != tt.in.Role {
					t.Errorf("audit %+v old %v new %v", e, old, nw)
				}
				if strings.Contains(e.NewJSON, "$2a$") || strings.Contains(e.NewJSON, "password_hash") {
					t.Errorf("audit entry holds the password hash: %s", e.NewJSON)
				}
				if _, err := w.svc.Login(ctx, got.Username, tt.in.Password, "10.0.0.1", "test"); err != nil {
					t.Errorf("new user cannot log in: %v", err)
				}
			})
		}
	})
}

func TestCreateUserIgnoresOnDutyForNonOfficers(t *testing.T) {
	w := newAdminWorld(t, dbtest.SQLite(t))
	u, err := w.svc.CreateUser(context.Background(), w.as(t, testkit.UserAdmin), workflow.NewUserInput{
		Username: "second-auditor", DisplayName: "Audit 2", Role: models.RoleAuditor, Password: "initial-pass-1", OnDuty: true})
	if err != nil {
		t.Fatal(err)
	}
	if u.OnDuty {
		t.Error("an auditor was put on duty")
	}
}

// login opens a session for a seeded user and returns its token.
func (w *adminWorld) login(t *testing.T, username string) string {
	t.Helper()
	res, err := w.svc.Login(context.Background(), username, testkit.Password, "10.0.0.2", "test")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return res.Token
}

func TestDisableUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		target := w.Users[testkit.UserMerchantA]
		tests := []struct {
			name  string
			actor workflow.Actor
			in    workflow.UserVersion
			code  apperr.Code
		}{
			{"ErrSelf", admin, workflow.UserVersion{ID: admin.UserID, Version: 1}, apperr.Invalid},
			{"ErrStaleVersion", admin, workflow.UserVersion{ID: target.ID, Version: 7}, apperr.Conflict},
			{"ErrNotFound", admin, workflow.UserVersion{ID: 99999, Version: 1}, apperr.NotFound},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), workflow.UserVersion{ID: target.ID, Version: 1}, apperr.Forbidden},
			{"OK", admin, workflow.UserVersion{ID: target.ID, Version: 1}, ""},
			{"ErrAlreadyDisabled", admin, workflow.UserVersion{ID: target.ID, Version: 2}, apperr.Invalid},
		}
		token := w.login(t, testkit.UserMerchantA)
		w.login(t, testkit.UserMerchantA) // a second device
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := w.svc.DisableUser(ctx, tt.actor, tt.in)
				wantAdminErr(t, err, tt.code, "")
				if tt.code != "" {
					return
				}
				got := w.user(t, target.ID)
				if !got.Disabled || got.Version != 2 {
					t.Errorf("user after disable: disabled %v version %d", got.Disabled, got.Version)
				}
				if n := w.count(t, &models.Session{}, "user_id = ?", target.ID); n != 0 {
					t.Errorf("%d sessions left", n)
				}
				if _, err := w.svc.SessionActor(ctx, token); !apperr.Is(err, apperr.Unauthenticated) {
					t.Errorf("old session still works: %v", err)
				}
				if _, err := w.svc.Login(ctx, target.Username, testkit.Password, "10.0.0.3", "test"); !apperr.Is(err, apperr.Unauthenticated) {
					t.Errorf("disabled user logged in: %v", err)
				}
				_, old, nw := w.lastAudit(t, "user", "disable")
				if old["disabled"] != false || nw["disabled"] != true || nw["sessions_ended"] != float64(2) {
					t.Errorf("audit old %v new %v", old, nw)
				}
			})
		}
		if err := w.svc.EnableUser(ctx, admin, workflow.UserVersion{ID: target.ID, Version: 2}); err != nil {
			t.Fatalf("enable: %v", err)
		}
		if _, err := w.svc.Login(ctx, target.Username, testkit.Password, "10.0.0.3", "test"); err != nil {
			t.Errorf("enabled user cannot log in: %v", err)
		}
		if _, old, nw := w.lastAudit(t, "user", "enable"); old["disabled"] != true || nw["disabled"] != false {
			t.Errorf("enable audit old %v new %v", old, nw)
		}
	})
}

func TestResetUserPassword(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		target := w.Users[testkit.UserTax]
		tests := []struct {
			name  string
			in    workflow.PasswordResetInput
			code  apperr.Code
			field string
		}{
			{"ErrSelf", workflow.PasswordResetInput{UserVersion: workflow.UserVersion{ID: admin.UserID, Version: 1}, Password: "fresh-pass-99"}, apperr.Invalid, "password"},
			{"ErrWeakPassword", workflow.PasswordResetInput{UserVersion: workflow.UserVersion{ID: target.ID, Version: 1}, Password: "123"}, apperr.Invalid, "password"},
			{"ErrStaleVersion", workflow.PasswordResetInput{UserVersion: workflow.UserVersion{ID: target.ID, Version: 3}, Password: "fresh-pass-99"}, apperr.Conflict, ""},
			{"OK", workflow.PasswordResetInput{UserVersion: workflow.UserVersion{ID: target.ID, Version: 1}, Password: "fresh-pass-99"}, "", ""},
		}
		w.login(t, testkit.UserTax)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := w.svc.ResetUserPassword(ctx, admin, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					return
				}
				if n := w.count(t, &models.Session{}, "user_id = ?", target.ID); n != 0 {
					t.Errorf("%d sessions left after a reset", n)
				}
				if _, err := w.svc.Login(ctx, target.Username, testkit.Password, "10.0.0.4", "test"); err == nil {
					t.Error("the old password still works")
				}
				if _, err := w.svc.Login(ctx, target.Username, "fresh-pass-99", "10.0.0.4", "test"); err != nil {
					t.Errorf("the new password does not work: %v", err)
				}
				e, old, nw := w.lastAudit(t, "user", "password_reset")
				if strings.Contains(e.NewJSON+e.OldJSON, "$2a$") || old["password_changed_at"] != nil || nw["password_changed_at"] == nil {
					t.Errorf("audit old %s new %s", e.OldJSON, e.NewJSON)
				}
			})
		}
	})
}

func TestChangeUserRole(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		ma := w.Users[testkit.UserMerchantA]
		fx := w.Users[testkit.UserFX]
		v := func(u models.User, version int64) workflow.UserVersion {
			return workflow.UserVersion{ID: u.ID, Version: version}
		}
		tests := []struct {
			name  string
			in    workflow.RoleChangeInput
			code  apperr.Code
			field string
		}{
			{"ErrSelfDemote", workflow.RoleChangeInput{UserVersion: workflow.UserVersion{ID: admin.UserID, Version: 1}, Role: models.RoleAuditor}, apperr.Invalid, "role"},
			{"ErrSelfNothingToChange", workflow.RoleChangeInput{UserVersion: workflow.UserVersion{ID: admin.UserID, Version: 1}, Role: models.RoleAdmin}, apperr.Invalid, "role"},
			{"ErrMerchantRoleWithoutMerchant", workflow.RoleChangeInput{UserVersion: v(fx, 1), Role: models.RoleMerchant}, apperr.Invalid, "merchant_id"},
			{"ErrOfficerKeepsMerchant", workflow.RoleChangeInput{UserVersion: v(ma, 1), Role: models.RoleCustoms, MerchantID: w.MerchantA.ID}, apperr.Invalid, "merchant_id"},
			{"ErrStaleVersion", workflow.RoleChangeInput{UserVersion: v(ma, 5), Role: models.RoleCustoms}, apperr.Conflict, ""},
			{"OKMerchantToCustoms", workflow.RoleChangeInput{UserVersion: v(ma, 1), Role: models.RoleCustoms, OnDuty: true}, "", ""},
			{"OKFXToAgent", workflow.RoleChangeInput{UserVersion: v(fx, 1), Role: models.RoleAgent, AgentID: w.AgentY.ID, OnDuty: true}, "", ""},
		}
		w.login(t, testkit.UserMerchantA)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := w.svc.ChangeUserRole(ctx, admin, tt.in)
				wantAdminErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					return
				}
				got := w.user(t, tt.in.ID)
				if got.Role != tt.in.Role || got.Version != 2 {
					t.Errorf("role %s version %d", got.Role, got.Version)
				}
				if (got.MerchantID != nil) != (tt.in.Role == models.RoleMerchant) || (got.AgentID != nil) != (tt.in.Role == models.RoleAgent) {
					t.Errorf("merchant %v agent %v for role %s", got.MerchantID, got.AgentID, got.Role)
				}
				if got.OnDuty != workflow.IsOfficerRole(tt.in.Role) {
					t.Errorf("on duty %v for role %s", got.OnDuty, got.Role)
				}
				if n := w.count(t, &models.Session{}, "user_id = ?", got.ID); n != 0 {
					t.Errorf("%d sessions left after a role change", n)
				}
				e, old, nw := w.lastAudit(t, "user", "role_change")
				if e.EntityID == "" || nw["role"] != tt.in.Role || old["role"] == tt.in.Role {
					t.Errorf("audit old %v new %v", old, nw)
				}
			})
		}
	})
}

func TestListUsers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newAdminWorld(t, db)
		ctx := context.Background()
		admin := w.as(t, testkit.UserAdmin)
		var extra []models.User
		for i := range 60 {
			extra = append(extra, models.User{Username: "bulk-" + string(rune('a'+i/26)) + string(rune('a'+i%26)),
				DisplayName: "Bulk", PasswordHash: "x", Role: models.RoleTax, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now})
		}
		extra = append(extra, models.User{Username: "percent_user", DisplayName: "100% 王", PasswordHash: "x", Role: models.RoleFX,
			Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now})
		if err := db.Create(&extra).Error; err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name        string
			actor       workflow.Actor
			f           workflow.UserFilter
			code        apperr.Code
			total       int64
			rows, pages int
			first       string
		}{
			{"OKAll", admin, workflow.UserFilter{}, "", 72, 50, 2, "admin"},
			{"OKSecondPage", admin, workflow.UserFilter{Page: 2}, "", 72, 22, 2, "bulk-bu"},
			{"OKPagePastTheEndIsTheLast", admin, workflow.UserFilter{Page: 9}, "", 72, 22, 2, "bulk-bu"},
			{"OKRole", admin, workflow.UserFilter{Role: models.RoleMerchant}, "", 3, 3, 1, "merchant-a"},
			{"OKSearchUsername", admin, workflow.UserFilter{Query: "AGENT"}, "", 2, 2, 1, "agent-x"},
			{"OKSearchDisplayName", admin, workflow.UserFilter{Query: "王"}, "", 1, 1, 1, "percent_user"},
			{"OKPercentIsLiteral", admin, workflow.UserFilter{Query: "%"}, "", 1, 1, 1, "percent_user"},
			{"OKUnderscoreIsLiteral", admin, workflow.UserFilter{Query: "_"}, "", 1, 1, 1, "percent_user"},
			{"OKNoMatch", admin, workflow.UserFilter{Query: "nobody"}, "", 0, 0, 1, ""},
			{"ErrAuditorMayNot", w.as(t, testkit.UserAuditor), workflow.UserFilter{}, apperr.Forbidden, 0, 0, 0, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := w.svc.ListUsers(ctx, tt.actor, tt.f)
				wantAdminErr(t, err, tt.code, "")
				if tt.code != "" {
					return
				}
				if got.Total != tt.total || len(got.Rows) != tt.rows || got.Pages != tt.pages {
					t.Fatalf("total %d rows %d pages %d, want %d %d %d", got.Total, len(got.Rows), got.Pages, tt.total, tt.rows, tt.pages)
				}
				if tt.rows > 0 && got.Rows[0].Username != tt.first {
					t.Errorf("first %s, want %s", got.Rows[0].Username, tt.first)
				}
			})
		}
		d, err := w.svc.UserDetail(ctx, admin, w.Users[testkit.UserMerchantA].ID)
		if err != nil || d.MerchantName != w.MerchantA.Name {
			t.Errorf("detail: %v %+v", err, d)
		}
	})
}
