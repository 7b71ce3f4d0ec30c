-- mpt schema, version 1 (SQLite): the whole data model of DOMAIN.md §2–§9.
-- Conventions: amounts are fixed-point integers (money in hundredths, unit prices in
-- ten-thousandths, quantities in thousandths, masses in grams, rates in millionths);
-- dates are 'YYYY-MM-DD' text and months 'YYYY-MM' text; timestamps are UTC.

-- Parties -----------------------------------------------------------------------------------

CREATE TABLE merchants (
    id             INTEGER PRIMARY KEY,
    uscc           TEXT    NOT NULL CHECK (length(uscc) = 18),
    name           TEXT    NOT NULL CHECK (name <> ''),
    name_en        TEXT    NOT NULL DEFAULT '',
    district       TEXT    NOT NULL DEFAULT '',
    gate           TEXT    NOT NULL DEFAULT '',
    floor          TEXT    NOT NULL DEFAULT '',
    street         TEXT    NOT NULL DEFAULT '',
    booth          TEXT    NOT NULL DEFAULT '',
    stall_raw      TEXT    NOT NULL DEFAULT '',
    legal_rep      TEXT    NOT NULL DEFAULT '',
    phone          TEXT    NOT NULL DEFAULT '',
    bank_name      TEXT    NOT NULL DEFAULT '',
    bank_account   TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending','active','rejected','abnormal','suspended','blacklisted')),
    credit_class   TEXT    NOT NULL DEFAULT 'B' CHECK (credit_class IN ('A','B','C')),
    uscc_review    BOOLEAN NOT NULL DEFAULT FALSE,
    watch_listed   BOOLEAN NOT NULL DEFAULT FALSE,
    status_reason  TEXT    NOT NULL DEFAULT '',
    approved_at    TIMESTAMP,
    approved_by    INTEGER REFERENCES users (id),
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_merchants_uscc ON merchants (uscc);
CREATE INDEX ix_merchants_name ON merchants (name);
CREATE INDEX ix_merchants_stall ON merchants (district, street, booth);
CREATE INDEX ix_merchants_status ON merchants (status);
CREATE INDEX ix_merchants_approved_by ON merchants (approved_by);
CREATE INDEX ix_merchants_created_at ON merchants (created_at);

CREATE TABLE agents (
    id              INTEGER PRIMARY KEY,
    uscc            TEXT    NOT NULL CHECK (length(uscc) = 18),
    name            TEXT    NOT NULL CHECK (name <> ''),
    name_en         TEXT    NOT NULL DEFAULT '',
    customs_code    TEXT    NOT NULL CHECK (length(customs_code) = 10),
    commerce_reg_no TEXT    NOT NULL CHECK (commerce_reg_no <> ''),
    address         TEXT    NOT NULL DEFAULT '',
    contact         TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active','suspended')),
    credit_class    TEXT    NOT NULL DEFAULT 'B' CHECK (credit_class IN ('A','B','C')),
    uscc_review     BOOLEAN NOT NULL DEFAULT FALSE,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_agents_uscc ON agents (uscc);
CREATE UNIQUE INDEX ux_agents_customs_code ON agents (customs_code);
CREATE UNIQUE INDEX ux_agents_commerce_reg_no ON agents (commerce_reg_no);
CREATE INDEX ix_agents_name ON agents (name);
CREATE INDEX ix_agents_status ON agents (status);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL CHECK (username <> ''),
    display_name        TEXT    NOT NULL DEFAULT '',
    password_hash       TEXT    NOT NULL,
    role                TEXT    NOT NULL
                        CHECK (role IN ('merchant','agent','customs','tax','fx','supervision','auditor','admin')),
    merchant_id         INTEGER REFERENCES merchants (id),
    agent_id            INTEGER REFERENCES agents (id),
    email               TEXT    NOT NULL DEFAULT '',
    phone               TEXT    NOT NULL DEFAULT '',
    lang                TEXT    NOT NULL DEFAULT '',
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    on_duty             BOOLEAN NOT NULL DEFAULT FALSE,
    password_changed_at TIMESTAMP,
    last_login_at       TIMESTAMP,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    -- a merchant user belongs to a merchant, an agent user to an agent, officers to neither
    CHECK ((role = 'merchant') = (merchant_id IS NOT NULL)),
    CHECK ((role = 'agent') = (agent_id IS NOT NULL))
);
CREATE UNIQUE INDEX ux_users_username ON users (username);
CREATE INDEX ix_users_role ON users (role);
CREATE INDEX ix_users_merchant ON users (merchant_id);
CREATE INDEX ix_users_agent ON users (agent_id);

CREATE TABLE sessions (
    id           TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ix_sessions_user ON sessions (user_id);
CREATE INDEX ix_sessions_expires_at ON sessions (expires_at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL DEFAULT '',
    prefix       TEXT    NOT NULL DEFAULT '',
    token_hash   TEXT    NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    expires_at   TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE UNIQUE INDEX ux_api_tokens_hash ON api_tokens (token_hash);
CREATE INDEX ix_api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_throttles (
    key          TEXT    PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    updated_at   TIMESTAMP NOT NULL
);

CREATE TABLE merchant_status_changes (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id),
    from_status   TEXT    NOT NULL,
    to_status     TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX ix_merchant_status_changes_merchant ON merchant_status_changes (merchant_id);
CREATE INDEX ix_merchant_status_changes_actor ON merchant_status_changes (actor_user_id);

CREATE TABLE buyers (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL CHECK (name <> ''),
    nationality        TEXT    NOT NULL CHECK (length(nationality) = 2),
    doc_type           TEXT    NOT NULL DEFAULT 'passport' CHECK (doc_type IN ('passport','id_card','other')),
    doc_number         TEXT    NOT NULL CHECK (doc_number <> ''),
    phone              TEXT    NOT NULL DEFAULT '',
    email              TEXT    NOT NULL DEFAULT '',
    address            TEXT    NOT NULL DEFAULT '',
    watch_listed       BOOLEAN NOT NULL DEFAULT FALSE,
    created_by_user_id INTEGER REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_buyers_document ON buyers (nationality, doc_number);
CREATE INDEX ix_buyers_doc_number ON buyers (doc_number);
CREATE INDEX ix_buyers_name ON buyers (name);
CREATE INDEX ix_buyers_created_by ON buyers (created_by_user_id);

CREATE TABLE entrustments (
    id                 INTEGER PRIMARY KEY,
    merchant_id        INTEGER NOT NULL REFERENCES merchants (id),
    agent_id           INTEGER NOT NULL REFERENCES agents (id),
    agreement_no       TEXT    NOT NULL CHECK (agreement_no <> ''),
    starts_on          TEXT    NOT NULL,
    ends_on            TEXT    NOT NULL DEFAULT '',
    ended_at           TIMESTAMP,
    end_reason         TEXT    NOT NULL DEFAULT '',
    created_by_user_id INTEGER REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_entrustments_agreement ON entrustments (agent_id, agreement_no);
CREATE INDEX ix_entrustments_merchant ON entrustments (merchant_id);
CREATE INDEX ix_entrustments_agent ON entrustments (agent_id);
CREATE INDEX ix_entrustments_created_by ON entrustments (created_by_user_id);

-- Goods ---------------------------------------------------------------------------------------

CREATE TABLE goods (
    id               INTEGER PRIMARY KEY,
    merchant_id      INTEGER NOT NULL REFERENCES merchants (id),
    sku              TEXT    NOT NULL CHECK (sku <> ''),
    name_zh          TEXT    NOT NULL DEFAULT '',
    name_en          TEXT    NOT NULL DEFAULT '',
    hs_code          TEXT    NOT NULL CHECK (length(hs_code) = 10),
    spec             TEXT    NOT NULL DEFAULT '',
    producer         TEXT    NOT NULL DEFAULT '',
    branded          BOOLEAN NOT NULL DEFAULT FALSE,
    brand            TEXT    NOT NULL DEFAULT '',
    legal_unit       TEXT    NOT NULL CHECK (length(legal_unit) = 3),
    second_unit      TEXT    NOT NULL DEFAULT '',
    transaction_unit TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending','recognised','held','rejected')),
    status_reason    TEXT    NOT NULL DEFAULT '',
    reviewed_at      TIMESTAMP,
    reviewed_by      INTEGER REFERENCES users (id),
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK (name_zh <> '' OR name_en <> '')
);
CREATE UNIQUE INDEX ux_goods_sku ON goods (merchant_id, sku);
CREATE INDEX ix_goods_merchant_status ON goods (merchant_id, status);
CREATE INDEX ix_goods_status ON goods (status);
CREATE INDEX ix_goods_hs_code ON goods (hs_code);
CREATE INDEX ix_goods_reviewed_by ON goods (reviewed_by);

CREATE TABLE goods_reviews (
    id            INTEGER PRIMARY KEY,
    goods_id      INTEGER NOT NULL REFERENCES goods (id),
    from_status   TEXT    NOT NULL,
    to_status     TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    actor_user_id INTEGER REFERENCES users (id),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX ix_goods_reviews_goods ON goods_reviews (goods_id);
CREATE INDEX ix_goods_reviews_actor ON goods_reviews (actor_user_id);

-- Transactions ----------------------------------------------------------------------------------

CREATE TABLE transactions (
    id                 INTEGER PRIMARY KEY,
    number             TEXT    NOT NULL,
    merchant_id        INTEGER NOT NULL REFERENCES merchants (id),
    buyer_id           INTEGER NOT NULL REFERENCES buyers (id),
    agent_id           INTEGER REFERENCES agents (id),
    trade_date         TEXT    NOT NULL CHECK (length(trade_date) = 10),
    currency           TEXT    NOT NULL CHECK (length(currency) = 3),
    total_amount       BIGINT  NOT NULL DEFAULT 0 CHECK (total_amount >= 0),
    line_count         INTEGER NOT NULL DEFAULT 0,
    total_cartons      BIGINT  NOT NULL DEFAULT 0,
    total_net_grams    BIGINT  NOT NULL DEFAULT 0,
    total_gross_grams  BIGINT  NOT NULL DEFAULT 0,
    status             TEXT    NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft','registered','held','voided')),
    status_reason      TEXT    NOT NULL DEFAULT '',
    registered_at      TIMESTAMP,
    created_by_user_id INTEGER REFERENCES users (id),
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_transactions_number ON transactions (number);
CREATE INDEX ix_transactions_merchant_status ON transactions (merchant_id, status);
CREATE INDEX ix_transactions_buyer ON transactions (buyer_id);
CREATE INDEX ix_transactions_agent ON transactions (agent_id);
CREATE INDEX ix_transactions_trade_date ON transactions (trade_date);
CREATE INDEX ix_transactions_created_by ON transactions (created_by_user_id);

CREATE TABLE transaction_lines (
    id             INTEGER PRIMARY KEY,
    transaction_id INTEGER NOT NULL REFERENCES transactions (id),
    line_no        INTEGER NOT NULL CHECK (line_no > 0),
    goods_id       INTEGER NOT NULL REFERENCES goods (id),
    trace_code     TEXT    NOT NULL,
    quantity       BIGINT  NOT NULL CHECK (quantity > 0),
    unit           TEXT    NOT NULL DEFAULT '',
    unit_price     BIGINT  NOT NULL CHECK (unit_price >= 0),
    amount         BIGINT  NOT NULL CHECK (amount >= 0),
    cartons        BIGINT  NOT NULL DEFAULT 0 CHECK (cartons >= 0),
    net_grams      BIGINT  NOT NULL DEFAULT 0 CHECK (net_grams >= 0),
    gross_grams    BIGINT  NOT NULL DEFAULT 0 CHECK (gross_grams >= net_grams),
    fx_allocated   BIGINT  NOT NULL DEFAULT 0 CHECK (fx_allocated >= 0 AND fx_allocated <= amount),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_transaction_lines_no ON transaction_lines (transaction_id, line_no);
CREATE UNIQUE INDEX ux_transaction_lines_trace_code ON transaction_lines (trace_code);
CREATE INDEX ix_transaction_lines_goods ON transaction_lines (goods_id);

-- Consolidation and packing -------------------------------------------------------------------

CREATE TABLE consolidations (
    id                  INTEGER PRIMARY KEY,
    booking_code        TEXT    NOT NULL,
    agent_id            INTEGER NOT NULL REFERENCES agents (id),
    destination_country TEXT    NOT NULL DEFAULT '',
    destination_port    TEXT    NOT NULL DEFAULT '',
    transport_mode      TEXT    NOT NULL DEFAULT '',
    trade_terms         TEXT    NOT NULL DEFAULT '',
    exit_port           TEXT    NOT NULL DEFAULT '',
    stuffing_place      TEXT    NOT NULL DEFAULT '',
    status              TEXT    NOT NULL DEFAULT 'open'
                        CHECK (status IN ('open','closed','declared','cancelled')),
    closed_at           TIMESTAMP,
    created_by_user_id  INTEGER REFERENCES users (id),
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_consolidations_booking_code ON consolidations (booking_code);
CREATE INDEX ix_consolidations_agent_status ON consolidations (agent_id, status);
CREATE INDEX ix_consolidations_created_by ON consolidations (created_by_user_id);

CREATE TABLE consolidation_lines (
    id                  INTEGER PRIMARY KEY,
    consolidation_id    INTEGER NOT NULL REFERENCES consolidations (id),
    transaction_line_id INTEGER NOT NULL REFERENCES transaction_lines (id),
    filed_by_user_id    INTEGER REFERENCES users (id),
    created_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_consolidation_lines_line ON consolidation_lines (transaction_line_id);
CREATE INDEX ix_consolidation_lines_consolidation ON consolidation_lines (consolidation_id);
CREATE INDEX ix_consolidation_lines_filed_by ON consolidation_lines (filed_by_user_id);

CREATE TABLE container_types (
    code              TEXT    PRIMARY KEY,
    name_en           TEXT    NOT NULL DEFAULT '',
    name_zh           TEXT    NOT NULL DEFAULT '',
    teu               INTEGER NOT NULL DEFAULT 1,
    max_payload_grams BIGINT  NOT NULL CHECK (max_payload_grams > 0)
);

CREATE TABLE containers (
    id               INTEGER PRIMARY KEY,
    consolidation_id INTEGER NOT NULL REFERENCES consolidations (id),
    number           TEXT    NOT NULL CHECK (length(number) = 11),
    size_type        TEXT    NOT NULL REFERENCES container_types (code),
    seal_no          TEXT    NOT NULL DEFAULT '',
    tare_grams       BIGINT  NOT NULL DEFAULT 0,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_containers_number ON containers (consolidation_id, number);
CREATE INDEX ix_containers_number ON containers (number);
CREATE INDEX ix_containers_size_type ON containers (size_type);

CREATE TABLE packing_lines (
    id                  INTEGER PRIMARY KEY,
    container_id        INTEGER NOT NULL REFERENCES containers (id),
    transaction_line_id INTEGER NOT NULL REFERENCES transaction_lines (id),
    cartons             BIGINT  NOT NULL CHECK (cartons >= 0),
    net_grams           BIGINT  NOT NULL CHECK (net_grams >= 0),
    gross_grams         BIGINT  NOT NULL CHECK (gross_grams >= 0),
    created_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_packing_lines_line ON packing_lines (container_id, transaction_line_id);
CREATE INDEX ix_packing_lines_transaction_line ON packing_lines (transaction_line_id);

-- Declarations --------------------------------------------------------------------------------

CREATE TABLE declarations (
    id                    INTEGER PRIMARY KEY,
    pre_entry_no          TEXT    NOT NULL CHECK (length(pre_entry_no) = 18),
    entry_no              TEXT    CHECK (entry_no IS NULL OR length(entry_no) = 18),
    consolidation_id      INTEGER NOT NULL REFERENCES consolidations (id),
    agent_id              INTEGER NOT NULL REFERENCES agents (id),
    buyer_id              INTEGER NOT NULL REFERENCES buyers (id),
    seq                   INTEGER NOT NULL DEFAULT 1,
    status                TEXT    NOT NULL DEFAULT 'draft'
                          CHECK (status IN ('draft','submitted','accepted','rejected','released','exited','cancelled')),
    supervision_mode      TEXT    NOT NULL DEFAULT '1039',
    transport_mode        TEXT    NOT NULL DEFAULT '',
    arrival_country       TEXT    NOT NULL DEFAULT '',
    destination_port      TEXT    NOT NULL DEFAULT '',
    exit_port             TEXT    NOT NULL DEFAULT '',
    trade_terms           TEXT    NOT NULL DEFAULT '',
    currency              TEXT    NOT NULL DEFAULT 'USD',
    total_value           BIGINT  NOT NULL DEFAULT 0,
    total_usd             BIGINT  NOT NULL DEFAULT 0,
    rate_month            TEXT    NOT NULL DEFAULT '',
    freight               BIGINT  NOT NULL DEFAULT 0,
    insurance             BIGINT  NOT NULL DEFAULT 0,
    packages              BIGINT  NOT NULL DEFAULT 0,
    package_type          TEXT    NOT NULL DEFAULT '',
    net_grams             BIGINT  NOT NULL DEFAULT 0,
    gross_grams           BIGINT  NOT NULL DEFAULT 0,
    marks                 TEXT    NOT NULL DEFAULT '',
    remarks               TEXT    NOT NULL DEFAULT '',
    declarant             TEXT    NOT NULL DEFAULT '',
    lane                  TEXT    NOT NULL DEFAULT '' CHECK (lane IN ('','green','yellow','red','blue')),
    submitted_at          TIMESTAMP,
    accepted_at           TIMESTAMP,
    released_at           TIMESTAMP,
    exit_date             TEXT    NOT NULL DEFAULT '',
    cancelled_at          TIMESTAMP,
    amended_after_release BOOLEAN NOT NULL DEFAULT FALSE,
    created_by_user_id    INTEGER REFERENCES users (id),
    version               INTEGER NOT NULL DEFAULT 1,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_declarations_pre_entry_no ON declarations (pre_entry_no);
CREATE UNIQUE INDEX ux_declarations_entry_no ON declarations (entry_no);
CREATE INDEX ix_declarations_consolidation ON declarations (consolidation_id);
CREATE INDEX ix_declarations_agent_status ON declarations (agent_id, status);
CREATE INDEX ix_declarations_status ON declarations (status);
CREATE INDEX ix_declarations_buyer ON declarations (buyer_id);
CREATE INDEX ix_declarations_created_by ON declarations (created_by_user_id);
CREATE INDEX ix_declarations_created_at ON declarations (created_at);

CREATE TABLE declaration_items (
    id                  INTEGER PRIMARY KEY,
    declaration_id      INTEGER NOT NULL REFERENCES declarations (id),
    item_no             INTEGER NOT NULL CHECK (item_no > 0),
    kind                TEXT    NOT NULL CHECK (kind IN ('single','top','merged','unsimplifiable')),
    hs_code             TEXT    NOT NULL CHECK (length(hs_code) = 10),
    chapter             TEXT    NOT NULL CHECK (length(chapter) = 2),
    name                TEXT    NOT NULL,
    spec                TEXT    NOT NULL DEFAULT '',
    legal_qty           BIGINT  NOT NULL DEFAULT 0,
    legal_unit          TEXT    NOT NULL DEFAULT '',
    second_qty          BIGINT  NOT NULL DEFAULT 0,
    second_unit         TEXT    NOT NULL DEFAULT '',
    txn_qty             BIGINT  NOT NULL DEFAULT 0,
    txn_unit            TEXT    NOT NULL DEFAULT '',
    unit_price          BIGINT  NOT NULL DEFAULT 0,
    total_value         BIGINT  NOT NULL DEFAULT 0,
    currency            TEXT    NOT NULL DEFAULT 'USD',
    total_usd           BIGINT  NOT NULL DEFAULT 0,
    net_grams           BIGINT  NOT NULL DEFAULT 0,
    gross_grams         BIGINT  NOT NULL DEFAULT 0,
    origin              TEXT    NOT NULL DEFAULT 'CHN',
    destination_country TEXT    NOT NULL DEFAULT '',
    source_region       TEXT    NOT NULL DEFAULT '',
    mixed_units         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_declaration_items_no ON declaration_items (declaration_id, item_no);
CREATE INDEX ix_declaration_items_hs_code ON declaration_items (hs_code);

CREATE TABLE declaration_item_lines (
    id                  INTEGER PRIMARY KEY,
    declaration_item_id INTEGER NOT NULL REFERENCES declaration_items (id),
    transaction_line_id INTEGER NOT NULL REFERENCES transaction_lines (id),
    value               BIGINT  NOT NULL DEFAULT 0,
    value_usd           BIGINT  NOT NULL DEFAULT 0,
    quantity            BIGINT  NOT NULL DEFAULT 0,
    unit                TEXT    NOT NULL DEFAULT '',
    legal_unit          TEXT    NOT NULL DEFAULT '',
    net_grams           BIGINT  NOT NULL DEFAULT 0,
    gross_grams         BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX ux_declaration_item_lines ON declaration_item_lines (declaration_item_id, transaction_line_id);
CREATE INDEX ix_declaration_item_lines_line ON declaration_item_lines (transaction_line_id);

CREATE TABLE declaration_findings (
    id                  INTEGER PRIMARY KEY,
    declaration_id      INTEGER NOT NULL REFERENCES declarations (id),
    code                TEXT    NOT NULL,
    severity            TEXT    NOT NULL CHECK (severity IN ('error','warning')),
    field               TEXT    NOT NULL DEFAULT '',
    message_en          TEXT    NOT NULL DEFAULT '',
    message_zh          TEXT    NOT NULL DEFAULT '',
    transaction_line_id INTEGER REFERENCES transaction_lines (id),
    acknowledged_at     TIMESTAMP,
    acknowledged_by     INTEGER REFERENCES users (id),
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX ix_declaration_findings_declaration ON declaration_findings (declaration_id);
CREATE INDEX ix_declaration_findings_line ON declaration_findings (transaction_line_id);
CREATE INDEX ix_declaration_findings_ack_by ON declaration_findings (acknowledged_by);

-- Customs -------------------------------------------------------------------------------------

CREATE TABLE risk_rule_sets (
    id                 INTEGER PRIMARY KEY,
    version            INTEGER NOT NULL,
    rules_json         TEXT    NOT NULL DEFAULT '[]',
    min_rates_json     TEXT    NOT NULL DEFAULT '{}',
    note               TEXT    NOT NULL DEFAULT '',
    active             BOOLEAN NOT NULL DEFAULT FALSE,
    created_by_user_id INTEGER REFERENCES users (id),
    created_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_risk_rule_sets_version ON risk_rule_sets (version);
CREATE INDEX ix_risk_rule_sets_active ON risk_rule_sets (active);
CREATE INDEX ix_risk_rule_sets_created_by ON risk_rule_sets (created_by_user_id);

CREATE TABLE customs_decisions (
    id               INTEGER PRIMARY KEY,
    declaration_id   INTEGER NOT NULL REFERENCES declarations (id),
    rule_set_version INTEGER NOT NULL,
    lane             TEXT    NOT NULL CHECK (lane IN ('green','yellow','red','blue')),
    rules_hit_json   TEXT    NOT NULL DEFAULT '[]',
    seed             BIGINT  NOT NULL,
    draw             BIGINT  NOT NULL,
    officer_user_id  INTEGER REFERENCES users (id),
    decided_at       TIMESTAMP NOT NULL
);
CREATE INDEX ix_customs_decisions_declaration ON customs_decisions (declaration_id);
CREATE INDEX ix_customs_decisions_lane ON customs_decisions (lane);
CREATE INDEX ix_customs_decisions_officer ON customs_decisions (officer_user_id);

CREATE TABLE customs_events (
    id             INTEGER PRIMARY KEY,
    declaration_id INTEGER NOT NULL REFERENCES declarations (id),
    kind           TEXT    NOT NULL,
    reason_code    TEXT    NOT NULL DEFAULT '',
    field          TEXT    NOT NULL DEFAULT '',
    detail_json    TEXT    NOT NULL DEFAULT '{}',
    actor_user_id  INTEGER REFERENCES users (id),
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX ix_customs_events_declaration ON customs_events (declaration_id);
CREATE INDEX ix_customs_events_actor ON customs_events (actor_user_id);

CREATE TABLE inspections (
    id                INTEGER PRIMARY KEY,
    declaration_id    INTEGER NOT NULL REFERENCES declarations (id),
    inspector_user_id INTEGER NOT NULL REFERENCES users (id),
    seed              BIGINT  NOT NULL,
    result            TEXT    NOT NULL DEFAULT '' CHECK (result IN ('','conform','discrepancy')),
    findings          TEXT    NOT NULL DEFAULT '',
    assigned_at       TIMESTAMP NOT NULL,
    completed_at      TIMESTAMP
);
CREATE INDEX ix_inspections_declaration ON inspections (declaration_id);
CREATE INDEX ix_inspections_inspector ON inspections (inspector_user_id);

-- Documents (of transactions, or asked for by customs) -----------------------------------------

CREATE TABLE documents (
    id                  INTEGER PRIMARY KEY,
    transaction_id      INTEGER REFERENCES transactions (id),
    declaration_id      INTEGER REFERENCES declarations (id),
    kind                TEXT    NOT NULL DEFAULT 'other',
    file_name           TEXT    NOT NULL,
    content_type        TEXT    NOT NULL,
    size                BIGINT  NOT NULL CHECK (size > 0),
    sha256              TEXT    NOT NULL CHECK (length(sha256) = 64),
    uploaded_by_user_id INTEGER REFERENCES users (id),
    created_at          TIMESTAMP NOT NULL,
    CHECK (transaction_id IS NOT NULL OR declaration_id IS NOT NULL)
);
CREATE INDEX ix_documents_transaction ON documents (transaction_id);
CREATE INDEX ix_documents_declaration ON documents (declaration_id);
CREATE INDEX ix_documents_sha256 ON documents (sha256);
CREATE INDEX ix_documents_uploaded_by ON documents (uploaded_by_user_id);

-- FX and tax ----------------------------------------------------------------------------------

CREATE TABLE fx_receipts (
    id                      INTEGER PRIMARY KEY,
    bank_ref                TEXT    NOT NULL CHECK (bank_ref <> ''),
    payer_name              TEXT    NOT NULL,
    payer_country           TEXT    NOT NULL DEFAULT '',
    currency                TEXT    NOT NULL CHECK (length(currency) = 3),
    amount                  BIGINT  NOT NULL CHECK (amount > 0),
    allocated               BIGINT  NOT NULL DEFAULT 0 CHECK (allocated >= 0 AND allocated <= amount),
    value_date              TEXT    NOT NULL,
    beneficiary_merchant_id INTEGER REFERENCES merchants (id),
    beneficiary_agent_id    INTEGER REFERENCES agents (id),
    flags                   TEXT    NOT NULL DEFAULT '',
    recorded_by_user_id     INTEGER REFERENCES users (id),
    version                 INTEGER NOT NULL DEFAULT 1,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    CHECK ((beneficiary_merchant_id IS NULL) <> (beneficiary_agent_id IS NULL))
);
CREATE UNIQUE INDEX ux_fx_receipts_bank_ref ON fx_receipts (bank_ref);
CREATE INDEX ix_fx_receipts_payer ON fx_receipts (payer_name);
CREATE INDEX ix_fx_receipts_value_date ON fx_receipts (value_date);
CREATE INDEX ix_fx_receipts_merchant ON fx_receipts (beneficiary_merchant_id);
CREATE INDEX ix_fx_receipts_agent ON fx_receipts (beneficiary_agent_id);
CREATE INDEX ix_fx_receipts_recorded_by ON fx_receipts (recorded_by_user_id);

CREATE TABLE fx_allocations (
    id                   INTEGER PRIMARY KEY,
    receipt_id           INTEGER NOT NULL REFERENCES fx_receipts (id),
    transaction_line_id  INTEGER NOT NULL REFERENCES transaction_lines (id),
    amount               BIGINT  NOT NULL CHECK (amount > 0),
    payer_mismatch       BOOLEAN NOT NULL DEFAULT FALSE,
    before_export        BOOLEAN NOT NULL DEFAULT FALSE,
    confirmed_by_user_id INTEGER REFERENCES users (id),
    created_at           TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_fx_allocations_line ON fx_allocations (receipt_id, transaction_line_id);
CREATE INDEX ix_fx_allocations_line ON fx_allocations (transaction_line_id);
CREATE INDEX ix_fx_allocations_confirmed_by ON fx_allocations (confirmed_by_user_id);

CREATE TABLE tax_filings (
    id                 INTEGER PRIMARY KEY,
    number             TEXT    NOT NULL,
    merchant_id        INTEGER NOT NULL REFERENCES merchants (id),
    period             TEXT    NOT NULL CHECK (length(period) = 7),
    due_date           TEXT    NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft','filed','accepted','rejected')),
    total_cny          BIGINT  NOT NULL DEFAULT 0,
    line_count         INTEGER NOT NULL DEFAULT 0,
    filed_by_user_id   INTEGER REFERENCES users (id),
    filed_by_agent_id  INTEGER REFERENCES agents (id),
    filed_at           TIMESTAMP,
    decided_at         TIMESTAMP,
    decided_by_user_id INTEGER REFERENCES users (id),
    decision_reason    TEXT    NOT NULL DEFAULT '',
    version            INTEGER NOT NULL DEFAULT 1,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_tax_filings_number ON tax_filings (number);
CREATE INDEX ix_tax_filings_merchant_period ON tax_filings (merchant_id, period);
CREATE INDEX ix_tax_filings_status ON tax_filings (status);
CREATE INDEX ix_tax_filings_filed_by ON tax_filings (filed_by_user_id);
CREATE INDEX ix_tax_filings_agent ON tax_filings (filed_by_agent_id);
CREATE INDEX ix_tax_filings_decided_by ON tax_filings (decided_by_user_id);

CREATE TABLE tax_filing_lines (
    id                  INTEGER PRIMARY KEY,
    filing_id           INTEGER NOT NULL REFERENCES tax_filings (id),
    transaction_line_id INTEGER NOT NULL REFERENCES transaction_lines (id),
    declaration_id      INTEGER NOT NULL REFERENCES declarations (id),
    currency            TEXT    NOT NULL,
    amount              BIGINT  NOT NULL,
    amount_cny          BIGINT  NOT NULL
);
CREATE UNIQUE INDEX ux_tax_filing_lines ON tax_filing_lines (filing_id, transaction_line_id);
CREATE INDEX ix_tax_filing_lines_line ON tax_filing_lines (transaction_line_id);
CREATE INDEX ix_tax_filing_lines_declaration ON tax_filing_lines (declaration_id);

-- Market supervision --------------------------------------------------------------------------

CREATE TABLE spot_check_campaigns (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    year               INTEGER NOT NULL,
    rate_permille      INTEGER NOT NULL CHECK (rate_permille > 0 AND rate_permille <= 1000),
    seed               BIGINT  NOT NULL,
    status             TEXT    NOT NULL DEFAULT 'drawn' CHECK (status IN ('drawn','published')),
    created_by_user_id INTEGER REFERENCES users (id),
    published_at       TIMESTAMP,
    created_at         TIMESTAMP NOT NULL
);
CREATE INDEX ix_spot_check_campaigns_year ON spot_check_campaigns (year);
CREATE INDEX ix_spot_check_campaigns_created_by ON spot_check_campaigns (created_by_user_id);

CREATE TABLE spot_checks (
    id                INTEGER PRIMARY KEY,
    campaign_id       INTEGER NOT NULL REFERENCES spot_check_campaigns (id),
    merchant_id       INTEGER NOT NULL REFERENCES merchants (id),
    inspector_user_id INTEGER REFERENCES users (id),
    reason            TEXT    NOT NULL DEFAULT 'random' CHECK (reason IN ('random','complaint')),
    result            TEXT    NOT NULL DEFAULT '' CHECK (result IN ('','pass','fail')),
    findings          TEXT    NOT NULL DEFAULT '',
    checked_at        TIMESTAMP,
    created_at        TIMESTAMP NOT NULL
);
CREATE INDEX ix_spot_checks_campaign ON spot_checks (campaign_id);
CREATE INDEX ix_spot_checks_merchant ON spot_checks (merchant_id);
CREATE INDEX ix_spot_checks_inspector ON spot_checks (inspector_user_id);

-- Settings and admin-maintained lists ---------------------------------------------------------

CREATE TABLE settings (
    key                TEXT    PRIMARY KEY,
    value              TEXT    NOT NULL,
    updated_by_user_id INTEGER REFERENCES users (id),
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX ix_settings_updated_by ON settings (updated_by_user_id);

CREATE TABLE exchange_rates (
    id                 INTEGER PRIMARY KEY,
    month              TEXT    NOT NULL CHECK (length(month) = 7),
    currency           TEXT    NOT NULL CHECK (length(currency) = 3),
    cny_per_unit       BIGINT  NOT NULL CHECK (cny_per_unit > 0),
    updated_by_user_id INTEGER REFERENCES users (id),
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_exchange_rates_month_currency ON exchange_rates (month, currency);
CREATE INDEX ix_exchange_rates_updated_by ON exchange_rates (updated_by_user_id);

CREATE TABLE tax_due_days (
    month              TEXT    PRIMARY KEY,
    day                INTEGER NOT NULL CHECK (day BETWEEN 1 AND 31),
    updated_by_user_id INTEGER REFERENCES users (id),
    updated_at         TIMESTAMP NOT NULL
);
CREATE INDEX ix_tax_due_days_updated_by ON tax_due_days (updated_by_user_id);

CREATE TABLE hs_prefixes (
    id                 INTEGER PRIMARY KEY,
    list               TEXT    NOT NULL CHECK (list IN ('ineligible','not_simplifiable')),
    prefix             TEXT    NOT NULL CHECK (length(prefix) BETWEEN 2 AND 10),
    reason_en          TEXT    NOT NULL DEFAULT '',
    reason_zh          TEXT    NOT NULL DEFAULT '',
    created_by_user_id INTEGER REFERENCES users (id),
    created_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_hs_prefixes ON hs_prefixes (list, prefix);
CREATE INDEX ix_hs_prefixes_created_by ON hs_prefixes (created_by_user_id);

CREATE TABLE brand_watches (
    id                 INTEGER PRIMARY KEY,
    brand              TEXT    NOT NULL CHECK (brand <> ''),
    brand_key          TEXT    NOT NULL,
    holder             TEXT    NOT NULL DEFAULT '',
    note               TEXT    NOT NULL DEFAULT '',
    created_by_user_id INTEGER REFERENCES users (id),
    created_at         TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX ux_brand_watches_key ON brand_watches (brand_key);
CREATE INDEX ix_brand_watches_created_by ON brand_watches (created_by_user_id);

CREATE TABLE number_sequences (
    name TEXT   PRIMARY KEY,
    next BIGINT NOT NULL CHECK (next > 0)
);

-- Audit log (append-only; tamper checks come with the hash chain) ------------------------------

CREATE TABLE audit_entries (
    id            INTEGER PRIMARY KEY,
    at            TIMESTAMP NOT NULL,
    actor_user_id INTEGER REFERENCES users (id),
    actor_role    TEXT    NOT NULL DEFAULT '',
    request_id    TEXT    NOT NULL DEFAULT '',
    entity        TEXT    NOT NULL,
    entity_id     TEXT    NOT NULL DEFAULT '',
    action        TEXT    NOT NULL,
    old_json      TEXT    NOT NULL DEFAULT '',
    new_json      TEXT    NOT NULL DEFAULT '',
    prev_hash     TEXT    NOT NULL DEFAULT '',
    hash          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX ix_audit_entries_at ON audit_entries (at);
CREATE INDEX ix_audit_entries_actor ON audit_entries (actor_user_id);
CREATE INDEX ix_audit_entries_entity ON audit_entries (entity, entity_id);
