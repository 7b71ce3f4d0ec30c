package workflow

import (
	"errors"
	"testing"

	"mpt/models"
)

// TestTraceCodeClashIsDrawnAgain: a drawn code already in use (or drawn twice) is drawn again
// before the insert, and a clash on the unique index at insert runs the transaction again.
func TestTraceCodeClashIsDrawnAgain(t *testing.T) {
	used := "ABCDEFGH" + "J"
	c, _ := TraceCheckChar(used)
	usedCode := used + string(c)
	fresh := []string{usedCode, usedCode, "", ""}
	// Fill the fresh codes with valid, different ones.
	for i, first9 := range []string{"", "", "000000001", "000000002"} {
		if first9 != "" {
			ch, _ := TraceCheckChar(first9)
			fresh[i] = first9 + string(ch)
		}
	}
	lines := []models.TransactionLine{{}, {}}
	next := 0
	source := func() string { next++; return fresh[next-1] }
	taken := map[string]bool{usedCode: true}
	if err := assignTraceCodesWith(lines, source, func(codes []string) (map[string]bool, error) {
		out := map[string]bool{}
		for _, c := range codes {
			if taken[c] {
				out[c] = true
			}
		}
		return out, nil
	}); err != nil {
		t.Fatal(err)
	}
	if lines[0].TraceCode == usedCode || lines[1].TraceCode == usedCode || lines[0].TraceCode == lines[1].TraceCode {
		t.Errorf("codes %q %q", lines[0].TraceCode, lines[1].TraceCode)
	}

	tries := 0
	clash := errors.New("UNIQUE constraint failed: transaction_lines.trace_code")
	err := withTraceRetry(func() error {
		tries++
		if tries == 1 {
			return clash
		}
		return nil
	})
	if err != nil || tries != 2 {
		t.Errorf("retry: %v after %d tries", err, tries)
	}
}
