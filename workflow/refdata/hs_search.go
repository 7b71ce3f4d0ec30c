package refdata

import (
	"slices"
	"sort"
	"strings"
	"unicode"
)

// hsMatch is a search hit with the keys that rank it.
type hsMatch struct {
	i     int // index into hsEntries
	level int // subheadings rank first
	pos   int // sum over query words of the offset where they first start a description word
	hits  int // how many times query words start a description word
	size  int // length of the description
}

// rank orders matches best first; the code breaks ties, so the order is deterministic.
func (s *Set) rank(a, b hsMatch) int {
	switch {
	case a.level != b.level:
		return b.level - a.level
	case a.pos != b.pos:
		return a.pos - b.pos
	case a.hits != b.hits:
		return b.hits - a.hits
	case a.size != b.size:
		return a.size - b.size
	}
	return strings.Compare(s.hsEntries[a.i].Code, s.hsEntries[b.i].Code)
}

// SearchHS finds HS 2022 codes for a search box and returns at most limit of them (all of them
// when limit <= 0), best first. The order is deterministic.
//
// A query of digits (dots and spaces allowed, "9503.00") matches codes by prefix; a 10-digit
// Chinese code is cut to its 6-digit subheading. Subheadings come first, then headings, then
// chapters, each ordered by code. Words match descriptions case-insensitively: every word must
// start a word of the description ("christ" finds "Christmas"). Subheadings again come first;
// within a level, entries whose matches come earlier rank higher, then those with more
// matches, then shorter descriptions, then lower codes. Digits mixed with words
// ("95 christmas") restrict the codes. Full-width characters from Chinese IMEs are accepted.
func (s *Set) SearchHS(query string, limit int) []HSEntry {
	prefixes, words := parseHSQuery(query)
	if len(prefixes) == 0 && len(words) == 0 {
		return nil
	}
	// The longest prefix bounds a contiguous range of the code-sorted entries.
	lo, hi := 0, len(s.hsEntries)
	longest := ""
	for _, p := range prefixes {
		if len(p) > len(longest) {
			longest = p
		}
	}
	if longest != "" {
		lo = sort.Search(len(s.hsEntries), func(i int) bool { return s.hsEntries[i].Code >= longest })
		hi = lo
		for hi < len(s.hsEntries) && strings.HasPrefix(s.hsEntries[hi].Code, longest) {
			hi++
		}
	}
	var matches []hsMatch
entries:
	for i := lo; i < hi; i++ {
		for _, p := range prefixes {
			if !strings.HasPrefix(s.hsEntries[i].Code, p) {
				continue entries
			}
		}
		m := hsMatch{i: i, level: s.hsEntries[i].Level}
		if len(words) > 0 { // codes alone are ordered by code
			m.size = len(s.hsLower[i])
		}
		for _, w := range words {
			first, n := wordStarts(s.hsLower[i], w)
			if n == 0 {
				continue entries
			}
			m.pos += first
			m.hits += n
		}
		matches = append(matches, m)
	}
	slices.SortFunc(matches, s.rank)
	if limit > 0 && len(matches) > limit {
		matches = matches[:limit]
	}
	out := make([]HSEntry, len(matches))
	for k, m := range matches {
		out[k] = s.hsEntries[m.i]
	}
	return out
}

// wordStarts returns the offset of the first place where w starts a word of text, and how
// many such places there are (0 if none). A word starts after a byte that is not a letter or
// digit; the descriptions are ASCII.
func wordStarts(text, w string) (first, n int) {
	first = -1
	for from := 0; ; {
		j := strings.Index(text[from:], w)
		if j < 0 {
			return first, n
		}
		at := from + j
		if at == 0 || !isWordByte(text[at-1]) {
			if first < 0 {
				first = at
			}
			n++
		}
		from = at + 1
	}
}

// isWordByte reports whether b can be part of a word (any non-ASCII byte counts as one).
func isWordByte(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b >= 0x80
}

// parseHSQuery splits a search query into code prefixes (runs of digits, cut to 6) and
// lower-cased words. A query of only digits, dots and spaces is one code ("9503.00.00").
func parseHSQuery(query string) (prefixes, words []string) {
	q := strings.ToLower(narrow(query))
	if code := strings.NewReplacer(".", "", " ", "").Replace(strings.TrimSpace(q)); isDigits(code) {
		return []string{code[:min(len(code), HSLevelSubheading)]}, nil
	}
	for _, tok := range strings.FieldsFunc(q, notWordRune) {
		if isDigits(tok) {
			prefixes = append(prefixes, tok[:min(len(tok), HSLevelSubheading)])
		} else {
			words = append(words, tok)
		}
	}
	return prefixes, words
}

// notWordRune separates the words of a search query.
func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// narrow turns full-width ASCII (U+FF01..U+FF5E) and the ideographic space U+3000, which
// Chinese input methods produce, into their half-width forms.
func narrow(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}
