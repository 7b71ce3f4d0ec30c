package workflow

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// ---- "Double random, one public" spot checks (双随机、一公开, DOMAIN §8) ------------------------

// DefaultSpotCheckMinPermille is the least share of active merchants a campaign draws when the
// setting is not stored: 50‰, "at least 5% a year".
const DefaultSpotCheckMinPermille = 50

// SpotCheckMinPermille reads the configured least share per mille (models.SettingSpotCheckMinPermille).
func (s *Service) SpotCheckMinPermille(ctx context.Context) (int, error) {
	return spotCheckMinPermille(s.db.WithContext(ctx))
}

func spotCheckMinPermille(db *gorm.DB) (int, error) {
	var values []string
	if err := db.Model(&models.Setting{}).Where("key = ?", models.SettingSpotCheckMinPermille).Pluck("value", &values).Error; err != nil {
		return 0, apperr.Wrap(err, "load spot-check share")
	}
	if len(values) == 0 {
		return DefaultSpotCheckMinPermille, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(values[0]))
	if err != nil || n < 1 || n > 1000 {
		return 0, apperr.Wrap(fmt.Errorf("setting %s = %q: not a share per mille", models.SettingSpotCheckMinPermille, values[0]), "load spot-check share")
	}
	return n, nil
}

// SpotCheckCampaignInput is a new campaign as the officer typed it.
type SpotCheckCampaignInput struct {
	Name           string
	Year           string   // the year the campaign counts for, e.g. "2026"
	SharePermille  string   // share of the active merchants to draw, per mille, e.g. "50" for 5%
	ComplaintUSCCs []string // merchants with complaints, checked in addition to the draw
}

// ComplaintList splits a typed list of USCCs (separated by spaces, commas, semicolons or new
// lines, full-width ones included) into its codes.
func ComplaintList(text string) []string {
	return strings.FieldsFunc(normalize(text), func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '\n' || r == '\r' || r == '\t' || r == '、' || r == '，' || r == '；'
	})
}

// MaxComplaintMerchants bounds the merchants one campaign adds for complaints.
const MaxComplaintMerchants = 500

// checkSpotCheckCampaign checks a new campaign's fields against the configured least share and
// the Yiwu year of now; it returns the name, year and share.
func checkSpotCheckCampaign(in SpotCheckCampaignInput, minPermille, thisYear int) (string, int, int, error) {
	var fe apperr.Fields
	name := strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		fe.Add("name", apperr.T("Name the campaign, e.g. 2026 first half", "请填写抽查任务名称，例如“2026 年上半年”"))
	case n > 100:
		fe.Add("name", apperr.T("Use at most 100 characters", "最多 100 个字符"))
	case strings.ContainsFunc(name, regControl):
		fe.Add("name", apperr.T("The name contains characters that cannot be used", "名称包含无法使用的字符"))
	}
	year, err := strconv.Atoi(normalize(in.Year))
	if err != nil || year < thisYear-1 || year > thisYear+1 {
		fe.Add("year", apperr.Tf("Enter the year the campaign counts for: %d, %d or %d", "请填写抽查所属年度：%d、%d 或 %d 年",
			thisYear-1, thisYear, thisYear+1))
	}
	share, err := strconv.Atoi(normalize(in.SharePermille))
	switch {
	case err != nil:
		fe.Add("share_permille", apperr.Tf("Enter the share per mille as a whole number, at least %d (%s%%)", "请以千分比整数填写抽取比例，不低于 %d‰（%s%%）",
			minPermille, permilleAsPercent(minPermille)))
	case share < minPermille:
		fe.Add("share_permille", apperr.Tf("Draw at least the configured share: %d‰ (%s%%) of the active merchants", "抽取比例不得低于规定的 %d‰（%s%%）",
			minPermille, permilleAsPercent(minPermille)))
	case share > 1000:
		fe.Add("share_permille", apperr.T("A share is at most 1000‰ (every active merchant)", "抽取比例最多为 1000‰（全部正常经营户）"))
	}
	if len(in.ComplaintUSCCs) > MaxComplaintMerchants {
		fe.Add("complaints", apperr.Tf("Add at most %d merchants for complaints", "因投诉增加的经营户最多 %d 户", MaxComplaintMerchants))
	}
	return name, year, share, fe.Err()
}

// permilleAsPercent writes a share per mille as a percentage: 50 → "5", 75 → "7.5".
func permilleAsPercent(p int) string {
	s := strconv.Itoa(p / 10)
	if p%10 != 0 {
		s += "." + strconv.Itoa(p%10)
	}
	return s
}

// spotCheckSeed is a fresh random seed from crypto/rand, stored with the campaign.
func spotCheckSeed() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return int64(binary.LittleEndian.Uint64(b[:]) >> 1) // non-negative, so it reads the same everywhere
}

var spotCheckCampaignNoun = apperr.T("Spot-check campaign", "抽查任务")

// DrawSpotCheckCampaign draws a spot-check campaign (双随机): at least the configured share of the
// active merchants, chosen at random without replacement, plus the merchants named for
// complaints, each assigned at random to an on-duty market supervision officer (DOMAIN §8). The
// seed comes from crypto/rand; the campaign stores it with the merchants and officers the draw
// read, so ReplaySpotCheckCampaign recomputes the same checks. With no officer on duty nothing
// is written. The assigned officers are notified.
func (s *Service) DrawSpotCheckCampaign(ctx context.Context, actor Actor, in SpotCheckCampaignInput) (*models.SpotCheckCampaign, error) {
	if err := actor.Require(ActSpotCheckManage); err != nil {
		return nil, err
	}
	now := s.now()
	var out models.SpotCheckCampaign
	err := s.tx(ctx, func(tx *gorm.DB) error {
		minPermille, err := spotCheckMinPermille(tx)
		if err != nil {
			return err
		}
		name, year, share, err := checkSpotCheckCampaign(in, minPermille, now.In(MarketZone).Year())
		if err != nil {
			return err
		}
		complaints, err := complaintMerchants(tx, in.ComplaintUSCCs)
		if err != nil {
			return err
		}
		var candidates, inspectors []int64
		if err := tx.Model(&models.Merchant{}).Where("status = ?", models.MerchantActive).Order("id").Pluck("id", &candidates).Error; err != nil {
			return err
		}
		if err := tx.Model(&models.User{}).Where("role = ? AND on_duty = ? AND disabled = ?", models.RoleSupervision, true, false).
			Order("id").Pluck("id", &inspectors).Error; err != nil {
			return err
		}
		if len(inspectors) == 0 {
			return apperr.New(apperr.Conflict, apperr.T(
				"No market supervision officer is on duty, so nobody can be assigned; nothing was drawn. An administrator marks officers on duty on their user page.",
				"目前没有在岗的市场监管执法人员，无法分派检查人员，未进行抽取。请管理员在用户页面将执法人员设为在岗。"))
		}
		if len(candidates) == 0 && len(complaints) == 0 {
			return apperr.New(apperr.Conflict, apperr.T("There are no active merchants to draw from; nothing was drawn.",
				"目前没有正常经营的经营户可供抽取，未进行抽取。"))
		}
		out = models.SpotCheckCampaign{Name: name, Year: year, RatePermille: share, Seed: spotCheckSeed(), Status: models.CampaignDrawn,
			CandidateIDs: FormatIDRanges(candidates), CandidateCount: len(candidates), InspectorIDs: FormatIDRanges(inspectors),
			ComplaintIDs: FormatIDRanges(complaints), CreatedByUserID: actorUserRef(actor), Version: 1, CreatedAt: now}
		drawn := DrawSpotChecks(SpotCheckDrawInput{Seed: out.Seed, SharePermille: share, Candidates: candidates,
			Complaints: complaints, Inspectors: inspectors})
		if err := tx.Create(&out).Error; err != nil {
			return err
		}
		checks := make([]models.SpotCheck, len(drawn))
		perInspector := map[int64]int{}
		for i, d := range drawn {
			inspector := d.InspectorID
			checks[i] = models.SpotCheck{CampaignID: out.ID, MerchantID: d.MerchantID, InspectorUserID: &inspector, Reason: d.Reason,
				Version: 1, CreatedAt: now}
			perInspector[inspector]++
		}
		if err := tx.CreateInBatches(&checks, 500).Error; err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "spot_check_campaign", strconv.FormatInt(out.ID, 10), "draw", nil, map[string]any{
			"name": name, "year": year, "rate_permille": share, "min_permille": minPermille, "seed": out.Seed,
			"candidate_count": len(candidates), "candidate_ids": out.CandidateIDs, "inspector_ids": out.InspectorIDs,
			"complaint_ids": out.ComplaintIDs, "drawn": len(drawn), "status": out.Status,
		}); err != nil {
			return err
		}
		link := spotCheckCampaignURL(out.ID)
		for _, id := range inspectors {
			n := perInspector[id]
			if n == 0 {
				continue
			}
			if err := s.notify(tx, actor, Notice{Kind: "spotcheck.assigned", Link: link, Entity: "spot_check_campaign",
				EntityID: strconv.FormatInt(out.ID, 10), UserIDs: []int64{id},
				Text: apperr.Tf("You were assigned %[1]d spot check(s) in campaign %[2]s; record each result on the campaign page",
					"您被随机分派了抽查任务“%[2]s”中的 %[1]d 项检查，请在任务页面逐项登记结果", n, name)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Wrap(err, "draw spot-check campaign")
	}
	return &out, nil
}

func spotCheckCampaignURL(id int64) string { return "/spot-checks/" + strconv.FormatInt(id, 10) }

// complaintMerchants resolves the USCCs of merchants with complaints to their ids, ascending.
// Each must be a merchant market supervision approved (not pending or rejected).
func complaintMerchants(tx *gorm.DB, usccs []string) ([]int64, error) {
	if len(usccs) == 0 {
		return nil, nil
	}
	codes := make([]string, 0, len(usccs))
	for _, u := range usccs {
		if v := strings.ToUpper(normalize(u)); v != "" && !slices.Contains(codes, v) {
			codes = append(codes, v)
		}
	}
	var rows []models.Merchant
	if err := tx.Select("id, uscc, status").Where("uscc IN ?", codes).Find(&rows).Error; err != nil {
		return nil, err
	}
	byUSCC := map[string]models.Merchant{}
	for _, m := range rows {
		byUSCC[m.USCC] = m
	}
	var fe apperr.Fields
	var ids []int64
	for _, c := range codes {
		m, ok := byUSCC[c]
		switch {
		case !ok:
			fe.Add("complaints", apperr.Tf("No registered merchant has the unified social credit code %s", "没有统一社会信用代码为 %s 的登记经营户", c))
		case m.Status == models.MerchantPending || m.Status == models.MerchantRejected:
			st := MerchantStatusText(m.Status)
			fe.Add("complaints", apperr.Tf("Merchant %[1]s is %[2]s, not an approved merchant; it cannot be spot-checked",
				"经营户 %[1]s 当前为“%[3]s”，尚非已核准的经营户，不能抽查", c, st.En, st.Zh))
		default:
			ids = append(ids, m.ID)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids, nil
}

// SpotCheckResultInput is an inspector's result of one check: pass or fail, the findings
// (required on a fail), and on a fail optionally the status the merchant moves to (abnormal,
// suspended or blacklisted), with the version of the merchant the inspector saw.
type SpotCheckResultInput struct {
	Result          string
	Findings        string
	MerchantStatus  string
	MerchantVersion int64
	Version         int64 // the version of the check the inspector saw
}

// SpotCheckStatusTargets are the statuses a failed check may move a merchant to.
var SpotCheckStatusTargets = []string{models.MerchantAbnormal, models.MerchantSuspended, models.MerchantBlacklisted}

// RecordSpotCheckResult records the result of one check of a campaign that is not yet
// published. Only the inspector the draw assigned may record it, once. A fail that names a new
// merchant status changes the merchant's status through ChangeMerchantStatus (with the findings
// as the reason, holding its open transactions) in the same database transaction.
func (s *Service) RecordSpotCheckResult(ctx context.Context, actor Actor, campaignID, checkID int64, in SpotCheckResultInput) (*models.SpotCheck, error) {
	if err := actor.Require(ActSpotCheckManage); err != nil {
		return nil, err
	}
	var out models.SpotCheck
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c models.SpotCheck
		if err := tx.Where("id = ? AND campaign_id = ?", checkID, campaignID).Take(&c).Error; err != nil {
			return models.Translate(err, apperr.T("Spot check", "抽查项"))
		}
		var camp models.SpotCheckCampaign
		if err := tx.Where("id = ?", campaignID).Take(&camp).Error; err != nil {
			return models.Translate(err, spotCheckCampaignNoun)
		}
		if c.InspectorUserID == nil || *c.InspectorUserID != actor.UserID {
			return apperr.New(apperr.Forbidden, apperr.T("Only the inspector the draw assigned records this check's result",
				"只有随机分派的检查人员才能登记该项检查结果"))
		}
		if camp.Status != models.CampaignDrawn {
			return apperr.New(apperr.Conflict, apperr.T("The campaign's results are published; they can no longer change",
				"该抽查任务结果已公示，不能再修改"))
		}
		if c.Result != "" {
			rt := SpotCheckResultText(c.Result)
			return apperr.New(apperr.Conflict, apperr.Tf("This check's result was already recorded on %[1]s: %[2]s",
				"该项检查结果已于 %[1]s 登记：%[3]s", spotCheckWhen(c.CheckedAt), rt.En, rt.Zh))
		}
		findings, err := checkSpotCheckResult(&in)
		if err != nil {
			return err
		}
		if in.Version != c.Version {
			return errSpotCheckChanged
		}
		now := s.now()
		res := tx.Model(&models.SpotCheck{}).Where("id = ? AND version = ?", c.ID, c.Version).Updates(map[string]any{
			"result": in.Result, "findings": findings, "merchant_status": in.MerchantStatus, "checked_at": now,
			"version": gorm.Expr("version + 1"),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errSpotCheckChanged
		}
		if err := tx.Where("id = ?", c.ID).Take(&out).Error; err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "spot_check", strconv.FormatInt(c.ID, 10), "record",
			map[string]any{"result": c.Result, "version": c.Version},
			map[string]any{"campaign_id": c.CampaignID, "merchant_id": c.MerchantID, "result": out.Result, "findings": out.Findings,
				"merchant_status": out.MerchantStatus, "version": out.Version}); err != nil {
			return err
		}
		if in.MerchantStatus == "" {
			return nil
		}
		reason := "双随机抽查不合格 / Spot check failed (" + camp.Name + "): " + findings
		if utf8.RuneCountInString(reason) > 500 {
			reason = string([]rune(reason)[:499]) + "…"
		}
		_, err = s.inTx(tx).ChangeMerchantStatus(ctx, actor, c.MerchantID,
			MerchantDecision{To: in.MerchantStatus, Reason: reason, Version: in.MerchantVersion})
		return renameFields(err, map[string]string{"to": "merchant_status", "version": "merchant_version", "reason": "findings"})
	})
	if err != nil {
		return nil, apperr.Wrap(err, "record spot check")
	}
	return &out, nil
}

var errSpotCheckChanged = apperr.New(apperr.Conflict, apperr.T(
	"This check was changed by someone else since you opened it. Reload the page and try again.",
	"该项检查在您打开后已被他人修改，请刷新页面后重试。"))

// checkSpotCheckResult checks a result and returns the trimmed findings.
func checkSpotCheckResult(in *SpotCheckResultInput) (string, error) {
	var fe apperr.Fields
	findings := strings.TrimSpace(in.Findings)
	in.MerchantStatus = strings.TrimSpace(in.MerchantStatus)
	switch in.Result {
	case models.SpotCheckPass, models.SpotCheckFail:
	case "":
		fe.Add("result", apperr.T("Choose pass or fail", "请选择“合格”或“不合格”"))
	default:
		fe.Add("result", apperr.T("Choose pass or fail from the list", "请从列表中选择“合格”或“不合格”"))
	}
	switch n := utf8.RuneCountInString(findings); {
	case n == 0 && in.Result == models.SpotCheckFail:
		fe.Add("findings", apperr.T("Describe what was found; a failed check is published with its findings",
			"请填写检查发现的问题；不合格结果将连同问题一并公示"))
	case n > 2000:
		fe.Add("findings", apperr.T("Use at most 2000 characters", "最多 2000 个字符"))
	}
	if in.MerchantStatus != "" {
		switch {
		case in.Result != models.SpotCheckFail:
			fe.Add("merchant_status", apperr.T("Only a failed check changes the merchant's status", "只有不合格的检查才能变更经营户状态"))
		case !slices.Contains(SpotCheckStatusTargets, in.MerchantStatus):
			fe.Add("merchant_status", apperr.T("Choose abnormal, suspended or blacklisted, or leave the status as it is",
				"请选择“经营异常”“暂停经营”或“列入严重违法失信名单”，或不变更状态"))
		case in.MerchantVersion <= 0:
			fe.Add("merchant_status", apperr.T("Send the version of the merchant you last saw", "请提交您看到的经营户版本号"))
		}
	}
	if in.Version <= 0 {
		fe.Add("version", apperr.T("Send the version of the check you last saw", "请提交您看到的检查版本号"))
	}
	return findings, fe.Err()
}

// renameFields renames the fields of an Invalid error (a use case reused under another form).
func renameFields(err error, names map[string]string) error {
	if apperr.CodeOf(err) != apperr.Invalid {
		return err
	}
	ae := *apperr.As(err)
	ae.Fields = slices.Clone(ae.Fields)
	for i, f := range ae.Fields {
		if to, ok := names[f.Field]; ok {
			ae.Fields[i].Field = to
		}
	}
	return &ae
}

// inTx is the service bound to an open database transaction, so a use case (here a merchant
// status change) runs inside a larger one: its own transaction becomes a savepoint. It carries
// only what the use cases it serves read.
func (s *Service) inTx(tx *gorm.DB) *Service {
	return &Service{db: tx, ref: s.ref, now: s.now, log: s.log, Policy: s.Policy}
}

// PublishSpotCheckCampaign publishes a campaign's results (一公开) once every check has one:
// the public results page then lists them, and each checked merchant's users are told.
func (s *Service) PublishSpotCheckCampaign(ctx context.Context, actor Actor, id, version int64) (*models.SpotCheckCampaign, error) {
	if err := actor.Require(ActSpotCheckManage); err != nil {
		return nil, err
	}
	var out models.SpotCheckCampaign
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var camp models.SpotCheckCampaign
		if err := tx.Where("id = ?", id).Take(&camp).Error; err != nil {
			return models.Translate(err, spotCheckCampaignNoun)
		}
		if camp.Status == models.CampaignPublished {
			return apperr.New(apperr.Conflict, apperr.Tf("This campaign's results were already published on %s", "该抽查任务结果已于 %s 公示",
				spotCheckWhen(camp.PublishedAt)))
		}
		if version <= 0 {
			return apperr.Field("version", apperr.T("Send the version of the campaign you last saw", "请提交您看到的抽查任务版本号"))
		}
		if version != camp.Version {
			return errCampaignChanged
		}
		var open int64
		if err := tx.Model(&models.SpotCheck{}).Where("campaign_id = ? AND result = ''", id).Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return apperr.New(apperr.Conflict, apperr.Tf("%d check(s) have no result yet; every result is recorded before the campaign is published",
				"尚有 %d 项检查未登记结果；全部结果登记后方可公示", open))
		}
		now := s.now()
		res := tx.Model(&models.SpotCheckCampaign{}).Where("id = ? AND version = ?", id, camp.Version).Updates(map[string]any{
			"status": models.CampaignPublished, "published_at": now, "published_by_user_id": actorUserRef(actor),
			"version": gorm.Expr("version + 1"),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return errCampaignChanged
		}
		if err := tx.Where("id = ?", id).Take(&out).Error; err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "spot_check_campaign", strconv.FormatInt(id, 10), "publish",
			map[string]any{"status": camp.Status, "version": camp.Version},
			map[string]any{"status": out.Status, "published_at": out.PublishedAt, "version": out.Version}); err != nil {
			return err
		}
		var rows []struct {
			MerchantID int64
			Result     string
		}
		if err := tx.Model(&models.SpotCheck{}).Select("merchant_id, result").Where("campaign_id = ?", id).Order("merchant_id").Scan(&rows).Error; err != nil {
			return err
		}
		var passed, failed []int64
		for _, r := range rows {
			if r.Result == models.SpotCheckPass {
				passed = append(passed, r.MerchantID)
			} else {
				failed = append(failed, r.MerchantID)
			}
		}
		link := "/spot-checks/published?campaign=" + strconv.FormatInt(id, 10)
		for _, group := range []struct {
			ids  []int64
			kind string
			text apperr.Text
		}{
			{passed, "spotcheck.passed", apperr.Tf("Spot check %s: your business passed; the result is published", "抽查任务“%s”：贵户检查合格，结果已公示", camp.Name)},
			{failed, "spotcheck.failed", apperr.Tf("Spot check %s: your business failed; the result and findings are published", "抽查任务“%s”：贵户检查不合格，结果及问题已公示", camp.Name)},
		} {
			if len(group.ids) == 0 {
				continue
			}
			if err := s.notify(tx, actor, Notice{Kind: group.kind, Text: group.text, Link: link, Entity: "spot_check_campaign",
				EntityID: strconv.FormatInt(id, 10), MerchantIDs: group.ids}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, apperr.Wrap(err, "publish spot-check campaign")
	}
	return &out, nil
}

// SpotCheckResultText names a spot-check result in both languages.
func SpotCheckResultText(result string) apperr.Text {
	switch result {
	case models.SpotCheckPass:
		return apperr.T("passed", "合格")
	case models.SpotCheckFail:
		return apperr.T("failed", "不合格")
	case "":
		return apperr.T("not yet recorded", "未登记")
	}
	return apperr.T(result, result)
}

// spotCheckWhen writes a time in Yiwu time to the minute, "–" for none.
func spotCheckWhen(t *time.Time) string {
	if t == nil {
		return "–"
	}
	return t.In(MarketZone).Format("2006-01-02 15:04")
}

var errCampaignChanged = apperr.New(apperr.Conflict, apperr.T(
	"This campaign was changed by someone else since you opened it. Reload the page and try again.",
	"该抽查任务在您打开后已被他人修改，请刷新页面后重试。"))
