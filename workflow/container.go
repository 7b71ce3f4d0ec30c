package workflow

import (
	"strings"
	"unicode"

	"mpt/workflow/apperr"
)

// containerLetterValue is the ISO 6346 value of a letter: A=10 upwards, skipping multiples of
// 11 (A10 B12 … K21 L23 … U32 V34 … Z38).
func containerLetterValue(c byte) int {
	v := 10
	for l := byte('A'); l < c; l++ {
		v++
		if v%11 == 0 {
			v++
		}
	}
	return v
}

// ContainerCheckDigit returns the ISO 6346 check digit of a container number given its first
// 10 characters (owner code, category and serial): S = Σ value(c[i])·2^i, check =
// (S mod 11) mod 10. It returns false unless first10 is 10 characters of A-Z and 0-9
// (upper-case); it does not check which positions hold letters.
func ContainerCheckDigit(first10 string) (int, bool) {
	if len(first10) != 10 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		c := first10[i]
		var v int
		switch {
		case '0' <= c && c <= '9':
			v = int(c - '0')
		case 'A' <= c && c <= 'Z':
			v = containerLetterValue(c)
		default:
			return 0, false
		}
		sum += v << i
	}
	return sum % 11 % 10, true
}

// isContainerSeparator reports whether r is a separator printed or typed between the parts of
// a container number ("MSCU 663987-0"), which CheckContainerNumber removes.
func isContainerSeparator(r rune) bool {
	return unicode.IsSpace(r) || r == '-' || (r >= '\u2010' && r <= '\u2015') || r == '\u2212'
}

// CheckContainerNumber checks a container number (ISO 6346): a 3-letter owner code, the
// equipment category U (freight container), J or Z, a 6-digit serial and a check digit.
// Spaces and hyphens between the parts, as printed on boxes, are removed.
func CheckContainerNumber(raw string) Verdict {
	v := strings.Map(func(r rune) rune {
		if isContainerSeparator(r) {
			return -1
		}
		return r
	}, normalize(raw))
	if v == "" {
		return nameContainer().empty(v)
	}
	rs := []rune(v)
	if len(rs) != 11 {
		return invalid(v, apperr.Tf(
			"The container number has %d characters; it must have 11: a 3-letter owner code, the category letter U, J or Z, 6 digits and a check digit (e.g. MSCU6639870)",
			"集装箱号为 %d 位，应为 11 位：3 位箱主代码、1 位类别代码（U、J 或 Z）、6 位箱号和 1 位校验码（例如 MSCU6639870）", len(rs)))
	}
	if pos, r := firstNot(rs, 1, 3, isLetter); pos > 0 {
		return invalid(v, apperr.Tf("Characters 1–3 (owner code) must be letters; %[1]q at position %[2]d is not",
			"第 1–3 位（箱主代码）应为字母，第 %[2]d 位的 %[1]q 不是字母", r, pos))
	}
	if c := rs[3]; c != 'U' && c != 'J' && c != 'Z' {
		return invalid(v, apperr.Tf(
			"Character 4 (equipment category) is %q; it must be U (freight container), J (detachable equipment) or Z (trailer or chassis)",
			"第 4 位（设备类别代码）为 %q，应为 U（集装箱）、J（可拆卸设备）或 Z（拖车或底盘车）", c))
	}
	if pos, r := firstNot(rs, 5, 10, isDigit); pos > 0 {
		return invalid(v, apperr.Tf("Characters 5–10 (serial number) must be digits; %[1]q at position %[2]d is not",
			"第 5–10 位（箱号）应为数字，第 %[2]d 位的 %[1]q 不是数字", r, pos))
	}
	if c := rs[10]; !isDigit(c) {
		return invalid(v, apperr.Tf("Character 11 (check digit) must be a digit; it is %q",
			"第 11 位（校验码）应为数字，实际为 %q", c))
	}
	want, _ := ContainerCheckDigit(v[:10])
	if got := int(v[10] - '0'); got != want {
		return invalid(v, apperr.Tf(
			"The check digit should be %d but is %d; compare the number with the container or the bill of lading",
			"校验码应为 %d，实际为 %d，请对照箱体或提单核对箱号", want, got))
	}
	return ok(v)
}
