package workflow

import (
	"strings"
	"unicode/utf8"

	"mpt/workflow/apperr"
)

// usccCharset is the alphabet of GB 32100-2015: digits and capital letters except I, O, S, V
// and Z; a character's value is its index (0–30).
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// USCCCheckChar returns the check character (position 18) of a unified social credit code
// given its first 17 characters, by GB 32100-2015: S = Σ value(c[i])·(3^i mod 31) and
// check = charset[(31 − S mod 31) mod 31]. It returns false unless first17 is 17 characters of
// the charset 0-9 A-Z without I, O, S, V and Z (upper-case).
func USCCCheckChar(first17 string) (byte, bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum, weight := 0, 1 // weight is 3^i mod 31
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccCharset, first17[i])
		if v < 0 {
			return 0, false
		}
		sum += v * weight
		weight = weight * 3 % 31
	}
	return usccCharset[(31-sum%31)%31], true
}

// CheckUSCC checks a unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters
// from 0-9 A-Z without I, O, S, V, Z; position 1 the registration authority (1–9, A, N, Y),
// position 2 the entity type (under 9 market supervision: 1 enterprise, 2 individual business,
// 3 farmers' cooperative), positions 3–8 the administrative division code (digits), 9–17 the
// organisation code and 18 the check character. Some early codes are legally valid yet fail
// the check, so a check-character mismatch alone is sent to manual review (NeedsReview), never
// rejected outright.
func CheckUSCC(raw string) Verdict {
	v := normalize(raw)
	if v == "" {
		return nameUSCC().empty(v)
	}
	if pos := firstSpace(v); pos > 0 {
		return nameUSCC().spaceAt(v, pos)
	}
	rs := []rune(v)
	if len(rs) != 18 {
		return invalid(v, apperr.Tf("The unified social credit code has %d characters; it must have 18",
			"统一社会信用代码为 %d 位，应为 18 位", len(rs)))
	}
	if pos, r := firstNot(rs, 1, 18, func(r rune) bool { return r < utf8.RuneSelf && strings.ContainsRune(usccCharset, r) }); pos > 0 {
		return invalid(v, usccBadChar(pos, r))
	}
	switch authority := rs[0]; {
	case !strings.ContainsRune("123456789ANY", authority):
		return invalid(v, apperr.Tf(
			"Character 1 (registration authority) is %q; it must be 1–9, A, N or Y (9 for companies and individual businesses)",
			"第 1 位（登记管理部门代码）为 %q，应为 1–9、A、N 或 Y（企业和个体工商户为 9）", authority))
	case authority == '9' && !strings.ContainsRune("123", rs[1]):
		return invalid(v, apperr.Tf(
			"Character 2 (entity type) is %q; for codes issued by market supervision (starting with 9) it must be 1 (enterprise), 2 (individual business) or 3 (farmers' cooperative)",
			"第 2 位（机构类别代码）为 %q；以 9 开头（市场监管部门登记）的代码应为 1（企业）、2（个体工商户）或 3（农民专业合作社）", rs[1]))
	case authority != '9' && !strings.ContainsRune("123456789A", rs[1]):
		return invalid(v, apperr.Tf("Character 2 (entity type) is %q; it must be 1–9 or A",
			"第 2 位（机构类别代码）为 %q，应为 1–9 或 A", rs[1]))
	}
	if pos, r := firstNot(rs, 3, 8, isDigit); pos > 0 {
		return invalid(v, apperr.Tf(
			"Characters 3–8 (administrative division code) must be digits; %[1]q at position %[2]d is not",
			"第 3–8 位（登记管理机关行政区划码）应为数字，第 %[2]d 位的 %[1]q 不是数字", r, pos))
	}
	want, _ := USCCCheckChar(v[:17])
	if got := v[17]; got != want {
		return review(v, apperr.Tf(
			"The check character should be %[1]q but is %[2]q. Some early codes are legally valid yet fail this check, so the code goes to manual review",
			"校验码应为 %[1]q，实际为 %[2]q。部分早期赋予的代码合法但无法通过校验，因此转人工复核", rune(want), rune(got)))
	}
	return ok(v)
}

// usccBadChar explains a character outside the GB 32100-2015 charset.
func usccBadChar(pos int, r rune) apperr.Text {
	switch r {
	case 'O', 'I':
		digit := '0'
		if r == 'I' {
			digit = '1'
		}
		return apperr.Tf(
			"Character %[1]q at position %[2]d is not allowed: I, O, S, V and Z are never used. Did you mean the digit %[3]q?",
			"第 %[2]d 位的字符 %[1]q 不允许：统一社会信用代码不使用 I、O、S、V、Z。是否应为数字 %[3]q？", r, pos, digit)
	case 'S', 'V', 'Z':
		return apperr.Tf("Character %[1]q at position %[2]d is not allowed: I, O, S, V and Z are never used",
			"第 %[2]d 位的字符 %[1]q 不允许：统一社会信用代码不使用 I、O、S、V、Z", r, pos)
	}
	return apperr.Tf(
		"Character %[1]q at position %[2]d is not allowed; use only digits and capital letters (never I, O, S, V or Z)",
		"第 %[2]d 位的字符 %[1]q 不允许，只能使用数字和大写字母（不含 I、O、S、V、Z）", r, pos)
}
