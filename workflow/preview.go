package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"mpt/models"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// PreviewInput is what `mpt declare` reads: the settings the rules use and the lines to
// declare. Numbers may be JSON numbers or decimal strings.
type PreviewInput struct {
	CapUSD             *Decimal      `json:"cap_usd"`
	MaxItems           *int          `json:"max_items"`
	IneligiblePrefixes []string      `json:"ineligible_prefixes"`
	NoSimplifyPrefixes []string      `json:"no_simplify_prefixes"`
	Lines              []PreviewLine `json:"lines"`
}

// PreviewLine is one line of a preview, in US dollars.
type PreviewLine struct {
	ID        string  `json:"id"`
	Buyer     string  `json:"buyer"`
	HS        string  `json:"hs"`
	Name      string  `json:"name"`
	Spec      string  `json:"spec"`
	LegalUnit string  `json:"legal_unit"`
	Qty       Decimal `json:"qty"`
	ValueUSD  Decimal `json:"value_usd"`
	NetKg     Decimal `json:"net_kg"`
	GrossKg   Decimal `json:"gross_kg"`
}

// Decimal is a number given as a JSON number or a decimal string, kept as its text so that it is
// parsed exactly (never through a float).
type Decimal string

// UnmarshalJSON accepts 12, 12.5 and "12.50".
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*d = Decimal(strings.TrimSpace(s))
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*d = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("%s is not a number", b)
	}
	*d = Decimal(n.String())
	return nil
}

// PreviewOutput is what `mpt declare` writes.
type PreviewOutput struct {
	Declarations []PreviewDeclaration `json:"declarations"`
}

// PreviewDeclaration is one declaration of a preview.
type PreviewDeclaration struct {
	Buyer    string        `json:"buyer"`
	TotalUSD string        `json:"total_usd"`
	Items    []PreviewItem `json:"items"`
}

// PreviewItem is one item of a preview declaration.
type PreviewItem struct {
	No         int                `json:"no"`
	HS         string             `json:"hs"`
	Name       string             `json:"name"`
	LegalUnit  string             `json:"legal_unit"`
	Qty        string             `json:"qty"`
	ValueUSD   string             `json:"value_usd"`
	NetKg      string             `json:"net_kg"`
	GrossKg    string             `json:"gross_kg"`
	Merged     bool               `json:"merged"`
	MixedUnits bool               `json:"mixed_units"`
	ByUnit     []PreviewUnitTotal `json:"qty_by_unit,omitempty"`
	Lines      []string           `json:"lines"`
}

// PreviewUnitTotal is a per-unit quantity of a merged item whose lines mix legal units.
type PreviewUnitTotal struct {
	Unit string `json:"unit"`
	Qty  string `json:"qty"`
}

// Default preview settings: the app's defaults (DOMAIN §4).
const (
	DefaultCapUSD   = models.Money(150_000_00)
	DefaultMaxItems = 50
)

// ReadPreviewInput decodes the JSON of `mpt declare`, refusing unknown fields so that a typo in
// a key is reported rather than ignored.
func ReadPreviewInput(r io.Reader) (*PreviewInput, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var in PreviewInput
	if err := dec.Decode(&in); err != nil {
		return nil, apperr.New(apperr.Invalid, apperr.Tf("The input is not valid JSON for mpt declare: %v", "输入不是 mpt declare 可读的 JSON：%v", err))
	}
	return &in, nil
}

// PreviewDeclarations runs the declaration rules without a database: it checks every line
// (the first problem found names the line id and the field), sets not-simplifiable lines
// aside, splits by buyer, cap and item limit, and simplifies each declaration, exactly as the
// app does. Buyers are ordered by their id as text; ties between lines are broken by their
// position in the input.
func PreviewDeclarations(ref *refdata.Set, in *PreviewInput) (*PreviewOutput, error) {
	capUSD := DefaultCapUSD
	if in.CapUSD != nil {
		v, err := models.ParseMoney(string(*in.CapUSD))
		if err != nil || v <= 0 {
			return nil, apperr.Field("cap_usd", apperr.T("cap_usd must be a positive amount with at most 2 decimals", "cap_usd 必须是正数，最多 2 位小数"))
		}
		capUSD = v
	}
	maxItems := DefaultMaxItems
	if in.MaxItems != nil {
		if *in.MaxItems < 1 {
			return nil, apperr.Field("max_items", apperr.T("max_items must be at least 1", "max_items 至少为 1"))
		}
		maxItems = *in.MaxItems
	}
	if len(in.Lines) == 0 {
		return nil, apperr.Field("lines", apperr.T("Give at least one line", "请至少提供一条明细"))
	}
	prefixes := make([]models.HSPrefix, 0, len(in.IneligiblePrefixes)+len(in.NoSimplifyPrefixes))
	for _, p := range in.IneligiblePrefixes {
		prefixes = append(prefixes, models.HSPrefix{List: models.ListIneligible, Prefix: strings.TrimSpace(p),
			ReasonEn: "on the ineligible list", ReasonZh: "属于不可适用清单"})
	}
	for _, p := range in.NoSimplifyPrefixes {
		prefixes = append(prefixes, models.HSPrefix{List: models.ListNotSimplifiable, Prefix: strings.TrimSpace(p)})
	}

	buyers := map[string]int64{}
	var buyerNames []string
	ids := map[string]bool{}
	lines := make([]DeclLine, 0, len(in.Lines))
	for i, pl := range in.Lines {
		l, err := previewLine(ref, prefixes, i, pl, ids)
		if err != nil {
			return nil, err
		}
		if _, ok := buyers[pl.Buyer]; !ok {
			buyers[pl.Buyer] = 0
			buyerNames = append(buyerNames, pl.Buyer)
		}
		lines = append(lines, l)
	}
	slices.Sort(buyerNames)
	for i, b := range buyerNames {
		buyers[b] = int64(i + 1)
	}
	for i := range lines {
		lines[i].BuyerID = buyers[in.Lines[i].Buyer]
	}

	groups, refused := SplitDeclarations(lines, capUSD, maxItems)
	if len(refused) > 0 {
		r := refused[0]
		id := in.Lines[r.LineID-1].ID
		return nil, apperr.Field("lines["+id+"].value_usd", apperr.T("line "+id+": "+r.Reason.En, "明细 "+id+"："+r.Reason.Zh))
	}
	out := &PreviewOutput{Declarations: make([]PreviewDeclaration, 0, len(groups))}
	for _, g := range groups {
		d := PreviewDeclaration{Buyer: buyerNames[g.BuyerID-1], TotalUSD: g.ValueUSD.String()}
		for _, it := range g.Items {
			pi := PreviewItem{No: it.No, HS: it.HSCode, Name: it.Name, LegalUnit: it.LegalUnit,
				Qty: trimZeros(it.Quantity.String()), ValueUSD: it.ValueUSD.String(),
				NetKg: trimZeros(it.NetGrams.Kg()), GrossKg: trimZeros(it.GrossGrams.Kg()),
				Merged: it.Kind == models.ItemMerged, MixedUnits: it.MixedUnits}
			for _, u := range it.ByUnit {
				pi.ByUnit = append(pi.ByUnit, PreviewUnitTotal{Unit: u.Unit, Qty: trimZeros(u.Quantity.String())})
			}
			for _, l := range it.Lines {
				pi.Lines = append(pi.Lines, in.Lines[l.LineID-1].ID)
			}
			d.Items = append(d.Items, pi)
		}
		out.Declarations = append(out.Declarations, d)
	}
	return out, nil
}

// previewLine checks one input line and turns it into a DeclLine (LineID = position + 1). A
// line's quantity and masses have the app's limits (MaxLineQuantity, MaxLineGrams), so that the
// sums of a declaration's items cannot overflow.
func previewLine(ref *refdata.Set, prefixes []models.HSPrefix, i int, pl PreviewLine, ids map[string]bool) (DeclLine, error) {
	id := strings.TrimSpace(pl.ID)
	name := fmt.Sprintf("line %d", i+1)
	if id != "" {
		name = "line " + id
	}
	bad := func(field, en, zh string) (DeclLine, error) {
		return DeclLine{}, apperr.Field(fmt.Sprintf("lines[%s].%s", idOr(id, i), field),
			apperr.T(name+": "+field+": "+en, strings.Replace(name, "line", "明细", 1)+"："+field+"："+zh))
	}
	switch {
	case id == "":
		return bad("id", "every line needs an id", "每条明细都需要 id")
	case ids[id]:
		return bad("id", "the id is used twice", "id 重复")
	case strings.TrimSpace(pl.Buyer) == "":
		return bad("buyer", "give the buyer", "请填写采购商")
	case strings.TrimSpace(pl.Name) == "":
		return bad("name", "give the goods name", "请填写商品名称")
	}
	ids[id] = true
	v := CheckHSCode(ref, pl.HS)
	if !v.OK {
		return bad("hs", v.Problem.En, v.Problem.Zh)
	}
	if reason, hit := IneligibleReason(prefixes, v.Value); hit {
		return bad("hs", "ineligible for mode 1039: "+reason.En, "不能以 1039 方式申报："+reason.Zh)
	}
	unit := strings.TrimSpace(pl.LegalUnit)
	if _, ok := ref.Unit(unit); !ok {
		return bad("legal_unit", "not a customs unit code (e.g. 007 for pieces, 035 for kg)", "不是海关计量单位代码（如 007 个、035 千克）")
	}
	qty, err := models.ParseQuantity(string(pl.Qty))
	if err != nil || qty <= 0 || qty > MaxLineQuantity {
		return bad("qty", "a positive number with at most 3 decimals, at most 100,000,000", "须为正数，最多 3 位小数，不超过 100,000,000")
	}
	value, err := models.ParseMoney(string(pl.ValueUSD))
	if err != nil || value < 0 {
		return bad("value_usd", "an amount with at most 2 decimals", "须为金额，最多 2 位小数")
	}
	net, err := models.ParseKg(string(pl.NetKg))
	if err != nil || net < 0 || net > MaxLineGrams {
		return bad("net_kg", "kilograms with at most 3 decimals, at most 10,000,000", "须为千克数，最多 3 位小数，不超过 10,000,000")
	}
	gross, err := models.ParseKg(string(pl.GrossKg))
	if err != nil || gross < net || gross > MaxLineGrams {
		return bad("gross_kg", "kilograms with at most 3 decimals, not less than net_kg, at most 10,000,000", "须为千克数，最多 3 位小数，不小于净重且不超过 10,000,000")
	}
	_, notSimple := NotSimplifiableReason(prefixes, v.Value)
	return DeclLine{LineID: int64(i + 1), HSCode: v.Value, Name: strings.TrimSpace(pl.Name), Spec: strings.TrimSpace(pl.Spec),
		LegalUnit: unit, Quantity: qty, Value: value, ValueUSD: value, NetGrams: net, GrossGrams: gross,
		NotSimplifiable: notSimple}, nil
}

func idOr(id string, i int) string {
	if id != "" {
		return id
	}
	return fmt.Sprint(i + 1)
}

// trimZeros shows a fixed-point decimal without trailing zeros ("10.500" → "10.5", "12.000" →
// "12"), as quantities and kilograms are written.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
