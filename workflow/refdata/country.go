package refdata

import (
	"fmt"
	"slices"
	"strings"
)

// Country is an ISO 3166-1 country or territory with the names mpt shows.
type Country struct {
	Alpha2  string // ISO 3166-1 alpha-2, the code mpt stores ("CN"; Namibia is "NA")
	Alpha3  string // ISO 3166-1 alpha-3 ("CHN")
	Numeric string // ISO 3166-1 numeric, zero-padded to 3 digits ("004")
	NameEn  string // everyday English name (CLDR display name, e.g. "Türkiye", "UK", "US")
	NameZh  string // Chinese short name (UNTERM), with PRC naming for TW, HK and MO
}

// zhDisplayName overrides the UN/ISO Chinese names with the short names Chinese customs and
// PRC-facing software show: 中国台湾, 中国香港, 中国澳门, and the everyday short forms of the
// formal UNTERM names (美国 rather than 美利坚合众国). The codes are kept as ISO assigns them.
func zhDisplayName(alpha2 string) (string, bool) {
	name, ok := map[string]string{
		"TW": "中国台湾", "HK": "中国香港", "MO": "中国澳门",
		"US": "美国", "GB": "英国", "KR": "韩国", "KP": "朝鲜", "RU": "俄罗斯", "IR": "伊朗",
		"LA": "老挝", "MD": "摩尔多瓦", "SY": "叙利亚", "TZ": "坦桑尼亚", "VE": "委内瑞拉",
		"BO": "玻利维亚", "AE": "阿联酋", "BN": "文莱", "FM": "密克罗尼西亚", "CD": "刚果（金）",
		"PS": "巴勒斯坦", "BA": "波黑",
	}[alpha2]
	return name, ok
}

// enDisplayName overrides the few CLDR English names that are abbreviations or clipped.
func enDisplayName(alpha2 string) (string, bool) {
	name, ok := map[string]string{
		"US": "United States", "GB": "United Kingdom", "BA": "Bosnia and Herzegovina",
	}[alpha2]
	return name, ok
}

// loadCountries reads iso/country-codes.csv.
func (s *Set) loadCountries() error {
	cols := []string{"ISO3166-1-Alpha-2", "ISO3166-1-Alpha-3", "ISO3166-1-numeric",
		"CLDR display name", "official_name_en", "UNTERM Chinese Short", "official_name_cn"}
	err := readTable("iso/country-codes.csv", cols, func(_ int, f []string) error {
		c := Country{
			Alpha2:  f[0],
			Alpha3:  f[1],
			Numeric: f[2],
			NameEn:  firstNonEmpty(f[3], f[4]),
			// UNTERM marks footnotes with asterisks ("库克群岛 **"); they are not part of the name.
			NameZh: firstNonEmpty(strings.TrimSpace(strings.TrimRight(f[5], "*")), f[6]),
		}
		if zh, ok := zhDisplayName(c.Alpha2); ok {
			c.NameZh = zh
		}
		if en, ok := enDisplayName(c.Alpha2); ok {
			c.NameEn = en
		}
		if len(c.Numeric) < 3 {
			c.Numeric = strings.Repeat("0", 3-len(c.Numeric)) + c.Numeric
		}
		if len(c.Alpha2) != 2 || len(c.Alpha3) != 3 || len(c.Numeric) != 3 || !isDigits(c.Numeric) || c.NameEn == "" || c.NameZh == "" {
			return fmt.Errorf("incomplete country %+v", c)
		}
		s.countryList = append(s.countryList, c)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(s.countryList, func(a, b Country) int { return strings.Compare(a.Alpha2, b.Alpha2) })
	s.countries = make(map[string]int, len(s.countryList))
	s.countryAlpha = make(map[string]int, len(s.countryList))
	for i, c := range s.countryList {
		if _, dup := s.countries[c.Alpha2]; dup {
			return fmt.Errorf("duplicate alpha-2 %s", c.Alpha2)
		}
		s.countries[c.Alpha2] = i
		s.countryAlpha[c.Alpha3] = i
	}
	return nil
}

// firstNonEmpty returns the first non-empty string.
func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Country returns the country with an ISO 3166-1 alpha-2 code, upper-case ("CN").
func (s *Set) Country(alpha2 string) (Country, bool) {
	i, ok := s.countries[alpha2]
	if !ok {
		return Country{}, false
	}
	return s.countryList[i], true
}

// CountryByAlpha3 returns the country with an ISO 3166-1 alpha-3 code, upper-case ("CHN"),
// so that a user who typed one can be told the alpha-2 code to use.
func (s *Set) CountryByAlpha3(alpha3 string) (Country, bool) {
	i, ok := s.countryAlpha[alpha3]
	if !ok {
		return Country{}, false
	}
	return s.countryList[i], true
}

// Countries returns the 249 ISO 3166-1 countries and territories, sorted by alpha-2 code.
func (s *Set) Countries() []Country { return slices.Clone(s.countryList) }
