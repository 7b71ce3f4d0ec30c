package workflow_test

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"testing"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// buyersWorld is the seeded world with the service, for the buyer and entrustment tests.
type buyersWorld struct {
	svc *workflow.Service
	db  *gorm.DB
	*testkit.World
}

// newBuyersWorld seeds a fresh database, links the seeded buyers to the businesses whose users
// registered them (as RegisterBuyer would have), and builds the service on the seed's clock.
func newBuyersWorld(t *testing.T, db *gorm.DB) *buyersWorld {
	t.Helper()
	svc := servicetest.Service(t, db, nil)
	w := &buyersWorld{svc: svc, db: db, World: testkit.Seed(t, db)}
	linkSeededBuyers(t, db, w.World)
	return w
}

// linkSeededBuyers links BuyerA to MerchantA and BuyerB to MerchantB, idempotently (a seed that
// already links them is left as it is).
func linkSeededBuyers(t *testing.T, db *gorm.DB, w *testkit.World) {
	t.Helper()
	for _, l := range []models.BuyerLink{
		{BuyerID: w.BuyerA.ID, MerchantID: &w.MerchantA.ID, CreatedByUserID: w.Users[testkit.UserMerchantA].ID, CreatedAt: testkit.Now},
		{BuyerID: w.BuyerB.ID, MerchantID: &w.MerchantB.ID, CreatedByUserID: w.Users[testkit.UserMerchantB].ID, CreatedAt: testkit.Now},
	} {
		if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&l).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// as is the seeded user with a username, as the service sees them ("" is nobody).
func (w *buyersWorld) as(t *testing.T, username string) workflow.Actor {
	t.Helper()
	return servicetest.Actor(t, w.World, username)
}

func (w *buyersWorld) rows(t *testing.T, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := w.db.Model(model).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// wantPartyErr fails unless err carries code ("" for no error) and, for Invalid, names field.
func wantPartyErr(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
	if field == "" {
		return
	}
	for _, f := range apperr.As(err).Fields {
		if f.Field == field {
			if f.Text.En == "" || f.Text.Zh == "" {
				t.Errorf("field %s: message not in both languages: %+v", field, f.Text)
			}
			return
		}
	}
	t.Fatalf("error %v: no problem with field %q", err, field)
}

// TestBuyerLinkSchema checks the buyer_links table against its model on both databases (the
// model is not yet in models.All, which the shared schema test walks).
func TestBuyerLinkSchema(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		model := &models.BuyerLink{}
		m := db.Migrator()
		stmt := &gorm.Statement{DB: db}
		if err := stmt.Parse(model); err != nil {
			t.Fatal(err)
		}
		if !m.HasTable(model) {
			t.Fatal("buyer_links is missing")
		}
		known := map[string]bool{}
		for _, col := range stmt.Schema.DBNames {
			known[col] = true
			if !m.HasColumn(model, col) {
				t.Errorf("buyer_links.%s missing", col)
			}
		}
		for _, idx := range stmt.Schema.ParseIndexes() {
			if !m.HasIndex(model, idx.Name) {
				t.Errorf("index %s missing", idx.Name)
			}
		}
		types, err := m.ColumnTypes(model)
		if err != nil {
			t.Fatal(err)
		}
		for _, ct := range types {
			if !known[ct.Name()] {
				t.Errorf("buyer_links.%s is not in the model", ct.Name())
			}
		}
		// Exactly one of merchant and agent.
		w := testkit.Seed(t, db)
		uid := w.Users[testkit.UserAdmin].ID
		for name, l := range map[string]models.BuyerLink{
			"ErrBoth":    {BuyerID: w.BuyerA.ID, MerchantID: &w.MerchantA.ID, AgentID: &w.AgentX.ID, CreatedByUserID: uid, CreatedAt: testkit.Now},
			"ErrNeither": {BuyerID: w.BuyerA.ID, CreatedByUserID: uid, CreatedAt: testkit.Now},
		} {
			if err := db.Create(&l).Error; err == nil {
				t.Errorf("%s: a link with merchant %v and agent %v was accepted", name, l.MerchantID, l.AgentID)
			}
		}
	})
}

func TestNormalizeDocNumber(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"OKAsTyped", "P1234567", "P1234567"},
		{"OKSpacesHyphensLowerCase", "p 123-4567", "P1234567"},
		{"OKSurroundingSpace", "  e12345678 \t", "E12345678"},
		{"OKFullWidth", "Ｐ１２３４５６７", "P1234567"},
		{"OKIdeographicSpaceAndDash", "AB\u3000123\u2013456", "AB123456"},
		{"OKEmpty", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.NormalizeDocNumber(tt.raw); got != tt.want {
				t.Errorf("NormalizeDocNumber(%q) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestMaskDocument(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"OKPassport", "P1234567", "P12****67"},
		{"OKLong", "751234567", "751****67"},
		{"OKShort", "AB123", "A****3"},
		{"OKTiny", "AB", "****"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := workflow.MaskDocument(tt.doc); got != tt.want {
				t.Errorf("MaskDocument(%q) = %q, want %q", tt.doc, got, tt.want)
			}
		})
	}
}

func TestRegisterBuyer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		ctx := context.Background()
		valid := workflow.BuyerInput{Name: "  Maria   González ", Nationality: "es", DocNumber: "paa-123 456", Phone: "+34 600 123 456", Email: "Maria@Example.com"}
		with := func(f func(*workflow.BuyerInput)) workflow.BuyerInput { in := valid; f(&in); return in }
		tests := []struct {
			name    string
			user    string
			in      workflow.BuyerInput
			code    apperr.Code
			field   string
			outcome workflow.BuyerOutcome
		}{
			{"OK", testkit.UserMerchantA, valid, "", "", workflow.BuyerCreated},
			{"OKAlreadyListed", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.DocNumber = "PAA123456"; in.Name = "Other" }), "", "", workflow.BuyerAlreadyListed},
			{"OKLinkedExisting", testkit.UserMerchantB, with(func(in *workflow.BuyerInput) {
				in.Nationality = "AE"
				in.DocNumber = "p 123-4567"
				in.Name = "Someone Else"
			}), "", "", workflow.BuyerLinked},
			{"OKAgent", testkit.UserAgentX, with(func(in *workflow.BuyerInput) { in.DocNumber = "X9876543"; in.DocType = workflow.DocIDCard }), "", "", workflow.BuyerCreated},
			{"OKAgentLinksExisting", testkit.UserAgentY, with(func(in *workflow.BuyerInput) { in.Nationality = "RU"; in.DocNumber = "75 1234567" }), "", "", workflow.BuyerLinked},
			{"OKSameDocumentOtherCountry", testkit.UserMerchantB, with(func(in *workflow.BuyerInput) { in.Nationality = "KZ"; in.DocNumber = "P1234567" }), "", "", workflow.BuyerCreated},
			{"ErrNationality", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.Nationality = "XX" }), apperr.Invalid, "nationality", 0},
			{"ErrNationalityAlpha3", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.Nationality = "ESP" }), apperr.Invalid, "nationality", 0},
			{"ErrNameMissing", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.Name = "  " }), apperr.Invalid, "name", 0},
			{"ErrDocNumberChars", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.DocNumber = "P12/3456" }), apperr.Invalid, "doc_number", 0},
			{"ErrDocNumberShort", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.DocNumber = "P-12" }), apperr.Invalid, "doc_number", 0},
			{"ErrDocType", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.DocType = "visa" }), apperr.Invalid, "doc_type", 0},
			{"ErrEmail", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.Email = "maria at example" }), apperr.Invalid, "email", 0},
			{"ErrPhone", testkit.UserMerchantA, with(func(in *workflow.BuyerInput) { in.Phone = "call me" }), apperr.Invalid, "phone", 0},
			{"ErrMerchantNotActive", testkit.UserPending, with(func(in *workflow.BuyerInput) { in.DocNumber = "Q7654321" }), apperr.Forbidden, "", 0},
			{"ErrRoleCustoms", testkit.UserCustoms, valid, apperr.Forbidden, "", 0},
			{"ErrRoleAuditor", testkit.UserAuditor, valid, apperr.Forbidden, "", 0},
			{"ErrAnonymous", "", valid, apperr.Unauthenticated, "", 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				buyersBefore := w.rows(t, &models.Buyer{}, "1 = 1")
				res, err := w.svc.RegisterBuyer(ctx, w.as(t, tt.user), tt.in)
				wantPartyErr(t, err, tt.code, tt.field)
				if tt.code != "" {
					if n := w.rows(t, &models.Buyer{}, "1 = 1"); n != buyersBefore {
						t.Errorf("buyers %d → %d after a refused registration", buyersBefore, n)
					}
					return
				}
				if res.Outcome != tt.outcome {
					t.Fatalf("outcome %d, want %d", res.Outcome, tt.outcome)
				}
				actor := w.as(t, tt.user)
				var link int64
				if actor.MerchantID > 0 {
					link = w.rows(t, &models.BuyerLink{}, "buyer_id = ? AND merchant_id = ?", res.Buyer.ID, actor.MerchantID)
				} else {
					link = w.rows(t, &models.BuyerLink{}, "buyer_id = ? AND agent_id = ?", res.Buyer.ID, actor.AgentID)
				}
				if link != 1 {
					t.Errorf("%d links of the buyer to the actor's business, want 1", link)
				}
				b := res.Buyer
				switch tt.outcome {
				case workflow.BuyerCreated:
					if b.ID == 0 || b.Version != 1 || b.CreatedByUserID == nil || *b.CreatedByUserID != actor.UserID {
						t.Errorf("new buyer %+v", b)
					}
					if w.rows(t, &models.AuditEntry{}, "entity = 'buyer' AND entity_id = ? AND action = 'create'", strconv.FormatInt(b.ID, 10)) != 1 {
						t.Error("no audit entry for the new buyer")
					}
				default:
					if b.Name == tt.in.Name {
						t.Errorf("existing buyer's name overwritten with %q", b.Name)
					}
				}
			})
		}
		// The first case normalised what it stored.
		var b models.Buyer
		if err := db.Where("doc_number = ?", "PAA123456").Take(&b).Error; err != nil {
			t.Fatal(err)
		}
		if b.Name != "Maria González" || b.Nationality != "ES" || b.DocType != workflow.DocPassport || b.Email != "maria@example.com" {
			t.Errorf("stored %+v", b)
		}
		var a models.Buyer
		if err := db.Where("id = ?", w.BuyerA.ID).Take(&a).Error; err != nil || a.Name != w.BuyerA.Name || a.Version != 1 {
			t.Errorf("BuyerA changed by a linking registration: %+v %v", a, err)
		}
	})
}

// TestRegisterBuyerConcurrent: the same person registered at once by two businesses ends as one
// buyer in both lists (the unique index stops the second insert; it retries as a link).
func TestRegisterBuyerConcurrent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		users := []string{testkit.UserMerchantA, testkit.UserAgentX, testkit.UserMerchantB, testkit.UserAgentY}
		for round := range 3 {
			doc := []string{"C1000001", "c 100-0002", "C1000003"}[round]
			var wg sync.WaitGroup
			results := make([]*workflow.BuyerRegistration, len(users))
			errs := make([]error, len(users))
			start := make(chan struct{})
			for i, u := range users {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = w.svc.RegisterBuyer(context.Background(), w.as(t, u),
						workflow.BuyerInput{Name: "Chen Concurrent", Nationality: "SG", DocNumber: doc})
				}()
			}
			close(start)
			wg.Wait()
			created := 0
			for i, err := range errs {
				if err != nil {
					t.Fatalf("round %d, %s: %v", round, users[i], err)
				}
				if results[i].Outcome == workflow.BuyerCreated {
					created++
				}
			}
			norm := workflow.NormalizeDocNumber(doc)
			if n := w.rows(t, &models.Buyer{}, "nationality = 'SG' AND doc_number = ?", norm); n != 1 || created != 1 {
				t.Fatalf("round %d: %d buyers, %d created outcomes; want 1 and 1", round, n, created)
			}
			if n := w.rows(t, &models.BuyerLink{}, "buyer_id = ?", results[0].Buyer.ID); n != int64(len(users)) {
				t.Errorf("round %d: %d links, want %d", round, n, len(users))
			}
		}
	})
}

func TestBuyersList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		ctx := context.Background()
		a := w.as(t, testkit.UserMerchantA)
		for i, name := range []string{"Zoe 100% Real", "Omar Farouk", "Olga_Ivanova"} {
			in := workflow.BuyerInput{Name: name, Nationality: []string{"GB", "EG", "RU"}[i], DocNumber: "L00" + string(rune('1'+i)) + "2345"}
			if _, err := w.svc.RegisterBuyer(ctx, a, in); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			name  string
			user  string
			q     workflow.BuyerQuery
			want  []string
			total int64
			code  apperr.Code
		}{
			{"OKMerchantSeesLinked", testkit.UserMerchantA, workflow.BuyerQuery{}, []string{"Ahmed Al Mansouri", "Olga_Ivanova", "Omar Farouk", "Zoe 100% Real"}, 4, ""},
			{"OKOtherMerchant", testkit.UserMerchantB, workflow.BuyerQuery{}, []string{"Ivan Petrov"}, 1, ""},
			{"OKAgentSeesNoneUnlinked", testkit.UserAgentX, workflow.BuyerQuery{}, nil, 0, ""},
			{"OKCustomsSeesAll", testkit.UserCustoms, workflow.BuyerQuery{PerPage: 2}, []string{"Ahmed Al Mansouri", "Ivan Petrov"}, 5, ""},
			{"OKSecondPage", testkit.UserAuditor, workflow.BuyerQuery{PerPage: 2, Page: 3}, []string{"Zoe 100% Real"}, 5, ""},
			{"OKSearchName", testkit.UserMerchantA, workflow.BuyerQuery{Q: "r"}, []string{"Ahmed Al Mansouri", "Omar Farouk", "Zoe 100% Real"}, 3, ""},
			{"OKSearchNameCaseInsensitive", testkit.UserMerchantA, workflow.BuyerQuery{Q: "OMAR"}, []string{"Omar Farouk"}, 1, ""},
			{"OKSearchWildcardIsLiteral", testkit.UserMerchantA, workflow.BuyerQuery{Q: "%"}, []string{"Zoe 100% Real"}, 1, ""},
			{"OKSearchUnderscoreIsLiteral", testkit.UserMerchantA, workflow.BuyerQuery{Q: "a_i"}, []string{"Olga_Ivanova"}, 1, ""},
			{"OKSearchDocumentPrefix", testkit.UserMerchantA, workflow.BuyerQuery{Q: "p12-34"}, []string{"Ahmed Al Mansouri"}, 1, ""},
			{"OKSearchCountry", testkit.UserAdmin, workflow.BuyerQuery{Country: "ru"}, []string{"Ivan Petrov", "Olga_Ivanova"}, 2, ""},
			{"OKSearchOtherMerchantsDocument", testkit.UserMerchantA, workflow.BuyerQuery{Q: "751234567"}, nil, 0, ""},
			{"ErrCountry", testkit.UserMerchantA, workflow.BuyerQuery{Country: "RUS"}, nil, 0, apperr.Invalid},
			{"ErrRoleTax", testkit.UserTax, workflow.BuyerQuery{}, nil, 0, apperr.Forbidden},
			{"ErrRoleSupervision", testkit.UserSupervisor, workflow.BuyerQuery{}, nil, 0, apperr.Forbidden},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				list, err := w.svc.Buyers(ctx, w.as(t, tt.user), tt.q)
				wantPartyErr(t, err, tt.code, "")
				if err != nil {
					return
				}
				var names []string
				for _, b := range list.Buyers {
					names = append(names, b.Name)
					if len(b.DocMasked) < 4 || b.DocMasked[3:7] != "****" && b.DocMasked[1:5] != "****" {
						t.Errorf("%s: document not masked: %q", b.Name, b.DocMasked)
					}
				}
				if !slices.Equal(names, tt.want) || list.Total != tt.total {
					t.Errorf("got %v (total %d), want %v (total %d)", names, list.Total, tt.want, tt.total)
				}
			})
		}
	})
}

func TestBuyerDetail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		ctx := context.Background()
		// MerchantB also lists BuyerA (linked, not the registrar).
		if _, err := w.svc.RegisterBuyer(ctx, w.as(t, testkit.UserMerchantB), workflow.BuyerInput{Name: "x", Nationality: "AE", DocNumber: "P1234567"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			user    string
			id      int64
			code    apperr.Code
			canEdit bool
			parties int
		}{
			{"OKRegistrar", testkit.UserMerchantA, w.BuyerA.ID, "", true, 0},
			{"OKLinkedNotRegistrar", testkit.UserMerchantB, w.BuyerA.ID, "", false, 0},
			{"OKCustomsSeesParties", testkit.UserCustoms, w.BuyerA.ID, "", false, 2},
			{"OKFX", testkit.UserFX, w.BuyerB.ID, "", false, 1},
			{"ErrNotFoundUnlinked", testkit.UserMerchantA, w.BuyerB.ID, apperr.NotFound, false, 0},
			{"ErrNotFoundUnlinkedAgent", testkit.UserAgentX, w.BuyerA.ID, apperr.NotFound, false, 0},
			{"ErrNotFoundNoSuchBuyer", testkit.UserAdmin, 999999, apperr.NotFound, false, 0},
			{"ErrRoleTax", testkit.UserTax, w.BuyerA.ID, apperr.Forbidden, false, 0},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d, err := w.svc.Buyer(ctx, w.as(t, tt.user), tt.id)
				wantPartyErr(t, err, tt.code, "")
				if err != nil {
					return
				}
				if d.Buyer.DocNumber == "" || d.CanEdit != tt.canEdit || len(d.Parties) != tt.parties {
					t.Errorf("detail: doc %q, canEdit %v, parties %d", d.Buyer.DocNumber, d.CanEdit, len(d.Parties))
				}
				if a := w.as(t, tt.user); (a.MerchantID > 0 || a.AgentID > 0) && d.Listed == nil {
					t.Error("no listed-since date for a linked business")
				}
			})
		}
	})
}

func TestUpdateBuyerContact(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newBuyersWorld(t, db)
		ctx := context.Background()
		if _, err := w.svc.RegisterBuyer(ctx, w.as(t, testkit.UserMerchantB), workflow.BuyerInput{Name: "x", Nationality: "AE", DocNumber: "P1234567"}); err != nil {
			t.Fatal(err)
		}
		contact := workflow.BuyerContact{Phone: "+971 50 123 4567", Email: "ahmed@example.ae", Address: "Yiwu, Futian"}
		tests := []struct {
			name    string
			user    string
			id      int64
			version int64
			contact workflow.BuyerContact
			code    apperr.Code
			field   string
		}{
			{"ErrNotFoundUnlinked", testkit.UserMerchantB, w.BuyerB.ID + 1000, 1, contact, apperr.NotFound, ""},
			{"ErrNotFoundOtherMerchant", testkit.UserAgentX, w.BuyerA.ID, 1, contact, apperr.NotFound, ""},
			{"ErrNotRegistrar", testkit.UserMerchantB, w.BuyerA.ID, 1, contact, apperr.Forbidden, ""},
			{"ErrRoleAdmin", testkit.UserAdmin, w.BuyerA.ID, 1, contact, apperr.Forbidden, ""},
			{"ErrEmail", testkit.UserMerchantA, w.BuyerA.ID, 1, workflow.BuyerContact{Email: "nope"}, apperr.Invalid, "email"},
			{"OK", testkit.UserMerchantA, w.BuyerA.ID, 1, contact, "", ""},
			{"ErrStaleVersion", testkit.UserMerchantA, w.BuyerA.ID, 1, workflow.BuyerContact{Phone: "+971 1111111"}, apperr.Conflict, ""},
			{"OKNextVersion", testkit.UserMerchantA, w.BuyerA.ID, 2, workflow.BuyerContact{Address: "Dubai"}, "", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b, err := w.svc.UpdateBuyerContact(ctx, w.as(t, tt.user), workflow.BuyerContactInput{ID: tt.id, Version: tt.version, BuyerContact: tt.contact})
				wantPartyErr(t, err, tt.code, tt.field)
				if err != nil {
					return
				}
				if b.Version != tt.version+1 || b.Phone != tt.contact.Phone || b.Address != tt.contact.Address {
					t.Errorf("updated %+v", b)
				}
				if b.Name != w.BuyerA.Name || b.DocNumber != w.BuyerA.DocNumber || b.Nationality != w.BuyerA.Nationality {
					t.Errorf("identity changed: %+v", b)
				}
			})
		}
		if n := w.rows(t, &models.AuditEntry{}, "entity = 'buyer' AND action = 'update_contact'"); n != 2 {
			t.Errorf("%d contact audit entries, want 2", n)
		}
	})
}
