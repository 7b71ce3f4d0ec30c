package demo

// Name lists the demo draws from. They are plausible, invented names: any likeness to a real
// business is chance.

// surnames are common family names in Yiwu and Zhejiang (楼, 骆, 傅 and 龚 are typical of Yiwu).
var surnames = []string{
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "朱", "胡", "何", "林", "郑",
	"楼", "骆", "金", "傅", "龚", "冯", "叶", "方", "虞", "毛", "丁", "蒋", "许", "王", "陈", "吴",
}

// givenNames are given names of people running stalls and trade companies.
var givenNames = []string{
	"建华", "伟", "芳", "丽萍", "志强", "秀英", "海燕", "晓东", "国平", "雪芬", "美娟", "立新",
	"小红", "建军", "春燕", "军", "敏", "燕飞", "林峰", "慧", "婷婷", "红英", "剑锋", "宏伟",
	"俊杰", "丽娟", "佳怡", "晓明", "国强", "卫东", "文斌", "雅琴", "素芬", "月仙", "新华", "金凤",
	"爱华", "玲", "杰", "永康", "利民", "晓燕", "浩", "静",
}

// shopName is a trade name (字号) with its pinyin, as Yiwu shops spell it in English, and the
// initials stalls use in their SKU codes.
type shopName struct{ zh, py, initials string }

var shopNames = []shopName{
	{"晶彩", "Jingcai", "JC"}, {"鑫源", "Xinyuan", "XY"}, {"佳美", "Jiamei", "JM"}, {"华艺", "Huayi", "HY"},
	{"金鼎", "Jinding", "JD"}, {"恒达", "Hengda", "HD"}, {"明星", "Mingxing", "MX"}, {"锦程", "Jincheng", "JC"},
	{"永盛", "Yongsheng", "YS"}, {"宏泰", "Hongtai", "HT"}, {"福瑞", "Furui", "FR"}, {"顺发", "Shunfa", "SF"},
	{"新亿", "Xinyi", "XY"}, {"美琪", "Meiqi", "MQ"}, {"星辰", "Xingchen", "XC"}, {"嘉禾", "Jiahe", "JH"},
	{"欣悦", "Xinyue", "XY"}, {"伊美", "Yimei", "YM"}, {"汇通", "Huitong", "HT"}, {"天泽", "Tianze", "TZ"},
	{"瑞祥", "Ruixiang", "RX"}, {"昌盛", "Changsheng", "CS"}, {"博雅", "Boya", "BY"}, {"创艺", "Chuangyi", "CY"},
	{"优品", "Youpin", "YP"}, {"乐购", "Legou", "LG"}, {"华丰", "Huafeng", "HF"}, {"众诚", "Zhongcheng", "ZC"},
	{"金帆", "Jinfan", "JF"}, {"艺峰", "Yifeng", "YF"}, {"和顺", "Heshun", "HS"}, {"晨曦", "Chenxi", "CX"},
	{"凯达", "Kaida", "KD"}, {"广源", "Guangyuan", "GY"}, {"荣昌", "Rongchang", "RC"}, {"东方", "Dongfang", "DF"},
	{"百合", "Baihe", "BH"}, {"蓝天", "Lantian", "LT"}, {"雅馨", "Yaxin", "YX"}, {"兴旺", "Xingwang", "XW"},
	{"亿佳", "Yijia", "YJ"}, {"彩虹", "Caihong", "CH"}, {"金秋", "Jinqiu", "JQ"}, {"新潮", "Xinchao", "XC"},
	{"好运", "Haoyun", "HY"}, {"启航", "Qihang", "QH"}, {"盛源", "Shengyuan", "SY"}, {"丰泽", "Fengze", "FZ"},
}

// place is a town or subdistrict (街道/镇) of Yiwu with its pinyin.
type place struct{ zh, py string }

var yiwuPlaces = []place{
	{"稠城", "Choucheng"}, {"北苑", "Beiyuan"}, {"稠江", "Choujiang"}, {"江东", "Jiangdong"},
	{"后宅", "Houzhai"}, {"福田", "Futian"}, {"城西", "Chengxi"}, {"廿三里", "Niansanli"},
	{"佛堂", "Fotang"}, {"苏溪", "Suxi"}, {"上溪", "Shangxi"}, {"义亭", "Yiting"},
	{"大陈", "Dachen"}, {"赤岸", "Chi'an"},
}

// yiwuRoads are roads for street addresses in Yiwu.
var yiwuRoads = []string{
	"商城大道", "宾王路", "稠州北路", "工人北路", "城中北路", "江滨北路", "丹溪北路", "福田路",
	"银海路", "诚信大道", "春晗路", "雪峰西路", "宗泽北路", "望道路",
}

// producerTowns are towns of Jinhua prefecture, where most goods sold in Yiwu are made
// (永康 hardware, 浦江 crystal, 东阳 crafts).
var producerTowns = []string{"义乌市", "义乌市", "义乌市", "金华市", "东阳市", "永康市", "浦江县", "兰溪市", "武义县"}

// bank is a bank merchants in Yiwu keep their settlement account with, and the shape of its
// account numbers: a branch prefix padded with random digits to length.
type bank struct {
	name   string
	prefix string
	length int
	weight int
}

var banks = []bank{
	{"浙江义乌农村商业银行", "201000", 18, 30},
	{"浙江稠州商业银行", "15", 17, 20},
	{"中国工商银行义乌分行", "1208020", 19, 15},
	{"中国农业银行义乌分行", "196401", 19, 12},
	{"中国建设银行义乌分行", "330501677", 20, 10},
	{"中国银行义乌分行", "3676", 12, 8},
	{"浙商银行义乌分行", "3387020010", 19, 5},
}

// agentProfile is a Yiwu trade company acting as market-procurement agent.
type agentProfile struct {
	name, nameEn, prefix, address string
}

var agentProfiles = []agentProfile{
	{"义乌市鸿通进出口有限公司", "Yiwu Hongtong Import & Export Co., Ltd.", "HT", "浙江省义乌市福田街道商城大道L15号金融商务区8楼"},
	{"义乌市聚源供应链管理有限公司", "Yiwu Juyuan Supply Chain Management Co., Ltd.", "JY", "浙江省义乌市稠江街道杨村路300号"},
	{"浙江丝路通国际贸易有限公司", "Zhejiang Silutong International Trade Co., Ltd.", "SL", "浙江省义乌市北苑街道春华路1号3幢"},
	{"义乌市百川进出口有限公司", "Yiwu Baichuan Import & Export Co., Ltd.", "BC", "浙江省义乌市稠城街道工人北路1058号"},
	{"义乌市中欧通国际贸易有限公司", "Yiwu Zhong'ou Tong International Trade Co., Ltd.", "ZO", "浙江省义乌市后宅街道陶界岭路88号"},
}

// ownBrands are invented brands of Yiwu makers; none is on the seeded brand watch list.
var ownBrands = []string{"晶彩", "Sunnyday", "HUAMEI", "LANDU", "好运来", "Kaixin", "YIWU STAR", "MeiQi"}

// watchedBrand is a brand of the seeded watch list that a counterfeit could carry, with the
// trades whose goods would plausibly bear it.
type watchedBrand struct {
	brand  string
	trades []string
}

// watchedBrands lists, in order of preference, the protected brands the demo's held goods carry.
var watchedBrands = []watchedBrand{
	{"Disney", []string{"toys", "stationery", "bags"}},
	{"Hello Kitty", []string{"bags", "stationery", "jewellery", "cosmetics"}},
	{"Nike", []string{"socks", "hats"}},
	{"Marvel", []string{"toys", "stationery"}},
	{"Adidas", []string{"socks", "hats"}},
	{"Barbie", []string{"toys"}},
	{"Chanel", []string{"jewellery", "cosmetics"}},
	{"Gucci", []string{"bags"}},
}

// colours vary repeated goods of one stall.
var colours = []string{"混色", "红色", "蓝色", "黑色", "粉色", "白色", "金色", "绿色"}
