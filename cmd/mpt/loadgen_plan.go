package main

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"mpt/workflow"
)

// dayPlan is the synthetic market day `mpt loadgen` drives: who trades, what they sell and
// every sale with its lines. It is drawn from one seed only, so the same flags give the same
// day (ids differ from database to database; names, codes, amounts and the order do not).
type dayPlan struct {
	Seed      uint64
	Tag       string // "lg<seed>": prefixes usernames, SKUs and references, so runs with other seeds coexist
	Agents    []agentPlan
	Merchants []merchantPlan
	Buyers    []buyerPlan
	Sales     []salePlan
	TradeDate string
}

type agentPlan struct {
	Username string
	Reg      workflow.AgentRegistration
}

type merchantPlan struct {
	Username string
	Agent    int   // index in Agents of the agent it entrusts
	Buyers   []int // indexes in Buyers it trades with
	Reg      workflow.MerchantRegistration
}

type buyerPlan struct{ In workflow.BuyerInput }

type salePlan struct {
	Merchant int
	Buyer    int // index in Buyers
	Currency string
	Lines    []salePlanLine
}

type salePlanLine struct {
	Goods    int // index in loadgenCatalogue (the merchant registers all of them)
	Quantity int64
	Price    string // unit price, 4 decimals
	Cartons  int64
	NetKg    string
	GrossKg  string
}

// goodsKind is a kind of goods every load-generator merchant registers: real 10-digit codes
// (HS 2022 subheadings, as in the demo catalogue) whose legal unit is the unit sold in.
type goodsKind struct {
	zh, en, hs, unit string
	cents            [2]int64 // unit price range, US cents
	grams            int64    // net grams per unit
	perCarton        int64
}

var loadgenCatalogue = []goodsKind{
	{"毛绒玩具熊", "Plush teddy bear", "9503002100", "007", [2]int64{80, 650}, 150, 60},
	{"惯性回力小汽车", "Friction toy car", "9503008900", "007", [2]int64{25, 150}, 60, 144},
	{"涤纶旅行袋", "Polyester travel bag", "4202920000", "007", [2]int64{250, 1200}, 450, 30},
	{"帆布手提袋", "Canvas tote bag", "4202220000", "007", [2]int64{80, 450}, 220, 60},
	{"三折自动伞", "Automatic folding umbrella", "6601910000", "016", [2]int64{150, 500}, 350, 40},
	{"螺丝刀套装", "Screwdriver set", "8205400000", "006", [2]int64{80, 450}, 250, 48},
	{"尖嘴钳", "Long-nose pliers", "8203200000", "016", [2]int64{60, 280}, 180, 60},
	{"LED台灯", "LED desk lamp", "9405210000", "007", [2]int64{250, 900}, 700, 16},
	{"LED灯泡", "LED bulb", "8539520000", "007", [2]int64{25, 120}, 50, 200},
	{"圆珠笔", "Ballpoint pen", "9608100000", "012", [2]int64{3, 35}, 10, 1200},
	{"卷笔刀", "Pencil sharpener", "8214100000", "007", [2]int64{3, 30}, 15, 800},
	{"磁性白板", "Magnetic whiteboard", "9610000000", "007", [2]int64{80, 500}, 600, 20},
}

// loadgenCountries are the buyers' countries and the ports their containers sail to.
var loadgenCountries = [][3]string{{"AE", "Jebel Ali", "Ahmed"}, {"RU", "Novorossiysk", "Ivan"}, {"NG", "Lagos (Apapa)", "Chinedu"},
	{"BR", "Santos", "João"}, {"KZ", "Aktau", "Nurlan"}, {"EG", "Port Said", "Omar"}}

// planSizes are the sizes a day is drawn with.
type planSizes struct {
	Merchants, Buyers, Agents, Transactions, LinesPerTxn int
	BuyersPerMerchant                                    int
	// BuyersByAgent: each buyer ships through one agent (buyer b through agent b mod
	// Agents), and merchants sell to the buyers of their own agent, so that an agent's lines
	// for one buyer fill its containers (loadgen --consolidate-by buyer).
	BuyersByAgent bool
}

// newDayPlan draws the day.
func newDayPlan(seed uint64, sz planSizes, tradeDate string) *dayPlan {
	rng := rand.New(rand.NewPCG(seed, 0x6c6f6164))
	p := &dayPlan{Seed: seed, Tag: fmt.Sprintf("lg%d", seed), TradeDate: tradeDate}
	const password = "loadgen-1039-pass"
	for i := range sz.Agents {
		u := fmt.Sprintf("%s_agent%d", p.Tag, i+1)
		p.Agents = append(p.Agents, agentPlan{Username: u, Reg: workflow.AgentRegistration{
			USCC: loadgenUSCC('1', seed, 1_000_000+i), CustomsCode: loadgenCode("3318L", seed, i, 5),
			CommerceRegNo: fmt.Sprintf("9%07d", (seed*7919+uint64(i))%10_000_000),
			Name:          fmt.Sprintf("义乌压测报关代理%d号有限公司", i+1), NameEn: fmt.Sprintf("Loadgen Customs Agent %d Co., Ltd.", i+1),
			Address: "浙江省义乌市福田街道", Contact: "王报关", Phone: "13800000000",
			Username: u, DisplayName: fmt.Sprintf("代理%d", i+1), Password: password, PasswordConfirm: password}})
	}
	for i := range sz.Buyers {
		c := loadgenCountries[rng.IntN(len(loadgenCountries))]
		p.Buyers = append(p.Buyers, buyerPlan{In: workflow.BuyerInput{Name: fmt.Sprintf("%s Buyer %d", c[2], i+1), Nationality: c[0],
			DocType: "passport", DocNumber: fmt.Sprintf("%sP%d", strings.ToUpper(p.Tag), i+1), Phone: "+971500000000"}})
	}
	for i := range sz.Merchants {
		u := fmt.Sprintf("%s_m%d", p.Tag, i+1)
		m := merchantPlan{Username: u, Agent: i % sz.Agents, Reg: workflow.MerchantRegistration{
			Name: fmt.Sprintf("义乌市压测商行%d号", i+1), NameEn: fmt.Sprintf("Yiwu Loadgen Firm %d", i+1),
			USCC: loadgenUSCC('2', seed, i), District: fmt.Sprint(1 + i%5), Booth: fmt.Sprintf("%d", 10000+i),
			LegalRep: "陈经营", Phone: "13900000000", Username: u, DisplayName: fmt.Sprintf("商户%d", i+1),
			Password: password, PasswordConfirm: password, Lang: "zh-CN"}}
		// The buyers it may sell to: all, or its agent's.
		pool := sz.Buyers
		at := func(k int) int { return k }
		if sz.BuyersByAgent && sz.Buyers > m.Agent {
			pool = (sz.Buyers - m.Agent + sz.Agents - 1) / sz.Agents
			at = func(k int) int { return m.Agent + k*sz.Agents }
		}
		seen := map[int]bool{}
		for range min(sz.BuyersPerMerchant, pool) {
			k := rng.IntN(pool)
			for seen[k] {
				k = (k + 1) % pool
			}
			seen[k] = true
			m.Buyers = append(m.Buyers, at(k))
		}
		p.Merchants = append(p.Merchants, m)
	}
	for range sz.Transactions {
		mi := rng.IntN(sz.Merchants)
		m := p.Merchants[mi]
		s := salePlan{Merchant: mi, Buyer: m.Buyers[rng.IntN(len(m.Buyers))], Currency: "USD"}
		for range sz.LinesPerTxn {
			g := rng.IntN(len(loadgenCatalogue))
			k := loadgenCatalogue[g]
			cartons := int64(1 + rng.IntN(10))
			qty := cartons * k.perCarton
			cents := k.cents[0] + rng.Int64N(k.cents[1]-k.cents[0]+1)
			net := qty * k.grams
			gross := net + cartons*500
			s.Lines = append(s.Lines, salePlanLine{Goods: g, Quantity: qty, Price: fmt.Sprintf("%d.%02d00", cents/100, cents%100),
				Cartons: cartons, NetKg: gramsKg(net), GrossKg: gramsKg(gross)})
		}
		p.Sales = append(p.Sales, s)
	}
	return p
}

// gramsKg writes grams as kilograms with three decimals.
func gramsKg(g int64) string { return fmt.Sprintf("%d.%03d", g/1000, g%1000) }

// loadgenUSCC is a valid Yiwu USCC (check character correct) unique to (seed, i): entity '1'
// for enterprises, '2' for individual businesses; the organisation code is "MA" and seven
// base-31 characters of the pair.
func loadgenUSCC(entity byte, seed uint64, i int) string {
	const charset = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	n := (seed%10_000)*2_000_003 + uint64(i)
	org := make([]byte, 7)
	for k := 6; k >= 0; k-- {
		org[k] = charset[n%31]
		n /= 31
	}
	first17 := "9" + string(entity) + "330782" + "MA" + string(org)
	check, _ := workflow.USCCCheckChar(first17)
	return first17 + string(check)
}

// loadgenCode is prefix followed by width base-36 characters of (seed, i).
func loadgenCode(prefix string, seed uint64, i, width int) string {
	const charset = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	n := (seed%1000)*1000 + uint64(i)
	b := make([]byte, width)
	for k := width - 1; k >= 0; k-- {
		b[k] = charset[n%36]
		n /= 36
	}
	return prefix + string(b)
}

// loadgenContainer is a valid ISO 6346 container number unique to (seed, n) within a run.
func loadgenContainer(seed uint64, n int) string {
	first := fmt.Sprintf("LGNU%06d", (seed*100_003+uint64(n))%1_000_000)
	d, _ := workflow.ContainerCheckDigit(first)
	return fmt.Sprintf("%s%d", first, d)
}
