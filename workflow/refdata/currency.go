package refdata

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Currency is a current ISO 4217 currency that can appear on an invoice.
type Currency struct {
	Code      string // ISO 4217 alphabetic code ("CNY")
	Numeric   string // ISO 4217 numeric code, 3 digits ("156")
	Name      string // ISO's English name ("Yuan Renminbi")
	MinorUnit int    // digits after the decimal point: 0, 2, 3 or 4 (JPY 0, CNY 2, KWD 3)
}

// invoiceCurrency reports whether a current ISO 4217 code is a currency one invoices in, not a
// fund, precious metal, test or special code: X.. codes other than the CFA, CFP, East Caribbean
// and Caribbean currencies, and the fund codes BOV, CHE, CHW, CLF, COU, MXV, USN, UYI and UYW.
func invoiceCurrency(code string) bool {
	switch code {
	case "XAF", "XOF", "XPF", "XCD", "XCG":
		return true
	case "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW":
		return false
	}
	return !strings.HasPrefix(code, "X")
}

// loadCurrencies reads iso/currency-codes.csv, keeping the current codes of Table A.1 (no
// withdrawal date) that are invoice currencies, once each (the file has a row per country).
func (s *Set) loadCurrencies() error {
	s.currencies = make(map[string]int, 160)
	cols := []string{"AlphabeticCode", "NumericCode", "Currency", "MinorUnit", "WithdrawalDate"}
	err := readTable("iso/currency-codes.csv", cols, func(_ int, f []string) error {
		code, withdrawn := f[0], f[4]
		if code == "" || withdrawn != "" || !invoiceCurrency(code) {
			return nil
		}
		minor, err := strconv.Atoi(f[3])
		if err != nil || len(code) != 3 || len(f[1]) != 3 || !isDigits(f[1]) || f[2] == "" {
			return fmt.Errorf("bad current currency %q %q %q %q", code, f[1], f[2], f[3])
		}
		c := Currency{Code: code, Numeric: f[1], Name: f[2], MinorUnit: minor}
		if i, dup := s.currencies[code]; dup {
			if s.currencyList[i] != c {
				return fmt.Errorf("currency %s: %+v disagrees with %+v", code, c, s.currencyList[i])
			}
			return nil
		}
		s.currencies[code] = len(s.currencyList)
		s.currencyList = append(s.currencyList, c)
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(s.currencyList, func(a, b Currency) int { return strings.Compare(a.Code, b.Code) })
	for i, c := range s.currencyList {
		s.currencies[c.Code] = i
	}
	return nil
}

// Currency returns the current ISO 4217 invoice currency with an upper-case code ("TRY").
// Withdrawn codes (BGN since 2026-01), funds, precious metals and test codes are not found.
func (s *Set) Currency(code string) (Currency, bool) {
	i, ok := s.currencies[code]
	if !ok {
		return Currency{}, false
	}
	return s.currencyList[i], true
}

// Currencies returns the current ISO 4217 invoice currencies, sorted by code.
func (s *Set) Currencies() []Currency { return slices.Clone(s.currencyList) }
