package workflow

import (
	"math/rand/v2"
	"mpt/workflow/apperr"
	"strings"
)

// Trace codes name one transaction line for life: they are printed on receipts and carton
// labels, so a code is short, unambiguous when read aloud, and carries a check character that
// catches typing mistakes.

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

// CheckTraceCode normalises a trace code as a person types it (lower case, spaces and hyphens
// between groups, and Crockford's look-alikes: I and L read as 1, O as 0) and checks its length,
// alphabet and check character.
func CheckTraceCode(raw string) Verdict {
	v := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '\u3000':
			return -1
		case 'I', 'i', 'L', 'l':
			return '1'
		case 'O', 'o':
			return '0'
		}
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, normalize(raw))
	name := apperr.T("trace code", "溯源码")
	switch {
	case v == "":
		return invalid(v, apperr.T("Enter the "+name.En, "请输入"+name.Zh))
	case len(v) != TraceCodeLength || strings.Trim(v, TraceAlphabet) != "":
		return invalid(v, apperr.Tf("A trace code has %d characters from 0–9 and A–Z (without I, L, O, U)",
			"溯源码由 %d 个字符组成：数字 0–9 和字母 A–Z（不含 I、L、O、U）", TraceCodeLength))
	case !ValidTraceCode(v):
		return invalid(v, apperr.T("The check character does not match: a character was mistyped",
			"校验位不符：有字符输入错误"))
	}
	return ok(v)
}
