package workflow_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"mpt/workflow"
)

func TestTraceCheckChar(t *testing.T) {
	for _, tc := range []struct {
		first9 string
		want   byte
		ok     bool
	}{
		{"000000000", '0', true},
		{"100000000", '1', true}, // 1·1
		{"010000000", '3', true}, // 1·3
		{"000000001", 'H', true}, // 1·17 = 17
		{"00000000Z", 'F', true}, // 31·17 = 527 ≡ 15 (mod 32)
		{"00000000", 0, false},
		{"0000000000", 0, false},
		{"00000000I", 0, false},
		{"00000000u", 0, false},
	} {
		got, ok := workflow.TraceCheckChar(tc.first9)
		if got != tc.want || ok != tc.ok {
			t.Errorf("TraceCheckChar(%q) = %q, %v; want %q, %v", tc.first9, got, ok, tc.want, tc.ok)
		}
	}
}

func TestNewTraceCode_OK(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 10000 {
		c := workflow.NewTraceCode(r)
		if len(c) != workflow.TraceCodeLength || strings.Trim(c, workflow.TraceAlphabet) != "" || !workflow.ValidTraceCode(c) {
			t.Fatalf("NewTraceCode gave %q", c)
		}
		seen[c] = true
	}
	if len(seen) < 9999 {
		t.Errorf("only %d distinct codes in 10000", len(seen))
	}
}

func TestValidTraceCode_ErrOneWrongCharacter(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 50 {
		code := workflow.NewTraceCode(r)
		for i := range code {
			for _, c := range []byte(workflow.TraceAlphabet) {
				if c == code[i] {
					continue
				}
				typo := code[:i] + string(c) + code[i+1:]
				if workflow.ValidTraceCode(typo) {
					t.Fatalf("%q (from %q) passes", typo, code)
				}
			}
		}
	}
}

func TestValidTraceCode_ErrSwappedNeighbours(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		code := workflow.NewTraceCode(r)
		for i := range workflow.TraceCodeLength - 2 { // swaps among the first nine characters
			a, b := strings.IndexByte(workflow.TraceAlphabet, code[i]), strings.IndexByte(workflow.TraceAlphabet, code[i+1])
			if a == b {
				continue
			}
			swapped := code[:i] + string(code[i+1]) + string(code[i]) + code[i+2:]
			// The documented blind spot: values 16 apart swap unnoticed.
			if caught := !workflow.ValidTraceCode(swapped); caught != (a-b != 16 && b-a != 16) {
				t.Fatalf("swap in %q → %q: caught %v", code, swapped, caught)
			}
		}
	}
}

func TestValidTraceCode_ErrMalformed(t *testing.T) {
	for _, code := range []string{"", "0000000000 ", "000000000", "00000000000", "00000000h0", "0000000I00", "000000O000", "0000000000\n"} {
		if workflow.ValidTraceCode(code) {
			t.Errorf("ValidTraceCode(%q) = true", code)
		}
	}
	if !workflow.ValidTraceCode("0000000000") || !workflow.ValidTraceCode("000000001H") {
		t.Error("valid codes refused")
	}
}

func TestCheckTraceCode(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	code := workflow.NewTraceCode(r)
	typed := strings.ToLower(code[:5]) + "-" + code[5:]
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"OK", code, true},
		{"OKTypedLowerWithHyphen", typed, true},
		{"ErrEmpty", "  ", false},
		{"ErrShort", code[:9], false},
		{"ErrAlphabet", code[:9] + "U", false},
		{"ErrCheckChar", code[:9] + string(otherChar(code[9])), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := workflow.CheckTraceCode(tt.in)
			if v.OK != tt.ok || (!v.OK && v.Problem.En == "") || (v.OK && v.Value != code) {
				t.Errorf("CheckTraceCode(%q) = %+v", tt.in, v)
			}
		})
	}
}

func otherChar(c byte) byte {
	if c == '0' {
		return '1'
	}
	return '0'
}
