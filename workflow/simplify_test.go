package workflow_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"mpt/models"
	"mpt/workflow"
)

func usd(dollars int64) models.Money { return models.Money(dollars * 100) }

// line makes a one-buyer line worth a number of dollars (Value = ValueUSD).
func line(id int64, hs, name string, dollars int64) workflow.DeclLine {
	return workflow.DeclLine{LineID: id, BuyerID: 1, HSCode: hs, Name: name, LegalUnit: "007",
		Quantity: 1000 * 10, Value: usd(dollars), ValueUSD: usd(dollars), NetGrams: 1000, GrossGrams: 1200, Cartons: 1}
}

type itemView struct {
	Kind, HS string
	USD      int64
	Lines    []int64
}

func view(items []workflow.DeclItem) []itemView {
	out := make([]itemView, len(items))
	for i, it := range items {
		v := itemView{Kind: it.Kind, HS: it.HSCode, USD: int64(it.ValueUSD) / 100}
		for _, l := range it.Lines {
			v.Lines = append(v.Lines, l.LineID)
		}
		out[i] = v
	}
	return out
}

// TestSimplifyWorkedExample is DOMAIN §4's worked example, item for item.
func TestSimplifyWorkedExample(t *testing.T) {
	lines := []workflow.DeclLine{
		line(1, "9503008900", "A toy", 12000),
		line(2, "3924100000", "B tableware", 9000),
		line(3, "9505100000", "C Christmas articles", 8500),
		line(4, "6307900090", "D textile article", 7000),
		line(5, "8513109000", "E torch", 6000),
		line(6, "3926400000", "F plastic ornament", 2000),
		line(7, "3924900000", "G household article", 3500),
		line(8, "9503002100", "H toy", 1000),
		line(9, "6117100000", "I scarf", 800),
	}
	want := []itemView{
		{"top", "9503008900", 12000, []int64{1}},
		{"top", "3924100000", 9000, []int64{2}},
		{"top", "9505100000", 8500, []int64{3}},
		{"top", "6307900090", 7000, []int64{4}},
		{"top", "8513109000", 6000, []int64{5}},
		{"merged", "3924900000", 5500, []int64{6, 7}}, // chapter 39 under G's code
		{"merged", "9503002100", 1000, []int64{8}},
		{"merged", "6117100000", 800, []int64{9}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 5; round++ { // the input order must not matter
		rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
		items := workflow.SimplifyItems(lines)
		if got := view(items); !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d:\n got %+v\nwant %+v", round, got, want)
		}
		var total models.Money
		for i, it := range items {
			total += it.ValueUSD
			if it.No != i+1 {
				t.Errorf("item %d numbered %d", i+1, it.No)
			}
		}
		if total != usd(49800) {
			t.Errorf("total %s, want 49800.00", total)
		}
	}
}

func TestSimplifyRules(t *testing.T) {
	tests := []struct {
		name  string
		lines []workflow.DeclLine
		want  []itemView
	}{
		{"OKFiveVarietiesEachAnItem", []workflow.DeclLine{
			line(1, "9503008900", "toy", 100), line(2, "9503008900", "toy", 50), // same goods: one variety
			line(3, "3924100000", "cup", 300), line(4, "6117100000", "scarf", 20),
			line(5, "8513109000", "torch", 20), line(6, "4202920000", "bag", 90),
		}, []itemView{
			{"single", "3924100000", 300, []int64{3}},
			{"single", "9503008900", 150, []int64{1, 2}},
			{"single", "4202920000", 90, []int64{6}},
			{"single", "6117100000", 20, []int64{4}}, // tie at 20: HS ascending
			{"single", "8513109000", 20, []int64{5}},
		}},
		{"OKNotSimplifiableSetAsideEachItsOwnItem", []workflow.DeclLine{
			line(1, "9503008900", "toy", 100),
			notSimplifiable(line(2, "3304990000", "lipstick", 40)),
			notSimplifiable(line(3, "3304990000", "lipstick", 60)),
		}, []itemView{
			{"single", "9503008900", 100, []int64{1}},
			{"unsimplifiable", "3304990000", 60, []int64{3}},
			{"unsimplifiable", "3304990000", 40, []int64{2}},
		}},
		{"OKSameHSDifferentSpecAreTwoVarieties", []workflow.DeclLine{
			line(1, "9503008900", "toy", 100), withSpec(line(2, "9503008900", "toy", 100), "red"),
		}, []itemView{
			{"single", "9503008900", 100, []int64{1}},
			{"single", "9503008900", 100, []int64{2}},
		}},
		{"OKMergedChaptersTieByChapter", []workflow.DeclLine{
			line(1, "9503008900", "a", 900), line(2, "3924100000", "b", 800), line(3, "9505100000", "c", 700),
			line(4, "6307900090", "d", 600), line(5, "8513109000", "e", 500),
			line(6, "4202920000", "f", 10), line(7, "3926400000", "g", 10),
		}, []itemView{
			{"top", "9503008900", 900, []int64{1}}, {"top", "3924100000", 800, []int64{2}},
			{"top", "9505100000", 700, []int64{3}}, {"top", "6307900090", 600, []int64{4}},
			{"top", "8513109000", 500, []int64{5}},
			{"merged", "3926400000", 10, []int64{7}}, // chapters 39 and 42 tie: 39 first
			{"merged", "4202920000", 10, []int64{6}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := view(workflow.SimplifyItems(tt.lines)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
			if n := workflow.CountItems(tt.lines); n != len(tt.want) {
				t.Errorf("CountItems = %d, want %d", n, len(tt.want))
			}
		})
	}
}

func notSimplifiable(l workflow.DeclLine) workflow.DeclLine    { l.NotSimplifiable = true; return l }
func withSpec(l workflow.DeclLine, s string) workflow.DeclLine { l.Spec = s; return l }

// TestSimplifyMixedUnits: a merged item sums quantities only in the representative's unit and
// keeps the per-unit sums, flagged for review.
func TestSimplifyMixedUnits(t *testing.T) {
	lines := []workflow.DeclLine{
		line(1, "9503008900", "a", 900), line(2, "3924100000", "b", 800), line(3, "9505100000", "c", 700),
		line(4, "6307900090", "d", 600), line(5, "8513109000", "e", 500),
		line(6, "6117100000", "scarf", 50), line(7, "6117800000", "gloves", 40),
	}
	lines[6].LegalUnit, lines[6].Quantity = "025", 3000 // pairs
	items := workflow.SimplifyItems(lines)
	m := items[5]
	if m.Kind != "merged" || m.HSCode != "6117100000" || m.LegalUnit != "007" || m.Quantity != 10000 || !m.MixedUnits {
		t.Fatalf("merged item %+v", m)
	}
	want := []workflow.UnitQuantity{{Unit: "007", Quantity: 10000}, {Unit: "025", Quantity: 3000}}
	if !reflect.DeepEqual(m.ByUnit, want) {
		t.Errorf("per-unit sums %+v", m.ByUnit)
	}
	if items[0].MixedUnits {
		t.Error("a single-unit item is flagged")
	}
}

func TestSplitDeclarations(t *testing.T) {
	capUSD := usd(150000)
	t.Run("OKCapInclusive", func(t *testing.T) {
		groups, refused := workflow.SplitDeclarations([]workflow.DeclLine{line(1, "9503008900", "a", 100000), line(2, "3924100000", "b", 50000)}, capUSD, 50)
		if len(groups) != 1 || len(refused) != 0 || groups[0].ValueUSD != capUSD {
			t.Fatalf("groups %+v refused %+v", groups, refused)
		}
	})
	t.Run("OKOneCentOverSplits", func(t *testing.T) {
		b := line(2, "3924100000", "b", 50000)
		b.ValueUSD++
		groups, _ := workflow.SplitDeclarations([]workflow.DeclLine{line(1, "9503008900", "a", 100000), b}, capUSD, 50)
		if len(groups) != 2 {
			t.Fatalf("%d declarations, want 2", len(groups))
		}
	})
	t.Run("ErrLineOverCapRefused", func(t *testing.T) {
		groups, refused := workflow.SplitDeclarations([]workflow.DeclLine{line(1, "9503008900", "a", 150001), line(2, "3924100000", "b", 10)}, capUSD, 50)
		if len(refused) != 1 || refused[0].LineID != 1 || refused[0].Reason.Zh == "" || len(groups) != 1 {
			t.Fatalf("groups %+v refused %+v", groups, refused)
		}
	})
	t.Run("OKOneConsigneePerDeclaration", func(t *testing.T) {
		a, b := line(1, "9503008900", "a", 10), line(2, "9503008900", "a", 10)
		b.BuyerID = 2
		groups, _ := workflow.SplitDeclarations([]workflow.DeclLine{b, a}, capUSD, 50)
		if len(groups) != 2 || groups[0].BuyerID != 1 || groups[1].BuyerID != 2 {
			t.Fatalf("groups %+v", groups)
		}
	})
	t.Run("OKFirstFitDecreasing", func(t *testing.T) {
		// 90k, 80k, 60k, 10k: FFD gives {90,60}, {80,10}.
		ls := []workflow.DeclLine{line(4, "9503008900", "a", 10000), line(1, "3924100000", "b", 90000),
			line(3, "9505100000", "c", 60000), line(2, "6307900090", "d", 80000)}
		groups, _ := workflow.SplitDeclarations(ls, capUSD, 50)
		got := [][]int64{}
		for _, g := range groups {
			var ids []int64
			for _, l := range g.Lines {
				ids = append(ids, l.LineID)
			}
			got = append(got, ids)
		}
		if want := [][]int64{{1, 3}, {2, 4}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
	t.Run("OKItemLimit", func(t *testing.T) {
		// 8 not-simplifiable lines with a limit of 3 items: 3 + 3 + 2.
		var ls []workflow.DeclLine
		for i := int64(1); i <= 8; i++ {
			ls = append(ls, notSimplifiable(line(i, "3304990000", fmt.Sprint("lipstick ", i), 100+i)))
		}
		groups, _ := workflow.SplitDeclarations(ls, capUSD, 3)
		if len(groups) != 3 || len(groups[0].Items) != 3 || len(groups[2].Items) != 2 {
			t.Fatalf("%d groups: %+v", len(groups), groups)
		}
	})
	t.Run("OKDeterministic", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		ls := randomLines(rng, 400)
		first, _ := workflow.SplitDeclarations(ls, capUSD, 50)
		for i := 0; i < 3; i++ {
			rng.Shuffle(len(ls), func(a, b int) { ls[a], ls[b] = ls[b], ls[a] })
			again, _ := workflow.SplitDeclarations(ls, capUSD, 50)
			if !reflect.DeepEqual(first, again) {
				t.Fatal("a shuffled input gave other declarations")
			}
		}
		seen := map[int64]bool{}
		for _, g := range first {
			if g.ValueUSD > capUSD || len(g.Items) > 50 {
				t.Fatalf("declaration over a limit: %s, %d items", g.ValueUSD, len(g.Items))
			}
			for _, l := range g.Lines {
				if seen[l.LineID] {
					t.Fatalf("line %d in two declarations", l.LineID)
				}
				seen[l.LineID] = true
			}
		}
		if len(seen) != len(ls) {
			t.Fatalf("%d of %d lines declared", len(seen), len(ls))
		}
	})
}

var sampleHS = []string{"9503008900", "3924100000", "9505100000", "6307900090", "8513109000", "3926400000",
	"3924900000", "6117100000", "4202920000", "7117190000", "9603300000", "6505009900", "6601990000", "9405410000"}

func randomLines(rng *rand.Rand, n int) []workflow.DeclLine {
	ls := make([]workflow.DeclLine, n)
	for i := range ls {
		hs := sampleHS[rng.IntN(len(sampleHS))]
		l := line(int64(i+1), hs, hs+" goods "+fmt.Sprint(rng.IntN(30)), int64(100+rng.IntN(20000)))
		l.BuyerID = int64(1 + rng.IntN(5))
		l.NotSimplifiable = rng.IntN(20) == 0
		ls[i] = l
	}
	return ls
}

// BenchmarkSplitDeclarations packs a large consolidation: 3,000 lines of 5 buyers.
func BenchmarkSplitDeclarations(b *testing.B) {
	ls := randomLines(rand.New(rand.NewPCG(5, 6)), 3000)
	b.ReportAllocs()
	for b.Loop() {
		workflow.SplitDeclarations(ls, usd(150000), 50)
	}
}
