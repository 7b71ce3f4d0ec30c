package workflow

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"mpt/models"
)

// TestBinCountsLikeSimplifyItems: the incremental item count used while packing agrees with
// the real simplification for every candidate line, on random bins.
func TestBinCountsLikeSimplifyItems(t *testing.T) {
	hs := []string{"9503008900", "3924100000", "9505100000", "6307900090", "8513109000", "3926400000",
		"3924900000", "6117100000", "4202920000", "7117190000", "9603300000", "6505009900"}
	rng := rand.New(rand.NewPCG(11, 12))
	for round := 0; round < 200; round++ {
		var b bin
		for i := 1; i <= 40; i++ {
			code := hs[rng.IntN(len(hs))]
			l := DeclLine{LineID: int64(i), HSCode: code, Name: code + fmt.Sprint(rng.IntN(4)), LegalUnit: "007",
				ValueUSD: models.Money(rng.IntN(5) * 1000), NotSimplifiable: rng.IntN(10) == 0}
			want := CountItems(append(append([]DeclLine{}, b.lines...), l))
			got := b.items(&l, l)
			if l.NotSimplifiable {
				got = b.items(nil, l) + 1
			}
			if got != want {
				t.Fatalf("round %d line %d: bin counts %d items, SimplifyItems makes %d", round, i, got, want)
			}
			b.add(l)
		}
	}
}
