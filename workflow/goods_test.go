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
	"mpt/workflow/refdata"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// goodsWorld is the seeded world with a service on the seed's clock, for the goods tests.
type goodsWorld struct {
	svc *workflow.Service
	db  *gorm.DB
	ref *refdata.Set
	*testkit.World
}

func newGoodsWorld(t testing.TB, db *gorm.DB) *goodsWorld {
	t.Helper()
	svc := servicetest.Service(t, db, nil)
	return &goodsWorld{svc: svc, db: db, ref: svc.Ref(), World: testkit.Seed(t, db)}
}

// actor is the seeded user with a username as the service sees them ("" is nobody).
func (w *goodsWorld) actor(t testing.TB, username string) workflow.Actor {
	t.Helper()
	return servicetest.Actor(t, w.World, username)
}

// count counts rows of a model matching a condition.
func (w *goodsWorld) count(t testing.TB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// insertGoods writes goods straight into the database, already in a status.
func (w *goodsWorld) insertGoods(t testing.TB, merchantID int64, sku, nameZh, nameEn, hs, status string) models.Goods {
	t.Helper()
	g := models.Goods{MerchantID: merchantID, SKU: sku, NameZh: nameZh, NameEn: nameEn, HSCode: hs, LegalUnit: "007",
		TransactionUnit: "007", Status: status, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	if err := w.db.Create(&g).Error; err != nil {
		t.Fatal(err)
	}
	return g
}

// validGoods is a registration that passes every check.
func validGoods() workflow.GoodsInput {
	return workflow.GoodsInput{SKU: "YW-001", NameZh: "塑料水杯", NameEn: "Plastic cup", HSCode: "3924100000",
		Spec: "350ml", Producer: "义乌市星光塑料厂", LegalUnit: "007", TransactionUnit: "007"}
}

func withGoods(f func(*workflow.GoodsInput)) workflow.GoodsInput {
	in := validGoods()
	f(&in)
	return in
}

// wantGoodsErr fails unless err carries code ("" for none) and, for a field, names it in both
// languages.
func wantGoodsErr(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if field == "" {
		return
	}
	for _, f := range apperr.As(err).Fields {
		if f.Field == field {
			if f.Text.En == "" || f.Text.Zh == "" {
				t.Errorf("field %s: message not in both languages: %+v", field, f.Text)
			}
			return
		}
	}
	t.Fatalf("error %v: no problem with field %q", err, field)
}

func TestIneligibleReason(t *testing.T) {
	prefixes := []models.HSPrefix{
		{ID: 1, List: models.ListIneligible, Prefix: "93", ReasonEn: "Arms", ReasonZh: "武器"},
		{ID: 2, List: models.ListIneligible, Prefix: "3604", ReasonEn: "Fireworks", ReasonZh: "烟花"},
		{ID: 3, List: models.ListIneligible, Prefix: "930320", ReasonEn: "Shotguns", ReasonZh: "猎枪"},
		{ID: 4, List: models.ListIneligible, Prefix: "9505100010", ReasonEn: "One code", ReasonZh: "单个编码"},
		{ID: 5, List: models.ListNotSimplifiable, Prefix: "3304", ReasonEn: "Cosmetics", ReasonZh: "化妆品"},
	}
	tests := []struct {
		name, hs  string
		ok        bool
		en, zh    string // parts both messages must contain
		notInBoth string
	}{
		{"ErrChapter", "9302000000", true, "chapter 93 is on the ineligible list: Arms", "第 93 章", ""},
		{"ErrHeading", "3604100000", true, "heading 3604 is on the ineligible list: Fireworks", "烟花", ""},
		{"ErrLongestPrefixWins", "9303200000", true, "Shotguns", "猎枪", "Arms"},
		{"ErrFullCode", "9505100010", true, "code 9505100010", "单个编码", ""},
		{"OKSiblingOfListedCode", "9505100090", false, "", "", ""},
		{"OKNotSimplifiableIsNotIneligible", "3304990000", false, "", "", ""},
		{"OKOther", "3924100000", false, "", "", ""},
		{"OKEmpty", "", false, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why, ok := workflow.IneligibleReason(prefixes, tt.hs)
			if ok != tt.ok {
				t.Fatalf("IneligibleReason(%q) ok = %v, want %v (%+v)", tt.hs, ok, tt.ok, why)
			}
			if !ok {
				return
			}
			if !strings.Contains(why.En, tt.en) || !strings.Contains(why.Zh, tt.zh) || !strings.Contains(why.En, tt.hs) {
				t.Errorf("reason = %+v, want %q and %q", why, tt.en, tt.zh)
			}
			if tt.notInBoth != "" && strings.Contains(why.En, tt.notInBoth) {
				t.Errorf("reason %q names the shorter prefix %q", why.En, tt.notInBoth)
			}
		})
	}
	why, ok := workflow.NotSimplifiableReason(prefixes, "3304990000")
	if !ok || !strings.Contains(why.En, "heading 3304") || !strings.Contains(why.Zh, "化妆品") {
		t.Errorf("NotSimplifiableReason = %+v, %v", why, ok)
	}
}

func TestBrandHit(t *testing.T) {
	watches := []models.BrandWatch{
		{ID: 1, Brand: "Disney", BrandKey: "disney", Holder: "Disney Enterprises, Inc."},
		{ID: 2, Brand: "Hello Kitty", BrandKey: "hellokitty", Holder: "Sanrio Co., Ltd."},
		{ID: 3, Brand: "Pokémon", BrandKey: "pokémon"},
		{ID: 4, Brand: "Disney Princess", BrandKey: "disneyprincess", Holder: "Disney"},
		{ID: 5, Brand: "迪士尼", BrandKey: "迪士尼"},
	}
	tests := []struct {
		name, brand string
		hit         int64 // watch id, 0 for none
	}{
		{"OKHitExact", "Disney", 1},
		{"OKHitCaseAndSpaces", "  HELLO   kitty ", 2},
		{"OKHitWithoutSpaces", "HelloKitty", 2},
		{"OKHitPunctuation", "Hello-Kitty®", 2},
		{"OKHitFullWidth", "ＤＩＳＮＥＹ", 1},
		{"OKHitContained", "Disney Frozen", 1},
		{"OKHitLongestWins", "Disney Princess Party", 4},
		{"OKHitAccent", "POKÉMON GO", 3},
		{"OKHitChinese", "正版迪士尼授权", 5},
		{"OKNoHitOwnBrand", "星光", 0},
		{"OKNoHitPartOfWatched", "Kitty", 0},
		{"OKNoHitEmpty", "   ", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, ok := workflow.BrandHit(watches, tt.brand)
			if tt.hit == 0 {
				if ok {
					t.Errorf("BrandHit(%q) = %s, want no hit", tt.brand, w.Brand)
				}
				return
			}
			if !ok || w.ID != tt.hit {
				t.Errorf("BrandHit(%q) = %d %v, want %d", tt.brand, w.ID, ok, tt.hit)
			}
		})
	}
	if got := workflow.BrandHoldText(watches[0]); got.En != "Brand watch list: Disney (Disney Enterprises, Inc.)" || !strings.Contains(got.Zh, "品牌监控名单") {
		t.Errorf("BrandHoldText = %+v", got)
	}
}

func TestCheckGoods(t *testing.T) {
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		in    workflow.GoodsInput
		field string // "" for valid
		check func(*testing.T, models.Goods)
	}{
		{"OK", validGoods(), "", nil},
		{"OKNormalised", withGoods(func(in *workflow.GoodsInput) {
			in.SKU, in.NameEn, in.HSCode, in.Spec = "  ＹＷ－００１ ", " Plastic   cup ", "3924.10.00.00", "  350ml  "
		}), "", func(t *testing.T, g models.Goods) {
			if g.SKU != "YW-001" || g.NameEn != "Plastic cup" || g.HSCode != "3924100000" || g.Spec != "350ml" {
				t.Errorf("normalised = %q %q %q %q", g.SKU, g.NameEn, g.HSCode, g.Spec)
			}
		}},
		{"OKEnglishNameOnly", withGoods(func(in *workflow.GoodsInput) { in.NameZh = "" }), "", nil},
		{"OKBranded", withGoods(func(in *workflow.GoodsInput) { in.Branded, in.Brand = true, "星光" }), "", nil},
		{"OKSecondUnit", withGoods(func(in *workflow.GoodsInput) { in.SecondUnit = "035" }), "", nil},
		{"ErrNoSKU", withGoods(func(in *workflow.GoodsInput) { in.SKU = "  " }), "sku", nil},
		{"ErrLongSKU", withGoods(func(in *workflow.GoodsInput) { in.SKU = strings.Repeat("A", 41) }), "sku", nil},
		{"ErrNoName", withGoods(func(in *workflow.GoodsInput) { in.NameZh, in.NameEn = " ", "" }), "name_zh", nil},
		{"ErrShortHS", withGoods(func(in *workflow.GoodsInput) { in.HSCode = "392410" }), "hs_code", nil},
		{"ErrUnknownSubheading", withGoods(func(in *workflow.GoodsInput) { in.HSCode = "9405400000" }), "hs_code", nil},
		{"ErrNoHS", withGoods(func(in *workflow.GoodsInput) { in.HSCode = "" }), "hs_code", nil},
		{"ErrBrandMissing", withGoods(func(in *workflow.GoodsInput) { in.Branded = true }), "brand", nil},
		{"ErrBrandNotBranded", withGoods(func(in *workflow.GoodsInput) { in.Brand = "Disney" }), "brand", nil},
		{"ErrNoLegalUnit", withGoods(func(in *workflow.GoodsInput) { in.LegalUnit = "" }), "legal_unit", nil},
		{"ErrUnknownUnit", withGoods(func(in *workflow.GoodsInput) { in.TransactionUnit = "999" }), "transaction_unit", nil},
		{"ErrSecondUnitSame", withGoods(func(in *workflow.GoodsInput) { in.SecondUnit = "007" }), "second_unit", nil},
		{"ErrControlCharacter", withGoods(func(in *workflow.GoodsInput) { in.Producer = "厂\x00" }), "producer", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, fe := workflow.CheckGoods(ref, tt.in)
			if tt.field == "" {
				if err := fe.Err(); err != nil {
					t.Fatalf("CheckGoods: %v", err)
				}
				if tt.check != nil {
					tt.check(t, g)
				}
				return
			}
			wantGoodsErr(t, fe.Err(), apperr.Invalid, tt.field)
		})
	}
}

func TestCreateGoods(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		ctx := context.Background()
		if _, err := w.svc.CreateGoods(ctx, w.actor(t, testkit.UserMerchantA), withGoods(func(in *workflow.GoodsInput) { in.SKU = "TAKEN" })); err != nil {
			t.Fatal(err)
		}
		if err := db.Model(&models.Merchant{}).Where("id = ?", w.MerchantB.ID).Update("status", models.MerchantSuspended).Error; err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			user   string
			in     workflow.GoodsInput
			code   apperr.Code
			field  string
			status string // the saved status
			reason string // part of the saved status reason
		}{
			{"OK", testkit.UserMerchantA, validGoods(), "", "", models.GoodsPending, ""},
			{"OKOwnBrand", testkit.UserMerchantA, withGoods(func(in *workflow.GoodsInput) { in.SKU, in.Branded, in.Brand = "B-1", true, "星光" }), "", "", models.GoodsPending, ""},
			{"OKHeldBrand", testkit.UserMerchantA, withGoods(func(in *workflow.GoodsInput) { in.SKU, in.Branded, in.Brand = "B-2", true, "disney" }),
				"", "", models.GoodsHeld, "Disney (Disney Enterprises, Inc.)"},
			{"OKHeldBrandContained", testkit.UserMerchantA, withGoods(func(in *workflow.GoodsInput) { in.SKU, in.Branded, in.Brand = "B-3", true, "Disney Frozen" }),
				"", "", models.GoodsHeld, "品牌监控名单：Disney"},
			{"OKSameSKUOtherMerchant", testkit.UserMerchantB + "-active", withGoods(func(in *workflow.GoodsInput) { in.SKU = "TAKEN" }), "", "", models.GoodsPending, ""},
			{"ErrIneligibleHS", testkit.UserMerchantA, withGoods(func(in *workflow.GoodsInput) { in.SKU, in.HSCode = "G-1", "9303200000" }), apperr.Invalid, "hs_code", "", ""},
			{"ErrIneligibleFireworks", testkit.UserMerchantA, withGoods(func(in *workflow.GoodsInput) { in.SKU, in.HSCode = "G-2", "3604100000" }), apperr.Invalid, "hs_code", "", ""},
			{"ErrDuplicateSKU", testkit.UserMerchantA, withGoods(func(in *workflow.GoodsInput) { in.SKU = "TAKEN" }), apperr.Invalid, "sku", "", ""},
			{"ErrInvalidFields", testkit.UserMerchantA, withGoods(func(in *workflow.GoodsInput) { in.SKU, in.HSCode = "E-1", "12" }), apperr.Invalid, "hs_code", "", ""},
			{"ErrMerchantNotActive", testkit.UserPending, validGoods(), apperr.Forbidden, "", "", ""},
			{"ErrMerchantSuspended", testkit.UserMerchantB, validGoods(), apperr.Forbidden, "", "", ""},
			{"ErrForbiddenAgent", testkit.UserAgentX, validGoods(), apperr.Forbidden, "", "", ""},
			{"ErrForbiddenSupervision", testkit.UserSupervisor, validGoods(), apperr.Forbidden, "", "", ""},
			{"ErrUnauthenticated", "", validGoods(), apperr.Unauthenticated, "", "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				user := tt.user
				if user == testkit.UserMerchantB+"-active" {
					user = testkit.UserMerchantB
					if err := db.Model(&models.Merchant{}).Where("id = ?", w.MerchantB.ID).Update("status", models.MerchantActive).Error; err != nil {
						t.Fatal(err)
					}
					defer db.Model(&models.Merchant{}).Where("id = ?", w.MerchantB.ID).Update("status", models.MerchantSuspended)
				}
				before := w.count(t, &models.Goods{}, "1 = 1")
				audits := w.count(t, &models.AuditEntry{}, "entity = ?", "goods")
				res, err := w.svc.CreateGoods(ctx, w.actor(t, user), tt.in)
				wantGoodsErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					if n := w.count(t, &models.Goods{}, "1 = 1"); n != before {
						t.Errorf("a refused create wrote goods: %d → %d", before, n)
					}
					if ae := apperr.As(err); ae.Text.En == "" || ae.Text.Zh == "" {
						t.Errorf("message not in both languages: %+v", ae.Text)
					}
					return
				}
				g := res.Goods
				if g.ID == 0 || g.Status != tt.status || g.Version != 1 || g.MerchantID != w.actor(t, user).MerchantID {
					t.Fatalf("saved %+v", g)
				}
				if !strings.Contains(g.StatusReason, tt.reason) {
					t.Errorf("status reason %q, want %q", g.StatusReason, tt.reason)
				}
				var stored models.Goods
				if err := db.Take(&stored, g.ID).Error; err != nil || stored.Status != tt.status || stored.HSCode != "3924100000" {
					t.Errorf("stored %+v, %v", stored, err)
				}
				reviews := w.count(t, &models.GoodsReview{}, "goods_id = ? AND to_status = ?", g.ID, models.GoodsHeld)
				if want := map[bool]int64{true: 1, false: 0}[tt.status == models.GoodsHeld]; reviews != want {
					t.Errorf("%d hold review rows, want %d", reviews, want)
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ?", "goods"); n != audits+1 {
					t.Errorf("audit entries %d → %d", audits, n)
				}
			})
		}
	})
}

func TestCreateGoodsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		keyed := withGoods(func(in *workflow.GoodsInput) { in.IdempotencyKey = "key-1" })
		first, err := w.svc.CreateGoods(ctx, a, keyed)
		if err != nil || first.Replayed {
			t.Fatalf("first create: %+v %v", first, err)
		}
		// A second user of the same merchant.
		other := models.User{Username: "merchant-a2", DisplayName: "A2", PasswordHash: "x", Role: models.RoleMerchant,
			MerchantID: &w.MerchantA.ID, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		if err := db.Create(&other).Error; err != nil {
			t.Fatal(err)
		}
		a2 := workflow.Actor{UserID: other.ID, Username: other.Username, Role: other.Role, MerchantID: w.MerchantA.ID}
		tests := []struct {
			name     string
			actor    workflow.Actor
			in       workflow.GoodsInput
			code     apperr.Code
			field    string
			replayed bool
		}{
			{"OKReplaySameKeySameBody", a, keyed, "", "", true},
			{"OKReplayNormalisedBody", a, withGoods(func(in *workflow.GoodsInput) {
				in.IdempotencyKey, in.SKU, in.HSCode = "key-1", " YW-001 ", "3924.1000.00"
			}), "", "", true},
			{"ErrConflictSameKeyOtherBody", a, withGoods(func(in *workflow.GoodsInput) { in.IdempotencyKey, in.Spec = "key-1", "500ml" }), apperr.Conflict, "", false},
			{"ErrConflictOtherKeySameSKU", a, withGoods(func(in *workflow.GoodsInput) { in.IdempotencyKey = "key-2" }), apperr.Conflict, "", false},
			{"ErrConflictOtherUserSameKey", a2, keyed, apperr.Conflict, "", false},
			{"ErrDuplicateSKUWithoutKey", a, validGoods(), apperr.Invalid, "sku", false},
			{"ErrInvalidBodyWithKey", a, withGoods(func(in *workflow.GoodsInput) { in.IdempotencyKey, in.HSCode = "key-1", "1" }), apperr.Invalid, "hs_code", false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := w.svc.CreateGoods(ctx, tt.actor, tt.in)
				wantGoodsErr(t, err, tt.code, tt.field)
				if err == nil && (res.Replayed != tt.replayed || res.Goods.ID != first.Goods.ID || res.Goods.Version != first.Goods.Version) {
					t.Errorf("answer %+v, want the first goods replayed", res)
				}
				if n := w.count(t, &models.Goods{}, "merchant_id = ?", w.MerchantA.ID); n != 1 {
					t.Errorf("%d goods, want exactly 1", n)
				}
			})
		}
	})
}

func TestUpdateGoods(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		fresh := func(t *testing.T, sku, status string) models.Goods {
			t.Helper()
			res, err := w.svc.CreateGoods(ctx, a, withGoods(func(in *workflow.GoodsInput) { in.SKU = sku }))
			if err != nil {
				t.Fatal(err)
			}
			if status != models.GoodsPending {
				if err := db.Model(&models.Goods{}).Where("id = ?", res.Goods.ID).Update("status", status).Error; err != nil {
					t.Fatal(err)
				}
			}
			return res.Goods
		}
		edit := func(g models.Goods, f func(*workflow.GoodsInput)) workflow.GoodsInput {
			in := withGoods(func(in *workflow.GoodsInput) { in.SKU = g.SKU })
			in.Version = g.Version
			if f != nil {
				f(&in)
			}
			return in
		}
		fresh(t, "OTHER", models.GoodsPending)
		tests := []struct {
			name       string
			user       string
			status     string // of the goods before
			change     func(*workflow.GoodsInput)
			code       apperr.Code
			field      string
			wantStatus string
			reviews    []string // "from>to" rows written
			requeued   bool
			unchanged  bool
		}{
			{"OKProducerKeepsRecognition", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.Producer = "金华某厂" },
				"", "", models.GoodsRecognised, nil, false, false},
			{"OKUnitKeepsRecognition", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.TransactionUnit = "006" },
				"", "", models.GoodsRecognised, nil, false, false},
			{"OKRequeuedOnHSChange", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.HSCode = "3924900000" },
				"", "", models.GoodsPending, []string{"recognised>pending"}, true, false},
			{"OKRequeuedOnNameChange", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.NameZh = "塑料杯" },
				"", "", models.GoodsPending, []string{"recognised>pending"}, true, false},
			{"OKRequeuedOnSpecChange", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.Spec = "500ml" },
				"", "", models.GoodsPending, []string{"recognised>pending"}, true, false},
			{"OKHeldOnWatchedBrand", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.Branded, in.Brand = true, "Hello Kitty" },
				"", "", models.GoodsHeld, []string{"recognised>pending", "pending>held"}, true, false},
			{"OKPendingStaysPending", testkit.UserMerchantA, models.GoodsPending, func(in *workflow.GoodsInput) { in.NameEn = "Plastic tumbler" },
				"", "", models.GoodsPending, nil, false, false},
			{"OKRejectedResubmitted", testkit.UserMerchantA, models.GoodsRejected, func(in *workflow.GoodsInput) { in.HSCode = "3924900000" },
				"", "", models.GoodsPending, []string{"rejected>pending"}, false, false},
			{"OKUnchanged", testkit.UserMerchantA, models.GoodsRecognised, nil, "", "", models.GoodsRecognised, nil, false, true},
			{"ErrStaleVersion", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.Version, in.Producer = 7, "x" },
				apperr.Conflict, "", "", nil, false, false},
			{"ErrNoVersion", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.Version = 0 },
				apperr.Invalid, "version", "", nil, false, false},
			{"ErrDuplicateSKU", testkit.UserMerchantA, models.GoodsPending, func(in *workflow.GoodsInput) { in.SKU = "OTHER" },
				apperr.Invalid, "sku", "", nil, false, false},
			{"ErrIneligibleHS", testkit.UserMerchantA, models.GoodsRecognised, func(in *workflow.GoodsInput) { in.HSCode = "9302000000" },
				apperr.Invalid, "hs_code", "", nil, false, false},
			{"ErrNotFoundForeignGoods", testkit.UserMerchantB, models.GoodsPending, func(in *workflow.GoodsInput) { in.Producer = "x" },
				apperr.NotFound, "", "", nil, false, false},
			{"ErrForbiddenSupervision", testkit.UserSupervisor, models.GoodsPending, func(in *workflow.GoodsInput) { in.Producer = "x" },
				apperr.Forbidden, "", "", nil, false, false},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				g := fresh(t, "U-"+string(rune('A'+i)), tt.status)
				g.Status = tt.status
				in := edit(g, tt.change)
				res, err := w.svc.UpdateGoods(ctx, w.actor(t, tt.user), g.ID, in)
				wantGoodsErr(t, err, tt.code, tt.field)
				var stored models.Goods
				if err := db.Take(&stored, g.ID).Error; err != nil {
					t.Fatal(err)
				}
				if tt.code != "" {
					if stored.Version != g.Version || stored.Status != tt.status {
						t.Errorf("a refused update changed the goods: %+v", stored)
					}
					return
				}
				if res.Requeued != tt.requeued || res.Unchanged != tt.unchanged {
					t.Errorf("requeued %v unchanged %v, want %v %v", res.Requeued, res.Unchanged, tt.requeued, tt.unchanged)
				}
				wantVersion := g.Version + 1
				if tt.unchanged {
					wantVersion = g.Version
				}
				if stored.Status != tt.wantStatus || stored.Version != wantVersion || stored.MerchantID != w.MerchantA.ID {
					t.Errorf("stored status %s version %d, want %s %d", stored.Status, stored.Version, tt.wantStatus, wantVersion)
				}
				var reviews []models.GoodsReview
				if err := db.Where("goods_id = ?", g.ID).Order("id").Find(&reviews).Error; err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, r := range reviews {
					got = append(got, r.FromStatus+">"+r.ToStatus)
				}
				if strings.Join(got, ",") != strings.Join(tt.reviews, ",") {
					t.Errorf("review rows %v, want %v", got, tt.reviews)
				}
				if len(reviews) > 0 && tt.requeued && !strings.Contains(reviews[0].Reason, "Changed after recognition") {
					t.Errorf("requeue reason %q", reviews[0].Reason)
				}
			})
		}
		t.Run("ErrMerchantNotActive", func(t *testing.T) {
			g := w.insertGoods(t, w.Pending.ID, "P-1", "水杯", "Cup", "3924100000", models.GoodsPending)
			in := withGoods(func(in *workflow.GoodsInput) { in.SKU, in.Version = "P-1", 1 })
			_, err := w.svc.UpdateGoods(ctx, w.actor(t, testkit.UserPending), g.ID, in)
			wantGoodsErr(t, err, apperr.Forbidden, "")
		})
	})
}

func TestGoodsDecisions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		ctx := context.Background()
		officer := w.actor(t, testkit.UserSupervisor)
		tests := []struct {
			name   string
			user   string
			kind   string
			status string // of the goods before
			hs     string
			d      workflow.GoodsDecision
			code   apperr.Code
			field  string
			want   string
		}{
			{"OKRecognise", testkit.UserSupervisor, workflow.GoodsRecognise, models.GoodsPending, "", workflow.GoodsDecision{Version: 1}, "", "", models.GoodsRecognised},
			{"OKRecogniseHeld", testkit.UserSupervisor, workflow.GoodsRecognise, models.GoodsHeld, "", workflow.GoodsDecision{Reason: "授权书已核", Version: 1}, "", "", models.GoodsRecognised},
			{"OKReject", testkit.UserSupervisor, workflow.GoodsReject, models.GoodsPending, "", workflow.GoodsDecision{Reason: "名称与实物不符", Version: 1}, "", "", models.GoodsRejected},
			{"OKWithdrawRecognition", testkit.UserSupervisor, workflow.GoodsReject, models.GoodsRecognised, "", workflow.GoodsDecision{Reason: "投诉属实", Version: 1}, "", "", models.GoodsRejected},
			{"OKHold", testkit.UserSupervisor, workflow.GoodsHold, models.GoodsRecognised, "", workflow.GoodsDecision{Reason: "抽查", Version: 1}, "", "", models.GoodsHeld},
			{"ErrRejectWithoutReason", testkit.UserSupervisor, workflow.GoodsReject, models.GoodsPending, "", workflow.GoodsDecision{Reason: "  ", Version: 1}, apperr.Invalid, "reason", ""},
			{"ErrHoldWithoutReason", testkit.UserSupervisor, workflow.GoodsHold, models.GoodsPending, "", workflow.GoodsDecision{Version: 1}, apperr.Invalid, "reason", ""},
			{"ErrStaleVersion", testkit.UserSupervisor, workflow.GoodsRecognise, models.GoodsPending, "", workflow.GoodsDecision{Version: 2}, apperr.Conflict, "", ""},
			{"ErrNoVersion", testkit.UserSupervisor, workflow.GoodsRecognise, models.GoodsPending, "", workflow.GoodsDecision{}, apperr.Invalid, "version", ""},
			{"ErrRecogniseRejected", testkit.UserSupervisor, workflow.GoodsRecognise, models.GoodsRejected, "", workflow.GoodsDecision{Version: 1}, apperr.Conflict, "", ""},
			{"ErrHoldHeld", testkit.UserSupervisor, workflow.GoodsHold, models.GoodsHeld, "", workflow.GoodsDecision{Reason: "x", Version: 1}, apperr.Conflict, "", ""},
			{"ErrRecogniseIneligible", testkit.UserSupervisor, workflow.GoodsRecognise, models.GoodsPending, "9302000000", workflow.GoodsDecision{Version: 1}, apperr.Invalid, "", ""},
			{"ErrForbiddenMerchant", testkit.UserMerchantA, workflow.GoodsRecognise, models.GoodsPending, "", workflow.GoodsDecision{Version: 1}, apperr.Forbidden, "", ""},
			{"ErrForbiddenAuditor", testkit.UserAuditor, workflow.GoodsHold, models.GoodsPending, "", workflow.GoodsDecision{Reason: "x", Version: 1}, apperr.Forbidden, "", ""},
		}
		decide := map[string]func(context.Context, workflow.Actor, int64, workflow.GoodsDecision) (*models.Goods, error){
			workflow.GoodsRecognise: w.svc.RecogniseGoods, workflow.GoodsReject: w.svc.RejectGoods, workflow.GoodsHold: w.svc.HoldGoods,
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hs := tt.hs
				if hs == "" {
					hs = "3924100000"
				}
				g := w.insertGoods(t, w.MerchantA.ID, "D-"+string(rune('A'+i)), "水杯", "Cup", hs, tt.status)
				audits := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ?", "goods", itoaGoods(g.ID))
				got, err := decide[tt.kind](ctx, w.actor(t, tt.user), g.ID, tt.d)
				wantGoodsErr(t, err, tt.code, tt.field)
				var stored models.Goods
				if err := db.Take(&stored, g.ID).Error; err != nil {
					t.Fatal(err)
				}
				if tt.code != "" {
					if stored.Status != tt.status || stored.Version != 1 || w.count(t, &models.GoodsReview{}, "goods_id = ?", g.ID) != 0 {
						t.Errorf("a refused decision changed the goods: %+v", stored)
					}
					return
				}
				if got.Status != tt.want || stored.Status != tt.want || stored.Version != 2 {
					t.Errorf("status %s (stored %s, version %d), want %s", got.Status, stored.Status, stored.Version, tt.want)
				}
				if stored.ReviewedAt == nil || !stored.ReviewedAt.Equal(testkit.Now) || stored.ReviewedBy == nil || *stored.ReviewedBy != officer.UserID {
					t.Errorf("reviewed %v by %v", stored.ReviewedAt, stored.ReviewedBy)
				}
				var r models.GoodsReview
				if err := db.Where("goods_id = ?", g.ID).Take(&r).Error; err != nil {
					t.Fatal(err)
				}
				if r.FromStatus != tt.status || r.ToStatus != tt.want || r.Reason != strings.TrimSpace(tt.d.Reason) || r.ActorUserID == nil || *r.ActorUserID != officer.UserID {
					t.Errorf("review row %+v", r)
				}
				if n := w.count(t, &models.AuditEntry{}, "entity = ? AND entity_id = ? AND action = ?", "goods", itoaGoods(g.ID), tt.kind); n != audits+1 {
					t.Errorf("%d audit entries for %s", n, tt.kind)
				}
			})
		}
	})
}

func itoaGoods(id int64) string { return strconv.FormatInt(id, 10) }

func TestGoodsScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		ctx := context.Background()
		ga := w.insertGoods(t, w.MerchantA.ID, "A-1", "发夹", "Hair clip", "9615110000", models.GoodsRecognised)
		gb := w.insertGoods(t, w.MerchantB.ID, "B-1", "毛绒玩具", "Plush toy", "9503002100", models.GoodsPending)
		tests := []struct {
			name string
			user string
			see  []int64 // goods ids the list shows
			code apperr.Code
		}{
			{"OKMerchantOwn", testkit.UserMerchantA, []int64{ga.ID}, ""},
			{"OKOtherMerchantOwn", testkit.UserMerchantB, []int64{gb.ID}, ""},
			{"OKPendingMerchantNothing", testkit.UserPending, nil, ""},
			{"OKAgentEntrusting", testkit.UserAgentX, []int64{ga.ID}, ""},
			{"OKAgentOtherEntrusting", testkit.UserAgentY, []int64{gb.ID}, ""},
			{"OKSupervisionAll", testkit.UserSupervisor, []int64{gb.ID, ga.ID}, ""},
			{"OKAuditorAll", testkit.UserAuditor, []int64{gb.ID, ga.ID}, ""},
			{"OKAdminAll", testkit.UserAdmin, []int64{gb.ID, ga.ID}, ""},
			{"ErrForbiddenCustoms", testkit.UserCustoms, nil, apperr.Forbidden},
			{"ErrForbiddenTax", testkit.UserTax, nil, apperr.Forbidden},
			{"ErrUnauthenticated", "", nil, apperr.Unauthenticated},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				actor := w.actor(t, tt.user)
				list, err := w.svc.GoodsList(ctx, actor, workflow.GoodsFilter{})
				wantGoodsErr(t, err, tt.code, "")
				if err != nil {
					return
				}
				var got []int64
				for _, r := range list.Rows {
					got = append(got, r.ID)
					if r.MerchantName == "" {
						t.Errorf("row %d has no merchant name", r.ID)
					}
				}
				if len(got) != len(tt.see) || int(list.Total) != len(tt.see) {
					t.Fatalf("list %v (total %d), want %v", got, list.Total, tt.see)
				}
				for i := range got {
					if got[i] != tt.see[i] {
						t.Fatalf("list %v, want %v", got, tt.see)
					}
				}
				for _, g := range []models.Goods{ga, gb} {
					_, err := w.svc.GoodsDetail(ctx, actor, g.ID)
					visible := false
					for _, id := range tt.see {
						visible = visible || id == g.ID
					}
					if visible && err != nil {
						t.Errorf("detail of visible goods %d: %v", g.ID, err)
					}
					if !visible && !apperr.Is(err, apperr.NotFound) {
						t.Errorf("detail of goods %d outside scope: %v, want not found", g.ID, err)
					}
				}
			})
		}
	})
}

func TestGoodsListFilters(t *testing.T) {
	w := newGoodsWorld(t, dbtest.SQLite(t))
	ctx := context.Background()
	a := w.actor(t, testkit.UserMerchantA)
	w.insertGoods(t, w.MerchantA.ID, "HC-1", "发夹", "Hair Clip", "9615110000", models.GoodsRecognised)
	w.insertGoods(t, w.MerchantA.ID, "TOY-1", "毛绒玩具", "Plush toy", "9503002100", models.GoodsPending)
	w.insertGoods(t, w.MerchantA.ID, "TOY-2", "积木", "Building blocks", "9503008100", models.GoodsRecognised)
	tests := []struct {
		name  string
		f     workflow.GoodsFilter
		want  int
		field string
	}{
		{"OKAll", workflow.GoodsFilter{}, 3, ""},
		{"OKStatus", workflow.GoodsFilter{Status: models.GoodsRecognised}, 2, ""},
		{"OKChapter", workflow.GoodsFilter{Chapter: "95"}, 2, ""},
		{"OKChapterAndStatus", workflow.GoodsFilter{Chapter: "95", Status: models.GoodsPending}, 1, ""},
		{"OKSearchSKUAnyCase", workflow.GoodsFilter{Query: "toy-"}, 2, ""},
		{"OKSearchChinese", workflow.GoodsFilter{Query: "玩具"}, 1, ""},
		{"OKSearchEnglishAnyCase", workflow.GoodsFilter{Query: "hair clip"}, 1, ""},
		{"OKSearchWildcardIsLiteral", workflow.GoodsFilter{Query: "%"}, 0, ""},
		{"ErrStatus", workflow.GoodsFilter{Status: "lost"}, 0, "status"},
		{"ErrChapter", workflow.GoodsFilter{Chapter: "77"}, 0, "chapter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := w.svc.GoodsList(ctx, a, tt.f)
			if tt.field != "" {
				wantGoodsErr(t, err, apperr.Invalid, tt.field)
				return
			}
			if err != nil || len(list.Rows) != tt.want {
				t.Fatalf("%v rows, err %v; want %d", list, err, tt.want)
			}
		})
	}
}

func TestGoodsQueueSaysWhyEachWaits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		ctx := context.Background()
		a, officer := w.actor(t, testkit.UserMerchantA), w.actor(t, testkit.UserSupervisor)
		create := func(in workflow.GoodsInput) models.Goods {
			t.Helper()
			res, err := w.svc.CreateGoods(ctx, a, in)
			if err != nil {
				t.Fatal(err)
			}
			return res.Goods
		}
		fresh := create(withGoods(func(in *workflow.GoodsInput) { in.SKU = "NEW" }))
		brand := create(withGoods(func(in *workflow.GoodsInput) { in.SKU, in.Branded, in.Brand = "BRAND", true, "Disney" }))
		changed := create(withGoods(func(in *workflow.GoodsInput) { in.SKU = "CHANGED" }))
		g, err := w.svc.RecogniseGoods(ctx, officer, changed.ID, workflow.GoodsDecision{Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.UpdateGoods(ctx, a, g.ID, withGoods(func(in *workflow.GoodsInput) {
			in.SKU, in.HSCode, in.Version = "CHANGED", "3924900000", g.Version
		})); err != nil {
			t.Fatal(err)
		}
		held := create(withGoods(func(in *workflow.GoodsInput) { in.SKU = "HELD" }))
		if _, err := w.svc.HoldGoods(ctx, officer, held.ID, workflow.GoodsDecision{Reason: "抽检", Version: 1}); err != nil {
			t.Fatal(err)
		}
		cosmetics := create(withGoods(func(in *workflow.GoodsInput) { in.SKU, in.HSCode = "CREAM", "3304990000" }))
		done := create(withGoods(func(in *workflow.GoodsInput) { in.SKU = "DONE" }))
		if _, err := w.svc.RecogniseGoods(ctx, officer, done.ID, workflow.GoodsDecision{Version: 1}); err != nil {
			t.Fatal(err)
		}

		q, err := w.svc.GoodsQueue(ctx, officer, workflow.GoodsQueueFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]string{fresh.ID: workflow.WaitNew, brand.ID: workflow.WaitBrand, changed.ID: workflow.WaitChanged,
			held.ID: workflow.WaitHeld, cosmetics.ID: workflow.WaitNew}
		if len(q.Items) != len(want) || q.Total != int64(len(want)) {
			t.Fatalf("%d items in the queue, want %d", len(q.Items), len(want))
		}
		for _, it := range q.Items {
			if it.Wait.Kind != want[it.Goods.ID] {
				t.Errorf("%s waits for %q, want %q", it.Goods.SKU, it.Wait.Kind, want[it.Goods.ID])
			}
			if it.MerchantName != w.MerchantA.Name || it.HS.Subheading.Description == "" || it.Wait.Text.En == "" || it.Wait.Text.Zh == "" {
				t.Errorf("item %+v lacks merchant, description or reason", it)
			}
			switch it.Goods.ID {
			case brand.ID:
				if it.Wait.Text.En != "Brand watch list: Disney (Disney Enterprises, Inc.)" {
					t.Errorf("brand reason %q", it.Wait.Text.En)
				}
			case held.ID:
				if !strings.Contains(it.Wait.Text.Zh, "抽检") {
					t.Errorf("held reason %q", it.Wait.Text.Zh)
				}
			case cosmetics.ID:
				if !strings.Contains(it.NotSimplifiable.En, "heading 3304") {
					t.Errorf("not-simplifiable note %+v", it.NotSimplifiable)
				}
			}
		}
		if q, err := w.svc.GoodsQueue(ctx, officer, workflow.GoodsQueueFilter{Status: models.GoodsHeld}); err != nil || len(q.Items) != 2 {
			t.Errorf("held filter: %v, %v", q, err)
		}
		if _, err := w.svc.GoodsQueue(ctx, a, workflow.GoodsQueueFilter{}); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("merchant reads the queue: %v", err)
		}
		d, err := w.svc.GoodsDetail(ctx, a, changed.ID)
		if err != nil || d.Wait.Kind != workflow.WaitChanged || len(d.History) != 2 || d.History[0].ActorName == "" {
			t.Errorf("detail %+v, %v", d, err)
		}
	})
}
