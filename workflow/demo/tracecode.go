package demo

import (
	"math/rand/v2"
	"strings"
)

// Trace codes name one transaction line for life: they are printed on receipts and carton
// labels, so a code is short, unambiguous when read aloud, and carries a check character that
// catches typing mistakes. (For now they live with the demo; the transaction workflow will
// hand them out with the same rules.)

// TraceAlphabet is the alphabet of trace codes: the digits and the capital letters without I,
// L, O and U (Crockford's base 32), so no two characters are easily confused.
const TraceAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// TraceCodeLength is the length of a trace code: nine random characters and a check character.
const TraceCodeLength = 10

// NewTraceCode returns a trace code whose first nine characters are drawn from r.
func NewTraceCode(r *rand.Rand) string {
	var b [TraceCodeLength]byte
	for i := range TraceCodeLength - 1 {
		b[i] = TraceAlphabet[r.IntN(len(TraceAlphabet))]
	}
	b[TraceCodeLength-1], _ = TraceCheckChar(string(b[:TraceCodeLength-1]))
	return string(b[:])
}

// TraceCheckChar returns the check character of a trace code's first nine characters:
// S = Σ value(c[i])·(2i+1) for i = 0…8, check = TraceAlphabet[S mod 32]. The odd weights are
// invertible mod 32, so a single wrong character always changes the check; swapping two
// neighbouring characters is caught unless their values differ by exactly 16. It returns
// false unless first9 is nine characters of TraceAlphabet.
func TraceCheckChar(first9 string) (byte, bool) {
	if len(first9) != TraceCodeLength-1 {
		return 0, false
	}
	sum := 0
	for i := range len(first9) {
		v := strings.IndexByte(TraceAlphabet, first9[i])
		if v < 0 {
			return 0, false
		}
		sum += v * (2*i + 1)
	}
	return TraceAlphabet[sum%len(TraceAlphabet)], true
}

// ValidTraceCode reports whether code is a well-formed trace code: ten characters of
// TraceAlphabet whose last is the check character of the first nine. It expects the canonical
// upper-case form.
func ValidTraceCode(code string) bool {
	if len(code) != TraceCodeLength {
		return false
	}
	want, ok := TraceCheckChar(code[:TraceCodeLength-1])
	return ok && code[TraceCodeLength-1] == want
}

// newTraceCode returns a trace code not handed out before in this load.
func (g *generator) newTraceCode() string {
	for {
		if c := NewTraceCode(g.rng); !g.used["trace\x00"+c] {
			g.used["trace\x00"+c] = true
			return c
		}
	}
}
