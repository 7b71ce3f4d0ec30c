package workflow

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// ---- FX receipts: bulk allocation (DOMAIN §5.2) ---------------------------------------------
//
// On a peak day the FX desk allocates about 100,000 buyer payments. A bank's or the desk's
// system sends them in calls of up to MaxFXBulkReceipts receipts, each receipt with its lines,
// under exactly the rules of one confirmation (AllocateFXReceipt, which is this path with one
// receipt): all of a call or nothing, in one write transaction of a few set statements.

// Limits of one bulk allocation call: a call holds SQLite's write lock for well under a second
// at 1,000 receipts of 10 lines; the limits keep the largest call within a few seconds.
const (
	MaxFXBulkReceipts = 5_000
	MaxFXBulkItems    = 50_000
)

// FXBulkAllocation is one receipt's allocations in a bulk call.
type FXBulkAllocation struct {
	ReceiptID int64
	Version   int64 // the receipt's version the caller saw; 0 takes the current one
	Items     []FXAllocationItem
}

// FXBulkResult is what a bulk call did: one confirmation per receipt, in the order sent.
type FXBulkResult struct {
	Receipts []FXAllocated
	Lines    int // allocation items written
}

// FXBulkField names a field of receipt i of a bulk call in errors: allocations[i].field.
func FXBulkField(i int, field string) string {
	return "allocations[" + strconv.Itoa(i) + "]." + field
}

// FXBulkItemField names a field of item j of receipt i: allocations[i].items[j].field.
func FXBulkItemField(i, j int, field string) string {
	return FXBulkField(i, "items["+strconv.Itoa(j)+"]."+field)
}

// AllocateFXBulk confirms the allocations of many receipts in one call (the bulk API), all or
// nothing in one database transaction, under the rules of AllocateFXReceipt for each receipt
// (the FX desk, the receipt's scope, its version, the lines it may pay, their currency and
// room, its money left, the transactions still open, the flags, one audit entry and one notice
// per receipt). A line paid by several receipts of the call must have room for all of them.
// Problems name their fields as allocations[i].receipt_id and allocations[i].items[j].line_id
// (trace_code when the item names the line so) or .amount, 0-based: every input problem of the
// call in one Invalid error; then a stale version is a conflict naming the receipt, a line
// without room one naming the item, and a total above a receipt's money left is invalid.
func (s *Service) AllocateFXBulk(ctx context.Context, actor Actor, in []FXBulkAllocation) (*FXBulkResult, error) {
	var out *FXBulkResult
	_, _, err := s.AllocateFXBulkOnce(ctx, actor, in, Idempotency{}, func(r *FXBulkResult) (Answer, error) {
		out = r
		return Answer{}, nil
	})
	return out, err
}

// AllocateFXBulkOnce is AllocateFXBulk with an Idempotency-Key, as IngestTransactionsOnce: a
// retry of the same request gets the stored answer again and allocates nothing.
func (s *Service) AllocateFXBulkOnce(ctx context.Context, actor Actor, in []FXBulkAllocation, idem Idempotency,
	answer func(*FXBulkResult) (Answer, error)) (Answer, bool, error) {
	if err := actor.Require(ActFXDesk); err != nil {
		return Answer{}, false, err
	}
	if err := fxBulkLimits(in); err != nil {
		return Answer{}, false, err
	}
	cs, err := s.checkFXBulk(ctx, actor, in)
	if err != nil {
		// A retry of a request that once went through gets its answer, though the lines it
		// filled would now refuse it.
		if ans, ok := s.replayIngest(ctx, actor, idem); ok {
			return ans, true, nil
		}
		return Answer{}, false, err
	}
	days, err := s.fxUnallocatedDays(ctx)
	if err != nil {
		return Answer{}, false, err
	}
	today := s.fxToday(actor)
	return idempotentCreate(ctx, s, actor, idem, func(tx *gorm.DB) (*FXBulkResult, error) {
		out, err := s.writeFXAllocations(ctx, tx, actor, cs, today, days)
		if err != nil {
			return nil, fxBulkRefusal(err, in, cs)
		}
		res := &FXBulkResult{Receipts: out}
		for k := range out {
			res.Lines += len(out[k].Lines)
		}
		return res, nil
	}, answer)
}

// fxBulkLimits refuses an empty call and one over the limits before anything is checked.
func fxBulkLimits(in []FXBulkAllocation) error {
	if len(in) == 0 {
		return apperr.Field("allocations", apperr.T("Send at least one receipt with the lines it pays", "请至少提交一笔收汇及其分配明细"))
	}
	if len(in) > MaxFXBulkReceipts {
		return apperr.Field("allocations", apperr.Tf("Send at most %[1]d receipts in one call (this one has %[2]d); split the rest into further calls",
			"每次最多提交 %[1]d 笔收汇（本次 %[2]d 笔），其余请分批提交", MaxFXBulkReceipts, len(in)))
	}
	n := 0
	for _, a := range in {
		n += len(a.Items)
	}
	if n > MaxFXBulkItems {
		return apperr.Field("allocations", apperr.Tf("Send at most %[1]d lines in one call (this one has %[2]d); split the rest into further calls",
			"每次最多提交 %[1]d 条分配明细（本次 %[2]d 条），其余请分批提交", MaxFXBulkItems, n))
	}
	return nil
}

// checkFXBulk reads the receipts (in the actor's scope) and the lines of a call with a few set
// queries, without locks, and checks every receipt's items (checkFXItems), each against what
// the earlier receipts of the call take of its lines.
func (s *Service) checkFXBulk(ctx context.Context, actor Actor, in []FXBulkAllocation) ([]fxConfirmation, error) {
	db := s.db.WithContext(ctx)
	ids := distinctIDs(len(in), func(i int) int64 { return in[i].ReceiptID })
	byID := make(map[int64]*models.FXReceipt, len(ids))
	err := forChunks(ids, func(chunk []int64) error {
		var rs []models.FXReceipt
		err := fxReceiptsScoped(db, db.Model(&models.FXReceipt{}), actor).Where("fx_receipts.id IN ?", chunk).Find(&rs).Error
		for i := range rs {
			byID[rs[i].ID] = &rs[i]
		}
		return err
	})
	if err != nil {
		return nil, apperr.Wrap(err, "load receipts")
	}
	var problems apperr.Fields
	receipts := make([]*models.FXReceipt, len(in))
	items := make([][]FXAllocationItem, len(in))
	first := map[int64]int{}
	for i, a := range in {
		r := byID[a.ReceiptID]
		at, twice := first[a.ReceiptID]
		switch {
		case r == nil:
			problems.Add(FXBulkField(i, "receipt_id"), apperr.Tf("There is no receipt with id %d", "没有编号为 %d 的收汇记录", a.ReceiptID))
		case twice:
			problems.Add(FXBulkField(i, "receipt_id"), apperr.Tf("Receipt %[1]d is also allocations[%[2]d]; send all its lines in one entry",
				"收汇 %[1]d 与 allocations[%[2]d] 重复，请将其全部明细放在同一项中提交", a.ReceiptID, at))
		default:
			first[a.ReceiptID] = i
			receipts[i], items[i] = r, a.Items
		}
	}
	lines, err := fxLoadPayables(db, slices.DeleteFunc(slices.Clone(receipts), func(r *models.FXReceipt) bool { return r == nil }), items)
	if err != nil {
		return nil, err
	}
	checks := make([]fxReceiptCheck, len(in))
	taken := map[int64]models.Money{}
	for i, a := range in {
		if receipts[i] == nil {
			continue
		}
		names := fxItemNames{list: FXBulkField(i, "items"), item: func(j int, field string) string {
			if field == "line" {
				field = "line_id"
				if a.Items[j].LineID <= 0 && strings.TrimSpace(a.Items[j].TraceCode) != "" {
					field = "trace_code"
				}
			}
			return FXBulkItemField(i, j, field)
		}}
		checks[i] = checkFXItems(receipts[i], a.Items, lines, names, taken)
		problems = append(problems, checks[i].problems...)
	}
	if err := fxBulkProblems(problems); err != nil {
		return nil, err
	}
	for i, a := range in {
		if a.Version > 0 && a.Version != receipts[i].Version {
			return nil, fxBulkStale(i, receipts[i])
		}
	}
	var over apperr.Fields
	for i := range checks {
		if c := &checks[i]; c.full != nil {
			return nil, fxBulkNamed(c.full, FXBulkItemField(i, c.fullAt, "amount"))
		}
		over = append(over, checks[i].over...)
	}
	if err := over.Err(); err != nil {
		return nil, err
	}
	cs := make([]fxConfirmation, len(in))
	for i, a := range in {
		cs[i] = fxConfirmation{receipt: receipts[i], version: a.Version, items: checks[i].items, total: checks[i].total}
	}
	return cs, nil
}

// fxBulkProblems is the refusal of a call's input problems: every one named, nothing allocated.
func fxBulkProblems(problems apperr.Fields) error {
	if len(problems) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Invalid, Fields: problems,
		Text: apperr.T("Please correct the marked fields; nothing was allocated", "请更正标出的字段；本次未作任何分配")}
}

// fxBulkStale is the conflict when receipt i changed since the caller read it.
func fxBulkStale(i int, r *models.FXReceipt) error {
	text := apperr.Tf("Receipt %[1]s (allocations[%[2]d]) was changed by someone else meanwhile; read it again and send its allocations again; nothing was allocated",
		"收汇 %[1]s（allocations[%[2]d]）已被他人修改，请重新读取后再提交；本次未作任何分配", r.BankRef, i)
	return &apperr.Error{Code: apperr.Conflict, Text: text, Fields: []apperr.FieldError{{Field: FXBulkField(i, "version"), Text: text}}}
}

// fxBulkNamed is a conflict of one confirmation with the field it concerns named.
func fxBulkNamed(err error, field string) error {
	ae := apperr.As(err)
	return &apperr.Error{Code: ae.Code, Text: ae.Text, Fields: []apperr.FieldError{{Field: field, Text: ae.Text}}, Err: ae.Err}
}

// fxBulkRefusal names the field of a refusal found while writing.
func fxBulkRefusal(err error, in []FXBulkAllocation, cs []fxConfirmation) error {
	var rf *fxRefusal
	switch {
	case !errors.As(err, &rf):
		return err
	case rf.err == errFXReceiptChanged:
		return fxBulkStale(rf.k, cs[rf.k].receipt)
	case rf.at >= 0:
		return fxBulkNamed(rf.err, FXBulkItemField(rf.k, rf.at, "amount"))
	}
	return fxBulkNamed(rf.err, FXBulkField(rf.k, "items"))
}

// updateFromValues runs "set FROM (VALUES …) AS v WHERE where AND idColumn IN (…) RETURNING
// returning" over rows of values whose first value is the row's id, as many rows a statement as
// keep it below 900 bound values, and returns the two integer columns it returns of each changed
// row. The values are v.column1, v.column2, … on both databases, each cast to its type (types)
// so that PostgreSQL knows it. set's arguments come before the values', where's after. The
// IN list repeats the ids so that SQLite looks the rows up by id: joined to the VALUES alone it
// read the whole table for each statement (106 ms for 450 of 1,000,000 lines, 16 ms by id).
func updateFromValues(tx *gorm.DB, set string, setArgs []any, types []string, rows [][]any, where string, whereArgs []any, idColumn, returning string) ([][2]int64, error) {
	tuple := make([]string, len(types))
	for i, t := range types {
		tuple[i] = "CAST(? AS " + t + ")"
	}
	row := "(" + strings.Join(tuple, ", ") + ")"
	per := max(1, 900/(len(types)+1))
	var out [][2]int64
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString(set)
		b.WriteString(" FROM (VALUES ")
		args := slices.Clone(setArgs)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(row)
			args = append(args, r...)
		}
		ids := make([]any, len(chunk))
		for i, r := range chunk {
			ids[i] = r[0]
		}
		b.WriteString(") AS v WHERE " + where + " AND " + idColumn + " IN ? RETURNING " + returning)
		res, err := tx.Raw(b.String(), append(append(args, whereArgs...), ids)...).Rows()
		if err != nil {
			return nil, err
		}
		for res.Next() {
			var v [2]int64
			if err := res.Scan(&v[0], &v[1]); err != nil {
				res.Close()
				return nil, err
			}
			out = append(out, v)
		}
		err = res.Err()
		res.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
