package workflow

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
	"mpt/workflow/testkit"
)

// TestNotifyAudience: notify resolves its audience to the named users and the users of the
// roles, merchants and agents named, without repeats, skipping disabled users (even when named)
// and the actor; it queues one delivery per active webhook of the agents named, all carrying
// the same event, and none when no agent is named.
func TestNotifyAudience(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := testkit.Seed(t, db)
		ref, err := refdata.Load()
		if err != nil {
			t.Fatal(err)
		}
		svc := NewService(db, ref, func() time.Time { return testkit.Now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
		user := func(name, role string, merchantID, agentID *int64, disabled bool) int64 {
			u := models.User{Username: name, DisplayName: name, PasswordHash: "x", Role: role, MerchantID: merchantID, AgentID: agentID,
				Disabled: disabled, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&u).Error; err != nil {
				t.Fatal(err)
			}
			return u.ID
		}
		sup2 := user("supervision-2", models.RoleSupervision, nil, nil, false)
		supOff := user("supervision-off", models.RoleSupervision, nil, nil, true)
		a2 := user("merchant-a-2", models.RoleMerchant, &w.MerchantA.ID, nil, false)
		hook := func(agentID int64, url string, active bool) int64 {
			h := models.Webhook{AgentID: agentID, URL: url, Secret: newWebhookSecret(), Active: active, Version: 1,
				CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&h).Error; err != nil {
				t.Fatal(err)
			}
			return h.ID
		}
		x1, x2 := hook(w.AgentX.ID, "https://x.example.com/1", true), hook(w.AgentX.ID, "https://x.example.com/2", true)
		hook(w.AgentX.ID, "https://x.example.com/off", false)
		hook(w.AgentY.ID, "https://y.example.com/1", true)
		id := func(name string) int64 { return w.Users[name].ID }
		sup := w.Users[testkit.UserSupervisor]
		actor := Actor{UserID: sup.ID, Role: sup.Role}

		tests := []struct {
			name      string
			notice    Notice
			wantUsers []int64
			wantHooks []int64
		}{
			{"OKRolesMerchantsAgentsAndNamed", Notice{Roles: []string{models.RoleSupervision}, MerchantIDs: []int64{w.MerchantA.ID},
				AgentIDs: []int64{w.AgentX.ID}, UserIDs: []int64{id(testkit.UserAdmin), id(testkit.UserAdmin), a2}},
				[]int64{id(testkit.UserMerchantA), id(testkit.UserAgentX), id(testkit.UserAdmin), sup2, a2}, []int64{x1, x2}},
			{"OKDisabledNamedSkipped", Notice{UserIDs: []int64{supOff, id(testkit.UserTax)}}, []int64{id(testkit.UserTax)}, nil},
			{"OKActorSkipped", Notice{UserIDs: []int64{sup.ID}}, nil, nil},
			{"OKNobody", Notice{}, nil, nil},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tc.notice.Kind = "test.kind"
				tc.notice.Text = apperr.T("Something happened", "发生了某事")
				tc.notice.Link = "/x"
				tc.notice.Entity, tc.notice.EntityID = "test", string(rune('a'+i))
				tc.notice.Data = map[string]int{"n": i}
				if err := svc.tx(context.Background(), func(tx *gorm.DB) error { return svc.notify(tx, actor, tc.notice) }); err != nil {
					t.Fatal(err)
				}
				var got []int64
				db.Model(&models.Notification{}).Where("entity_id = ?", tc.notice.EntityID).Order("user_id").Pluck("user_id", &got)
				want := slices.Clone(tc.wantUsers)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("notified %v, want %v", got, want)
				}
				var ns []models.Notification
				db.Where("entity_id = ?", tc.notice.EntityID).Find(&ns)
				for _, n := range ns {
					if n.Kind != "test.kind" || n.TextEn != "Something happened" || n.TextZh != "发生了某事" || n.Link != "/x" || n.ReadAt != nil {
						t.Errorf("notification %+v", n)
					}
				}
				var ds []models.WebhookDelivery
				db.Where("kind = ? AND payload_json LIKE ?", "test.kind", `%"entity_id":"`+tc.notice.EntityID+`"%`).Order("webhook_id").Find(&ds)
				var hooks []int64
				for _, d := range ds {
					hooks = append(hooks, d.WebhookID)
					var ev WebhookEvent
					if err := json.Unmarshal([]byte(d.PayloadJSON), &ev); err != nil {
						t.Fatal(err)
					}
					if d.EventID != ds[0].EventID || ev.ID != d.EventID || ev.Kind != "test.kind" || ev.Text["zh-CN"] != "发生了某事" ||
						d.Status != models.DeliveryPending || d.Attempts != 0 || !d.NextAttemptAt.Equal(testkit.Now) {
						t.Errorf("delivery %+v, event %+v", d, ev)
					}
				}
				if !slices.Equal(hooks, tc.wantHooks) {
					t.Errorf("deliveries to webhooks %v, want %v", hooks, tc.wantHooks)
				}
			})
		}
	})
}
