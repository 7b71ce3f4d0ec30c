package demo

import (
	"fmt"
	"strconv"
	"time"

	"mpt/models"
)

// otherStatuses are the merchants who are not active: two wait for approval, one is listed as
// abnormal (经营异常) and one is suspended. Every other merchant is active.
var otherStatuses = []string{models.MerchantPending, models.MerchantPending, models.MerchantAbnormal, models.MerchantSuspended}

// statusReasons are the reasons market supervision gave for the non-active statuses.
var statusReasons = map[string]string{
	models.MerchantAbnormal:  "未按规定期限公示年度报告，列入经营异常名录",
	models.MerchantSuspended: "涉嫌销售侵犯注册商标专用权的商品，暂停经营待查",
}

// districtNumerals are the Chinese numerals of the market districts, as stall addresses use them.
var districtNumerals = map[string]string{"1": "一", "2": "二", "3": "三", "4": "四", "5": "五"}

// merchantPlan is what the demo remembers about a merchant besides its row.
type merchantPlan struct {
	trade     *trade
	shop      shopName
	user      int   // index of its user in g.users
	agents    []int // entrusted agents, indices into g.agents
	activity  int   // relative number of transactions
	changedAt time.Time
}

// newMerchants builds the stall-holders: mostly individual businesses (个体工商户), a few
// enterprises, spread over the five districts of Yiwu International Trade City.
func (g *generator) newMerchants() error {
	n := g.opts.Merchants
	status := make([]string, n)
	for i := range status {
		status[i] = models.MerchantActive
	}
	// The others sit at random places after the first, so merchant1 is the first merchant.
	for k, i := range g.rng.Perm(n - 1)[:len(otherStatuses)] {
		status[i+1] = otherStatuses[k]
	}
	// The first five of a random order take one district each, so every district has stalls.
	tradeOf := make([]*trade, n)
	for k, i := range g.rng.Perm(n) {
		if k < 5 {
			tradeOf[i] = g.tradeIn(strconv.Itoa(k + 1))
		} else {
			tradeOf[i] = g.tradeIn("")
		}
	}
	watched := 1 + g.rng.IntN(n-1) // one merchant on the customs watch list, never the first
	for i := range n {
		if err := g.newMerchant(tradeOf[i], status[i], i == watched && status[i] == models.MerchantActive); err != nil {
			return err
		}
	}
	return nil
}

// tradeIn draws a trade by weight, from one district or ("") from all.
func (g *generator) tradeIn(district string) *trade {
	var idx, weights []int
	for i, t := range trades {
		if district == "" || t.district == district {
			idx = append(idx, i)
			weights = append(weights, t.weight)
		}
	}
	return &trades[idx[g.weighted(weights)]]
}

// newMerchant builds one merchant of a trade with a status.
func (g *generator) newMerchant(t *trade, status string, watchListed bool) error {
	enterprise := g.chance(15)
	entity := byte(entityIndividual)
	if enterprise {
		entity = entityEnterprise
	}
	uscc, err := g.newUSCC(entity)
	if err != nil {
		return err
	}
	var shop shopName
	var nameEn string
	name, err := g.unique("merchant name", func() string {
		shop = pick(g, shopNames)
		if enterprise {
			nameEn = fmt.Sprintf("Yiwu %s %s Co., Ltd.", shop.py, t.en)
			return "义乌市" + shop.zh + t.zh + "有限公司"
		}
		at := pick(g, yiwuPlaces)
		form := [][2]string{{"商行", "Firm"}, {"经营部", "Trading Department"}, {"商行", "Firm"}, {"店", "Store"}}[g.rng.IntN(4)]
		nameEn = fmt.Sprintf("Yiwu %s %s %s %s", at.py, shop.py, t.en, form[1])
		return "义乌市" + at.zh + shop.zh + t.zh + form[0]
	})
	if err != nil {
		return err
	}
	gate, floor, street := g.between(1, 12), g.between(1, 4), g.between(1, 36)
	if t.district == "5" {
		floor = g.between(1, 5)
	}
	booth, err := g.unique("booth "+t.district, func() string { return fmt.Sprintf("%d%04d", floor, g.between(1, 9999)) })
	if err != nil {
		return err
	}
	b := banks[g.weighted(bankWeights())]
	row := models.Merchant{
		USCC: uscc, Name: name, NameEn: nameEn,
		District: t.district, Gate: strconv.Itoa(gate), Floor: strconv.Itoa(floor), Street: strconv.Itoa(street), Booth: booth,
		StallRaw:    g.stallRaw(t.district, gate, floor, street, booth),
		LegalRep:    g.personName(),
		Phone:       g.mobile(),
		BankName:    b.name,
		BankAccount: b.prefix + g.digits(b.length-len(b.prefix)),
		Status:      status,
		CreditClass: []string{models.CreditA, models.CreditB, models.CreditC}[g.weighted([]int{20, 70, 10})],
		WatchListed: watchListed,
		Version:     1,
	}
	plan := merchantPlan{trade: t, shop: shop, activity: g.between(1, 6)}
	if status == models.MerchantPending {
		row.CreditClass = models.CreditB
		row.CreatedAt = g.at(g.between(1, 12), g.officeMinute())
		row.UpdatedAt = row.CreatedAt
	} else {
		createdAgo := g.between(90, 1100)
		row.CreatedAt = g.at(createdAgo, g.officeMinute())
		row.ApprovedAt = ptr(g.at(createdAgo-g.between(1, 5), g.officeMinute()))
		row.ApprovedBy = g.officerID("supervision")
		row.UpdatedAt = *row.ApprovedAt
	}
	if reason, ok := statusReasons[status]; ok {
		plan.changedAt = g.at(g.between(10, 45), g.officeMinute())
		row.StatusReason = reason
		row.UpdatedAt = plan.changedAt
		if status == models.MerchantSuspended {
			row.CreditClass = models.CreditC
		}
	}
	g.merchants = append(g.merchants, plan)
	g.merchantRows = append(g.merchantRows, row)
	return nil
}

// bankWeights returns how often each bank is chosen.
func bankWeights() []int {
	w := make([]int, len(banks))
	for i, b := range banks {
		w[i] = b.weight
	}
	return w
}

// stallRaw writes a stall location the way merchants do, in one of several habits.
func (g *generator) stallRaw(district string, gate, floor, street int, booth string) string {
	zh := districtNumerals[district]
	switch g.rng.IntN(4) {
	case 0:
		return fmt.Sprintf("国际商贸城%s区 %d号门 %d楼 %d街 %s", zh, gate, floor, street, booth)
	case 1:
		return fmt.Sprintf("%s区%d门%d楼%d街%s", zh, gate, floor, street, booth)
	case 2:
		return fmt.Sprintf("商贸城%s区 %dF %d街 %s号", district, floor, street, booth)
	}
	return fmt.Sprintf("义乌国际商贸城%s区%d楼%d街%s商位", zh, floor, street, booth)
}

// newStatusChanges records each approved merchant's history: approval by market supervision,
// then, for the abnormal and suspended ones, the change with its reason.
func (g *generator) newStatusChanges() []models.MerchantStatusChange {
	var out []models.MerchantStatusChange
	for i, row := range g.merchantRows {
		if row.Status == models.MerchantPending {
			continue
		}
		out = append(out, models.MerchantStatusChange{
			MerchantID: row.ID, FromStatus: models.MerchantPending, ToStatus: models.MerchantActive,
			Reason: "approved", ActorUserID: row.ApprovedBy, CreatedAt: *row.ApprovedAt,
		})
		if row.Status != models.MerchantActive {
			out = append(out, models.MerchantStatusChange{
				MerchantID: row.ID, FromStatus: models.MerchantActive, ToStatus: row.Status,
				Reason: row.StatusReason, ActorUserID: g.supervisor(), CreatedAt: g.merchants[i].changedAt,
			})
		}
	}
	return out
}
