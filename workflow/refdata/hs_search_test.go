package refdata

import (
	"slices"
	"testing"
)

// codes returns the codes of entries.
func codes(es []HSEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Code
	}
	return out
}

func TestSearchHS(t *testing.T) {
	s := load(t)
	tests := []struct {
		name    string
		query   string
		limit   int
		first   []string // the results must start with these codes, in this order
		has     []string // and contain these anywhere
		hasNot  []string
		atLeast int
	}{
		{name: "OK/CodePrefixSubheadingFirst", query: "9503", limit: 5, first: []string{"950300", "9503"}},
		{name: "OK/CodePrefixOrderedByCode", query: "9505", limit: 10, first: []string{"950510", "950590", "9505"}},
		{name: "OK/FiveDigitsOrderedByCode", query: "94054", limit: 0, first: []string{"940541", "940542", "940549"}},
		{name: "OK/ChapterPrefix", query: "95", limit: 0, has: []string{"95", "9503", "950300"}, atLeast: 20},
		{name: "OK/DottedCode", query: "9503.00", limit: 5, first: []string{"950300"}},
		{name: "OK/TenDigitCode", query: "9503000090", limit: 5, first: []string{"950300"}},
		{name: "OK/FullWidthDigits", query: "９５０３", limit: 1, first: []string{"950300"}},
		{name: "OK/Word", query: "christmas", limit: 10, first: []string{"950510"}, has: []string{"940531", "940539"}},
		{name: "OK/WordCaseInsensitive", query: "CHRISTMAS", limit: 1, first: []string{"950510"}},
		{name: "OK/WordPrefix", query: "christ", limit: 1, first: []string{"950510"}},
		{name: "OK/AllWordsMustMatch", query: "christmas lighting", limit: 0, has: []string{"940531", "940539"}, hasNot: []string{"950510"}},
		{name: "OK/CodeAndWord", query: "94 christmas", limit: 0, has: []string{"940531"}, hasNot: []string{"950510"}},
		{name: "OK/WordMatchesWordStartsOnly", query: "hristmas", limit: 0},
		{name: "OK/NoMatch", query: "zzzzqx", limit: 10},
		{name: "OK/Empty", query: "  ", limit: 10},
		{name: "OK/ChapterReserved", query: "77", limit: 10},
		{name: "OK/Limit", query: "of", limit: 3, atLeast: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codes(s.SearchHS(tt.query, tt.limit))
			if tt.limit > 0 && len(got) > tt.limit {
				t.Errorf("%d results, limit %d", len(got), tt.limit)
			}
			if len(tt.first) > len(got) || !slices.Equal(got[:len(tt.first)], tt.first) {
				t.Errorf("SearchHS(%q) = %v, want it to start with %v", tt.query, got, tt.first)
			}
			for _, c := range tt.has {
				if !slices.Contains(got, c) {
					t.Errorf("SearchHS(%q) = %v, want %s in it", tt.query, got, c)
				}
			}
			for _, c := range tt.hasNot {
				if slices.Contains(got, c) {
					t.Errorf("SearchHS(%q) = %v, want no %s", tt.query, got, c)
				}
			}
			if tt.first == nil && tt.has == nil && tt.atLeast == 0 && len(got) != 0 {
				t.Errorf("SearchHS(%q) = %v, want nothing", tt.query, got)
			}
			if len(got) < tt.atLeast {
				t.Errorf("SearchHS(%q): %d results, want at least %d", tt.query, len(got), tt.atLeast)
			}
		})
	}
}

func TestSearchHSDeterministic(t *testing.T) {
	s := load(t)
	a := codes(s.SearchHS("plastics", 0))
	for range 5 {
		if b := codes(s.SearchHS("plastics", 0)); !slices.Equal(a, b) {
			t.Fatal("two searches gave different orders")
		}
	}
	// Subheadings come before headings, which come before chapters.
	es := s.SearchHS("plastics", 0)
	if !slices.IsSortedFunc(es, func(x, y HSEntry) int { return y.Level - x.Level }) {
		t.Error("results not ordered subheadings, headings, chapters")
	}
}

func BenchmarkSearchHS(b *testing.B) {
	s := load(b)
	for _, q := range []string{"9503", "christmas", "plastic toys", "of"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				s.SearchHS(q, 20)
			}
		})
	}
}
