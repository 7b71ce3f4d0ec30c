package workflow

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"mpt/models"
)

// ---- The "double random" draw over plain values (双随机、一公开, DOMAIN §8) -------------------

// SpotCheckDrawInput is everything a spot-check draw reads. A campaign stores all of it, so a
// replay recomputes the same checks however the merchants and the officers change later.
type SpotCheckDrawInput struct {
	Seed          int64
	SharePermille int     // share of the candidates to draw, per mille (1–1000)
	Candidates    []int64 // the active merchants, ascending ids without repeats
	Complaints    []int64 // merchants checked for complaints in addition to the draw, ascending
	Inspectors    []int64 // the on-duty market supervision officers, ascending user ids
}

// DrawnSpotCheck is one merchant drawn and the inspector assigned to it.
type DrawnSpotCheck struct {
	MerchantID  int64
	InspectorID int64  // 0 when there are no inspectors
	Reason      string // models.SpotCheckRandom or models.SpotCheckComplaint
}

// spotCheckStream is the second word of the PCG state; the seed is the first. Changing it
// would change every replay, so it is fixed here.
const spotCheckStream = 0x1039_5EED_D0B1_E4A7

// SpotCheckDrawSize is how many merchants a draw takes from count candidates at a share per
// mille: at least that share, so the product is rounded up (ceil(share × count)).
func SpotCheckDrawSize(count, sharePermille int) int {
	if count <= 0 || sharePermille <= 0 {
		return 0
	}
	return min(count, (count*sharePermille+999)/1000)
}

// DrawSpotChecks draws SpotCheckDrawSize(len(Candidates), SharePermille) distinct merchants at
// random without replacement (a partial Fisher–Yates shuffle of the candidates, in the order
// drawn), then adds each complaint merchant not already drawn, and assigns the inspectors from
// the same random stream: each round of len(Inspectors) checks gets a fresh random order of all
// inspectors, so the work is spread evenly and nobody chooses whom they inspect. The stream is
// math/rand/v2's PCG seeded with Seed, so the same input always gives the same checks.
func DrawSpotChecks(in SpotCheckDrawInput) []DrawnSpotCheck {
	r := rand.New(rand.NewPCG(uint64(in.Seed), spotCheckStream))
	n := SpotCheckDrawSize(len(in.Candidates), in.SharePermille)
	pool := slices.Clone(in.Candidates)
	out := make([]DrawnSpotCheck, 0, n+len(in.Complaints))
	drawn := make(map[int64]bool, n+len(in.Complaints))
	for i := range n {
		j := i + r.IntN(len(pool)-i)
		pool[i], pool[j] = pool[j], pool[i]
		out = append(out, DrawnSpotCheck{MerchantID: pool[i], Reason: models.SpotCheckRandom})
		drawn[pool[i]] = true
	}
	for _, id := range in.Complaints {
		if !drawn[id] {
			drawn[id] = true
			out = append(out, DrawnSpotCheck{MerchantID: id, Reason: models.SpotCheckComplaint})
		}
	}
	if k := len(in.Inspectors); k > 0 {
		var round []int64
		for i := range out {
			if i%k == 0 {
				round = slices.Clone(in.Inspectors)
				r.Shuffle(k, func(a, b int) { round[a], round[b] = round[b], round[a] })
			}
			out[i].InspectorID = round[i%k]
		}
	}
	return out
}

// ---- Id lists as ranges ------------------------------------------------------------------------

// FormatIDRanges writes ascending ids compactly as ranges, e.g. [1 2 3 5 7 8] → "1-3,5,7-8".
// Merchant ids of a market are mostly consecutive, so tens of thousands fit in a short text.
func FormatIDRanges(ids []int64) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(ids[i], 10))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.FormatInt(ids[j], 10))
		}
		i = j + 1
	}
	return b.String()
}

var errIDRanges = errors.New("malformed id ranges")

// ParseIDRanges reads what FormatIDRanges wrote; ids must be positive and strictly ascending.
func ParseIDRanges(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var out []int64
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(lo, 10, 64)
		if err != nil || a <= 0 {
			return nil, errIDRanges
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(hi, 10, 64); err != nil || b <= a {
				return nil, errIDRanges
			}
		}
		if len(out) > 0 && a <= out[len(out)-1] {
			return nil, errIDRanges
		}
		for id := a; id <= b; id++ {
			out = append(out, id)
		}
	}
	return out, nil
}
