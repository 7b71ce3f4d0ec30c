package handlers

import (
	"context"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/workflow/apperr"
)

// healthz says the process is alive; it touches nothing else.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz says whether the instance can serve: the database answers and its schema is current.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Ready(ctx); err != nil {
		s.deps.Log.Warn("not ready", "error", err.Error())
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": apperr.As(err).Text.En})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}

// static serves fingerprinted assets with a year-long cache.
func (s *Server) static(c echo.Context) error {
	name, ok := s.assets.Lookup(c.Request().URL.Path)
	if !ok {
		return echo.ErrNotFound
	}
	body, err := fs.ReadFile(s.assets.FS(), name)
	if err != nil {
		return echo.ErrNotFound
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, contentType(name), body)
}

func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".woff2":
		return "font/woff2"
	}
	return "application/octet-stream"
}

// switchLanguage remembers the chosen language in a cookie and goes back to the page.
func (s *Server) switchLanguage(c echo.Context) error {
	lang := normaliseLang(c.Param("lang"))
	if lang == "" {
		return echo.ErrNotFound
	}
	setLangCookie(c, lang, s.secure(c))
	return c.Redirect(http.StatusSeeOther, localPath(c.QueryParam("next")))
}

// localPath keeps a redirect target on this site: only absolute paths, never "//host" or a URL.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// setLangCookie remembers a language choice for a year.
func setLangCookie(c echo.Context, lang string, secure bool) {
	c.SetCookie(&http.Cookie{
		Name: LangCookie, Value: normaliseLang(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	})
}
