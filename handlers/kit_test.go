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

// matrixRoute is one row of an access matrix: a request (a form for pages, JSON for the API)
// and the users allowed it with the status each gets; users not named get 403.
type matrixRoute struct {
	method, path string
	form         func() url.Values
	json         string
	allow        []goodsOutcome
}

// checkAccessMatrix sends every route as every user, through their page or API client, and
// checks the status: nobody is sent to the login page (a page GET) or gets 401 (a page POST or
// the API), a user not named gets 403, a named one what the row says. Per route the users not
// named go first and the named ones in the row's order, so a successful write comes last.
func checkAccessMatrix(t *testing.T, routes []matrixRoute, users []string, pages, apis map[string]*client) {
	t.Helper()
	for _, r := range routes {
		want := map[string]int{}
		var order []string
		for _, o := range r.allow {
			for _, u := range o.users {
				want[u] = o.status
				order = append(order, u)
			}
		}
		for _, u := range users {
			if _, named := want[u]; !named {
				order = append([]string{u}, order...)
			}
		}
		for _, u := range order {
			api := strings.HasPrefix(r.path, "/api/")
			exp, named := want[u]
			switch {
			case u == "" && (api || r.method == http.MethodPost):
				exp = http.StatusUnauthorized
			case u == "":
				exp = http.StatusSeeOther
			case !named:
				exp = http.StatusForbidden
			}
			c := pages[u]
			if api {
				c = apis[u]
			}
			var res *httptest.ResponseRecorder
			switch {
			case r.method == http.MethodGet:
				res = c.get(r.path)
			case api:
				res = c.postJSON(r.path, r.json)
			default:
				res = c.post(r.path, r.form())
			}
			if res.Code != exp {
				t.Errorf("%s %s as %q: %d, want %d: %.300s", r.method, r.path, u, res.Code, exp, res.Body.String())
			}
		}
	}
}
