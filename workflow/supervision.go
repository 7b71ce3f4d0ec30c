package workflow

import (
	"context"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
)

// DeskRows is how many rows of each queue the market supervision desk shows.
const DeskRows = 5

// TroubledMerchant is a merchant in abnormal status or worse, with its held transactions.
type TroubledMerchant struct {
	models.Merchant
	HeldTransactions int64
}

// SupervisionDesk is what waits for market supervision (DOMAIN §8), each queue with its size
// and its first rows: registrations to approve, merchants listed abnormal or worse with their
// held transactions, goods waiting for recognition, goods held for review (brand watch-list hits
// and officers' holds), the officer's own spot checks without a result, and campaigns whose
// results are not yet published.
type SupervisionDesk struct {
	Pending      []models.Merchant
	PendingTotal int64

	Troubled         []TroubledMerchant
	TroubledTotal    int64
	HeldTransactions int64 // of all merchants listed abnormal or worse

	GoodsPending      []GoodsQueueItem
	GoodsPendingTotal int64
	GoodsHeld         []GoodsQueueItem
	GoodsHeldTotal    int64

	MyChecks      []SpotCheckRow
	MyChecksTotal int64

	Campaigns      []SpotCheckCampaignRow // drawn, not yet published, newest first
	CampaignsTotal int64
}

// troubledStatuses are the statuses that hold a merchant's open transactions (DOMAIN §8).
var troubledStatuses = []string{models.MerchantAbnormal, models.MerchantSuspended, models.MerchantBlacklisted}

// SupervisionDesk gathers the market supervision desk, reusing the approval queue and the
// goods recognition queue.
func (s *Service) SupervisionDesk(ctx context.Context, actor Actor) (*SupervisionDesk, error) {
	if err := actor.Require(ActSupervisionDesk); err != nil {
		return nil, err
	}
	d := &SupervisionDesk{}
	pending, err := s.Merchants(ctx, actor, MerchantFilter{Status: models.MerchantPending})
	if err != nil {
		return nil, err
	}
	d.PendingTotal, d.Pending = pending.Total, pending.Merchants[:min(DeskRows, len(pending.Merchants))]

	db := s.db.WithContext(ctx)
	troubled := db.Model(&models.Merchant{}).Where("status IN ?", troubledStatuses)
	if err := troubled.Count(&d.TroubledTotal).Error; err != nil {
		return nil, apperr.Wrap(err, "count troubled merchants")
	}
	err = db.Table("merchants").Select("merchants.*, (SELECT COUNT(*) FROM transactions t WHERE t.merchant_id = merchants.id AND t.status = ?) AS held_transactions", models.TransactionHeld).
		Where("merchants.status IN ?", troubledStatuses).Order("merchants.updated_at DESC, merchants.id DESC").Limit(DeskRows).Scan(&d.Troubled).Error
	if err != nil {
		return nil, apperr.Wrap(err, "list troubled merchants")
	}
	err = db.Table("transactions AS t").Joins("JOIN merchants m ON m.id = t.merchant_id").
		Where("t.status = ? AND m.status IN ?", models.TransactionHeld, troubledStatuses).Count(&d.HeldTransactions).Error
	if err != nil {
		return nil, apperr.Wrap(err, "count held transactions")
	}

	for _, q := range []struct {
		status string
		items  *[]GoodsQueueItem
		total  *int64
	}{{models.GoodsPending, &d.GoodsPending, &d.GoodsPendingTotal}, {models.GoodsHeld, &d.GoodsHeld, &d.GoodsHeldTotal}} {
		queue, err := s.GoodsQueue(ctx, actor, GoodsQueueFilter{Status: q.status})
		if err != nil {
			return nil, err
		}
		*q.items, *q.total = queue.Items[:min(DeskRows, len(queue.Items))], queue.Total
	}

	mine := func() *gorm.DB {
		return db.Table("spot_checks AS k").Where("k.inspector_user_id = ? AND k.result = '' AND k.campaign_id IN (SELECT id FROM spot_check_campaigns WHERE status = ?)",
			actor.UserID, models.CampaignDrawn)
	}
	if err := mine().Count(&d.MyChecksTotal).Error; err != nil {
		return nil, apperr.Wrap(err, "count my spot checks")
	}
	if err := checkRows(mine()).Order("k.id").Limit(DeskRows).Scan(&d.MyChecks).Error; err != nil {
		return nil, apperr.Wrap(err, "list my spot checks")
	}
	if err := db.Model(&models.SpotCheckCampaign{}).Where("status = ?", models.CampaignDrawn).Count(&d.CampaignsTotal).Error; err != nil {
		return nil, apperr.Wrap(err, "count campaigns in progress")
	}
	err = campaignRows(db).Where("c.status = ?", models.CampaignDrawn).Order("c.id DESC").Limit(DeskRows).Scan(&d.Campaigns).Error
	return d, apperr.Wrap(err, "list campaigns in progress")
}
