package demo

import (
	"fmt"
	"mpt/workflow"
	"strings"
	"time"
)

// Draws from the generator's seeded source. Every choice the demo makes goes through these,
// in a fixed order, so a seed always gives the same data.

// between returns a number from lo to hi, both included.
func (g *generator) between(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + g.rng.IntN(hi-lo+1)
}

// between64 returns a number from lo to hi, both included.
func (g *generator) between64(lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return lo + g.rng.Int64N(hi-lo+1)
}

// chance returns true percent times in a hundred.
func (g *generator) chance(percent int) bool { return g.rng.IntN(100) < percent }

// pick returns one of xs.
func pick[T any](g *generator, xs []T) T { return xs[g.rng.IntN(len(xs))] }

// weighted returns an index drawn with the given relative weights.
func (g *generator) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.rng.IntN(max(total, 1))
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// passportLetters are the letters passport numbers use: no I, O or Q, which read as digits.
const passportLetters = "ABCDEFGHJKLMNPRSTUVWXYZ"

// fill replaces each '#' in shape with a random digit and each '@' with a random letter.
func (g *generator) fill(shape string) string {
	var b strings.Builder
	for _, c := range shape {
		switch c {
		case '#':
			b.WriteByte(byte('0' + g.rng.IntN(10)))
		case '@':
			b.WriteByte(passportLetters[g.rng.IntN(len(passportLetters))])
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// digits returns n random digits.
func (g *generator) digits(n int) string { return g.fill(strings.Repeat("#", n)) }

// unique draws values until one of its kind has not been handed out yet.
func (g *generator) unique(kind string, draw func() string) (string, error) {
	for range 10000 {
		v := draw()
		if k := kind + "\x00" + v; !g.used[k] {
			g.used[k] = true
			return v, nil
		}
	}
	return "", fmt.Errorf("demo: ran out of distinct %s; ask for fewer rows", kind)
}

// personName returns a Chinese name.
func (g *generator) personName() string { return pick(g, surnames) + pick(g, givenNames) }

// mobile returns a Chinese mobile number.
func (g *generator) mobile() string {
	prefixes := []string{"135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "133", "153", "180", "187", "188", "189", "177", "199"}
	return pick(g, prefixes) + g.digits(8)
}

// at returns the moment daysAgo days before today (Yiwu time) at a minute of that day, in UTC,
// never after now.
func (g *generator) at(daysAgo, minute int) time.Time {
	local := g.now.In(workflow.MarketZone)
	day := time.Date(local.Year(), local.Month(), local.Day()-daysAgo, 0, 0, 0, 0, workflow.MarketZone)
	return g.clamp(day.Add(time.Duration(minute) * time.Minute))
}

// after returns t plus some minutes, never after now.
func (g *generator) after(t time.Time, minutes int) time.Time {
	return g.clamp(t.Add(time.Duration(minutes) * time.Minute))
}

// clamp returns t in UTC, or now if t is later.
func (g *generator) clamp(t time.Time) time.Time {
	if t.After(g.now) {
		return g.now
	}
	return t.UTC()
}

// officeMinute returns a minute of the day within office hours, 08:30 to 18:00.
func (g *generator) officeMinute() int { return g.between(8*60+30, 18*60) }

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }

// dateOf returns the Yiwu date of t as YYYY-MM-DD.
func dateOf(t time.Time) string { return t.In(workflow.MarketZone).Format("2006-01-02") }
