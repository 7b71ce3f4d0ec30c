package refdata

import (
	"fmt"
	"slices"
	"strings"
)

// Unit is a Chinese customs legal unit of measure (计量单位代码), the 3-digit code a declaration
// line's quantity is given in.
type Unit struct {
	Code   string // 3 digits ("035")
	NameZh string // name on the declaration ("千克")
	NameEn string // English name ("kilogram")
}

// loadUnits reads customs-units.csv (DOMAIN §6.4; to be checked against GACC's official table).
func (s *Set) loadUnits() error {
	s.units = make(map[string]int, 32)
	err := readTable("customs-units.csv", []string{"code", "name_zh", "name_en"}, func(_ int, f []string) error {
		u := Unit{Code: f[0], NameZh: f[1], NameEn: f[2]}
		if len(u.Code) != 3 || !isDigits(u.Code) || u.NameZh == "" || u.NameEn == "" {
			return fmt.Errorf("bad unit %+v", u)
		}
		if _, dup := s.units[u.Code]; dup {
			return fmt.Errorf("duplicate unit %s", u.Code)
		}
		s.units[u.Code] = len(s.unitList)
		s.unitList = append(s.unitList, u)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(s.unitList, func(a, b Unit) int { return strings.Compare(a.Code, b.Code) })
	for i, u := range s.unitList {
		s.units[u.Code] = i
	}
	return nil
}

// Unit returns the customs unit with a 3-digit code ("035" 千克).
func (s *Set) Unit(code string) (Unit, bool) {
	i, ok := s.units[code]
	if !ok {
		return Unit{}, false
	}
	return s.unitList[i], true
}

// Units returns the customs units mpt knows, sorted by code.
func (s *Set) Units() []Unit { return slices.Clone(s.unitList) }
