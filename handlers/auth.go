package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// SessionCookie holds the random session token; the database keeps only its hash.
const SessionCookie = "mpt_session"

const ctxActor = "mpt.actor"

// isAPI reports whether a request is for the token-authenticated API.
func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

// authenticate finds who is asking: a bearer token under /api (never the session cookie, so a
// browser session cannot be ridden by a cross-site API call), the session cookie elsewhere.
// Nobody is the zero Actor; routes decide whether that is enough.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := workflow.WithRequestID(c.Request().Context(), c.Response().Header().Get(echo.HeaderXRequestID))
		c.SetRequest(c.Request().WithContext(ctx))
		var actor workflow.Actor
		if isAPI(c) {
			if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
				token, ok := strings.CutPrefix(h, "Bearer ")
				if !ok {
					return apperr.New(apperr.Unauthenticated, apperr.T("Use 'Authorization: Bearer TOKEN'", "请使用 'Authorization: Bearer 令牌'"))
				}
				a, err := s.svc.TokenActor(ctx, strings.TrimSpace(token))
				if err != nil {
					return err
				}
				actor = a
			}
		} else if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
			a, err := s.svc.SessionActor(ctx, ck.Value)
			switch {
			case err == nil:
				actor = a
			case apperr.Is(err, apperr.Unauthenticated):
				// Expired or unknown: carry on as nobody; routes that need a login say so.
				s.clearSessionCookie(c)
			default:
				return err
			}
		}
		c.Set(ctxActor, actor)
		return next(c)
	}
}

// actorOf returns who is asking (the zero Actor for nobody).
func actorOf(c echo.Context) workflow.Actor {
	a, _ := c.Get(ctxActor).(workflow.Actor)
	return a
}

func isSafe(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// require guards a route with an action from the permission table. Nobody on a page is sent to
// the login page (and back afterwards); elsewhere the error handler answers 401 or 403.
func (s *Server) require(action workflow.Action) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			actor := actorOf(c)
			if err := actor.Require(action); err != nil {
				if actor.Anonymous() && !isAPI(c) && isSafe(c.Request().Method) {
					return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
				}
				return err
			}
			return next(c)
		}
	}
}

func (s *Server) setSessionCookie(c echo.Context, token string, expires time.Time) {
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(c),
	})
}

func (s *Server) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(c),
	})
}

// secure reports whether cookies must be Secure: served over TLS, or behind a TLS proxy.
func (s *Server) secure(c echo.Context) bool { return c.IsTLS() || s.deps.SecureCookies }
