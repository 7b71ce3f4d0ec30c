package demo

import (
	"time"

	"mpt/models"
	"mpt/workflow"
)

// rateCurve is how a currency's customs monthly rate (CNY per unit) moves over the demo's
// thirteen months: a yearly wave around a drifting level, plus a little noise. Pegged
// currencies follow the US dollar.
type rateCurve struct {
	code  string
	start models.Rate // level in the oldest month
	swing int64       // amplitude of the yearly wave, millionths of the level
	trend int64       // drift per month, millionths of the level
	phase int         // months the wave is shifted by
	peg   int64       // units per US dollar × 10,000 for pegged currencies, else 0
}

var rateCurves = []rateCurve{
	{code: "USD", start: 7_200000, swing: 10_000, phase: 2},
	{code: "EUR", start: 7_850000, swing: 12_000, phase: 5},
	{code: "GBP", start: 9_150000, swing: 12_000, phase: 7},
	{code: "JPY", start: 48_500, swing: 14_000, phase: 9},
	{code: "AED", peg: 36_725},
	{code: "SAR", peg: 37_500},
	{code: "HKD", peg: 78_000},
	{code: "RUB", start: 80_000, swing: 40_000, phase: 4},
	{code: "INR", start: 85_000, swing: 6_000, trend: -1_500, phase: 1},
	{code: "BRL", start: 1_300000, swing: 30_000, phase: 11},
	{code: "TRY", start: 210_000, swing: 5_000, trend: -18_000, phase: 3},
	{code: "KRW", start: 5_200, swing: 20_000, phase: 6},
}

// sineMilli is sin(2πk/12) in thousandths: the yearly wave without floating point.
var sineMilli = [12]int64{0, 500, 866, 1000, 866, 500, 0, -500, -866, -1000, -866, -500}

// rateMonths is how many months of rates the demo keeps: a year back and the current month.
const rateMonths = 13

// rateNoise is the largest month-to-month noise, in millionths.
const rateNoise = 1_500

// newRates builds the monthly rates for the thirteen months up to and including now's month,
// set by the admin on the first of each month.
func (g *generator) newRates() {
	admin := g.officerID("admin")
	local := g.now.In(workflow.MarketZone)
	first := time.Date(local.Year(), local.Month(), 1, 9, 0, 0, 0, workflow.MarketZone)
	for m := range rateMonths {
		month := first.AddDate(0, m-(rateMonths-1), 0)
		var usd models.Rate
		for _, c := range rateCurves {
			var r models.Rate
			if c.peg > 0 {
				r = models.Rate(int64(usd) * 10_000 / c.peg)
			} else {
				wave := c.swing * sineMilli[(m+c.phase)%12] / 1000
				noise := g.between64(-rateNoise, rateNoise)
				r = models.Rate(int64(c.start) * (1_000_000 + wave + c.trend*int64(m) + noise) / 1_000_000)
			}
			if c.code == "USD" {
				usd = r
			}
			at := g.clamp(month)
			g.rates = append(g.rates, models.ExchangeRate{
				Month: month.Format("2006-01"), Currency: c.code, CNYPerUnit: r,
				UpdatedByUserID: admin, CreatedAt: at, UpdatedAt: at,
			})
		}
	}
}

// rate returns the CNY per unit of a currency in a month (YYYY-MM); CNY is 1.
func (g *generator) rate(month, currency string) (models.Rate, bool) {
	if currency == "CNY" {
		return 1_000000, true
	}
	for _, r := range g.rates {
		if r.Month == month && r.Currency == currency {
			return r.CNYPerUnit, true
		}
	}
	return 0, false
}
