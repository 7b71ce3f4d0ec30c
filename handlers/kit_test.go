package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"gorm.io/gorm"

	"mpt/handlers"
	"mpt/workflow"
	"mpt/workflow/servicetest"
	"mpt/workflow/testkit"
)

// client is a browser or API client of the real server: it keeps cookies (session, CSRF,
// language) between requests and sends the CSRF token with every form, as the pages do.
type client struct {
	t       *testing.T
	e       *echo.Echo
	cookies map[string]*http.Cookie
	bearer  string
	lang    string
}

// app is a server over a seeded world.
type app struct {
	*handlers.Server
	World *testkit.World
	DB    *gorm.DB
}

func newSeededApp(t *testing.T, db *gorm.DB) *app {
	t.Helper()
	w := testkit.Seed(t, db)
	return &app{Server: newApp(t, db), World: w, DB: db}
}

// anon is a client with no session.
func (a *app) anon(t *testing.T) *client {
	return &client{t: t, e: a.Echo(), cookies: map[string]*http.Cookie{}, lang: "en"}
}

// as logs in through the login form and returns the logged-in client.
func (a *app) as(t *testing.T, username string) *client {
	t.Helper()
	c := a.anon(t)
	rec := c.post("/login", url.Values{"username": {username}, "password": {testkit.Password}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("login %s: status %d: %s", username, rec.Code, rec.Body)
	}
	if c.cookies[handlers.SessionCookie] == nil {
		t.Fatalf("login %s: no session cookie", username)
	}
	return c
}

func (c *client) do(req *http.Request) *httptest.ResponseRecorder {
	c.t.Helper()
	req.Header.Set("Accept-Language", c.lang)
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.e.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 || ck.Value == "" {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

func (c *client) get(path string) *httptest.ResponseRecorder {
	c.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, path, nil))
}

// csrf returns the CSRF token, fetching a page first to get the cookie the forms carry.
func (c *client) csrf() string {
	c.t.Helper()
	if ck := c.cookies["mpt_csrf"]; ck != nil {
		return ck.Value
	}
	c.get("/")
	if ck := c.cookies["mpt_csrf"]; ck != nil {
		return ck.Value
	}
	c.t.Fatal("no CSRF cookie")
	return ""
}

// post submits a form with the CSRF token, as a page would.
func (c *client) post(path string, form url.Values) *httptest.ResponseRecorder {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !strings.HasPrefix(path, "/api/") {
		form.Set("_csrf", c.csrf())
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// postJSON sends a JSON body (API calls).
func (c *client) postJSON(path, body string) *httptest.ResponseRecorder {
	c.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

// apiAs is an API client holding a fresh bearer token of a seeded user, made through svc (a
// service over the app's database); "" gives a client without a token.
func (a *app) apiAs(t *testing.T, svc *workflow.Service, username string) *client {
	t.Helper()
	c := a.anon(t)
	if username == "" {
		return c
	}
	tok, err := svc.CreateAPIToken(context.Background(), servicetest.Actor(t, a.World, username), "test")
	if err != nil {
		t.Fatal(err)
	}
	c.bearer = tok.Token
	return c
}
