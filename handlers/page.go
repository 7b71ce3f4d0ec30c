package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// Page is what every page template gets: the language, who is logged in, the CSRF token, the
// flash message, field errors of a re-rendered form, and the current path (for the language
// switch). Each page's view struct embeds it.
type Page struct {
	Lang      string
	Path      string
	RequestID string
	Version   string
	Actor     workflow.Actor
	CSRF      string
	Flash     string
	Errors    map[string]string // field name → message, for a form shown again with errors
	Unread    int64             // the actor's unread notifications, on the bell
	tr        *Translator
}

// T translates an interface message id into the page's language.
func (p Page) T(id string) string { return p.tr.T(p.Lang, id) }

// LangLink is one entry of the language switch.
type LangLink struct {
	Tag, Label, URL string
	Current         bool
}

// Languages lists the language switch links, each returning to the current page.
func (p Page) Languages() []LangLink {
	next := url.QueryEscape(p.Path)
	return []LangLink{
		{Tag: "zh-CN", Label: p.T("lang.zh"), URL: "/lang/zh-CN?next=" + next, Current: p.Lang == "zh-CN"},
		{Tag: "en", Label: p.T("lang.en"), URL: "/lang/en?next=" + next, Current: p.Lang == "en"},
	}
}

// NavItem is a link of the main navigation.
type NavItem struct {
	URL, Label string
	Current    bool
}

// Nav lists the pages the actor may open, in the order of the trade's steps.
func (p Page) Nav() []NavItem {
	var items []NavItem
	add := func(act workflow.Action, path, label string) {
		if p.Actor.Can(act) {
			items = append(items, NavItem{URL: path, Label: p.T(label)})
		}
	}
	if p.Actor.Anonymous() {
		return nil
	}
	add(workflow.Authenticated, "/dashboard", "nav.dashboard")
	if p.Actor.Role == models.RoleMerchant {
		add(workflow.ActMerchantView, "/merchants/"+strconv.FormatInt(p.Actor.MerchantID, 10), "nav.my_merchant")
	} else {
		add(workflow.ActMerchantList, "/merchants", "nav.merchants")
	}
	add(workflow.ActGoodsList, "/goods", "nav.goods")
	add(workflow.ActGoodsRecognise, "/goods/review", "nav.goods_review")
	if p.Actor.Role == models.RoleMerchant {
		add(workflow.ActTransactionList, "/my", "nav.my_trade")
	}
	add(workflow.ActTransactionList, "/transactions", "nav.transactions")
	add(workflow.ActConsolidationList, "/consolidations", "nav.consolidations")
	add(workflow.ActConsolidationFile, "/consolidations/file", "nav.consolidations_file")
	add(workflow.ActDeclarationList, "/declarations", "nav.declarations")
	add(workflow.ActCustomsDesk, "/customs", "nav.customs")
	add(workflow.ActCustomsInspect, "/customs/inspections", "nav.inspections")
	add(workflow.ActRiskRulesView, "/risk-rules", "nav.risk_rules")
	add(workflow.ActFXView, "/fx", "nav.fx")
	add(workflow.ActTaxList, "/tax", "nav.tax")
	add(workflow.ActSupervisionDesk, "/supervision", "nav.supervision")
	add(workflow.ActSpotCheckView, "/spot-checks", "nav.spot_checks")
	add(workflow.ActWebhookManage, "/webhooks", "nav.webhooks")
	add(workflow.ActTrace, "/trace", "nav.trace")
	add(workflow.ActAuditDashboard, "/audit/dashboard", "nav.audit_dashboard")
	add(workflow.ActAuditVerify, "/audit", "nav.audit")
	add(workflow.ActAgentList, "/agents", "nav.agents")
	add(workflow.ActBuyerList, "/buyers", "nav.buyers")
	add(workflow.ActEntrustmentList, "/entrustments", "nav.entrustments")
	add(workflow.ActUserManage, "/admin/users", "nav.users")
	add(workflow.ActSettingsView, "/admin/settings", "nav.settings")
	// The current page is the item whose path is the longest prefix of this page's path.
	cur, best := -1, 0
	path, _, _ := strings.Cut(p.Path, "?")
	for i, it := range items {
		if (path == it.URL || strings.HasPrefix(path, it.URL+"/")) && len(it.URL) > best {
			cur, best = i, len(it.URL)
		}
	}
	if cur >= 0 {
		items[cur].Current = true
	}
	return items
}

// RoleName is the actor's role in the page's language.
func (p Page) RoleName() string { return p.T("role." + p.Actor.Role) }

// FieldView is one labelled form field, rendered by the "field" partial.
type FieldView struct {
	Type, Name, Label, Value, Error, Hint, Autocomplete string
	Required                                            bool
	Options                                             []Option
}

// Option is a choice of a select field.
type Option struct {
	Value, Label string
	Selected     bool
}

// Field builds an input: its label from the catalog and its error from the re-rendered form.
func (p Page) Field(typ, name, label, value string) FieldView {
	return FieldView{Type: typ, Name: name, Label: p.T(label), Value: value, Error: p.Errors[name]}
}

// Req marks a field as required.
func (f FieldView) Req() FieldView { f.Required = true; return f }

// WithHint adds help text under a field.
func (f FieldView) WithHint(h string) FieldView { f.Hint = h; return f }

// Auto sets the autocomplete attribute.
func (f FieldView) Auto(a string) FieldView { f.Autocomplete = a; return f }

// Select builds a select field over options, marking the chosen one.
func (p Page) Select(name, label, value string, opts []Option) FieldView {
	out := make([]Option, len(opts))
	for i, o := range opts {
		o.Selected = o.Value == value
		out[i] = o
	}
	return FieldView{Type: "select", Name: name, Label: p.T(label), Value: value, Error: p.Errors[name], Options: out}
}

// page builds the common part of a page for a request.
func (s *Server) page(c echo.Context) Page {
	r := c.Request()
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	p := Page{
		Lang:      langOf(c),
		Path:      path,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
		Version:   s.deps.Version,
		Actor:     actorOf(c),
		tr:        s.tr,
	}
	if tok, ok := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string); ok {
		p.CSRF = tok
	}
	p.Flash = s.takeFlash(c)
	p.Unread = s.unreadCount(c, p.Actor) // notifications.go
	return p
}

// withErrors turns an Invalid error into the page's field errors (in its language) and returns
// true; other errors are left to the error handler.
func (p *Page) withErrors(err error) bool {
	if apperr.CodeOf(err) != apperr.Invalid {
		return false
	}
	ae := apperr.As(err)
	p.Errors = map[string]string{}
	for _, f := range ae.Fields {
		if _, dup := p.Errors[f.Field]; !dup {
			p.Errors[f.Field] = f.Text.In(p.Lang)
		}
	}
	if len(ae.Fields) == 0 {
		p.Errors["_"] = ae.Text.In(p.Lang)
	}
	return true
}

// HasErrors reports whether the form came back with errors.
func (p Page) HasErrors() bool { return len(p.Errors) > 0 }

const flashCookie = "mpt_flash"

// flash sets a message shown once on the next page (Post/Redirect/Get).
func (s *Server) flash(c echo.Context, text apperr.Text) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: url.QueryEscape(text.In(langOf(c))), Path: "/",
		MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(c)})
}

func (s *Server) takeFlash(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	v, _ := url.QueryUnescape(ck.Value)
	return v
}

// redirect answers a successful form with 303 See Other and a flash message.
func (s *Server) redirect(c echo.Context, to string, text apperr.Text) error {
	if !text.IsZero() {
		s.flash(c, text)
	}
	return c.Redirect(http.StatusSeeOther, to)
}
