package demo

import (
	"fmt"

	"mpt/models"
)

// agentPlan is what the demo remembers about an agent besides its row.
type agentPlan struct {
	profile    agentProfile
	user       int // index of its user in g.users
	agreements int // entrustment agreements numbered so far
}

// newAgents builds the Yiwu trade companies acting as agents; the first has credit class A.
func (g *generator) newAgents() error {
	for i := range g.opts.Agents {
		p := agentProfiles[i]
		uscc, err := g.newUSCC(entityEnterprise)
		if err != nil {
			return err
		}
		code, err := g.newCustomsCode()
		if err != nil {
			return err
		}
		regNo, err := g.newCommerceRegNo()
		if err != nil {
			return err
		}
		credit := models.CreditB
		if i == 0 {
			credit = models.CreditA
		}
		created := g.at(g.between(900, 1150), g.officeMinute())
		g.agents = append(g.agents, agentPlan{profile: p})
		g.agentRows = append(g.agentRows, models.Agent{
			USCC:          uscc,
			Name:          p.name,
			NameEn:        p.nameEn,
			CustomsCode:   code,
			CommerceRegNo: regNo,
			Address:       p.address,
			Contact:       g.personName(),
			Phone:         "0579-8" + g.digits(7),
			Status:        "active",
			CreditClass:   credit,
			Version:       1,
			CreatedAt:     created,
			UpdatedAt:     created,
		})
	}
	return nil
}

// newEntrustments records the entrusted-export agency agreements (委托代理出口货物协议): every
// approved merchant entrusts one or two agents, from a day in the past year at least two
// months ago, so every transaction an agent registered falls inside its agreement.
func (g *generator) newEntrustments() []models.Entrustment {
	var out []models.Entrustment
	for i := range g.merchants {
		m, row := &g.merchants[i], g.merchantRows[i]
		if row.Status == models.MerchantPending {
			continue
		}
		k := 1
		if len(g.agents) > 1 && g.chance(35) {
			k = 2
		}
		approvedAgo := int(g.now.Sub(*row.ApprovedAt).Hours() / 24)
		for _, a := range g.rng.Perm(len(g.agents))[:k] {
			agent := &g.agents[a]
			agent.agreements++
			start := g.at(g.between(61, min(365, approvedAgo-1)), g.officeMinute())
			endsOn := ""
			if g.chance(50) {
				endsOn = dateOf(start.AddDate(g.between(2, 3), 0, 0))
			}
			m.agents = append(m.agents, a)
			out = append(out, models.Entrustment{
				MerchantID:      row.ID,
				AgentID:         g.agentRows[a].ID,
				AgreementNo:     fmt.Sprintf("%s-WT%s-%04d", agent.profile.prefix, dateOf(start)[:4], agent.agreements),
				StartsOn:        dateOf(start),
				EndsOn:          endsOn,
				CreatedByUserID: ptr(g.users[agent.user].ID),
				Version:         1,
				CreatedAt:       start,
				UpdatedAt:       start,
			})
		}
	}
	return out
}
