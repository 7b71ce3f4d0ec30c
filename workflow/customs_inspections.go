package workflow

import (
	"context"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// CustomsInspectionRow is an inspection on the inspector's list, with its declaration.
type CustomsInspectionRow struct {
	InspectionView
	PreEntryNo        string
	EntryNo           *string
	DeclarationStatus string
	Lane              string
	BuyerName         string
	AgentName         string
	ItemNos           []int
	// Open: the result can be recorded now (the declaration is still accepted in the red lane
	// and this is its latest inspection).
	Open bool
}

// CustomsInspectionList is a page of an inspector's inspections: open ones first, oldest first; then
// the done ones, newest first.
type CustomsInspectionList struct {
	Rows                 []CustomsInspectionRow
	Open                 int64
	Total                int64
	Page, Pages, PerPage int
}

const inspectionsPerPage = 50

// openInspection is the SQL condition of an inspection whose result can be recorded.
const openInspection = `inspections.completed_at IS NULL AND declarations.status = 'accepted' AND declarations.lane = 'red'
	AND inspections.id = (SELECT MAX(i2.id) FROM inspections i2 WHERE i2.declaration_id = inspections.declaration_id)`

// MyInspections lists the inspections assigned to the acting officer.
func (s *Service) MyInspections(ctx context.Context, actor Actor, page int) (*CustomsInspectionList, error) {
	if err := actor.Require(ActCustomsInspect); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	base := func() *gorm.DB {
		return db.Table("inspections").Joins("JOIN declarations ON declarations.id = inspections.declaration_id").
			Where("inspections.inspector_user_id = ?", actor.UserID)
	}
	out := &CustomsInspectionList{Page: max(page, 1), PerPage: inspectionsPerPage}
	if err := base().Count(&out.Total).Error; err != nil {
		return nil, apperr.Wrap(err, "count inspections")
	}
	if err := base().Where(openInspection).Count(&out.Open).Error; err != nil {
		return nil, apperr.Wrap(err, "count open inspections")
	}
	out.Pages = int((out.Total + inspectionsPerPage - 1) / inspectionsPerPage)
	var rows []struct {
		models.Inspection
		PreEntryNo        string
		EntryNo           *string
		DeclarationStatus string
		Lane              string
		BuyerID           int64
		AgentID           int64
		IsOpen            int
	}
	err := base().Select("inspections.*, declarations.pre_entry_no, declarations.entry_no, declarations.status AS declaration_status, " +
		"declarations.lane, declarations.buyer_id, declarations.agent_id, CASE WHEN " + openInspection + " THEN 1 ELSE 0 END AS is_open").
		Order("is_open DESC, CASE WHEN inspections.completed_at IS NULL THEN inspections.id ELSE -inspections.id END").
		Limit(inspectionsPerPage).Offset((out.Page - 1) * inspectionsPerPage).Scan(&rows).Error
	if err != nil {
		return nil, apperr.Wrap(err, "list inspections")
	}
	var buyerIDs, agentIDs []int64
	for _, r := range rows {
		buyerIDs, agentIDs = append(buyerIDs, r.BuyerID), append(agentIDs, r.AgentID)
	}
	buyers, err := names(db, "buyers", "name", buyerIDs)
	if err != nil {
		return nil, err
	}
	agents, err := names(db, "agents", "name", agentIDs)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		v := InspectionView{Inspection: r.Inspection, InspectorName: actor.DisplayName}
		v.Items, _ = ParseItemNos(r.DiscrepancyItems)
		nos, err := declarationItemNos(db, r.DeclarationID)
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, CustomsInspectionRow{InspectionView: v, PreEntryNo: r.PreEntryNo, EntryNo: r.EntryNo,
			DeclarationStatus: r.DeclarationStatus, Lane: r.Lane, BuyerName: buyers[r.BuyerID], AgentName: agents[r.AgentID],
			ItemNos: nos, Open: r.IsOpen == 1})
	}
	return out, nil
}

// RecordInspection records the result of a red-lane inspection: only the inspector it was
// assigned to, once, while the declaration is accepted. A discrepancy (findings and at least one
// item) lowers the credit class of the merchants of those items and of the agent. The result is
// one audit entry on the declaration (and one per party whose class changed); the officers who
// accepted the declaration and the agent are told.
func (s *Service) RecordInspection(ctx context.Context, actor Actor, inspectionID int64, in CustomsFindingInput) (*models.Inspection, error) {
	if err := actor.Require(ActCustomsInspect); err != nil {
		return nil, err
	}
	var out models.Inspection
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&out, inspectionID).Error; err != nil {
			if noSuchRow(err) {
				return apperr.New(apperr.NotFound, apperr.T("No such inspection", "没有该查验任务"))
			}
			return apperr.Wrap(err, "load inspection")
		}
		if out.InspectorUserID != actor.UserID {
			return apperr.New(apperr.Forbidden, apperr.T("Only the inspector this inspection was assigned to can record its result",
				"只有被指派的查验关员可以录入查验结果"))
		}
		if out.CompletedAt != nil {
			return apperr.New(apperr.Conflict, apperr.Tf("The result of this inspection was already recorded on %s",
				"该查验结果已于 %s 录入", out.CompletedAt.In(MarketZone).Format("2006-01-02 15:04")))
		}
		d, err := customsDeclaration(tx, out.DeclarationID)
		if err != nil {
			return err
		}
		var latest int64
		if err := tx.Model(&models.Inspection{}).Where("declaration_id = ?", d.ID).Select("MAX(id)").Scan(&latest).Error; err != nil {
			return apperr.Wrap(err, "load latest inspection")
		}
		if d.Status != models.DeclarationAccepted || d.Lane != LaneRed || latest != out.ID {
			return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s and no longer waits for this inspection",
				"该报关单状态为 %s，已不再等待此查验", d.Status))
		}
		if err := customsCheckVersion(d, in.Version); err != nil {
			return err
		}
		itemNos, err := declarationItemNos(tx, d.ID)
		if err != nil {
			return err
		}
		items, err := in.check(itemNos)
		if err != nil {
			return err
		}
		now := s.now()
		findings := strings.TrimSpace(in.Findings)
		old := map[string]any{"inspection_id": out.ID, "result": out.Result, "declaration_version": d.Version}
		res := tx.Model(&models.Inspection{}).Where("id = ? AND completed_at IS NULL", out.ID).
			Updates(map[string]any{"result": in.Result, "findings": findings, "discrepancy_items": customsItemNos(items), "completed_at": now})
		if res.Error != nil {
			return apperr.Wrap(res.Error, "record inspection")
		}
		if res.RowsAffected == 0 {
			return errDeclarationChanged()
		}
		// The declaration's version moves too, so a release or rejection racing with the result fails.
		if err := customsChangeDeclaration(tx, d, map[string]any{}, now); err != nil {
			return err
		}
		out.Result, out.Findings, out.DiscrepancyItems, out.CompletedAt = in.Result, findings, customsItemNos(items), &now
		var credit []CreditChange
		if in.Result == CustomsDiscrepancy {
			if credit, err = s.lowerCredit(ctx, tx, actor, d, items, "inspection"); err != nil {
				return err
			}
		}
		if err := s.event(tx, actor, d.ID, CustomsEventInspected, in.Result, findingDetail{InspectionID: out.ID, Result: in.Result,
			Findings: findings, Items: items, Credit: credit}, now); err != nil {
			return err
		}
		if err := s.notifyInspected(tx, actor, d, in.Result); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "inspect", old,
			map[string]any{"inspection_id": out.ID, "result": in.Result, "findings": findings, "items": items,
				"declaration_version": d.Version, "credit": credit})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// notifyInspected tells the officer who accepted the declaration (who may release it now) and
// the agent the inspection's result.
func (s *Service) notifyInspected(tx *gorm.DB, actor Actor, d *models.Declaration, result string) error {
	var acceptedBy []int64
	if err := tx.Model(&models.CustomsEvent{}).Where("declaration_id = ? AND kind = ? AND actor_user_id IS NOT NULL",
		d.ID, CustomsEventAccepted).Order("id DESC").Limit(1).Pluck("actor_user_id", &acceptedBy).Error; err != nil {
		return apperr.Wrap(err, "load accepting officer")
	}
	r := customsResultName(result)
	return s.notify(tx, actor, Notice{Kind: "declaration.inspected", Link: declarationLink(d.ID), Entity: "declaration",
		EntityID: strconv.FormatInt(d.ID, 10), UserIDs: acceptedBy, AgentIDs: []int64{d.AgentID},
		Text: apperr.Tf("Inspection of declaration %[1]s: %[2]s", "报关单 %[1]s 查验结果：%[3]s", declarationRef(d), r.En, r.Zh)})
}
