package demo

// trade is a line of business in Yiwu International Trade City, the market district it sits
// in, and the goods its stalls sell.
type trade struct {
	key      string // stable name, used by the brand lists
	zh, en   string // as in a shop name: 义乌市稠城晶彩饰品商行, Yiwu Choucheng Jingcai Jewelry Firm
	district string // "1"…"5"
	weight   int    // how many stalls, relatively
	goods    []goodsTemplate
}

// goodsTemplate is a kind of goods a stall registers. HS codes are China's 10-digit codes; the
// first six are HS 2022 subheadings (checked by a test). Units are customs unit codes.
type goodsTemplate struct {
	zh, en    string
	hs        string
	specs     []string
	legal     string // legal unit (法定计量单位)
	unit      string // transaction unit the stall sells in
	lo, hi    int64  // list price range per transaction unit, US cents
	grams     int64  // net grams per transaction unit
	perCarton int64  // transaction units per export carton
}

// trades is the demo's catalogue: sixteen trades across the five districts (一区 ornaments,
// toys, festive goods and flowers; 二区 bags, umbrellas, hardware, lighting and electronics;
// 三区 stationery, cosmetic tools and eyewear; 四区 socks, hats and household goods; 五区
// home textiles and car accessories).
var trades = []trade{
	{key: "jewellery", zh: "饰品", en: "Jewelry", district: "1", weight: 5, goods: []goodsTemplate{
		{"合金耳环", "Alloy earrings", "7117190000", []string{"锌合金镀金 水钻 3.5cm", "锌合金镀银 仿珍珠 2.8cm", "铜镀金 几何款 4cm"}, "035", "025", 18, 95, 8, 1200},
		{"合金项链", "Alloy necklace", "7117190000", []string{"锌合金 链长45cm", "铜镀金 吊坠款 链长50cm"}, "035", "015", 35, 220, 20, 500},
		{"不锈钢戒指", "Stainless steel ring", "7117190000", []string{"304不锈钢 6-10号混码", "钛钢 镀18K金色"}, "035", "007", 15, 110, 6, 1500},
		{"亚克力串珠手链", "Acrylic bead bracelet", "7117900000", []string{"亚克力珠 弹力绳", "树脂珠 儿童款"}, "035", "015", 12, 60, 12, 800},
		{"树脂胸针", "Resin brooch", "7117900000", []string{"树脂 花朵款 4cm", "滴油 卡通款 3cm"}, "035", "007", 20, 80, 10, 1000},
		{"合金发夹", "Alloy hair clip", "9615190000", []string{"合金 水钻 6cm", "合金 珍珠 一字夹"}, "035", "007", 5, 45, 6, 2000},
		{"水晶钥匙扣", "Crystal keychain", "7117900000", []string{"K9水晶 合金扣", "亚克力 卡通款"}, "035", "007", 25, 120, 25, 400},
	}},
	{key: "toys", zh: "玩具", en: "Toys", district: "1", weight: 5, goods: []goodsTemplate{
		{"毛绒玩具熊", "Plush teddy bear", "9503002100", []string{"25cm 短毛绒 PP棉填充", "40cm 长毛绒 PP棉填充"}, "007", "007", 80, 650, 150, 60},
		{"惯性回力小汽车", "Friction toy car", "9503008900", []string{"ABS 1:32 合金车头", "PP 卡通款 4色混装"}, "007", "007", 25, 150, 60, 144},
		{"泡泡枪", "Bubble gun", "9503008900", []string{"电动 带灯光 含泡泡水", "手动 卡通款"}, "007", "007", 60, 320, 180, 60},
		{"遥控越野车", "Remote-control off-road car", "9503008900", []string{"1:18 2.4G 充电款", "1:24 27MHz 电池款"}, "007", "007", 350, 1500, 450, 24},
		{"益智拼图", "Jigsaw puzzle", "9503006000", []string{"纸质 500片 盒装", "木质 儿童 60片"}, "140", "140", 50, 300, 250, 48},
		{"塑料拼插积木", "Plastic building blocks", "9503008900", []string{"ABS 300粒 盒装", "PP 大颗粒 120粒"}, "006", "006", 120, 800, 400, 24},
		{"时装娃娃", "Fashion doll", "9503002900", []string{"11寸 关节可动 盒装", "6寸 迷你款"}, "007", "007", 50, 300, 200, 48},
	}},
	{key: "christmas", zh: "节庆用品", en: "Festive Articles", district: "1", weight: 4, goods: []goodsTemplate{
		{"圣诞彩球", "Christmas baubles", "9505100000", []string{"直径6cm 12个/盒 电镀", "直径8cm 6个/盒 亮光"}, "035", "140", 60, 350, 300, 36},
		{"圣诞花环", "Christmas wreath", "9505100000", []string{"PVC 直径40cm", "松针 直径30cm 带松果"}, "035", "007", 120, 600, 250, 40},
		{"圣诞老人摆件", "Santa Claus figurine", "9505100000", []string{"树脂 高15cm", "布艺 高30cm"}, "035", "007", 80, 450, 200, 48},
		{"人造圣诞树", "Artificial Christmas tree", "9505100000", []string{"PVC 90cm", "PVC 120cm 带底座"}, "035", "007", 350, 1800, 1200, 10},
		{"万圣节面具", "Halloween mask", "9505900000", []string{"PVC 南瓜款", "乳胶 骷髅款"}, "035", "007", 35, 200, 60, 200},
		{"派对装饰套装", "Party decoration set", "9505900000", []string{"拉旗+气球 生日款", "纸质 拉花 12件套"}, "035", "006", 80, 350, 180, 60},
		{"LED圣诞灯串", "LED Christmas string lights", "9405310000", []string{"100灯 10米 暖白", "50灯 5米 彩色 电池款"}, "006", "006", 90, 450, 150, 80},
	}},
	{key: "flowers", zh: "仿真花", en: "Artificial Flowers", district: "1", weight: 2, goods: []goodsTemplate{
		{"仿真丝绸玫瑰", "Artificial silk rose", "6702900000", []string{"涤纶丝绸 单枝 长60cm", "绒布 单枝 长45cm"}, "035", "012", 20, 150, 35, 300},
		{"塑料仿真花束", "Plastic flower bouquet", "6702100000", []string{"PE 7头 长30cm", "PE 满天星 长50cm"}, "035", "007", 80, 400, 120, 100},
		{"仿真绿植盆栽", "Artificial potted plant", "6702100000", []string{"PE 高40cm 水泥盆", "PE 高25cm 塑料盆"}, "035", "007", 150, 800, 500, 24},
		{"仿真常春藤", "Artificial ivy vine", "6702100000", []string{"PE 长2米", "涤纶 长1.8米"}, "035", "015", 30, 180, 60, 200},
		{"婚庆拱门花", "Wedding arch flowers", "6702900000", []string{"丝绸 1.2米 成套", "丝绸 0.8米 成套"}, "035", "006", 300, 1500, 800, 12},
	}},
	{key: "bags", zh: "箱包", en: "Luggage & Bags", district: "2", weight: 4, goods: []goodsTemplate{
		{"涤纶旅行袋", "Polyester travel bag", "4202920000", []string{"600D涤纶 50x28x25cm", "牛津布 可折叠"}, "007", "007", 250, 1200, 450, 30},
		{"帆布手提袋", "Canvas tote bag", "4202220000", []string{"12安帆布 38x42cm", "棉布 印花款"}, "007", "007", 80, 450, 220, 60},
		{"PU零钱包", "PU coin purse", "4202320000", []string{"PU 拉链款 11x9cm", "PU 卡通款"}, "007", "007", 30, 200, 60, 200},
		{"ABS拉杆箱", "ABS trolley suitcase", "4202120000", []string{"ABS 20寸 万向轮", "ABS+PC 24寸"}, "007", "007", 800, 2500, 3500, 4},
		{"学生双肩包", "School backpack", "4202920000", []string{"涤纶 护脊款 大号", "尼龙 轻便款"}, "007", "007", 200, 850, 550, 30},
		{"化妆包", "Cosmetic bag", "4202920000", []string{"PVC 透明款", "涤纶 三件套"}, "007", "007", 40, 250, 90, 150},
	}},
	{key: "umbrellas", zh: "伞业", en: "Umbrella", district: "2", weight: 2, goods: []goodsTemplate{
		{"三折自动伞", "Automatic folding umbrella", "6601910000", []string{"21寸 8骨 黑胶防晒", "23寸 10骨 加固"}, "016", "016", 150, 500, 350, 40},
		{"直杆长柄伞", "Straight umbrella", "6601990000", []string{"27寸 弯柄 自动", "25寸 玻璃纤维骨"}, "016", "016", 180, 650, 500, 30},
		{"儿童卡通伞", "Kids cartoon umbrella", "6601990000", []string{"19寸 安全伞头", "17寸 透明款"}, "016", "016", 90, 300, 280, 50},
		{"庭院遮阳伞", "Garden parasol", "6601100000", []string{"2.7米 铝合金杆", "3米 侧立式"}, "016", "016", 1200, 2500, 5000, 2},
		{"晴雨两用伞", "UV sun umbrella", "6601910000", []string{"五折 胶囊款", "三折 黑胶 UPF50+"}, "016", "016", 160, 550, 320, 40},
	}},
	{key: "hardware", zh: "五金工具", en: "Hardware & Tools", district: "2", weight: 4, goods: []goodsTemplate{
		{"螺丝刀套装", "Screwdriver set", "8205400000", []string{"CR-V 6件套", "多功能 31合1"}, "006", "006", 80, 450, 250, 48},
		{"尖嘴钳", "Long-nose pliers", "8203200000", []string{"6寸 碳钢 双色柄", "8寸 铬钒钢"}, "016", "016", 60, 280, 180, 60},
		{"双头开口扳手", "Double open-end spanner", "8204110000", []string{"8-10mm 碳钢镀铬", "12-14mm 铬钒钢"}, "016", "016", 40, 200, 150, 80},
		{"家用剪刀", "Household scissors", "8213000000", []string{"不锈钢 21cm", "不锈钢 17cm 软柄"}, "016", "016", 20, 150, 80, 150},
		{"不锈钢自攻螺丝", "Stainless steel self-tapping screws", "7318159000", []string{"304不锈钢 M4x20", "410不锈钢 ST4.2x25"}, "035", "035", 120, 380, 1000, 20},
		{"镀锌六角螺母", "Galvanised hex nuts", "7318160000", []string{"碳钢镀锌 M8", "碳钢镀锌 M10"}, "035", "035", 100, 320, 1000, 20},
		{"油灰刀", "Putty knife", "8205590000", []string{"碳钢 3寸 木柄", "不锈钢 4寸 塑柄"}, "016", "016", 15, 90, 90, 120},
	}},
	{key: "lighting", zh: "灯饰", en: "Lighting", district: "2", weight: 3, goods: []goodsTemplate{
		{"LED台灯", "LED desk lamp", "9405210000", []string{"5W 三档调光 USB", "8W 折叠 护眼款"}, "007", "007", 250, 900, 700, 16},
		{"LED吸顶灯", "LED ceiling light", "9405110000", []string{"24W 圆形 直径40cm", "36W 方形"}, "007", "007", 400, 1800, 1500, 8},
		{"太阳能草坪灯", "Solar lawn light", "9405410000", []string{"不锈钢 插地款", "ABS 壁挂款 感应"}, "007", "007", 120, 600, 300, 40},
		{"LED灯泡", "LED bulb", "8539520000", []string{"9W E27 冷白", "5W E14 暖白"}, "007", "007", 25, 120, 50, 200},
		{"LED小夜灯", "LED night light", "9405420000", []string{"插电 光控", "充电 卡通款"}, "007", "007", 50, 200, 80, 150},
		{"LED手电筒", "LED torch", "8513101000", []string{"铝合金 3xAAA", "强光 充电款"}, "007", "007", 40, 300, 120, 100},
	}},
	{key: "electronics", zh: "电子", en: "Electronics", district: "2", weight: 2, goods: []goodsTemplate{
		{"入耳式有线耳机", "Wired in-ear earphones", "8518300000", []string{"3.5mm 带麦克风", "Type-C 线控"}, "007", "007", 35, 250, 30, 400},
		{"多用转换插座", "Multi-purpose adapter socket", "8536690000", []string{"英标 三位 带USB", "欧标 两位"}, "007", "007", 60, 350, 150, 80},
		{"儿童电子手表", "Kids digital watch", "9102120000", []string{"硅胶表带 LED显示", "防水 卡通款"}, "008", "008", 50, 250, 40, 300},
		{"电子计算器", "Electronic calculator", "8470100000", []string{"12位 太阳能双电源", "8位 口袋款"}, "001", "001", 80, 400, 150, 80},
		{"手机支架", "Phone stand", "3926909090", []string{"ABS 折叠 桌面款", "铝合金 可调"}, "035", "007", 20, 120, 50, 240},
	}},
	{key: "stationery", zh: "文具", en: "Stationery", district: "3", weight: 4, goods: []goodsTemplate{
		{"圆珠笔", "Ballpoint pen", "9608100000", []string{"0.7mm 蓝色 按动", "0.5mm 黑色 透明杆"}, "012", "012", 3, 35, 10, 1200},
		{"记号笔", "Marker pen", "9608200000", []string{"油性 双头 黑色", "白板笔 可擦 四色"}, "012", "012", 8, 60, 15, 800},
		{"六角铅笔", "Hexagonal pencil", "9609101000", []string{"HB 带橡皮头", "2B 考试用"}, "012", "012", 2, 15, 5, 2400},
		{"线圈笔记本", "Spiral notebook", "4820100000", []string{"A5 80页 横线", "B5 60页 牛皮纸封面"}, "035", "007", 25, 250, 180, 60},
		{"学生练习本", "Exercise book", "4820200000", []string{"16K 40页", "32K 30页 田字格"}, "035", "007", 8, 45, 60, 200},
		{"磁性白板", "Magnetic whiteboard", "9610000000", []string{"60x45cm 铝框", "40x30cm 双面"}, "007", "007", 80, 500, 600, 20},
		{"橡皮擦", "Eraser", "4016920000", []string{"4B 美术橡皮", "卡通造型 4个装"}, "035", "007", 2, 15, 15, 800},
		{"卷笔刀", "Pencil sharpener", "8214100000", []string{"双孔 塑料", "金属 单孔"}, "007", "007", 3, 30, 15, 800},
		{"信封", "Envelopes", "4817100000", []string{"牛皮纸 DL 50个/包", "白色 C5 25个/包"}, "035", "125", 30, 150, 250, 48},
	}},
	{key: "cosmetics", zh: "化妆工具", en: "Cosmetic Tools", district: "3", weight: 3, goods: []goodsTemplate{
		{"化妆刷套装", "Makeup brush set", "9603309000", []string{"12支 人造纤维毛 木柄", "7支 便携 带包"}, "006", "006", 80, 600, 150, 80},
		{"气垫梳", "Cushion hair brush", "9603290000", []string{"塑料柄 气囊 尼龙针", "木柄 猪鬃"}, "016", "016", 25, 120, 80, 150},
		{"塑料梳子", "Plastic comb", "9615110000", []string{"ABS 宽齿 18cm", "尖尾梳 混色"}, "016", "016", 3, 30, 15, 800},
		{"指甲刀套装", "Manicure set", "8214200000", []string{"不锈钢 7件套 皮套", "碳钢 12件套"}, "006", "006", 40, 300, 120, 100},
		{"美妆蛋", "Makeup sponge", "3926909090", []string{"聚氨酯 水滴形", "葫芦形 4个装"}, "035", "007", 5, 35, 8, 1500},
		{"睫毛夹", "Eyelash curler", "8214200000", []string{"碳钢镀铬 硅胶垫", "局部 小号"}, "007", "007", 10, 60, 25, 400},
		{"台式化妆镜", "Cosmetic table mirror", "7009920000", []string{"LED补光 圆形", "双面 放大3倍"}, "007", "007", 30, 250, 200, 60},
	}},
	{key: "glasses", zh: "眼镜", en: "Eyewear", district: "3", weight: 1, goods: []goodsTemplate{
		{"太阳镜", "Sunglasses", "9004100000", []string{"PC镜片 UV400", "偏光 金属框"}, "019", "019", 50, 350, 30, 300},
		{"老花镜", "Reading glasses", "9004909000", []string{"+1.0至+3.5 混度", "折叠 带盒"}, "019", "019", 30, 180, 25, 400},
		{"儿童太阳镜", "Kids sunglasses", "9004100000", []string{"硅胶框 UV400", "卡通款"}, "019", "019", 30, 150, 20, 500},
		{"眼镜盒", "Spectacle case", "4202920000", []string{"PU 硬壳", "EVA 拉链款"}, "007", "007", 10, 80, 40, 300},
		{"眼镜布", "Lens cleaning cloth", "6307100000", []string{"超细纤维 15x15cm", "麂皮绒 18x18cm"}, "035", "020", 1, 8, 5, 2000},
	}},
	{key: "socks", zh: "袜业", en: "Socks", district: "4", weight: 3, goods: []goodsTemplate{
		{"精梳棉袜", "Combed cotton socks", "6115950000", []string{"80%棉 中筒 男款", "85%棉 短筒 女款"}, "025", "025", 25, 120, 45, 300},
		{"涤纶运动袜", "Polyester sports socks", "6115960000", []string{"毛巾底 中筒", "速干 短筒"}, "025", "025", 20, 90, 40, 300},
		{"儿童卡通袜", "Kids cartoon socks", "6115950000", []string{"棉 1-3岁 防滑", "棉 4-8岁"}, "025", "025", 15, 60, 25, 480},
		{"隐形船袜", "No-show socks", "6115960000", []string{"冰丝 硅胶防滑", "涤纶 浅口"}, "025", "025", 12, 50, 20, 600},
		{"女士连裤袜", "Women's pantyhose", "6115210000", []string{"20D 肤色", "40D 黑色"}, "015", "015", 20, 100, 35, 400},
		{"压力袜", "Graduated compression stockings", "6115100000", []string{"二级压力 中筒", "一级压力 长筒"}, "025", "025", 100, 400, 80, 150},
	}},
	{key: "hats", zh: "帽业", en: "Hats & Scarves", district: "4", weight: 3, goods: []goodsTemplate{
		{"针织毛线帽", "Knitted beanie", "6505009900", []string{"腈纶 翻边款", "加绒 毛球款"}, "007", "007", 40, 250, 80, 150},
		{"棒球帽", "Baseball cap", "6505009900", []string{"全棉 可调节", "网眼 刺绣款"}, "007", "007", 60, 300, 90, 120},
		{"渔夫帽", "Bucket hat", "6505009900", []string{"全棉 双面", "涤纶 印花"}, "007", "007", 50, 250, 85, 120},
		{"草编遮阳帽", "Straw sun hat", "6504000000", []string{"纸草 宽檐", "麦秆 礼帽款"}, "007", "007", 50, 280, 100, 100},
		{"针织围巾", "Knitted scarf", "6117100000", []string{"腈纶 180x30cm", "仿羊绒 格子款"}, "015", "015", 60, 350, 150, 80},
		{"针织手套", "Knitted gloves", "6116930000", []string{"腈纶 触屏款", "加绒 儿童款"}, "025", "025", 20, 120, 50, 240},
	}},
	{key: "household", zh: "日用品", en: "Household Goods", district: "4", weight: 4, goods: []goodsTemplate{
		{"塑料保鲜盒", "Plastic food container", "3924100000", []string{"PP 1000ml 带盖", "PP 三件套"}, "035", "007", 30, 200, 150, 80},
		{"塑料水杯", "Plastic tumbler", "3924100000", []string{"PP 400ml", "PS 双层 带吸管"}, "035", "007", 10, 80, 60, 200},
		{"塑料收纳箱", "Plastic storage box", "3924900000", []string{"PP 35L 带滑轮", "PP 10L 可叠加"}, "035", "007", 50, 350, 400, 30},
		{"塑料衣架", "Plastic clothes hangers", "3924900000", []string{"PP 10个/包 防滑", "ABS 8个/包"}, "035", "125", 30, 150, 400, 30},
		{"树脂工艺摆件", "Resin ornament", "3926400000", []string{"树脂 大象摆件 15cm", "树脂 招财猫 10cm"}, "035", "007", 80, 500, 250, 48},
		{"不锈钢饭盒", "Stainless steel lunch box", "7323930000", []string{"304不锈钢 双层", "201不锈钢 三格"}, "035", "007", 80, 450, 300, 40},
		{"不锈钢保温杯", "Stainless steel vacuum flask", "9617001900", []string{"304不锈钢 500ml", "316不锈钢 750ml 带茶隔"}, "007", "007", 150, 600, 350, 36},
		{"粘钩", "Adhesive plastic hooks", "3926909090", []string{"透明 10个/套 无痕", "PP 6个/套 承重3kg"}, "035", "006", 10, 60, 50, 240},
	}},
	{key: "textiles", zh: "针纺织品", en: "Home Textiles", district: "5", weight: 3, goods: []goodsTemplate{
		{"超细纤维清洁布", "Microfibre cleaning cloth", "6307100000", []string{"30x30cm 300g/㎡", "40x40cm 加厚"}, "035", "020", 5, 40, 30, 400},
		{"无纺布收纳袋", "Non-woven storage bag", "6307900090", []string{"无纺布 60x40x35cm", "牛津布 带拉链"}, "035", "007", 20, 120, 60, 200},
		{"纯棉毛巾", "Cotton towel", "6302600000", []string{"全棉 34x74cm 100g", "全棉 缎档 35x75cm"}, "015", "015", 40, 250, 100, 120},
		{"抱枕套", "Cushion cover", "6304930000", []string{"涤纶 45x45cm 印花", "短毛绒 40x40cm"}, "035", "007", 50, 250, 120, 100},
		{"户外帐篷", "Camping tent", "6306220000", []string{"涤纶 3-4人 双层", "涤纶 2人 速开"}, "035", "007", 500, 2200, 2200, 6},
		{"蕾丝发带", "Lace headband", "6217100000", []string{"涤纶蕾丝 宽5cm", "弹力 蝴蝶结款"}, "035", "015", 10, 60, 15, 800},
	}},
	{key: "car", zh: "汽车用品", en: "Car Accessories", district: "5", weight: 2, goods: []goodsTemplate{
		{"车载手机支架", "Car phone holder", "3926909090", []string{"出风口 重力款", "吸盘 伸缩款"}, "035", "007", 40, 250, 80, 150},
		{"汽车坐垫", "Car seat cushion", "9404909000", []string{"冰丝 四季通用", "亚麻 单片"}, "035", "007", 200, 900, 600, 20},
		{"汽车香薰", "Car air freshener", "3307490000", []string{"出风口夹 8ml 海洋香", "摆件 50ml 柠檬香"}, "035", "007", 30, 200, 60, 200},
		{"汽车遮阳挡", "Car windscreen sunshade", "6307900090", []string{"银胶布 130x60cm", "折叠 伞式"}, "035", "007", 80, 400, 300, 40},
		{"车载垃圾桶", "Car trash bin", "3926909090", []string{"ABS 挂式", "PP 翻盖"}, "035", "007", 30, 150, 100, 100},
	}},
}
