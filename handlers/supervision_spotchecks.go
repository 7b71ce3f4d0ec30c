package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
)

// ---- Campaign list -----------------------------------------------------------------------------

// SpotCheckListPage lists the spot-check campaigns.
type SpotCheckListPage struct {
	Page
	SupervisionFormat
	List  *workflow.SpotCheckCampaignList
	Pager Pager
}

// CanDraw reports whether the actor may draw a new campaign.
func (p SpotCheckListPage) CanDraw() bool { return p.Actor.Can(workflow.ActSpotCheckManage) }

type spotCheckPageRequest struct {
	Page int `query:"page" validate:"min=0,max=100000"`
}

func (s *Server) spotCheckList(c echo.Context) error {
	p := SpotCheckListPage{Page: s.page(c)}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	var req spotCheckPageRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	var err error
	if p.List, err = s.svc.SpotCheckCampaigns(c.Request().Context(), p.Actor, req.Page); err != nil {
		return err
	}
	p.Pager = pager(p.Page, "/spot-checks", url.Values{}, p.List.Page, p.List.Pages)
	return s.render(c, "spot_check_list", p)
}

// ---- Drawing a campaign ------------------------------------------------------------------------

// spotCheckDrawRequest is the new-campaign form. It carries no seed, status or checks: the draw
// makes those.
type spotCheckDrawRequest struct {
	Name          string `form:"name" validate:"max=200"`
	Year          string `form:"year" validate:"max=10"`
	SharePermille string `form:"share_permille" validate:"max=10"`
	Complaints    string `form:"complaints" validate:"max=20000"`
}

func (r spotCheckDrawRequest) input() workflow.SpotCheckCampaignInput {
	return workflow.SpotCheckCampaignInput{Name: r.Name, Year: r.Year, SharePermille: r.SharePermille,
		ComplaintUSCCs: workflow.ComplaintList(r.Complaints)}
}

// SpotCheckNewPage is the form drawing a new campaign, with what the draw would read now.
type SpotCheckNewPage struct {
	Page
	SupervisionFormat
	Form  spotCheckDrawRequest
	Basis *workflow.SpotCheckDrawBasis
}

// Drawn is how many merchants the form's share would draw now, 0 when the share is not a number.
func (p SpotCheckNewPage) Drawn() int {
	share, err := strconv.Atoi(p.Form.SharePermille)
	if err != nil || share < p.Basis.MinPermille {
		share = p.Basis.MinPermille
	}
	return workflow.SpotCheckDrawSize(int(p.Basis.Active), share)
}

func (s *Server) spotCheckNewPage(c echo.Context, p SpotCheckNewPage, status int) error {
	var err error
	if p.Basis, err = s.svc.SpotCheckDrawBasis(c.Request().Context(), p.Actor); err != nil {
		return err
	}
	if p.Form == (spotCheckDrawRequest{}) {
		p.Form = spotCheckDrawRequest{Year: strconv.Itoa(s.svc.Now().In(workflow.MarketZone).Year()),
			SharePermille: strconv.Itoa(p.Basis.MinPermille)}
	}
	return s.views.Render(c, status, "spot_check_new", p)
}

func (s *Server) spotCheckNewForm(c echo.Context) error {
	p := SpotCheckNewPage{Page: s.page(c)}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	return s.spotCheckNewPage(c, p, http.StatusOK)
}

func (s *Server) spotCheckDraw(c echo.Context) error {
	var req spotCheckDrawRequest
	err := s.bind(c, &req)
	if err == nil {
		var camp *models.SpotCheckCampaign
		camp, err = s.svc.DrawSpotCheckCampaign(c.Request().Context(), actorOf(c), req.input())
		if err == nil {
			return s.redirect(c, spotCheckURL(camp.ID), apperr.T("Campaign drawn; the inspectors were notified", "抽查任务已抽取，已通知检查人员"))
		}
	}
	p := SpotCheckNewPage{Page: s.page(c), Form: req}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	status, shown := registryFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.spotCheckNewPage(c, p, status)
}

func spotCheckURL(id int64) string { return "/spot-checks/" + strconv.FormatInt(id, 10) }

// ---- A campaign --------------------------------------------------------------------------------

type spotCheckCampaignRequest struct {
	Show string `query:"show" validate:"max=10"`
	Page int    `query:"page" validate:"min=0,max=100000"`
}

// SpotCheckCampaignPage is one campaign: its draw, the replay, the actor's open checks, one
// page of its checks and the publish form.
type SpotCheckCampaignPage struct {
	Page
	SupervisionFormat
	D     *workflow.SpotCheckCampaignDetail
	Shows []Option
	Pager Pager
}

// CanPublish reports whether the actor may publish the campaign now.
func (p SpotCheckCampaignPage) CanPublish() bool {
	c := p.D.Campaign
	return p.Actor.Can(workflow.ActSpotCheckManage) && c.Status == models.CampaignDrawn && c.Recorded == c.Checks
}

// CanManage reports whether the actor draws, records and publishes spot checks.
func (p SpotCheckCampaignPage) CanManage() bool { return p.Actor.Can(workflow.ActSpotCheckManage) }

// Open is how many checks have no result yet.
func (p SpotCheckCampaignPage) Open() int64 { return p.D.Campaign.Checks - p.D.Campaign.Recorded }

// MoreMine is how many of the actor's open checks are not listed.
func (p SpotCheckCampaignPage) MoreMine() int64 { return p.D.MineOpen - int64(len(p.D.Mine)) }

func (s *Server) spotCheckCampaignPage(c echo.Context, p SpotCheckCampaignPage, status int) error {
	id, err := spotParam(c, "id")
	if err != nil {
		return err
	}
	var req spotCheckCampaignRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	if p.D, err = s.svc.SpotCheckCampaign(c.Request().Context(), p.Actor, id, workflow.SpotCheckCampaignFilter{Show: req.Show, Page: req.Page}); err != nil {
		return err
	}
	for _, sh := range workflow.SpotCheckShows {
		if sh == workflow.ShowMyChecks && !p.Actor.Can(workflow.ActSpotCheckManage) {
			continue
		}
		p.Shows = append(p.Shows, Option{Value: sh, Label: p.T("spotcheck.show." + sh), Selected: sh == p.D.Show})
	}
	p.Pager = pager(p.Page, spotCheckURL(id), url.Values{"show": {req.Show}}, p.D.Page, p.D.Pages)
	return s.views.Render(c, status, "spot_check_view", p)
}

func (s *Server) spotCheckCampaign(c echo.Context) error {
	p := SpotCheckCampaignPage{Page: s.page(c)}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	return s.spotCheckCampaignPage(c, p, http.StatusOK)
}

type spotCheckPublishRequest struct {
	Version int64 `form:"version" json:"version" validate:"min=0"`
}

func (s *Server) spotCheckPublish(c echo.Context) error {
	id, err := spotParam(c, "id")
	if err != nil {
		return err
	}
	var req spotCheckPublishRequest
	if err = s.bind(c, &req); err == nil {
		_, err = s.svc.PublishSpotCheckCampaign(c.Request().Context(), actorOf(c), id, req.Version)
	}
	if err == nil {
		return s.redirect(c, spotCheckURL(id), apperr.T("Results published; the merchants were notified", "抽查结果已公示，已通知相关经营户"))
	}
	p := SpotCheckCampaignPage{Page: s.page(c)}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	status, shown := registryFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.spotCheckCampaignPage(c, p, status)
}

// ---- One check ---------------------------------------------------------------------------------

// spotCheckResultRequest is an inspector's result form.
type spotCheckResultRequest struct {
	Result          string `form:"result" json:"result" validate:"max=10"`
	Findings        string `form:"findings" json:"findings" validate:"max=4000"`
	MerchantStatus  string `form:"merchant_status" json:"merchant_status" validate:"max=20"`
	MerchantVersion int64  `form:"merchant_version" json:"merchant_version" validate:"min=0"`
	Version         int64  `form:"version" json:"version" validate:"min=0"`
}

func (r spotCheckResultRequest) input() workflow.SpotCheckResultInput {
	return workflow.SpotCheckResultInput{Result: r.Result, Findings: r.Findings, MerchantStatus: r.MerchantStatus,
		MerchantVersion: r.MerchantVersion, Version: r.Version}
}

// SpotCheckPage is one check, with the result form for its inspector.
type SpotCheckPage struct {
	Page
	SupervisionFormat
	D    *workflow.SpotCheckDetail
	Form spotCheckResultRequest
}

// ResultOptions are the choices of the result.
func (p SpotCheckPage) ResultOptions() []Option {
	return []Option{{Value: "", Label: p.T("spotcheck.choose")}, {Value: "pass", Label: p.Result("pass")}, {Value: "fail", Label: p.Result("fail")}}
}

// StatusOptions are the statuses a failed check may move the merchant to.
func (p SpotCheckPage) StatusOptions() []Option {
	opts := []Option{{Value: "", Label: p.T("spotcheck.status_keep")}}
	for _, st := range workflow.SpotCheckStatusTargets {
		opts = append(opts, Option{Value: st, Label: p.MerchantStatus(st)})
	}
	return opts
}

// VersionText and MerchantVersionText are the versions the form carries.
func (p SpotCheckPage) VersionText() string { return strconv.FormatInt(p.D.Check.Version, 10) }

// MerchantVersionText is the version of the merchant the inspector sees.
func (p SpotCheckPage) MerchantVersionText() string {
	return strconv.FormatInt(p.D.Check.MerchantVersion, 10)
}

func (s *Server) spotCheckPage(c echo.Context, p SpotCheckPage, status int) error {
	id, err := spotParam(c, "id")
	if err != nil {
		return err
	}
	check, err := spotParam(c, "check")
	if err != nil {
		return err
	}
	if p.D, err = s.svc.SpotCheck(c.Request().Context(), p.Actor, id, check); err != nil {
		return err
	}
	return s.views.Render(c, status, "spot_check_check", p)
}

func (s *Server) spotCheckView(c echo.Context) error {
	p := SpotCheckPage{Page: s.page(c)}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	return s.spotCheckPage(c, p, http.StatusOK)
}

func (s *Server) spotCheckRecord(c echo.Context) error {
	id, err := spotParam(c, "id")
	if err != nil {
		return err
	}
	check, err := spotParam(c, "check")
	if err != nil {
		return err
	}
	var req spotCheckResultRequest
	if err = s.bind(c, &req); err == nil {
		_, err = s.svc.RecordSpotCheckResult(c.Request().Context(), actorOf(c), id, check, req.input())
	}
	if err == nil {
		return s.redirect(c, spotCheckURL(id), apperr.T("Result recorded", "检查结果已登记"))
	}
	p := SpotCheckPage{Page: s.page(c), Form: req}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	status, shown := registryFormFailed(&p.Page, err)
	if !shown {
		return err
	}
	return s.spotCheckPage(c, p, status)
}

// ---- Published results (public) ----------------------------------------------------------------

type spotCheckPublishedRequest struct {
	Campaign int64 `query:"campaign" validate:"min=0"`
	Page     int   `query:"page" validate:"min=0,max=100000"`
}

// SpotCheckPublishedPage is the public list of published spot-check results (一公开).
type SpotCheckPublishedPage struct {
	Page
	SupervisionFormat
	R     *workflow.PublishedSpotChecks
	Pager Pager
}

// CampaignURL links to a published campaign's results.
func (p SpotCheckPublishedPage) CampaignURL(id int64) string {
	return "/spot-checks/published?campaign=" + strconv.FormatInt(id, 10)
}

func (s *Server) spotCheckPublished(c echo.Context) error {
	p := SpotCheckPublishedPage{Page: s.page(c)}
	p.SupervisionFormat = s.supervisionFormat(p.Lang)
	var req spotCheckPublishedRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	var err error
	if p.R, err = s.svc.PublishedSpotCheckResults(c.Request().Context(), workflow.PublishedSpotCheckFilter{CampaignID: req.Campaign, Page: req.Page}); err != nil {
		return err
	}
	q := url.Values{}
	if p.R.Campaign != nil {
		q.Set("campaign", strconv.FormatInt(p.R.Campaign.ID, 10))
	}
	p.Pager = pager(p.Page, "/spot-checks/published", q, p.R.Page, p.R.Pages)
	return s.render(c, "spot_check_published", p)
}
