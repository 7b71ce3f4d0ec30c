package handlers_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"mpt/handlers"
	"mpt/models/dbtest"
	"mpt/workflow"
	"mpt/workflow/refdata"
)

var fixedNow = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// newServer builds the real Echo instance over a fresh database.
func newServer(t *testing.T, db *gorm.DB) *echo.Echo {
	t.Helper()
	return newApp(t, db).Echo()
}

// newApp builds the real server over a database, with a fast password hash and a fixed clock.
func newApp(t *testing.T, db *gorm.DB) *handlers.Server {
	t.Helper()
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := workflow.NewService(db, ref, func() time.Time { return fixedNow }, log)
	svc.Policy.BcryptCost = bcrypt.MinCost
	s, err := handlers.New(handlers.Deps{Service: svc, Log: log, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// get sends a GET with optional headers ("Name: value").
func get(t *testing.T, e *echo.Echo, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func docOf(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	return doc(t, rec)
}

func mustRef(t *testing.T) *refdata.Set {
	t.Helper()
	ref, err := refdata.Load()
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

func doc(t *testing.T, rec *httptest.ResponseRecorder) *goquery.Document {
	t.Helper()
	d, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestHomeShowsSixStepsInBothLanguages(t *testing.T) {
	e := newServer(t, dbtest.SQLite(t))
	tests := []struct {
		name, header, lang, h1, step1 string
	}{
		{"OKChineseByDefault", "", "zh-CN", "义乌市场采购贸易", "备案"},
		{"OKEnglishFromAcceptLanguage", "Accept-Language: en-GB,en;q=0.9", "en", "Market procurement trade in Yiwu", "Registration"},
		{"OKChineseFromAcceptLanguage", "Accept-Language: zh-TW,zh;q=0.9,en;q=0.5", "zh-CN", "义乌市场采购贸易", "备案"},
		{"OKCookieBeatsAcceptLanguage", "Cookie: mpt_lang=en", "en", "Market procurement trade in Yiwu", "Registration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec *httptest.ResponseRecorder
			if tt.header == "" {
				rec = get(t, e, "/")
			} else {
				rec = get(t, e, "/", tt.header)
			}
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			d := doc(t, rec)
			if got, _ := d.Find("html").Attr("lang"); got != tt.lang {
				t.Errorf("html lang = %q, want %q", got, tt.lang)
			}
			if got := strings.TrimSpace(d.Find("h1").First().Text()); got != tt.h1 {
				t.Errorf("h1 = %q, want %q", got, tt.h1)
			}
			steps := d.Find("ol.steps > li")
			if steps.Length() != 6 {
				t.Fatalf("%d steps, want 6", steps.Length())
			}
			if got := strings.TrimSpace(steps.First().Find("h3").Text()); got != tt.step1 {
				t.Errorf("first step = %q, want %q", got, tt.step1)
			}
			if d.Find("link[rel=stylesheet][href^='http']").Length() > 0 || d.Find("script[src^='http']").Length() > 0 {
				t.Error("page loads an asset from another site")
			}
		})
	}
}

func TestLanguageSwitch(t *testing.T) {
	e := newServer(t, dbtest.SQLite(t))
	tests := []struct {
		name, path, cookie, location string
		status                       int
	}{
		{"OKEnglish", "/lang/en?next=/%3Fa%3D1", "en", "/?a=1", http.StatusSeeOther},
		{"OKChinese", "/lang/zh-CN?next=/", "zh-CN", "/", http.StatusSeeOther},
		{"OKForeignRedirectRefused", "/lang/en?next=//evil.example/", "en", "/", http.StatusSeeOther},
		{"OKAbsoluteURLRefused", "/lang/en?next=https://evil.example/", "en", "/", http.StatusSeeOther},
		{"ErrUnknownLanguage", "/lang/fr?next=/", "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, e, tt.path)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d", rec.Code, tt.status)
			}
			if tt.status != http.StatusSeeOther {
				return
			}
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			var lang *http.Cookie
			for _, c := range rec.Result().Cookies() {
				if c.Name == handlers.LangCookie {
					lang = c
				}
			}
			if lang == nil || lang.Value != tt.cookie || !lang.HttpOnly {
				t.Errorf("language cookie = %v", lang)
			}
		})
	}
}

func TestErrorsAreHTMLForPagesAndJSONForAPI(t *testing.T) {
	e := newServer(t, dbtest.SQLite(t))
	rec := get(t, e, "/no-such-page", "Accept-Language: en")
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("page 404: status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	d := doc(t, rec)
	if !strings.Contains(d.Find(".error-page p").First().Text(), "does not exist") {
		t.Errorf("error page text = %q", d.Find(".error-page").Text())
	}
	if d.Find(".error-page code").Text() == "" {
		t.Error("error page shows no request id")
	}

	rec = get(t, e, "/api/v1/nothing", "Accept-Language: zh-CN")
	if rec.Code != http.StatusNotFound || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("api 404: status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if body := rec.Body.String(); !strings.Contains(body, `"code":"not_found"`) || !strings.Contains(body, "页面不存在") {
		t.Errorf("api 404 body = %s", body)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	e := newServer(t, dbtest.SQLite(t))
	for _, path := range []string{"/", "/healthz", "/missing", "/api/v1/x"} {
		rec := get(t, e, path)
		h := rec.Header()
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP = %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" {
			t.Errorf("%s: headers %v", path, h)
		}
		if h.Get(echo.HeaderXRequestID) == "" {
			t.Errorf("%s: no request id", path)
		}
	}
}

func TestStaticAssetsAreFingerprintedAndCached(t *testing.T) {
	e := newServer(t, dbtest.SQLite(t))
	d := doc(t, get(t, e, "/"))
	hrefs := d.Find("link[rel=stylesheet]").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("href", "") })
	if len(hrefs) != 2 {
		t.Fatalf("stylesheets = %v", hrefs)
	}
	for _, href := range hrefs {
		if strings.Contains(href, "/missing/") {
			t.Fatalf("unknown asset %s", href)
		}
		rec := get(t, e, href)
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
			t.Errorf("%s: status %d type %q", href, rec.Code, rec.Header().Get("Content-Type"))
		}
		if !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q", href, rec.Header().Get("Cache-Control"))
		}
	}
	if rec := get(t, e, "/static/css/app.css"); rec.Code != http.StatusNotFound {
		t.Errorf("unfingerprinted asset: status %d, want 404", rec.Code)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newServer(t, db)
		if rec := get(t, e, "/healthz"); rec.Code != http.StatusOK {
			t.Errorf("healthz %d", rec.Code)
		}
		if rec := get(t, e, "/readyz"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"database":"ok"`) {
			t.Errorf("readyz %d %s", rec.Code, rec.Body)
		}
	})
}

func TestReadinessFailsWithoutSchema(t *testing.T) {
	e := newServer(t, dbtest.OpenEmpty(t, "sqlite"))
	if rec := get(t, e, "/readyz"); rec.Code != http.StatusServiceUnavailable {
		t.Errorf("readyz on an unmigrated database: %d", rec.Code)
	}
}
