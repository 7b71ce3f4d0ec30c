package workflow

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// Containers and the packing list of a consolidation (装箱单, DOMAIN §3 step 3): which cartons and
// kilograms of which line went into which container. The rules are plain functions over plain
// values (PackAmount, ClosingProblems, PayloadProblem), checked when packing and when closing.

// ---- Pure rules -----------------------------------------------------------------------------

// PackAmount is cartons with their net and gross weight.
type PackAmount struct {
	Cartons    int64
	NetGrams   models.Grams
	GrossGrams models.Grams
}

// Add sums two amounts.
func (a PackAmount) Add(b PackAmount) PackAmount {
	return PackAmount{a.Cartons + b.Cartons, a.NetGrams + b.NetGrams, a.GrossGrams + b.GrossGrams}
}

// Sub is a minus b.
func (a PackAmount) Sub(b PackAmount) PackAmount {
	return PackAmount{a.Cartons - b.Cartons, a.NetGrams - b.NetGrams, a.GrossGrams - b.GrossGrams}
}

// IsZero reports whether nothing is in the amount.
func (a PackAmount) IsZero() bool { return a == PackAmount{} }

// Exceeds reports whether a is more than b in cartons, net or gross weight.
func (a PackAmount) Exceeds(b PackAmount) bool {
	return a.Cartons > b.Cartons || a.NetGrams > b.NetGrams || a.GrossGrams > b.GrossGrams
}

// Negative reports whether any part of a is below zero.
func (a PackAmount) Negative() bool { return a.Cartons < 0 || a.NetGrams < 0 || a.GrossGrams < 0 }

// text writes an amount as "12 cartons, net 9.6 kg, gross 10.4 kg" in both languages.
func (a PackAmount) text() apperr.Text {
	return apperr.Tf("%d carton(s), net %s kg, gross %s kg", "%d 箱，净重 %s 千克，毛重 %s 千克", a.Cartons, KgText(a.NetGrams), KgText(a.GrossGrams))
}

// KgText writes grams as kilograms without trailing zeros ("10.4", "3900").
func KgText(g models.Grams) string {
	s := g.Kg()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// PackingLineFacts is a filed line as the packing rules see it.
type PackingLineFacts struct {
	LineID int64
	Label  string // how messages name the line, e.g. "T20261129-0001 #2 EAR-001"
	Want   PackAmount
}

// ContainerFacts is a container as the packing rules see it.
type ContainerFacts struct {
	ID              int64
	Number          string
	SizeType        string
	TareGrams       models.Grams
	MaxPayloadGrams models.Grams // of its container type, configurable in container_types
}

// PackedFacts is one packing-list row: part of a line in a container.
type PackedFacts struct {
	ContainerID int64
	LineID      int64
	PackAmount
}

// The codes of closing problems.
const (
	ProblemNoLines       = "no_lines"
	ProblemNoContainers  = "no_containers"
	ProblemLineUnpacked  = "line_unpacked"
	ProblemLineShort     = "line_short"
	ProblemLineOver      = "line_over"
	ProblemEmptyBox      = "container_empty"
	ProblemOverweightBox = "container_overweight"
)

// ClosingProblem is one thing that blocks closing a consolidation, with what to fix.
type ClosingProblem struct {
	Code        string
	LineID      int64 // for line problems
	ContainerID int64 // for container problems
	Text        apperr.Text
}

// Field is the input the problem concerns: "line.ID", "container.ID", "lines" or "containers".
func (p ClosingProblem) Field() string {
	switch {
	case p.LineID > 0:
		return "line." + strconv.FormatInt(p.LineID, 10)
	case p.ContainerID > 0:
		return "container." + strconv.FormatInt(p.ContainerID, 10)
	case p.Code == ProblemNoContainers:
		return "containers"
	}
	return "lines"
}

// OverPack says why putting put of a line into a container, with elsewhere already packed in
// its other containers, would pack more than the line has; ok is false when it would not.
func OverPack(line PackingLineFacts, elsewhere, put PackAmount) (apperr.Text, bool) {
	total := elsewhere.Add(put)
	if !total.Exceeds(line.Want) {
		return apperr.Text{}, false
	}
	have, left := line.Want.text(), line.Want.Sub(elsewhere).text()
	return apperr.Tf("%[1]s: that packs more than the line has (%[2]s); at most %[3]s is left to pack",
		"%[1]s：超出该行的数量（%[4]s），最多还可装 %[5]s", line.Label, have.En, left.En, have.Zh, left.Zh), true
}

// PayloadProblem says why a container holding packed gross kilograms of goods is over its
// type's payload limit: the goods' gross weight plus the container's tare must not exceed the
// type's MaxPayloadGrams (the limit is configured in container_types).
func PayloadProblem(c ContainerFacts, packedGross models.Grams) (apperr.Text, bool) {
	total := packedGross + c.TareGrams
	if c.MaxPayloadGrams <= 0 || total <= c.MaxPayloadGrams {
		return apperr.Text{}, false
	}
	return apperr.Tf("Container %[1]s (%[2]s) would weigh %[3]s kg (goods %[4]s kg gross + tare %[5]s kg), over the limit of %[6]s kg for %[2]s by %[7]s kg; move goods to another container",
		"集装箱 %[1]s（%[2]s）总重 %[3]s 千克（货物毛重 %[4]s 千克 + 箱皮重 %[5]s 千克），超过 %[2]s 的限重 %[6]s 千克 %[7]s 千克，请将部分货物移至其他集装箱",
		c.Number, c.SizeType, KgText(total), KgText(packedGross), KgText(c.TareGrams), KgText(c.MaxPayloadGrams), KgText(total-c.MaxPayloadGrams)), true
}

// ClosingProblems lists what blocks closing a consolidation: at least one line and one
// container; every line packed exactly (cartons, net and gross kg equal the line's, not less and
// not more); no empty container; every container within its payload limit. Problems come in a
// fixed order: the consolidation, then lines in the given order, then containers.
func ClosingProblems(lines []PackingLineFacts, containers []ContainerFacts, packed []PackedFacts) []ClosingProblem {
	var out []ClosingProblem
	if len(lines) == 0 {
		out = append(out, ClosingProblem{Code: ProblemNoLines, Text: apperr.T(
			"No lines are filed yet: merchants file lines with the findBooking code, or allocate lines yourself",
			"尚未申报任何货物：请经营户凭组货编号申报，或由您分配货物")})
	}
	if len(containers) == 0 {
		out = append(out, ClosingProblem{Code: ProblemNoContainers, Text: apperr.T(
			"No container yet: add the container the goods are packed into", "尚无集装箱：请添加装货的集装箱")})
	}
	perLine := map[int64]PackAmount{}
	perBox := map[int64]PackAmount{}
	for _, p := range packed {
		perLine[p.LineID] = perLine[p.LineID].Add(p.PackAmount)
		perBox[p.ContainerID] = perBox[p.ContainerID].Add(p.PackAmount)
	}
	for _, l := range lines {
		got := perLine[l.LineID]
		switch {
		case got == l.Want:
		case got.IsZero():
			w := l.Want.text()
			out = append(out, ClosingProblem{Code: ProblemLineUnpacked, LineID: l.LineID, Text: apperr.Tf(
				"%[1]s is not packed: put its %[2]s into a container", "%[1]s 尚未装箱：请将其 %[3]s 装入集装箱", l.Label, w.En, w.Zh)})
		case got.Exceeds(l.Want):
			g, w := got.text(), l.Want.text()
			out = append(out, ClosingProblem{Code: ProblemLineOver, LineID: l.LineID, Text: apperr.Tf(
				"%[1]s is over-packed: %[2]s packed, but the line has %[3]s; correct the packing list",
				"%[1]s 装箱超量：已装 %[4]s，但该行只有 %[5]s，请更正装箱单", l.Label, g.En, w.En, g.Zh, w.Zh)})
		default:
			r := l.Want.Sub(got)
			if r.Negative() { // fewer cartons but more kilograms, or the other way round
				g, w := got.text(), l.Want.text()
				out = append(out, ClosingProblem{Code: ProblemLineOver, LineID: l.LineID, Text: apperr.Tf(
					"%[1]s does not match its packing: %[2]s packed, but the line has %[3]s; correct the packing list",
					"%[1]s 与装箱单不符：已装 %[4]s，但该行为 %[5]s，请更正装箱单", l.Label, g.En, w.En, g.Zh, w.Zh)})
				continue
			}
			rt := r.text()
			out = append(out, ClosingProblem{Code: ProblemLineShort, LineID: l.LineID, Text: apperr.Tf(
				"%[1]s is not fully packed: %[2]s still to pack", "%[1]s 未装完：还有 %[3]s 待装箱", l.Label, rt.En, rt.Zh)})
		}
	}
	for _, c := range containers {
		got := perBox[c.ID]
		if got.IsZero() {
			out = append(out, ClosingProblem{Code: ProblemEmptyBox, ContainerID: c.ID, Text: apperr.Tf(
				"Container %[1]s is empty: pack goods into it or remove it", "集装箱 %[1]s 为空：请装货或将其删除", c.Number)})
			continue
		}
		if why, bad := PayloadProblem(c, got.GrossGrams); bad {
			out = append(out, ClosingProblem{Code: ProblemOverweightBox, ContainerID: c.ID, Text: why})
		}
	}
	return out
}

// ---- Loading --------------------------------------------------------------------------------

// consolidationContainerRow is a container with its type.
type consolidationContainerRow struct {
	models.Container
	TypeNameEn      string
	TypeNameZh      string
	MaxPayloadGrams models.Grams
}

// loadConsolidationPacking loads a consolidation's containers (by id) and packing rows (by container, line).
func loadConsolidationPacking(db *gorm.DB, consolidationID int64) ([]consolidationContainerRow, []models.PackingLine, error) {
	var boxes []consolidationContainerRow
	err := db.Table("containers").
		Select("containers.*, ct.name_en AS type_name_en, ct.name_zh AS type_name_zh, ct.max_payload_grams").
		Joins("JOIN container_types ct ON ct.code = containers.size_type").
		Where("containers.consolidation_id = ?", consolidationID).Order("containers.id").Scan(&boxes).Error
	if err != nil {
		return nil, nil, err
	}
	var packed []models.PackingLine
	if len(boxes) > 0 {
		ids := make([]int64, len(boxes))
		for i, b := range boxes {
			ids[i] = b.ID
		}
		if err := db.Where("container_id IN ?", ids).Order("container_id, transaction_line_id").Find(&packed).Error; err != nil {
			return nil, nil, err
		}
	}
	return boxes, packed, nil
}

func consolidationLineLabel(l ConsolidatedLine) string {
	return l.TransactionNumber + " #" + strconv.Itoa(l.LineNo) + " " + l.SKU
}

func consolidationLineFacts(lines []ConsolidatedLine) []PackingLineFacts {
	out := make([]PackingLineFacts, len(lines))
	for i, l := range lines {
		out[i] = PackingLineFacts{LineID: l.LineID, Label: consolidationLineLabel(l), Want: l.Want()}
	}
	return out
}

func consolidationContainerFacts(boxes []consolidationContainerRow) []ContainerFacts {
	out := make([]ContainerFacts, len(boxes))
	for i, b := range boxes {
		out[i] = ContainerFacts{ID: b.ID, Number: b.Number, SizeType: b.SizeType, TareGrams: b.TareGrams, MaxPayloadGrams: b.MaxPayloadGrams}
	}
	return out
}

func packAmountOf(p models.PackingLine) PackAmount {
	return PackAmount{Cartons: p.Cartons, NetGrams: p.NetGrams, GrossGrams: p.GrossGrams}
}

func consolidationPackedFacts(packed []models.PackingLine) []PackedFacts {
	out := make([]PackedFacts, len(packed))
	for i, p := range packed {
		out[i] = PackedFacts{ContainerID: p.ContainerID, LineID: p.TransactionLineID, PackAmount: packAmountOf(p)}
	}
	return out
}

// consolidationPackingAudit is what the audit log keeps of packing rows.
func consolidationPackingAudit(packs []models.PackingLine) []map[string]any {
	out := make([]map[string]any, len(packs))
	for i, p := range packs {
		out[i] = map[string]any{"container_id": p.ContainerID, "line_id": p.TransactionLineID, "cartons": p.Cartons,
			"net_grams": p.NetGrams, "gross_grams": p.GrossGrams}
	}
	return out
}

// ContainerView is a container with its type, what is packed into it and whether it is within
// its payload limit.
type ContainerView struct {
	models.Container
	TypeNameEn      string
	TypeNameZh      string
	MaxPayloadGrams models.Grams
	Packed          PackAmount // of the rows the actor may see
	Rows            []PackedRow
	Overweight      bool
}

// TotalGrams is the packed gross weight plus the tare.
func (c ContainerView) TotalGrams() models.Grams { return c.Packed.GrossGrams + c.TareGrams }

// PackedRow is one packing-list row with its line.
type PackedRow struct {
	PackingID int64
	PackAmount
	Line ConsolidatedLine
}

// consolidationContainerViews joins containers, packing rows and the visible lines.
func consolidationContainerViews(boxes []consolidationContainerRow, packed []models.PackingLine, lines []ConsolidatedLine, visible map[int64]bool) []ContainerView {
	byID := map[int64]ConsolidatedLine{}
	for _, l := range lines {
		byID[l.LineID] = l
	}
	out := make([]ContainerView, len(boxes))
	for i, b := range boxes {
		v := ContainerView{Container: b.Container, TypeNameEn: b.TypeNameEn, TypeNameZh: b.TypeNameZh, MaxPayloadGrams: b.MaxPayloadGrams}
		var all models.Grams
		for _, p := range packed {
			if p.ContainerID != b.ID {
				continue
			}
			all += p.GrossGrams
			if !visible[p.TransactionLineID] {
				continue
			}
			v.Packed = v.Packed.Add(packAmountOf(p))
			v.Rows = append(v.Rows, PackedRow{PackingID: p.ID, PackAmount: packAmountOf(p), Line: byID[p.TransactionLineID]})
		}
		_, v.Overweight = PayloadProblem(consolidationContainerFacts([]consolidationContainerRow{b})[0], all)
		out[i] = v
	}
	return out
}

// ---- Containers -----------------------------------------------------------------------------

// ContainerInput is a container as the agent enters it.
type ContainerInput struct {
	Number   string // ISO 6346, checked by CheckContainerNumber
	SizeType string // a code of container_types (20GP, 40GP, 40HQ, …)
	SealNo   string
	TareKg   string // the tare printed on the container, in kg
}

// ContainerTypes lists the container sizes/types with their payload limits.
func (s *Service) ContainerTypes(ctx context.Context) ([]models.ContainerType, error) {
	var out []models.ContainerType
	err := s.db.WithContext(ctx).Order("teu, code").Find(&out).Error
	return out, apperr.Wrap(err, "container types")
}

// MaxTareKg bounds a container's tare weight.
const MaxTareKg = 10_000

// checkConsolidationContainer normalises and checks a container's fields against the container types.
func checkConsolidationContainer(tx *gorm.DB, in ContainerInput) (models.Container, error) {
	var fe apperr.Fields
	var out models.Container
	if v := CheckContainerNumber(in.Number); v.OK {
		out.Number = v.Value
	} else {
		fe.Add("number", v.Problem)
	}
	out.SizeType = normalize(in.SizeType)
	var n int64
	if err := tx.Model(&models.ContainerType{}).Where("code = ?", out.SizeType).Count(&n).Error; err != nil {
		return out, err
	}
	if n == 0 {
		fe.Add("size_type", apperr.T("Choose the container size/type from the list, e.g. 40HQ", "请从列表中选择箱型，例如 40HQ"))
	}
	out.SealNo = partyText(normalize(in.SealNo))
	if utf8.RuneCountInString(out.SealNo) > 40 {
		fe.Add("seal_no", apperr.T("Use at most 40 characters", "最多 40 个字符"))
	}
	raw := normalize(in.TareKg)
	tare, err := models.ParseKg(raw)
	switch {
	case raw == "":
		fe.Add("tare_kg", apperr.T("Enter the tare weight printed on the container, e.g. 3900", "请填写箱体上标注的皮重，例如 3900"))
	case err != nil || tare <= 0:
		fe.Add("tare_kg", apperr.T("Enter the tare in kilograms, a number above 0 with at most 3 decimals, e.g. 3900", "请以千克填写皮重，为大于 0 的数字，最多 3 位小数，例如 3900"))
	case tare > MaxTareKg*1000:
		fe.Add("tare_kg", apperr.Tf("A container's tare is at most %d kg; check the figure", "集装箱皮重最多 %d 千克，请核对", MaxTareKg))
	}
	out.TareGrams = tare
	return out, fe.Err()
}

var consolidationContainerNoun = apperr.T("Container", "集装箱")

func consolidationContainerAudit(c *models.Container) map[string]any {
	return map[string]any{"container_id": c.ID, "number": c.Number, "size_type": c.SizeType, "seal_no": c.SealNo, "tare_grams": c.TareGrams}
}

var errConsolidationContainerTwice = apperr.T("This container is already in this consolidation", "该集装箱已在本组货单中")

// AddContainer adds a container to one of the actor agent's open consolidations.
func (s *Service) AddContainer(ctx context.Context, actor Actor, consolidationID int64, in ContainerInput) (*models.Container, error) {
	var box models.Container
	_, err := s.changeOwnConsolidation(ctx, actor, consolidationID, 0, "add_container", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		clean, err := checkConsolidationContainer(tx, in)
		if err != nil {
			return nil, nil, err
		}
		var n int64
		if err := tx.Model(&models.Container{}).Where("consolidation_id = ? AND number = ?", c.ID, clean.Number).Count(&n).Error; err != nil {
			return nil, nil, err
		}
		if n > 0 {
			return nil, nil, apperr.Field("number", errConsolidationContainerTwice)
		}
		now := s.now()
		box = clean
		box.ConsolidationID, box.CreatedAt, box.UpdatedAt = c.ID, now, now
		if err := tx.Create(&box).Error; err != nil {
			if models.IsUniqueViolation(err) {
				return nil, nil, apperr.Field("number", errConsolidationContainerTwice)
			}
			return nil, nil, err
		}
		return nil, consolidationContainerAudit(&box), s.bumpConsolidation(tx, c, nil)
	})
	if err != nil {
		return nil, err
	}
	return &box, nil
}

// lockConsolidationContainer loads a container of a locked consolidation.
func lockConsolidationContainer(tx *gorm.DB, c *models.Consolidation, containerID int64) (*models.Container, error) {
	var box models.Container
	if err := tx.Where("id = ? AND consolidation_id = ?", containerID, c.ID).Take(&box).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, apperr.Field("container_id", apperr.T("Choose a container of this consolidation", "请选择本组货单的集装箱"))
		}
		return nil, err
	}
	return &box, nil
}

// Container returns one container of a consolidation the actor manages.
func (s *Service) Container(ctx context.Context, actor Actor, consolidationID, containerID int64) (*models.Container, *models.Consolidation, error) {
	if err := consolidationAgent(actor); err != nil {
		return nil, nil, err
	}
	db := s.db.WithContext(ctx)
	var c models.Consolidation
	if err := db.Where("id = ? AND agent_id = ?", consolidationID, actor.AgentID).Take(&c).Error; err != nil {
		return nil, nil, models.Translate(err, consolidationNoun)
	}
	var box models.Container
	if err := db.Where("id = ? AND consolidation_id = ?", containerID, c.ID).Take(&box).Error; err != nil {
		return nil, nil, models.Translate(err, consolidationContainerNoun)
	}
	return &box, &c, nil
}

// UpdateContainer changes a container of one of the actor agent's open consolidations.
func (s *Service) UpdateContainer(ctx context.Context, actor Actor, consolidationID, containerID int64, in ContainerInput) (*models.Container, error) {
	var box *models.Container
	_, err := s.changeOwnConsolidation(ctx, actor, consolidationID, 0, "edit_container", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		var err error
		if box, err = lockConsolidationContainer(tx, c, containerID); err != nil {
			if apperr.CodeOf(err) == apperr.Invalid {
				return nil, nil, models.Translate(gorm.ErrRecordNotFound, consolidationContainerNoun)
			}
			return nil, nil, err
		}
		clean, err := checkConsolidationContainer(tx, in)
		if err != nil {
			return nil, nil, err
		}
		var n int64
		if err := tx.Model(&models.Container{}).Where("consolidation_id = ? AND number = ? AND id <> ?", c.ID, clean.Number, box.ID).Count(&n).Error; err != nil {
			return nil, nil, err
		}
		if n > 0 {
			return nil, nil, apperr.Field("number", errConsolidationContainerTwice)
		}
		old := consolidationContainerAudit(box)
		box.Number, box.SizeType, box.SealNo, box.TareGrams, box.UpdatedAt = clean.Number, clean.SizeType, clean.SealNo, clean.TareGrams, s.now()
		if err := tx.Model(&models.Container{}).Where("id = ?", box.ID).Updates(map[string]any{"number": box.Number,
			"size_type": box.SizeType, "seal_no": box.SealNo, "tare_grams": box.TareGrams, "updated_at": box.UpdatedAt}).Error; err != nil {
			return nil, nil, err
		}
		return old, consolidationContainerAudit(box), s.bumpConsolidation(tx, c, nil)
	})
	if err != nil {
		return nil, err
	}
	return box, nil
}

// RemoveContainer removes a container, with what is packed in it, from one of the actor agent's
// open consolidations.
func (s *Service) RemoveContainer(ctx context.Context, actor Actor, consolidationID, containerID int64) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, consolidationID, 0, "remove_container", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		box, err := lockConsolidationContainer(tx, c, containerID)
		if err != nil {
			if apperr.CodeOf(err) == apperr.Invalid {
				return nil, nil, models.Translate(gorm.ErrRecordNotFound, consolidationContainerNoun)
			}
			return nil, nil, err
		}
		var packs []models.PackingLine
		if err := tx.Where("container_id = ?", box.ID).Order("transaction_line_id").Find(&packs).Error; err != nil {
			return nil, nil, err
		}
		if err := tx.Where("container_id = ?", box.ID).Delete(&models.PackingLine{}).Error; err != nil {
			return nil, nil, err
		}
		if err := tx.Delete(box).Error; err != nil {
			return nil, nil, err
		}
		old := consolidationContainerAudit(box)
		old["packing"] = consolidationPackingAudit(packs)
		return old, map[string]any{"version": c.Version + 1}, s.bumpConsolidation(tx, c, nil)
	})
}

// ---- Packing --------------------------------------------------------------------------------

// PackingEntry is how much of one line goes into the container: cartons and kilograms as typed.
// An entry with all three blank is left as it is; all zero takes the line out of the container.
type PackingEntry struct {
	LineID  int64
	Cartons string
	NetKg   string
	GrossKg string
}

// PackingInput sets, for one container, how much of each line it holds.
type PackingInput struct {
	ContainerID int64
	Entries     []PackingEntry
}

// consolidationPackState is the lines and packing of a locked consolidation.
type consolidationPackState struct {
	lines    []ConsolidatedLine
	byLine   map[int64]ConsolidatedLine
	packed   []models.PackingLine
	packedOf map[int64][]int // line id → indexes in packed
}

func loadConsolidationPackState(tx *gorm.DB, c *models.Consolidation) (*consolidationPackState, error) {
	lines, err := consolidatedLines(tx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	_, packed, err := loadConsolidationPacking(tx, c.ID)
	if err != nil {
		return nil, err
	}
	st := &consolidationPackState{lines: lines, byLine: make(map[int64]ConsolidatedLine, len(lines)), packed: packed,
		packedOf: make(map[int64][]int, len(packed))}
	for _, l := range lines {
		st.byLine[l.LineID] = l
	}
	for i, p := range packed {
		st.packedOf[p.TransactionLineID] = append(st.packedOf[p.TransactionLineID], i)
	}
	return st, nil
}

// in returns what of a line is packed in a container, and in the others.
func (st *consolidationPackState) in(containerID, lineID int64) (here, elsewhere PackAmount, row *models.PackingLine) {
	for _, i := range st.packedOf[lineID] {
		p := st.packed[i]
		if p.ContainerID == containerID {
			here, row = packAmountOf(p), &st.packed[i]
		} else {
			elsewhere = elsewhere.Add(packAmountOf(p))
		}
	}
	return here, elsewhere, row
}

// parseConsolidationPackEntry reads an entry's figures; blanks are 0.
func parseConsolidationPackEntry(fe *apperr.Fields, field string, e PackingEntry) (PackAmount, bool) {
	var a PackAmount
	ok := true
	if raw := normalize(e.Cartons); raw != "" {
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < 0 || n > 1_000_000 {
			fe.Add(field, apperr.T("Cartons: enter a whole number of cartons, 0 or more", "箱数：请填写不小于 0 的整数"))
			ok = false
		}
		a.Cartons = n
	}
	kg := func(raw string, into *models.Grams, what apperr.Text) {
		raw = normalize(raw)
		if raw == "" {
			return
		}
		g, err := models.ParseKg(raw)
		if err != nil || g < 0 || g > 100_000_000 {
			fe.Add(field, apperr.Tf("%[1]s: enter kilograms, 0 or more, with at most 3 decimals, e.g. 10.4", "%[2]s：请以千克填写不小于 0 的数字，最多 3 位小数，例如 10.4", what.En, what.Zh))
			ok = false
		}
		*into = g
	}
	kg(e.NetKg, &a.NetGrams, apperr.T("Net weight", "净重"))
	kg(e.GrossKg, &a.GrossGrams, apperr.T("Gross weight", "毛重"))
	if ok && a.NetGrams > a.GrossGrams {
		fe.Add(field, apperr.T("The net weight cannot be more than the gross weight", "净重不能大于毛重"))
		ok = false
	}
	return a, ok
}

// setConsolidationPacked writes the amount of a line in a container (deleting the row at zero);
// a new row is added to creates, for insertPacked to write with the others in batches.
func (s *Service) setConsolidationPacked(tx *gorm.DB, st *consolidationPackState, containerID, lineID int64, a PackAmount, creates *[]models.PackingLine) error {
	_, _, row := st.in(containerID, lineID)
	switch {
	case row != nil && a.IsZero():
		return tx.Delete(&models.PackingLine{}, row.ID).Error
	case row != nil:
		return tx.Model(&models.PackingLine{}).Where("id = ?", row.ID).
			Updates(map[string]any{"cartons": a.Cartons, "net_grams": a.NetGrams, "gross_grams": a.GrossGrams}).Error
	case !a.IsZero():
		*creates = append(*creates, models.PackingLine{ContainerID: containerID, TransactionLineID: lineID, Cartons: a.Cartons,
			NetGrams: a.NetGrams, GrossGrams: a.GrossGrams, CreatedAt: s.now()})
	}
	return nil
}

// insertPacked writes the new packing rows of a change, 200 to a statement.
func insertPacked(tx *gorm.DB, creates []models.PackingLine) error {
	if len(creates) == 0 {
		return nil
	}
	return tx.CreateInBatches(&creates, 200).Error
}

// SetPacking sets how much of each entry's line one container holds, in one of the actor
// agent's open consolidations. Every line must be filed in the consolidation, and no line may be
// packed beyond its cartons or kilograms over all containers (refused here, not only at closing).
func (s *Service) SetPacking(ctx context.Context, actor Actor, consolidationID int64, in PackingInput) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, consolidationID, 0, "pack", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		box, err := lockConsolidationContainer(tx, c, in.ContainerID)
		if err != nil {
			return nil, nil, err
		}
		st, err := loadConsolidationPackState(tx, c)
		if err != nil {
			return nil, nil, err
		}
		var fe apperr.Fields
		type change struct {
			lineID int64
			old    PackAmount
			put    PackAmount
		}
		var changes []change
		for _, e := range in.Entries {
			field := "line." + strconv.FormatInt(e.LineID, 10)
			if normalize(e.Cartons) == "" && normalize(e.NetKg) == "" && normalize(e.GrossKg) == "" {
				continue
			}
			l, filed := st.byLine[e.LineID]
			if !filed {
				fe.Add(field, apperr.T("This line is not in the consolidation", "该货物行不在本组货单中"))
				continue
			}
			put, ok := parseConsolidationPackEntry(&fe, field, e)
			if !ok {
				continue
			}
			here, elsewhere, _ := st.in(box.ID, e.LineID)
			if why, over := OverPack(PackingLineFacts{LineID: l.LineID, Label: consolidationLineLabel(l), Want: l.Want()}, elsewhere, put); over {
				fe.Add(field, why)
				continue
			}
			if put != here {
				changes = append(changes, change{e.LineID, here, put})
			}
		}
		if err := fe.Err(); err != nil {
			return nil, nil, err
		}
		if len(changes) == 0 {
			return nil, nil, apperr.Field("entries", apperr.T("Nothing changed: enter cartons and kilograms for at least one line", "没有改动：请至少为一行填写箱数和重量"))
		}
		var audit []map[string]any
		var creates []models.PackingLine
		for _, ch := range changes {
			if err := s.setConsolidationPacked(tx, st, box.ID, ch.lineID, ch.put, &creates); err != nil {
				return nil, nil, err
			}
			audit = append(audit, map[string]any{"line_id": ch.lineID, "old": ch.old, "new": ch.put})
		}
		if err := insertPacked(tx, creates); err != nil {
			return nil, nil, err
		}
		return nil, map[string]any{"container_id": box.ID, "number": box.Number, "changes": audit}, s.bumpConsolidation(tx, c, nil)
	})
}

// PackRest puts what is left of a line (lineID > 0) or of every line (lineID 0) into one
// container of the actor agent's open consolidation: "pack the rest into container X".
func (s *Service) PackRest(ctx context.Context, actor Actor, consolidationID, containerID, lineID int64) (*models.Consolidation, error) {
	return s.changeOwnConsolidation(ctx, actor, consolidationID, 0, "pack_rest", true, func(tx *gorm.DB, c *models.Consolidation) (any, any, error) {
		box, err := lockConsolidationContainer(tx, c, containerID)
		if err != nil {
			return nil, nil, err
		}
		st, err := loadConsolidationPackState(tx, c)
		if err != nil {
			return nil, nil, err
		}
		if lineID > 0 {
			if _, filed := st.byLine[lineID]; !filed {
				return nil, nil, models.Translate(gorm.ErrRecordNotFound, apperr.T("Line", "货物行"))
			}
		}
		var audit []map[string]any
		var creates []models.PackingLine
		for _, l := range st.lines {
			if lineID > 0 && l.LineID != lineID {
				continue
			}
			here, elsewhere, _ := st.in(box.ID, l.LineID)
			rest := l.Want().Sub(elsewhere).Sub(here)
			if rest.IsZero() || rest.Negative() {
				continue
			}
			put := here.Add(rest)
			if err := s.setConsolidationPacked(tx, st, box.ID, l.LineID, put, &creates); err != nil {
				return nil, nil, err
			}
			audit = append(audit, map[string]any{"line_id": l.LineID, "old": here, "new": put})
		}
		if len(audit) == 0 {
			return nil, nil, apperr.New(apperr.Invalid, apperr.T("Nothing is left to pack", "没有待装箱的货物"))
		}
		if err := insertPacked(tx, creates); err != nil {
			return nil, nil, err
		}
		return nil, map[string]any{"container_id": box.ID, "number": box.Number, "changes": audit}, s.bumpConsolidation(tx, c, nil)
	})
}
