package demo

import (
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
)

// goodsPlan is what the demo remembers about goods besides their row.
type goodsPlan struct {
	merchant int // index into g.merchants
	tpl      *goodsTemplate
	grams    int64        // net grams per transaction unit
	listUSD  models.Price // the stall's list price in US dollars
}

// newGoods builds the merchants' catalogues (商品备案): 3–8 goods per active merchant and 2 per
// other merchant, all of the merchant's trade. Most are recognised (商品认定); the pending
// merchants' goods and a few recent ones wait; a few carrying a watched brand are held.
func (g *generator) newGoods(watches []models.BrandWatch) {
	for i, n := range g.goodsCounts() {
		g.newCatalogue(i, n)
	}
	recognised := make([]int, len(g.merchants)) // recognised goods per merchant
	for i, p := range g.goods {
		if g.goodsRows[i].Status == models.GoodsRecognised {
			recognised[p.merchant]++
		}
	}
	g.holdWatchedBrands(watches, recognised)
	g.leavePending(recognised)
	g.brandOwn(watches)
	for i := range g.goodsRows {
		g.stampGoods(&g.goodsRows[i], g.merchantRows[g.goods[i].merchant])
	}
}

// goodsCounts shares opts.Goods among the merchants: 2 for each merchant who is not active,
// 3 to 8 for each active one.
func (g *generator) goodsCounts() []int {
	counts := make([]int, len(g.merchants))
	var active []int
	left := g.opts.Goods
	for i, row := range g.merchantRows {
		counts[i] = 2
		if row.Status == models.MerchantActive {
			counts[i] = 3
			active = append(active, i)
		}
		left -= counts[i]
	}
	for left > 0 {
		if i := pick(g, active); counts[i] < 8 {
			counts[i]++
			left--
		}
	}
	return counts
}

// newCatalogue builds n goods of merchant i, in the SKU style of its stall.
func (g *generator) newCatalogue(i, n int) {
	m, row := &g.merchants[i], g.merchantRows[i]
	tpls := m.trade.goods
	perm := g.rng.Perm(len(tpls))
	style, first, step := g.rng.IntN(4), g.between(1, 300), g.between(1, 7)
	producers := []string{g.producer(m, row)}
	if g.chance(50) {
		producers = append(producers, g.producer(m, row))
	}
	status := models.GoodsRecognised
	if row.Status == models.MerchantPending {
		status = models.GoodsPending
	}
	for k := range n {
		tpl := &tpls[perm[k%len(tpls)]]
		spec := pick(g, tpl.specs)
		if k >= len(tpls) {
			spec += "；颜色:" + pick(g, colours)
		}
		grams := tpl.grams
		if tpl.unit != "035" { // goods sold by the kilogram weigh exactly that
			grams = grams * int64(g.between(90, 110)) / 100
		}
		g.goods = append(g.goods, goodsPlan{
			merchant: i, tpl: tpl, grams: grams,
			listUSD: quote(models.Price(g.between64(tpl.lo*100, tpl.hi*100)), 2),
		})
		g.goodsRows = append(g.goodsRows, models.Goods{
			MerchantID: row.ID, SKU: sku(style, m, first+k*step), NameZh: tpl.zh, NameEn: tpl.en,
			HSCode: tpl.hs, Spec: spec, Producer: pick(g, producers),
			LegalUnit: tpl.legal, TransactionUnit: tpl.unit, Status: status, Version: 1,
		})
	}
}

// sku writes a stall's n-th goods code in one of the styles stalls use.
func sku(style int, m *merchantPlan, n int) string {
	switch style {
	case 0:
		return fmt.Sprintf("%s-%03d", m.shop.initials, n)
	case 1:
		return fmt.Sprintf("YW%05d", n)
	case 2:
		return fmt.Sprint(1000 + n)
	}
	return fmt.Sprintf("%s%03d", strings.ToUpper(m.trade.key[:2]), n)
}

// producer returns a maker of a merchant's goods: a Jinhua-area factory, or the merchant itself
// (many stalls are factory outlets).
func (g *generator) producer(m *merchantPlan, row models.Merchant) string {
	if g.chance(25) {
		return row.Name
	}
	town := pick(g, producerTowns)
	switch {
	case m.trade.key == "hardware" && g.chance(60):
		town = "永康市"
	case m.trade.key == "jewellery" && g.chance(40):
		town = "浦江县"
	}
	form := "厂"
	if g.chance(50) {
		form = "有限公司"
	}
	return town + pick(g, shopNames).zh + m.trade.zh + form
}

// holdWatchedBrands marks a few recognised goods as carrying a brand on the watch list, and
// holds them with the reason (DOMAIN §8). Each held merchant keeps recognised goods to sell.
func (g *generator) holdWatchedBrands(watches []models.BrandWatch, recognised []int) {
	held, limit := 0, max(1, g.opts.Goods/60)
	for _, wb := range watchedBrands {
		w, ok := findWatch(watches, wb.brand)
		if !ok || held == limit {
			continue
		}
		var cands []int
		for i, p := range g.goods {
			m := g.merchants[p.merchant]
			if g.goodsRows[i].Status == models.GoodsRecognised && recognised[p.merchant] >= 3 &&
				g.merchantRows[p.merchant].Status == models.MerchantActive && slices.Contains(wb.trades, m.trade.key) {
				cands = append(cands, i)
			}
		}
		if len(cands) == 0 {
			continue
		}
		i := pick(g, cands)
		row := &g.goodsRows[i]
		row.Branded, row.Brand, row.Status = true, w.Brand, models.GoodsHeld
		row.StatusReason = fmt.Sprintf("品牌监控名单命中：%s（权利人：%s），待核实商标授权", w.Brand, w.Holder)
		row.Spec += "；品牌:" + w.Brand
		recognised[g.goods[i].merchant]--
		held++
	}
}

// leavePending leaves about one goods in twenty waiting for recognition, counting the pending
// merchants' goods: the rest are recent registrations of active merchants.
func (g *generator) leavePending(recognised []int) {
	pending := 0
	for _, row := range g.goodsRows {
		if row.Status == models.GoodsPending {
			pending++
		}
	}
	for _, i := range g.rng.Perm(len(g.goods)) {
		if pending >= g.opts.Goods/20 {
			return
		}
		p := g.goods[i]
		if g.goodsRows[i].Status == models.GoodsRecognised && recognised[p.merchant] >= 3 &&
			g.merchantRows[p.merchant].Status == models.MerchantActive {
			g.goodsRows[i].Status = models.GoodsPending
			recognised[p.merchant]--
			pending++
		}
	}
}

// brandOwn gives a few recognised goods a maker's own brand, one not on the watch list.
func (g *generator) brandOwn(watches []models.BrandWatch) {
	var brands []string
	for _, b := range ownBrands {
		if _, watched := findWatch(watches, b); !watched {
			brands = append(brands, b)
		}
	}
	if len(brands) == 0 {
		return
	}
	left := g.opts.Goods / 30
	for _, i := range g.rng.Perm(len(g.goods)) {
		if left == 0 {
			return
		}
		if row := &g.goodsRows[i]; row.Status == models.GoodsRecognised && !row.Branded {
			row.Branded, row.Brand = true, pick(g, brands)
			left--
		}
	}
}

// stampGoods dates goods by status: recognised goods were registered after the merchant's
// approval and at least two months ago, and reviewed a few days later; pending and held ones
// are recent.
func (g *generator) stampGoods(row *models.Goods, m models.Merchant) {
	switch row.Status {
	case models.GoodsRecognised:
		approvedAgo := int(g.now.Sub(*m.ApprovedAt).Hours() / 24)
		createdAgo := g.between(64, max(64, approvedAgo-1))
		row.CreatedAt = g.at(createdAgo, g.officeMinute())
		row.ReviewedAt = ptr(g.at(createdAgo-g.between(1, 3), g.officeMinute()))
		row.ReviewedBy = g.supervisor()
		row.UpdatedAt = *row.ReviewedAt
	case models.GoodsPending:
		row.CreatedAt = g.at(g.between(1, 14), g.officeMinute())
		if m.Status == models.MerchantPending {
			row.CreatedAt = g.after(m.CreatedAt, g.between(10, 180))
		}
		row.UpdatedAt = row.CreatedAt
	default: // held on registration by the brand check
		row.CreatedAt = g.at(g.between(3, 25), g.officeMinute())
		row.UpdatedAt = row.CreatedAt
	}
}

// newGoodsReviews records each recognition and each hold as goods history. Holds are the
// brand check's, at registration, so they have no human actor.
func (g *generator) newGoodsReviews() []models.GoodsReview {
	var out []models.GoodsReview
	for _, row := range g.goodsRows {
		switch row.Status {
		case models.GoodsRecognised:
			out = append(out, models.GoodsReview{GoodsID: row.ID, FromStatus: models.GoodsPending,
				ToStatus: models.GoodsRecognised, Reason: "认定通过", ActorUserID: row.ReviewedBy, CreatedAt: *row.ReviewedAt})
		case models.GoodsHeld:
			out = append(out, models.GoodsReview{GoodsID: row.ID, FromStatus: models.GoodsPending,
				ToStatus: models.GoodsHeld, Reason: row.StatusReason, CreatedAt: row.CreatedAt})
		}
	}
	return out
}

// loadWatches reads the brand watch list the migrations seeded.
func loadWatches(tx *gorm.DB) ([]models.BrandWatch, error) {
	var ws []models.BrandWatch
	if err := tx.Order("id").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("demo: read brand watch list: %w", err)
	}
	return ws, nil
}

// findWatch returns the watch-list entry of a brand, compared as the list keys brands:
// lower-case, without spaces.
func findWatch(watches []models.BrandWatch, brand string) (models.BrandWatch, bool) {
	key := strings.ToLower(strings.ReplaceAll(brand, " ", ""))
	for _, w := range watches {
		if w.BrandKey == key {
			return w, true
		}
	}
	return models.BrandWatch{}, false
}
