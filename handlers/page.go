package handlers

import (
	"net/url"

	"github.com/labstack/echo/v4"
)

// Page is what every page template gets: the language, the current path (for the language
// switch), the request id and version. Each page's view struct embeds it.
type Page struct {
	Lang      string
	Path      string
	RequestID string
	Version   string
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

// page builds the common part of a page for a request.
func (s *Server) page(c echo.Context) Page {
	r := c.Request()
	path := r.URL.Path
	if r.URL.RawQuery != "" {
		path += "?" + r.URL.RawQuery
	}
	return Page{
		Lang:      langOf(c),
		Path:      path,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
		Version:   s.deps.Version,
		tr:        s.tr,
	}
}
