package demo

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow"
)

// FlowSummary counts what Flow took through the later steps.
type FlowSummary struct {
	Consolidations, Declarations int
	Submitted, Accepted          int // left waiting at customs: to accept, in a lane
	Released, Exited             int
	Receipts, Filings            int
}

// String reads as one line of the start-up message.
func (f *FlowSummary) String() string {
	return fmt.Sprintf("%d consolidations, %d declarations (%d waiting for customs, %d in a lane, %d released, %d exited), %d FX receipt(s), %d VAT exemption filing(s)",
		f.Consolidations, f.Declarations, f.Submitted, f.Accepted, f.Released, f.Exited, f.Receipts, f.Filings)
}

// flowBuyersPerAgent is how many buyers' goods each agent consolidates in the demo (a
// watch-listed buyer among its merchants' customers counts as one of them).
const flowBuyersPerAgent = 3

// flowDestinations are where the demo's containers sail: country of arrival and port.
var flowDestinations = [][2]string{{"AE", "Jebel Ali"}, {"RU", "Novorossiysk"}, {"NG", "Lagos (Apapa)"}}

// flowLinesPerBuyer bounds the lines of one buyer in a consolidation.
const flowLinesPerBuyer = 40

// Flow takes part of the demo's trade through the later steps with the real service, as the
// people would, so that every desk has work waiting and every record has history: each agent
// consolidates the goods of a few buyers, packs and closes them, generates and submits the
// declarations; customs leaves some waiting, accepts others (routing them; a watch-listed
// buyer's go red and wait for the inspector) and, for the rest, records red-lane inspections,
// releases and confirms exit; the FX desk records a
// receipt from each exited declaration's buyer and allocates it; one merchant files its VAT
// exemption for the month. Lanes are drawn at random as in production, so two demo databases
// differ from here on.
func Flow(ctx context.Context, svc *workflow.Service, db *gorm.DB) (*FlowSummary, error) {
	sum := &FlowSummary{}
	var agents []models.Agent
	if err := db.WithContext(ctx).Where("status = ?", "active").Order("id").Find(&agents).Error; err != nil {
		return nil, err
	}
	var decls []models.Declaration
	for i, a := range agents {
		actor, err := flowUser(ctx, svc, db, "agent_id = ?", a.ID)
		if err != nil {
			return nil, err
		}
		ds, err := flowConsolidate(ctx, svc, db, actor, i)
		if err != nil {
			return nil, fmt.Errorf("demo flow, agent %s: %w", a.Name, err)
		}
		if len(ds) > 0 {
			sum.Consolidations++
		}
		decls = append(decls, ds...)
	}
	sum.Declarations = len(decls)
	customs, err := svc.ActAs(ctx, "customs")
	if err != nil {
		return nil, err
	}
	var watched []int64
	if err := db.WithContext(ctx).Model(&models.Buyer{}).Where("watch_listed = ?", true).Pluck("id", &watched).Error; err != nil {
		return nil, err
	}
	var exited []models.Declaration
	for i, d := range decls {
		switch {
		case i%4 == 0 && !slices.Contains(watched, d.BuyerID):
			sum.Submitted++
			continue
		case i%4 == 1 || slices.Contains(watched, d.BuyerID):
			// A watch-listed buyer's goods go red: their inspection waits for the inspector.
			if _, err := svc.AcceptDeclaration(ctx, customs, d.ID, d.Version); err != nil {
				return nil, fmt.Errorf("demo flow, accept %s: %w", d.PreEntryNo, err)
			}
			sum.Accepted++
			continue
		}
		// Exit confirmed for all but one released declaration, once two have left.
		out, err := flowClear(ctx, svc, db, customs, d, len(exited) >= 2 && sum.Released == 0)
		if err != nil {
			return nil, fmt.Errorf("demo flow, clear %s: %w", d.PreEntryNo, err)
		}
		switch out.Status {
		case models.DeclarationExited:
			sum.Exited++
			exited = append(exited, *out)
		case models.DeclarationReleased:
			sum.Released++
		default:
			sum.Accepted++
		}
	}
	fx, err := svc.ActAs(ctx, "fx")
	if err != nil {
		return nil, err
	}
	filers := map[int64]bool{}
	for i, d := range exited {
		n, merchant, err := flowReceipt(ctx, svc, db, fx, d, i)
		if err != nil {
			return nil, fmt.Errorf("demo flow, receipt for %s: %w", d.PreEntryNo, err)
		}
		sum.Receipts += n
		if merchant != 0 {
			filers[merchant] = true
		}
	}
	// The first merchant with exited goods files its exemption for this month.
	ids := make([]int64, 0, len(filers))
	for id := range filers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > 0 {
		merchant, err := flowUser(ctx, svc, db, "merchant_id = ?", ids[0])
		if err != nil {
			return nil, err
		}
		f, err := svc.BuildTaxFiling(ctx, merchant, workflow.TaxFilingInput{MerchantID: ids[0], Period: svc.CurrentMonth()})
		if err != nil {
			return nil, fmt.Errorf("demo flow, VAT filing: %w", err)
		}
		if _, err := svc.FileTaxFiling(ctx, merchant, f.ID, f.Version); err != nil {
			return nil, fmt.Errorf("demo flow, file VAT filing: %w", err)
		}
		sum.Filings++
	}
	return sum, nil
}

// flowUser is the first enabled user matching a condition, as the service sees them.
func flowUser(ctx context.Context, svc *workflow.Service, db *gorm.DB, cond string, arg any) (workflow.Actor, error) {
	var u models.User
	if err := db.WithContext(ctx).Where(cond+" AND disabled = ?", arg, false).Order("id").Take(&u).Error; err != nil {
		return workflow.Actor{}, fmt.Errorf("demo flow: no user where %s %v: %w", cond, arg, err)
	}
	return svc.ActAs(ctx, u.Username)
}

// flowLine is a registered, unconsolidated line an agent may allocate.
type flowLine struct {
	ID         int64
	BuyerID    int64
	GrossGrams int64
}

// flowConsolidate opens a consolidation for the agent's busiest buyers, allocates their lines,
// packs them into as many 40HQ containers as their weight needs, closes it, generates the
// declarations, acknowledges the warnings and submits every declaration without errors.
func flowConsolidate(ctx context.Context, svc *workflow.Service, db *gorm.DB, agent workflow.Actor, n int) ([]models.Declaration, error) {
	var lines []flowLine
	err := db.WithContext(ctx).Table("transaction_lines AS tl").Select("tl.id, t.buyer_id, tl.gross_grams").
		Joins("JOIN transactions t ON t.id = tl.transaction_id").
		Joins("JOIN goods g ON g.id = tl.goods_id").
		Where("t.status = ? AND g.status = ?", models.TransactionRegistered, models.GoodsRecognised).
		Where("t.merchant_id IN (SELECT merchant_id FROM entrustments WHERE agent_id = ? AND ended_at IS NULL AND starts_on <= ?)",
			agent.AgentID, svc.EntrustmentToday()).
		Where("tl.id NOT IN (SELECT transaction_line_id FROM consolidation_lines)").
		Order("tl.id").Scan(&lines).Error
	if err != nil {
		return nil, err
	}
	byBuyer := map[int64][]flowLine{}
	var buyers []int64
	for _, l := range lines {
		if len(byBuyer[l.BuyerID]) == 0 {
			buyers = append(buyers, l.BuyerID)
		}
		byBuyer[l.BuyerID] = append(byBuyer[l.BuyerID], l)
	}
	var watched []int64
	if err := db.WithContext(ctx).Model(&models.Buyer{}).Where("watch_listed = ?", true).Pluck("id", &watched).Error; err != nil {
		return nil, err
	}
	// The busiest buyers first, and a watch-listed buyer before them, so customs has a red lane.
	sort.SliceStable(buyers, func(i, j int) bool {
		wi, wj := slices.Contains(watched, buyers[i]), slices.Contains(watched, buyers[j])
		if wi != wj {
			return wi
		}
		return len(byBuyer[buyers[i]]) > len(byBuyer[buyers[j]])
	})
	var picked []flowLine
	for i, b := range buyers {
		if i == flowBuyersPerAgent {
			break
		}
		ls := byBuyer[b]
		picked = append(picked, ls[:min(len(ls), flowLinesPerBuyer)]...)
	}
	if len(picked) == 0 {
		return nil, nil
	}
	dest := flowDestinations[n%len(flowDestinations)]
	c, err := svc.OpenConsolidation(ctx, agent, workflow.ConsolidationInput{DestinationCountry: dest[0], DestinationPort: dest[1],
		TransportMode: "2", TradeTerms: "FOB", ExitPort: "Ningbo", StuffingPlace: "义乌国际陆港监管场站"})
	if err != nil {
		return nil, fmt.Errorf("open consolidation: %w", err)
	}
	ids := make([]int64, len(picked))
	for i, l := range picked {
		ids[i] = l.ID
	}
	if _, _, err := svc.AllocateLines(ctx, agent, c.ID, ids); err != nil {
		return nil, fmt.Errorf("allocate lines: %w", err)
	}
	// Containers of at most 20 t of goods each, well under a 40HQ's payload.
	const perBox = 20_000_000
	var box *models.Container
	var load int64
	for _, l := range picked {
		if box == nil || load+l.GrossGrams > perBox {
			no, err := flowContainerNumber(n*100 + int(c.ID)*10 + len(ids)%10 + int(load%7))
			if err != nil {
				return nil, err
			}
			if box, err = svc.AddContainer(ctx, agent, c.ID, workflow.ContainerInput{Number: no, SizeType: "40HQ",
				SealNo: fmt.Sprintf("YW%06d", c.ID*1000+int64(n)), TareKg: "3900"}); err != nil {
				return nil, fmt.Errorf("add container %s: %w", no, err)
			}
			load = 0
		}
		if _, err := svc.PackRest(ctx, agent, c.ID, box.ID, l.ID); err != nil {
			return nil, fmt.Errorf("pack line %d: %w", l.ID, err)
		}
		load += l.GrossGrams
	}
	if err := db.WithContext(ctx).Take(c, c.ID).Error; err != nil {
		return nil, err
	}
	if _, err := svc.CloseConsolidation(ctx, agent, c.ID, c.Version); err != nil {
		return nil, fmt.Errorf("close consolidation: %w", err)
	}
	res, err := svc.GenerateDeclarations(ctx, agent, c.ID)
	if err != nil {
		return nil, fmt.Errorf("generate declarations: %w", err)
	}
	var out []models.Declaration
	for _, d := range res.Declarations {
		detail, err := svc.Declaration(ctx, agent, d.ID)
		if err != nil {
			return nil, err
		}
		blocked := false
		for _, f := range detail.Findings {
			if f.Severity == models.SeverityError {
				blocked = true
			} else if f.AcknowledgedAt == nil {
				if _, err := svc.AcknowledgeFinding(ctx, agent, d.ID, f.ID); err != nil {
					return nil, err
				}
			}
		}
		if blocked {
			continue
		}
		sub, err := svc.SubmitDeclaration(ctx, agent, d.ID, workflow.SubmitInput{SignerName: agent.DisplayName, SignerRole: "报关员", Statement: true})
		if err != nil {
			return nil, fmt.Errorf("submit %s: %w", d.PreEntryNo, err)
		}
		out = append(out, *sub)
	}
	return out, nil
}

// flowContainerNumber makes a valid ISO 6346 number of the demo's shipping line.
func flowContainerNumber(serial int) (string, error) {
	first := fmt.Sprintf("YWMU%06d", 390000+serial%100000)
	digit, ok := workflow.ContainerCheckDigit(first)
	if !ok {
		return "", fmt.Errorf("container number %s", first)
	}
	return fmt.Sprintf("%s%d", first, digit), nil
}

// flowClear accepts a declaration and takes it as far as its lane allows: a red lane's
// inspection is recorded as conforming by its inspector; yellow waits for the agent's
// documents; then release, and exit unless keepReleased.
func flowClear(ctx context.Context, svc *workflow.Service, db *gorm.DB, customs workflow.Actor, d models.Declaration, keepReleased bool) (*models.Declaration, error) {
	out, err := svc.AcceptDeclaration(ctx, customs, d.ID, d.Version)
	if err != nil {
		return nil, err
	}
	switch out.Lane {
	case workflow.LaneYellow:
		return out, nil
	case workflow.LaneRed:
		var in models.Inspection
		if err := db.WithContext(ctx).Where("declaration_id = ?", d.ID).Order("id DESC").Take(&in).Error; err != nil {
			return nil, err
		}
		var u models.User
		if err := db.WithContext(ctx).Take(&u, in.InspectorUserID).Error; err != nil {
			return nil, err
		}
		inspector, err := svc.ActAs(ctx, u.Username)
		if err != nil {
			return nil, err
		}
		if _, err := svc.RecordInspection(ctx, inspector, in.ID, workflow.CustomsFindingInput{Result: workflow.CustomsConform,
			Findings: "货证相符"}); err != nil {
			return nil, err
		}
		if err := db.WithContext(ctx).Take(out, d.ID).Error; err != nil {
			return nil, err
		}
	}
	if out, err = svc.ReleaseDeclaration(ctx, customs, d.ID, out.Version); err != nil {
		return nil, err
	}
	if keepReleased {
		return out, nil
	}
	return svc.ConfirmExit(ctx, customs, d.ID, workflow.ExitInput{Version: out.Version, ExitDate: svc.EntrustmentToday()})
}

// flowReceipt records the buyer's payment of an exited declaration to the merchant of its first
// line and allocates it as the FX desk suggests; every other receipt pays half, so partial
// payments show. It returns the receipts recorded and the merchant paid.
func flowReceipt(ctx context.Context, svc *workflow.Service, db *gorm.DB, fx workflow.Actor, d models.Declaration, i int) (int, int64, error) {
	var row struct {
		MerchantID int64
		USCC       string
		Currency   string
		Amount     int64
		BuyerName  string
		Country    string
	}
	err := db.WithContext(ctx).Raw(`SELECT t.merchant_id, m.uscc, t.currency, CAST(SUM(tl.amount) AS BIGINT) AS amount,
	        b.name AS buyer_name, b.nationality AS country
	    FROM declaration_items di JOIN declaration_item_lines dil ON dil.declaration_item_id = di.id
	    JOIN transaction_lines tl ON tl.id = dil.transaction_line_id JOIN transactions t ON t.id = tl.transaction_id
	    JOIN merchants m ON m.id = t.merchant_id JOIN buyers b ON b.id = t.buyer_id
	    WHERE di.declaration_id = ?
	    GROUP BY t.merchant_id, m.uscc, t.currency, b.name, b.nationality
	    ORDER BY t.merchant_id, t.currency LIMIT 1`, d.ID).Scan(&row).Error
	if err != nil || row.MerchantID == 0 {
		return 0, 0, err
	}
	amount := models.Money(row.Amount)
	if i%2 == 1 {
		amount /= 2
	}
	r, err := svc.RecordFXReceipt(ctx, fx, workflow.FXReceiptInput{BankRef: fmt.Sprintf("BOCYW%s%04d", svc.EntrustmentToday()[:4], d.ID),
		Payer: row.BuyerName, PayerCountry: row.Country, Currency: row.Currency, Amount: amount.String(),
		ValueDate: svc.EntrustmentToday(), Beneficiary: row.USCC})
	if err != nil {
		return 0, 0, err
	}
	sug, err := svc.FXSuggestions(ctx, fx, r.ID)
	if err != nil {
		return 0, 0, err
	}
	var items []workflow.FXAllocationItem
	for _, s := range sug.Suggestions {
		if s.Prefill > 0 {
			items = append(items, workflow.FXAllocationItem{LineID: s.LineID, Amount: s.Prefill.String()})
		}
	}
	if len(items) > 0 {
		if _, err := svc.AllocateFXReceipt(ctx, fx, r.ID, workflow.FXAllocateInput{Items: items}); err != nil {
			return 0, 0, err
		}
	}
	return 1, row.MerchantID, nil
}
