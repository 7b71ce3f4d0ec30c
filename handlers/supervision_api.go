package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"mpt/workflow"
)

// spotCheckDrawJSON draws a campaign through the API: {name, year, share_permille,
// complaint_usccs}. It carries no seed or checks: the draw makes those.
type spotCheckDrawJSON struct {
	Name           string   `json:"name" validate:"max=200"`
	Year           int      `json:"year" validate:"min=0,max=9999"`
	SharePermille  int      `json:"share_permille" validate:"min=0,max=100000"`
	ComplaintUSCCs []string `json:"complaint_usccs" validate:"max=1000,dive,max=40"`
}

// campaignJSON is a spot-check campaign in the API.
type campaignJSON struct {
	ID             int64      `json:"id"`
	Name           string     `json:"name"`
	Year           int        `json:"year"`
	SharePermille  int        `json:"share_permille"`
	Seed           int64      `json:"seed"`
	Status         string     `json:"status"`
	CandidateCount int        `json:"candidate_count"`
	Checks         int64      `json:"checks"`
	Recorded       int64      `json:"recorded"`
	Failed         int64      `json:"failed"`
	CreatedBy      string     `json:"created_by"`
	CreatedAt      time.Time  `json:"created_at"`
	PublishedAt    *time.Time `json:"published_at"`
	Version        int64      `json:"version"`
}

func toCampaignJSON(r *workflow.SpotCheckCampaignRow) campaignJSON {
	c := r.SpotCheckCampaign
	return campaignJSON{ID: c.ID, Name: c.Name, Year: c.Year, SharePermille: c.RatePermille, Seed: c.Seed, Status: c.Status,
		CandidateCount: c.CandidateCount, Checks: r.Checks, Recorded: r.Recorded, Failed: r.Failed, CreatedBy: r.CreatedBy,
		CreatedAt: c.CreatedAt, PublishedAt: c.PublishedAt, Version: c.Version}
}

type campaignListJSON struct {
	Items   []campaignJSON `json:"items"`
	Total   int64          `json:"total"`
	Page    int            `json:"page"`
	Pages   int            `json:"pages"`
	PerPage int            `json:"per_page"`
}

func (s *Server) apiSpotChecks(c echo.Context) error {
	var req spotCheckPageRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	list, err := s.svc.SpotCheckCampaigns(c.Request().Context(), actorOf(c), req.Page)
	if err != nil {
		return err
	}
	out := campaignListJSON{Items: []campaignJSON{}, Total: list.Total, Page: list.Page, Pages: list.Pages, PerPage: list.PerPage}
	for i := range list.Campaigns {
		out.Items = append(out.Items, toCampaignJSON(&list.Campaigns[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// spotCheckJSON is one check of a campaign in the API.
type spotCheckJSON struct {
	ID             int64      `json:"id"`
	MerchantID     int64      `json:"merchant_id"`
	MerchantName   string     `json:"merchant_name"`
	USCC           string     `json:"uscc"`
	Reason         string     `json:"reason"`
	InspectorID    *int64     `json:"inspector_user_id"`
	Inspector      string     `json:"inspector"`
	Result         string     `json:"result"`
	Findings       string     `json:"findings"`
	MerchantStatus string     `json:"merchant_status"`
	CheckedAt      *time.Time `json:"checked_at"`
	Version        int64      `json:"version"`
}

type replayJSON struct {
	Same        bool     `json:"same"`
	Recomputed  int      `json:"recomputed"`
	Stored      int      `json:"stored"`
	Candidates  int      `json:"candidates"`
	Differences []string `json:"differences"`
}

type campaignDetailJSON struct {
	campaignJSON
	Checks  []spotCheckJSON `json:"checks"`
	Total   int64           `json:"total"`
	Page    int             `json:"page"`
	Pages   int             `json:"pages"`
	PerPage int             `json:"per_page"`
	Replay  replayJSON      `json:"replay"`
}

func (s *Server) campaignDetailJSON(d *workflow.SpotCheckCampaignDetail, lang string) campaignDetailJSON {
	out := campaignDetailJSON{campaignJSON: toCampaignJSON(&d.Campaign), Checks: []spotCheckJSON{}, Total: d.Total, Page: d.Page,
		Pages: d.Pages, PerPage: d.PerPage, Replay: replayJSON{Same: d.Replay.Same, Recomputed: d.Replay.Recomputed,
			Stored: d.Replay.Stored, Candidates: d.Replay.Candidates, Differences: []string{}}}
	for _, k := range d.Checks {
		out.Checks = append(out.Checks, spotCheckJSON{ID: k.ID, MerchantID: k.MerchantID, MerchantName: k.MerchantName, USCC: k.MerchantUSCC,
			Reason: k.Reason, InspectorID: k.InspectorUserID, Inspector: k.InspectorName, Result: k.Result, Findings: k.Findings,
			MerchantStatus: k.MerchantStatus, CheckedAt: k.CheckedAt, Version: k.Version})
	}
	for _, t := range d.Replay.Differences {
		out.Replay.Differences = append(out.Replay.Differences, t.In(lang))
	}
	return out
}

func (s *Server) apiSpotCheckCampaign(c echo.Context) error {
	id, err := spotParam(c, "id")
	if err != nil {
		return err
	}
	var req spotCheckCampaignRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	d, err := s.svc.SpotCheckCampaign(c.Request().Context(), actorOf(c), id, workflow.SpotCheckCampaignFilter{Show: req.Show, Page: req.Page})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.campaignDetailJSON(d, langOf(c)))
}

// apiSpotCheckDraw draws a campaign and answers it with its first page of checks (201).
func (s *Server) apiSpotCheckDraw(c echo.Context) error {
	var req spotCheckDrawJSON
	if err := s.bind(c, &req); err != nil {
		return err
	}
	ctx, actor := c.Request().Context(), actorOf(c)
	in := workflow.SpotCheckCampaignInput{Name: req.Name, Year: strconv.Itoa(req.Year), SharePermille: strconv.Itoa(req.SharePermille),
		ComplaintUSCCs: req.ComplaintUSCCs}
	if req.Year == 0 {
		in.Year = ""
	}
	camp, err := s.svc.DrawSpotCheckCampaign(ctx, actor, in)
	if err != nil {
		return err
	}
	d, err := s.svc.SpotCheckCampaign(ctx, actor, camp.ID, workflow.SpotCheckCampaignFilter{})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/spot-checks/"+strconv.FormatInt(camp.ID, 10))
	return c.JSON(http.StatusCreated, s.campaignDetailJSON(d, langOf(c)))
}

// publishedJSON is one published result: what the public page shows.
type publishedJSON struct {
	MerchantName   string    `json:"merchant_name"`
	USCC           string    `json:"uscc"`
	Stall          stallJSON `json:"stall"`
	Result         string    `json:"result"`
	Findings       string    `json:"findings,omitempty"`
	MerchantStatus string    `json:"merchant_status,omitempty"`
	CheckedOn      string    `json:"checked_on"`
}

type publishedCampaignJSON struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Year        int       `json:"year"`
	PublishedAt time.Time `json:"published_at"`
	Checks      int64     `json:"checks"`
	Failed      int64     `json:"failed"`
}

type publishedListJSON struct {
	Campaigns []publishedCampaignJSON `json:"campaigns"`
	Campaign  *publishedCampaignJSON  `json:"campaign"`
	Results   []publishedJSON         `json:"results"`
	Total     int64                   `json:"total"`
	Page      int                     `json:"page"`
	Pages     int                     `json:"pages"`
	PerPage   int                     `json:"per_page"`
}

// apiSpotChecksPublished answers the published results; like the page it needs no login.
func (s *Server) apiSpotChecksPublished(c echo.Context) error {
	var req spotCheckPublishedRequest
	if err := s.bind(c, &req); err != nil {
		return err
	}
	r, err := s.svc.PublishedSpotCheckResults(c.Request().Context(), workflow.PublishedSpotCheckFilter{CampaignID: req.Campaign, Page: req.Page})
	if err != nil {
		return err
	}
	out := publishedListJSON{Campaigns: []publishedCampaignJSON{}, Results: []publishedJSON{}, Total: r.Total, Page: r.Page,
		Pages: r.Pages, PerPage: r.PerPage}
	for _, pc := range r.Campaigns {
		j := publishedCampaignJSON{ID: pc.ID, Name: pc.Name, Year: pc.Year, PublishedAt: pc.PublishedAt, Checks: pc.Checks, Failed: pc.Failed}
		out.Campaigns = append(out.Campaigns, j)
		if r.Campaign != nil && r.Campaign.ID == pc.ID {
			out.Campaign = &j
		}
	}
	for _, p := range r.Results {
		out.Results = append(out.Results, publishedJSON{MerchantName: p.MerchantName, USCC: p.USCC,
			Stall:  stallJSON{District: p.District, Gate: p.Gate, Floor: p.Floor, Street: p.Street, Booth: p.Booth},
			Result: p.Result, Findings: p.Findings, MerchantStatus: p.MerchantStatus, CheckedOn: p.CheckedOn})
	}
	return c.JSON(http.StatusOK, out)
}
