package demo

import (
	"fmt"
	"strings"

	"mpt/models"
)

// officer is a demo user who belongs to neither a merchant nor an agent.
type officer struct {
	username, role, display, lang string
	onDuty                        bool // can be drawn for inspections and spot checks
}

// officers lists the demo's officers, one or more per role. Customs inspectors and market
// supervision officers are on duty so random draws have someone to pick.
var officers = []officer{
	{"admin", models.RoleAdmin, "平台管理员 楼建平", "zh-CN", false},
	{"auditor", models.RoleAuditor, "审计 何雅琴", "en", false},
	{"customs", models.RoleCustoms, "义乌海关 陈志强", "zh-CN", true},
	{"inspector1", models.RoleCustoms, "查验关员 林峰", "zh-CN", true},
	{"inspector2", models.RoleCustoms, "查验关员 徐晓燕", "zh-CN", true},
	{"tax", models.RoleTax, "义乌市税务局 刘洋", "zh-CN", false},
	{"fx", models.RoleFX, "外汇 周静（义乌农商银行国际业务部）", "en", false},
	{"supervision", models.RoleSupervision, "市场监管 吴国平", "zh-CN", true},
	{"supervision2", models.RoleSupervision, "市场监管 郑丽", "zh-CN", true},
}

// newOfficers builds the officers' users, created when the platform went live.
func (g *generator) newOfficers() {
	for i, o := range officers {
		created := g.at(1200, 9*60+i)
		g.officers = append(g.officers, models.User{
			Username:          o.username,
			DisplayName:       o.display,
			PasswordHash:      g.passwordHash,
			Role:              o.role,
			Email:             o.username + "@mpt.example",
			Phone:             "0579-85" + g.digits(6),
			Lang:              o.lang,
			OnDuty:            o.onDuty,
			PasswordChangedAt: ptr(created),
			Version:           1,
			CreatedAt:         created,
			UpdatedAt:         created,
		})
	}
}

// officerID returns the ID of the officer with a username.
func (g *generator) officerID(username string) *int64 {
	for _, u := range g.officers {
		if u.Username == username {
			return ptr(u.ID)
		}
	}
	return nil
}

// supervisor returns one of the two market supervision officers.
func (g *generator) supervisor() *int64 {
	if g.chance(70) {
		return g.officerID("supervision")
	}
	return g.officerID("supervision2")
}

// newPartyUsers builds a user per agent (agent1…) and per merchant: merchant1… for the active
// ones in merchant order, merchant-pending (and merchant-pending2…), merchant-abnormal and
// merchant-suspended for the others.
func (g *generator) newPartyUsers() {
	for i := range g.agents {
		a, row := &g.agents[i], g.agentRows[i]
		a.user = len(g.users)
		g.users = append(g.users, models.User{
			Username:     fmt.Sprintf("agent%d", i+1),
			DisplayName:  row.Contact,
			PasswordHash: g.passwordHash,
			Role:         models.RoleAgent,
			AgentID:      ptr(row.ID),
			Email:        fmt.Sprintf("agent%d@%s-trade.example", i+1, strings.ToLower(a.profile.prefix)),
			Phone:        g.mobile(),
			Lang:         "zh-CN",
			Version:      1,
			CreatedAt:    row.CreatedAt, UpdatedAt: row.CreatedAt, PasswordChangedAt: ptr(row.CreatedAt),
		})
	}
	seen := map[string]int{}
	for i := range g.merchants {
		m, row := &g.merchants[i], g.merchantRows[i]
		seen[row.Status]++
		name := fmt.Sprintf("merchant%d", seen[row.Status])
		if row.Status != models.MerchantActive {
			name = "merchant-" + row.Status
			if n := seen[row.Status]; n > 1 {
				name += fmt.Sprint(n)
			}
		}
		m.user = len(g.users)
		g.users = append(g.users, models.User{
			Username:     name,
			DisplayName:  row.LegalRep,
			PasswordHash: g.passwordHash,
			Role:         models.RoleMerchant,
			MerchantID:   ptr(row.ID),
			Phone:        row.Phone,
			Lang:         "zh-CN",
			Version:      1,
			CreatedAt:    row.CreatedAt, UpdatedAt: row.CreatedAt, PasswordChangedAt: ptr(row.CreatedAt),
		})
	}
}

// summary counts what was written and lists one login per role.
func (g *generator) summary(transactions, lines int) *Summary {
	s := &Summary{
		Merchants: len(g.merchantRows), Agents: len(g.agentRows), Buyers: len(g.buyers),
		Goods: len(g.goodsRows), Transactions: transactions, Lines: lines, Rates: len(g.rates),
	}
	for _, o := range officers {
		if o.username == "supervision2" { // the inspectors are listed: a red-lane inspection waits for one of them
			continue
		}
		s.Logins = append(s.Logins, Login{Username: o.username, Password: g.opts.Password, Role: o.role,
			Who: fmt.Sprintf("%s (%s)", o.display, o.role)})
	}
	for _, name := range []string{"agent1", "merchant1", "merchant-pending"} {
		for i, u := range g.users {
			if u.Username != name {
				continue
			}
			who := fmt.Sprintf("%s (agent)", g.agentRows[0].Name)
			if u.Role == models.RoleMerchant {
				m := g.merchantRows[g.merchantOfUser(i)]
				who = fmt.Sprintf("%s (merchant, %s)", m.Name, m.Status)
			}
			s.Logins = append(s.Logins, Login{Username: name, Password: g.opts.Password, Role: u.Role, Who: who})
		}
	}
	return s
}

// merchantOfUser returns the index of the merchant whose user is g.users[i].
func (g *generator) merchantOfUser(i int) int {
	for j, m := range g.merchants {
		if m.user == i {
			return j
		}
	}
	return -1
}
