package workflow_test

import (
	"testing"

	"mpt/models"
	"mpt/workflow"
)

func TestFXPayerIsBuyer(t *testing.T) {
	for _, c := range []struct {
		name, payer, buyer string
		want               bool
	}{
		{"OKSame", "Ahmed Al Mansouri", "Ahmed Al Mansouri", true},
		{"OKCaseSpacesPunctuation", "AHMED AL-MANSOURI.", "ahmed  al mansouri", true},
		{"OKFullWidth", "ＡＨＭＥＤ ＡＬ ＭＡＮＳＯＵＲＩ", "Ahmed Al Mansouri", true},
		{"OKChinese", "义乌 甲贸易", "义乌甲贸易", true},
		{"ErrOtherName", "Ivan Petrov", "Ahmed Al Mansouri", false},
		{"ErrEmptyPayer", "  ..", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := workflow.PayerIsBuyer(c.payer, c.buyer); got != c.want {
				t.Fatalf("PayerIsBuyer(%q, %q) = %v", c.payer, c.buyer, got)
			}
		})
	}
}

func TestFXReceivedBeforeExport(t *testing.T) {
	for _, c := range []struct {
		name, value, exit string
		want              bool
	}{
		{"BeforeNotExited", "2026-11-20", "", true},
		{"BeforeExitDate", "2026-11-20", "2026-11-21", true},
		{"OKSameDay", "2026-11-21", "2026-11-21", false},
		{"OKAfter", "2026-11-25", "2026-11-21", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := workflow.ReceivedBeforeExport(c.value, c.exit); got != c.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestFXUnallocatedTooLong(t *testing.T) {
	for _, c := range []struct {
		name              string
		amount, allocated models.Money
		value             string
		want              bool
	}{
		{"OKRecent", 100, 0, "2026-11-01", false},
		{"OKExactlyThirtyDays", 100, 0, "2026-10-30", false},
		{"FlaggedThirtyOneDays", 100, 0, "2026-10-29", true},
		{"OKFullyAllocated", 100, 100, "2026-01-01", false},
		{"FlaggedPartly", 100, 40, "2026-01-01", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := workflow.UnallocatedTooLong(c.amount, c.allocated, c.value, "2026-11-29", 30); got != c.want {
				t.Fatalf("got %v", got)
			}
		})
	}
}

func TestFXFlagsRoundTrip(t *testing.T) {
	s := workflow.JoinFXFlags(map[string]bool{workflow.FXFlagUnallocated: true, workflow.FXFlagPayerMismatch: true, "x": true})
	if s != "payer_mismatch,unallocated" {
		t.Fatalf("joined %q", s)
	}
	got := workflow.SplitFXFlags(s)
	if len(got) != 2 || !got[workflow.FXFlagPayerMismatch] || !got[workflow.FXFlagUnallocated] {
		t.Fatalf("split %v", got)
	}
}

// TestFXRankSuggestions: the buyer's lines first, then exact remaining amounts, then older
// trade dates; other currencies and paid lines dropped; amounts pre-filled greedily.
func TestFXRankSuggestions(t *testing.T) {
	line := func(id int64, buyer, cur, date string, amount, allocated models.Money) workflow.OpenLine {
		return workflow.OpenLine{LineID: id, BuyerName: buyer, Currency: cur, TradeDate: date, Amount: amount, Allocated: allocated}
	}
	lines := []workflow.OpenLine{
		line(1, "Ivan Petrov", "USD", "2026-10-01", 50_000, 0),            // other buyer, oldest
		line(2, "Ahmed Al Mansouri", "USD", "2026-11-10", 80_000, 0),      // buyer, newer
		line(3, "Ahmed Al Mansouri", "USD", "2026-11-01", 120_000, 0),     // buyer, older
		line(4, "Ahmed Al Mansouri", "EUR", "2026-09-01", 100_000, 0),     // other currency
		line(5, "Ahmed Al Mansouri", "USD", "2026-11-20", 30_000, 0),      // buyer, exact remaining
		line(6, "Ivan Petrov", "USD", "2026-11-25", 30_000, 0),            // other buyer, exact
		line(7, "Ahmed Al Mansouri", "USD", "2026-08-01", 10_000, 10_000), // paid
	}
	for _, c := range []struct {
		name    string
		payer   string
		left    models.Money
		order   []int64
		prefill []models.Money
	}{
		{"BuyerThenExactThenOlder", "AHMED AL-MANSOURI", 30_000, []int64{5, 3, 2, 6, 1}, []models.Money{30_000, 0, 0, 0, 0}},
		{"GreedyAcrossLines", "Ahmed Al Mansouri", 150_000, []int64{3, 2, 5, 1, 6}, []models.Money{120_000, 30_000, 0, 0, 0}},
		{"NoBuyerMatch", "Unknown Trading FZE", 30_000, []int64{5, 6, 1, 3, 2}, []models.Money{30_000, 0, 0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := workflow.RankSuggestions(lines, c.payer, "USD", "2026-11-28", c.left)
			if len(got) != len(c.order) {
				t.Fatalf("%d suggestions, want %d", len(got), len(c.order))
			}
			for i, s := range got {
				if s.LineID != c.order[i] || s.Prefill != c.prefill[i] {
					t.Errorf("#%d: line %d prefill %s, want line %d prefill %s", i, s.LineID, s.Prefill, c.order[i], c.prefill[i])
				}
			}
		})
	}
	if got := workflow.RankSuggestions(lines, "Ahmed Al Mansouri", "USD", "2026-11-28", 30_000); !got[0].BuyerMatch || !got[0].Exact || !got[0].BeforeExport {
		t.Fatalf("reasons of the first suggestion: %+v", got[0])
	}
}
