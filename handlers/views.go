package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/web"
	"mpt/workflow"
)

// Views holds every page template, parsed once at start-up: each page is the layout and the
// partials plus that page's "title" and "content". A missing or broken template fails start-up.
type Views struct {
	pages map[string]*template.Template
}

// NewViews parses layout.html, partials/*.html and one template per pages/*.html.
func NewViews(tree fs.FS, assets *web.Assets) (*Views, error) {
	funcs := template.FuncMap{
		"asset": assets.Path,
		"when":  formatWhen,
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(tree, "layout.html", "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	pages, err := fs.Glob(tree, "pages/*.html")
	if err != nil {
		return nil, err
	}
	v := &Views{pages: map[string]*template.Template{}}
	for _, p := range pages {
		t, err := template.Must(base.Clone()).ParseFS(tree, p)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", p, err)
		}
		v.pages[strings.TrimSuffix(path.Base(p), ".html")] = t
	}
	return v, nil
}

// Has reports whether a page template exists.
func (v *Views) Has(name string) bool { _, ok := v.pages[name]; return ok }

// Render executes a page into a buffer first, so a template failure never sends half a page.
func (v *Views) Render(c echo.Context, status int, name string, data any) error {
	t, ok := v.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// Fragment renders one named template of a page without the layout: the pieces htmx swaps into
// a page (a table row, a search result list, a totals box). Like Render, it renders into a buffer.
func (v *Views) Fragment(c echo.Context, status int, page, define string, data any) error {
	t, ok := v.pages[page]
	if !ok {
		return fmt.Errorf("no page template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, define, data); err != nil {
		return fmt.Errorf("render %s/%s: %w", page, define, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// render is the handlers' shorthand for a 200 page.
func (s *Server) render(c echo.Context, name string, data any) error {
	return s.views.Render(c, http.StatusOK, name, data)
}

// formatWhen shows a timestamp in Yiwu time ("2026-11-29 17:00"); a nil or zero time shows "–".
func formatWhen(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x != nil {
			t = *x
		}
	}
	if t.IsZero() {
		return "–"
	}
	return t.In(workflow.MarketZone).Format("2006-01-02 15:04")
}
