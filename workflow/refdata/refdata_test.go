package refdata

import (
	"slices"
	"strings"
	"testing"
)

// load builds the Set once per test.
func load(tb testing.TB) *Set {
	tb.Helper()
	s, err := Load()
	if err != nil {
		tb.Fatalf("Load: %v", err)
	}
	return s
}

func TestHSCounts(t *testing.T) {
	s := load(t)
	count := map[int]int{}
	for _, e := range s.hsEntries {
		count[e.Level]++
	}
	want := map[int]int{HSLevelChapter: 96, HSLevelHeading: 1228, HSLevelSubheading: 5612}
	for level, n := range want {
		if count[level] != n {
			t.Errorf("level %d: %d codes, want %d", level, count[level], n)
		}
	}
	if n := len(s.HSChapters()); n != 96 {
		t.Errorf("HSChapters: %d, want 96", n)
	}
	if !slices.IsSortedFunc(s.HSChapters(), func(a, b HSEntry) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("HSChapters not sorted")
	}
}

func TestHSLookup(t *testing.T) {
	s := load(t)
	tests := []struct {
		name    string
		lookup  func(string) (HSEntry, bool)
		code    string
		ok      bool
		section string
	}{
		{"OK/Chapter01", s.HSChapter, "01", true, "I"},
		{"OK/Chapter95", s.HSChapter, "95", true, "XX"},
		{"OK/Chapter97", s.HSChapter, "97", true, "XXI"},
		{"OK/Heading9503", s.HSHeading, "9503", true, "XX"},
		{"OK/Subheading950300", s.HSSubheading, "950300", true, "XX"},
		{"OK/Subheading950510", s.HSSubheading, "950510", true, "XX"},
		{"OK/Subheading940541", s.HSSubheading, "940541", true, "XX"},
		{"OK/Subheading010121", s.HSSubheading, "010121", true, "I"},
		// HS 2022 split HS 2017's 940540 into 940541, 940542 and 940549.
		{"ErrSplitByHS2022/940540", s.HSSubheading, "940540", false, ""},
		{"ErrNationalCode/9405400000", s.HSSubheading, "9405400000", false, ""},
		{"ErrReserved/Chapter77", s.HSChapter, "77", false, ""},
		{"ErrPseudo/99", s.HSChapter, "99", false, ""},
		{"ErrPseudo/9999", s.HSHeading, "9999", false, ""},
		{"ErrPseudo/999999", s.HSSubheading, "999999", false, ""},
		{"ErrPseudo/TOTAL", s.HSChapter, "TOTAL", false, ""},
		{"ErrWrongLevel/HeadingAsChapter", s.HSChapter, "9503", false, ""},
		{"ErrWrongLevel/ChapterAsSubheading", s.HSSubheading, "95", false, ""},
		{"ErrEmpty", s.HSHeading, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok := tt.lookup(tt.code)
			if ok != tt.ok {
				t.Fatalf("found = %v, want %v (%+v)", ok, tt.ok, e)
			}
			if !ok {
				return
			}
			if e.Code != tt.code || e.Level != len(tt.code) || e.Section != tt.section || e.Description == "" {
				t.Errorf("got %+v, want code %s section %s", e, tt.code, tt.section)
			}
		})
	}
}

func TestHSSection(t *testing.T) {
	s := load(t)
	tests := []struct {
		roman, want string
		ok          bool
	}{
		{"I", "live animals; animal products", true},
		{"XX", "Miscellaneous manufactured articles", true},
		{"XXI", "", true},
		{"XXII", "", false},
		{"TOTAL", "", false},
	}
	for _, tt := range tests {
		got, ok := s.HSSection(tt.roman)
		if ok != tt.ok || (tt.want != "" && got != tt.want) {
			t.Errorf("HSSection(%q) = %q, %v; want %q, %v", tt.roman, got, ok, tt.want, tt.ok)
		}
		if got != strings.TrimSpace(got) {
			t.Errorf("HSSection(%q) = %q: not trimmed", tt.roman, got)
		}
	}
	if len(s.sections) != 21 {
		t.Errorf("%d sections, want 21", len(s.sections))
	}
}

func TestCountry(t *testing.T) {
	s := load(t)
	tests := []struct {
		name string
		code string
		want Country
		ok   bool
	}{
		{"OK/China", "CN", Country{"CN", "CHN", "156", "China", "中国"}, true},
		{"OK/NamibiaNotNull", "NA", Country{"NA", "NAM", "516", "Namibia", "纳米比亚"}, true},
		{"OK/ZeroPadded", "AF", Country{"AF", "AFG", "004", "Afghanistan", "阿富汗"}, true},
		{"OK/TurkeyCLDR", "TR", Country{"TR", "TUR", "792", "Türkiye", "土耳其"}, true},
		{"OK/TaiwanOverride", "TW", Country{"TW", "TWN", "158", "Taiwan", "中国台湾"}, true},
		{"OK/HongKongOverride", "HK", Country{"HK", "HKG", "344", "Hong Kong", "中国香港"}, true},
		{"OK/MacaoOverride", "MO", Country{"MO", "MAC", "446", "Macao", "中国澳门"}, true},
		{"OK/FootnoteStripped", "CK", Country{"CK", "COK", "184", "Cook Islands", "库克群岛"}, true},
		{"ErrLowerCase", "cn", Country{}, false},
		{"ErrAlpha3", "CHN", Country{}, false},
		{"ErrUnknown", "XX", Country{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Country(tt.code)
			if ok != tt.ok || got != tt.want {
				t.Errorf("Country(%q) = %+v, %v; want %+v, %v", tt.code, got, ok, tt.want, tt.ok)
			}
		})
	}
	if c, ok := s.CountryByAlpha3("CHN"); !ok || c.Alpha2 != "CN" {
		t.Errorf("CountryByAlpha3(CHN) = %+v, %v", c, ok)
	}
	all := s.Countries()
	if len(all) != 249 {
		t.Errorf("%d countries, want 249", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b Country) int { return strings.Compare(a.Alpha2, b.Alpha2) }) {
		t.Error("Countries not sorted")
	}
	for _, c := range all {
		if strings.ContainsAny(c.NameZh+c.NameEn, "*") {
			t.Errorf("%s: footnote marker in name %q / %q", c.Alpha2, c.NameEn, c.NameZh)
		}
	}
}

func TestCurrency(t *testing.T) {
	s := load(t)
	tests := []struct {
		name string
		code string
		want Currency
		ok   bool
	}{
		{"OK/Renminbi", "CNY", Currency{"CNY", "156", "Yuan Renminbi", 2}, true},
		{"OK/Lira", "TRY", Currency{"TRY", "949", "Turkish Lira", 2}, true},
		{"OK/Yen", "JPY", Currency{"JPY", "392", "Yen", 0}, true},
		{"OK/ThreeDecimals", "KWD", Currency{"KWD", "414", "Kuwaiti Dinar", 3}, true},
		{"OK/NameTrimmed", "KMF", Currency{"KMF", "174", "Comorian Franc", 0}, true},
		{"OK/CFAFranc", "XOF", Currency{"XOF", "952", "CFA Franc BCEAO", 0}, true},
		{"OK/CaribbeanGuilder", "XCG", Currency{"XCG", "532", "Caribbean Guilder", 2}, true},
		{"ErrWithdrawn/BGN", "BGN", Currency{}, false},
		{"ErrWithdrawn/ANG", "ANG", Currency{}, false},
		{"ErrFund/CHE", "CHE", Currency{}, false},
		{"ErrFund/USN", "USN", Currency{}, false},
		{"ErrMetal/XAU", "XAU", Currency{}, false},
		{"ErrTest/XTS", "XTS", Currency{}, false},
		{"ErrNotISO/RMB", "RMB", Currency{}, false},
		{"ErrEmpty", "", Currency{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Currency(tt.code)
			if ok != tt.ok || got != tt.want {
				t.Errorf("Currency(%q) = %+v, %v; want %+v, %v", tt.code, got, ok, tt.want, tt.ok)
			}
		})
	}
	// Table A.1 has 178 distinct current codes; 23 are funds, metals, test or special codes.
	if n := len(s.Currencies()); n != 155 {
		t.Errorf("%d currencies, want 155", n)
	}
}

func TestCountryCurrencies(t *testing.T) {
	s := load(t)
	// Every country's main currency in country-codes.csv should be a current invoice currency,
	// except where ISO lists none (AQ, GS, PS).
	for _, c := range []string{"CN", "US", "TR", "NA", "AE", "RU", "BR", "NG", "DE"} {
		if _, ok := s.Country(c); !ok {
			t.Errorf("country %s missing", c)
		}
	}
	for _, code := range []string{"USD", "EUR", "AED", "RUB", "BRL", "NGN", "NAD", "VES", "VED", "ZWG", "SLE"} {
		if _, ok := s.Currency(code); !ok {
			t.Errorf("currency %s missing", code)
		}
	}
}

func TestUnit(t *testing.T) {
	s := load(t)
	tests := []struct {
		name string
		code string
		want Unit
		ok   bool
	}{
		{"OK/Kilogram", "035", Unit{"035", "千克", "kilogram"}, true},
		{"OK/Piece", "007", Unit{"007", "个", "piece"}, true},
		{"OK/SquareMetre", "032", Unit{"032", "平方米", "square metre"}, true},
		{"OK/Bottle", "142", Unit{"142", "瓶", "bottle"}, true},
		{"ErrUnpadded", "35", Unit{}, false},
		{"ErrUnknown", "999", Unit{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := s.Unit(tt.code)
			if ok != tt.ok || got != tt.want {
				t.Errorf("Unit(%q) = %+v, %v; want %+v, %v", tt.code, got, ok, tt.want, tt.ok)
			}
		})
	}
	units := s.Units()
	if len(units) != 25 {
		t.Errorf("%d units, want the 25 of DOMAIN §6.4", len(units))
	}
	seen := map[string]bool{}
	for _, u := range units {
		if seen[u.NameEn] {
			t.Errorf("English name %q used twice: a user could not tell the units apart", u.NameEn)
		}
		seen[u.NameEn] = true
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	s := load(t)
	s.Countries()[0].NameEn = "changed"
	s.HSChapters()[0].Description = "changed"
	s.Units()[0].NameEn = "changed"
	s.Currencies()[0].Name = "changed"
	if s.Countries()[0].NameEn == "changed" || s.HSChapters()[0].Description == "changed" ||
		s.Units()[0].NameEn == "changed" || s.Currencies()[0].Name == "changed" {
		t.Error("a returned slice shares memory with the Set")
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}
