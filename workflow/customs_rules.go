package workflow

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mpt/models"
	"mpt/workflow/apperr"
)

// The pure rules of the customs desk (issue 6, DOMAIN §3 step 4 and §7): rejection reason codes,
// the inspector draw, credit classes after a discrepancy, the exit date and the checks of the
// officers' inputs. None of them reads the database.

// Customs event kinds on a declaration's timeline, written by the customs desk (the routing
// engine writes EventRouted).
const (
	CustomsEventAccepted           = "accepted"
	CustomsEventDocumentsRequested = "documents_requested"
	CustomsEventDocumentsUploaded  = "documents_uploaded"
	CustomsEventInspectionAssigned = "inspection_assigned"
	CustomsEventInspected          = "inspected"
	CustomsEventReleased           = "released"
	CustomsEventExited             = "exited"
	CustomsEventRejected           = "rejected"
	CustomsEventResubmitted        = "resubmitted"
	CustomsEventPostAudited        = "post_audited"
)

// Results of an inspection or a post-clearance audit.
const (
	CustomsConform     = "conform"
	CustomsDiscrepancy = "discrepancy"
)

// RejectReason is a coded reason of a rejection (退单): its code, the header fields it may name
// (none for "other") and its name in both languages.
type RejectReason struct {
	Code   string
	Fields []string
	Name   apperr.Text
}

// RejectOther is the reason "other": it names no field and needs a note from customs and a
// reply from the agent.
const RejectOther = "R09"

// RejectReasons are the reason codes of a rejection, as data.
var RejectReasons = []RejectReason{
	{Code: "R01", Fields: []string{"destination_port"}, Name: apperr.T("Wrong destination port", "指运港填报错误")},
	{Code: "R02", Fields: []string{"transport_mode"}, Name: apperr.T("Wrong transport mode", "运输方式填报错误")},
	{Code: "R03", Fields: []string{"trade_terms"}, Name: apperr.T("Wrong transaction terms", "成交方式填报错误")},
	{Code: "R04", Fields: []string{"freight", "insurance"}, Name: apperr.T("Freight or insurance wrong", "运费或保费填报错误")},
	{Code: "R05", Fields: []string{"marks", "remarks"}, Name: apperr.T("Marks or remarks wrong", "标记唛码或备注填报错误")},
	{Code: "R06", Fields: []string{"exit_port"}, Name: apperr.T("Wrong exit port", "离境口岸填报错误")},
	{Code: RejectOther, Name: apperr.T("Other", "其他")},
}

// RejectReasonOf returns the reason of a code.
func RejectReasonOf(code string) (RejectReason, bool) {
	for _, r := range RejectReasons {
		if r.Code == code {
			return r, true
		}
	}
	return RejectReason{}, false
}

// RejectionInput is one reason of a rejection as the officer gives it: the code, the field it
// names (one of the reason's fields; may be left empty when the reason has only one) and a note.
type RejectionInput struct {
	Code  string `json:"code"`
	Field string `json:"field"`
	Note  string `json:"note"`
}

// RejectionReason is one reason of a stored rejection, with the field's value when it was given.
type RejectionReason struct {
	Code  string `json:"code"`
	Field string `json:"field,omitempty"`
	Note  string `json:"note,omitempty"`
	Value string `json:"value,omitempty"` // the field's value at the rejection
}

// Name is the reason's name in both languages.
func (r RejectionReason) Name() apperr.Text {
	if rr, ok := RejectReasonOf(r.Code); ok {
		return rr.Name
	}
	return apperr.T(r.Code, r.Code)
}

const maxCustomsNote = 400

// CheckRejection checks the reasons of a rejection: at least one; known codes; the field one of
// the reason's fields; a note of at most 400 characters, required for "other" (R09); no reason
// and field twice. Problems name the form fields reasons, field_<code> and note_<code>.
func CheckRejection(in []RejectionInput) ([]RejectionReason, error) {
	var fe apperr.Fields
	if len(in) == 0 {
		fe.Add("reasons", apperr.T("Choose at least one reason", "请至少选择一个退单原因"))
	}
	seen := map[string]bool{}
	out := make([]RejectionReason, 0, len(in))
	for _, r := range in {
		code := strings.TrimSpace(r.Code)
		rr, ok := RejectReasonOf(code)
		if !ok {
			fe.Add("reasons", apperr.Tf("Unknown reason code %q: choose one from the list", "未知的退单原因代码 %q，请从列表中选择", code))
			continue
		}
		field := strings.TrimSpace(r.Field)
		if field == "" && len(rr.Fields) == 1 {
			field = rr.Fields[0]
		}
		switch {
		case len(rr.Fields) == 0 && field != "":
			fe.Add("field_"+code, apperr.Tf("Reason %s names no field; leave the field empty", "原因 %s 不对应字段，请勿选择字段", code))
		case len(rr.Fields) > 0 && !slices.Contains(rr.Fields, field):
			fe.Add("field_"+code, apperr.Tf("Choose which field reason %[1]s is about: %[2]s", "请选择原因 %[1]s 所指的字段：%[2]s",
				code, strings.Join(rr.Fields, ", ")))
		}
		note := strings.TrimSpace(r.Note)
		switch {
		case utf8.RuneCountInString(note) > maxCustomsNote:
			fe.Add("note_"+code, apperr.T("Use at most 400 characters", "最多 400 个字符"))
		case code == RejectOther && note == "":
			fe.Add("note_"+code, apperr.T("Say what is wrong, when the reason is “other”", "原因为“其他”时请说明问题"))
		}
		if seen[code+"|"+field] {
			fe.Add("reasons", apperr.Tf("Reason %s is given twice for the same field", "原因 %s 对同一字段重复", code))
		}
		seen[code+"|"+field] = true
		out = append(out, RejectionReason{Code: code, Field: field, Note: note})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// inspectorStream is the PCG stream of the inspector draw ("mpt-insp"): fixed, so the stored
// seed alone reproduces the draw.
const inspectorStream = 0x6d70742d696e7370

// DrawInspector picks the inspector of a red-lane declaration among the candidates (on-duty
// customs officers, not the accepting officer) sorted by id, with a PCG seeded by seed (DOMAIN
// §7: inspectors drawn at random among those on duty). It returns 0 when there is none.
func DrawInspector(candidates []int64, seed int64) int64 {
	if len(candidates) == 0 {
		return 0
	}
	ids := slices.Clone(candidates)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return ids[rand.New(rand.NewPCG(uint64(seed), inspectorStream)).IntN(len(ids))]
}

// CreditAfterDiscrepancy is a party's credit class after a failed inspection or post-clearance
// audit (DOMAIN §7, findings feed back): A becomes B, B becomes C, C stays C.
func CreditAfterDiscrepancy(class string) string {
	if class == models.CreditA {
		return models.CreditB
	}
	return models.CreditC
}

// CheckExitDate checks the exit (结关) date of a released declaration: YYYY-MM-DD, not before the
// day of its release and not after today, both in Yiwu time.
func CheckExitDate(raw string, releasedAt, now time.Time) (string, error) {
	v := strings.TrimSpace(raw)
	day, err := time.ParseInLocation("2006-01-02", v, MarketZone)
	if err != nil {
		return "", apperr.Field("exit_date", apperr.T("Enter the exit date as YYYY-MM-DD, e.g. 2026-11-30", "请按 YYYY-MM-DD 填写结关日期，例如 2026-11-30"))
	}
	released := releasedAt.In(MarketZone).Format("2006-01-02")
	today := now.In(MarketZone).Format("2006-01-02")
	d := day.Format("2006-01-02")
	if d < released {
		return "", apperr.Field("exit_date", apperr.Tf("The exit date cannot be before the release on %s", "结关日期不能早于放行日期 %s", released))
	}
	if d > today {
		return "", apperr.Field("exit_date", apperr.Tf("The exit date cannot be in the future (today is %s)", "结关日期不能晚于今天（%s）", today))
	}
	return d, nil
}

// CustomsFindingInput is the result of an inspection or a post-clearance audit: conform, or a
// discrepancy with findings and the numbers of the discrepant items.
type CustomsFindingInput struct {
	Version  int64 // 0: not checked
	Result   string
	Findings string
	ItemNos  []int
}

// check validates a result against the declaration's item numbers. It returns the item numbers
// sorted, without repeats.
func (in CustomsFindingInput) check(itemNos []int) ([]int, error) {
	var fe apperr.Fields
	findings := strings.TrimSpace(in.Findings)
	switch in.Result {
	case CustomsConform:
		if len(in.ItemNos) > 0 {
			fe.Add("items", apperr.T("Items are named for a discrepancy only; choose “discrepancy” or clear the items",
				"只有存在差异时才填写商品项，请选择“有差异”或清空商品项"))
		}
	case CustomsDiscrepancy:
		if findings == "" {
			fe.Add("findings", apperr.T("Describe what was found", "请填写查验发现的问题"))
		}
		if len(in.ItemNos) == 0 {
			fe.Add("items", apperr.T("Name at least one item with a discrepancy", "请至少填写一个有差异的商品项号"))
		}
	default:
		fe.Add("result", apperr.T("Choose the result: conform or discrepancy", "请选择结果：相符或有差异"))
	}
	if utf8.RuneCountInString(findings) > 2000 {
		fe.Add("findings", apperr.T("Use at most 2,000 characters", "最多 2000 个字符"))
	}
	items := slices.Clone(in.ItemNos)
	sort.Ints(items)
	items = slices.Compact(items)
	for _, no := range items {
		if !slices.Contains(itemNos, no) {
			fe.Add("items", apperr.Tf("The declaration has no item %d", "报关单没有第 %d 项", no))
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

// ParseItemNos reads item numbers written as "3, 7 12" (commas or spaces).
func ParseItemNos(raw string) ([]int, error) {
	var out []int
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == ';' }) {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, apperr.Field("items", apperr.Tf("%q is not an item number; write numbers like 3, 7", "%q 不是商品项号，请填写如 3, 7 的数字", f))
		}
		out = append(out, n)
	}
	return out, nil
}

// customsItemNos writes item numbers as "3,7".
func customsItemNos(nos []int) string {
	parts := make([]string, len(nos))
	for i, n := range nos {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// Kinds of the documents customs asks the agent for (yellow lane).
const (
	CustomsDocContract = "contract" // sales contract or commercial invoice
	CustomsDocPacking  = "packing"  // packing list
	CustomsDocOther    = "other"
)

// CustomsDocKinds lists the kinds of requested documents in display order.
var CustomsDocKinds = []string{CustomsDocContract, CustomsDocPacking, CustomsDocOther}

// DefaultDocumentRequest is what a yellow-lane acceptance asks for: the sales contract or
// invoice and the packing list.
var DefaultDocumentRequest = []string{CustomsDocContract, CustomsDocPacking}

// CustomsStages are the tabs of the customs queue, in the order of a declaration's life.
const (
	StageSubmitted         = "submitted"          // to accept (or reject)
	StageReady             = "ready"              // green or blue: ready to release
	StageDocumentsWaiting  = "documents_waiting"  // yellow: waiting for the agent's documents
	StageDocumentsUploaded = "documents_uploaded" // yellow: documents uploaded, to check
	StageInspectionPending = "inspection_pending" // red: inspection not done yet
	StageInspectionDone    = "inspection_done"    // red: inspection done, to release
	StageRejected          = "rejected"           // waiting for the agent's fix
	StageReleased          = "released"           // awaiting exit confirmation
	StagePostAudit         = "post_audit"         // blue, released or exited, not yet audited
)

// CustomsStageList lists the queue's tabs in order.
var CustomsStageList = []string{StageSubmitted, StageReady, StageDocumentsWaiting, StageDocumentsUploaded,
	StageInspectionPending, StageInspectionDone, StageRejected, StageReleased, StagePostAudit}
