package workflow

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// The customs desk (issue 6, DOMAIN §3 step 4): acceptance with the customs entry number and
// routing, document requests (yellow), inspections (red), release (放行), exit (结关), rejection
// (退单) and the post-clearance audit of blue-lane declarations. Every change checks the
// declaration's version, writes a customs event, notifies whoever must act and appends exactly
// one audit entry (plus one per party whose credit class a discrepancy lowers).

// customsDeclaration loads a declaration customs may act on (submitted at least once); drafts
// and unknown ids are NotFound.
func customsDeclaration(tx *gorm.DB, id int64) (*models.Declaration, error) {
	var d models.Declaration
	if err := tx.Where("id = ? AND submitted_at IS NOT NULL", id).Take(&d).Error; err != nil {
		if noSuchRow(err) {
			return nil, errDeclarationNotFound()
		}
		return nil, apperr.Wrap(err, "load declaration")
	}
	return &d, nil
}

// customsChangeDeclaration writes columns of a declaration under its version (optimistic lock) and
// moves d to the new version; a concurrent change is a conflict.
func customsChangeDeclaration(tx *gorm.DB, d *models.Declaration, set map[string]any, now time.Time) error {
	set["version"], set["updated_at"] = d.Version+1, now
	res := tx.Model(&models.Declaration{}).Where("id = ? AND version = ?", d.ID, d.Version).Updates(set)
	if res.Error != nil {
		return apperr.Wrap(res.Error, "change declaration")
	}
	if res.RowsAffected == 0 {
		return errDeclarationChanged()
	}
	if err := tx.Take(d, d.ID).Error; err != nil {
		return apperr.Wrap(err, "reload declaration")
	}
	return nil
}

// customsCheckVersion refuses a change made on a version the user no longer sees (0: not checked).
func customsCheckVersion(d *models.Declaration, version int64) error {
	if version != 0 && version != d.Version {
		return errDeclarationChanged()
	}
	return nil
}

// declarationMerchantIDs lists the merchants whose lines a declaration holds (those of some of
// its items when itemNos is given), ascending.
func declarationMerchantIDs(tx *gorm.DB, declarationID int64, itemNos []int) ([]int64, error) {
	q := tx.Table("declaration_items di").
		Joins("JOIN declaration_item_lines dil ON dil.declaration_item_id = di.id").
		Joins("JOIN transaction_lines tl ON tl.id = dil.transaction_line_id").
		Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Where("di.declaration_id = ?", declarationID)
	if itemNos != nil {
		q = q.Where("di.item_no IN ?", itemNos)
	}
	var ids []int64
	if err := q.Distinct("t.merchant_id").Order("t.merchant_id").Pluck("t.merchant_id", &ids).Error; err != nil {
		return nil, apperr.Wrap(err, "load merchants of the declaration")
	}
	return ids, nil
}

// declarationRef names a declaration in messages: its entry number once it has one.
func declarationRef(d *models.Declaration) string {
	if d.EntryNo != nil {
		return *d.EntryNo
	}
	return d.PreEntryNo
}

// customsAudit is what the audit log keeps of a declaration's customs state.
func customsAudit(d *models.Declaration) map[string]any {
	out := map[string]any{"status": d.Status, "lane": d.Lane, "version": d.Version}
	if d.EntryNo != nil {
		out["entry_no"] = *d.EntryNo
	}
	return out
}

// newCustomsSeed is a non-negative seed from crypto/rand for the inspector draw.
func newCustomsSeed() (int64, error) {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		return 0, apperr.Wrap(err, "inspection seed")
	}
	return int64(binary.BigEndian.Uint64(b[:]) >> 1), nil
}

func notSubmitted(status string) error {
	return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s; only a submitted declaration can be accepted",
		"该报关单状态为 %s，只有已提交的报关单可以接受", status))
}

func notAccepted(status, what, whatZh string) error {
	return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %[1]s; only an accepted declaration can be %[2]s",
		"该报关单状态为 %[1]s，只有已接受的报关单可以%[3]s", status, what, whatZh))
}

// ---- Acceptance ------------------------------------------------------------------------------

// AcceptDeclaration accepts a submitted declaration (DOMAIN §3 step 4): it assigns the 18-digit
// customs entry number (kept when the declaration was accepted before a rejection), routes it
// (a new decision each time) and starts its lane: yellow asks the agent for the sales contract
// or invoice and the packing list; red assigns an inspection to an on-duty customs officer
// other than the accepting one, drawn at random (none on duty: a conflict, and nothing is
// written); green and blue are ready to release. One audit entry records the acceptance.
func (s *Service) AcceptDeclaration(ctx context.Context, actor Actor, id, version int64) (*models.Declaration, error) {
	if err := actor.Require(ActCustomsDesk); err != nil {
		return nil, err
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	var out *models.Declaration
	err = s.tx(ctx, func(tx *gorm.DB) error {
		d, err := customsDeclaration(tx, id)
		if err != nil {
			return err
		}
		if d.Status != models.DeclarationSubmitted {
			return notSubmitted(d.Status)
		}
		if err := customsCheckVersion(d, version); err != nil {
			return err
		}
		old := customsAudit(d)
		now := s.now()
		set := map[string]any{"status": models.DeclarationAccepted, "accepted_at": now}
		again := d.EntryNo != nil
		if !again {
			no, err := reserveEntryNumber(tx, st.CustomsOffice, now.In(MarketZone).Year())
			if err != nil {
				return err
			}
			set["entry_no"] = no
		}
		if err := customsChangeDeclaration(tx, d, set, now); err != nil {
			return err
		}
		if err := s.event(tx, actor, d.ID, CustomsEventAccepted, "", acceptedDetail{EntryNo: *d.EntryNo, Again: again}, now); err != nil {
			return err
		}
		decision, err := s.routeDeclaration(ctx, tx, actor, d)
		if err != nil {
			return err
		}
		newState := customsAudit(d)
		newState["decision_id"] = decision.ID
		switch d.Lane {
		case LaneYellow:
			if err := s.requestDocuments(tx, actor, d, DefaultDocumentRequest, "", now); err != nil {
				return err
			}
			newState["documents_requested"] = DefaultDocumentRequest
		case LaneRed:
			ins, err := s.assignInspection(tx, actor, d, now)
			if err != nil {
				return err
			}
			newState["inspection_id"], newState["inspector_user_id"] = ins.ID, ins.InspectorUserID
		default:
			lane := customsLaneName(d.Lane)
			if err := s.notify(tx, actor, Notice{Kind: "declaration.accepted", Link: declarationLink(d.ID),
				Entity: "declaration", EntityID: strconv.FormatInt(d.ID, 10), AgentIDs: []int64{d.AgentID},
				Text: apperr.Tf("Customs accepted declaration %[1]s (entry no. %[2]s), %[3]s lane",
					"海关已接受报关单 %[1]s（海关编号 %[2]s），%[4]s通道", d.PreEntryNo, *d.EntryNo, lane.En, lane.Zh)}); err != nil {
				return err
			}
		}
		out = d
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "accept", old, newState)
	})
	return out, err
}

func declarationLink(id int64) string { return "/declarations/" + strconv.FormatInt(id, 10) }

// assignInspection draws the inspector of a red-lane declaration among the on-duty customs
// officers other than the acting one (sorted by id, PCG from a stored crypto/rand seed),
// stores the inspection and its event, and notifies the inspector.
func (s *Service) assignInspection(tx *gorm.DB, actor Actor, d *models.Declaration, now time.Time) (*models.Inspection, error) {
	var candidates []int64
	if err := tx.Model(&models.User{}).Where("role = ? AND on_duty = ? AND disabled = ? AND id <> ?",
		models.RoleCustoms, true, false, actor.UserID).Order("id").Pluck("id", &candidates).Error; err != nil {
		return nil, apperr.Wrap(err, "load on-duty inspectors")
	}
	if len(candidates) == 0 {
		return nil, apperr.New(apperr.Conflict, apperr.T(
			"This declaration goes to the red lane, but no other customs officer is on duty to inspect it: put an inspector on duty, then accept it again",
			"该报关单进入红色通道，但没有其他在岗海关关员可以查验：请安排查验关员在岗后重新接受"))
	}
	seed, err := newCustomsSeed()
	if err != nil {
		return nil, err
	}
	inspector := DrawInspector(candidates, seed)
	ins := models.Inspection{DeclarationID: d.ID, InspectorUserID: inspector, Seed: seed, AssignedAt: now}
	if err := tx.Create(&ins).Error; err != nil {
		return nil, apperr.Wrap(err, "insert inspection")
	}
	var u models.User
	if err := tx.Select("id", "display_name").Take(&u, inspector).Error; err != nil {
		return nil, apperr.Wrap(err, "load inspector")
	}
	detail := inspectionAssignedDetail{InspectionID: ins.ID, InspectorUserID: inspector, Inspector: u.DisplayName, Seed: seed, Candidates: candidates}
	if err := s.event(tx, actor, d.ID, CustomsEventInspectionAssigned, "", detail, now); err != nil {
		return nil, err
	}
	if err := s.notify(tx, actor, Notice{Kind: "inspection.assigned", Link: "/customs/inspections", Entity: "declaration",
		EntityID: strconv.FormatInt(d.ID, 10), UserIDs: []int64{inspector},
		Text: apperr.Tf("You were drawn to inspect declaration %s (red lane)", "您被抽中查验报关单 %s（红色通道）", declarationRef(d))}); err != nil {
		return nil, err
	}
	return &ins, nil
}

// requestDocuments writes a documents request and notifies the agent.
func (s *Service) requestDocuments(tx *gorm.DB, actor Actor, d *models.Declaration, kinds []string, text string, now time.Time) error {
	if err := s.event(tx, actor, d.ID, CustomsEventDocumentsRequested, "", docRequestDetail{Kinds: kinds, Text: text}, now); err != nil {
		return err
	}
	names := make([]apperr.Text, len(kinds))
	for i, k := range kinds {
		names[i] = CustomsDocKindName(k)
	}
	what := customsJoinTexts(names, ", ", "、")
	return s.notify(tx, actor, Notice{Kind: "declaration.documents_requested", Link: declarationLink(d.ID) + "#customs-documents",
		Entity: "declaration", EntityID: strconv.FormatInt(d.ID, 10), AgentIDs: []int64{d.AgentID},
		Text: apperr.Tf("Customs asks for documents of declaration %[1]s: %[2]s", "海关要求补充报关单 %[1]s 的单证：%[3]s",
			declarationRef(d), strings.TrimSpace(what.En+" "+text), strings.TrimSpace(what.Zh+" "+text))})
}

// RequestDocumentsInput asks the agent for more documents: which kinds and what exactly.
type RequestDocumentsInput struct {
	Version int64
	Kinds   []string
	Text    string
}

// RequestDocuments asks the agent of an accepted declaration for more documents, with a text
// saying what is needed (and the kinds). Release then waits until the agent uploads them.
func (s *Service) RequestDocuments(ctx context.Context, actor Actor, id int64, in RequestDocumentsInput) (*models.Declaration, error) {
	if err := actor.Require(ActCustomsDesk); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	text := strings.TrimSpace(in.Text)
	if text == "" {
		fe.Add("request_text", apperr.T("Say which documents are needed", "请说明需要哪些单证"))
	} else if utf8.RuneCountInString(text) > maxCustomsNote {
		fe.Add("request_text", apperr.T("Use at most 400 characters", "最多 400 个字符"))
	}
	var kinds []string
	for _, k := range in.Kinds {
		if !slices.Contains(CustomsDocKinds, k) {
			fe.Add("kinds", apperr.T("Choose the kinds from the list", "请从列表中选择单证种类"))
			break
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		kinds = []string{CustomsDocOther}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := customsDeclaration(tx, id)
		if err != nil {
			return err
		}
		if d.Status != models.DeclarationAccepted {
			return notAccepted(d.Status, "asked for documents", "要求补充单证")
		}
		if err := customsCheckVersion(d, in.Version); err != nil {
			return err
		}
		old := customsAudit(d)
		now := s.now()
		if err := customsChangeDeclaration(tx, d, map[string]any{}, now); err != nil {
			return err
		}
		if err := s.requestDocuments(tx, actor, d, kinds, text, now); err != nil {
			return err
		}
		out = d
		newState := customsAudit(d)
		newState["documents_requested"], newState["text"] = kinds, text
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "request_documents", old, newState)
	})
	return out, err
}

// ---- Release, exit --------------------------------------------------------------------------

// releaseBlock says why a declaration cannot be released by an officer now (the zero Text when
// it can): it must be accepted and routed; the officer who inspected it may not release it (an
// officer cannot inspect and release the same declaration, DOMAIN §7); a red-lane declaration
// waits for its inspection's result, and any documents customs asked for since the acceptance
// must be uploaded.
func releaseBlock(d *models.Declaration, info *CustomsInfo, officerID int64) (apperr.Code, apperr.Text) {
	switch {
	case d.Status != models.DeclarationAccepted:
		return apperr.Conflict, apperr.Tf("The declaration is %s; only an accepted declaration can be released",
			"该报关单状态为 %s，只有已接受的报关单可以放行", d.Status)
	case d.Lane == "":
		return apperr.Conflict, apperr.T("The declaration has not been routed yet", "该报关单尚未完成风险布控")
	case info.inspectedBy(officerID):
		return apperr.Forbidden, apperr.T("You inspected this declaration: another officer must release it (an officer cannot inspect and release the same declaration)",
			"您查验了该报关单，须由其他关员放行（同一关员不得既查验又放行同一报关单）")
	case d.Lane == LaneRed && (info.Inspection() == nil || !info.Inspection().Done()):
		return apperr.Conflict, apperr.T("The inspection is not done yet: release waits for its result",
			"查验尚未完成，须待查验结果后放行")
	case info.DocumentsPending:
		return apperr.Conflict, apperr.T("The agent has not uploaded the documents customs asked for yet",
			"代理尚未上传海关要求的单证")
	}
	return "", apperr.Text{}
}

// ReleaseDeclaration releases an accepted declaration (放行) once its lane allows it (see
// releaseBlock), and notifies the agent and the merchants of its lines.
func (s *Service) ReleaseDeclaration(ctx context.Context, actor Actor, id, version int64) (*models.Declaration, error) {
	if err := actor.Require(ActCustomsDesk); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := customsDeclaration(tx, id)
		if err != nil {
			return err
		}
		evs, err := declarationEvents(tx, d.ID)
		if err != nil {
			return err
		}
		info, err := customsInfo(tx, d, evs, map[int64]string{})
		if err != nil {
			return err
		}
		// The version first: a request made from a page that is out of date is told to reload.
		if err := customsCheckVersion(d, version); err != nil {
			return err
		}
		if code, why := releaseBlock(d, info, actor.UserID); !why.IsZero() {
			return apperr.New(code, why)
		}
		old := customsAudit(d)
		now := s.now()
		if err := customsChangeDeclaration(tx, d, map[string]any{"status": models.DeclarationReleased, "released_at": now}, now); err != nil {
			return err
		}
		if err := s.event(tx, actor, d.ID, CustomsEventReleased, d.Lane, struct{}{}, now); err != nil {
			return err
		}
		merchants, err := declarationMerchantIDs(tx, d.ID, nil)
		if err != nil {
			return err
		}
		if err := s.notify(tx, actor, Notice{Kind: "declaration.released", Link: declarationLink(d.ID), Entity: "declaration",
			EntityID: strconv.FormatInt(d.ID, 10), AgentIDs: []int64{d.AgentID}, MerchantIDs: merchants,
			Text: apperr.Tf("Customs released declaration %s", "海关已放行报关单 %s", declarationRef(d))}); err != nil {
			return err
		}
		out = d
		newState := customsAudit(d)
		newState["released_at"] = now
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "release", old, newState)
	})
	return out, err
}

// ExitInput confirms the exit (结关) of a released declaration on a date.
type ExitInput struct {
	Version  int64
	ExitDate string // YYYY-MM-DD
}

// ConfirmExit records the exit (结关) of a released declaration on a date not before the day of
// its release and not in the future (Yiwu time); the exit date is what VAT exemption filings read.
func (s *Service) ConfirmExit(ctx context.Context, actor Actor, id int64, in ExitInput) (*models.Declaration, error) {
	if err := actor.Require(ActCustomsDesk); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := customsDeclaration(tx, id)
		if err != nil {
			return err
		}
		if d.Status != models.DeclarationReleased || d.ReleasedAt == nil {
			return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s; only a released declaration can be confirmed as exited",
				"该报关单状态为 %s，只有已放行的报关单可以确认结关", d.Status))
		}
		now := s.now()
		day, err := CheckExitDate(in.ExitDate, *d.ReleasedAt, now)
		if err != nil {
			return err
		}
		if err := customsCheckVersion(d, in.Version); err != nil {
			return err
		}
		old := customsAudit(d)
		if err := customsChangeDeclaration(tx, d, map[string]any{"status": models.DeclarationExited, "exit_date": day}, now); err != nil {
			return err
		}
		if err := s.event(tx, actor, d.ID, CustomsEventExited, "", exitedDetail{ExitDate: day}, now); err != nil {
			return err
		}
		merchants, err := declarationMerchantIDs(tx, d.ID, nil)
		if err != nil {
			return err
		}
		if err := s.notify(tx, actor, Notice{Kind: "declaration.exited", Link: declarationLink(d.ID), Entity: "declaration",
			EntityID: strconv.FormatInt(d.ID, 10), AgentIDs: []int64{d.AgentID}, MerchantIDs: merchants,
			Text: apperr.Tf("Declaration %[1]s exited on %[2]s (结关)", "报关单 %[1]s 已于 %[2]s 结关", declarationRef(d), day)}); err != nil {
			return err
		}
		out = d
		newState := customsAudit(d)
		newState["exit_date"] = day
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "exit", old, newState)
	})
	return out, err
}

// ---- Rejection ------------------------------------------------------------------------------

// RejectInput sends a declaration back to the agent (退单) with coded reasons.
type RejectInput struct {
	Version int64
	Reasons []RejectionInput
}

// RejectDeclaration sends a submitted or accepted declaration (not yet released) back to its
// agent with one or more coded reasons, each tied to a header field and with a note (R09
// "other" needs one); the value of each field at the rejection is kept so the agent's fix view
// can show the original next to the correction.
func (s *Service) RejectDeclaration(ctx context.Context, actor Actor, id int64, in RejectInput) (*models.Declaration, error) {
	if err := actor.Require(ActCustomsDesk); err != nil {
		return nil, err
	}
	reasons, err := CheckRejection(in.Reasons)
	if err != nil {
		return nil, err
	}
	var out *models.Declaration
	err = s.tx(ctx, func(tx *gorm.DB) error {
		d, err := customsDeclaration(tx, id)
		if err != nil {
			return err
		}
		if d.Status != models.DeclarationSubmitted && d.Status != models.DeclarationAccepted {
			return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s; only a submitted or accepted declaration, not yet released, can be rejected",
				"该报关单状态为 %s，只有已提交或已接受且未放行的报关单可以退单", d.Status))
		}
		if err := customsCheckVersion(d, in.Version); err != nil {
			return err
		}
		for i := range reasons {
			reasons[i].Value = HeaderValue(d, reasons[i].Field)
		}
		old := customsAudit(d)
		from := d.Status
		now := s.now()
		if err := customsChangeDeclaration(tx, d, map[string]any{"status": models.DeclarationRejected}, now); err != nil {
			return err
		}
		codes := make([]string, len(reasons))
		for i, r := range reasons {
			codes[i] = r.Code
		}
		if err := s.event(tx, actor, d.ID, CustomsEventRejected, strings.Join(codes, ","), rejectedDetail{FromStatus: from, Reasons: reasons}, now); err != nil {
			return err
		}
		if err := s.notify(tx, actor, Notice{Kind: "declaration.rejected", Link: declarationLink(d.ID) + "/fix", Entity: "declaration",
			EntityID: strconv.FormatInt(d.ID, 10), AgentIDs: []int64{d.AgentID},
			Text: apperr.Tf("Customs rejected declaration %[1]s (%[2]s): correct it and resubmit", "海关退回报关单 %[1]s（%[2]s）：请修改后重新申报",
				declarationRef(d), strings.Join(codes, ", "))}); err != nil {
			return err
		}
		out = d
		newState := customsAudit(d)
		newState["reasons"] = reasons
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "reject", old, newState)
	})
	return out, err
}

// ---- Post-clearance audit -------------------------------------------------------------------

// PostAudit records the post-clearance audit of a blue-lane declaration, released or exited and
// not yet audited: conform, or a discrepancy with findings and items, which lowers the credit
// class of the merchants of those items and of the agent, as an inspection does.
func (s *Service) PostAudit(ctx context.Context, actor Actor, id int64, in CustomsFindingInput) (*models.Declaration, error) {
	if err := actor.Require(ActCustomsDesk); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := customsDeclaration(tx, id)
		if err != nil {
			return err
		}
		switch {
		case d.Lane != LaneBlue:
			return apperr.New(apperr.Conflict, apperr.T("Only blue-lane declarations get a post-clearance audit", "只有蓝色通道的报关单需要事后稽查"))
		case d.Status != models.DeclarationReleased && d.Status != models.DeclarationExited:
			return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s; the post-clearance audit comes after its release",
				"该报关单状态为 %s，事后稽查须在放行之后", d.Status))
		case d.PostAuditAt != nil:
			return apperr.New(apperr.Conflict, apperr.Tf("The post-clearance audit was already recorded on %s",
				"事后稽查结果已于 %s 记录", d.PostAuditAt.In(MarketZone).Format("2006-01-02 15:04")))
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
		old := customsAudit(d)
		now := s.now()
		findings := strings.TrimSpace(in.Findings)
		if err := customsChangeDeclaration(tx, d, map[string]any{"post_audit_at": now, "post_audit_by_user_id": actor.UserID,
			"post_audit_result": in.Result, "post_audit_findings": findings}, now); err != nil {
			return err
		}
		var credit []CreditChange
		if in.Result == CustomsDiscrepancy {
			if credit, err = s.lowerCredit(ctx, tx, actor, d, items, "post_audit"); err != nil {
				return err
			}
		}
		if err := s.event(tx, actor, d.ID, CustomsEventPostAudited, in.Result, findingDetail{Result: in.Result, Findings: findings,
			Items: items, Credit: credit}, now); err != nil {
			return err
		}
		r := customsResultName(in.Result)
		if err := s.notify(tx, actor, Notice{Kind: "declaration.post_audited", Link: declarationLink(d.ID), Entity: "declaration",
			EntityID: strconv.FormatInt(d.ID, 10), AgentIDs: []int64{d.AgentID},
			Text: apperr.Tf("Post-clearance audit of declaration %[1]s: %[2]s", "报关单 %[1]s 事后稽查结果：%[3]s", declarationRef(d), r.En, r.Zh)}); err != nil {
			return err
		}
		out = d
		newState := customsAudit(d)
		newState["post_audit_result"], newState["post_audit_findings"], newState["items"] = in.Result, findings, items
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "post_audit", old, newState)
	})
	return out, err
}

// declarationItemNos lists a declaration's item numbers.
func declarationItemNos(tx *gorm.DB, declarationID int64) ([]int, error) {
	var nos []int
	if err := tx.Model(&models.DeclarationItem{}).Where("declaration_id = ?", declarationID).Order("item_no").Pluck("item_no", &nos).Error; err != nil {
		return nil, apperr.Wrap(err, "load item numbers")
	}
	return nos, nil
}

// lowerCredit lowers the credit class (A→B→C; C stays C) of the merchants whose lines are in the
// discrepant items and of the agent (DOMAIN §7: a failed inspection feeds back into routing),
// with an audit entry and a notification per party whose class changed.
func (s *Service) lowerCredit(ctx context.Context, tx *gorm.DB, actor Actor, d *models.Declaration, items []int, cause string) ([]CreditChange, error) {
	merchantIDs, err := declarationMerchantIDs(tx, d.ID, items)
	if err != nil {
		return nil, err
	}
	var changes []CreditChange
	why := map[string]any{"cause": cause, "declaration_id": d.ID, "items": items}
	for _, mid := range merchantIDs {
		var m models.Merchant
		if err := tx.Take(&m, mid).Error; err != nil {
			return nil, apperr.Wrap(err, "load merchant")
		}
		c, err := s.lowerPartyCredit(ctx, tx, actor, d, creditParty{Entity: "merchant", Model: &models.Merchant{}, ID: m.ID, Name: m.Name,
			Class: m.CreditClass, Version: m.Version, Audience: Notice{MerchantIDs: []int64{m.ID}}, YouZh: "您",
			Changed: apperr.T("A merchant of this declaration changed meanwhile; try again", "该报关单的经营户信息已被修改，请重试")}, why)
		if err != nil {
			return nil, err
		}
		if c != nil {
			changes = append(changes, *c)
		}
	}
	var a models.Agent
	if err := tx.Take(&a, d.AgentID).Error; err != nil {
		return nil, apperr.Wrap(err, "load agent")
	}
	c, err := s.lowerPartyCredit(ctx, tx, actor, d, creditParty{Entity: "agent", Model: &models.Agent{}, ID: a.ID, Name: a.Name,
		Class: a.CreditClass, Version: a.Version, Audience: Notice{AgentIDs: []int64{a.ID}}, YouZh: "贵司",
		Changed: apperr.T("The agent changed meanwhile; try again", "代理企业信息已被修改，请重试")}, why)
	if err != nil {
		return nil, err
	}
	if c != nil {
		changes = append(changes, *c)
	}
	return changes, nil
}

// creditParty is a merchant or an agent whose credit class a discrepancy may lower.
type creditParty struct {
	Entity   string // "merchant" or "agent": the audit entity and the notice kind's prefix
	Model    any    // &models.Merchant{} or &models.Agent{}: the table to update
	ID       int64
	Name     string
	Class    string
	Version  int64
	Audience Notice      // who is told: the party's users
	YouZh    string      // how the Chinese notice addresses the party
	Changed  apperr.Text // the conflict when the row changed meanwhile
}

// lowerPartyCredit lowers one party's credit class a step, with its version check, audit entry
// and notice; nil when the class is already the lowest.
func (s *Service) lowerPartyCredit(ctx context.Context, tx *gorm.DB, actor Actor, d *models.Declaration, p creditParty, why map[string]any) (*CreditChange, error) {
	next := CreditAfterDiscrepancy(p.Class)
	if next == p.Class {
		return nil, nil
	}
	res := tx.Model(p.Model).Where("id = ? AND version = ?", p.ID, p.Version).
		Updates(map[string]any{"credit_class": next, "version": p.Version + 1, "updated_at": s.now()})
	if res.Error != nil {
		return nil, apperr.Wrap(res.Error, "lower "+p.Entity+" credit class")
	}
	if res.RowsAffected == 0 {
		return nil, apperr.New(apperr.Conflict, p.Changed)
	}
	id := strconv.FormatInt(p.ID, 10)
	if err := s.audit(ctx, tx, actor, p.Entity, id, "credit_lowered",
		map[string]any{"credit_class": p.Class, "version": p.Version},
		map[string]any{"credit_class": next, "version": p.Version + 1, "why": why}); err != nil {
		return nil, err
	}
	n := p.Audience
	n.Kind, n.Link, n.Entity, n.EntityID = p.Entity+".credit_lowered", declarationLink(d.ID), p.Entity, id
	n.Text = apperr.Tf("Customs found discrepancies in declaration %[1]s: your credit class went from %[2]s to %[3]s",
		"海关在报关单 %[1]s 中发现差异：%[4]s信用等级由 %[2]s 降为 %[3]s", declarationRef(d), p.Class, next, p.YouZh)
	if err := s.notify(tx, actor, n); err != nil {
		return nil, err
	}
	return &CreditChange{Party: p.Entity, ID: p.ID, Name: p.Name, Old: p.Class, New: next}, nil
}
