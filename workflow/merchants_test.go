package workflow_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// partyWorld is a service over a seeded database.
type partyWorld struct {
	svc *workflow.Service
	db  *gorm.DB
	t   *testing.T // the current subtest, for fixtures built inside table rows
	*testkit.World
	made int
}

// newPartyWorld seeds a fresh database and builds the service with a fixed clock and a fast
// password hash.
func newPartyWorld(t *testing.T, db *gorm.DB) *partyWorld {
	t.Helper()
	svc := servicetest.Service(t, db, nil)
	return &partyWorld{svc: svc, db: db, World: testkit.Seed(t, db)}
}

// actor is the seeded user with a username, as the service sees them.
func (w *partyWorld) actor(t *testing.T, username string) workflow.Actor {
	t.Helper()
	return servicetest.Actor(t, w.World, username)
}

// fresh creates a merchant of its own in a status, so table rows do not share state.
func (w *partyWorld) fresh(t *testing.T, status string) models.Merchant {
	t.Helper()
	w.made++
	m := models.Merchant{USCC: uscc(t, "92330782MA4"+strconv.Itoa(100000+w.made), false), Name: "新商行" + strconv.Itoa(w.made),
		District: "4", Booth: strconv.Itoa(w.made), Status: status, CreditClass: models.CreditB, Version: 1,
		CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := w.db.Create(&m).Error; err != nil {
		t.Fatal(err)
	}
	return m
}

// count counts rows of a model matching a condition.
func (w *partyWorld) count(t *testing.T, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := w.db.Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// uscc completes 17 characters with their GB 32100-2015 check character; review=true puts a
// wrong one instead.
func uscc(t *testing.T, first17 string, review bool) string {
	t.Helper()
	c, ok := workflow.USCCCheckChar(first17)
	if !ok {
		t.Fatalf("bad USCC prefix %q", first17)
	}
	if review {
		if c == '0' {
			c = '1'
		} else {
			c = '0'
		}
	}
	return first17 + string(c)
}

func validRegistration(t *testing.T) workflow.MerchantRegistration {
	return workflow.MerchantRegistration{
		Name: "义乌市稠城丁工艺品商行", NameEn: "Ding Crafts", USCC: uscc(t, "92330782MA2K7P3Q1", false),
		District: "2", Gate: "7", Floor: "3", Street: "21", Booth: "23456", StallRaw: "国际商贸城二区 7号门 3楼 21街 23456",
		LegalRep: "丁小明", Phone: "138 0000 1111", BankName: "义乌农商银行", BankAccount: "6228 4800 1234 5678",
		Username: "Ding-Crafts", DisplayName: "丁小明", Password: "crafts-2026", PasswordConfirm: "crafts-2026", Lang: "zh-CN",
	}
}

// fieldsOf lists the fields an Invalid error names.
func fieldsOf(err error) map[string]bool {
	out := map[string]bool{}
	for _, f := range apperr.As(err).Fields {
		out[f.Field] = true
	}
	return out
}

func TestRegisterMerchant(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		tests := []struct {
			name   string
			edit   func(r *workflow.MerchantRegistration, w *partyWorld)
			code   apperr.Code
			fields []string
			review bool
		}{
			{name: "OK", edit: func(*workflow.MerchantRegistration, *partyWorld) {}},
			{name: "OKUSCCNeedsReview", review: true, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.USCC = uscc(t, "92330782MA2K7P3Q1", true)
			}},
			{name: "OKWithoutBankAndEnglishName", edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.BankName, r.BankAccount, r.NameEn = "", "", ""
			}},
			{name: "ErrDuplicateUSCC", code: apperr.Invalid, fields: []string{"uscc"}, edit: func(r *workflow.MerchantRegistration, w *partyWorld) {
				r.USCC = w.MerchantA.USCC
			}},
			{name: "ErrDuplicateUsername", code: apperr.Invalid, fields: []string{"username"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.Username = "Merchant-A"
			}},
			{name: "ErrDuplicateUSCCAndUsername", code: apperr.Invalid, fields: []string{"uscc", "username"}, edit: func(r *workflow.MerchantRegistration, w *partyWorld) {
				r.USCC, r.Username = w.Pending.USCC, testkit.UserPending
			}},
			{name: "ErrInvalidUSCC", code: apperr.Invalid, fields: []string{"uscc"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.USCC = "92330782MA2K7P3Q"
			}},
			{name: "ErrBadPassword", code: apperr.Invalid, fields: []string{"password"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.Password, r.PasswordConfirm = "12345678", "12345678"
			}},
			{name: "ErrShortPassword", code: apperr.Invalid, fields: []string{"password"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.Password, r.PasswordConfirm = "abc1", "abc1"
			}},
			{name: "ErrPasswordsDiffer", code: apperr.Invalid, fields: []string{"password_confirm"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.PasswordConfirm = "crafts-2027"
			}},
			{name: "ErrMissingFields", code: apperr.Invalid,
				fields: []string{"uscc", "name", "district", "booth", "legal_rep", "phone", "username", "password"},
				edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
					*r = workflow.MerchantRegistration{}
				}},
			{name: "ErrBadDistrict", code: apperr.Invalid, fields: []string{"district"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.District = "6"
			}},
			{name: "ErrBadPhone", code: apperr.Invalid, fields: []string{"phone"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.Phone = "call me"
			}},
			{name: "ErrBadBankAccount", code: apperr.Invalid, fields: []string{"bank_account"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.BankAccount = "62284800X"
			}},
			{name: "ErrBankAccountWithoutBank", code: apperr.Invalid, fields: []string{"bank_name"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.BankName = ""
			}},
			{name: "ErrBadUsername", code: apperr.Invalid, fields: []string{"username"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.Username = "丁 小明"
			}},
			{name: "ErrNameTooLong", code: apperr.Invalid, fields: []string{"name"}, edit: func(r *workflow.MerchantRegistration, _ *partyWorld) {
				r.Name = strings.Repeat("商", 101)
			}},
		}
		w := newPartyWorld(t, db)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := validRegistration(t)
				// Each successful case needs its own code and username.
				in.USCC = uscc(t, "92330782MA2K7P3"+strconv.Itoa(10+i), false)
				in.Username = "ding-" + strconv.Itoa(i)
				tt.edit(&in, w)
				if tt.review {
					in.USCC = uscc(t, "92330782MA2K7P3"+strconv.Itoa(10+i), true)
				}
				merchants, users, audits := w.count(t, &models.Merchant{}, ""), w.count(t, &models.User{}, ""), w.count(t, &models.AuditEntry{}, "")
				res, err := w.svc.RegisterMerchant(context.Background(), workflow.Actor{}, in)
				if tt.code != "" {
					if apperr.CodeOf(err) != tt.code {
						t.Fatalf("err = %v, want %s", err, tt.code)
					}
					got := fieldsOf(err)
					for _, f := range tt.fields {
						if !got[f] {
							t.Errorf("no error on field %q; got %v", f, got)
						}
					}
					for _, fe := range apperr.As(err).Fields {
						if fe.Text.En == "" || fe.Text.Zh == "" {
							t.Errorf("field %s: message missing a language: %+v", fe.Field, fe.Text)
						}
					}
					if w.count(t, &models.Merchant{}, "") != merchants || w.count(t, &models.User{}, "") != users || w.count(t, &models.AuditEntry{}, "") != audits {
						t.Error("a failed registration wrote rows")
					}
					return
				}
				if err != nil {
					t.Fatalf("RegisterMerchant: %v", err)
				}
				var m models.Merchant
				if err := db.Where("id = ?", res.Merchant.ID).Take(&m).Error; err != nil {
					t.Fatal(err)
				}
				if m.Status != models.MerchantPending || m.CreditClass != models.CreditB || m.Version != 1 || m.ApprovedBy != nil {
					t.Errorf("merchant = %+v; want pending, credit B, version 1, unapproved", m)
				}
				if m.USCCReview != tt.review {
					t.Errorf("USCCReview = %v, want %v", m.USCCReview, tt.review)
				}
				if res.USCC.NeedsReview != tt.review {
					t.Errorf("verdict NeedsReview = %v", res.USCC.NeedsReview)
				}
				var u models.User
				if err := db.Where("merchant_id = ?", m.ID).Take(&u).Error; err != nil {
					t.Fatalf("the merchant has no user: %v", err)
				}
				if u.Role != models.RoleMerchant || u.Username != in.Username || u.AgentID != nil {
					t.Errorf("user = %+v", u)
				}
				if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(in.Password)) != nil {
					t.Error("the password hash does not match")
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ?", "merchant", strconv.FormatInt(m.ID, 10), "register"); n != 1 {
					t.Errorf("%d merchant audit entries, want 1", n)
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ? AND actor_user_id = ?", "user", strconv.FormatInt(u.ID, 10), "create", u.ID); n != 1 {
					t.Errorf("%d user audit entries by the new user, want 1", n)
				}
			})
		}
		t.Run("OKNormalisesInput", func(t *testing.T) {
			in := validRegistration(t)
			code := uscc(t, "92330782MA2K7P3Q9", false)
			// Spaces, lower case and a full-width digit, as a Chinese input method may give them.
			in.USCC = "  ９" + strings.ToLower(code[1:]) + "　"
			in.Username = "  Ding-Normal "
			res, err := w.svc.RegisterMerchant(context.Background(), workflow.Actor{}, in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Merchant.USCC != code || res.User.Username != "ding-normal" || res.Merchant.BankAccount != "6228480012345678" {
				t.Errorf("stored %q %q %q", res.Merchant.USCC, res.User.Username, res.Merchant.BankAccount)
			}
		})
	})
}

// decisionCase is one market-supervision decision and what it must lead to.
type decisionCase struct {
	name     string
	user     string
	merchant func(w *partyWorld) models.Merchant
	kind     string // approve, reject, status
	to       string
	reason   string
	version  int64 // 0: the merchant's current version
	code     apperr.Code
	field    string
	status   string // the status afterwards, on success
}

func (tt decisionCase) run(w *partyWorld, id int64, d workflow.MerchantDecision, actor workflow.Actor) (*models.Merchant, error) {
	ctx := context.Background()
	switch tt.kind {
	case "approve":
		return w.svc.ApproveMerchant(ctx, actor, id, d)
	case "reject":
		return w.svc.RejectMerchant(ctx, actor, id, d)
	}
	return w.svc.ChangeMerchantStatus(ctx, actor, id, d)
}

func TestMerchantDecisions(t *testing.T) {
	pending := func(w *partyWorld) models.Merchant { return w.fresh(w.t, models.MerchantPending) }
	active := func(w *partyWorld) models.Merchant { return w.fresh(w.t, models.MerchantActive) }
	missing := func(*partyWorld) models.Merchant { return models.Merchant{ID: 999999, Version: 1} }
	sv := testkit.UserSupervisor
	tests := []decisionCase{
		{name: "OKApprove", user: sv, merchant: pending, kind: "approve", status: models.MerchantActive},
		{name: "OKApproveWithNote", user: sv, merchant: pending, kind: "approve", reason: "现场核验无误", status: models.MerchantActive},
		{name: "OKReject", user: sv, merchant: pending, kind: "reject", reason: "营业执照与商位不符", status: models.MerchantRejected},
		{name: "ErrRejectWithoutReason", user: sv, merchant: pending, kind: "reject", reason: "  ", code: apperr.Invalid, field: "reason"},
		{name: "ErrApproveActive", user: sv, merchant: active, kind: "approve", code: apperr.Conflict},
		{name: "ErrApproveStaleVersion", user: sv, merchant: pending, kind: "approve", version: 7, code: apperr.Conflict},
		{name: "ErrApproveWithoutVersion", user: sv, merchant: pending, kind: "approve", version: -1, code: apperr.Invalid, field: "version"},
		{name: "OKSuspend", user: sv, merchant: active, kind: "status", to: models.MerchantSuspended, reason: "涉嫌侵权", status: models.MerchantSuspended},
		{name: "OKAbnormal", user: sv, merchant: active, kind: "status", to: models.MerchantAbnormal, reason: "未公示年报", status: models.MerchantAbnormal},
		{name: "OKBlacklist", user: sv, merchant: active, kind: "status", to: models.MerchantBlacklisted, reason: "严重违法", status: models.MerchantBlacklisted},
		{name: "ErrStatusWithoutReason", user: sv, merchant: active, kind: "status", to: models.MerchantSuspended, code: apperr.Invalid, field: "reason"},
		{name: "ErrStatusWithoutTarget", user: sv, merchant: active, kind: "status", reason: "x", code: apperr.Invalid, field: "to"},
		{name: "ErrStatusUnknown", user: sv, merchant: active, kind: "status", to: "closed", reason: "x", code: apperr.Invalid, field: "to"},
		{name: "ErrStatusActiveToActive", user: sv, merchant: active, kind: "status", to: models.MerchantActive, reason: "x", code: apperr.Invalid, field: "to"},
		{name: "ErrStatusToPending", user: sv, merchant: active, kind: "status", to: models.MerchantPending, reason: "x", code: apperr.Invalid, field: "to"},
		{name: "ErrStatusOfPending", user: sv, merchant: pending, kind: "status", to: models.MerchantActive, reason: "x", code: apperr.Invalid, field: "to"},
		{name: "ErrStatusStaleVersion", user: sv, merchant: active, kind: "status", to: models.MerchantSuspended, reason: "x", version: 2, code: apperr.Conflict},
		{name: "ErrForbiddenAuditor", user: testkit.UserAuditor, merchant: pending, kind: "approve", code: apperr.Forbidden},
		{name: "ErrForbiddenMerchant", user: testkit.UserPending, merchant: pending, kind: "approve", code: apperr.Forbidden},
		{name: "ErrForbiddenAdmin", user: testkit.UserAdmin, merchant: active, kind: "status", to: models.MerchantSuspended, reason: "x", code: apperr.Forbidden},
		{name: "ErrUnauthenticated", user: "", merchant: active, kind: "status", to: models.MerchantSuspended, reason: "x", code: apperr.Unauthenticated},
		{name: "ErrNotFound", user: sv, merchant: missing, kind: "status", to: models.MerchantSuspended, reason: "x", code: apperr.NotFound},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newPartyWorld(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				w.t = t
				m := tt.merchant(w)
				d := workflow.MerchantDecision{To: tt.to, Reason: tt.reason, Version: m.Version}
				if tt.version != 0 {
					d.Version = max(tt.version, 0)
				}
				actor := w.actor(t, tt.user)
				changes, audits := w.count(t, &models.MerchantStatusChange{}, ""), w.count(t, &models.AuditEntry{}, "")
				got, err := tt.run(w, m.ID, d, actor)
				if tt.code != "" {
					if apperr.CodeOf(err) != tt.code {
						t.Fatalf("err = %v, want %s", err, tt.code)
					}
					if tt.field != "" && !fieldsOf(err)[tt.field] {
						t.Errorf("no error on %q: %v", tt.field, err)
					}
					if w.count(t, &models.MerchantStatusChange{}, "") != changes || w.count(t, &models.AuditEntry{}, "") != audits {
						t.Error("a refused decision wrote history or audit rows")
					}
					var after models.Merchant
					if m.ID != 999999 {
						if err := w.db.Where("id = ?", m.ID).Take(&after).Error; err != nil {
							t.Fatal(err)
						}
						if after.Status != m.Status || after.Version != m.Version {
							t.Errorf("merchant changed: %s v%d → %s v%d", m.Status, m.Version, after.Status, after.Version)
						}
					}
					return
				}
				if err != nil {
					t.Fatalf("decision: %v", err)
				}
				if got.Status != tt.status || got.Version != m.Version+1 || got.StatusReason != tt.reason {
					t.Errorf("merchant = %s v%d %q; want %s v%d %q", got.Status, got.Version, got.StatusReason, tt.status, m.Version+1, tt.reason)
				}
				if tt.kind == "approve" && (got.ApprovedBy == nil || *got.ApprovedBy != actor.UserID || got.ApprovedAt == nil) {
					t.Errorf("approval not recorded: by %v at %v", got.ApprovedBy, got.ApprovedAt)
				}
				var ch models.MerchantStatusChange
				if err := w.db.Where("merchant_id = ?", m.ID).Order("id DESC").Take(&ch).Error; err != nil {
					t.Fatalf("no history row: %v", err)
				}
				if ch.FromStatus != m.Status || ch.ToStatus != tt.status || ch.Reason != tt.reason || ch.ActorUserID == nil || *ch.ActorUserID != actor.UserID {
					t.Errorf("history row = %+v", ch)
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ? AND actor_user_id = ?",
					"merchant", strconv.FormatInt(m.ID, 10), tt.kind, actor.UserID); n != 1 {
					t.Errorf("%d audit entries, want 1", n)
				}
			})
		}
	})
}

// TestMerchantStatusHistory walks a merchant through suspension, return, blacklisting and
// rehabilitation and checks the history, newest first, and that a stale form is refused.
func TestMerchantStatusHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newPartyWorld(t, db)
		ctx := context.Background()
		sv := w.actor(t, testkit.UserSupervisor)
		steps := []struct{ to, reason string }{
			{models.MerchantSuspended, "涉嫌销售侵权商品"},
			{models.MerchantActive, "整改完毕"},
			{models.MerchantBlacklisted, "再次违法"},
			{models.MerchantActive, "信用修复"},
		}
		version := w.MerchantA.Version
		for _, s := range steps {
			m, err := w.svc.ChangeMerchantStatus(ctx, sv, w.MerchantA.ID, workflow.MerchantDecision{To: s.to, Reason: s.reason, Version: version})
			if err != nil {
				t.Fatalf("→ %s: %v", s.to, err)
			}
			version = m.Version
		}
		if version != w.MerchantA.Version+4 {
			t.Errorf("version %d after 4 changes", version)
		}
		_, err := w.svc.ChangeMerchantStatus(ctx, sv, w.MerchantA.ID, workflow.MerchantDecision{To: models.MerchantAbnormal, Reason: "x", Version: version - 1})
		if !apperr.Is(err, apperr.Conflict) {
			t.Errorf("stale version: %v, want conflict", err)
		}
		d, err := w.svc.Merchant(ctx, sv, w.MerchantA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.History) != 4 {
			t.Fatalf("%d history rows, want 4", len(d.History))
		}
		for i, h := range d.History {
			s := steps[len(steps)-1-i]
			if h.ToStatus != s.to || h.Reason != s.reason || h.ActorName != testkit.UserSupervisor {
				t.Errorf("history[%d] = %+v, want → %s %q by %s", i, h, s.to, s.reason, testkit.UserSupervisor)
			}
		}
		if d.History[3].FromStatus != models.MerchantActive || d.History[0].FromStatus != models.MerchantBlacklisted {
			t.Errorf("from statuses: %+v", d.History)
		}
		if len(d.Agents) != 1 || d.Agents[0].AgentID != w.AgentX.ID || d.Agents[0].Ended {
			t.Errorf("entrusted agents = %+v", d.Agents)
		}
	})
}

func TestMerchantScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newPartyWorld(t, db)
		ctx := context.Background()
		view := []struct {
			name     string
			user     string
			merchant func() models.Merchant
			code     apperr.Code
		}{
			{"OKMerchantOwn", testkit.UserMerchantA, func() models.Merchant { return w.MerchantA }, ""},
			{"OKPendingOwn", testkit.UserPending, func() models.Merchant { return w.Pending }, ""},
			{"ErrNotFoundForeignMerchant", testkit.UserMerchantA, func() models.Merchant { return w.MerchantB }, apperr.NotFound},
			{"OKAgentEntrusted", testkit.UserAgentX, func() models.Merchant { return w.MerchantA }, ""},
			{"ErrNotFoundAgentNotEntrusted", testkit.UserAgentX, func() models.Merchant { return w.MerchantB }, apperr.NotFound},
			{"OKSupervision", testkit.UserSupervisor, func() models.Merchant { return w.MerchantB }, ""},
			{"OKAuditor", testkit.UserAuditor, func() models.Merchant { return w.Pending }, ""},
			{"ErrForbiddenCustoms", testkit.UserCustoms, func() models.Merchant { return w.MerchantA }, apperr.Forbidden},
			{"ErrNotFoundMissing", testkit.UserSupervisor, func() models.Merchant { return models.Merchant{ID: 424242} }, apperr.NotFound},
		}
		for _, tt := range view {
			t.Run("View"+tt.name, func(t *testing.T) {
				d, err := w.svc.Merchant(ctx, w.actor(t, tt.user), tt.merchant().ID)
				if apperr.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
				if err == nil && d.Merchant.ID != tt.merchant().ID {
					t.Errorf("got merchant %d", d.Merchant.ID)
				}
			})
		}
		list := []struct {
			name   string
			user   string
			filter workflow.MerchantFilter
			want   []int64
			code   apperr.Code
		}{
			{"OKAllForSupervision", testkit.UserSupervisor, workflow.MerchantFilter{}, []int64{w.Pending.ID, w.MerchantB.ID, w.MerchantA.ID}, ""},
			{"OKAgentSeesEntrustingOnly", testkit.UserAgentX, workflow.MerchantFilter{}, []int64{w.MerchantA.ID}, ""},
			{"OKApprovalQueue", testkit.UserSupervisor, workflow.MerchantFilter{Status: models.MerchantPending}, []int64{w.Pending.ID}, ""},
			{"OKSearchByName", testkit.UserAuditor, workflow.MerchantFilter{Query: "福田"}, []int64{w.MerchantB.ID}, ""},
			{"OKSearchByEnglishNameAnyCase", testkit.UserAuditor, workflow.MerchantFilter{Query: "乙玩具店 TRADING"}, []int64{w.MerchantB.ID}, ""},
			{"OKSearchByUSCCLowerCase", testkit.UserAuditor, workflow.MerchantFilter{Query: "ma2e8y5"}, []int64{w.MerchantA.ID}, ""},
			{"OKSearchWildcardIsLiteral", testkit.UserAuditor, workflow.MerchantFilter{Query: "%"}, nil, ""},
			{"OKDistrict", testkit.UserAuditor, workflow.MerchantFilter{District: "2"}, nil, ""},
			{"OKAgentFilterCannotWiden", testkit.UserAgentY, workflow.MerchantFilter{Query: "甲"}, nil, ""},
			{"ErrBadStatus", testkit.UserAuditor, workflow.MerchantFilter{Status: "closed"}, nil, apperr.Invalid},
			{"ErrForbiddenMerchant", testkit.UserMerchantA, workflow.MerchantFilter{}, nil, apperr.Forbidden},
			{"ErrForbiddenTax", testkit.UserTax, workflow.MerchantFilter{}, nil, apperr.Forbidden},
		}
		for _, tt := range list {
			t.Run("List"+tt.name, func(t *testing.T) {
				got, err := w.svc.Merchants(ctx, w.actor(t, tt.user), tt.filter)
				if apperr.CodeOf(err) != tt.code {
					t.Fatalf("err = %v, want %q", err, tt.code)
				}
				if err != nil {
					return
				}
				var ids []int64
				for _, m := range got.Merchants {
					ids = append(ids, m.ID)
				}
				if len(ids) != len(tt.want) || int(got.Total) != len(tt.want) {
					t.Fatalf("ids = %v (total %d), want %v", ids, got.Total, tt.want)
				}
				for i := range ids {
					if ids[i] != tt.want[i] {
						t.Fatalf("ids = %v, want %v", ids, tt.want)
					}
				}
			})
		}
	})
}

func TestMerchantListPages(t *testing.T) {
	w := newPartyWorld(t, dbtest.SQLite(t))
	for i := range 120 {
		m := models.Merchant{USCC: uscc(t, "92330782MA3"+strconv.Itoa(100000+i), false), Name: "商行" + strconv.Itoa(i),
			District: "3", Booth: strconv.Itoa(i), Status: models.MerchantActive, CreditClass: models.CreditB, Version: 1,
			CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := w.db.Create(&m).Error; err != nil {
			t.Fatal(err)
		}
	}
	sv := w.actor(t, testkit.UserSupervisor)
	for _, tt := range []struct{ page, n, pages int }{{1, 50, 3}, {2, 50, 3}, {3, 20, 3}, {4, 0, 3}, {0, 50, 3}} {
		got, err := w.svc.Merchants(context.Background(), sv, workflow.MerchantFilter{District: "3", Page: tt.page})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Merchants) != tt.n || got.Pages != tt.pages || got.Total != 120 {
			t.Errorf("page %d: %d rows, %d pages, total %d", tt.page, len(got.Merchants), got.Pages, got.Total)
		}
	}
}
