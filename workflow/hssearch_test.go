package workflow_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/testkit"
)

func TestNameTerms(t *testing.T) {
	han := func(ts ...string) []workflow.NameTerm {
		var out []workflow.NameTerm
		for _, s := range ts {
			out = append(out, workflow.NameTerm{Text: s, Han: true})
		}
		return out
	}
	latin := func(ts ...string) []workflow.NameTerm {
		var out []workflow.NameTerm
		for _, s := range ts {
			out = append(out, workflow.NameTerm{Text: s})
		}
		return out
	}
	tests := []struct {
		name  string
		texts []string
		want  []workflow.NameTerm
	}{
		{"OKChineseBigrams", []string{"塑料水杯"}, han("塑料", "料水", "水杯")},
		{"OKChineseTwo", []string{"水杯"}, han("水杯")},
		{"OKChineseLoneCharacter", []string{"杯"}, han("杯")},
		{"OKChineseRunsSplitByPunctuation", []string{"儿童，玩具"}, han("儿童", "玩具")},
		{"OKEnglishWordsSingular", []string{"Plastic Cups"}, latin("plastic", "cup")},
		{"OKEnglishPlurals", []string{"boxes brushes glasses batteries bus"}, latin("box", "brush", "glass", "battery", "bus")},
		{"OKStopWordsAndDigitsSkipped", []string{"set of 12 cups, for the kitchen"}, latin("set", "cup", "kitchen")},
		{"OKMixed", []string{"LED灯"}, append(latin("led"), han("灯")...)},
		{"OKFullWidth", []string{"ＬＥＤ ｌａｍｐ"}, latin("led", "lamp")},
		{"OKSeveralNamesNoRepeats", []string{"水杯", "water cup", "水杯"}, append(han("水杯"), latin("water", "cup")...)},
		{"OKCodesOnly", []string{"9503.00"}, nil},
		{"OKEmpty", []string{"", "  "}, nil},
		{"OKAtMostTwelve", []string{"一二三四五六七八九十百千万亿"}, han("一二", "二三", "三四", "四五", "五六", "六七", "七八", "八九", "九十", "十百", "百千", "千万")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.NameTerms(tt.texts...); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("NameTerms(%q) = %v, want %v", tt.texts, got, tt.want)
			}
		})
	}
	for n, want := range map[int][2]int{1: {1, 1}, 2: {1, 2}, 3: {2, 2}, 4: {2, 3}, 6: {3, 4}} {
		if got := [2]int{workflow.MinTermMatches(n), workflow.StrongTermMatches(n)}; got != want {
			t.Errorf("term matches of %d = %v, want %v", n, got, want)
		}
	}
}

// marketGoods registers goods across both merchants, recognised unless said otherwise, so the
// suggestions have uses to count.
func marketGoods(t testing.TB, w *goodsWorld) {
	t.Helper()
	rows := []struct {
		merchant       int64
		nameZh, nameEn string
		hs, status     string
		copies         int
	}{
		{w.MerchantA.ID, "塑料水杯", "Plastic water cup", "3924100000", models.GoodsRecognised, 3},
		{w.MerchantB.ID, "塑料水杯", "Plastic cup", "3924100000", models.GoodsRecognised, 2},
		{w.MerchantB.ID, "塑料水杯", "Plastic cup", "3924900000", models.GoodsRecognised, 1},
		{w.MerchantA.ID, "玻璃水杯", "Glass cup", "7013370000", models.GoodsRecognised, 2},
		{w.MerchantA.ID, "水杯", "Cup", "9617001900", models.GoodsPending, 9}, // not recognised: never counted
		{w.MerchantB.ID, "塑料衣架", "Plastic hanger", "3926909000", models.GoodsRecognised, 4},
		{w.MerchantA.ID, "圣诞彩球", "Christmas ball", "9505100090", models.GoodsRecognised, 2},
	}
	n := 0
	for _, r := range rows {
		for range r.copies {
			n++
			w.insertGoods(t, r.merchant, fmt.Sprintf("S-%03d", n), r.nameZh, r.nameEn, r.hs, r.status)
		}
	}
}

func TestSearchHS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		marketGoods(t, w)
		ctx := context.Background()
		tests := []struct {
			name        string
			user        string
			q           workflow.HSQuery
			match       string   // a code the nomenclature matches must include, "" for none
			firstMatch  string   // the first match's code, "" to skip
			suggestions []string // "code×goods", in order
			code        apperr.Code
		}{
			{"OKWords", testkit.UserMerchantA, workflow.HSQuery{Text: "christmas"}, "950510", "950510", []string{"9505100090×2"}, ""},
			{"OKCodeDigits", testkit.UserMerchantA, workflow.HSQuery{Text: "3924"}, "392410", "392410", nil, ""},
			{"OKCodeWithDots", testkit.UserAgentX, workflow.HSQuery{Text: "3924.10"}, "392410", "392410", nil, ""},
			{"OKChineseRankedByUse", testkit.UserMerchantB, workflow.HSQuery{Text: "塑料水杯"}, "", "",
				[]string{"3924100000×5", "3924900000×1"}, ""},
			{"OKChineseShortName", testkit.UserSupervisor, workflow.HSQuery{Text: "水杯"}, "", "",
				[]string{"3924100000×5", "7013370000×2", "3924900000×1"}, ""},
			{"OKEnglishWords", testkit.UserCustoms, workflow.HSQuery{Text: "plastic cups"}, "", "",
				[]string{"3924100000×5", "3924900000×1", "3926909000×4", "7013370000×2"}, ""},
			{"OKNamesWhenNoWords", testkit.UserMerchantA, workflow.HSQuery{Text: "39", Names: []string{"玻璃水杯", ""}}, "390110", "390110", []string{"7013370000×2"}, ""},
			{"OKNothing", testkit.UserMerchantA, workflow.HSQuery{Text: "zzzqqq"}, "", "", nil, ""},
			{"OKEmpty", testkit.UserMerchantA, workflow.HSQuery{}, "", "", nil, ""},
			{"ErrForbiddenTax", testkit.UserTax, workflow.HSQuery{Text: "cup"}, "", "", nil, apperr.Forbidden},
			{"ErrUnauthenticated", "", workflow.HSQuery{Text: "cup"}, "", "", nil, apperr.Unauthenticated},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				res, err := w.svc.SearchHS(ctx, w.actor(t, tt.user), tt.q)
				wantGoodsErr(t, err, tt.code, "")
				if err != nil {
					return
				}
				if tt.firstMatch != "" && (len(res.Matches) == 0 || res.Matches[0].Entry.Code != tt.firstMatch) {
					t.Errorf("first match %v, want %s", res.Matches, tt.firstMatch)
				}
				found := tt.match == ""
				for _, m := range res.Matches {
					found = found || m.Entry.Code == tt.match
					if m.Chapter.Code == "" || (m.Entry.Level == 6 && m.Heading.Code != m.Entry.Code[:4]) {
						t.Errorf("match %s has no context: %+v", m.Entry.Code, m)
					}
				}
				if !found {
					t.Errorf("matches %v lack %s", res.Matches, tt.match)
				}
				var got []string
				for _, s := range res.Suggestions {
					got = append(got, fmt.Sprintf("%s×%d", s.Code, s.Goods))
					if s.HS.Subheading.Description == "" || (s.NameZh == "" && s.NameEn == "") {
						t.Errorf("suggestion %s lacks its description or example name: %+v", s.Code, s)
					}
				}
				if strings.Join(got, " ") != strings.Join(tt.suggestions, " ") {
					t.Errorf("suggestions %v, want %v", got, tt.suggestions)
				}
			})
		}
		// Codes in use under a matched subheading.
		res, err := w.svc.SearchHS(ctx, w.actor(t, testkit.UserMerchantA), workflow.HSQuery{Text: "plastics tableware"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Matches) == 0 || res.Matches[0].Entry.Code != "392410" || len(res.Matches[0].Codes) != 1 ||
			res.Matches[0].Codes[0] != (workflow.HSCodeUse{Code: "3924100000", Goods: 5}) {
			t.Errorf("tableware matches %+v", res.Matches)
		}
	})
}

// TestSearchHSRevealsNoMerchant: nothing in a search answer can name the merchant that
// registered the goods behind a suggestion.
func TestSearchHSRevealsNoMerchant(t *testing.T) {
	for _, typ := range []reflect.Type{reflect.TypeFor[workflow.HSSuggestion](), reflect.TypeFor[workflow.HSMatch](), reflect.TypeFor[workflow.HSCodeUse]()} {
		for f := range typ.Fields() {
			if name := strings.ToLower(f.Name); strings.Contains(name, "merchant") || strings.Contains(name, "sku") || name == "id" {
				t.Errorf("%s.%s could reveal who registered the goods", typ.Name(), f.Name)
			}
		}
	}
}

func TestDescribeHS(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newGoodsWorld(t, db)
		marketGoods(t, w)
		ctx := context.Background()
		a := w.actor(t, testkit.UserMerchantA)
		tests := []struct {
			name                  string
			raw                   string
			complete, ok          bool
			description           string // part of the most precise description
			ineligible, notSimple bool
			uses                  int64
			codes                 int
		}{
			{"OKEmpty", "", false, false, "", false, false, 0, 0},
			{"OKChapterSoFar", "39", false, false, "Plastics", false, false, 0, 0},
			{"OKSubheadingSoFar", "392410", false, false, "tableware and kitchenware", false, false, 0, 1},
			{"OKComplete", "3924100000", true, true, "tableware and kitchenware", false, false, 5, 0},
			{"OKCompleteWithDots", "3924.10.00.00", true, true, "tableware", false, false, 5, 0},
			{"OKNotSimplifiable", "3304990000", true, true, "Cosmetic", false, true, 0, 0},
			{"ErrIneligibleAlreadyAtChapter", "93", false, false, "Arms and ammunition", true, false, 0, 0},
			{"ErrIneligibleComplete", "3604100000", true, true, "fireworks", true, false, 0, 0},
			{"ErrNotSubheading", "9405400000", true, false, "Luminaires", false, false, 0, 0},
			{"ErrLetters", "39x4", true, false, "", false, false, 0, 0},
			{"ErrTooLong", "39241000001", true, false, "tableware", false, false, 0, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d, err := w.svc.DescribeHS(ctx, a, tt.raw)
				if err != nil {
					t.Fatal(err)
				}
				if d.Complete != tt.complete || d.OK != tt.ok {
					t.Errorf("complete %v ok %v, want %v %v (%+v)", d.Complete, d.OK, tt.complete, tt.ok, d.Problem)
				}
				if d.Complete && !d.OK && (d.Problem.En == "" || d.Problem.Zh == "") {
					t.Errorf("no problem given for %q", tt.raw)
				}
				if !strings.Contains(d.HS.Description(), tt.description) {
					t.Errorf("description %q, want %q", d.HS.Description(), tt.description)
				}
				if (d.Ineligible.En != "") != tt.ineligible || (d.NotSimplifiable.En != "") != tt.notSimple {
					t.Errorf("ineligible %+v not simplifiable %+v", d.Ineligible, d.NotSimplifiable)
				}
				if d.Uses != tt.uses || len(d.Codes) != tt.codes {
					t.Errorf("uses %d codes %v, want %d and %d codes", d.Uses, d.Codes, tt.uses, tt.codes)
				}
			})
		}
		if _, err := w.svc.DescribeHS(ctx, w.actor(t, testkit.UserFX), "3924"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("fx describes: %v", err)
		}
	})
}

// BenchmarkSearchHS measures both kinds of search over a market of 20,000 recognised goods on
// SQLite: the nomenclature by words (in memory, plus the codes in use) and the suggestions
// from goods names (a scan of the goods table).
func BenchmarkSearchHS(b *testing.B) {
	w := newGoodsWorld(b, dbtest.SQLite(b))
	names := []struct{ zh, en, hs string }{
		{"塑料水杯", "Plastic cup", "3924100000"}, {"玻璃水杯", "Glass cup", "7013370000"},
		{"毛绒玩具", "Plush toy", "9503002100"}, {"圣诞彩球", "Christmas ball", "9505100090"},
		{"发夹", "Hair clip", "9615110000"}, {"不锈钢保温杯", "Vacuum flask", "9617001100"},
		{"LED灯串", "LED string light", "9405419000"}, {"合金耳环", "Alloy earrings", "7117190000"},
	}
	rows := make([]models.Goods, 0, 20000)
	for i := range 20000 {
		n := names[i%len(names)]
		m := w.MerchantA.ID
		if i%2 == 1 {
			m = w.MerchantB.ID
		}
		rows = append(rows, models.Goods{MerchantID: m, SKU: fmt.Sprintf("B%05d", i), NameZh: fmt.Sprintf("%s%d号", n.zh, i%97),
			NameEn: n.en, HSCode: n.hs, LegalUnit: "007", TransactionUnit: "007", Status: models.GoodsRecognised,
			Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now})
	}
	if err := w.db.CreateInBatches(rows, 500).Error; err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	a := w.actor(b, testkit.UserMerchantA)
	for _, bc := range []struct {
		name string
		q    workflow.HSQuery
	}{
		{"Nomenclature", workflow.HSQuery{Text: "9503"}},
		{"NomenclatureWords", workflow.HSQuery{Text: "christmas"}},
		{"SuggestionsChinese", workflow.HSQuery{Text: "塑料水杯"}},
		{"SuggestionsEnglish", workflow.HSQuery{Text: "plastic cups"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := w.svc.SearchHS(ctx, a, bc.q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
