-- Seeds for the admin-maintained settings and lists (DOMAIN §4, §8). Admins change them in the
-- app afterwards; these are starting values, each with its reason.

INSERT INTO settings (key, value, updated_at) VALUES
    ('declaration.cap_usd', '150000.00', CURRENT_TIMESTAMP),   -- inclusive, GACC 2019 No. 221
    ('declaration.item_limit', '50', CURRENT_TIMESTAMP),      -- not confirmed: configuration
    ('tax.due_day', '15', CURRENT_TIMESTAMP);                 -- moved by holidays per month

INSERT INTO container_types (code, name_en, name_zh, teu, max_payload_grams) VALUES
    ('20GP', '20'' general purpose', '20英尺普柜', 1, 28000000),
    ('40GP', '40'' general purpose', '40英尺普柜', 2, 26700000),
    ('40HQ', '40'' high cube', '40英尺高柜', 2, 26500000),
    ('45HQ', '45'' high cube', '45英尺高柜', 2, 27600000),
    ('20RF', '20'' reefer', '20英尺冷藏柜', 1, 27000000),
    ('40RF', '40'' reefer (high cube)', '40英尺冷藏高柜', 2, 29000000);

INSERT INTO hs_prefixes (list, prefix, reason_en, reason_zh, created_at) VALUES
    ('ineligible', '93', 'Arms and ammunition: export is licensed', '武器弹药：出口须许可', CURRENT_TIMESTAMP),
    ('ineligible', '3601', 'Propellent powders: explosives are restricted', '发射药：爆炸物限制出口', CURRENT_TIMESTAMP),
    ('ineligible', '3602', 'Prepared explosives are restricted', '配制炸药：限制出口', CURRENT_TIMESTAMP),
    ('ineligible', '3603', 'Detonators and fuses are restricted', '雷管、导火索：限制出口', CURRENT_TIMESTAMP),
    ('ineligible', '3604', 'Fireworks and pyrotechnics are restricted', '烟花爆竹：限制出口', CURRENT_TIMESTAMP),
    ('ineligible', '2844', 'Radioactive elements are controlled (dual-use)', '放射性元素：两用物项管制', CURRENT_TIMESTAMP),
    ('ineligible', '8710', 'Tanks and armoured fighting vehicles are controlled', '坦克及装甲战斗车辆：管制物项', CURRENT_TIMESTAMP),
    ('not_simplifiable', '16', 'Prepared meat and fish: statutory inspection', '肉、鱼制品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '17', 'Sugars and confectionery: statutory inspection', '糖及糖食：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '18', 'Cocoa preparations: statutory inspection', '可可制品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '19', 'Cereal preparations and bakery: statutory inspection', '谷物粮食制品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '20', 'Preserved vegetables and fruit: statutory inspection', '蔬菜水果制品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '21', 'Miscellaneous edible preparations: statutory inspection', '杂项食品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '22', 'Beverages: statutory inspection', '饮料、酒：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '3303', 'Perfumes: cosmetics under statutory inspection', '香水：化妆品法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '3304', 'Beauty and make-up preparations: statutory inspection', '美容化妆品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '3305', 'Hair preparations: statutory inspection', '护发品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '3307', 'Shaving and toilet preparations: statutory inspection', '剃须及盥洗用品：法定检验', CURRENT_TIMESTAMP),
    ('not_simplifiable', '2601', 'Iron ores: liable to export duty', '铁矿砂：征收出口关税', CURRENT_TIMESTAMP);

INSERT INTO brand_watches (brand, brand_key, holder, created_at) VALUES
    ('Disney', 'disney', 'Disney Enterprises, Inc.', CURRENT_TIMESTAMP),
    ('Hello Kitty', 'hellokitty', 'Sanrio Co., Ltd.', CURRENT_TIMESTAMP),
    ('Nike', 'nike', 'Nike, Inc.', CURRENT_TIMESTAMP),
    ('Adidas', 'adidas', 'adidas AG', CURRENT_TIMESTAMP),
    ('Chanel', 'chanel', 'Chanel SAS', CURRENT_TIMESTAMP),
    ('Louis Vuitton', 'louisvuitton', 'Louis Vuitton Malletier', CURRENT_TIMESTAMP),
    ('Gucci', 'gucci', 'Guccio Gucci S.p.A.', CURRENT_TIMESTAMP),
    ('Pokémon', 'pokémon', 'Nintendo / The Pokémon Company', CURRENT_TIMESTAMP),
    ('Barbie', 'barbie', 'Mattel, Inc.', CURRENT_TIMESTAMP),
    ('LEGO', 'lego', 'LEGO Juris A/S', CURRENT_TIMESTAMP),
    ('Marvel', 'marvel', 'Marvel Characters, Inc.', CURRENT_TIMESTAMP),
    ('Apple', 'apple', 'Apple Inc.', CURRENT_TIMESTAMP);
