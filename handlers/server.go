package handlers

import (
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"mpt/web"
	"mpt/workflow"
)

// Deps is everything the HTTP edge needs, built explicitly by cmd/mpt.
type Deps struct {
	Service       *workflow.Service
	Log           *slog.Logger
	Version       string
	SecureCookies bool // cookies are Secure even without TLS here (TLS ends at a proxy)
	Ready         func(c echo.Context) error
}

// Server holds the parsed templates, translations and assets shared by all handlers, and the
// permission every route was registered with.
type Server struct {
	deps     Deps
	svc      *workflow.Service
	views    *Views
	tr       *Translator
	assets   *web.Assets
	validate *validator.Validate
	echo     *echo.Echo
	perms    map[string]workflow.Action // "GET /path" → action
}

// New builds the Echo instance with its middleware and every route.
func New(deps Deps) (*Server, error) {
	assets, err := web.NewAssets(web.Static())
	if err != nil {
		return nil, err
	}
	views, err := NewViews(web.Templates(), assets)
	if err != nil {
		return nil, err
	}
	tr, err := NewTranslator(web.Translations())
	if err != nil {
		return nil, err
	}
	s := &Server{deps: deps, svc: deps.Service, views: views, tr: tr, assets: assets,
		validate: newValidator(), perms: map[string]workflow.Action{}}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(
		middleware.RequestID(),
		s.requestLogger(),
		middleware.Recover(),
		securityHeaders,
		// Forms and API calls are small; uploads of documents and import files get more room
		// (each file is still checked against its own limit by the workflow).
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "16M", Skipper: isUpload}),
		middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{Limit: "64M", Skipper: func(c echo.Context) bool { return !isUpload(c) }}),
		languageMiddleware,
		s.authenticate,
		middleware.CSRFWithConfig(middleware.CSRFConfig{
			Skipper:        isAPI, // the API takes bearer tokens only, never cookies
			TokenLookup:    "form:_csrf,header:X-CSRF-Token",
			CookieName:     "mpt_csrf",
			CookiePath:     "/",
			CookieHTTPOnly: true,
			CookieSecure:   deps.SecureCookies,
			CookieSameSite: http.SameSiteLaxMode,
			CookieMaxAge:   int((12 * time.Hour).Seconds()),
		}),
	)
	s.echo = e
	s.routes()
	return s, nil
}

// isUpload reports whether a request uploads files (transaction documents, line imports) or a
// bulk ingest of up to 100,000 lines (ingest.go), which need more than the 16 MB of a form.
func isUpload(c echo.Context) bool {
	p := c.Request().URL.Path
	return c.Request().Method == http.MethodPost &&
		((strings.HasPrefix(p, "/transactions/") && (strings.HasSuffix(p, "/documents") || strings.HasSuffix(p, "/import"))) ||
			(strings.HasPrefix(p, "/declarations/") && strings.HasSuffix(p, "/documents")) || p == ingestPath)
}

// Handler is the HTTP handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo is the underlying Echo instance (for tests that walk its routes).
func (s *Server) Echo() *echo.Echo { return s.echo }

// Permission returns the action a route was registered with.
func (s *Server) Permission(method, path string) (workflow.Action, bool) {
	a, ok := s.perms[method+" "+path]
	return a, ok
}

// handle registers a route with the action that guards it. Every route goes through here, so
// none can be added without a declared permission (a test walks the routes to check).
func (s *Server) handle(method, path string, action workflow.Action, h echo.HandlerFunc) {
	if !workflow.Known(action) {
		panic("route " + method + " " + path + ": unknown action " + string(action))
	}
	s.perms[method+" "+path] = action
	s.echo.Add(method, path, h, s.require(action))
}

// Routes lists the registered routes as "METHOD path", sorted.
func (s *Server) Routes() []string {
	var out []string
	for k := range s.perms {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// routes registers every route of mpt, in one place.
func (s *Server) routes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/healthz", workflow.Public, s.healthz)
	s.handle(get, "/readyz", workflow.Public, s.readyz)
	s.handle(get, "/static/*", workflow.Public, s.static)
	s.handle(get, "/lang/:lang", workflow.Public, s.switchLanguage)
	s.handle(get, "/", workflow.Public, s.home)

	s.handle(get, "/login", workflow.Public, s.loginForm)
	s.handle(post, "/login", workflow.Public, s.login)
	s.handle(post, "/logout", workflow.Authenticated, s.logout)
	s.handle(get, "/dashboard", workflow.Authenticated, s.dashboard)
	s.handle(get, "/profile", workflow.Authenticated, s.profile)
	s.handle(post, "/profile/password", workflow.Authenticated, s.changePassword)
	s.handle(post, "/profile/logout-everywhere", workflow.Authenticated, s.logoutEverywhere)
	s.handle(post, "/profile/tokens", workflow.Authenticated, s.createToken)
	s.handle(post, "/profile/tokens/:id/revoke", workflow.Authenticated, s.revokeToken)

	s.handle(get, "/api/v1/me", workflow.Authenticated, s.apiMe)

	s.merchantRoutes()      // merchants.go: registration, approval, status; agents
	s.partyRoutes()         // parties.go: buyers, entrustments
	s.adminRoutes()         // admin.go: users, settings, rates, lists
	s.goodsRoutes()         // goods.go: goods registration, HS search, recognition
	s.transactionRoutes()   // transactions.go: transactions, lines, documents, import, labels
	s.consolidationRoutes() // consolidations.go: consolidations, containers, packing lists
	s.declarationRoutes()   // declarations.go: generation, findings, review, submission
	s.customsRoutes()       // customs.go: the customs desk, lanes, inspections, release, exit, rejection
	s.riskRoutes()          // risk.go: risk rule sets, routing decisions and their replay
	s.fxRoutes()            // fx.go: FX receipts, statements, allocations, balances
	s.fxBulkRoutes()        // fx_bulk.go: the FX desk's bulk allocation and statement APIs
	s.taxRoutes()           // tax.go: VAT exemption filings
	s.supervisionRoutes()   // supervision.go: the market supervision desk, spot checks
	s.notificationRoutes()  // notifications.go: in-app notifications, agents' webhooks
	s.traceRoutes()         // trace.go: trace search and the trace view of a goods line
	s.auditRoutes()         // audit.go: the audit log, its verification and checkpoints
}
