package workflow_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// TestParallelConflictingChanges fires the same change, made from the same version, at one
// record from several goroutines at once, for several kinds of record. Optimistic locking must
// let exactly one win; the others get a conflict that says to reload; the row holds the
// winner's values (no lost update), its version moved by exactly one, and exactly one audit
// entry was written. Run with -race.
func TestParallelConflictingChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		w := testkit.Seed(t, db)
		svc := servicetest.Service(t, db, func() time.Time { return testkit.Now })
		as := func(u string) workflow.Actor { return servicetest.Actor(t, w, u) }
		const n = 4
		audits := func(entity, id, action string) (c int64) {
			db.Model(&models.AuditEntry{}).Where("entity = ? AND entity_id = ? AND action = ?", entity, id, action).Count(&c)
			return c
		}

		t.Run("TransactionHeader", func(t *testing.T) {
			merchant := as(testkit.UserMerchantA)
			created, err := svc.CreateTransaction(ctx, merchant, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: "2026-11-20", Currency: "USD"})
			if err != nil {
				t.Fatal(err)
			}
			tr := created.Transaction
			id := strconv.FormatInt(tr.ID, 10)
			before := audits("transaction", id, "update")
			dates := []string{"2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"}
			win := raceOnce(t, n, func(i int) error {
				_, err := svc.UpdateTransaction(ctx, merchant, tr.ID, workflow.TransactionInput{BuyerID: w.BuyerA.ID, TradeDate: dates[i], Currency: "USD", Version: tr.Version})
				return err
			})
			var got models.Transaction
			db.Take(&got, tr.ID)
			if got.TradeDate != dates[win] || got.Version != tr.Version+1 || audits("transaction", id, "update")-before != 1 {
				t.Errorf("after the race: date %s (winner %s), version %d (was %d), %d audit entries", got.TradeDate, dates[win], got.Version, tr.Version,
					audits("transaction", id, "update")-before)
			}
		})

		t.Run("BuyerContact", func(t *testing.T) {
			var b models.Buyer
			db.Take(&b, w.BuyerA.ID)
			id := strconv.FormatInt(b.ID, 10)
			before := audits("buyer", id, "update_contact")
			win := raceOnce(t, n, func(i int) error {
				_, err := svc.UpdateBuyerContact(ctx, as(testkit.UserMerchantA), workflow.BuyerContactInput{ID: b.ID, Version: b.Version,
					BuyerContact: workflow.BuyerContact{Phone: fmt.Sprintf("+971 50 123 45%02d", i), Email: "buyer@example.com", Address: "Dubai"}})
				return err
			})
			var got models.Buyer
			db.Take(&got, b.ID)
			if got.Phone != fmt.Sprintf("+971 50 123 45%02d", win) || got.Version != b.Version+1 || audits("buyer", id, "update_contact")-before != 1 {
				t.Errorf("after the race: phone %q (winner %d), version %d (was %d)", got.Phone, win, got.Version, b.Version)
			}
		})

		// Rules without random selection, so tableware goes green and may be released at once.
		if _, err := svc.PublishRuleSet(ctx, as(testkit.UserAdmin), workflow.RuleSetInput{
			RulesJSON: `{"rules": [{"code": "TOYS", "kind": "hs_prefix", "lane": "red", "name_en": "toys", "name_zh": "玩具", "prefixes": ["9503"]}]}`,
			MinRates:  map[string]string{"red": "0", "yellow": "0", "blue": "0"}, Note: "optimistic locking test"}); err != nil {
			t.Fatal(err)
		}
		green := func() models.Declaration {
			return servicetest.Submitted(t, svc, db, w, servicetest.TradeSpec{Lines: []servicetest.Line{{HSCode: "3924100000", Name: "塑料餐具", Amount: 150_000}}}).Declaration
		}

		t.Run("DeclarationAmend", func(t *testing.T) {
			d := green()
			id := strconv.FormatInt(d.ID, 10)
			before := audits("declaration", id, "amend")
			remarks := make([]string, n)
			win := raceOnce(t, n, func(i int) error {
				remarks[i] = fmt.Sprintf("remark %d", i)
				_, err := svc.AmendDeclaration(ctx, as(testkit.UserAgentX), d.ID, workflow.AmendInput{Version: d.Version, Reason: "typo",
					SignerName: "Li Wei", SignerRole: "declarant", Remarks: &remarks[i]})
				return err
			})
			var got models.Declaration
			db.Take(&got, d.ID)
			if got.Remarks != remarks[win] || got.Version != d.Version+1 || audits("declaration", id, "amend")-before != 1 {
				t.Errorf("after the race: remarks %q (winner %q), version %d (was %d), %d audit entries", got.Remarks, remarks[win], got.Version, d.Version,
					audits("declaration", id, "amend")-before)
			}
		})

		t.Run("CustomsRelease", func(t *testing.T) {
			second := models.User{Username: "customs-2", DisplayName: "customs-2", PasswordHash: "x", Role: models.RoleCustoms,
				OnDuty: true, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
			if err := db.Create(&second).Error; err != nil {
				t.Fatal(err)
			}
			officers := []workflow.Actor{as(testkit.UserCustoms), {UserID: second.ID, Username: second.Username, Role: models.RoleCustoms, Day: testkit.Day}}
			d := green()
			accepted, err := svc.AcceptDeclaration(ctx, officers[0], d.ID, d.Version)
			if err != nil {
				t.Fatal(err)
			}
			id := strconv.FormatInt(d.ID, 10)
			before := audits("declaration", id, "release")
			raceOnce(t, n, func(i int) error {
				_, err := svc.ReleaseDeclaration(ctx, officers[i%2], d.ID, accepted.Version)
				return err
			})
			var got models.Declaration
			db.Take(&got, d.ID)
			if got.Status != models.DeclarationReleased || got.Version != accepted.Version+1 || audits("declaration", id, "release")-before != 1 {
				t.Errorf("after the race: %s, version %d (was %d), %d audit entries", got.Status, got.Version, accepted.Version, audits("declaration", id, "release")-before)
			}
		})

		t.Run("Settings", func(t *testing.T) {
			admin := as(testkit.UserAdmin)
			base := workflow.SettingsInput{CapUSD: "150000.00", ItemLimit: "50", CustomsOffice: "2933", TaxDueDay: "15",
				SpotCheckMinPermille: "50", FXUnallocatedDays: "30"}
			if _, err := svc.SetSettings(ctx, admin, base); err != nil { // every key stored
				t.Fatal(err)
			}
			ov, err := svc.SettingsOverview(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			before := audits("setting", models.SettingTaxDueDay, "update")
			days := []string{"11", "12", "13", "14"}
			win := raceOnce(t, n, func(i int) error {
				in := base
				in.TaxDueDay, in.Revision = days[i], ov.Revision
				_, err := svc.SetSettings(ctx, admin, in)
				return err
			})
			var got models.Setting
			db.Take(&got, "key = ?", models.SettingTaxDueDay)
			if got.Value != days[win] || audits("setting", models.SettingTaxDueDay, "update")-before != 1 {
				t.Errorf("after the race: due day %s (winner %s), %d audit entries", got.Value, days[win], audits("setting", models.SettingTaxDueDay, "update")-before)
			}
			// A save from the page as it was before the race is refused too.
			in := base
			in.ItemLimit, in.Revision = "40", ov.Revision
			if _, err := svc.SetSettings(ctx, admin, in); !apperr.Is(err, apperr.Conflict) {
				t.Errorf("stale settings form: %v", err)
			}
		})

		v, err := models.VerifyAudit(ctx, db, nil, nil)
		if err != nil || !v.OK() {
			t.Errorf("audit chain after the races: %v %+v", err, v)
		}
	})
}

// raceOnce runs do(0..n-1) at the same moment and returns the one i that succeeded; it fails the
// test unless exactly one did and every other got a conflict telling the user to reload.
func raceOnce(t *testing.T, n int, do func(i int) error) int {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = do(i)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("both %d and %d won", winner, i)
		case err == nil:
			winner = i
		case !apperr.Is(err, apperr.Conflict):
			t.Errorf("loser %d: %v, want a conflict", i, err)
		default:
			text := apperr.As(err).Text
			if !strings.Contains(strings.ToLower(text.En), "reload") || !strings.Contains(text.Zh, "刷新") {
				t.Errorf("loser %d: %q does not say to reload", i, text.En)
			}
		}
	}
	if winner < 0 {
		t.Fatalf("nobody won: %v", errs)
	}
	return winner
}
