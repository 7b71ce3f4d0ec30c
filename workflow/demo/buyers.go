package demo

import (
	"fmt"
	"strings"

	"mpt/models"
)

// distinctBuyerCountries is how many of the first buyers come from different countries, so the
// demo shows Yiwu's variety even with few buyers.
const distinctBuyerCountries = 14

// newBuyers builds the foreign buyers: passport holders from the countries typical of Yiwu,
// many of them living in Yiwu. One is on the customs watch list. Agents registered most of
// them, merchants the rest.
func (g *generator) newBuyers() error {
	n := g.opts.Buyers
	weights := make([]int, len(buyerCountries))
	for i, c := range buyerCountries {
		weights[i] = c.weight
	}
	order := g.rng.Perm(len(buyerCountries))
	watched := g.rng.IntN(n)
	for i := range n {
		var c *buyerCountry
		if i < min(distinctBuyerCountries, len(order)) {
			c = &buyerCountries[order[i]]
		} else {
			c = &buyerCountries[g.weighted(weights)]
		}
		country, ok := g.ref.Country(c.code)
		if !ok {
			return fmt.Errorf("demo: buyer country %s is not in the reference data", c.code)
		}
		given, family := pick(g, c.given), pick(g, c.family)
		if c.double {
			family += " " + pick(g, c.family)
		}
		doc, err := g.unique("passport "+c.code, func() string { return g.fill(c.doc) })
		if err != nil {
			return err
		}
		resident := g.chance(45)
		phone, address := g.fill(c.phone), pick(g, c.cities)+", "+country.NameEn
		if resident {
			phone = "+86 " + g.mobile()
			address = fmt.Sprintf("浙江省义乌市%s街道%s%d号", pick(g, yiwuPlaces[:6]).zh, pick(g, yiwuRoads), g.between(1, 999))
		}
		created := g.at(g.between(61, 700), g.officeMinute())
		g.buyers = append(g.buyers, models.Buyer{
			Name:            given + " " + family,
			Nationality:     c.code,
			DocType:         "passport",
			DocNumber:       doc,
			Phone:           phone,
			Email:           g.email(given, family, c.domains),
			Address:         address,
			WatchListed:     i == watched,
			CreatedByUserID: g.registrar(),
			Version:         1,
			CreatedAt:       created,
			UpdatedAt:       created,
		})
	}
	return nil
}

// email makes an address from a buyer's name.
func (g *generator) email(given, family string, domains []string) string {
	local := strings.ToLower(given + "." + strings.Fields(family)[len(strings.Fields(family))-1])
	local = strings.NewReplacer(" ", "", "'", "").Replace(local)
	if g.chance(50) {
		local += fmt.Sprint(g.between(1, 99))
	}
	return local + "@" + pick(g, domains)
}

// registrar returns the user who registered a buyer: mostly an agent, sometimes a merchant.
func (g *generator) registrar() *int64 {
	var merchants []int
	for i, m := range g.merchants {
		if g.merchantRows[i].Status == models.MerchantActive {
			merchants = append(merchants, m.user)
		}
	}
	if len(merchants) == 0 || g.chance(70) {
		return ptr(g.users[g.agents[g.rng.IntN(len(g.agents))].user].ID)
	}
	return ptr(g.users[pick(g, merchants)].ID)
}
