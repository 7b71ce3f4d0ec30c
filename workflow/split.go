package workflow

import (
	"cmp"
	"slices"

	"mpt/models"
	"mpt/workflow/apperr"
)

// DeclGroup is the content of one declaration: one buyer (one overseas consignee) and lines
// whose value stays within the cap and whose simplified items stay within the item limit.
type DeclGroup struct {
	BuyerID  int64
	Lines    []DeclLine // in line-id order
	ValueUSD models.Money
	Items    []DeclItem
}

// LineRefusal is a line that cannot go under mode 1039, with the reason.
type LineRefusal struct {
	LineID int64
	Reason apperr.Text
}

// SplitDeclarations packs a consolidation's lines into declarations (DOMAIN §4): one consignee
// per declaration, so lines are grouped by buyer; within a buyer, first-fit decreasing by USD
// value (ties by line id), each line kept whole, a declaration taking a line only while its
// total stays within capUSD (inclusive) and its simplified items within itemLimit. A line worth
// more than the cap on its own cannot be declared under 1039 and is refused with that reason.
// The result is deterministic: groups by buyer id, then in the order they were opened.
func SplitDeclarations(lines []DeclLine, capUSD models.Money, itemLimit int) ([]DeclGroup, []LineRefusal) {
	byBuyer := map[int64][]DeclLine{}
	var buyers []int64
	var refused []LineRefusal
	for _, l := range lines {
		if l.ValueUSD > capUSD {
			refused = append(refused, LineRefusal{LineID: l.LineID, Reason: apperr.Tf(
				"Line worth USD %s is over the USD %s cap of one declaration: it cannot be exported under mode 1039",
				"该明细货值 %s 美元，超过单票报关单 %s 美元的上限，不能以 1039 方式出口",
				l.ValueUSD, capUSD)})
			continue
		}
		if _, ok := byBuyer[l.BuyerID]; !ok {
			buyers = append(buyers, l.BuyerID)
		}
		byBuyer[l.BuyerID] = append(byBuyer[l.BuyerID], l)
	}
	slices.Sort(buyers)
	slices.SortFunc(refused, func(a, b LineRefusal) int { return cmp.Compare(a.LineID, b.LineID) })

	var out []DeclGroup
	for _, buyer := range buyers {
		ls := byBuyer[buyer]
		slices.SortFunc(ls, func(a, b DeclLine) int {
			if c := cmp.Compare(b.ValueUSD, a.ValueUSD); c != 0 {
				return c
			}
			return cmp.Compare(a.LineID, b.LineID)
		})
		var bins []*bin
		for _, l := range ls {
			placed := false
			for _, b := range bins {
				if b.fits(l, capUSD, itemLimit) {
					b.add(l)
					placed = true
					break
				}
			}
			if !placed {
				b := &bin{}
				b.add(l)
				bins = append(bins, b)
			}
		}
		for _, b := range bins {
			slices.SortFunc(b.lines, func(a, c DeclLine) int { return cmp.Compare(a.LineID, c.LineID) })
			out = append(out, DeclGroup{BuyerID: buyer, Lines: b.lines, ValueUSD: b.usd, Items: SimplifyItems(b.lines)})
		}
	}
	return out, refused
}

// bin is a declaration being filled. It keeps per-variety sums so that the item count of the
// simplified declaration can be computed for a candidate line without rebuilding the items.
type bin struct {
	lines     []DeclLine
	usd       models.Money
	varieties map[variety]*varietyStat
	chapters  map[string]int // varieties per HS chapter
	apart     int            // not-simplifiable lines, one item each
}

type varietyStat struct {
	usd     models.Money
	minID   int64
	hs      string
	chapter string
}

func (b *bin) add(l DeclLine) {
	b.lines = append(b.lines, l)
	b.usd += l.ValueUSD
	if l.NotSimplifiable {
		b.apart++
		return
	}
	if b.varieties == nil {
		b.varieties = map[variety]*varietyStat{}
		b.chapters = map[string]int{}
	}
	v := b.varieties[l.variety()]
	if v == nil {
		v = &varietyStat{minID: l.LineID, hs: l.HSCode, chapter: l.Chapter()}
		b.varieties[l.variety()] = v
		b.chapters[v.chapter]++
	}
	v.usd += l.ValueUSD
	v.minID = min(v.minID, l.LineID)
}

// fits reports whether a line can join without breaking the cap or the item limit.
func (b *bin) fits(l DeclLine, capUSD models.Money, itemLimit int) bool {
	if b.usd+l.ValueUSD > capUSD {
		return false
	}
	if l.NotSimplifiable {
		return b.items(nil, l)+1 <= itemLimit
	}
	// Cheap bound first: the simplified items never exceed min(varieties, 5 + chapters) plus
	// the set-aside lines, so when that bound is within the limit the exact count is not needed.
	vs, chs := len(b.varieties), len(b.chapters)
	if b.varieties[l.variety()] == nil {
		vs++
		if b.chapters[l.Chapter()] == 0 {
			chs++
		}
	}
	if min(vs, 5+chs)+b.apart <= itemLimit {
		return true
	}
	return b.items(&l, l) <= itemLimit
}

// items counts the simplified items of the bin, with extra (when not nil) added to its variety:
// the not-simplifiable lines, plus every variety when there are five or fewer, else the top
// five and one item per chapter of the rest (the same ordering as SimplifyItems).
func (b *bin) items(extra *DeclLine, l DeclLine) int {
	var added varietyStat
	var addedTo *varietyStat
	if extra != nil {
		if v := b.varieties[l.variety()]; v != nil {
			addedTo = v
			v.usd += l.ValueUSD
			defer func() { v.usd -= l.ValueUSD }()
		} else {
			added = varietyStat{usd: l.ValueUSD, minID: l.LineID, hs: l.HSCode, chapter: l.Chapter()}
		}
	}
	n := len(b.varieties)
	if extra != nil && addedTo == nil {
		n++
	}
	if n <= 5 {
		return n + b.apart
	}
	less := func(a, c *varietyStat) bool { // a before c in value order
		if a.usd != c.usd {
			return a.usd > c.usd
		}
		if a.hs != c.hs {
			return a.hs < c.hs
		}
		return a.minID < c.minID
	}
	var top [5]*varietyStat
	all := make([]*varietyStat, 0, n)
	for _, v := range b.varieties {
		all = append(all, v)
	}
	if extra != nil && addedTo == nil {
		all = append(all, &added)
	}
	for _, v := range all { // keep the five first in value order
		for i := 0; i < 5; i++ {
			if top[i] == nil || less(v, top[i]) {
				copy(top[i+1:], top[i:4])
				top[i] = v
				break
			}
		}
	}
	chapters := map[string]bool{}
	for _, v := range all {
		if v != top[0] && v != top[1] && v != top[2] && v != top[3] && v != top[4] {
			chapters[v.chapter] = true
		}
	}
	return 5 + len(chapters) + b.apart
}
