package workflow

import (
	"fmt"
	"strings"
	"unicode"

	"mpt/workflow/apperr"
)

// Verdict is the outcome of checking an identifier.
type Verdict struct {
	Value       string      // the normalised input
	OK          bool        // valid and usable as is
	NeedsReview bool        // well-formed but needs manual review (USCC check character mismatch)
	Problem     apperr.Text // why it is not OK (empty when OK); for NeedsReview, why review is needed
}

// ok, invalid and review build the three kinds of verdict.
func ok(v string) Verdict                       { return Verdict{Value: v, OK: true} }
func invalid(v string, why apperr.Text) Verdict { return Verdict{Value: v, Problem: why} }
func review(v string, why apperr.Text) Verdict {
	return Verdict{Value: v, NeedsReview: true, Problem: why}
}

// idName names an identifier in English and Chinese, for messages.
type idName struct{ en, zh string }

// The identifiers, as messages name them.
func nameUSCC() idName        { return idName{"unified social credit code", "统一社会信用代码"} }
func nameContainer() idName   { return idName{"container number", "集装箱号"} }
func nameHS() idName          { return idName{"HS code", "商品编码"} }
func nameDeclaration() idName { return idName{"declaration number", "报关单号"} }
func nameCountry() idName     { return idName{"country code", "国家（地区）代码"} }
func nameCurrency() idName    { return idName{"currency code", "币制代码"} }

// empty is the verdict on an empty input.
func (n idName) empty(v string) Verdict {
	return invalid(v, apperr.T("Enter the "+n.en, "请填写"+n.zh))
}

// spaceAt is the verdict on an input with a space inside.
func (n idName) spaceAt(v string, pos int) Verdict {
	return invalid(v, apperr.T(fmt.Sprintf("Remove the space at position %d of the %s", pos, n.en),
		fmt.Sprintf("请删除%s第 %d 位的空格", n.zh, pos)))
}

// notDigit is the problem of a character that must be a digit.
func (n idName) notDigit(pos int, r rune) apperr.Text {
	return apperr.Tf("The %[1]s must be digits only; %[3]q at position %[4]d is not a digit",
		"%[2]s只能包含数字，第 %[4]d 位的 %[3]q 不是数字", n.en, n.zh, r, pos)
}

// normalize turns what a user typed into the canonical form of a code: full-width ASCII and the
// ideographic space (U+3000), which Chinese input methods produce, become half-width; ASCII
// letters become upper-case; invalid UTF-8 becomes U+FFFD; surrounding white space, including
// U+3000, NBSP and zero-width spaces, is trimmed. It is idempotent.
func normalize(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return strings.TrimFunc(b.String(), isBlank)
}

// isBlank reports whether r is white space or an invisible zero-width character that pasting
// from web pages and chat apps leaves around codes.
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200B' || r == '\u200C' || r == '\u200D' || r == '\u2060' || r == '\uFEFF'
}

// firstSpace returns the 1-based position of the first white-space character in v, or 0.
func firstSpace(v string) int {
	pos := 0
	for _, r := range v {
		pos++
		if unicode.IsSpace(r) {
			return pos
		}
	}
	return 0
}

// firstNot returns the 1-based position and the rune of the first character among runes
// [from, to] (1-based, inclusive) of rs that allowed rejects, or 0.
func firstNot(rs []rune, from, to int, allowed func(rune) bool) (int, rune) {
	for i := from - 1; i < to && i < len(rs); i++ {
		if !allowed(rs[i]) {
			return i + 1, rs[i]
		}
	}
	return 0, 0
}

func isDigit(r rune) bool  { return '0' <= r && r <= '9' }
func isLetter(r rune) bool { return 'A' <= r && r <= 'Z' }
