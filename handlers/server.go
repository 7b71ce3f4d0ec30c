package handlers

import (
	"log/slog"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"gorm.io/gorm"

	"mpt/web"
	"mpt/workflow/refdata"
)

// Deps is everything the HTTP edge needs, built explicitly by cmd/mpt.
type Deps struct {
	DB      *gorm.DB
	Ref     *refdata.Set
	Log     *slog.Logger
	Now     func() time.Time
	Version string
}

// Server holds the parsed templates, translations and assets shared by all handlers.
type Server struct {
	deps   Deps
	views  *Views
	tr     *Translator
	assets *web.Assets
}

// New builds the Echo instance with its middleware and every route.
func New(deps Deps) (*echo.Echo, error) {
	if deps.Now == nil {
		deps.Now = time.Now
	}
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
	s := &Server{deps: deps, views: views, tr: tr, assets: assets}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(
		middleware.RequestID(),
		s.requestLogger(),
		middleware.Recover(),
		securityHeaders,
		middleware.BodyLimit("16M"),
		languageMiddleware,
	)
	s.routes(e)
	return e, nil
}

// routes registers every route. Each route of mpt is listed here, in one place.
func (s *Server) routes(e *echo.Echo) {
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*", s.static)
	e.GET("/lang/:lang", s.switchLanguage)
	e.GET("/", s.home)
}
