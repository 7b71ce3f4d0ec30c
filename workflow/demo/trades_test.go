package demo

import (
	"slices"
	"testing"

	"mpt/workflow/refdata"
)

// TestCatalogue_OK checks the whole catalogue, not only what one seed happens to draw: the
// reference data know every code, cartons weigh 6–20 kg net, and every district and brand
// trade exists.
func TestCatalogue_OK(t *testing.T) {
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := checkReference(ref); err != nil {
		t.Error(err)
	}
	districts := map[string]bool{}
	for _, tr := range trades {
		districts[tr.district] = true
		if len(tr.goods) < 5 || tr.weight < 1 {
			t.Errorf("trade %s: %d goods, weight %d", tr.key, len(tr.goods), tr.weight)
		}
		for _, g := range tr.goods {
			if kg := g.grams * g.perCarton; kg < 6000 || kg > 20000 {
				t.Errorf("%s %s: a carton holds %d g net", tr.key, g.en, kg)
			}
			if g.lo < 1 || g.hi < g.lo || g.hi > 2500 || len(g.specs) == 0 || g.zh == "" || g.en == "" {
				t.Errorf("%s %s: %+v", tr.key, g.en, g)
			}
		}
	}
	for _, d := range []string{"1", "2", "3", "4", "5"} {
		if !districts[d] {
			t.Errorf("no trade in district %s", d)
		}
	}
	for _, wb := range watchedBrands {
		for _, k := range wb.trades {
			if !slices.ContainsFunc(trades, func(tr trade) bool { return tr.key == k }) {
				t.Errorf("brand %s names unknown trade %s", wb.brand, k)
			}
		}
	}
	var codes []string
	for _, c := range buyerCountries {
		if slices.Contains(codes, c.code) {
			t.Errorf("buyer country %s repeated", c.code)
		}
		codes = append(codes, c.code)
	}
	if len(codes) < distinctBuyerCountries {
		t.Errorf("%d buyer countries, want at least %d", len(codes), distinctBuyerCountries)
	}
}
