package workflow

import (
	"fmt"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Finding codes: what was found on a declaration before submission (issue 5). Errors block
// submission; warnings must be acknowledged by the agent first.
const (
	FindingIneligibleHS       = "ineligible_hs"        // error: prohibited, restricted, licensed or dual-use (DOMAIN §4)
	FindingLineOverCap        = "line_over_cap"        // error: one line worth more than the cap, refused for 1039
	FindingDeclarationOverCap = "declaration_over_cap" // error: the declaration's total over the cap
	FindingOverItemLimit      = "over_item_limit"      // error: more items than the configured limit
	FindingMerchantNotActive  = "merchant_not_active"  // error: abnormal, suspended or blacklisted (DOMAIN §8)
	FindingGoodsNotRecognised = "goods_not_recognised" // error: not recognised by 商品认定 (DOMAIN §4)
	FindingUSCCReview         = "uscc_review"          // warning: the merchant's USCC waits for manual review
	FindingMixedUnits         = "mixed_units"          // warning: a merged item holds lines in other legal units
	FindingWeightPerCarton    = "weight_per_carton"    // warning: net kg per carton implausible
	FindingGrossBelowNet      = "gross_below_net"      // warning: gross weight below net weight
)

// Plausible net weight per carton: 0.05–60 kg.
const (
	minNetGramsPerCarton = 50
	maxNetGramsPerCarton = 60_000
)

// Finding is one problem on a declaration, tied to the field it concerns: "lines[<line id>].<field>"
// for a transaction line, "items[<item no>].<field>" for an item, "header.<field>" for the header.
type Finding struct {
	Code     string
	Severity string // models.SeverityError or models.SeverityWarning
	Field    string
	Text     apperr.Text
	LineID   int64 // the transaction line concerned, 0 for none
}

// Blocking reports whether the finding is an error (blocks submission).
func (f Finding) Blocking() bool { return f.Severity == models.SeverityError }

// FindingLine is what the findings rules read of one transaction line.
type FindingLine struct {
	LineID         int64
	TraceCode      string
	MerchantName   string
	MerchantStatus string
	USCCReview     bool
	GoodsStatus    string
	HSCode         string
	ValueUSD       models.Money
	Cartons        int64
	NetGrams       models.Grams
	GrossGrams     models.Grams
}

func lineField(id int64, field string) string { return fmt.Sprintf("lines[%d].%s", id, field) }

// ItemField is the field name of an item's field, e.g. "items[3].legal_unit".
func ItemField(no int, field string) string { return fmt.Sprintf("items[%d].%s", no, field) }

// LineFindings checks one line: ineligible HS (error), line value over the cap (error, refused
// for 1039), merchant not active (error, DOMAIN §8), goods not recognised (error), USCC under
// manual review (warning), net kg per carton outside 0.05–60 kg or gross below net (warning).
func LineFindings(l FindingLine, capUSD models.Money, prefixes []models.HSPrefix) []Finding {
	var out []Finding
	who := fmt.Sprintf("%s (%s)", l.TraceCode, l.MerchantName)
	add := func(code, sev, field string, t apperr.Text) {
		out = append(out, Finding{Code: code, Severity: sev, Field: lineField(l.LineID, field), LineID: l.LineID,
			Text: apperr.T(who+": "+t.En, who+"："+t.Zh)})
	}
	if reason, bad := IneligibleReason(prefixes, l.HSCode); bad {
		add(FindingIneligibleHS, models.SeverityError, "hs_code", apperr.T(
			fmt.Sprintf("HS %s cannot be exported under mode 1039: %s", l.HSCode, reason.En),
			fmt.Sprintf("商品编码 %s 不能以 1039 方式出口：%s", l.HSCode, reason.Zh)))
	}
	if l.ValueUSD > capUSD {
		add(FindingLineOverCap, models.SeverityError, "value_usd", apperr.Tf(
			"the line is worth USD %s, over the USD %s cap of one declaration: it cannot go under mode 1039",
			"该明细货值 %s 美元，超过单票 %s 美元上限，不能以 1039 方式申报", l.ValueUSD, capUSD))
	}
	if l.MerchantStatus != models.MerchantActive {
		add(FindingMerchantNotActive, models.SeverityError, "merchant", apperr.Tf(
			"the merchant is %[1]s, not active: its goods cannot be declared until market supervision restores it",
			"该商户状态为 %[1]s（非正常经营），在市场监管部门恢复前其货物不能申报", l.MerchantStatus))
	}
	if l.GoodsStatus != models.GoodsRecognised {
		st := GoodsStatusText(l.GoodsStatus)
		add(FindingGoodsNotRecognised, models.SeverityError, "goods", apperr.T(
			fmt.Sprintf("the goods are %s, not recognised by market supervision (商品认定): they cannot go under mode 1039", st.En),
			fmt.Sprintf("该商品%s，未经市场监管部门认定，不能以 1039 方式申报", st.Zh)))
	}
	if l.USCCReview {
		add(FindingUSCCReview, models.SeverityWarning, "merchant", apperr.T(
			"the merchant's unified social credit code failed its check and waits for manual review; confirm the merchant's identity",
			"该商户统一社会信用代码校验未通过，正在人工复核，请核实商户身份"))
	}
	if l.Cartons > 0 {
		per := int64(l.NetGrams) / l.Cartons
		if per < minNetGramsPerCarton || per > maxNetGramsPerCarton {
			add(FindingWeightPerCarton, models.SeverityWarning, "net_kg", apperr.Tf(
				"%s kg net per carton is implausible (expected 0.05–60 kg); check the cartons and the weight",
				"每箱净重 %s 千克不合常理（应为 0.05–60 千克），请核对箱数和重量", models.Grams(per).Kg()))
		}
	}
	if l.GrossGrams < l.NetGrams {
		add(FindingGrossBelowNet, models.SeverityWarning, "gross_kg", apperr.Tf(
			"gross weight %s kg is below net weight %s kg", "毛重 %s 千克小于净重 %s 千克", l.GrossGrams.Kg(), l.NetGrams.Kg()))
	}
	return out
}

// String is the finding in English, for logs and test failures.
func (f Finding) String() string { return f.Severity + " " + f.Code + " " + f.Field + ": " + f.Text.En }

// ItemFindings checks the items of a declaration: a merged item whose lines have other legal
// units than its representative's is flagged for agent review (DOMAIN §4 rule 5).
func ItemFindings(items []DeclItem) []Finding {
	var out []Finding
	for _, it := range items {
		if !it.MixedUnits {
			continue
		}
		var units string
		for i, u := range it.ByUnit {
			if i > 0 {
				units += ", "
			}
			units += u.Quantity.String() + " × " + u.Unit
		}
		out = append(out, Finding{Code: FindingMixedUnits, Severity: models.SeverityWarning, Field: ItemField(it.No, "legal_unit"),
			Text: apperr.Tf("Item %d merges lines in several legal units (%s); its quantity counts only unit %s. Check the correspondence",
				"第 %d 项合并了不同法定计量单位的明细（%s），数量仅计单位 %s，请核对对应关系", it.No, units, it.LegalUnit)})
	}
	return out
}

// DeclarationLimitFindings checks a declaration as a whole: at most the value cap (GACC 2019
// No. 221: USD 150,000 per declaration, inclusive) and the item limit. Splitting should never
// produce either; they are checked anyway, as errors.
func DeclarationLimitFindings(totalUSD models.Money, items int, capUSD models.Money, itemLimit int) []Finding {
	var out []Finding
	if totalUSD > capUSD {
		out = append(out, Finding{Code: FindingDeclarationOverCap, Severity: models.SeverityError, Field: "header.total_usd",
			Text: apperr.Tf("The declaration is worth USD %s, over the USD %s cap", "报关单总值 %s 美元，超过 %s 美元上限", totalUSD, capUSD)})
	}
	if items > itemLimit {
		out = append(out, Finding{Code: FindingOverItemLimit, Severity: models.SeverityError, Field: "header.items",
			Text: apperr.Tf("The declaration has %d items, over the limit of %d", "报关单共 %d 项商品，超过 %d 项上限", items, itemLimit)})
	}
	return out
}

// FindingCodeText names a finding code in both languages, for lists and filters.
func FindingCodeText(code string) apperr.Text {
	switch code {
	case FindingIneligibleHS:
		return apperr.T("Ineligible HS code", "商品编码不适用 1039")
	case FindingLineOverCap:
		return apperr.T("Line value over the cap", "单条明细超过限额")
	case FindingDeclarationOverCap:
		return apperr.T("Declaration over the cap", "报关单超过限额")
	case FindingOverItemLimit:
		return apperr.T("Too many items", "商品项数超限")
	case FindingMerchantNotActive:
		return apperr.T("Merchant not active", "商户非正常经营")
	case FindingGoodsNotRecognised:
		return apperr.T("Goods not recognised", "商品未认定")
	case FindingUSCCReview:
		return apperr.T("USCC needs manual review", "信用代码待人工复核")
	case FindingMixedUnits:
		return apperr.T("Mixed units in a merged item", "合并项计量单位不一")
	case FindingWeightPerCarton:
		return apperr.T("Weight per carton implausible", "每箱重量异常")
	case FindingGrossBelowNet:
		return apperr.T("Gross weight below net", "毛重小于净重")
	}
	return apperr.T(code, code)
}
