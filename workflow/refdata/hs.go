package refdata

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HS levels: the number of digits of a code.
const (
	HSLevelChapter    = 2 // e.g. 95
	HSLevelHeading    = 4 // e.g. 9503
	HSLevelSubheading = 6 // e.g. 950300
)

// HSEntry is one code of the HS 2022 nomenclature: a chapter, a heading or a subheading.
// China's 8- and 10-digit national codes extend the 6-digit subheadings and are not in the data.
type HSEntry struct {
	Code        string // 2, 4 or 6 digits, leading zeros kept ("01", "0101", "010121")
	Description string // UN Comtrade's English short description: a label, not the WCO legal text
	Section     string // roman numeral I..XXI; see Set.HSSection
	Level       int    // number of digits: HSLevelChapter, HSLevelHeading or HSLevelSubheading
}

// loadSections reads hs/sections.csv (which starts with a BOM; readTable drops it).
func (s *Set) loadSections() error {
	s.sections = make(map[string]string, 21)
	return readTable("hs/sections.csv", []string{"section", "name"}, func(_ int, f []string) error {
		if f[0] == "" || f[1] == "" {
			return fmt.Errorf("empty section or name")
		}
		s.sections[f[0]] = f[1]
		return nil
	})
}

// loadHS reads hs/harmonized-system.csv, dropping UN Comtrade's pseudo rows (99, 9999, 999999
// "Commodities not specified according to kind" and TOTAL), which are not HS codes.
func (s *Set) loadHS() error {
	s.hs = make(map[string]int, 7000)
	s.hsEntries = make([]HSEntry, 0, 7000)
	cols := []string{"section", "hscode", "description", "level"}
	err := readTable("hs/harmonized-system.csv", cols, func(_ int, f []string) error {
		section, code, desc := f[0], f[1], f[2]
		if section == "TOTAL" {
			return nil
		}
		level, err := strconv.Atoi(f[3])
		if err != nil || !isDigits(code) || len(code) != level || level%2 != 0 || level > HSLevelSubheading {
			return fmt.Errorf("bad code %q at level %q", code, f[3])
		}
		if _, ok := s.sections[section]; !ok {
			return fmt.Errorf("code %s: unknown section %q", code, section)
		}
		if _, dup := s.hs[code]; dup {
			return fmt.Errorf("duplicate code %s", code)
		}
		s.hs[code] = len(s.hsEntries)
		s.hsEntries = append(s.hsEntries, HSEntry{Code: code, Description: desc, Section: section, Level: level})
		return nil
	})
	if err != nil {
		return err
	}
	if !slices.IsSortedFunc(s.hsEntries, func(a, b HSEntry) int { return strings.Compare(a.Code, b.Code) }) {
		slices.SortFunc(s.hsEntries, func(a, b HSEntry) int { return strings.Compare(a.Code, b.Code) })
		for i, e := range s.hsEntries {
			s.hs[e.Code] = i
		}
	}
	s.hsLower = lowerAll(s.hsEntries)
	for _, e := range s.hsEntries {
		if e.Level == HSLevelChapter {
			s.hsChapters = append(s.hsChapters, e)
		}
	}
	return nil
}

// lowerAll returns the lower-cased descriptions of es. They share one backing string, which
// keeps Load fast: the descriptions are ASCII, and a non-ASCII one falls back to strings.ToLower.
func lowerAll(es []HSEntry) []string {
	size := 0
	for _, e := range es {
		size += len(e.Description)
	}
	buf := make([]byte, 0, size)
	ends := make([]int, len(es))
	for i, e := range es {
		d := e.Description
		if isASCII(d) {
			for j := 0; j < len(d); j++ {
				c := d[j]
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
		} else {
			buf = append(buf, strings.ToLower(d)...)
		}
		ends[i] = len(buf)
	}
	all := string(buf)
	out := make([]string, len(es))
	start := 0
	for i, end := range ends {
		out[i] = all[start:end]
		start = end
	}
	return out
}

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hsAt returns the entry with the given code and number of digits.
func (s *Set) hsAt(code string, level int) (HSEntry, bool) {
	if len(code) != level {
		return HSEntry{}, false
	}
	i, ok := s.hs[code]
	if !ok {
		return HSEntry{}, false
	}
	return s.hsEntries[i], true
}

// HSChapter returns the HS 2022 chapter with a 2-digit code ("95"). Chapter 77 is reserved by
// the HS and does not exist, nor do UN Comtrade's pseudo code 99 and its children.
func (s *Set) HSChapter(code2 string) (HSEntry, bool) { return s.hsAt(code2, HSLevelChapter) }

// HSHeading returns the HS 2022 heading with a 4-digit code ("9503").
func (s *Set) HSHeading(code4 string) (HSEntry, bool) { return s.hsAt(code4, HSLevelHeading) }

// HSSubheading returns the HS 2022 subheading with a 6-digit code ("950300"). A code of HS 2017
// or earlier that HS 2022 split or moved, such as 940540, is not found. China's 10-digit codes
// are checked by workflow.CheckHSCode, which looks up their first six digits here.
func (s *Set) HSSubheading(code6 string) (HSEntry, bool) { return s.hsAt(code6, HSLevelSubheading) }

// HSSection returns the name of an HS section given its roman numeral ("XX"), as written in
// the data (section I's name is in lower case).
func (s *Set) HSSection(roman string) (string, bool) {
	name, ok := s.sections[roman]
	return name, ok
}

// HSChapters returns the 96 chapters of HS 2022, sorted by code.
func (s *Set) HSChapters() []HSEntry { return slices.Clone(s.hsChapters) }
