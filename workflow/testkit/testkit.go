// Package testkit seeds a small, known world for tests of handlers and workflow: two merchants
// and two agents (each merchant entrusting one agent), buyers, and a user for every role, all
// with the password Password. Records "owned by another party" are what access tests probe.
package testkit

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/models"
)

// Password is every seeded user's password.
const Password = "password-1039"

// World is what Seed created.
type World struct {
	MerchantA, MerchantB models.Merchant // A entrusts AgentX, B entrusts AgentY
	Pending              models.Merchant // registered, waiting for approval
	AgentX, AgentY       models.Agent
	BuyerA, BuyerB       models.Buyer // created by MerchantA's and MerchantB's users
	Users                map[string]models.User
}

// Usernames of the seeded users, one per role plus the second merchant and agent.
const (
	UserMerchantA  = "merchant-a"
	UserMerchantB  = "merchant-b"
	UserPending    = "merchant-pending"
	UserAgentX     = "agent-x"
	UserAgentY     = "agent-y"
	UserCustoms    = "customs"
	UserTax        = "tax"
	UserFX         = "fx"
	UserSupervisor = "supervision"
	UserAuditor    = "auditor"
	UserAdmin      = "admin"
)

// Now is the fixed time of the seeded world.
var Now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// Seed fills a fresh migrated database.
func Seed(t testing.TB, db *gorm.DB) *World {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	w := &World{Users: map[string]models.User{}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	merchant := func(uscc, name, status, booth string) models.Merchant {
		m := models.Merchant{USCC: uscc, Name: name, NameEn: name + " Trading", District: "1", Gate: "5", Floor: "2",
			Street: "12", Booth: booth, StallRaw: "国际商贸城一区 5号门 2楼 12街 " + booth, LegalRep: "王" + booth,
			Phone: "13800000000", Status: status, CreditClass: models.CreditB, Version: 1, CreatedAt: Now, UpdatedAt: Now}
		must(db.Create(&m).Error)
		return m
	}
	w.MerchantA = merchant("92330782MA2E8Y5K3H", "义乌市稠城甲饰品商行", models.MerchantActive, "10235")
	w.MerchantB = merchant("92330782MA2HT1UQ6E", "义乌市福田乙玩具店", models.MerchantActive, "10236")
	w.Pending = merchant("92330782MA2J4K7L89", "义乌市北苑丙百货商行", models.MerchantPending, "10237")
	agent := func(uscc, name, code, reg string) models.Agent {
		a := models.Agent{USCC: uscc, Name: name, NameEn: name, CustomsCode: code, CommerceRegNo: reg,
			Status: "active", CreditClass: models.CreditB, Version: 1, CreatedAt: Now, UpdatedAt: Now}
		must(db.Create(&a).Error)
		return a
	}
	w.AgentX = agent("91330782MA28X1Y2W0", "义乌市甲外贸有限公司", "3318960001", "SW-330782-0001")
	w.AgentY = agent("91330782MA28X4Y5WQ", "义乌市乙供应链有限公司", "3318960002", "SW-330782-0002")
	for _, e := range []models.Entrustment{
		{MerchantID: w.MerchantA.ID, AgentID: w.AgentX.ID, AgreementNo: "WT-A-X", StartsOn: "2026-01-01"},
		{MerchantID: w.MerchantB.ID, AgentID: w.AgentY.ID, AgreementNo: "WT-B-Y", StartsOn: "2026-01-01"},
	} {
		e.Version, e.CreatedAt, e.UpdatedAt = 1, Now, Now
		must(db.Create(&e).Error)
	}
	user := func(name, role string, merchantID, agentID *int64) {
		u := models.User{Username: name, DisplayName: name, PasswordHash: string(hash), Role: role,
			MerchantID: merchantID, AgentID: agentID, Lang: "en", OnDuty: role == models.RoleCustoms || role == models.RoleSupervision,
			Version: 1, CreatedAt: Now, UpdatedAt: Now}
		must(db.Create(&u).Error)
		w.Users[name] = u
	}
	user(UserMerchantA, models.RoleMerchant, &w.MerchantA.ID, nil)
	user(UserMerchantB, models.RoleMerchant, &w.MerchantB.ID, nil)
	user(UserPending, models.RoleMerchant, &w.Pending.ID, nil)
	user(UserAgentX, models.RoleAgent, nil, &w.AgentX.ID)
	user(UserAgentY, models.RoleAgent, nil, &w.AgentY.ID)
	user(UserCustoms, models.RoleCustoms, nil, nil)
	user(UserTax, models.RoleTax, nil, nil)
	user(UserFX, models.RoleFX, nil, nil)
	user(UserSupervisor, models.RoleSupervision, nil, nil)
	user(UserAuditor, models.RoleAuditor, nil, nil)
	user(UserAdmin, models.RoleAdmin, nil, nil)
	buyer := func(name, country, doc string, by int64) models.Buyer {
		b := models.Buyer{Name: name, Nationality: country, DocType: "passport", DocNumber: doc,
			CreatedByUserID: &by, Version: 1, CreatedAt: Now, UpdatedAt: Now}
		must(db.Create(&b).Error)
		return b
	}
	w.BuyerA = buyer("Ahmed Al Mansouri", "AE", "P1234567", w.Users[UserMerchantA].ID)
	w.BuyerB = buyer("Ivan Petrov", "RU", "751234567", w.Users[UserMerchantB].ID)
	for _, l := range []models.BuyerLink{
		{BuyerID: w.BuyerA.ID, MerchantID: &w.MerchantA.ID, CreatedByUserID: w.Users[UserMerchantA].ID, CreatedAt: Now},
		{BuyerID: w.BuyerB.ID, MerchantID: &w.MerchantB.ID, CreatedByUserID: w.Users[UserMerchantB].ID, CreatedAt: Now},
	} {
		must(db.Create(&l).Error)
	}
	return w
}
