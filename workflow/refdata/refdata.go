package refdata

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
)

// files holds the embedded CSV files. It is the package's only package-level variable, because
// //go:embed requires one; it is read-only.
//
//go:embed data/hs/harmonized-system.csv data/hs/sections.csv data/iso/country-codes.csv data/iso/currency-codes.csv data/customs-units.csv
var files embed.FS

// Set is the loaded reference data. Build it with Load; the zero value is empty. A Set is never
// modified after Load, so it is safe for concurrent use; the slices it returns are copies.
type Set struct {
	hs         map[string]int // code → index into hsEntries
	hsEntries  []HSEntry      // every chapter, heading and subheading, sorted by code
	hsLower    []string       // lower-cased description of hsEntries[i], for SearchHS
	hsChapters []HSEntry
	sections   map[string]string // roman numeral → name

	countries    map[string]int // alpha-2 → index into countryList
	countryAlpha map[string]int // alpha-3 → index into countryList
	countryList  []Country

	currencies   map[string]int
	currencyList []Currency

	units    map[string]int
	unitList []Unit
}

// Load parses the embedded reference data into a Set. It fails only if the embedded files are
// damaged, which a test catches before release; call it once at start-up.
func Load() (*Set, error) {
	s := &Set{}
	for _, step := range []struct {
		name string
		load func() error
	}{
		{"hs sections", s.loadSections},
		{"hs nomenclature", s.loadHS},
		{"countries", s.loadCountries},
		{"currencies", s.loadCurrencies},
		{"customs units", s.loadUnits},
	} {
		if err := step.load(); err != nil {
			return nil, fmt.Errorf("refdata: load %s: %w", step.name, err)
		}
	}
	return s, nil
}

// readTable reads the embedded CSV file name and calls row with the named columns of every data
// row, in the order asked for. A leading UTF-8 BOM is ignored (hs/sections.csv has one) and a
// missing column is an error.
func readTable(name string, columns []string, row func(line int, fields []string) error) error {
	data, err := files.ReadFile("data/" + name)
	if err != nil {
		return err
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", name, err)
	}
	index := make([]int, len(columns))
	for i, col := range columns {
		index[i] = -1
		for j, h := range header {
			if strings.TrimSpace(h) == col {
				index[i] = j
				break
			}
		}
		if index[i] < 0 {
			return fmt.Errorf("%s: no column %q", name, col)
		}
	}
	fields := make([]string, len(columns))
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for i, j := range index {
			fields[i] = strings.TrimSpace(rec[j])
		}
		line, _ := r.FieldPos(0)
		if err := row(line, fields); err != nil {
			return fmt.Errorf("%s line %d: %w", name, line, err)
		}
	}
}

// isDigits reports whether s is non-empty and all ASCII digits.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
