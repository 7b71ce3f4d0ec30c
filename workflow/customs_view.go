package workflow

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// CustomsActions is what a user may do now on a declaration at customs: the officer's steps,
// the inspector's result, the agent's upload and fix. ReleaseBlock says why an accepted
// declaration cannot be released by this officer yet.
type CustomsActions struct {
	Accept, Reject, RequestDocuments, Release, Exit, PostAudit bool
	ReleaseBlock                                               apperr.Text
	Inspection                                                 *InspectionView // the open inspection assigned to this officer
	Upload, Fix                                                bool
}

// Any reports whether the user has any customs action on the declaration.
func (a CustomsActions) Any() bool {
	return a.Accept || a.Reject || a.RequestDocuments || a.Release || a.Exit || a.PostAudit || a.Inspection != nil ||
		!a.ReleaseBlock.IsZero()
}

// CustomsActions says what the actor may do at customs on the declaration now.
func (d *DeclarationDetail) CustomsActions(actor Actor) CustomsActions {
	var out CustomsActions
	decl := &d.Declaration
	info := d.Customs
	if info == nil {
		info = &CustomsInfo{}
	}
	switch {
	case actor.Can(ActCustomsDesk) && decl.SubmittedAt != nil:
		out.Accept = decl.Status == models.DeclarationSubmitted
		out.Reject = decl.Status == models.DeclarationSubmitted || decl.Status == models.DeclarationAccepted
		out.RequestDocuments = decl.Status == models.DeclarationAccepted
		if decl.Status == models.DeclarationAccepted {
			if _, why := releaseBlock(decl, info, actor.UserID); why.IsZero() {
				out.Release = true
			} else {
				out.ReleaseBlock = why
			}
		}
		out.Exit = decl.Status == models.DeclarationReleased
		out.PostAudit = decl.Lane == LaneBlue && decl.PostAuditAt == nil &&
			(decl.Status == models.DeclarationReleased || decl.Status == models.DeclarationExited)
		if ins := info.Inspection(); ins != nil && !ins.Done() && ins.InspectorUserID == actor.UserID &&
			decl.Status == models.DeclarationAccepted && decl.Lane == LaneRed && actor.Can(ActCustomsInspect) {
			out.Inspection = ins
		}
	case actor.Role == models.RoleAgent && actor.AgentID == decl.AgentID:
		out.Upload = decl.Status == models.DeclarationAccepted && len(info.Requests) > 0 && actor.Can(ActDeclarationDocs)
		out.Fix = decl.Status == models.DeclarationRejected && info.Rejection != nil
	}
	return out
}

// FixReason is one reason of a rejection on the agent's fix view: the reason, the field's value
// when customs rejected it, and its value now.
type FixReason struct {
	RejectionReason
	Current string
}

// FixView is a rejected declaration of the acting agent with the reasons to answer.
type FixView struct {
	Declaration models.Declaration
	Rejection   Rejection
	Reasons     []FixReason
	Fields      []string // the header fields the reasons name, in form order
}

// DeclarationFix returns the fix view of a rejected declaration of the acting agent: each
// reason of the latest rejection with the field's original value.
func (s *Service) DeclarationFix(ctx context.Context, actor Actor, id int64) (*FixView, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	d, err := ownDeclaration(db, actor, id)
	if err != nil {
		return nil, err
	}
	rej, err := rejectionToFix(db, d)
	if err != nil {
		return nil, err
	}
	out := &FixView{Declaration: *d, Rejection: *rej}
	for _, r := range rej.Reasons {
		out.Reasons = append(out.Reasons, FixReason{RejectionReason: r, Current: HeaderValue(d, r.Field)})
	}
	out.Fields = rejectionFields(rej)
	return out, nil
}

// rejectionToFix is the latest rejection of a rejected declaration (a conflict otherwise).
func rejectionToFix(db *gorm.DB, d *models.Declaration) (*Rejection, error) {
	if d.Status != models.DeclarationRejected {
		return nil, apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s; only a declaration customs rejected can be fixed and resubmitted",
			"该报关单状态为 %s，只有被海关退回的报关单可以修改后重新申报", d.Status))
	}
	evs, err := declarationEvents(db.Where("kind = ?", CustomsEventRejected), d.ID)
	if err != nil {
		return nil, err
	}
	info, err := customsInfo(db, d, evs, map[int64]string{})
	if err != nil {
		return nil, err
	}
	if info.Rejection == nil {
		return nil, apperr.New(apperr.Conflict, apperr.T("The rejection of this declaration is not recorded", "该报关单的退单记录缺失"))
	}
	return info.Rejection, nil
}

// rejectionFields lists the header fields a rejection names, in form order.
func rejectionFields(r *Rejection) []string {
	var out []string
	for _, f := range AmendableFields {
		for _, rr := range r.Reasons {
			if rr.Field == f && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}
