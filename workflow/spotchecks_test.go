package workflow_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// spotWorld is the seeded world with more merchants and market supervision officers: two on
// duty (the seeded one and supervision-2), one off duty, one disabled though on duty; the seeded
// customs officer is on duty too but never a spot-check inspector.
type spotWorld struct {
	*testkit.World
	db      *gorm.DB
	svc     *workflow.Service
	made    int
	onDuty  []int64
	offDuty models.User
}

func newSpotWorld(t *testing.T, db *gorm.DB) *spotWorld {
	t.Helper()
	w := &spotWorld{World: testkit.Seed(t, db), db: db, svc: servicetest.Service(t, db, nil)}
	officer := func(name string, onDuty, disabled bool) models.User {
		u := models.User{Username: name, DisplayName: "监管 " + name, PasswordHash: "x", Role: models.RoleSupervision, OnDuty: onDuty,
			Disabled: disabled, Lang: "zh-CN", Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&u).Error; err != nil {
			t.Fatal(err)
		}
		w.Users[name] = u
		return u
	}
	second := officer("supervision-2", true, false)
	w.offDuty = officer("supervision-off", false, false)
	officer("supervision-gone", true, true)
	w.onDuty = []int64{w.Users[testkit.UserSupervisor].ID, second.ID}
	slices.Sort(w.onDuty)
	return w
}

func (w *spotWorld) actor(t *testing.T, name string) workflow.Actor {
	t.Helper()
	return servicetest.Actor(t, w.World, name)
}

// merchants adds n merchants in a status and returns their ids.
func (w *spotWorld) merchants(t *testing.T, n int, status string) []int64 {
	t.Helper()
	rows := make([]models.Merchant, n)
	for i := range rows {
		w.made++
		rows[i] = models.Merchant{USCC: fmt.Sprintf("92330782T%09d", w.made), Name: "抽查商行" + strconv.Itoa(w.made), District: "2",
			Booth: strconv.Itoa(20000 + w.made), LegalRep: "李", Phone: "13800000000", Status: status, CreditClass: models.CreditB,
			Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	}
	if err := w.db.CreateInBatches(&rows, 200).Error; err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, n)
	for i, m := range rows {
		ids[i] = m.ID
	}
	return ids
}

func (w *spotWorld) count(t *testing.T, model any, where string, args ...any) int64 {
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

func (w *spotWorld) checks(t *testing.T, campaignID int64) []models.SpotCheck {
	t.Helper()
	var out []models.SpotCheck
	if err := w.db.Where("campaign_id = ?", campaignID).Order("id").Find(&out).Error; err != nil {
		t.Fatal(err)
	}
	return out
}

func (w *spotWorld) draw(t *testing.T, share string, complaints ...string) *models.SpotCheckCampaign {
	t.Helper()
	c, err := w.svc.DrawSpotCheckCampaign(context.Background(), w.actor(t, testkit.UserSupervisor),
		workflow.SpotCheckCampaignInput{Name: "2026 抽查", Year: "2026", SharePermille: share, ComplaintUSCCs: complaints})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func spotWantField(t *testing.T, err error, field string) {
	t.Helper()
	ae := apperr.As(err)
	if ae.Code != apperr.Invalid {
		t.Fatalf("err = %v, want a field error on %s", err, field)
	}
	for _, f := range ae.Fields {
		if f.Field == field {
			return
		}
	}
	t.Fatalf("err = %v, want a field error on %s", err, field)
}

// TestDrawSpotCheckCampaign: a draw takes ceil(share × active merchants) distinct active
// merchants (never abnormal, suspended, blacklisted, pending), adds complaint merchants,
// assigns only on-duty, enabled market supervision officers, stores what it read, writes one
// audit entry and notifies each assigned officer; refusals write nothing.
func TestDrawSpotCheckCampaign(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		active := append([]int64{w.MerchantA.ID, w.MerchantB.ID}, w.merchants(t, 39, models.MerchantActive)...) // 41 active
		slices.Sort(active)
		troubled := w.merchants(t, 3, models.MerchantAbnormal)
		blacklisted := w.merchants(t, 1, models.MerchantBlacklisted)
		var abnormalUSCC, blacklistedUSCC string
		db.Model(&models.Merchant{}).Where("id = ?", troubled[0]).Pluck("uscc", &abnormalUSCC)
		db.Model(&models.Merchant{}).Where("id = ?", blacklisted[0]).Pluck("uscc", &blacklistedUSCC)
		ctx := context.Background()
		sv := w.actor(t, testkit.UserSupervisor)
		input := func(share string, complaints ...string) workflow.SpotCheckCampaignInput {
			return workflow.SpotCheckCampaignInput{Name: "2026 年度抽查", Year: "2026", SharePermille: share, ComplaintUSCCs: complaints}
		}
		tests := []struct {
			name      string
			actor     workflow.Actor
			in        workflow.SpotCheckCampaignInput
			setup     func()
			wantCode  apperr.Code
			wantField string
		}{
			{name: "ErrShareBelowMinimum", actor: sv, in: input("49"), wantField: "share_permille"},
			{name: "ErrShareNotNumber", actor: sv, in: input("5%"), wantField: "share_permille"},
			{name: "ErrShareOverAll", actor: sv, in: input("1001"), wantField: "share_permille"},
			{name: "ErrYear", actor: sv, in: workflow.SpotCheckCampaignInput{Name: "x", Year: "1999", SharePermille: "50"}, wantField: "year"},
			{name: "ErrNoName", actor: sv, in: workflow.SpotCheckCampaignInput{Name: " ", Year: "2026", SharePermille: "50"}, wantField: "name"},
			{name: "ErrComplaintUnknown", actor: sv, in: input("50", "91330782MA28X9Y9W9"), wantField: "complaints"},
			{name: "ErrComplaintPending", actor: sv, in: input("50", w.Pending.USCC), wantField: "complaints"},
			{name: "ErrNotSupervision", actor: w.actor(t, testkit.UserAuditor), in: input("50"), wantCode: apperr.Forbidden},
			{name: "ErrMerchant", actor: w.actor(t, testkit.UserMerchantA), in: input("50"), wantCode: apperr.Forbidden},
			{name: "ErrRaisedMinimum", actor: sv, in: input("60"), wantField: "share_permille", setup: func() {
				if err := db.Model(&models.Setting{}).Where("key = ?", models.SettingSpotCheckMinPermille).Update("value", "80").Error; err != nil {
					t.Fatal(err)
				}
			}},
			{name: "ErrNoInspectorOnDuty", actor: sv, in: input("100"), wantCode: apperr.Conflict, setup: func() {
				if err := db.Model(&models.User{}).Where("role = ?", models.RoleSupervision).Update("on_duty", false).Error; err != nil {
					t.Fatal(err)
				}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.setup != nil {
					tt.setup()
				}
				_, err := w.svc.DrawSpotCheckCampaign(ctx, tt.actor, tt.in)
				switch {
				case tt.wantField != "":
					spotWantField(t, err, tt.wantField)
				case apperr.CodeOf(err) != tt.wantCode:
					t.Fatalf("err = %v, want %s", err, tt.wantCode)
				}
				if n := w.count(t, &models.SpotCheckCampaign{}, ""); n != 0 {
					t.Fatalf("%d campaigns written by a refused draw", n)
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ?", "spot_check_campaign"); n != 0 {
					t.Fatalf("%d audit entries for a refused draw", n)
				}
			})
		}
		// Restore the minimum (80‰ from above) and the officers on duty.
		db.Model(&models.Setting{}).Where("key = ?", models.SettingSpotCheckMinPermille).Update("value", "50")
		db.Model(&models.User{}).Where("id IN ?", w.onDuty).Update("on_duty", true)
		db.Model(&models.User{}).Where("username = ?", "supervision-gone").Update("on_duty", true)

		t.Run("OKAtLeastShareOnlyActiveOnDuty", func(t *testing.T) {
			c := w.draw(t, "50", abnormalUSCC, blacklistedUSCC)
			checks := w.checks(t, c.ID)
			random, complaint := 0, 0
			seen := map[int64]bool{}
			for _, k := range checks {
				if seen[k.MerchantID] {
					t.Errorf("merchant %d drawn twice", k.MerchantID)
				}
				seen[k.MerchantID] = true
				if k.InspectorUserID == nil || !slices.Contains(w.onDuty, *k.InspectorUserID) {
					t.Errorf("check %d assigned to %v, not an on-duty market supervision officer %v", k.ID, k.InspectorUserID, w.onDuty)
				}
				switch k.Reason {
				case models.SpotCheckRandom:
					random++
					if !slices.Contains(active, k.MerchantID) {
						t.Errorf("random check of merchant %d, which is not active", k.MerchantID)
					}
				case models.SpotCheckComplaint:
					complaint++
				}
			}
			if random != 3 || complaint != 2 { // ceil(5% × 41) = 3; plus the two complaint merchants
				t.Fatalf("random %d, complaint %d; want 3 and 2", random, complaint)
			}
			if !seen[troubled[0]] || !seen[blacklisted[0]] {
				t.Fatal("complaint merchants not checked")
			}
			if c.CandidateCount != 41 || c.RatePermille != 50 || c.Status != models.CampaignDrawn || c.Seed < 0 {
				t.Fatalf("campaign %+v", c)
			}
			if ids, err := workflow.ParseIDRanges(c.CandidateIDs); err != nil || !slices.Equal(ids, active) {
				t.Fatalf("stored candidates %q, want the active merchants %v", c.CandidateIDs, active)
			}
			if ids, _ := workflow.ParseIDRanges(c.InspectorIDs); !slices.Equal(ids, w.onDuty) {
				t.Fatalf("stored inspectors %q, want %v", c.InspectorIDs, w.onDuty)
			}
			if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ?", "spot_check_campaign", strconv.FormatInt(c.ID, 10), "draw"); n != 1 {
				t.Fatalf("%d audit entries for the draw, want 1", n)
			}
			for _, id := range w.onDuty {
				assigned := w.count(t, &models.SpotCheck{}, "campaign_id = ? AND inspector_user_id = ?", c.ID, id)
				notes := w.count(t, &models.Notification{}, "user_id = ? AND kind = ?", id, "spotcheck.assigned")
				// The drawing officer is not notified of their own act.
				want := int64(0)
				if assigned > 0 && id != w.Users[testkit.UserSupervisor].ID {
					want = 1
				}
				if notes != want {
					t.Errorf("officer %d: %d checks, %d notifications, want %d", id, assigned, notes, want)
				}
			}
		})
	})
}

// TestSpotCheckReplay: a replay from the stored seed and inputs gives the same checks even after
// merchants change status and new ones register; a stored check altered afterwards shows up.
func TestSpotCheckReplay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		w.merchants(t, 60, models.MerchantActive)
		c := w.draw(t, "100")
		checks := w.checks(t, c.ID)
		db.Model(&models.Merchant{}).Where("id = ?", checks[0].MerchantID).Update("status", models.MerchantAbnormal)
		w.merchants(t, 10, models.MerchantActive)
		db.Model(&models.User{}).Where("id = ?", w.offDuty.ID).Update("on_duty", true)
		ctx := context.Background()
		r, err := w.svc.ReplaySpotCheckCampaign(ctx, w.actor(t, testkit.UserAuditor), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Same || r.Recomputed != 7 || r.Stored != 7 || r.Candidates != 62 { // ceil(10% × 62)
			t.Fatalf("replay %+v, want the same 7 checks from 62 merchants", r)
		}
		db.Model(&models.SpotCheck{}).Where("id = ?", checks[1].ID).Update("inspector_user_id", w.offDuty.ID)
		if r, _ = w.svc.ReplaySpotCheckCampaign(ctx, w.actor(t, testkit.UserAuditor), c.ID); r.Same || len(r.Differences) != 1 {
			t.Fatalf("replay after tampering %+v, want one difference", r)
		}
		if _, err := w.svc.ReplaySpotCheckCampaign(ctx, w.actor(t, testkit.UserMerchantA), c.ID); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("merchant replay: %v", err)
		}
	})
}

// TestSpotCheckCampaignsSpread: ten campaigns drawn through the service (seeds from crypto/rand)
// over 200 active merchants at 25%. Each merchant's count is about Binomial(10, 0.25); the
// dispersion Σ (count − 2.5)² / 1.875 over the merchants must stay under 308.6 (χ², 199 degrees
// of freedom, p = 10⁻⁶) and the χ² over 10 blocks of 20 consecutive merchants (50 draws expected
// each) under 44.8 (9 degrees of freedom, p = 10⁻⁶): a uniform draw fails this about once in
// a million runs, a draw favouring some merchants or the same set every time fails always.
func TestSpotCheckCampaignsSpread(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		db.Model(&models.Merchant{}).Where("id IN ?", []int64{w.MerchantA.ID, w.MerchantB.ID}).Update("status", models.MerchantSuspended)
		ids := w.merchants(t, 200, models.MerchantActive)
		index := map[int64]int{}
		for i, id := range ids {
			index[id] = i
		}
		count := make([]int, len(ids))
		seeds := map[int64]bool{}
		for range 10 {
			c := w.draw(t, "250")
			seeds[c.Seed] = true
			checks := w.checks(t, c.ID)
			if len(checks) != 50 {
				t.Fatalf("campaign drew %d, want 50", len(checks))
			}
			for _, k := range checks {
				i, ok := index[k.MerchantID]
				if !ok {
					t.Fatalf("drew merchant %d, not active", k.MerchantID)
				}
				count[i]++
			}
		}
		if len(seeds) != 10 {
			t.Fatalf("%d distinct seeds over 10 campaigns", len(seeds))
		}
		var perMerchant, perBlock float64
		blocks := make([]int, 10)
		for i, n := range count {
			d := float64(n) - 2.5
			perMerchant += d * d / 1.875
			blocks[i/20] += n
		}
		for _, b := range blocks {
			d := float64(b) - 50
			perBlock += d * d / 50
		}
		if perMerchant > 308.6 || perBlock > 44.8 {
			t.Fatalf("not uniform: per-merchant dispersion %.1f (limit 308.6), per-block χ² %.1f (limit 44.8); blocks %v", perMerchant, perBlock, blocks)
		}
	})
}

// TestRecordSpotCheckResult: only the assigned inspector records a result, once; a fail needs
// findings and may move the merchant to a worse status through ChangeMerchantStatus, which
// holds its open transactions; each change is audited once.
func TestRecordSpotCheckResult(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		c := w.draw(t, "1000") // MerchantA and MerchantB
		checks := w.checks(t, c.ID)
		if len(checks) != 2 {
			t.Fatalf("%d checks, want 2", len(checks))
		}
		ctx := context.Background()
		byID := map[int64]string{}
		for name, u := range w.Users {
			byID[u.ID] = name
		}
		var checkA models.SpotCheck
		for _, k := range checks {
			if k.MerchantID == w.MerchantA.ID {
				checkA = k
			}
		}
		inspector := byID[*checkA.InspectorUserID]
		other := "supervision-2"
		if inspector == other {
			other = testkit.UserSupervisor
		}
		tr := models.Transaction{Number: "TR2026112900901", MerchantID: w.MerchantA.ID, BuyerID: w.BuyerA.ID, TradeDate: "2026-11-29",
			Currency: "USD", Status: models.TransactionRegistered, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&tr).Error; err != nil {
			t.Fatal(err)
		}
		fail := workflow.SpotCheckResultInput{Result: "fail", Findings: "未按规定明码标价", MerchantStatus: models.MerchantAbnormal,
			MerchantVersion: w.MerchantA.Version, Version: 1}
		tests := []struct {
			name      string
			user      string
			in        workflow.SpotCheckResultInput
			wantCode  apperr.Code
			wantField string
		}{
			{name: "ErrNotAssigned", user: other, in: fail, wantCode: apperr.Forbidden},
			{name: "ErrAuditor", user: testkit.UserAuditor, in: fail, wantCode: apperr.Forbidden},
			{name: "ErrNoResult", user: inspector, in: workflow.SpotCheckResultInput{Version: 1}, wantField: "result"},
			{name: "ErrFailWithoutFindings", user: inspector, in: workflow.SpotCheckResultInput{Result: "fail", Version: 1}, wantField: "findings"},
			{name: "ErrStatusOnPass", user: inspector, in: workflow.SpotCheckResultInput{Result: "pass", MerchantStatus: "abnormal", MerchantVersion: 1, Version: 1}, wantField: "merchant_status"},
			{name: "ErrStatusNotWorse", user: inspector, in: workflow.SpotCheckResultInput{Result: "fail", Findings: "x", MerchantStatus: "active", MerchantVersion: 1, Version: 1}, wantField: "merchant_status"},
			{name: "ErrStaleMerchant", user: inspector, in: workflow.SpotCheckResultInput{Result: "fail", Findings: "x", MerchantStatus: "abnormal", MerchantVersion: 7, Version: 1}, wantCode: apperr.Conflict},
			{name: "ErrStaleCheck", user: inspector, in: workflow.SpotCheckResultInput{Result: "pass", Version: 5}, wantCode: apperr.Conflict},
			{name: "OKFailWithStatus", user: inspector, in: fail},
			{name: "ErrAlreadyRecorded", user: inspector, in: workflow.SpotCheckResultInput{Result: "pass", Version: 2}, wantCode: apperr.Conflict},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := w.svc.RecordSpotCheckResult(ctx, w.actor(t, tt.user), c.ID, checkA.ID, tt.in)
				switch {
				case tt.wantField != "":
					spotWantField(t, err, tt.wantField)
				case apperr.CodeOf(err) != tt.wantCode:
					t.Fatalf("err = %v, want %q", err, tt.wantCode)
				}
				if err != nil {
					var k models.SpotCheck
					db.Take(&k, checkA.ID)
					if tt.name != "ErrAlreadyRecorded" && (k.Result != "" || k.Version != 1) {
						t.Fatalf("refused result written: %+v", k)
					}
					return
				}
				if got.Result != "fail" || got.Findings != "未按规定明码标价" || got.MerchantStatus != models.MerchantAbnormal || got.CheckedAt == nil || got.Version != 2 {
					t.Fatalf("recorded %+v", got)
				}
			})
		}
		var m models.Merchant
		db.Take(&m, w.MerchantA.ID)
		var held models.Transaction
		db.Take(&held, tr.ID)
		if m.Status != models.MerchantAbnormal || held.Status != models.TransactionHeld {
			t.Fatalf("after the failed check: merchant %s, transaction %s", m.Status, held.Status)
		}
		for _, a := range []struct {
			entity, id, action string
		}{
			{"spot_check", strconv.FormatInt(checkA.ID, 10), "record"},
			{"merchant", strconv.FormatInt(w.MerchantA.ID, 10), "status"},
			{"transaction", strconv.FormatInt(tr.ID, 10), "merchant_status_held"},
		} {
			if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ?", a.entity, a.id, a.action); n != 1 {
				t.Errorf("%d audit entries %s %s %s, want 1", n, a.entity, a.id, a.action)
			}
		}
		if n := w.count(t, &models.MerchantStatusChange{}, "merchant_id = ? AND to_status = ?", w.MerchantA.ID, models.MerchantAbnormal); n != 1 {
			t.Fatalf("%d status changes", n)
		}
	})
}

// TestPublishSpotCheckCampaign: publishing needs every result; then the public results list the
// checks without a passed check's findings, the merchants' users are told, and nothing changes
// any more.
func TestPublishSpotCheckCampaign(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSpotWorld(t, db)
		c := w.draw(t, "1000")
		ctx := context.Background()
		sv := w.actor(t, testkit.UserSupervisor)
		if _, err := w.svc.PublishSpotCheckCampaign(ctx, sv, c.ID, c.Version); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("publish with open checks: %v", err)
		}
		if res, _ := w.svc.PublishedSpotCheckResults(ctx, workflow.PublishedSpotCheckFilter{}); res.Campaign != nil {
			t.Fatal("an unpublished campaign is public")
		}
		if _, err := w.svc.PublishedSpotCheckResults(ctx, workflow.PublishedSpotCheckFilter{CampaignID: c.ID}); apperr.CodeOf(err) != apperr.NotFound {
			t.Fatalf("unpublished campaign by id: %v", err)
		}
		byUser := map[int64]string{}
		for name, u := range w.Users {
			byUser[u.ID] = name
		}
		for _, k := range w.checks(t, c.ID) {
			in := workflow.SpotCheckResultInput{Result: "pass", Findings: "内部备注：证照齐全", Version: 1}
			if k.MerchantID == w.MerchantB.ID {
				in = workflow.SpotCheckResultInput{Result: "fail", Findings: "销售仿冒商品", Version: 1}
			}
			if _, err := w.svc.RecordSpotCheckResult(ctx, w.actor(t, byUser[*k.InspectorUserID]), c.ID, k.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.svc.PublishSpotCheckCampaign(ctx, sv, c.ID, 9); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("publish with a stale version: %v", err)
		}
		if _, err := w.svc.PublishSpotCheckCampaign(ctx, w.actor(t, testkit.UserAdmin), c.ID, c.Version); apperr.CodeOf(err) != apperr.Forbidden {
			t.Fatalf("admin publish: %v", err)
		}
		pub, err := w.svc.PublishSpotCheckCampaign(ctx, sv, c.ID, c.Version)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Status != models.CampaignPublished || pub.PublishedAt == nil || pub.Version != c.Version+1 {
			t.Fatalf("published %+v", pub)
		}
		res, err := w.svc.PublishedSpotCheckResults(ctx, workflow.PublishedSpotCheckFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Campaign == nil || res.Campaign.ID != c.ID || len(res.Results) != 2 || res.Campaign.Failed != 1 {
			t.Fatalf("published results %+v", res)
		}
		for _, r := range res.Results {
			switch r.USCC {
			case w.MerchantA.USCC:
				if r.Result != "pass" || r.Findings != "" || r.CheckedOn != "2026-11-29" {
					t.Errorf("passed result %+v: internal findings must not be published", r)
				}
			case w.MerchantB.USCC:
				if r.Result != "fail" || r.Findings != "销售仿冒商品" {
					t.Errorf("failed result %+v", r)
				}
			}
		}
		for _, name := range []string{testkit.UserMerchantA, testkit.UserMerchantB} {
			if n := w.count(t, &models.Notification{}, "user_id = ? AND kind IN ?", w.Users[name].ID, []string{"spotcheck.passed", "spotcheck.failed"}); n != 1 {
				t.Errorf("%s: %d result notifications, want 1", name, n)
			}
		}
		if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ?", "spot_check_campaign", strconv.FormatInt(c.ID, 10), "publish"); n != 1 {
			t.Fatalf("%d publish audit entries", n)
		}
		if _, err := w.svc.PublishSpotCheckCampaign(ctx, sv, c.ID, pub.Version); apperr.CodeOf(err) != apperr.Conflict {
			t.Fatalf("second publish: %v", err)
		}
	})
}
