package workflow

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// AmendInput changes header fields of a submitted declaration before release (issue 5). A nil
// field is left as it is; Reason and the signer are required.
type AmendInput struct {
	Version         int64
	Reason          string
	SignerName      string
	SignerRole      string
	TransportMode   *string
	DestinationPort *string
	ExitPort        *string
	TradeTerms      *string
	Marks           *string
	Remarks         *string
	Freight         *string // decimal, in the declaration currency
	Insurance       *string
}

// TradeTermsCodes are the transaction terms a declaration may name (Incoterms 2020).
var TradeTermsCodes = []string{"EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP"}

// CancelReasons are the reasons a declaration may be cancelled for.
var CancelReasons = []string{"duplicate", "no_longer_needed", "other"}

// amendable: submitted or accepted, not yet released or exited (issue 5: amend before release).
func amendable(status string) bool {
	return status == models.DeclarationSubmitted || status == models.DeclarationAccepted
}

// cancellable: anything not released, exited or already cancelled.
func cancellable(status string) bool {
	return status == models.DeclarationDraft || status == models.DeclarationSubmitted ||
		status == models.DeclarationAccepted || status == models.DeclarationRejected
}

// HeaderValues are new values of the header fields an agent may change after submission (an
// amendment, or a fix after a rejection); nil leaves a field as it is. Freight and insurance
// are decimals in the declaration currency.
type HeaderValues struct {
	TransportMode   *string
	DestinationPort *string
	ExitPort        *string
	TradeTerms      *string
	Marks           *string
	Remarks         *string
	Freight         *string
	Insurance       *string
}

// AmendableFields are the header fields an amendment or a fix may change, in the forms' order.
var AmendableFields = []string{"transport_mode", "trade_terms", "destination_port", "exit_port", "freight", "insurance", "marks", "remarks"}

// HeaderValue is the value of an amendable header field as the forms show it ("" for another field).
func HeaderValue(d *models.Declaration, field string) string {
	switch field {
	case "transport_mode":
		return d.TransportMode
	case "destination_port":
		return d.DestinationPort
	case "exit_port":
		return d.ExitPort
	case "trade_terms":
		return d.TradeTerms
	case "marks":
		return d.Marks
	case "remarks":
		return d.Remarks
	case "freight":
		return d.Freight.String()
	case "insurance":
		return d.Insurance.String()
	}
	return ""
}

// HeaderValuesOf reads new values by field name; names that are not amendable fields are ignored.
func HeaderValuesOf(m map[string]string) HeaderValues {
	var v HeaderValues
	for field, val := range m {
		p := &val
		switch field {
		case "transport_mode":
			v.TransportMode = p
		case "destination_port":
			v.DestinationPort = p
		case "exit_port":
			v.ExitPort = p
		case "trade_terms":
			v.TradeTerms = p
		case "marks":
			v.Marks = p
		case "remarks":
			v.Remarks = p
		case "freight":
			v.Freight = p
		case "insurance":
			v.Insurance = p
		}
	}
	return v
}

func (in AmendInput) values() HeaderValues {
	return HeaderValues{TransportMode: in.TransportMode, DestinationPort: in.DestinationPort, ExitPort: in.ExitPort,
		TradeTerms: in.TradeTerms, Marks: in.Marks, Remarks: in.Remarks, Freight: in.Freight, Insurance: in.Insurance}
}

// headerChanges checks new header values against a declaration and returns the changed fields
// (in a fixed order) and the column updates; problems go to fe.
func headerChanges(d *models.Declaration, hv HeaderValues, fe *apperr.Fields) ([]FieldChange, map[string]any) {
	var changes []FieldChange
	set := map[string]any{}
	text := func(field string, p *string, old string, maxLen int, ok func(string) bool, hint apperr.Text) {
		if p == nil {
			return
		}
		v := strings.TrimSpace(*p)
		if len([]rune(v)) > maxLen || (ok != nil && !ok(v)) {
			fe.Add(field, hint)
			return
		}
		if v != old {
			changes = append(changes, FieldChange{Field: field, Old: old, New: v})
			set[field] = v
		}
	}
	money := func(field string, p *string, old models.Money) {
		if p == nil {
			return
		}
		raw := strings.TrimSpace(*p)
		if raw == "" {
			raw = "0"
		}
		v, err := models.ParseMoney(raw)
		if err != nil || v < 0 {
			fe.Add(field, apperr.T("Enter an amount of zero or more with at most 2 decimals, e.g. 1200.00",
				"请输入不小于 0 的金额，最多两位小数，例如 1200.00"))
			return
		}
		if v != old {
			changes = append(changes, FieldChange{Field: field, Old: old.String(), New: v.String()})
			set[field] = v
		}
	}
	digit := func(v string) bool { return len(v) == 1 && v[0] >= '0' && v[0] <= '9' }
	nonEmpty := func(v string) bool { return v != "" }
	text("transport_mode", hv.TransportMode, d.TransportMode, 1, digit,
		apperr.T("Enter the customs transport mode code, one digit (e.g. 2 waterway, 4 road, 5 air)", "请填写一位运输方式代码（如 2 水路运输、4 公路运输、5 航空运输）"))
	text("destination_port", hv.DestinationPort, d.DestinationPort, 100, nonEmpty,
		apperr.T("Enter the destination port (at most 100 characters)", "请填写指运港（最多 100 个字符）"))
	text("exit_port", hv.ExitPort, d.ExitPort, 100, nonEmpty,
		apperr.T("Enter the exit port (at most 100 characters)", "请填写离境口岸（最多 100 个字符）"))
	text("trade_terms", hv.TradeTerms, d.TradeTerms, 3, func(v string) bool { return slices.Contains(TradeTermsCodes, v) },
		apperr.T("Choose the transaction terms, e.g. FOB or CIF", "请选择成交方式，例如 FOB 或 CIF"))
	text("marks", hv.Marks, d.Marks, 400, nil, apperr.T("Use at most 400 characters", "最多 400 个字符"))
	text("remarks", hv.Remarks, d.Remarks, 400, nil, apperr.T("Use at most 400 characters", "最多 400 个字符"))
	money("freight", hv.Freight, d.Freight)
	money("insurance", hv.Insurance, d.Insurance)
	return changes, set
}

// amendChanges checks the input against a declaration and returns the changed fields (in a
// fixed order) and the column updates.
func amendChanges(d *models.Declaration, in AmendInput) ([]FieldChange, map[string]any, error) {
	var fe apperr.Fields
	if strings.TrimSpace(in.Reason) == "" {
		fe.Add("reason", apperr.T("Say why the declaration is amended", "请填写修改原因"))
	}
	if strings.TrimSpace(in.SignerName) == "" {
		fe.Add("signer_name", apperr.T("Enter the name of the person who signs", "请填写签署人姓名"))
	}
	if strings.TrimSpace(in.SignerRole) == "" {
		fe.Add("signer_role", apperr.T("Enter the signer's role or title, e.g. customs declarant", "请填写签署人职务，例如报关员"))
	}
	changes, set := headerChanges(d, in.values(), &fe)
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	if len(changes) == 0 {
		return nil, nil, apperr.New(apperr.Invalid, apperr.T("Nothing was changed: change at least one field", "未修改任何内容，请至少修改一项"))
	}
	return changes, set, nil
}

// AmendDeclaration changes header fields of a submitted or accepted declaration, before its
// release (issue 5), with a reason and a signer. The old and new value of every changed field
// are kept in an "amended" customs event and shown side by side on the declaration page.
func (s *Service) AmendDeclaration(ctx context.Context, actor Actor, id int64, in AmendInput) (*models.Declaration, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := ownDeclaration(tx, actor, id)
		if err != nil {
			return err
		}
		if !amendable(d.Status) {
			return apperr.New(apperr.Conflict, apperr.Tf(
				"The declaration is %s: only a submitted or accepted declaration, not yet released, can be amended",
				"该报关单状态为 %s：只有已提交或已接受且未放行的报关单可以修改", d.Status))
		}
		if in.Version != 0 && in.Version != d.Version {
			return errDeclarationChanged()
		}
		changes, set, err := amendChanges(d, in)
		if err != nil {
			return err
		}
		now := s.now()
		old := declarationAudit(d)
		set["version"], set["updated_at"] = d.Version+1, now
		res := tx.Model(&models.Declaration{}).Where("id = ? AND version = ?", d.ID, d.Version).Updates(set)
		if res.Error != nil {
			return apperr.Wrap(res.Error, "amend")
		}
		if res.RowsAffected == 0 {
			return errDeclarationChanged()
		}
		if err := tx.Take(d, d.ID).Error; err != nil {
			return apperr.Wrap(err, "reload declaration")
		}
		signer := Signer{Name: strings.TrimSpace(in.SignerName), Role: strings.TrimSpace(in.SignerRole)}
		if err := s.event(tx, actor, d.ID, EventAmended, "", amendDetail{Reason: strings.TrimSpace(in.Reason), Signer: signer, Changes: changes}, now); err != nil {
			return err
		}
		out = d
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "amend", old, declarationAudit(d))
	})
	return out, err
}

// CancelInput is why a declaration is cancelled: a reason code, and a text for "other".
type CancelInput struct {
	Version    int64 // 0: not checked
	ReasonCode string
	Text       string
}

// CancelDeclaration cancels a declaration that is not released (issue 5) with a reason code
// (duplicate, no_longer_needed, other with a text). A second cancel is refused, saying when
// and by whom it was cancelled. When every declaration of the consolidation is cancelled, the
// consolidation goes back to closed so that it can be reopened or declared again.
func (s *Service) CancelDeclaration(ctx context.Context, actor Actor, id int64, in CancelInput) (*models.Declaration, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, err
	}
	var fe apperr.Fields
	if !slices.Contains(CancelReasons, in.ReasonCode) {
		fe.Add("reason_code", apperr.T("Choose a reason: duplicate, no longer needed or other", "请选择原因：重复申报、不再需要或其他"))
	}
	in.Text = strings.TrimSpace(in.Text)
	if in.ReasonCode == "other" && in.Text == "" {
		fe.Add("text", apperr.T("Say why, when the reason is “other”", "原因为“其他”时请说明"))
	}
	if len([]rune(in.Text)) > 400 {
		fe.Add("text", apperr.T("Use at most 400 characters", "最多 400 个字符"))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := ownDeclaration(tx, actor, id)
		if err != nil {
			return err
		}
		if d.Status == models.DeclarationCancelled {
			return s.alreadyCancelled(tx, d)
		}
		if !cancellable(d.Status) {
			return apperr.New(apperr.Conflict, apperr.Tf("The declaration is %s and can no longer be cancelled",
				"该报关单状态为 %s，已不能撤销", d.Status))
		}
		if in.Version != 0 && in.Version != d.Version {
			return errDeclarationChanged()
		}
		now := s.now()
		old := declarationAudit(d)
		res := tx.Model(&models.Declaration{}).Where("id = ? AND version = ?", d.ID, d.Version).
			Updates(map[string]any{"status": models.DeclarationCancelled, "cancelled_at": now, "version": d.Version + 1, "updated_at": now})
		if res.Error != nil {
			return apperr.Wrap(res.Error, "cancel")
		}
		if res.RowsAffected == 0 {
			return errDeclarationChanged()
		}
		d.Status, d.CancelledAt, d.Version, d.UpdatedAt = models.DeclarationCancelled, &now, d.Version+1, now
		if err := s.event(tx, actor, d.ID, EventCancelled, in.ReasonCode, cancelDetail{ReasonCode: in.ReasonCode, Text: in.Text}, now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "cancel", old,
			map[string]any{"status": d.Status, "version": d.Version, "reason_code": in.ReasonCode, "text": in.Text}); err != nil {
			return err
		}
		out = d
		return s.reopenIfAllCancelled(ctx, tx, actor, d.ConsolidationID)
	})
	return out, err
}

// alreadyCancelled is the conflict of a second cancel: when and by whom.
func (s *Service) alreadyCancelled(tx *gorm.DB, d *models.Declaration) error {
	var e models.CustomsEvent
	by := "?"
	if err := tx.Where("declaration_id = ? AND kind = ?", d.ID, EventCancelled).Order("id DESC").Take(&e).Error; err == nil && e.ActorUserID != nil {
		var u models.User
		if tx.Select("display_name").Take(&u, *e.ActorUserID).Error == nil {
			by = u.DisplayName
		}
	}
	when := "?"
	if d.CancelledAt != nil {
		when = d.CancelledAt.In(MarketZone).Format("2006-01-02 15:04")
	}
	return apperr.New(apperr.Conflict, apperr.Tf("This declaration was already cancelled on %s by %s",
		"该报关单已于 %s 由 %s 撤销", when, by))
}

// reopenIfAllCancelled puts a declared consolidation back to closed when none of its
// declarations is left standing.
func (s *Service) reopenIfAllCancelled(ctx context.Context, tx *gorm.DB, actor Actor, consolidationID int64) error {
	var standing int64
	if err := tx.Model(&models.Declaration{}).Where("consolidation_id = ? AND status <> ?", consolidationID, models.DeclarationCancelled).
		Count(&standing).Error; err != nil {
		return apperr.Wrap(err, "count declarations")
	}
	if standing > 0 {
		return nil
	}
	var c models.Consolidation
	if err := tx.Take(&c, consolidationID).Error; err != nil {
		return apperr.Wrap(err, "load consolidation")
	}
	if c.Status != models.ConsolidationDeclared {
		return nil
	}
	res := tx.Model(&models.Consolidation{}).Where("id = ? AND version = ?", c.ID, c.Version).
		Updates(map[string]any{"status": models.ConsolidationClosed, "version": c.Version + 1, "updated_at": s.now()})
	if res.Error != nil {
		return apperr.Wrap(res.Error, "reopen consolidation")
	}
	if res.RowsAffected == 0 {
		return apperr.New(apperr.Conflict, apperr.T("The consolidation changed meanwhile; try again", "组货已被修改，请重试"))
	}
	return s.audit(ctx, tx, actor, "consolidation", strconv.FormatInt(c.ID, 10), "declarations_cancelled",
		map[string]any{"status": c.Status, "version": c.Version}, map[string]any{"status": models.ConsolidationClosed, "version": c.Version + 1})
}

// FixInput corrects a rejected declaration and resubmits it with a signed statement: the
// corrected values of the fields the rejection names, and the agent's answer per reason code
// (needed where a field stays as it is, and always for R09 "other").
type FixInput struct {
	Version    int64
	Values     map[string]string // field → corrected value
	Replies    map[string]string // reason code → answer
	SignerName string
	SignerRole string
	Statement  bool
}

// FixDeclaration corrects a declaration customs rejected (退单) and resubmits it (rejected →
// submitted): only the header fields the rejection names may change; every reason must be
// answered by changing its field or by a reply (R09 always needs a reply); the submission is
// signed like the first one. The "resubmitted" event keeps the old and new value of every
// changed field and the replies; one audit entry; the officer who rejected it is told. Customs
// then accepts it again, keeping its entry number.
func (s *Service) FixDeclaration(ctx context.Context, actor Actor, id int64, in FixInput) (*models.Declaration, error) {
	if err := actor.Require(ActDeclarationManage); err != nil {
		return nil, err
	}
	var out *models.Declaration
	err := s.tx(ctx, func(tx *gorm.DB) error {
		d, err := ownDeclaration(tx, actor, id)
		if err != nil {
			return err
		}
		rej, err := rejectionToFix(tx, d)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != d.Version {
			return errDeclarationChanged()
		}
		var fe apperr.Fields
		if err := (SubmitInput{SignerName: in.SignerName, SignerRole: in.SignerRole, Statement: in.Statement}).check(); err != nil {
			fe = append(fe, apperr.As(err).Fields...)
		}
		allowed := rejectionFields(rej)
		values := map[string]string{}
		for f, v := range in.Values {
			if !slices.Contains(allowed, f) {
				if HeaderValue(d, f) != strings.TrimSpace(v) {
					fe.Add(f, apperr.T("Customs did not reject this field: only the fields named by the rejection can be corrected here",
						"海关未就此字段退单，此处只能修改退单原因所指的字段"))
				}
				continue
			}
			values[f] = v
		}
		changes, set := headerChanges(d, HeaderValuesOf(values), &fe)
		changed := map[string]bool{}
		for _, c := range changes {
			changed[c.Field] = true
		}
		bad := map[string]bool{}
		for _, f := range fe {
			bad[f.Field] = true
		}
		var replies []ReasonReply
		answered := map[string]bool{}
		for _, r := range rej.Reasons {
			reply := strings.TrimSpace(in.Replies[r.Code])
			switch {
			case len([]rune(reply)) > maxCustomsNote:
				fe.Add("reply_"+r.Code, apperr.T("Use at most 400 characters", "最多 400 个字符"))
			case r.Code == RejectOther && reply == "":
				fe.Add("reply_"+r.Code, apperr.T("Answer customs' note", "请答复海关的退单说明"))
			case r.Field != "" && !changed[r.Field] && !bad[r.Field] && reply == "":
				fe.Add(r.Field, apperr.Tf("Correct this value, or answer reason %s below if it is right",
					"请修改此项，如确认无误请在下方答复原因 %s", r.Code))
			}
			if reply != "" && !answered[r.Code] {
				answered[r.Code] = true
				replies = append(replies, ReasonReply{Code: r.Code, Text: reply})
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		now := s.now()
		old := declarationAudit(d)
		set["status"], set["submitted_at"], set["version"], set["updated_at"] = models.DeclarationSubmitted, now, d.Version+1, now
		res := tx.Model(&models.Declaration{}).Where("id = ? AND version = ?", d.ID, d.Version).Updates(set)
		if res.Error != nil {
			return apperr.Wrap(res.Error, "resubmit")
		}
		if res.RowsAffected == 0 {
			return errDeclarationChanged()
		}
		if err := tx.Take(d, d.ID).Error; err != nil {
			return apperr.Wrap(err, "reload declaration")
		}
		var items []models.DeclarationItem
		if err := tx.Where("declaration_id = ?", d.ID).Order("item_no").Find(&items).Error; err != nil {
			return apperr.Wrap(err, "load items")
		}
		signer := Signer{Name: strings.TrimSpace(in.SignerName), Role: strings.TrimSpace(in.SignerRole)}
		if changes == nil {
			changes = []FieldChange{}
		}
		detail := resubmittedDetail{Signer: signer, Statement: true, Hash: DeclarationHash(d, items), Changes: changes, Replies: replies}
		if err := s.event(tx, actor, d.ID, CustomsEventResubmitted, "", detail, now); err != nil {
			return err
		}
		var officers []int64
		if rej.OfficerID != nil {
			officers = append(officers, *rej.OfficerID)
		}
		if err := s.notify(tx, actor, Notice{Kind: "declaration.resubmitted", Link: "/declarations/" + strconv.FormatInt(d.ID, 10),
			Entity: "declaration", EntityID: strconv.FormatInt(d.ID, 10), UserIDs: officers,
			Text: apperr.Tf("The agent corrected and resubmitted declaration %s", "代理已修改并重新申报报关单 %s", declarationRef(d))}); err != nil {
			return err
		}
		out = d
		newState := declarationAudit(d)
		newState["changes"], newState["replies"], newState["signer"] = changes, replies, signer
		return s.audit(ctx, tx, actor, "declaration", strconv.FormatInt(d.ID, 10), "resubmit", old, newState)
	})
	return out, err
}
