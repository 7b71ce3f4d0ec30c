package workflow

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// SQL conditions of the yellow and red stages, on a query over declarations.
const (
	// documentsUploadedSQL: an upload after the latest documents request.
	documentsUploadedSQL = `EXISTS (SELECT 1 FROM customs_events u WHERE u.declaration_id = declarations.id
		AND u.kind = 'documents_uploaded' AND u.id > (SELECT MAX(r.id) FROM customs_events r
		WHERE r.declaration_id = declarations.id AND r.kind = 'documents_requested'))`
	// inspectionDoneSQL: the latest inspection has its result.
	inspectionDoneSQL = `EXISTS (SELECT 1 FROM inspections i WHERE i.declaration_id = declarations.id
		AND i.completed_at IS NOT NULL AND i.id = (SELECT MAX(i2.id) FROM inspections i2 WHERE i2.declaration_id = declarations.id))`
)

// inStage narrows a query over declarations to one stage of the customs queue.
func inStage(q *gorm.DB, stage string) *gorm.DB {
	// A query after Model is shared by its chained calls: build the accepted condition only when used.
	accepted := func() *gorm.DB { return q.Where("declarations.status = ?", models.DeclarationAccepted) }
	switch stage {
	case StageSubmitted:
		return q.Where("declarations.status = ?", models.DeclarationSubmitted)
	case StageReady:
		return accepted().Where("declarations.lane IN ?", []string{LaneGreen, LaneBlue})
	case StageDocumentsWaiting:
		return accepted().Where("declarations.lane = ? AND NOT "+documentsUploadedSQL, LaneYellow)
	case StageDocumentsUploaded:
		return accepted().Where("declarations.lane = ? AND "+documentsUploadedSQL, LaneYellow)
	case StageInspectionPending:
		return accepted().Where("declarations.lane = ? AND NOT "+inspectionDoneSQL, LaneRed)
	case StageInspectionDone:
		return accepted().Where("declarations.lane = ? AND "+inspectionDoneSQL, LaneRed)
	case StageRejected:
		return q.Where("declarations.status = ?", models.DeclarationRejected)
	case StageReleased:
		return q.Where("declarations.status = ?", models.DeclarationReleased)
	case StagePostAudit:
		return q.Where("declarations.lane = ? AND declarations.status IN ? AND declarations.post_audit_at IS NULL", LaneBlue,
			[]string{models.DeclarationReleased, models.DeclarationExited})
	}
	return q.Where("1 = 0")
}

// stageOrder is the order of a stage: oldest first, by the time the stage began.
func stageOrder(stage string) string {
	switch stage {
	case StageSubmitted:
		return "declarations.submitted_at, declarations.id"
	case StageRejected:
		return "declarations.updated_at, declarations.id"
	case StageReleased, StagePostAudit:
		return "declarations.released_at, declarations.id"
	}
	return "declarations.accepted_at, declarations.id"
}

// CustomsQueueRow is a declaration of the customs queue.
type CustomsQueueRow struct {
	models.Declaration
	AgentName string
	BuyerName string
	Items     int
}

// CustomsStageCount is a tab of the queue with the number of declarations in it.
type CustomsStageCount struct {
	Stage string
	Count int64
}

// CustomsQueue is a page of one stage of the customs queue, with the count of every stage.
type CustomsQueue struct {
	Stage                string
	Counts               []CustomsStageCount
	Rows                 []CustomsQueueRow
	Total                int64
	Page, Pages, PerPage int
}

// CustomsQueueFilter chooses the stage (default: submitted) and the page.
type CustomsQueueFilter struct {
	Stage string
	Page  int
}

const queuePerPage = 50

// CustomsQueueOf lists one stage of the customs desk, oldest first, with the counts of all
// stages: submitted (to accept), green and blue ready to release, yellow waiting for or with
// uploaded documents, red with the inspection pending or done, rejected (waiting for the
// agent), released (awaiting exit) and the post-clearance audit queue (blue, not yet audited).
func (s *Service) CustomsQueueOf(ctx context.Context, actor Actor, f CustomsQueueFilter) (*CustomsQueue, error) {
	if err := actor.Require(ActCustomsDesk); err != nil {
		return nil, err
	}
	if f.Stage == "" {
		f.Stage = StageSubmitted
	}
	if !slices.Contains(CustomsStageList, f.Stage) {
		return nil, apperr.Field("stage", apperr.T("Choose a stage of the queue from the tabs", "请从标签中选择队列阶段"))
	}
	db := s.db.WithContext(ctx)
	out := &CustomsQueue{Stage: f.Stage, Page: max(f.Page, 1), PerPage: queuePerPage}
	for _, st := range CustomsStageList {
		var n int64
		if err := inStage(db.Model(&models.Declaration{}), st).Count(&n).Error; err != nil {
			return nil, apperr.Wrap(err, "count "+st)
		}
		out.Counts = append(out.Counts, CustomsStageCount{Stage: st, Count: n})
		if st == f.Stage {
			out.Total = n
		}
	}
	out.Pages = int((out.Total + queuePerPage - 1) / queuePerPage)
	var decls []models.Declaration
	if err := inStage(db.Model(&models.Declaration{}), f.Stage).Order(stageOrder(f.Stage)).Limit(queuePerPage).Offset((out.Page - 1) * queuePerPage).
		Find(&decls).Error; err != nil {
		return nil, apperr.Wrap(err, "list queue")
	}
	if len(decls) == 0 {
		return out, nil
	}
	ids := make([]int64, len(decls))
	var agentIDs, buyerIDs []int64
	for i, d := range decls {
		ids[i] = d.ID
		agentIDs, buyerIDs = append(agentIDs, d.AgentID), append(buyerIDs, d.BuyerID)
	}
	agents, err := names(db, "agents", "name", agentIDs)
	if err != nil {
		return nil, err
	}
	buyers, err := names(db, "buyers", "name", buyerIDs)
	if err != nil {
		return nil, err
	}
	var counts []struct {
		DeclarationID int64
		N             int
	}
	if err := db.Model(&models.DeclarationItem{}).Select("declaration_id, COUNT(*) AS n").
		Where("declaration_id IN ?", ids).Group("declaration_id").Scan(&counts).Error; err != nil {
		return nil, apperr.Wrap(err, "count items")
	}
	n := map[int64]int{}
	for _, c := range counts {
		n[c.DeclarationID] = c.N
	}
	for _, d := range decls {
		out.Rows = append(out.Rows, CustomsQueueRow{Declaration: d, AgentName: agents[d.AgentID], BuyerName: buyers[d.BuyerID], Items: n[d.ID]})
	}
	return out, nil
}
