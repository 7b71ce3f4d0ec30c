package workflow_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

// benchLines is a consolidation of n lines from 50 merchants and 3 buyers over 200 kinds of
// goods in 40 chapters, values USD 5–6,000, a few not simplifiable: a seeded, reproducible draw.
func benchLines(seed uint64, n int) []workflow.DeclLine {
	r := rand.New(rand.NewPCG(seed, 1039))
	chapters := []string{"39", "42", "44", "46", "48", "49", "56", "57", "58", "61", "62", "63", "64", "65", "66", "67",
		"69", "70", "71", "73", "74", "76", "82", "83", "84", "85", "87", "90", "91", "92", "94", "95", "96", "97", "40", "59", "60", "68", "81", "86"}
	units := []string{"007", "011", "035", "025"}
	out := make([]workflow.DeclLine, n)
	for i := range out {
		g := r.IntN(200)
		hs := fmt.Sprintf("%s%08d", chapters[g%len(chapters)], 1_000_000+g)
		out[i] = workflow.DeclLine{LineID: int64(i + 1), BuyerID: int64(1 + r.IntN(3)), HSCode: hs, Name: fmt.Sprintf("goods %d", g),
			Spec: fmt.Sprintf("merchant %d", r.IntN(50)%3), LegalUnit: units[(g+r.IntN(8)/7)%len(units)],
			Quantity: models.Quantity(1000 * (1 + r.IntN(500))), ValueUSD: models.Money(500 + r.IntN(600_000)),
			NetGrams: models.Grams(1000 + r.IntN(50_000)), Cartons: int64(1 + r.IntN(20)), NotSimplifiable: r.IntN(50) == 0}
		out[i].Value = out[i].ValueUSD
		out[i].GrossGrams = out[i].NetGrams + 500
	}
	return out
}

// TestSplitProperties: over random consolidations, every line lands in exactly one item of
// exactly one declaration, totals are preserved, every declaration is within the cap and the
// item limit and holds one buyer, and the same input gives the same output.
func TestSplitProperties(t *testing.T) {
	for seed := range uint64(40) {
		n := 1 + int(seed*37)%1500
		lines := benchLines(seed, n)
		capUSD, limit := models.Money(150_000_00), 50
		if seed%4 == 1 {
			capUSD, limit = 20_000_00, 8 // tight limits force many splits
		}
		groups, refused := workflow.SplitDeclarations(slices.Clone(lines), capUSD, limit)
		seen := map[int64]int{}
		var in, out models.Money
		for _, l := range lines {
			in += l.ValueUSD
		}
		for _, r := range refused {
			seen[r.LineID]++
			for _, l := range lines {
				if l.LineID == r.LineID {
					in -= l.ValueUSD
				}
			}
		}
		for _, g := range groups {
			var sum models.Money
			if len(g.Items) > limit || g.ValueUSD > capUSD {
				t.Fatalf("seed %d: declaration over the limits: %d items, USD %s", seed, len(g.Items), g.ValueUSD)
			}
			for _, it := range g.Items {
				var itemSum models.Money
				for _, l := range it.Lines {
					seen[l.LineID]++
					itemSum += l.ValueUSD
					if l.BuyerID != g.BuyerID {
						t.Fatalf("seed %d: line %d of buyer %d in buyer %d's declaration", seed, l.LineID, l.BuyerID, g.BuyerID)
					}
				}
				if itemSum != it.ValueUSD {
					t.Fatalf("seed %d: item %d sums %s, holds %s", seed, it.No, it.ValueUSD, itemSum)
				}
				sum += it.ValueUSD
			}
			if sum != g.ValueUSD {
				t.Fatalf("seed %d: items sum %s, declaration %s", seed, sum, g.ValueUSD)
			}
			out += sum
		}
		for _, l := range lines {
			if seen[l.LineID] != 1 {
				t.Fatalf("seed %d: line %d appears %d times", seed, l.LineID, seen[l.LineID])
			}
		}
		if in != out {
			t.Fatalf("seed %d: USD in %s, out %s", seed, in, out)
		}
		shuffled := slices.Clone(lines)
		rand.New(rand.NewPCG(seed, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		again, _ := workflow.SplitDeclarations(shuffled, capUSD, limit)
		if fmt.Sprint(again) != fmt.Sprint(groups) {
			t.Fatalf("seed %d: same lines in another order gave another result", seed)
		}
	}
}

// TestGeneratePersistedProperties: random consolidations generated into the database: every
// line in exactly one correspondence row, USD preserved, within cap and item limit, and the
// same consolidation generated again (after cancelling) gives the same declarations.
func TestGeneratePersistedProperties(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newDeclWorld(t, db) // one seeded world per database: a second seed reuses it
		for seed := range uint64(3) {
			c, want := w.randomConsolidation(t, seed, 150+int(seed)*100)
			first := w.snapshot(t, w.generate(t, c))
			if first.usd != want || first.rows != first.lines || first.maxItems > 50 || first.maxUSD > 150_000_00 {
				t.Fatalf("seed %d: %+v, want USD %s", seed, first, want)
			}
			for _, d := range first.decls {
				if _, err := w.svc.CancelDeclaration(context.Background(), w.actor(testkit.UserAgentX), d.ID, workflow.CancelInput{ReasonCode: "duplicate"}); err != nil {
					t.Fatal(err)
				}
			}
			second := w.snapshot(t, w.generate(t, c))
			if first.shape != second.shape {
				t.Fatalf("seed %d: regenerated differently", seed)
			}
		}
	})
}

type genSnapshot struct {
	decls                 []models.Declaration
	usd, maxUSD           models.Money
	rows, lines, maxItems int
	shape                 string
}

func (w *declWorld) snapshot(t testing.TB, res *workflow.GenerateResult) genSnapshot {
	t.Helper()
	s := genSnapshot{decls: res.Declarations}
	seen := map[int64]bool{}
	for _, d := range res.Declarations {
		det := w.detail(t, d.ID)
		s.usd += d.TotalUSD
		s.maxUSD = max(s.maxUSD, d.TotalUSD)
		s.maxItems = max(s.maxItems, len(det.Items))
		s.shape += fmt.Sprintf("[%d %s %s", d.BuyerID, d.Currency, d.TotalUSD)
		for _, it := range det.Items {
			s.shape += fmt.Sprintf(" %d:%s:%s:%s:%d", it.ItemNo, it.Kind, it.HSCode, it.TotalUSD, len(it.Lines))
			for _, l := range it.Lines {
				s.rows++
				if !seen[l.LineID] {
					seen[l.LineID] = true
					s.lines++
				}
			}
		}
		s.shape += "]"
	}
	return s
}

// randomConsolidation writes n random lines of 50 merchants and 3 buyers (USD, EUR, CNY) into
// a closed consolidation of agent X and returns it with the lines' total in USD.
func (w *declWorld) randomConsolidation(t testing.TB, seed uint64, n int) (models.Consolidation, models.Money) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 29))
	merchants := []int64{w.MerchantA.ID, w.MerchantB.ID}
	for i := len(merchants); i < 50; i++ {
		m := models.Merchant{USCC: fmt.Sprintf("BENCH%02d%011d", seed, i), Name: fmt.Sprintf("商户%02d", i), Status: models.MerchantActive,
			CreditClass: models.CreditB, Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
		w.create(t, &m)
		merchants = append(merchants, m.ID)
	}
	b3 := models.Buyer{Name: "Maria Lopez", Nationality: "ES", DocType: "passport", DocNumber: fmt.Sprintf("X%07d", seed),
		Version: 1, CreatedAt: testkit.Now, UpdatedAt: testkit.Now}
	w.create(t, &b3)
	buyers := []int64{w.BuyerA.ID, w.BuyerB.ID, b3.ID}
	hs := []string{"9503002100", "3924100000", "6307900000", "9505100000", "8513101000", "3926400000", "6117100000", "4202220000", "7117190000", "9615110000"}
	goods := map[[2]int64]models.Goods{}
	rates := map[string]models.Rate{"USD": 7_100_000, "EUR": 7_700_000, "CNY": 1_000_000}
	currencies := []string{"USD", "EUR", "CNY"}
	var all []models.TransactionLine
	var total models.Money
	for len(all) < n {
		m := merchants[r.IntN(len(merchants))]
		cur := currencies[r.IntN(3)]
		var specs []lineSpec
		for range 1 + r.IntN(10) {
			gi := int64(r.IntN(len(hs)))
			g, ok := goods[[2]int64{m, gi}]
			if !ok {
				g = w.goods(t, m, hs[gi], "商品"+hs[gi][:4], "", "007", models.GoodsRecognised)
				goods[[2]int64{m, gi}] = g
			}
			amt := models.Money(100 + r.IntN(2_000_000))
			specs = append(specs, lineSpec{goods: g, amount: amt, cartons: 1 + int64(r.IntN(10)), netKg: models.Grams(1000 * (1 + r.IntN(40)))})
			if cur == "USD" {
				total += amt
			} else {
				u, _ := models.FromCNY(models.ToCNY(amt, rates[cur]), rates["USD"])
				total += u
			}
		}
		all = append(all, w.transaction(t, m, buyers[r.IntN(3)], cur, specs...)...)
	}
	return w.consolidation(t, w.AgentX.ID, models.ConsolidationClosed, all...), total
}

// BenchmarkGenerate1000Lines: the pure rules (split and simplify) over a consolidation of 1,000
// lines from 50 merchants and 3 buyers. Target: under 10 ms.
func BenchmarkGenerate1000Lines(b *testing.B) {
	lines := benchLines(1, 1000)
	b.ReportAllocs()
	for b.Loop() {
		workflow.SplitDeclarations(slices.Clone(lines), 150_000_00, 50)
	}
}

// BenchmarkGenerate20000Lines: the same over 20,000 lines. Target: under 1 s.
func BenchmarkGenerate20000Lines(b *testing.B) {
	lines := benchLines(2, 20_000)
	b.ReportAllocs()
	for b.Loop() {
		workflow.SplitDeclarations(slices.Clone(lines), 150_000_00, 50)
	}
}

// BenchmarkGeneratePersist1000Lines: GenerateDeclarations on SQLite for a closed consolidation
// of 1,000 lines (load, convert, check, split, simplify, number and write everything in one
// transaction). Each iteration cancels the declarations outside the timer so the consolidation
// can be declared again. Target: under 200 ms.
func BenchmarkGeneratePersist1000Lines(b *testing.B) {
	db := dbtest.SQLite(b)
	w := newDeclWorld(b, db)
	c, _ := w.randomConsolidation(b, 1, 1000)
	ctx := context.Background()
	agent := w.actor(testkit.UserAgentX)
	b.ReportAllocs()
	for b.Loop() {
		res, err := w.svc.GenerateDeclarations(ctx, agent, c.ID)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		for _, d := range res.Declarations {
			if _, err := w.svc.CancelDeclaration(ctx, agent, d.ID, workflow.CancelInput{ReasonCode: "duplicate"}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
	}
}
