package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"mpt/handlers"
	"mpt/models"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/testkit"
)

func TestLogin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSeededApp(t, db)
		tests := []struct {
			name, user, password string
			status               int
		}{
			{"OK", testkit.UserMerchantA, testkit.Password, http.StatusSeeOther},
			{"OKUsernameCaseAndSpaces", "  Merchant-A ", testkit.Password, http.StatusSeeOther},
			{"ErrWrongPassword", testkit.UserMerchantA, "wrong-password", http.StatusUnprocessableEntity},
			{"ErrUnknownUser", "nobody", testkit.Password, http.StatusUnprocessableEntity},
			{"ErrEmpty", "", "", http.StatusUnprocessableEntity},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := a.anon(t)
				rec := c.post("/login", url.Values{"username": {tt.user}, "password": {tt.password}})
				if rec.Code != tt.status {
					t.Fatalf("status %d, want %d", rec.Code, tt.status)
				}
				if tt.status == http.StatusSeeOther {
					ck := c.cookies[handlers.SessionCookie]
					if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
						t.Fatalf("session cookie %+v", ck)
					}
					if rec := c.get("/dashboard"); rec.Code != http.StatusOK {
						t.Errorf("dashboard after login: %d", rec.Code)
					}
					return
				}
				if d := docOf(t, rec); d.Find(".form-error").Length() == 0 {
					t.Error("no error shown on the form")
				}
			})
		}
		var n int64
		db.Model(&models.AuditEntry{}).Where("action = ?", "login_failed").Count(&n)
		if n != 2 { // the empty form never reached the password check
			t.Errorf("%d failed logins audited, want 2", n)
		}
	})
}

// TestLoginThrottling: five failures lock the account for 15 minutes, even with the right
// password, and the lock ends by itself.
func TestLoginThrottling(t *testing.T) {
	db := dbtest.SQLite(t)
	testkit.Seed(t, db)
	now := testkit.Now
	svc := newService(t, db, func() time.Time { return now })
	for i := 0; i < 5; i++ {
		if _, err := svc.Login(t.Context(), testkit.UserMerchantA, "wrong", "10.0.0.1", "test"); err == nil {
			t.Fatal("wrong password accepted")
		}
	}
	_, err := svc.Login(t.Context(), testkit.UserMerchantA, testkit.Password, "10.0.0.2", "test")
	if err == nil || !strings.Contains(err.Error(), "Too many failed logins") {
		t.Fatalf("locked account: %v", err)
	}
	now = now.Add(16 * time.Minute)
	if _, err := svc.Login(t.Context(), testkit.UserMerchantA, testkit.Password, "10.0.0.2", "test"); err != nil {
		t.Fatalf("after the lock: %v", err)
	}

	// Per address: 20 failures across accounts lock the address, not the accounts.
	for i := 0; i < 20; i++ {
		_, _ = svc.Login(t.Context(), "nobody-"+string(rune('a'+i)), "wrong", "10.9.9.9", "test")
	}
	if _, err := svc.Login(t.Context(), testkit.UserMerchantB, testkit.Password, "10.9.9.9", "test"); err == nil {
		t.Fatal("locked address accepted")
	}
	if _, err := svc.Login(t.Context(), testkit.UserMerchantB, testkit.Password, "10.9.9.10", "test"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func TestLoginThrottledPageAnswers429(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	c := a.anon(t)
	for i := 0; i < 5; i++ {
		c.post("/login", url.Values{"username": {testkit.UserAgentX}, "password": {"wrong"}})
	}
	if rec := c.post("/login", url.Values{"username": {testkit.UserAgentX}, "password": {testkit.Password}}); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", rec.Code)
	}
}

// TestSessionExpiry: idle and absolute expiry end a session.
func TestSessionExpiry(t *testing.T) {
	db := dbtest.SQLite(t)
	testkit.Seed(t, db)
	now := testkit.Now
	svc := newService(t, db, func() time.Time { return now })
	res, err := svc.Login(t.Context(), testkit.UserMerchantA, testkit.Password, "1.2.3.4", "test")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ { // used every 90 minutes: idle never reached
		now = now.Add(90 * time.Minute)
		if _, err := svc.SessionActor(t.Context(), res.Token); err != nil {
			t.Fatalf("active session ended after %d uses: %v", i, err)
		}
	}
	now = now.Add(5 * time.Hour) // 12.5 h after login
	if _, err := svc.SessionActor(t.Context(), res.Token); err == nil {
		t.Fatal("session outlived its absolute expiry")
	}

	res, _ = svc.Login(t.Context(), testkit.UserMerchantA, testkit.Password, "1.2.3.4", "test")
	now = now.Add(2*time.Hour + time.Second)
	if _, err := svc.SessionActor(t.Context(), res.Token); err == nil {
		t.Fatal("idle session still valid")
	}
}

// TestCSRF: a form post without the token (or with a wrong one) is refused; with it, accepted.
func TestCSRF(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	c := a.as(t, testkit.UserMerchantA)
	post := func(token string) int {
		form := url.Values{"name": {"erp"}}
		if token != "" {
			form.Set("_csrf", token)
		}
		req := httptest.NewRequest(http.MethodPost, "/profile/tokens", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return c.do(req).Code
	}
	if code := post(""); code != http.StatusBadRequest && code != http.StatusForbidden {
		t.Errorf("no token: %d", code)
	}
	if code := post("forged-token-forged-token-forged"); code != http.StatusForbidden {
		t.Errorf("wrong token: %d", code)
	}
	if code := post(c.csrf()); code != http.StatusOK {
		t.Errorf("right token: %d", code)
	}
}

// TestAPITokens: a token is shown once, works as Bearer, never with the cookie, and stops
// working when revoked.
func TestAPITokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		a := newSeededApp(t, db)
		c := a.as(t, testkit.UserAgentX)
		rec := c.post("/profile/tokens", url.Values{"name": {"agent ERP"}})
		if rec.Code != http.StatusOK {
			t.Fatalf("create: %d", rec.Code)
		}
		token := docOf(t, rec).Find("#new-token").AttrOr("value", "")
		if !strings.HasPrefix(token, "mpt_") {
			t.Fatalf("token %q", token)
		}
		if strings.Contains(c.get("/profile").Body.String(), token) {
			t.Fatal("token shown again")
		}

		// The session cookie alone does not open the API.
		if rec := c.get("/api/v1/me"); rec.Code != http.StatusUnauthorized {
			t.Errorf("API with a cookie: %d", rec.Code)
		}
		api := a.anon(t)
		api.bearer = token
		rec = api.get("/api/v1/me")
		var me map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &me) != nil || me["role"] != "agent" || me["agent_id"] != float64(a.World.AgentX.ID) {
			t.Fatalf("API me: %d %s", rec.Code, rec.Body)
		}

		// API writes need no CSRF token (bearer only); an unknown method is 405, not a CSRF 403.
		if rec := api.postJSON("/api/v1/me", "{}"); rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST /api/v1/me: %d", rec.Code)
		}

		var row models.APIToken
		db.Where("user_id = ?", a.World.Users[testkit.UserAgentX].ID).Take(&row)
		if row.TokenHash == token || strings.Contains(row.TokenHash, token[4:]) {
			t.Fatal("token stored in clear")
		}
		// Another user cannot revoke it.
		other := a.as(t, testkit.UserAgentY)
		if rec := other.post("/profile/tokens/"+itoa(row.ID)+"/revoke", nil); rec.Code != http.StatusNotFound {
			t.Errorf("revoke by another user: %d", rec.Code)
		}
		if rec := c.post("/profile/tokens/"+itoa(row.ID)+"/revoke", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("revoke: %d", rec.Code)
		}
		if rec := api.get("/api/v1/me"); rec.Code != http.StatusUnauthorized {
			t.Errorf("revoked token: %d", rec.Code)
		}
		api.bearer = "mpt_not-a-token"
		if rec := api.get("/api/v1/me"); rec.Code != http.StatusUnauthorized {
			t.Errorf("forged token: %d", rec.Code)
		}
	})
}

func TestLogoutEverywhereAndPasswordChange(t *testing.T) {
	a := newSeededApp(t, dbtest.SQLite(t))
	phone, laptop := a.as(t, testkit.UserMerchantA), a.as(t, testkit.UserMerchantA)
	rec := laptop.post("/profile/password", url.Values{"current": {testkit.Password}, "new": {"new-password-1"}, "confirm": {"new-password-1"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", rec.Code, rec.Body)
	}
	if rec := phone.get("/dashboard"); rec.Code != http.StatusSeeOther {
		t.Errorf("other session still open after a password change: %d", rec.Code)
	}
	if rec := laptop.get("/dashboard"); rec.Code != http.StatusOK {
		t.Errorf("own session ended: %d", rec.Code)
	}
	rec = laptop.post("/profile/password", url.Values{"current": {"wrong"}, "new": {"12345678"}, "confirm": {"1234"}})
	if rec.Code != http.StatusUnprocessableEntity {
		t.Fatalf("bad change: %d", rec.Code)
	}
	d := docOf(t, rec)
	for _, f := range []string{"current", "new", "confirm"} {
		if d.Find("#f-"+f+"[aria-invalid=true]").Length() != 1 || d.Find("#f-"+f+"-error").Length() != 1 {
			t.Errorf("field %s has no error tied to it", f)
		}
	}
	if rec := laptop.post("/profile/logout-everywhere", nil); rec.Code != http.StatusSeeOther {
		t.Fatal(rec.Code)
	}
	if rec := laptop.get("/dashboard"); rec.Code != http.StatusSeeOther {
		t.Errorf("session open after logout everywhere: %d", rec.Code)
	}
}

func newService(t *testing.T, db *gorm.DB, now func() time.Time) *workflow.Service {
	t.Helper()
	svc := workflow.NewService(db, mustRef(t), now, discard())
	svc.Policy.BcryptCost = 4
	return svc
}
