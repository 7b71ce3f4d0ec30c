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

// supervisionRoutes registers the pages and API of the market supervision desk and spot checks (issue 6).
func (s *Server) supervisionRoutes() {
	get, post := http.MethodGet, http.MethodPost
	s.handle(get, "/supervision", workflow.ActSupervisionDesk, s.supervisionDesk)

	s.handle(get, "/spot-checks", workflow.ActSpotCheckView, s.spotCheckList)
	s.handle(get, "/spot-checks/new", workflow.ActSpotCheckManage, s.spotCheckNewForm)
	s.handle(post, "/spot-checks/new", workflow.ActSpotCheckManage, s.spotCheckDraw)
	s.handle(get, "/spot-checks/published", workflow.Public, s.spotCheckPublished) // 一公开: the law makes results public
	s.handle(get, "/spot-checks/:id", workflow.ActSpotCheckView, s.spotCheckCampaign)
	s.handle(post, "/spot-checks/:id/publish", workflow.ActSpotCheckManage, s.spotCheckPublish)
	s.handle(get, "/spot-checks/:id/checks/:check", workflow.ActSpotCheckView, s.spotCheckView)
	s.handle(post, "/spot-checks/:id/checks/:check", workflow.ActSpotCheckManage, s.spotCheckRecord)

	s.handle(get, "/api/v1/spot-checks", workflow.ActSpotCheckView, s.apiSpotChecks)
	s.handle(post, "/api/v1/spot-checks", workflow.ActSpotCheckManage, s.apiSpotCheckDraw)
	s.handle(get, "/api/v1/spot-checks/published", workflow.Public, s.apiSpotChecksPublished)
	s.handle(get, "/api/v1/spot-checks/:id", workflow.ActSpotCheckView, s.apiSpotCheckCampaign)
}

// SupervisionFormat gives the market supervision pages their labels in the page's language.
type SupervisionFormat struct {
	lang string
	tr   *Translator
}

func (s *Server) supervisionFormat(lang string) SupervisionFormat {
	return SupervisionFormat{lang: lang, tr: s.tr}
}

func (f SupervisionFormat) t(id string) string { return f.tr.T(f.lang, id) }

// L picks a bilingual text in the page's language.
func (f SupervisionFormat) L(t apperr.Text) string { return t.In(f.lang) }

// MerchantStatus names a merchant status.
func (f SupervisionFormat) MerchantStatus(st string) string { return f.t("merchant.status." + st) }

// Result names a spot-check result ("" for one not recorded yet).
func (f SupervisionFormat) Result(r string) string {
	if r == "" {
		return f.t("spotcheck.result.none")
	}
	return f.t("spotcheck.result." + r)
}

// Reason names why a merchant was drawn (random, complaint).
func (f SupervisionFormat) Reason(r string) string { return f.t("spotcheck.reason." + r) }

// CampaignStatus names a campaign status.
func (f SupervisionFormat) CampaignStatus(st string) string { return f.t("spotcheck.status." + st) }

// Role names a user role, "" for none.
func (f SupervisionFormat) Role(r string) string {
	if r == "" {
		return ""
	}
	return f.t("role." + r)
}

// Percent writes a share per mille as a percentage: 50 → "5%", 75 → "7.5%".
func (f SupervisionFormat) Percent(permille int) string {
	s := strconv.Itoa(permille / 10)
	if permille%10 != 0 {
		s += "." + strconv.Itoa(permille%10)
	}
	return s + "%"
}

// When shows a time in Yiwu time to the minute ("–" for none).
func (f SupervisionFormat) When(t any) string { return formatWhen(t) }

// Day shows the Yiwu date of a time or time pointer ("–" for none).
func (f SupervisionFormat) Day(v any) string {
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
	return t.In(workflow.MarketZone).Format("2006-01-02")
}

// Stall writes a stall location: district, gate, floor, street and booth, those known.
func (f SupervisionFormat) Stall(district, gate, floor, street, booth string) string {
	var parts []string
	if district != "" {
		parts = append(parts, f.t("merchant.district."+district))
	}
	for _, p := range []struct{ label, v string }{{"merchant.gate", gate}, {"merchant.floor", floor}, {"merchant.street", street}, {"merchant.booth", booth}} {
		if p.v != "" {
			parts = append(parts, f.t(p.label)+" "+p.v)
		}
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " · ")
}

// SupervisionDeskPage is the market supervision desk.
type SupervisionDeskPage struct {
	Page
	SupervisionFormat
	D *workflow.SupervisionDesk
}

func (s *Server) supervisionDesk(c echo.Context) error {
	p := SupervisionDeskPage{Page: s.page(c)}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	var err error
	if p.D, err = s.svc.SupervisionDesk(c.Request().Context(), p.Actor); err != nil {
		return err
	}
	return s.render(c, "supervision_desk", p)
}

// spotParam reads a positive numeric path parameter; anything else is a page that does not exist.
func spotParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}
