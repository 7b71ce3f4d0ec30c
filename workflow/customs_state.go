package workflow

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// What the customs desk keeps on a declaration's timeline: the detail of each customs event
// (customs_events.detail_json) and the state read back from them, the routing decisions, the
// inspections and the documents uploaded for customs.

// acceptedDetail is the DetailJSON of an "accepted" event.
type acceptedDetail struct {
	EntryNo string `json:"entry_no"`
	Again   bool   `json:"again,omitempty"` // accepted again after a fix: the entry number was kept
}

// docRequestDetail is the DetailJSON of a "documents_requested" event.
type docRequestDetail struct {
	Kinds []string `json:"kinds"`
	Text  string   `json:"text,omitempty"`
}

// customsDocRef names an uploaded document in an event.
type customsDocRef struct {
	ID       int64  `json:"id"`
	FileName string `json:"file_name"`
	SHA256   string `json:"sha256"`
}

// docUploadDetail is the DetailJSON of a "documents_uploaded" event.
type docUploadDetail struct {
	Kind      string          `json:"kind"`
	Documents []customsDocRef `json:"documents"`
}

// inspectionAssignedDetail is the DetailJSON of an "inspection_assigned" event: the draw can be
// replayed from the seed and the candidates.
type inspectionAssignedDetail struct {
	InspectionID    int64   `json:"inspection_id"`
	InspectorUserID int64   `json:"inspector_user_id"`
	Inspector       string  `json:"inspector"`
	Seed            int64   `json:"seed"`
	Candidates      []int64 `json:"candidates"`
}

// CreditChange is a party's credit class lowered after a discrepancy.
type CreditChange struct {
	Party string `json:"party"` // merchant or agent
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Old   string `json:"old"`
	New   string `json:"new"`
}

// findingDetail is the DetailJSON of an "inspected" or "post_audited" event.
type findingDetail struct {
	InspectionID int64          `json:"inspection_id,omitempty"`
	Result       string         `json:"result"`
	Findings     string         `json:"findings,omitempty"`
	Items        []int          `json:"items,omitempty"`
	Credit       []CreditChange `json:"credit,omitempty"`
}

// exitedDetail is the DetailJSON of an "exited" event.
type exitedDetail struct {
	ExitDate string `json:"exit_date"`
}

// rejectedDetail is the DetailJSON of a "rejected" event.
type rejectedDetail struct {
	FromStatus string            `json:"from_status"`
	Reasons    []RejectionReason `json:"reasons"`
}

// ReasonReply is the agent's answer to a reason of a rejection.
type ReasonReply struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// resubmittedDetail is the DetailJSON of a "resubmitted" event.
type resubmittedDetail struct {
	Signer    Signer        `json:"signer"`
	Statement bool          `json:"statement"`
	Hash      string        `json:"hash"`
	Changes   []FieldChange `json:"changes"`
	Replies   []ReasonReply `json:"replies,omitempty"`
}

// DocumentRequest is a request of documents by customs.
type DocumentRequest struct {
	At          time.Time
	OfficerID   *int64
	OfficerName string
	Kinds       []string
	Text        string
}

// InspectionView is an inspection with its inspector's name and discrepant items.
type InspectionView struct {
	models.Inspection
	InspectorName string
	Items         []int
}

// Done reports whether the result is recorded.
func (i InspectionView) Done() bool { return i.CompletedAt != nil }

// CustomsDocument is a document uploaded for customs, with who uploaded it.
type CustomsDocument struct {
	models.Document
	UploadedBy string
}

// Rejection is a rejection (退单): the reasons, who and when.
type Rejection struct {
	At          time.Time
	OfficerID   *int64
	OfficerName string
	FromStatus  string
	Reasons     []RejectionReason
}

// Resubmission is a fix after a rejection: the fields changed (old and new) and the answers.
type Resubmission struct {
	At        time.Time
	ActorName string
	Signer    Signer
	Changes   []FieldChange
	Replies   []ReasonReply
}

// CustomsDecisionView is a routing decision with the rules it hit.
type CustomsDecisionView struct {
	models.CustomsDecision
	Hits []RuleHit
}

// CustomsInfo is what customs did with a declaration, read from its events, decisions,
// inspections and documents.
type CustomsInfo struct {
	Decisions     []CustomsDecisionView // oldest first
	Inspections   []InspectionView      // oldest first
	Documents     []CustomsDocument     // uploaded for customs, oldest first
	Requests      []DocumentRequest     // document requests since the latest acceptance
	Rejection     *Rejection            // the latest rejection
	Resubmissions []Resubmission
	AcceptedBy    *int64 // the officer of the latest acceptance
	AcceptedName  string
	// DocumentsPending: a request since the latest acceptance has no upload after it.
	DocumentsPending bool
	Today            string // the Yiwu date when it was read (the exit form's default)
}

// Inspection is the latest inspection, nil for none.
func (c *CustomsInfo) Inspection() *InspectionView {
	if c == nil || len(c.Inspections) == 0 {
		return nil
	}
	return &c.Inspections[len(c.Inspections)-1]
}

// Decision is the latest routing decision, nil for none.
func (c *CustomsInfo) Decision() *CustomsDecisionView {
	if c == nil || len(c.Decisions) == 0 {
		return nil
	}
	return &c.Decisions[len(c.Decisions)-1]
}

// inspectedBy reports whether a user was drawn as an inspector of the declaration.
func (c *CustomsInfo) inspectedBy(userID int64) bool {
	for _, i := range c.Inspections {
		if i.InspectorUserID == userID {
			return true
		}
	}
	return false
}

// declarationEvents reads a declaration's events in order.
func declarationEvents(db *gorm.DB, declarationID int64) ([]models.CustomsEvent, error) {
	var evs []models.CustomsEvent
	if err := db.Where("declaration_id = ?", declarationID).Order("id").Find(&evs).Error; err != nil {
		return nil, apperr.Wrap(err, "load events")
	}
	return evs, nil
}

// customsInfo reads what customs did with a declaration; users names the users it refers to
// (it is filled with the ones it loads).
func customsInfo(db *gorm.DB, d *models.Declaration, evs []models.CustomsEvent, users map[int64]string) (*CustomsInfo, error) {
	info := &CustomsInfo{}
	var decisions []models.CustomsDecision
	if err := db.Where("declaration_id = ?", d.ID).Order("id").Find(&decisions).Error; err != nil {
		return nil, apperr.Wrap(err, "load decisions")
	}
	for _, dc := range decisions {
		v := CustomsDecisionView{CustomsDecision: dc}
		_ = json.Unmarshal([]byte(dc.RulesHitJSON), &v.Hits)
		info.Decisions = append(info.Decisions, v)
	}
	var inspections []models.Inspection
	if err := db.Where("declaration_id = ?", d.ID).Order("id").Find(&inspections).Error; err != nil {
		return nil, apperr.Wrap(err, "load inspections")
	}
	var docs []models.Document
	if err := db.Where("declaration_id = ?", d.ID).Order("id").Find(&docs).Error; err != nil {
		return nil, apperr.Wrap(err, "load documents")
	}
	var need []int64
	for _, i := range inspections {
		need = append(need, i.InspectorUserID)
	}
	for _, doc := range docs {
		if doc.UploadedByUserID != nil {
			need = append(need, *doc.UploadedByUserID)
		}
	}
	for _, e := range evs {
		if e.ActorUserID != nil {
			need = append(need, *e.ActorUserID)
		}
	}
	var missing []int64
	for _, id := range need {
		if _, ok := users[id]; !ok && !slices.Contains(missing, id) {
			missing = append(missing, id)
		}
	}
	more, err := names(db, "users", "display_name", missing)
	if err != nil {
		return nil, err
	}
	for id, n := range more {
		users[id] = n
	}
	nameOf := func(id *int64) string {
		if id == nil {
			return ""
		}
		return users[*id]
	}
	for _, i := range inspections {
		v := InspectionView{Inspection: i, InspectorName: users[i.InspectorUserID]}
		v.Items, _ = ParseItemNos(i.DiscrepancyItems)
		info.Inspections = append(info.Inspections, v)
	}
	for _, doc := range docs {
		info.Documents = append(info.Documents, CustomsDocument{Document: doc, UploadedBy: nameOf(doc.UploadedByUserID)})
	}
	var lastRequest, lastUpload int64
	for _, e := range evs {
		switch e.Kind {
		case CustomsEventAccepted:
			info.AcceptedBy, info.AcceptedName = e.ActorUserID, nameOf(e.ActorUserID)
			info.Requests, lastRequest = nil, 0
		case CustomsEventDocumentsRequested:
			var rd docRequestDetail
			_ = json.Unmarshal([]byte(e.DetailJSON), &rd)
			info.Requests = append(info.Requests, DocumentRequest{At: e.CreatedAt, OfficerID: e.ActorUserID,
				OfficerName: nameOf(e.ActorUserID), Kinds: rd.Kinds, Text: rd.Text})
			lastRequest = e.ID
		case CustomsEventDocumentsUploaded:
			lastUpload = e.ID
		case CustomsEventRejected:
			var rd rejectedDetail
			_ = json.Unmarshal([]byte(e.DetailJSON), &rd)
			info.Rejection = &Rejection{At: e.CreatedAt, OfficerID: e.ActorUserID, OfficerName: nameOf(e.ActorUserID),
				FromStatus: rd.FromStatus, Reasons: rd.Reasons}
		case CustomsEventResubmitted:
			var rd resubmittedDetail
			_ = json.Unmarshal([]byte(e.DetailJSON), &rd)
			info.Resubmissions = append(info.Resubmissions, Resubmission{At: e.CreatedAt, ActorName: nameOf(e.ActorUserID),
				Signer: rd.Signer, Changes: rd.Changes, Replies: rd.Replies})
		}
	}
	info.DocumentsPending = lastRequest > 0 && lastUpload < lastRequest
	return info, nil
}

// customsLaneName is a lane in both languages.
func customsLaneName(lane string) apperr.Text {
	switch lane {
	case LaneGreen:
		return apperr.T("green", "绿色")
	case LaneYellow:
		return apperr.T("yellow", "黄色")
	case LaneRed:
		return apperr.T("red", "红色")
	case LaneBlue:
		return apperr.T("blue", "蓝色")
	}
	return apperr.T(lane, lane)
}

// CustomsDocKindName names a kind of requested document in both languages.
func CustomsDocKindName(kind string) apperr.Text {
	switch kind {
	case CustomsDocContract:
		return apperr.T("sales contract or invoice", "销售合同或发票")
	case CustomsDocPacking:
		return apperr.T("packing list", "装箱单")
	case CustomsDocOther:
		return apperr.T("other documents", "其他单证")
	}
	return apperr.T(kind, kind)
}

// customsResultName is an inspection or audit result in both languages.
func customsResultName(result string) apperr.Text {
	if result == CustomsDiscrepancy {
		return apperr.T("discrepancy", "有差异")
	}
	return apperr.T("conform", "相符")
}

// customsJoinTexts joins texts language by language.
func customsJoinTexts(ts []apperr.Text, sepEn, sepZh string) apperr.Text {
	en := make([]string, len(ts))
	zh := make([]string, len(ts))
	for i, t := range ts {
		en[i], zh[i] = t.En, t.Zh
	}
	return apperr.T(strings.Join(en, sepEn), strings.Join(zh, sepZh))
}

// customsEventText is the detail of a customs event on the timeline, in both languages; the
// zero Text for an event that is not the customs desk's.
func customsEventText(e models.CustomsEvent) apperr.Text {
	switch e.Kind {
	case CustomsEventAccepted:
		var ad acceptedDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &ad)
		if ad.Again {
			return apperr.Tf("entry no. %s (kept)", "海关编号 %s（沿用）", ad.EntryNo)
		}
		return apperr.Tf("entry no. %s", "海关编号 %s", ad.EntryNo)
	case EventRouted:
		var decision routedDetail
		if json.Unmarshal([]byte(e.DetailJSON), &decision) != nil || decision.Lane == "" {
			return apperr.Text{}
		}
		lane := customsLaneName(decision.Lane)
		if len(decision.Hits) == 0 {
			return apperr.Tf("%[1]s lane · no rule hit (random draw %[3]d of 1,000,000)", "%[2]s通道 · 未命中规则（随机数 %[3]d/1,000,000）",
				lane.En, lane.Zh, decision.Draw)
		}
		codes := make([]string, len(decision.Hits))
		for i, h := range decision.Hits {
			codes[i] = h.Code
		}
		return apperr.Tf("%[1]s lane · rules hit: %[3]s", "%[2]s通道 · 命中规则：%[3]s", lane.En, lane.Zh, strings.Join(codes, ", "))
	case CustomsEventDocumentsRequested:
		var rd docRequestDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &rd)
		kinds := make([]apperr.Text, len(rd.Kinds))
		for i, k := range rd.Kinds {
			kinds[i] = CustomsDocKindName(k)
		}
		t := customsJoinTexts(kinds, ", ", "、")
		if rd.Text != "" {
			t = apperr.T(strings.TrimPrefix(t.En+"; "+rd.Text, "; "), strings.TrimPrefix(t.Zh+"；"+rd.Text, "；"))
		}
		return t
	case CustomsEventDocumentsUploaded:
		var ud docUploadDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &ud)
		files := make([]string, len(ud.Documents))
		for i, d := range ud.Documents {
			files[i] = d.FileName
		}
		k := CustomsDocKindName(ud.Kind)
		return apperr.Tf("%[1]s: %[3]s", "%[2]s：%[3]s", k.En, k.Zh, strings.Join(files, ", "))
	case CustomsEventInspectionAssigned:
		var ad inspectionAssignedDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &ad)
		return apperr.Tf("inspector %s", "查验关员 %s", ad.Inspector)
	case CustomsEventInspected, CustomsEventPostAudited:
		var fd findingDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &fd)
		r := customsResultName(fd.Result)
		if fd.Result != CustomsDiscrepancy {
			return r
		}
		return apperr.Tf("discrepancy in item(s) %s: %s", "第 %s 项有差异：%s", customsItemNos(fd.Items), fd.Findings)
	case CustomsEventExited:
		var xd exitedDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &xd)
		return apperr.Tf("exit date %s", "结关日期 %s", xd.ExitDate)
	case CustomsEventRejected:
		var rd rejectedDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &rd)
		parts := make([]apperr.Text, len(rd.Reasons))
		for i, r := range rd.Reasons {
			n := r.Name()
			en, zh := r.Code+" "+n.En, r.Code+" "+n.Zh
			if r.Note != "" {
				en, zh = en+": "+r.Note, zh+"："+r.Note
			}
			parts[i] = apperr.T(en, zh)
		}
		return customsJoinTexts(parts, "; ", "；")
	case CustomsEventResubmitted:
		var rd resubmittedDetail
		_ = json.Unmarshal([]byte(e.DetailJSON), &rd)
		parts := make([]string, 0, len(rd.Changes)+len(rd.Replies))
		for _, c := range rd.Changes {
			parts = append(parts, c.Field+": "+c.Old+" → "+c.New)
		}
		for _, r := range rd.Replies {
			parts = append(parts, r.Code+": "+r.Text)
		}
		s := strings.Join(parts, "; ")
		return apperr.Tf("%s (%s) · %s", "%s（%s）· %s", rd.Signer.Name, rd.Signer.Role, s)
	}
	return apperr.Text{}
}
