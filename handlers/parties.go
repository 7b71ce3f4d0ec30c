package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"mpt/workflow"
)

// partyRoutes registers the buyer and entrustment pages and their API (issue 3). Reading buyers
// is for merchants, agents, customs, FX, auditors and admins; registering and editing them for
// merchants and agents; entrustments are listed for merchants, agents, auditors and admins and
// managed by merchants only. Ownership is enforced by the workflow queries (404 for others').
func (s *Server) partyRoutes() {
	get, post := http.MethodGet, http.MethodPost

	s.handle(get, "/buyers", workflow.ActBuyerList, s.buyerList)
	s.handle(get, "/buyers/new", workflow.ActBuyerCreate, s.buyerNew)
	s.handle(post, "/buyers", workflow.ActBuyerCreate, s.buyerCreate)
	s.handle(get, "/buyers/:id", workflow.ActBuyerView, s.buyerView)
	s.handle(get, "/buyers/:id/edit", workflow.ActBuyerCreate, s.buyerEdit)
	s.handle(post, "/buyers/:id/edit", workflow.ActBuyerCreate, s.buyerUpdate)

	s.handle(get, "/entrustments", workflow.ActEntrustmentList, s.entrustmentList)
	s.handle(get, "/entrustments/new", workflow.ActEntrustmentManage, s.entrustmentNew)
	s.handle(post, "/entrustments", workflow.ActEntrustmentManage, s.entrustmentCreate)
	s.handle(get, "/entrustments/:id", workflow.ActEntrustmentList, s.entrustmentView)
	s.handle(post, "/entrustments/:id/end", workflow.ActEntrustmentManage, s.entrustmentEnd)

	s.handle(get, "/api/v1/buyers", workflow.ActBuyerList, s.apiBuyerList)
	s.handle(post, "/api/v1/buyers", workflow.ActBuyerCreate, s.apiBuyerCreate)
	s.handle(get, "/api/v1/buyers/:id", workflow.ActBuyerView, s.apiBuyerView)
	s.handle(get, "/api/v1/entrustments", workflow.ActEntrustmentList, s.apiEntrustmentList)
	s.handle(post, "/api/v1/entrustments", workflow.ActEntrustmentManage, s.apiEntrustmentCreate)
	s.handle(get, "/api/v1/entrustments/:id", workflow.ActEntrustmentList, s.apiEntrustmentView)
	s.handle(post, "/api/v1/entrustments/:id/end", workflow.ActEntrustmentManage, s.apiEntrustmentEnd)
}

// partyID reads the :id of a buyer or entrustment route; anything but a positive number is a
// page that does not exist.
func partyID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// PartyFormat gives the buyer and entrustment pages country names in the page's language and
// dates in Yiwu time.
type PartyFormat struct {
	countries map[string]string // alpha-2 → name in the page language
}

// CountryName is a country's name in the page's language ("" code gives "").
func (f PartyFormat) CountryName(code string) string {
	if n, ok := f.countries[code]; ok {
		return n
	}
	return code
}

// Day is the Yiwu date of a time, YYYY-MM-DD.
func (f PartyFormat) Day(t time.Time) string { return t.In(workflow.MarketZone).Format("2006-01-02") }

// Minute is the Yiwu time of a time, to the minute.
func (f PartyFormat) Minute(t time.Time) string {
	return t.In(workflow.MarketZone).Format("2006-01-02 15:04")
}

// partyFormat builds the formatter for a page language.
func (s *Server) partyFormat(lang string) PartyFormat {
	cs := s.svc.Ref().Countries()
	f := PartyFormat{countries: make(map[string]string, len(cs))}
	for _, c := range cs {
		f.countries[c.Alpha2] = countryName(c.NameEn, c.NameZh, lang)
	}
	return f
}

func countryName(en, zh, lang string) string {
	if lang == "zh-CN" {
		return zh
	}
	return en
}

// countryOptions is the nationality select: every ISO 3166 country by its name in the page
// language (Chinese names in pinyin order for zh-CN), after an empty "choose" entry.
func (s *Server) countryOptions(p Page, blank string) []Option {
	cs := s.svc.Ref().Countries()
	opts := make([]Option, 0, len(cs)+1)
	for _, c := range cs {
		opts = append(opts, Option{Value: c.Alpha2, Label: countryName(c.NameEn, c.NameZh, p.Lang) + " (" + c.Alpha2 + ")"})
	}
	tag := language.English
	if p.Lang == "zh-CN" {
		tag = language.SimplifiedChinese
	}
	col := collate.New(tag)
	slices.SortStableFunc(opts, func(a, b Option) int { return col.CompareString(a.Label, b.Label) })
	return append([]Option{{Value: "", Label: p.T(blank)}}, opts...)
}

// Pager links to the neighbouring pages of a list, keeping its filters.
type Pager struct {
	Page, Pages               int
	Prev, Next                string // "" at either end
	Label, PrevText, NextText string // in the page's language
}

// pager builds the links of a paged list at path, keeping the list's filters q.
func pager(pg Page, path string, q url.Values, page, pages int) Pager {
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			if k != "page" && len(vs) > 0 && vs[0] != "" {
				v.Set(k, vs[0])
			}
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	p := Pager{Page: page, Pages: pages, Label: pg.T("party.pages"), PrevText: "← " + pg.T("party.prev"), NextText: pg.T("party.next") + " →"}
	if page > 1 {
		p.Prev = link(min(page-1, pages))
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	return p
}
