package workflow

import (
	"cmp"
	"slices"
	"strings"
	"time"
	"unicode"

	"mpt/models"
	"mpt/workflow/apperr"
)

// ---- FX receipts: the pure rules (DOMAIN §5.2) ------------------------------------------------
//
// Everything in this file takes plain values and returns plain values, so the rules are tested
// without a database (fx_rules_test.go).

// Review flags of a receipt, kept as a comma list in fx_receipts.flags (in this order).
const (
	FXFlagPayerMismatch = "payer_mismatch" // an allocation pays a line whose buyer is not the payer
	FXFlagBeforeExport  = "before_export"  // an allocation pays a line before its exit was confirmed
	FXFlagUnallocated   = "unallocated"    // money unallocated longer than the configured days
)

// FXFlags lists the flags in display order.
var FXFlags = []string{FXFlagPayerMismatch, FXFlagBeforeExport, FXFlagUnallocated}

// FXFlagText names a flag in both languages.
func FXFlagText(flag string) apperr.Text {
	switch flag {
	case FXFlagPayerMismatch:
		return apperr.T("payer is not the buyer", "付款人不是采购商")
	case FXFlagBeforeExport:
		return apperr.T("received before export", "出口前收汇")
	case FXFlagUnallocated:
		return apperr.T("unallocated too long", "长期未分配")
	}
	return apperr.T(flag, flag)
}

// PayerKey folds a name for comparing a payer with a buyer: full-width letters become
// half-width, case is folded, and only letters and digits are kept ("AHMED AL-MANSOURI" and
// "Ahmed Al Mansouri" have the same key).
func PayerKey(name string) string {
	var b strings.Builder
	for _, r := range foldText(name) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// PayerIsBuyer reports whether a payer's name is the buyer's, after PayerKey. DOMAIN §5.2: a
// receipt from a payer who is not the line's buyer is flagged for review.
func PayerIsBuyer(payer, buyer string) bool {
	k := PayerKey(payer)
	return k != "" && k == PayerKey(buyer)
}

// ReceivedBeforeExport reports whether money with a value date pays a line before export: the
// line has not exited (exitDate "") or exited after the value date.
func ReceivedBeforeExport(valueDate, exitDate string) bool {
	return exitDate == "" || valueDate < exitDate
}

// UnallocatedTooLong reports whether part of a receipt has stayed unallocated for more than
// days days after its value date, on today (dates YYYY-MM-DD).
func UnallocatedTooLong(amount, allocated models.Money, valueDate, today string, days int) bool {
	if allocated >= amount {
		return false
	}
	t, err := time.Parse(dateLayout, today)
	if err != nil {
		return false
	}
	return valueDate < t.AddDate(0, 0, -days).Format(dateLayout)
}

// JoinFXFlags writes the flags that are set as the stored comma list, in FXFlags order.
func JoinFXFlags(set map[string]bool) string { return strings.Join(fxFlagsInOrder(set), ",") }

// FXFlagList is a stored comma list as a list, in FXFlags order (never nil).
func FXFlagList(stored string) []string { return fxFlagsInOrder(SplitFXFlags(stored)) }

// fxFlagsInOrder lists the flags that are set, in FXFlags order (never nil).
func fxFlagsInOrder(set map[string]bool) []string {
	out := []string{}
	for _, f := range FXFlags {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// SplitFXFlags reads a stored comma list.
func SplitFXFlags(s string) map[string]bool {
	out := map[string]bool{}
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out[f] = true
		}
	}
	return out
}

// OpenLine is a transaction line that money may still be allocated to: its transaction is
// registered (or held), and less than its amount has been allocated.
type OpenLine struct {
	LineID            int64
	TraceCode         string
	TransactionID     int64
	TransactionNumber string
	TradeDate         string
	Currency          string
	MerchantID        int64
	MerchantName      string
	BuyerID           int64
	BuyerName         string
	Goods             string
	Amount            models.Money
	Allocated         models.Money // fx_allocated
	ExitDate          string       // the exit date of its exited declaration, "" if not exited
}

// Remaining is what may still be allocated to the line.
func (l OpenLine) Remaining() models.Money { return l.Amount - l.Allocated }

// Suggestion is an open line proposed for a receipt, with why it ranks where it does and the
// amount pre-filled for the officer.
type Suggestion struct {
	OpenLine
	BuyerMatch   bool         // the payer is the line's buyer
	Exact        bool         // the line's remaining amount equals the receipt's unallocated amount
	BeforeExport bool         // the money would pay the line before its export
	Prefill      models.Money // amount proposed (0: not ticked)
}

// RankSuggestions orders the open lines a receipt may pay and pre-fills amounts. Only lines in
// the receipt's currency are kept. Order: the payer is the line's buyer first; then lines whose
// remaining amount equals the receipt's unallocated amount; then older trade dates; then line
// id. Amounts are pre-filled greedily in that order up to the unallocated amount.
func RankSuggestions(lines []OpenLine, payer, currency, valueDate string, unallocated models.Money) []Suggestion {
	payerKey := PayerKey(payer)
	out := make([]Suggestion, 0, len(lines))
	for _, l := range lines {
		if l.Currency != currency || l.Remaining() <= 0 {
			continue
		}
		out = append(out, Suggestion{OpenLine: l,
			BuyerMatch:   payerKey != "" && PayerKey(l.BuyerName) == payerKey,
			Exact:        l.Remaining() == unallocated,
			BeforeExport: ReceivedBeforeExport(valueDate, l.ExitDate)})
	}
	rank := func(b bool) int {
		if b {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(out, func(a, b Suggestion) int {
		return cmp.Or(cmp.Compare(rank(a.BuyerMatch), rank(b.BuyerMatch)), cmp.Compare(rank(a.Exact), rank(b.Exact)),
			cmp.Compare(a.TradeDate, b.TradeDate), cmp.Compare(a.LineID, b.LineID))
	})
	left := unallocated
	for i := range out {
		if left <= 0 {
			break
		}
		out[i].Prefill = min(out[i].Remaining(), left)
		left -= out[i].Prefill
	}
	return out
}
