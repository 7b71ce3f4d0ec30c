package workflow

import (
	"context"

	"mpt/models"
	"mpt/workflow/apperr"
)

// GroupTraceCode writes a trace code in two groups of five, as labels print it and people read
// it aloud: "ABCDE-FGHJK". Anything that is not a ten-character code is returned unchanged.
func GroupTraceCode(code string) string {
	if len(code) != TraceCodeLength {
		return code
	}
	return code[:5] + "-" + code[5:]
}

// TracePath is where a line's trace page is (it arrives with the traceability work): the QR
// code of a label opens it.
func TracePath(code string) string { return "/trace/" + code }

// TraceLabel is one printed trace label: a line's code, goods and quantities.
type TraceLabel struct {
	LineID     int64
	LineNo     int
	TraceCode  string
	SKU        string
	NameZh     string
	NameEn     string
	Quantity   models.Quantity
	Unit       string
	Cartons    int64
	NetGrams   models.Grams
	GrossGrams models.Grams
}

// Grouped is the label's code in two groups of five.
func (l TraceLabel) Grouped() string { return GroupTraceCode(l.TraceCode) }

// LabelSheet is the labels of a transaction (or of one of its lines) with what every label
// repeats: merchant, transaction number and date.
type LabelSheet struct {
	Transaction    models.Transaction
	MerchantName   string
	MerchantNameEn string
	Labels         []TraceLabel
}

// TransactionLabels returns the trace labels of a transaction the actor may see, one per line,
// or of one line when lineID > 0. A voided transaction's codes trace nothing any more: its labels
// are refused.
func (s *Service) TransactionLabels(ctx context.Context, actor Actor, transactionID, lineID int64) (*LabelSheet, error) {
	if err := actor.Require(ActTransactionView); err != nil {
		return nil, err
	}
	db := s.db.WithContext(ctx)
	sheet := &LabelSheet{}
	if err := scopedTransactions(db, actor).Where("transactions.id = ?", transactionID).Take(&sheet.Transaction).Error; err != nil {
		return nil, models.Translate(err, transactionNoun)
	}
	if sheet.Transaction.Status == models.TransactionVoided {
		return nil, apperr.New(apperr.Conflict, apperr.T("This transaction is voided; its trace labels are no longer valid", "该交易已作废，其溯源标签已失效"))
	}
	var m models.Merchant
	if err := db.Select("name, name_en").Where("id = ?", sheet.Transaction.MerchantID).Take(&m).Error; err != nil {
		return nil, apperr.Wrap(err, "label merchant")
	}
	sheet.MerchantName, sheet.MerchantNameEn = m.Name, m.NameEn
	q := db.Table("transaction_lines AS l").
		Select("l.id AS line_id, l.line_no, l.trace_code, g.sku, g.name_zh, g.name_en, l.quantity, l.unit, l.cartons, l.net_grams, l.gross_grams").
		Joins("JOIN goods g ON g.id = l.goods_id").Where("l.transaction_id = ?", transactionID)
	if lineID > 0 {
		q = q.Where("l.id = ?", lineID)
	}
	if err := q.Order("l.line_no").Scan(&sheet.Labels).Error; err != nil {
		return nil, apperr.Wrap(err, "labels")
	}
	if lineID > 0 && len(sheet.Labels) == 0 {
		return nil, apperr.New(apperr.NotFound, apperr.T(txnLineNoun.En+" not found", "未找到"+txnLineNoun.Zh))
	}
	return sheet, nil
}
