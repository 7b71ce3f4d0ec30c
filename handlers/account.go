package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow/apperr"
)

// LoginPage is the login form.
type LoginPage struct {
	Page
	Username string
	Next     string
}

type loginRequest struct {
	Username string `form:"username" validate:"required,max=64"`
	Password string `form:"password" validate:"required,max=200"`
	Next     string `form:"next"`
}

func (s *Server) loginForm(c echo.Context) error {
	p := LoginPage{Page: s.page(c), Next: localPath(c.QueryParam("next"))}
	if !p.Actor.Anonymous() {
		return c.Redirect(http.StatusSeeOther, "/dashboard")
	}
	return s.render(c, "login", p)
}

// login checks the credentials; failures re-render the form (422, or 429 while locked).
func (s *Server) login(c echo.Context) error {
	var req loginRequest
	p := LoginPage{Page: s.page(c)}
	err := s.bind(c, &req)
	p.Username, p.Next = req.Username, localPath(req.Next)
	if err == nil {
		r := c.Request()
		res, lerr := s.svc.Login(r.Context(), req.Username, req.Password, c.RealIP(), r.UserAgent())
		if lerr == nil {
			s.setSessionCookie(c, res.Token, res.ExpiresAt)
			// The user's preferred language applies unless this browser already chose one.
			if _, err := c.Cookie(LangCookie); err != nil && res.Actor.Lang != "" {
				setLangCookie(c, res.Actor.Lang, s.secure(c))
			}
			next := p.Next
			if next == "/" || next == "/login" {
				next = "/dashboard"
			}
			name := res.Actor.DisplayName
			return s.redirect(c, next, apperr.Tf("Welcome, %s", "欢迎，%s", name))
		}
		err = lerr
	}
	status := http.StatusUnprocessableEntity
	switch apperr.CodeOf(err) {
	case apperr.Invalid:
		p.withErrors(err)
	case apperr.Unauthenticated:
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
	case apperr.Forbidden: // locked after too many failures
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		status = http.StatusTooManyRequests
	default:
		return err
	}
	return s.views.Render(c, status, "login", p)
}

func (s *Server) logout(c echo.Context) error {
	if err := s.svc.Logout(c.Request().Context(), actorOf(c)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return s.redirect(c, "/", apperr.T("You are logged out", "您已退出登录"))
}

// DashboardPage is a user's start page: who they are and what their role does.
type DashboardPage struct {
	Page
}

func (s *Server) dashboard(c echo.Context) error {
	return s.render(c, "dashboard", DashboardPage{Page: s.page(c)})
}

// ProfilePage shows the user's account: password change, sessions and API tokens.
type ProfilePage struct {
	Page
	Tokens   []models.APIToken
	NewToken string // shown once, right after creation
}

func (s *Server) profilePage(c echo.Context, p ProfilePage, status int) error {
	tokens, err := s.svc.APITokens(c.Request().Context(), p.Actor)
	if err != nil {
		return err
	}
	p.Tokens = tokens
	return s.views.Render(c, status, "profile", p)
}

func (s *Server) profile(c echo.Context) error {
	return s.profilePage(c, ProfilePage{Page: s.page(c)}, http.StatusOK)
}

type passwordRequest struct {
	Current string `form:"current" validate:"required"`
	New     string `form:"new" validate:"required"`
	Confirm string `form:"confirm" validate:"required"`
}

func (s *Server) changePassword(c echo.Context) error {
	var req passwordRequest
	err := s.bind(c, &req)
	if err == nil {
		err = s.svc.ChangePassword(c.Request().Context(), actorOf(c), req.Current, req.New, req.Confirm)
	}
	if err != nil {
		p := ProfilePage{Page: s.page(c)}
		if p.withErrors(err) {
			return s.profilePage(c, p, http.StatusUnprocessableEntity)
		}
		return err
	}
	return s.redirect(c, "/profile", apperr.T("Password changed. Your other sessions were ended.", "密码已修改，其他设备上的会话已退出。"))
}

func (s *Server) logoutEverywhere(c echo.Context) error {
	if _, err := s.svc.LogoutEverywhere(c.Request().Context(), actorOf(c)); err != nil {
		return err
	}
	s.clearSessionCookie(c)
	return s.redirect(c, "/login", apperr.T("You are logged out on every device", "已在所有设备上退出登录"))
}

type tokenRequest struct {
	Name string `form:"name" validate:"required,max=60"`
}

func (s *Server) createToken(c echo.Context) error {
	var req tokenRequest
	p := ProfilePage{Page: s.page(c)}
	err := s.bind(c, &req)
	if err == nil {
		var t *createdToken
		t, err = s.newToken(c, req.Name)
		if err == nil {
			// Shown once on this response; never stored or shown again.
			p.NewToken = t.token
			return s.profilePage(c, p, http.StatusOK)
		}
	}
	if p.withErrors(err) {
		return s.profilePage(c, p, http.StatusUnprocessableEntity)
	}
	return err
}

type createdToken struct{ token string }

func (s *Server) newToken(c echo.Context, name string) (*createdToken, error) {
	t, err := s.svc.CreateAPIToken(c.Request().Context(), actorOf(c), name)
	if err != nil {
		return nil, err
	}
	return &createdToken{token: t.Token}, nil
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.ErrNotFound
	}
	if err := s.svc.RevokeAPIToken(c.Request().Context(), actorOf(c), id); err != nil {
		return err
	}
	return s.redirect(c, "/profile", apperr.T("Token revoked", "令牌已吊销"))
}

// apiMe tells an API client who its token belongs to.
func (s *Server) apiMe(c echo.Context) error {
	a := actorOf(c)
	body := map[string]any{"user_id": a.UserID, "username": a.Username, "name": a.DisplayName, "role": a.Role}
	if a.MerchantID != 0 {
		body["merchant_id"] = a.MerchantID
	}
	if a.AgentID != 0 {
		body["agent_id"] = a.AgentID
	}
	return c.JSON(http.StatusOK, body)
}
