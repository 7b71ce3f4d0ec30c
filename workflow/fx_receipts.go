package workflow

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// ---- FX receipts: recording (DOMAIN §5.2, §3 step 5) ------------------------------------------
//
// The bank's FX officer (acting for SAFE) records money received from abroad for a merchant or
// an agent, by hand or from a bank statement, and later allocates it to transaction lines.

var fxReceiptNoun = apperr.T("FX receipt", "收汇记录")

// Beneficiary kinds.
const (
	FXBeneficiaryMerchant = "merchant"
	FXBeneficiaryAgent    = "agent"
)

// Limits of a receipt's text fields.
const (
	MaxFXBankRef = 64
	MaxFXPayer   = 200
)

// The fields of a receipt, as forms, the API and statement checks name them.
const (
	FXFieldBankRef      = "bank_ref"
	FXFieldPayer        = "payer"
	FXFieldPayerCountry = "payer_country"
	FXFieldCurrency     = "currency"
	FXFieldAmount       = "amount"
	FXFieldValueDate    = "value_date"
	FXFieldBeneficiary  = "beneficiary"
)

// FXReceiptInput is a receipt as the FX officer typed it or a bank statement row holds it,
// copied field by field; the platform sets id, allocation, flags and who recorded it.
type FXReceiptInput struct {
	BankRef      string // the bank's reference, unique
	Payer        string // the remitter's name
	PayerCountry string // ISO 3166 alpha-2
	Currency     string // ISO 4217
	Amount       string // decimal, above zero, at most 2 decimals
	ValueDate    string // YYYY-MM-DD, not in the future
	Beneficiary  string // the USCC of the merchant (or agent) the money is for
}

// fxReceiptValues is a checked input.
type fxReceiptValues struct {
	BankRef, Payer, PayerCountry, Currency, ValueDate, BeneficiaryUSCC string
	Amount                                                             models.Money
}

// checkFXReceipt checks the fields of a receipt that need no database, collecting every problem.
func checkFXReceipt(ref *refdata.Set, in FXReceiptInput, today string) (fxReceiptValues, apperr.Fields) {
	var fe apperr.Fields
	var v fxReceiptValues
	v.BankRef = normalize(in.BankRef)
	switch {
	case v.BankRef == "":
		fe.Add(FXFieldBankRef, apperr.T("Enter the bank's reference of the receipt", "请填写银行收汇业务编号"))
	case utf8.RuneCountInString(v.BankRef) > MaxFXBankRef:
		fe.Add(FXFieldBankRef, apperr.Tf("Use at most %d characters", "最多 %d 个字符", MaxFXBankRef))
	case strings.IndexFunc(v.BankRef, isBlank) >= 0:
		fe.Add(FXFieldBankRef, apperr.T("Remove the spaces inside the bank reference", "请删除银行编号中的空格"))
	}
	v.Payer = partyText(foldText(in.Payer))
	switch {
	case v.Payer == "":
		fe.Add(FXFieldPayer, apperr.T("Enter the payer's name as the bank shows it", "请按银行记录填写付款人名称"))
	case utf8.RuneCountInString(v.Payer) > MaxFXPayer:
		fe.Add(FXFieldPayer, apperr.Tf("Use at most %d characters", "最多 %d 个字符", MaxFXPayer))
	}
	if c := CheckCountry(ref, in.PayerCountry); c.OK {
		v.PayerCountry = c.Value
	} else {
		fe.Add(FXFieldPayerCountry, c.Problem)
	}
	if c := CheckCurrency(ref, in.Currency); c.OK {
		v.Currency = c.Value
	} else {
		fe.Add(FXFieldCurrency, c.Problem)
	}
	if m, err := models.ParseMoney(foldText(in.Amount)); err != nil || m <= 0 {
		fe.Add(FXFieldAmount, apperr.T("Enter the amount received, above zero with at most 2 decimals, e.g. 12500.00",
			"请填写收汇金额，大于 0，最多两位小数，例如 12500.00"))
	} else {
		v.Amount = m
	}
	v.ValueDate = normalize(in.ValueDate)
	if d, err := time.Parse(dateLayout, v.ValueDate); err != nil || d.Format(dateLayout) != v.ValueDate {
		fe.Add(FXFieldValueDate, apperr.T("Enter the value date as YYYY-MM-DD, e.g. 2026-11-29", "请按 YYYY-MM-DD 填写起息日，例如 2026-11-29"))
	} else if v.ValueDate > today {
		fe.Add(FXFieldValueDate, apperr.Tf("The value date cannot be after today (%s)", "起息日不能晚于今天（%s）", today))
	} else if v.ValueDate < "2000-01-01" {
		fe.Add(FXFieldValueDate, apperr.T("The value date is too far in the past", "起息日过早"))
	}
	v.BeneficiaryUSCC = normalize(in.Beneficiary)
	if u, _, _ := strings.Cut(v.BeneficiaryUSCC, " "); u != "" {
		v.BeneficiaryUSCC = u // "USCC name", as the search list shows a beneficiary
	}
	if v.BeneficiaryUSCC == "" {
		fe.Add(FXFieldBeneficiary, apperr.T("Choose the merchant or agent the money is for (its unified social credit code)",
			"请选择收款的经营户或外贸代理（统一社会信用代码）"))
	}
	return v, fe
}

// FXBeneficiary is a merchant or an agent money may be received for.
type FXBeneficiary struct {
	Kind   string // FXBeneficiaryMerchant or FXBeneficiaryAgent
	ID     int64
	USCC   string
	Name   string
	Status string
}

// Label is how lists show the beneficiary: its USCC and name.
func (b FXBeneficiary) Label() string { return b.USCC + " " + b.Name }

// fxBeneficiariesByUSCC finds merchants and agents by USCC; a merchant wins over an agent with
// the same code.
func fxBeneficiariesByUSCC(db *gorm.DB, usccs []string) (map[string]FXBeneficiary, error) {
	out := map[string]FXBeneficiary{}
	for start := 0; start < len(usccs); start += 500 {
		chunk := usccs[start:min(start+500, len(usccs))]
		var agents []models.Agent
		if err := db.Select("id, uscc, name, status").Where("uscc IN ?", chunk).Find(&agents).Error; err != nil {
			return nil, apperr.Wrap(err, "load agents")
		}
		for _, a := range agents {
			out[a.USCC] = FXBeneficiary{Kind: FXBeneficiaryAgent, ID: a.ID, USCC: a.USCC, Name: a.Name, Status: a.Status}
		}
		var merchants []models.Merchant
		if err := db.Select("id, uscc, name, status").Where("uscc IN ?", chunk).Find(&merchants).Error; err != nil {
			return nil, apperr.Wrap(err, "load merchants")
		}
		for _, m := range merchants {
			out[m.USCC] = FXBeneficiary{Kind: FXBeneficiaryMerchant, ID: m.ID, USCC: m.USCC, Name: m.Name, Status: m.Status}
		}
	}
	return out, nil
}

// fxBeneficiaryProblem says why a USCC cannot receive money, or returns a zero Text: SAFE 2020
// No. 11 lets a merchant registered on the platform (active) collect in its own name.
func fxBeneficiaryProblem(b FXBeneficiary, found bool, uscc string) apperr.Text {
	switch {
	case !found:
		return apperr.Tf("No merchant or agent has the unified social credit code %s", "没有统一社会信用代码为 %s 的经营户或外贸代理", uscc)
	case b.Status != models.MerchantActive:
		st := partyStatus(b.Status)
		return apperr.Tf("%[1]s is %[3]s; money can be recorded only for an active merchant or agent",
			"%[2]s当前状态为“%[4]s”，只能为正常经营的经营户或外贸代理登记收汇", b.Name, b.Name, st.En, st.Zh)
	}
	return apperr.Text{}
}

// MaxFXBeneficiaryMatches bounds the beneficiary search list.
const MaxFXBeneficiaryMatches = 20

// FXBeneficiaries searches active merchants and agents by USCC (prefix) or name (part), for the
// receipt form.
func (s *Service) FXBeneficiaries(ctx context.Context, actor Actor, q string) ([]FXBeneficiary, error) {
	if err := actor.Require(ActFXDesk); err != nil {
		return nil, err
	}
	q = partyText(foldText(q))
	if utf8.RuneCountInString(q) < 2 {
		return nil, nil
	}
	db := s.db.WithContext(ctx)
	like := "%" + escapeLike(strings.ToLower(q)) + "%"
	prefix := escapeLike(strings.ToUpper(q)) + "%"
	var out []FXBeneficiary
	var merchants []models.Merchant
	if err := db.Select("id, uscc, name, status").Where("status = ?", models.MerchantActive).
		Where("uscc LIKE ? ESCAPE '\\' OR LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(name_en) LIKE ? ESCAPE '\\'", prefix, like, like).
		Order("name, id").Limit(MaxFXBeneficiaryMatches).Find(&merchants).Error; err != nil {
		return nil, apperr.Wrap(err, "search merchants")
	}
	for _, m := range merchants {
		out = append(out, FXBeneficiary{Kind: FXBeneficiaryMerchant, ID: m.ID, USCC: m.USCC, Name: m.Name, Status: m.Status})
	}
	var agents []models.Agent
	if err := db.Select("id, uscc, name, status").Where("status = ?", models.MerchantActive).
		Where("uscc LIKE ? ESCAPE '\\' OR LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(name_en) LIKE ? ESCAPE '\\'", prefix, like, like).
		Order("name, id").Limit(MaxFXBeneficiaryMatches).Find(&agents).Error; err != nil {
		return nil, apperr.Wrap(err, "search agents")
	}
	for _, a := range agents {
		out = append(out, FXBeneficiary{Kind: FXBeneficiaryAgent, ID: a.ID, USCC: a.USCC, Name: a.Name, Status: a.Status})
	}
	return out[:min(len(out), MaxFXBeneficiaryMatches)], nil
}

// escapeLike escapes the LIKE wildcards of a search text (the queries say ESCAPE '\').
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// fxUnallocatedDays is the setting after how many days unallocated money is flagged (default 30).
func (s *Service) fxUnallocatedDays(ctx context.Context) (int, error) {
	v, found, err := models.GetSetting(ctx, s.db, models.SettingFXUnallocatedDays)
	if err != nil {
		return 0, err
	}
	if !found {
		return 30, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, apperr.Wrap(fmt.Errorf("not a number of days: %q", v), "setting "+models.SettingFXUnallocatedDays)
	}
	return n, nil
}

// fxToday is the Yiwu date of the actor's request.
func (s *Service) fxToday(actor Actor) string { return s.txnToday(actor) }

// fxReceiptAudit is what the audit log keeps of a receipt.
func fxReceiptAudit(r *models.FXReceipt) map[string]any {
	return map[string]any{"bank_ref": r.BankRef, "payer": r.PayerName, "payer_country": r.PayerCountry, "currency": r.Currency,
		"amount": r.Amount.String(), "allocated": r.Allocated.String(), "value_date": r.ValueDate,
		"beneficiary_merchant_id": r.BeneficiaryMerchantID, "beneficiary_agent_id": r.BeneficiaryAgentID,
		"flags": r.Flags, "statement_ref": r.StatementRef, "version": r.Version}
}

// fxReceiptFor builds the row of a checked receipt.
func fxReceiptFor(actor Actor, v fxReceiptValues, b FXBeneficiary, flags string, now time.Time) models.FXReceipt {
	r := models.FXReceipt{BankRef: v.BankRef, PayerName: v.Payer, PayerCountry: v.PayerCountry, Currency: v.Currency,
		Amount: v.Amount, ValueDate: v.ValueDate, Flags: flags, RecordedByUserID: actorUserRef(actor), Version: 1,
		CreatedAt: now, UpdatedAt: now}
	id := b.ID
	if b.Kind == FXBeneficiaryAgent {
		r.BeneficiaryAgentID = &id
	} else {
		r.BeneficiaryMerchantID = &id
	}
	return r
}

// fxBeneficiaryAudience is the notice audience of a beneficiary's users.
func fxBeneficiaryAudience(n *Notice, r *models.FXReceipt) {
	if r.BeneficiaryMerchantID != nil {
		n.MerchantIDs = append(n.MerchantIDs, *r.BeneficiaryMerchantID)
	}
	if r.BeneficiaryAgentID != nil {
		n.AgentIDs = append(n.AgentIDs, *r.BeneficiaryAgentID)
	}
}

// FXReceiptURL is the page of a receipt.
func FXReceiptURL(id int64) string { return "/fx/receipts/" + strconv.FormatInt(id, 10) }

func errFXDuplicateBankRef(ref string) apperr.Text {
	return apperr.Tf("A receipt with bank reference %s is already recorded", "银行编号为 %s 的收汇已登记", ref)
}

// RecordFXReceipt records money received for a merchant or an agent (DOMAIN §5.2): every field
// is checked and every problem named; the bank reference is unique. It is audited, and the
// beneficiary's users are notified.
func (s *Service) RecordFXReceipt(ctx context.Context, actor Actor, in FXReceiptInput) (*models.FXReceipt, error) {
	if err := actor.Require(ActFXDesk); err != nil {
		return nil, err
	}
	today := s.fxToday(actor)
	v, fe := checkFXReceipt(s.ref, in, today)
	db := s.db.WithContext(ctx)
	if !fxHasField(fe, FXFieldBankRef) {
		var n int64
		if err := db.Model(&models.FXReceipt{}).Where("bank_ref = ?", v.BankRef).Count(&n).Error; err != nil {
			return nil, apperr.Wrap(err, "check bank reference")
		}
		if n > 0 {
			fe.Add(FXFieldBankRef, errFXDuplicateBankRef(v.BankRef))
		}
	}
	var b FXBeneficiary
	if v.BeneficiaryUSCC != "" {
		found, err := fxBeneficiariesByUSCC(db, []string{v.BeneficiaryUSCC})
		if err != nil {
			return nil, err
		}
		var ok bool
		b, ok = found[v.BeneficiaryUSCC]
		if why := fxBeneficiaryProblem(b, ok, v.BeneficiaryUSCC); !why.IsZero() {
			fe.Add(FXFieldBeneficiary, why)
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	r := fxReceiptFor(actor, v, b, JoinFXFlags(map[string]bool{FXFlagUnallocated: UnallocatedTooLong(v.Amount, 0, v.ValueDate, today, days)}), now)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&r).Error; err != nil {
			if models.IsUniqueViolation(err) {
				return apperr.Field(FXFieldBankRef, errFXDuplicateBankRef(v.BankRef))
			}
			return apperr.Wrap(err, "insert receipt")
		}
		if err := s.audit(ctx, tx, actor, "fx_receipt", strconv.FormatInt(r.ID, 10), "create", nil, fxReceiptAudit(&r)); err != nil {
			return err
		}
		n := Notice{Kind: "fx.receipt_recorded", Link: FXReceiptURL(r.ID), Entity: "fx_receipt", EntityID: strconv.FormatInt(r.ID, 10),
			Text: apperr.Tf("The bank recorded %[1]s %[2]s received from %[3]s (ref. %[4]s) for you",
				"银行已为您登记收汇：%[3]s 汇入 %[1]s %[2]s（编号 %[4]s）", r.Amount.String(), r.Currency, r.PayerName, r.BankRef),
			Data: map[string]any{"bank_ref": r.BankRef, "currency": r.Currency, "amount": r.Amount.String(), "value_date": r.ValueDate}}
		fxBeneficiaryAudience(&n, &r)
		return s.notify(tx, actor, n)
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// fxHasField reports whether a field already has a problem.
func fxHasField(fe apperr.Fields, field string) bool {
	for _, f := range fe {
		if f.Field == field {
			return true
		}
	}
	return false
}
