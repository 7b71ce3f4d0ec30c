package workflow

import (
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"sort"
	"strings"

	"mpt/models"
	"mpt/workflow/apperr"
)

var (
	ruleCodeRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
	hsPrefixRE  = regexp.MustCompile(`^[0-9]{2,10}$`)
	hsHeadingRE = regexp.MustCompile(`^[0-9]{4}$`)
)

// ruleParams says which parameters each kind of rule takes.
var ruleParams = map[string][]string{
	RuleHSPrefix:        {"prefixes"},
	RuleUnitValue:       {"factor"},
	RuleKgPerCarton:     {"factor"},
	RuleWatchedBuyer:    {},
	RuleWatchedMerchant: {},
	RuleCreditClass:     {"classes"},
	RuleNewMerchant:     {"days"},
	RuleBuyerBurst:      {"count", "max_usd", "hours"},
	RulePackingMismatch: {"percent"},
}

// Check validates a rule set before it is published; every problem names its JSON path
// (rules[3].factor, min_rates.red, norms.9503.unit_value_usd) and says what to fix. Rules need a
// unique code, a known kind, a lane among yellow, red and blue, names in both languages and the
// parameters of their kind (and no others); HS prefixes are 2 to 10 digits; factors are over 1;
// per-mille rates are 0 to 1000 and sum to at most 1000; norms are keyed by 4-digit headings and
// hold positive values.
func (rs RuleSet) Check() error {
	var fs apperr.Fields
	codes := map[string]bool{}
	for i, r := range rs.Rules {
		at := func(field string) string { return fmt.Sprintf("rules[%d].%s", i, field) }
		switch {
		case !ruleCodeRE.MatchString(r.Code):
			fs.Add(at("code"), apperr.T("Give a code of 1 to 32 letters, digits, - or _", "请填写 1 至 32 位字母、数字、- 或 _ 组成的代码"))
		case codes[r.Code]:
			fs.Add(at("code"), apperr.Tf("Code %s is used by another rule: codes must be unique", "代码 %s 已被其他规则使用，代码不能重复", r.Code))
		}
		codes[r.Code] = true
		params, known := ruleParams[r.Kind]
		if !known {
			fs.Add(at("kind"), apperr.Tf("Unknown kind %q: use one of %v", "未知的规则类型 %q，请使用 %v 之一", r.Kind, RuleKinds))
		}
		if r.Lane != LaneYellow && r.Lane != LaneRed && r.Lane != LaneBlue {
			fs.Add(at("lane"), apperr.T("Lane must be yellow, red or blue", "通道须为 yellow（黄）、red（红）或 blue（蓝）"))
		}
		if r.NameEn == "" {
			fs.Add(at("name_en"), apperr.T("Give the rule's English name", "请填写规则的英文名称"))
		}
		if r.NameZh == "" {
			fs.Add(at("name_zh"), apperr.T("Give the rule's Chinese name", "请填写规则的中文名称"))
		}
		if !known {
			continue
		}
		for _, p := range r.setParams() {
			if !slices.Contains(params, p) {
				fs.Add(at(p), apperr.Tf("%s is not a parameter of %s: remove it", "%s 不是 %s 规则的参数，请删除", p, r.Kind))
			}
		}
		checkRuleParams(&fs, at, r)
	}
	checkMinRates(&fs, rs.MinRates)
	headings := make([]string, 0, len(rs.Norms))
	for h := range rs.Norms {
		headings = append(headings, h)
	}
	sort.Strings(headings)
	for _, h := range headings {
		n := rs.Norms[h]
		at := "norms." + h
		if !hsHeadingRE.MatchString(h) {
			fs.Add(at, apperr.T("A norm is keyed by an HS heading of 4 digits", "标准值须以 4 位 HS 品目为键"))
			continue
		}
		if n.Unit != "" && (len(n.Unit) != 3 || strings.Trim(n.Unit, "0123456789") != "") {
			fs.Add(at+".unit", apperr.T("Give the 3-digit customs unit code the value is per, e.g. 007 for pieces", "请填写标准值对应的 3 位海关计量单位代码，例如 007（个）"))
		}
		if n.UnitValueUSD == "" && n.KgPerCarton == "" {
			fs.Add(at, apperr.T("Give unit_value_usd, kg_per_carton or both", "请填写 unit_value_usd、kg_per_carton 或两者"))
		}
		for _, nv := range []struct {
			field string
			v     Decimal
		}{{"unit_value_usd", n.UnitValueUSD}, {"kg_per_carton", n.KgPerCarton}} {
			field, v := nv.field, nv.v
			if v == "" {
				continue
			}
			if d, ok := parseDecimal(v); !ok || d.Sign() <= 0 {
				fs.Add(at+"."+field, apperr.T("Give a positive decimal number such as 2.50", "请填写正的小数，如 2.50"))
			}
		}
	}
	return fs.Err()
}

// setParams lists the parameters a rule has a value for.
func (r RiskRule) setParams() []string {
	var out []string
	if len(r.Prefixes) > 0 {
		out = append(out, "prefixes")
	}
	if r.Factor != "" {
		out = append(out, "factor")
	}
	if len(r.Classes) > 0 {
		out = append(out, "classes")
	}
	if r.Days != 0 {
		out = append(out, "days")
	}
	if r.Count != 0 {
		out = append(out, "count")
	}
	if r.MaxUSD != "" {
		out = append(out, "max_usd")
	}
	if r.Hours != 0 {
		out = append(out, "hours")
	}
	if r.Percent != "" {
		out = append(out, "percent")
	}
	return out
}

// checkRuleParams checks the parameters a rule's kind needs.
func checkRuleParams(fs *apperr.Fields, at func(string) string, r RiskRule) {
	switch r.Kind {
	case RuleHSPrefix:
		if len(r.Prefixes) == 0 {
			fs.Add(at("prefixes"), apperr.T("List at least one HS prefix", "请至少列出一个 HS 编码前缀"))
		}
		for j, p := range r.Prefixes {
			if !hsPrefixRE.MatchString(p) {
				fs.Add(fmt.Sprintf("%s[%d]", at("prefixes"), j), apperr.T("An HS prefix is 2 to 10 digits", "HS 编码前缀须为 2 至 10 位数字"))
			}
		}
	case RuleUnitValue, RuleKgPerCarton:
		if d, ok := parseDecimal(r.Factor); !ok || d.Cmp(big.NewRat(1, 1)) <= 0 {
			fs.Add(at("factor"), apperr.T("Give a factor over 1, such as 5 (the norm divided or multiplied by it bounds the range)",
				"请填写大于 1 的倍数，如 5（标准值除以或乘以该倍数为允许范围）"))
		}
	case RuleCreditClass:
		if len(r.Classes) == 0 {
			fs.Add(at("classes"), apperr.T("List at least one credit class (A, B or C)", "请至少列出一个信用等级（A、B 或 C）"))
		}
		for j, c := range r.Classes {
			if c != models.CreditA && c != models.CreditB && c != models.CreditC {
				fs.Add(fmt.Sprintf("%s[%d]", at("classes"), j), apperr.T("A credit class is A, B or C", "信用等级为 A、B 或 C"))
			}
		}
	case RuleNewMerchant:
		if r.Days < 1 || r.Days > 3650 {
			fs.Add(at("days"), apperr.T("Give a number of days from 1 to 3650", "请填写 1 至 3650 之间的天数"))
		}
	case RuleBuyerBurst:
		if r.Count < 2 || r.Count > 1000 {
			fs.Add(at("count"), apperr.T("Give a number of declarations from 2 to 1000", "请填写 2 至 1000 之间的报关单票数"))
		}
		if m, ok := parseMoney(r.MaxUSD); !ok || m <= 0 {
			fs.Add(at("max_usd"), apperr.T("Give a positive amount in USD with at most 2 decimals", "请填写正的美元金额，最多 2 位小数"))
		}
		if r.Hours < 1 || r.Hours > 720 {
			fs.Add(at("hours"), apperr.T("Give a window from 1 to 720 hours", "请填写 1 至 720 小时的时间窗口"))
		}
	case RulePackingMismatch:
		if d, ok := parseDecimal(r.Percent); !ok || d.Cmp(big.NewRat(100, 1)) > 0 {
			fs.Add(at("percent"), apperr.T("Give a percentage from 0 to 100", "请填写 0 至 100 之间的百分比"))
		}
	}
}

// checkMinRates checks the per-mille random rates: only red, yellow and blue, each 0 to 1000,
// together at most 1000.
func checkMinRates(fs *apperr.Fields, rates map[string]int) {
	lanes := make([]string, 0, len(rates))
	for l := range rates {
		lanes = append(lanes, l)
	}
	sort.Strings(lanes)
	sum := 0
	for _, l := range lanes {
		v := rates[l]
		switch {
		case l != LaneRed && l != LaneYellow && l != LaneBlue:
			fs.Add("min_rates."+l, apperr.T("Random rates are set for red, yellow and blue only", "随机比例只可设置红、黄、蓝三个通道"))
		case v < 0 || v > 1000:
			fs.Add("min_rates."+l, apperr.T("Give a rate from 0 to 1000 per mille", "请填写 0 至 1000 之间的千分比"))
		default:
			sum += v
		}
	}
	if sum > 1000 {
		fs.Add("min_rates", apperr.Tf("The rates add up to %d‰: together they may be at most 1000‰", "各通道比例合计 %d‰，合计不得超过 1000‰", sum))
	}
}
