package demo

import (
	"sort"

	"mpt/models"
)

// newBuyerLinks lists each buyer with the businesses that deal with it, as the buyer
// registration would have linked them: the merchant or agent of the user who registered the
// buyer, every merchant that sold to it, and every agent that registered a sale to it.
func (g *generator) newBuyerLinks(txns []models.Transaction) []models.BuyerLink {
	type key struct{ buyer, merchant, agent int64 }
	seen := map[key]models.BuyerLink{}
	add := func(buyer int64, merchant, agent *int64, by int64) {
		k := key{buyer: buyer}
		if merchant != nil {
			k.merchant = *merchant
		} else if agent != nil {
			k.agent = *agent
		} else {
			return
		}
		if _, ok := seen[k]; !ok {
			seen[k] = models.BuyerLink{BuyerID: buyer, MerchantID: merchant, AgentID: agent, CreatedByUserID: by, CreatedAt: g.now}
		}
	}
	users := map[int64]models.User{}
	for _, u := range g.users {
		users[u.ID] = u
	}
	for _, b := range g.buyers {
		if b.CreatedByUserID == nil {
			continue
		}
		if u, ok := users[*b.CreatedByUserID]; ok {
			add(b.ID, u.MerchantID, u.AgentID, u.ID)
		}
	}
	for _, t := range txns {
		by := int64(0)
		if t.CreatedByUserID != nil {
			by = *t.CreatedByUserID
		}
		m := t.MerchantID
		add(t.BuyerID, &m, nil, by)
		if t.AgentID != nil {
			a := *t.AgentID
			add(t.BuyerID, nil, &a, by)
		}
	}
	out := make([]models.BuyerLink, 0, len(seen))
	for _, l := range seen {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { // deterministic IDs
		a, b := out[i], out[j]
		if a.BuyerID != b.BuyerID {
			return a.BuyerID < b.BuyerID
		}
		return deref(a.MerchantID)*1e6+deref(a.AgentID) < deref(b.MerchantID)*1e6+deref(b.AgentID)
	})
	return out
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
