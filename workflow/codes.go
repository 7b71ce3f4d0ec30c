package workflow

import (
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// CheckCountry checks an ISO 3166-1 alpha-2 country code ("CN"; Namibia is "NA"). An alpha-3
// code is answered with the alpha-2 code to use, and "UK" with GB. ref must not be nil.
func CheckCountry(ref *refdata.Set, raw string) Verdict {
	v := normalize(raw)
	if v == "" {
		return nameCountry().empty(v)
	}
	if pos := firstSpace(v); pos > 0 {
		return nameCountry().spaceAt(v, pos)
	}
	if c, found := ref.CountryByAlpha3(v); found {
		return invalid(v, apperr.Tf("%[1]s is a 3-letter code; use the 2-letter ISO 3166 code %[2]s (%[3]s)",
			"%[1]s 是三位字母代码，请使用两位字母的 ISO 3166 代码 %[2]s（%[4]s）", v, c.Alpha2, c.NameEn, c.NameZh))
	}
	if v == "UK" {
		return invalid(v, apperr.T("UK is not an ISO 3166 code; the United Kingdom is GB",
			"UK 不是 ISO 3166 代码，英国的代码为 GB"))
	}
	rs := []rune(v)
	if len(rs) != 2 {
		return invalid(v, apperr.Tf("The country code has %d characters; use the 2-letter ISO 3166 code, e.g. CN",
			"国家（地区）代码为 %d 位，请使用两位字母的 ISO 3166 代码，例如 CN", len(rs)))
	}
	if pos, r := firstNot(rs, 1, 2, isLetter); pos > 0 {
		return invalid(v, apperr.Tf("The country code must be 2 letters; %[1]q at position %[2]d is not a letter",
			"国家（地区）代码应为两位字母，第 %[2]d 位的 %[1]q 不是字母", r, pos))
	}
	if _, found := ref.Country(v); !found {
		return invalid(v, apperr.Tf("%s is not an ISO 3166 country code", "%s 不是有效的 ISO 3166 国家（地区）代码", v))
	}
	return ok(v)
}

// CheckCurrency checks an ISO 4217 code of a current currency that can be invoiced in (not a
// withdrawn code, fund, precious metal or test code). "RMB" is answered with CNY.
// ref must not be nil.
func CheckCurrency(ref *refdata.Set, raw string) Verdict {
	v := normalize(raw)
	if v == "" {
		return nameCurrency().empty(v)
	}
	if pos := firstSpace(v); pos > 0 {
		return nameCurrency().spaceAt(v, pos)
	}
	if v == "RMB" {
		return invalid(v, apperr.T("RMB is not an ISO 4217 code; the renminbi is CNY",
			"RMB 不是 ISO 4217 代码，人民币的代码为 CNY"))
	}
	rs := []rune(v)
	if len(rs) != 3 {
		return invalid(v, apperr.Tf("The currency code has %d characters; use the 3-letter ISO 4217 code, e.g. USD",
			"币制代码为 %d 位，请使用三位字母的 ISO 4217 代码，例如 USD", len(rs)))
	}
	if pos, r := firstNot(rs, 1, 3, isLetter); pos > 0 {
		return invalid(v, apperr.Tf("The currency code must be 3 letters; %[1]q at position %[2]d is not a letter",
			"币制代码应为三位字母，第 %[2]d 位的 %[1]q 不是字母", r, pos))
	}
	if _, found := ref.Currency(v); !found {
		return invalid(v, apperr.Tf("%s is not a current ISO 4217 currency code that can be used on an invoice",
			"%s 不是可用于发票的现行 ISO 4217 币制代码", v))
	}
	return ok(v)
}
