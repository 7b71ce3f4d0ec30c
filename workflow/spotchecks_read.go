package workflow

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// SpotChecksPerPage is the size of a page of checks (a campaign's, or the published results).
const SpotChecksPerPage = 100

// SpotCheckCampaignRow is a campaign with how far its checks are.
type SpotCheckCampaignRow struct {
	models.SpotCheckCampaign
	Checks    int64
	Recorded  int64
	Failed    int64
	CreatedBy string // display name of the officer who drew it
}

// SpotCheckCampaignList is one page of campaigns, newest first.
type SpotCheckCampaignList struct {
	Campaigns []SpotCheckCampaignRow
	Total     int64
	Page      int
	Pages     int
	PerPage   int
}

// campaignRows selects campaigns with their check counts and creator.
func campaignRows(db *gorm.DB) *gorm.DB {
	return db.Table("spot_check_campaigns AS c").
		Select("c.*, COALESCE(u.display_name, '') AS created_by, " +
			"(SELECT COUNT(*) FROM spot_checks k WHERE k.campaign_id = c.id) AS checks, " +
			"(SELECT COUNT(*) FROM spot_checks k WHERE k.campaign_id = c.id AND k.result <> '') AS recorded, " +
			"(SELECT COUNT(*) FROM spot_checks k WHERE k.campaign_id = c.id AND k.result = 'fail') AS failed").
		Joins("LEFT JOIN users u ON u.id = c.created_by_user_id")
}

// SpotCheckCampaigns lists the campaigns, newest first, for market supervision, auditors and
// admins.
func (s *Service) SpotCheckCampaigns(ctx context.Context, actor Actor, page int) (*SpotCheckCampaignList, error) {
	if err := actor.Require(ActSpotCheckView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	out := &SpotCheckCampaignList{Page: max(page, 1), PerPage: SpotChecksPerPage}
	if err := db.Model(&models.SpotCheckCampaign{}).Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count campaigns")
	}
	out.Pages = int((out.Total + SpotChecksPerPage - 1) / SpotChecksPerPage)
	err := campaignRows(db).Order("c.id DESC").Limit(SpotChecksPerPage).Offset((out.Page - 1) * SpotChecksPerPage).Scan(&out.Campaigns).Error
	return out, apperr.Wrap(err, "list campaigns")
}

// SpotCheckRow is one check with its merchant, its inspector and its campaign's name.
type SpotCheckRow struct {
	models.SpotCheck
	CampaignName    string
	MerchantName    string
	MerchantUSCC    string
	MerchantNow     string // the merchant's status now
	MerchantVersion int64
	District        string
	Gate            string
	Floor           string
	Street          string
	Booth           string
	InspectorName   string
}

// checkRows selects checks (a query on "spot_checks AS k") with their merchant, inspector
// and campaign.
func checkRows(q *gorm.DB) *gorm.DB {
	return q.
		Select("k.*, c.name AS campaign_name, m.name AS merchant_name, m.uscc AS merchant_uscc, m.status AS merchant_now, " +
			"m.version AS merchant_version, m.district, m.gate, m.floor, m.street, m.booth, COALESCE(u.display_name, '') AS inspector_name").
		Joins("JOIN spot_check_campaigns c ON c.id = k.campaign_id").
		Joins("JOIN merchants m ON m.id = k.merchant_id").
		Joins("LEFT JOIN users u ON u.id = k.inspector_user_id")
}

// Which checks a campaign page lists.
const (
	ShowAllChecks    = "all"
	ShowOpenChecks   = "open"
	ShowFailedChecks = "failed"
	ShowMyChecks     = "mine"
)

// SpotCheckShows lists the choices of a campaign page's filter.
var SpotCheckShows = []string{ShowAllChecks, ShowOpenChecks, ShowFailedChecks, ShowMyChecks}

// SpotCheckCampaignFilter picks the checks a campaign page lists.
type SpotCheckCampaignFilter struct {
	Show string // one of SpotCheckShows; "" for all
	Page int
}

// MyOpenChecksShown is how many of the actor's open checks a campaign page puts forms for.
const MyOpenChecksShown = 20

// SpotCheckCampaignDetail is a campaign with one page of its checks, the actor's open checks
// (with their forms), and the replay of its draw.
type SpotCheckCampaignDetail struct {
	Campaign    SpotCheckCampaignRow
	PublishedBy string
	Checks      []SpotCheckRow
	Total       int64 // checks matching the filter
	Page        int
	Pages       int
	PerPage     int
	Show        string
	Mine        []SpotCheckRow // the actor's checks without a result, at most MyOpenChecksShown
	MineOpen    int64          // how many the actor has without a result
	Replay      SpotCheckReplay
}

// SpotCheckCampaign returns one campaign with one page of its checks and its replay.
func (s *Service) SpotCheckCampaign(ctx context.Context, actor Actor, id int64, f SpotCheckCampaignFilter) (*SpotCheckCampaignDetail, error) {
	if err := actor.Require(ActSpotCheckView); err != nil {
		return nil, err
	}
	if f.Show == "" {
		f.Show = ShowAllChecks
	}
	if !slices.Contains(SpotCheckShows, f.Show) {
		return nil, apperr.Field("show", apperr.T("Choose which checks to show from the list", "请从列表中选择要显示的检查"))
	}
	db := s.db.WithContext(ctx)
	d := &SpotCheckCampaignDetail{Page: max(f.Page, 1), PerPage: SpotChecksPerPage, Show: f.Show}
	if err := campaignRows(db).Where("c.id = ?", id).Take(&d.Campaign).Error; err != nil {
		return nil, models.Translate(err, spotCheckCampaignNoun)
	}
	if p := d.Campaign.PublishedByUserID; p != nil {
		var names []string
		if err := db.Model(&models.User{}).Where("id = ?", *p).Pluck("display_name", &names).Error; err != nil {
			return nil, apperr.Wrap(err, "load publisher")
		}
		if len(names) > 0 {
			d.PublishedBy = names[0]
		}
	}
	filtered := func() *gorm.DB {
		q := db.Table("spot_checks AS k").Where("k.campaign_id = ?", id)
		switch f.Show {
		case ShowOpenChecks:
			q = q.Where("k.result = ''")
		case ShowFailedChecks:
			q = q.Where("k.result = ?", models.SpotCheckFail)
		case ShowMyChecks:
			q = q.Where("k.inspector_user_id = ?", actor.UserID)
		}
		return q
	}
	if err := filtered().Count(&d.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count checks")
	}
	d.Pages = int((d.Total + SpotChecksPerPage - 1) / SpotChecksPerPage)
	if err := checkRows(filtered()).Order("k.id").Limit(SpotChecksPerPage).Offset((d.Page - 1) * SpotChecksPerPage).Scan(&d.Checks).Error; err != nil {
		return nil, apperr.Wrap(err, "list checks")
	}
	if actor.Can(ActSpotCheckManage) && d.Campaign.Status == models.CampaignDrawn {
		mine := func() *gorm.DB {
			return db.Table("spot_checks AS k").Where("k.campaign_id = ? AND k.inspector_user_id = ? AND k.result = ''", id, actor.UserID)
		}
		if err := mine().Count(&d.MineOpen).Error; err != nil {
			return nil, apperr.Wrap(err, "count my checks")
		}
		if err := checkRows(mine()).Order("k.id").Limit(MyOpenChecksShown).Scan(&d.Mine).Error; err != nil {
			return nil, apperr.Wrap(err, "list my checks")
		}
	}
	replay, err := replayCampaign(db, &d.Campaign.SpotCheckCampaign)
	if err != nil {
		return nil, err
	}
	d.Replay = *replay
	return d, nil
}

// SpotCheckReplay is the draw recomputed from a campaign's stored seed and inputs, compared
// with the checks it stored.
type SpotCheckReplay struct {
	Same        bool
	Recomputed  int           // checks the replay drew
	Stored      int           // checks the campaign holds
	Candidates  int           // merchants the draw read
	Differences []apperr.Text // the first differences found, when not Same
}

// ReplaySpotCheckCampaign recomputes a campaign's draw from its seed and the merchants,
// complaint merchants and inspectors it stored, and compares it with the stored checks in
// draw order: the same merchants, reasons and inspectors, or the differences.
func (s *Service) ReplaySpotCheckCampaign(ctx context.Context, actor Actor, id int64) (*SpotCheckReplay, error) {
	if err := actor.Require(ActSpotCheckView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	var camp models.SpotCheckCampaign
	if err := db.Where("id = ?", id).Take(&camp).Error; err != nil {
		return nil, models.Translate(err, spotCheckCampaignNoun)
	}
	return replayCampaign(db, &camp)
}

func replayCampaign(db *gorm.DB, camp *models.SpotCheckCampaign) (*SpotCheckReplay, error) {
	var stored []models.SpotCheck
	if err := db.Select("id, merchant_id, inspector_user_id, reason").Where("campaign_id = ?", camp.ID).Order("id").Find(&stored).Error; err != nil {
		return nil, apperr.Wrap(err, "load checks")
	}
	out := &SpotCheckReplay{Stored: len(stored)}
	candidates, err1 := ParseIDRanges(camp.CandidateIDs)
	complaints, err2 := ParseIDRanges(camp.ComplaintIDs)
	inspectors, err3 := ParseIDRanges(camp.InspectorIDs)
	if err1 != nil || err2 != nil || err3 != nil {
		out.Differences = []apperr.Text{apperr.T("The stored inputs of the draw cannot be read", "无法读取所保存的抽取依据")}
		return out, nil
	}
	out.Candidates = len(candidates)
	if len(candidates) != camp.CandidateCount {
		out.Differences = append(out.Differences, apperr.Tf("The campaign says it drew from %[1]d merchants but stores %[2]d",
			"任务记载的抽取基数为 %[1]d 户，但保存的名单为 %[2]d 户", camp.CandidateCount, len(candidates)))
	}
	drawn := DrawSpotChecks(SpotCheckDrawInput{Seed: camp.Seed, SharePermille: camp.RatePermille, Candidates: candidates,
		Complaints: complaints, Inspectors: inspectors})
	out.Recomputed = len(drawn)
	if len(drawn) != len(stored) {
		out.Differences = append(out.Differences, apperr.Tf("The replay draws %[1]d checks; the campaign holds %[2]d",
			"复算抽取 %[1]d 项检查；任务中保存了 %[2]d 项", len(drawn), len(stored)))
	}
	for i := range min(len(drawn), len(stored)) {
		if len(out.Differences) >= 5 {
			break
		}
		st, rp := stored[i], drawn[i]
		inspector := int64(0)
		if st.InspectorUserID != nil {
			inspector = *st.InspectorUserID
		}
		if st.MerchantID != rp.MerchantID || st.Reason != rp.Reason || inspector != rp.InspectorID {
			out.Differences = append(out.Differences, apperr.Tf(
				"Check %[1]d: stored merchant %[2]d (%[3]s, inspector %[4]d), replay merchant %[5]d (%[6]s, inspector %[7]d)",
				"第 %[1]d 项：保存为经营户 %[2]d（%[3]s，检查人员 %[4]d），复算为经营户 %[5]d（%[6]s，检查人员 %[7]d）",
				i+1, st.MerchantID, st.Reason, inspector, rp.MerchantID, rp.Reason, rp.InspectorID))
		}
	}
	out.Same = len(out.Differences) == 0
	return out, nil
}

// ---- Published results (一公开): public ------------------------------------------------------

// PublishedCampaign is a campaign whose results are public.
type PublishedCampaign struct {
	ID          int64
	Name        string
	Year        int
	PublishedAt time.Time
	Checks      int64
	Failed      int64
}

// PublishedSpotCheck is one published result as anyone may read it: the merchant, its stall,
// the result and the date. Findings and the status it led to are published for failed checks
// only; a pass publishes no internal notes.
type PublishedSpotCheck struct {
	CampaignID     int64
	MerchantName   string
	USCC           string
	District       string
	Gate           string
	Floor          string
	Street         string
	Booth          string
	Result         string
	Findings       string
	MerchantStatus string
	CheckedOn      string // YYYY-MM-DD in Yiwu
}

// PublishedSpotChecks is the public page: the published campaigns, and one page of the results
// of the one chosen (the latest by default).
type PublishedSpotChecks struct {
	Campaigns []PublishedCampaign // newest first
	Campaign  *PublishedCampaign  // the one shown, nil when none is published
	Results   []PublishedSpotCheck
	Total     int64
	Page      int
	Pages     int
	PerPage   int
}

// PublishedSpotCheckFilter chooses a published campaign (0 for the latest) and a page.
type PublishedSpotCheckFilter struct {
	CampaignID int64
	Page       int
}

// PublishedSpotCheckResults lists published spot-check results. The law makes them public
// (双随机、一公开), so anyone may read them, logged in or not; a campaign that is not published
// answers NotFound.
func (s *Service) PublishedSpotCheckResults(ctx context.Context, f PublishedSpotCheckFilter) (*PublishedSpotChecks, error) {
	db := s.db.WithContext(ctx)
	out := &PublishedSpotChecks{Page: max(f.Page, 1), PerPage: SpotChecksPerPage}
	err := db.Table("spot_check_campaigns AS c").
		Select("c.id, c.name, c.year, c.published_at, "+
			"(SELECT COUNT(*) FROM spot_checks k WHERE k.campaign_id = c.id) AS checks, "+
			"(SELECT COUNT(*) FROM spot_checks k WHERE k.campaign_id = c.id AND k.result = 'fail') AS failed").
		Where("c.status = ?", models.CampaignPublished).Order("c.published_at DESC, c.id DESC").Scan(&out.Campaigns).Error
	if err != nil {
		return nil, apperr.Wrap(err, "list published campaigns")
	}
	for i := range out.Campaigns {
		if f.CampaignID == 0 || out.Campaigns[i].ID == f.CampaignID {
			out.Campaign = &out.Campaigns[i]
			break
		}
	}
	if out.Campaign == nil {
		if f.CampaignID != 0 {
			return nil, apperr.New(apperr.NotFound, apperr.T("No published spot-check campaign has this number", "没有该编号的已公示抽查任务"))
		}
		return out, nil
	}
	out.Total = out.Campaign.Checks
	out.Pages = int((out.Total + SpotChecksPerPage - 1) / SpotChecksPerPage)
	var rows []struct {
		CampaignID                           int64
		MerchantName, USCC                   string
		District, Gate, Floor, Street, Booth string
		Result, Findings, MerchantStatus     string
		CheckedAt                            *time.Time
	}
	err = db.Table("spot_checks AS k").
		Select("k.campaign_id, m.name AS merchant_name, m.uscc, m.district, m.gate, m.floor, m.street, m.booth, "+
			"k.result, k.findings, k.merchant_status, k.checked_at").
		Joins("JOIN merchants m ON m.id = k.merchant_id").
		Where("k.campaign_id = ?", out.Campaign.ID).Order("m.district, m.booth, k.id").
		Limit(SpotChecksPerPage).Offset((out.Page - 1) * SpotChecksPerPage).Scan(&rows).Error
	if err != nil {
		return nil, apperr.Wrap(err, "list published results")
	}
	for _, r := range rows {
		p := PublishedSpotCheck{CampaignID: r.CampaignID, MerchantName: r.MerchantName, USCC: r.USCC, District: r.District,
			Gate: r.Gate, Floor: r.Floor, Street: r.Street, Booth: r.Booth, Result: r.Result}
		if r.CheckedAt != nil {
			p.CheckedOn = r.CheckedAt.In(MarketZone).Format(dateLayout)
		}
		if r.Result == models.SpotCheckFail {
			p.Findings, p.MerchantStatus = r.Findings, r.MerchantStatus
		}
		out.Results = append(out.Results, p)
	}
	return out, nil
}

// SpotCheckDetail is one check with its campaign, for its page.
type SpotCheckDetail struct {
	Campaign models.SpotCheckCampaign
	Check    SpotCheckRow
	// CanRecord reports whether the actor may record the result now: the assigned inspector,
	// the check open, the campaign not published.
	CanRecord bool
}

// SpotCheck returns one check of a campaign (NotFound when the check is not in it).
func (s *Service) SpotCheck(ctx context.Context, actor Actor, campaignID, checkID int64) (*SpotCheckDetail, error) {
	if err := actor.Require(ActSpotCheckView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	d := &SpotCheckDetail{}
	if err := db.Where("id = ?", campaignID).Take(&d.Campaign).Error; err != nil {
		return nil, models.Translate(err, spotCheckCampaignNoun)
	}
	if err := checkRows(db.Table("spot_checks AS k")).Where("k.id = ? AND k.campaign_id = ?", checkID, campaignID).Take(&d.Check).Error; err != nil {
		return nil, models.Translate(err, apperr.T("Spot check", "抽查项"))
	}
	k := d.Check.SpotCheck
	d.CanRecord = actor.Can(ActSpotCheckManage) && k.InspectorUserID != nil && *k.InspectorUserID == actor.UserID &&
		k.Result == "" && d.Campaign.Status == models.CampaignDrawn
	return d, nil
}

// SpotCheckDrawBasis is what a new draw would read now: the least share, the active merchants
// and the officers on duty, shown on the form.
type SpotCheckDrawBasis struct {
	MinPermille int
	Active      int64
	OnDuty      int64
}

// SpotCheckDrawBasis reads what a draw would read now.
func (s *Service) SpotCheckDrawBasis(ctx context.Context, actor Actor) (*SpotCheckDrawBasis, error) {
	if err := actor.Require(ActSpotCheckManage); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	out := &SpotCheckDrawBasis{}
	var err error
	if out.MinPermille, err = spotCheckMinPermille(db); err != nil {
		return nil, err
	}
	if err := db.Model(&models.Merchant{}).Where("status = ?", models.MerchantActive).Count(&out.Active).Error; err != nil {
		return nil, apperr.Wrap(err, "count active merchants")
	}
	err = db.Model(&models.User{}).Where("role = ? AND on_duty = ? AND disabled = ?", models.RoleSupervision, true, false).Count(&out.OnDuty).Error
	return out, apperr.Wrap(err, "count officers on duty")
}
