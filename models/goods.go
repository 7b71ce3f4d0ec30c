package models

import "time"

// Goods statuses: new goods wait for recognition (商品认定) by market supervision; a brand
// watch-list hit holds them with the reason.
const (
	GoodsPending    = "pending"
	GoodsRecognised = "recognised"
	GoodsHeld       = "held"
	GoodsRejected   = "rejected"
)

// Goods is one entry of a merchant's catalogue (商品备案, DOMAIN §3 step 1).
type Goods struct {
	ID              int64  `gorm:"primaryKey"`
	MerchantID      int64  `gorm:"uniqueIndex:ux_goods_sku,priority:1;index:ix_goods_merchant_status,priority:1"`
	SKU             string `gorm:"uniqueIndex:ux_goods_sku,priority:2"`
	NameZh          string
	NameEn          string
	HSCode          string `gorm:"index:ix_goods_hs_code"` // 10 digits
	Spec            string // model/spec, 申报要素
	Producer        string
	Branded         bool
	Brand           string
	LegalUnit       string // customs unit code, e.g. "007"
	SecondUnit      string // second legal unit, "" when none
	TransactionUnit string // unit code the merchant sells in
	Status          string `gorm:"index:ix_goods_merchant_status,priority:2;index:ix_goods_status"`
	StatusReason    string // why it is held or rejected
	ReviewedAt      *time.Time
	ReviewedBy      *int64 `gorm:"index:ix_goods_reviewed_by"`
	Version         int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// TableName is the goods table.
func (Goods) TableName() string { return "goods" }

// GoodsReview is a recognition decision or a hold on goods, kept as history.
type GoodsReview struct {
	ID          int64 `gorm:"primaryKey"`
	GoodsID     int64 `gorm:"index:ix_goods_reviews_goods"`
	FromStatus  string
	ToStatus    string
	Reason      string
	ActorUserID *int64 `gorm:"index:ix_goods_reviews_actor"`
	CreatedAt   time.Time
}

// TableName is the goods_reviews table.
func (GoodsReview) TableName() string { return "goods_reviews" }
