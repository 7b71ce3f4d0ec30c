package workflow_test

import (
	"reflect"
	"slices"
	"testing"

	"mpt/models"
	"mpt/workflow"
)

func TestSpotCheckDrawSize(t *testing.T) {
	tests := []struct {
		name            string
		count, permille int
		want            int
	}{
		{"OKExact", 1000, 50, 50},
		{"OKRoundsUp", 41, 50, 3}, // 2.05 → 3: at least the share
		{"OKRoundsUpJustOver", 1001, 50, 51},
		{"OKOneMerchant", 1, 50, 1},
		{"OKAll", 3, 1000, 3},
		{"OKNoCandidates", 0, 50, 0},
		{"OKNoShare", 10, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.SpotCheckDrawSize(tt.count, tt.permille); got != tt.want {
				t.Errorf("SpotCheckDrawSize(%d, %d) = %d, want %d", tt.count, tt.permille, got, tt.want)
			}
		})
	}
}

func spotSeq(from, to int64) []int64 {
	var out []int64
	for id := from; id <= to; id++ {
		out = append(out, id)
	}
	return out
}

func TestDrawSpotChecks(t *testing.T) {
	base := workflow.SpotCheckDrawInput{Seed: 42, SharePermille: 50, Candidates: spotSeq(1, 101), Inspectors: []int64{7, 9, 12}}
	t.Run("OKReproducible", func(t *testing.T) {
		a, b := workflow.DrawSpotChecks(base), workflow.DrawSpotChecks(base)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("same input, different draws:\n%v\n%v", a, b)
		}
		other := base
		other.Seed = 43
		if reflect.DeepEqual(a, workflow.DrawSpotChecks(other)) {
			t.Fatal("another seed drew the same checks")
		}
	})
	t.Run("OKDistinctCandidatesAtLeastShare", func(t *testing.T) {
		got := workflow.DrawSpotChecks(base)
		if len(got) != 6 { // ceil(5% × 101) = ceil(5.05)
			t.Fatalf("drew %d, want 6", len(got))
		}
		seen := map[int64]bool{}
		for _, c := range got {
			if seen[c.MerchantID] {
				t.Errorf("merchant %d drawn twice", c.MerchantID)
			}
			seen[c.MerchantID] = true
			if !slices.Contains(base.Candidates, c.MerchantID) || c.Reason != models.SpotCheckRandom {
				t.Errorf("drawn %+v: not a random pick among the candidates", c)
			}
			if !slices.Contains(base.Inspectors, c.InspectorID) {
				t.Errorf("drawn %+v: inspector not among the on-duty ones", c)
			}
		}
	})
	t.Run("OKComplaintsAddedOnce", func(t *testing.T) {
		drawn := workflow.DrawSpotChecks(base)
		in := base
		in.Complaints = []int64{drawn[0].MerchantID, 500, 501}
		got := workflow.DrawSpotChecks(in)
		if !reflect.DeepEqual(got[:6], drawn) {
			t.Fatalf("complaints changed the random draw")
		}
		if len(got) != 8 || got[6].MerchantID != 500 || got[7].MerchantID != 501 ||
			got[6].Reason != models.SpotCheckComplaint || got[7].Reason != models.SpotCheckComplaint {
			t.Fatalf("with complaints: %+v", got)
		}
	})
	t.Run("OKInspectorsSpreadEvenly", func(t *testing.T) {
		in := base
		in.SharePermille = 1000
		got := workflow.DrawSpotChecks(in)
		n := map[int64]int{}
		for _, c := range got {
			n[c.InspectorID]++
		}
		for _, id := range base.Inspectors { // 101 checks over 3 inspectors: 33 or 34 each
			if n[id] < 33 || n[id] > 34 {
				t.Errorf("inspector %d got %d checks, want 33–34 (%v)", id, n[id], n)
			}
		}
	})
	t.Run("OKNoInspectors", func(t *testing.T) {
		in := base
		in.Inspectors = nil
		for _, c := range workflow.DrawSpotChecks(in) {
			if c.InspectorID != 0 {
				t.Fatalf("inspector %d without inspectors", c.InspectorID)
			}
		}
	})
}

// TestDrawSpotChecksUniform: ten campaigns (seeds 1…10) each draw 25% of 200 merchants. A
// merchant's count over the campaigns is Binomial(10, 0.25) (mean 2.5, variance 1.875), so
// Σ (count − 2.5)² / 1.875 over the 200 merchants follows about a χ² with 199 degrees of freedom;
// the draw is rejected as non-uniform above 266.4 (p = 0.001). The same over 10 blocks of 20
// consecutive ids (expected 50 draws each, χ² with 9 degrees of freedom) must stay under 27.9
// (p = 0.001). A draw favouring low ids, every 4th id or the same set each time fails both.
func TestDrawSpotChecksUniform(t *testing.T) {
	const merchants, campaigns, share = 200, 10, 250
	count := make([]int, merchants+1)
	for seed := int64(1); seed <= campaigns; seed++ {
		for _, c := range workflow.DrawSpotChecks(workflow.SpotCheckDrawInput{Seed: seed, SharePermille: share, Candidates: spotSeq(1, merchants)}) {
			count[c.MerchantID]++
		}
	}
	var perMerchant, perBlock float64
	blocks := make([]int, 10)
	for id := 1; id <= merchants; id++ {
		d := float64(count[id]) - 2.5
		perMerchant += d * d / 1.875
		blocks[(id-1)/20] += count[id]
	}
	for _, b := range blocks {
		d := float64(b) - 50
		perBlock += d * d / 50
	}
	if perMerchant > 266.4 {
		t.Errorf("per-merchant dispersion %.1f > 266.4: merchants are not drawn uniformly (%v)", perMerchant, count[1:])
	}
	if perBlock > 27.9 {
		t.Errorf("per-block χ² %.1f > 27.9: draws lean to some ids (%v)", perBlock, blocks)
	}
}

func TestIDRanges(t *testing.T) {
	tests := []struct {
		name string
		ids  []int64
		text string
	}{
		{"OKEmpty", nil, ""},
		{"OKOne", []int64{5}, "5"},
		{"OKRuns", []int64{1, 2, 3, 5, 7, 8, 100}, "1-3,5,7-8,100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.FormatIDRanges(tt.ids); got != tt.text {
				t.Fatalf("format = %q, want %q", got, tt.text)
			}
			back, err := workflow.ParseIDRanges(tt.text)
			if err != nil || !reflect.DeepEqual(back, tt.ids) {
				t.Fatalf("parse = %v, %v", back, err)
			}
		})
	}
	for _, bad := range []string{"x", "3,2", "1-1", "0", "5-3", "1,,2", "-4"} {
		if _, err := workflow.ParseIDRanges(bad); err == nil {
			t.Errorf("ParseIDRanges(%q) accepted", bad)
		}
	}
}
