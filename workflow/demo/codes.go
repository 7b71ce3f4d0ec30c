package demo

import (
	"fmt"

	"mpt/workflow"
)

// Registration codes of Yiwu businesses.

// Entity types of a unified social credit code issued by market supervision (GB 32100-2015,
// position 2 under authority 9).
const (
	entityEnterprise = '1'
	entityIndividual = '2'
)

// usccCharset is the GB 32100-2015 alphabet: no I, O, S, V or Z.
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// yiwuDivision is Yiwu's administrative division code (GB/T 2260), positions 3–8 of a USCC.
const yiwuDivision = "330782"

// newUSCC returns an unused unified social credit code of a Yiwu business with a correct check
// character. Businesses registered since 2015 carry an organisation code assigned by market
// supervision ("MA…"); older enterprises kept their GB 11714 organisation code.
func (g *generator) newUSCC(entity byte) (string, error) {
	code, err := g.unique("uscc", func() string {
		var org string
		if entity == entityIndividual || g.chance(50) {
			org = "MA2" + string("DEHJ"[g.rng.IntN(4)])
			for range 5 {
				org += string(usccCharset[g.rng.IntN(len(usccCharset))])
			}
		} else {
			body := string("3567"[g.rng.IntN(4)]) + g.digits(7)
			org = body + string(orgCodeCheck(body))
		}
		first17 := "9" + string(entity) + yiwuDivision + org
		check, _ := workflow.USCCCheckChar(first17)
		return first17 + string(check)
	})
	if err != nil {
		return "", err
	}
	if v := workflow.CheckUSCC(code); !v.OK {
		return "", fmt.Errorf("demo: generated USCC %s fails its check: %s", code, v.Problem.En)
	}
	return code, nil
}

// orgCodeCheck returns the check character of an 8-digit organisation code body (GB 11714-1997):
// weights 3 7 9 10 5 8 4 2, check = 11 − (S mod 11), where 10 is written X and 11 is 0.
func orgCodeCheck(body string) byte {
	weights := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 8 {
		sum += int(body[i]-'0') * weights[i]
	}
	switch c := 11 - sum%11; c {
	case 10:
		return 'X'
	case 11:
		return '0'
	default:
		return byte('0' + c)
	}
}

// newCustomsCode returns an unused 10-character customs registration code of a Yiwu trader:
// area code 3318, then 9 (trade company) and 6, then a 4-digit serial.
func (g *generator) newCustomsCode() (string, error) {
	return g.unique("customs code", func() string { return "331896" + g.digits(4) })
}

// newCommerceRegNo returns an unused foreign-trade operator filing number (对外贸易经营者备案
// 登记表编号): eight digits.
func (g *generator) newCommerceRegNo() (string, error) {
	return g.unique("commerce reg no", func() string { return "0" + g.digits(7) })
}
