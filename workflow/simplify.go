package workflow

import (
	"cmp"
	"slices"

	"mpt/models"
)

// DeclLine is one transaction line as the declaration rules see it: plain values, already
// converted to the declaration's currency (Value) and to US dollars at the declaration month's
// customs rate (ValueUSD, which the cap and the value ordering use).
type DeclLine struct {
	LineID          int64
	BuyerID         int64
	HSCode          string // 10 digits
	Name            string
	Spec            string
	LegalUnit       string
	Quantity        models.Quantity // in LegalUnit
	Value           models.Money    // in the declaration currency
	ValueUSD        models.Money
	NetGrams        models.Grams
	GrossGrams      models.Grams
	Cartons         int64
	NotSimplifiable bool // export duty or statutory inspection: always its own item (DOMAIN §4)
}

// Chapter is the HS chapter of a line, the key of the simplified declaration's merging.
func (l DeclLine) Chapter() string { return l.HSCode[:2] }

// variety is "the same goods": same 10-digit HS code, name and spec (GACC 2019 No. 221, rule 1).
type variety struct {
	HSCode, Name, Spec string
}

func (l DeclLine) variety() variety { return variety{l.HSCode, l.Name, l.Spec} }

// UnitQuantity is a quantity summed in one legal unit, kept when a merged item mixes units.
type UnitQuantity struct {
	Unit     string
	Quantity models.Quantity
}

// DeclItem is one goods item of a declaration after simplification, with the correspondence
// (对应关系) to the lines it holds.
type DeclItem struct {
	No         int
	Kind       string // models.ItemSingle, ItemTop, ItemMerged, ItemUnsimplifiable
	HSCode     string
	Chapter    string
	Name       string
	Spec       string
	LegalUnit  string
	Quantity   models.Quantity // sum over the lines whose legal unit is LegalUnit
	Value      models.Money
	ValueUSD   models.Money
	NetGrams   models.Grams
	GrossGrams models.Grams
	Cartons    int64
	MixedUnits bool           // merged lines with other legal units: flagged for agent review
	ByUnit     []UnitQuantity // per-unit sums, when MixedUnits
	Lines      []DeclLine     // the correspondence, in line-id order
}

// group is a set of lines declared together (a variety or a chapter) with its sums.
type group struct {
	rep   DeclLine // representative line: HS code, name, spec and legal unit of the item
	lines []DeclLine
	usd   models.Money
	minID int64
}

// byValueThenHSThenID orders groups by value, highest first; ties by HS code ascending, then by
// the lowest line id (DOMAIN §4 rule 4).
func byValueThenHSThenID(a, b *group) int {
	if c := cmp.Compare(b.usd, a.usd); c != 0 {
		return c
	}
	if c := cmp.Compare(a.rep.HSCode, b.rep.HSCode); c != 0 {
		return c
	}
	return cmp.Compare(a.minID, b.minID)
}

// SimplifyItems applies the simplified declaration (简化申报) of GACC announcement 2019 No. 221 to
// one declaration's lines, exactly as DOMAIN §4 states it:
//
//  1. lines of the same goods (10-digit HS, name, spec) are one variety;
//  2. not-simplifiable lines are set aside, each declared as its own item;
//  3. five varieties or fewer: each variety is its own item;
//  4. otherwise the five highest-value varieties (ties: HS code, then line id) are items;
//  5. the rest merge per HS chapter under the chapter's highest-value variety's code, name and
//     legal unit, with value and weights summed and quantities summed only over lines in that
//     unit (other units flag the item and are kept per unit);
//  6. order: top five, merged chapters by value (ties: chapter), not-simplifiable by value;
//  7. every item keeps the lines it holds.
//
// Items are numbered from 1. The input order does not matter; the output is deterministic.
func SimplifyItems(lines []DeclLine) []DeclItem {
	var simple, apart []DeclLine
	for _, l := range lines {
		if l.NotSimplifiable {
			apart = append(apart, l)
		} else {
			simple = append(simple, l)
		}
	}

	varieties := groupBy(simple, func(l DeclLine) variety { return l.variety() })
	slices.SortFunc(varieties, byValueThenHSThenID)

	var items []DeclItem
	if len(varieties) <= 5 {
		for _, g := range varieties {
			items = append(items, g.item(models.ItemSingle))
		}
	} else {
		for _, g := range varieties[:5] {
			items = append(items, g.item(models.ItemTop))
		}
		var rest []DeclLine
		for _, g := range varieties[5:] {
			rest = append(rest, g.lines...)
		}
		chapters := groupBy(rest, func(l DeclLine) string { return l.Chapter() })
		// The representative of a chapter is its highest-value variety, with the same tie-break.
		for _, ch := range chapters {
			vs := groupBy(ch.lines, func(l DeclLine) variety { return l.variety() })
			slices.SortFunc(vs, byValueThenHSThenID)
			ch.rep = vs[0].rep
		}
		slices.SortFunc(chapters, func(a, b *group) int {
			if c := cmp.Compare(b.usd, a.usd); c != 0 {
				return c
			}
			return cmp.Compare(a.rep.Chapter(), b.rep.Chapter())
		})
		for _, ch := range chapters {
			items = append(items, ch.item(models.ItemMerged))
		}
	}

	singles := make([]*group, 0, len(apart))
	for _, l := range apart {
		singles = append(singles, newGroup([]DeclLine{l}))
	}
	slices.SortFunc(singles, byValueThenHSThenID)
	for _, g := range singles {
		items = append(items, g.item(models.ItemUnsimplifiable))
	}
	for i := range items {
		items[i].No = i + 1
	}
	return items
}

// CountItems is the number of items SimplifyItems would make, without building them.
func CountItems(lines []DeclLine) int {
	seen := map[variety]bool{}
	apart := 0
	for _, l := range lines {
		if l.NotSimplifiable {
			apart++
			continue
		}
		seen[l.variety()] = true
	}
	if len(seen) <= 5 {
		return len(seen) + apart
	}
	return len(SimplifyItems(lines))
}

// groupBy groups lines by a key, keeping the first line of each group as its representative.
func groupBy[K comparable](lines []DeclLine, key func(DeclLine) K) []*group {
	idx := map[K]int{}
	var groups [][]DeclLine
	for _, l := range lines {
		k := key(l)
		i, ok := idx[k]
		if !ok {
			i = len(groups)
			idx[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], l)
	}
	out := make([]*group, len(groups))
	for i, ls := range groups {
		out[i] = newGroup(ls)
	}
	return out
}

func newGroup(lines []DeclLine) *group {
	slices.SortFunc(lines, func(a, b DeclLine) int { return cmp.Compare(a.LineID, b.LineID) })
	g := &group{rep: lines[0], lines: lines, minID: lines[0].LineID}
	for _, l := range lines {
		g.usd += l.ValueUSD
	}
	return g
}

// item sums a group into a declaration item under its representative.
func (g *group) item(kind string) DeclItem {
	it := DeclItem{Kind: kind, HSCode: g.rep.HSCode, Chapter: g.rep.Chapter(), Name: g.rep.Name,
		Spec: g.rep.Spec, LegalUnit: g.rep.LegalUnit, Lines: g.lines}
	perUnit := map[string]models.Quantity{}
	var units []string
	for _, l := range g.lines {
		it.Value += l.Value
		it.ValueUSD += l.ValueUSD
		it.NetGrams += l.NetGrams
		it.GrossGrams += l.GrossGrams
		it.Cartons += l.Cartons
		if _, ok := perUnit[l.LegalUnit]; !ok {
			units = append(units, l.LegalUnit)
		}
		perUnit[l.LegalUnit] += l.Quantity
	}
	it.Quantity = perUnit[it.LegalUnit]
	if len(units) > 1 {
		it.MixedUnits = true
		slices.Sort(units)
		for _, u := range units {
			it.ByUnit = append(it.ByUnit, UnitQuantity{Unit: u, Quantity: perUnit[u]})
		}
	}
	return it
}
