package workflow

import (
	"fmt"
	"strings"

	"mpt/workflow/apperr"
)

// CheckDeclarationNumber checks a customs declaration number (报关单号): 18 digits made of the
// 4-digit code of the customs office that received it, the 4-digit year (2000–2099), the
// flag 0 export or 1 import, and a 9-digit sequence number (not all zeros).
func CheckDeclarationNumber(raw string) Verdict {
	v := normalize(raw)
	if v == "" {
		return nameDeclaration().empty(v)
	}
	if pos := firstSpace(v); pos > 0 {
		return nameDeclaration().spaceAt(v, pos)
	}
	rs := []rune(v)
	if pos, r := firstNot(rs, 1, len(rs), isDigit); pos > 0 {
		return invalid(v, nameDeclaration().notDigit(pos, r))
	}
	if len(v) != 18 {
		return invalid(v, apperr.Tf("The declaration number has %d digits; it must have 18",
			"报关单号为 %d 位，应为 18 位", len(v)))
	}
	if v[:4] == "0000" {
		return invalid(v, apperr.T("Digits 1–4 (customs office code) cannot be 0000",
			"第 1–4 位（申报地海关代码）不能为 0000"))
	}
	if year := v[4:8]; year < "2000" || year > "2099" {
		return invalid(v, apperr.Tf("Digits 5–8 (year) are %s; they must be a year from 2000 to 2099",
			"第 5–8 位（年份）为 %s，应为 2000–2099 之间的年份", year))
	}
	if flag := v[8]; flag != '0' && flag != '1' {
		return invalid(v, apperr.Tf("Digit 9 (import/export flag) is %c; it must be 0 (export) or 1 (import)",
			"第 9 位（进出口标志）为 %c，应为 0（出口）或 1（进口）", flag))
	}
	if v[9:] == "000000000" {
		return invalid(v, apperr.T("Digits 10–18 (sequence number) cannot all be 0",
			"第 10–18 位（顺序号）不能全为 0"))
	}
	return ok(v)
}

// FormatDeclarationNumber builds an 18-digit customs declaration number from the 4-digit code
// of the customs office, the year (2000–2099), the direction (export: flag 0, import: flag 1)
// and the sequence number (1–999999999). The result passes CheckDeclarationNumber.
func FormatDeclarationNumber(office string, year int, export bool, seq int64) (string, error) {
	if len(office) != 4 || strings.Trim(office, "0123456789") != "" || office == "0000" {
		return "", apperr.New(apperr.Invalid, apperr.Tf(
			"The customs office code %q must be 4 digits, not 0000", "申报地海关代码 %q 应为 4 位数字且不能为 0000", office))
	}
	if year < 2000 || year > 2099 {
		return "", apperr.New(apperr.Invalid, apperr.Tf(
			"The year %d must be from 2000 to 2099", "年份 %d 应在 2000–2099 之间", year))
	}
	if seq < 1 || seq > 999999999 {
		return "", apperr.New(apperr.Invalid, apperr.Tf(
			"The sequence number %d must be from 1 to 999999999", "顺序号 %d 应在 1–999999999 之间", seq))
	}
	flag := 1
	if export {
		flag = 0
	}
	return fmt.Sprintf("%s%04d%d%09d", office, year, flag, seq), nil
}
