package workflow

import (
	"strings"

	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// CheckHSCode checks a Chinese 10-digit commodity code (商品编号): exactly 10 digits, whose
// first six are an HS 2022 subheading in ref (DOMAIN §6.3). Dots as printed in tariffs
// ("9503.00.00.90") are removed; a shorter code is never padded with zeros. ref must not be nil.
func CheckHSCode(ref *refdata.Set, raw string) Verdict {
	v := normalize(strings.ReplaceAll(normalize(raw), ".", "")) // again: dots may hide blanks
	if v == "" {
		return nameHS().empty(v)
	}
	if pos := firstSpace(v); pos > 0 {
		return nameHS().spaceAt(v, pos)
	}
	rs := []rune(v)
	if pos, r := firstNot(rs, 1, len(rs), isDigit); pos > 0 {
		return invalid(v, nameHS().notDigit(pos, r))
	}
	switch n := len(v); {
	case n < 10:
		return invalid(v, apperr.Tf(
			"The HS code has %d digits; China declares 10-digit codes, e.g. 9503000090. Do not pad with zeros unless that is the real code",
			"商品编码为 %d 位，中国海关申报使用 10 位编码（例如 9503000090）。除非实际编码如此，请勿用 0 补足位数", n))
	case n > 10:
		return invalid(v, apperr.Tf("The HS code has %d digits; it must have 10",
			"商品编码为 %d 位，应为 10 位", n))
	}
	if _, found := ref.HSChapter(v[:2]); !found {
		return invalid(v, apperr.Tf("Chapter %s (the first two digits) does not exist in HS 2022",
			"HS 2022 中没有第 %s 章（编码前两位）", v[:2]))
	}
	if _, found := ref.HSHeading(v[:4]); !found {
		return invalid(v, apperr.Tf("Heading %s (the first four digits) does not exist in HS 2022",
			"HS 2022 中没有 %s 品目（编码前四位）", v[:4]))
	}
	if _, found := ref.HSSubheading(v[:6]); !found {
		return invalid(v, hsNotSubheading(ref, v[:6]))
	}
	return ok(v)
}

// hsNotSubheading explains a 6-digit code that is not an HS 2022 subheading. When HS 2022 split
// a subheading, its parts usually keep the first five digits (940540 became 940541, 940542 and
// 940549), so those are suggested.
func hsNotSubheading(ref *refdata.Set, code6 string) apperr.Text {
	var near []string
	for _, e := range ref.SearchHS(code6[:5], 0) {
		if e.Level == refdata.HSLevelSubheading && len(near) < 9 {
			near = append(near, e.Code)
		}
	}
	if len(near) == 0 {
		return apperr.Tf(
			"%s (the first six digits) is not an HS 2022 subheading; it may come from an older HS edition. Use a code from the current Chinese tariff",
			"%s（编码前六位）不是 HS 2022 的子目，可能来自旧版 HS，请使用现行中国海关税则中的编码", code6)
	}
	return apperr.Tf(
		"%s (the first six digits) is not an HS 2022 subheading: HS 2022 split or renumbered it. Did you mean one of %s?",
		"%s（编码前六位）不是 HS 2022 的子目：HS 2022 已将其拆分或调整。是否应为 %s 之一？",
		code6, strings.Join(near, ", "))
}
