package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
	"mpt/workflow/apperr"
)

// adminRoutes registers the admin pages: users (admin only), and the settings and lists the
// trade rules read (admins change them, auditors read them).
func (s *Server) adminRoutes() {
	get, post := http.MethodGet, http.MethodPost
	users, view, manage := workflow.ActUserManage, workflow.ActSettingsView, workflow.ActSettingsManage

	s.handle(get, "/admin/users", users, s.adminUsers)
	s.handle(get, "/admin/users/new", users, s.adminUserNew)
	s.handle(post, "/admin/users", users, s.adminUserCreate)
	s.handle(get, "/admin/users/:id", users, s.adminUser)
	s.handle(post, "/admin/users/:id/disable", users, s.adminUserDisable)
	s.handle(post, "/admin/users/:id/enable", users, s.adminUserEnable)
	s.handle(post, "/admin/users/:id/password", users, s.adminUserPassword)
	s.handle(post, "/admin/users/:id/role", users, s.adminUserRole)

	s.handle(get, "/admin/settings", view, s.adminSettings)
	s.handle(post, "/admin/settings", manage, s.adminSettingsSave)
	s.handle(get, "/admin/rates", view, s.adminRates)
	s.handle(post, "/admin/rates", manage, s.adminRateSet)
	s.handle(post, "/admin/rates/upload", manage, s.adminRatesUpload)
	s.handle(get, "/admin/rates/template.csv", view, s.adminRatesTemplate)
	s.handle(get, "/admin/tax-days", view, s.adminTaxDays)
	s.handle(post, "/admin/tax-days", manage, s.adminTaxDaySet)
	s.handle(post, "/admin/tax-days/:month/delete", manage, s.adminTaxDayDelete)
	s.handle(get, "/admin/hs-prefixes", view, s.adminHSPrefixes)
	s.handle(post, "/admin/hs-prefixes", manage, s.adminHSPrefixAdd)
	s.handle(post, "/admin/hs-prefixes/:id/delete", manage, s.adminHSPrefixDelete)
	s.handle(get, "/admin/brands", view, s.adminBrands)
	s.handle(post, "/admin/brands", manage, s.adminBrandAdd)
	s.handle(post, "/admin/brands/:id/delete", manage, s.adminBrandDelete)
}

// AdminPage is the common part of the admin pages: their own navigation, and whether the
// actor may change what the page shows (an auditor reads the same pages without the forms).
type AdminPage struct {
	Page
	CanManage bool
}

func (s *Server) adminPage(c echo.Context) AdminPage {
	p := s.page(c)
	return AdminPage{Page: p, CanManage: p.Actor.Can(workflow.ActSettingsManage)}
}

// AdminNav lists the admin pages the actor may open.
func (p AdminPage) AdminNav() []NavItem {
	var items []NavItem
	path, _, _ := strings.Cut(p.Path, "?")
	add := func(act workflow.Action, url, label string) {
		if p.Actor.Can(act) {
			items = append(items, NavItem{URL: url, Label: p.T(label), Current: path == url || strings.HasPrefix(path, url+"/")})
		}
	}
	add(workflow.ActUserManage, "/admin/users", "nav.users")
	add(workflow.ActSettingsView, "/admin/settings", "admin.nav.settings")
	add(workflow.ActSettingsView, "/admin/rates", "admin.nav.rates")
	add(workflow.ActSettingsView, "/admin/tax-days", "admin.nav.tax_days")
	add(workflow.ActSettingsView, "/admin/hs-prefixes", "admin.nav.hs_prefixes")
	add(workflow.ActSettingsView, "/admin/brands", "admin.nav.brands")
	return items
}

// When shows a time in Yiwu time, to the minute.
func (p AdminPage) When(t time.Time) string { return formatWhen(t) }

// RoleLabel is a role's name in the page's language.
func (p AdminPage) RoleLabel(role string) string { return p.T("role." + role) }

// ActionLabel names an audited action in the page's language (the action itself when the
// catalog does not know it).
func (p AdminPage) ActionLabel(action string) string {
	id := "admin.action." + action
	if l := p.T(id); l != id {
		return l
	}
	return action
}

// pathID reads a numeric :id; anything else is a page that does not exist.
func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// formFailed re-renders a form page after an error it can show: field problems (422) or a record
// changed by someone else (409), with the message on top. Other errors go to the error handler.
func formFailed(p *Page, err error) (int, bool) {
	if p.withErrors(err) {
		return http.StatusUnprocessableEntity, true
	}
	if apperr.CodeOf(err) == apperr.Conflict {
		p.Errors = map[string]string{"_": apperr.As(err).Text.In(p.Lang)}
		return http.StatusConflict, true
	}
	return 0, false
}
