-- Risk routing (DOMAIN §7): at most one active rule-set version, and version 1 of the rules.
--
-- risk_rule_sets.rules_json is {"rules": [...], "norms": {...}}: each rule has a code, a kind, a
-- lane (yellow, red or blue), names in English and Chinese and the parameters of its kind (see
-- workflow.RiskRule); norms map an HS heading (4 digits) to the expected USD per legal unit and
-- gross kg per carton. min_rates_json is the per-mille share drawn at random into each lane.
-- Published versions are never edited: an admin publishes the next version from /risk-rules.

CREATE UNIQUE INDEX ux_risk_rule_sets_one_active ON risk_rule_sets (active) WHERE active;

-- Version 1, as shipped:
--  * HS-DG (red): 8506 primary cells, 8507 accumulators (lithium batteries, dangerous goods of
--    class 9) and 9613 lighters (gas-filled, class 2.1) are the dangerous goods most often hidden
--    in general cargo from Yiwu; they are eligible under 1039 but inspected physically.
--    (Chapter 93 and 3601-3604 are ineligible already and never reach customs.)
--  * UNIT-VALUE (yellow): USD per legal unit outside [norm/5, norm*5] of the item's heading:
--    undervaluation or overvaluation (FX and VAT refund fraud) is a document check first.
--  * KG-CARTON (yellow): gross kg per carton outside [norm/4, norm*4]: goods other than declared.
--  * BUYER-WATCH, MERCHANT-WATCH (red): parties customs has watch-listed.
--  * CREDIT-C (yellow): a merchant or the agent of credit class C (discredited).
--  * NEW-MERCHANT (blue): a merchant approved less than 90 days ago: released, audited after.
--  * BUYER-BURST (yellow): 5 or more declarations for one buyer, each under USD 10,000, in 24 h:
--    splitting to stay below attention.
--  * PACKING (yellow): the packing list's cartons or gross kg differ from the declaration's by
--    more than 5 %.
-- The norms are DEMO ASSUMPTIONS for common Yiwu headings (9503 toys, 3924 tableware, 9505
-- festive articles, 6307 made-up textile articles, 8513 portable lamps, 3926 other plastic
-- articles, 6117 clothing accessories, 4202 bags), in USD per piece-like legal unit and gross kg
-- per carton; customs replaces them with its own figures by publishing a new version.
-- Random rates: 20 per mille red, 30 yellow, 20 blue (7 % of declarations drawn at random).
INSERT INTO risk_rule_sets (version, rules_json, min_rates_json, note, active, created_at) VALUES (1, '{
  "rules": [
    {"code": "HS-DG", "kind": "hs_prefix", "lane": "red", "prefixes": ["8506", "8507", "9613"],
     "name_en": "Dangerous goods often hidden in general cargo (batteries, lighters)", "name_zh": "易夹藏于普货的危险品（电池、打火机）"},
    {"code": "UNIT-VALUE", "kind": "unit_value", "lane": "yellow", "factor": "5",
     "name_en": "Unit value far from the norm of its HS heading", "name_zh": "单价明显偏离该品目标准值"},
    {"code": "KG-CARTON", "kind": "kg_per_carton", "lane": "yellow", "factor": "4",
     "name_en": "Gross weight per carton far from the norm of its HS heading", "name_zh": "每箱毛重明显偏离该品目标准值"},
    {"code": "BUYER-WATCH", "kind": "watched_buyer", "lane": "red",
     "name_en": "Buyer on the customs watch list", "name_zh": "采购商在海关布控名单上"},
    {"code": "MERCHANT-WATCH", "kind": "watched_merchant", "lane": "red",
     "name_en": "Merchant on the customs watch list", "name_zh": "经营户在海关布控名单上"},
    {"code": "CREDIT-C", "kind": "credit_class", "lane": "yellow", "classes": ["C"],
     "name_en": "Merchant or agent of credit class C (discredited)", "name_zh": "经营户或代理企业为 C 类（失信）"},
    {"code": "NEW-MERCHANT", "kind": "new_merchant", "lane": "blue", "days": 90,
     "name_en": "Merchant approved less than 90 days ago", "name_zh": "登记不足 90 天的新经营户"},
    {"code": "BUYER-BURST", "kind": "buyer_burst", "lane": "yellow", "count": 5, "max_usd": "10000", "hours": 24,
     "name_en": "Five or more small declarations for one buyer within 24 hours", "name_zh": "同一采购商 24 小时内 5 票以上小额报关单"},
    {"code": "PACKING", "kind": "packing_mismatch", "lane": "yellow", "percent": "5",
     "name_en": "Packing list differs from the declaration by more than 5%", "name_zh": "装箱单与报关单相差超过 5%"}
  ],
  "norms": {
    "3924": {"unit": "007", "unit_value_usd": "3.00", "kg_per_carton": "10"},
    "3926": {"unit": "007", "unit_value_usd": "1.00", "kg_per_carton": "10"},
    "4202": {"unit": "007", "unit_value_usd": "3.00", "kg_per_carton": "12"},
    "6117": {"unit": "007", "unit_value_usd": "2.50", "kg_per_carton": "10"},
    "6307": {"unit": "007", "unit_value_usd": "1.50", "kg_per_carton": "12"},
    "8513": {"unit": "007", "unit_value_usd": "4.00", "kg_per_carton": "12"},
    "9503": {"unit": "007", "unit_value_usd": "5.00", "kg_per_carton": "8"},
    "9505": {"unit": "007", "unit_value_usd": "2.00", "kg_per_carton": "6"}
  }
}', '{"red": 20, "yellow": 30, "blue": 20}',
'Shipped defaults; the norms are demo assumptions for customs to replace / 系统预置；标准值为演示假设，待海关替换', TRUE, CURRENT_TIMESTAMP);
