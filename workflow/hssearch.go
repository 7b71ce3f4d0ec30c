package workflow

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"mpt/models"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// Finding the HS code is the hardest part of goods registration for a stall-holder: the
// search offers the HS 2022 nomenclature by words and codes, and the 10-digit codes that
// recognised goods with similar names already use in the market, most used first. It never
// says which merchant registered those goods.

// HSQuery is what a user gives to find an HS code.
type HSQuery struct {
	Text  string   // words or digits typed in the search box
	Names []string // the goods names typed on the form: suggestions use them when Text has no words
}

// HSMatch is an HS 2022 entry that matches the search, with its place in the nomenclature and
// the 10-digit codes recognised goods use under it.
type HSMatch struct {
	Entry   refdata.HSEntry
	Chapter refdata.HSEntry // the entry's chapter (the entry itself for a chapter)
	Heading refdata.HSEntry // the entry's heading; zero for a chapter
	Codes   []HSCodeUse     // for a subheading: national codes in use, most used first
}

// HSCodeUse is a 10-digit code and how many recognised goods in the market use it.
type HSCodeUse struct {
	Code  string
	Goods int64
}

// HSSuggestion is a 10-digit code that recognised goods with names like the one typed use.
type HSSuggestion struct {
	Code   string
	Goods  int64  // how many such goods use it
	NameZh string // the most common name among them, as an example
	NameEn string
	HS     HSContext
}

// HSSearchResult answers an HS search.
type HSSearchResult struct {
	Matches     []HSMatch      // from the HS 2022 nomenclature, best first
	Suggestions []HSSuggestion // from goods registered in the market, most used first
	Terms       []NameTerm     // what the suggestions were matched on
}

// Empty reports whether the search found nothing.
func (r *HSSearchResult) Empty() bool { return len(r.Matches) == 0 && len(r.Suggestions) == 0 }

// Search limits: the box shows a screenful, never the whole nomenclature.
const (
	hsMatchLimit      = 12
	hsSuggestionLimit = 8
	hsCodesPerMatch   = 3
	maxNameTerms      = 12
)

// SearchHS finds HS codes for the goods form: matches from the HS 2022 nomenclature for the
// words and digits typed (refdata.Set.SearchHS), and suggestions from recognised goods whose
// Chinese or English names are like the words typed (or, when none were typed, like the names
// on the form). Suggestions are grouped by 10-digit code and ordered by how many goods use it.
func (s *Service) SearchHS(ctx context.Context, actor Actor, q HSQuery) (*HSSearchResult, error) {
	if err := actor.Require(ActHSSearch); err != nil {
		return nil, err
	}
	text := truncate(strings.TrimSpace(q.Text), 200)
	out := &HSSearchResult{}
	db := s.db.WithContext(ctx)
	if text != "" {
		for _, e := range s.ref.SearchHS(text, hsMatchLimit) {
			m := HSMatch{Entry: e, Chapter: e}
			if e.Level > refdata.HSLevelChapter {
				m.Chapter, _ = s.ref.HSChapter(e.Code[:2])
			}
			if e.Level == refdata.HSLevelSubheading {
				m.Heading, _ = s.ref.HSHeading(e.Code[:4])
			}
			out.Matches = append(out.Matches, m)
		}
		if err := s.codesInUse(db, out.Matches); err != nil {
			return nil, err
		}
	}
	out.Terms = NameTerms(text)
	if len(out.Terms) == 0 {
		out.Terms = NameTerms(q.Names...)
	}
	sugg, err := s.suggestHS(db, out.Terms, hsSuggestionLimit)
	if err != nil {
		return nil, err
	}
	out.Suggestions = sugg
	return out, nil
}

// codesInUse fills in, for each matched subheading, the 10-digit codes recognised goods use.
func (s *Service) codesInUse(db *gorm.DB, matches []HSMatch) error {
	var conds []string
	var args []any
	for _, m := range matches {
		if m.Entry.Level == refdata.HSLevelSubheading {
			cond, a := hsPrefixCond(m.Entry.Code)
			conds, args = append(conds, cond), append(args, a...)
		}
	}
	if len(conds) == 0 {
		return nil
	}
	var rows []HSCodeUse
	err := db.Model(&models.Goods{}).Select("hs_code AS code, COUNT(*) AS goods").
		Where("status = ?", models.GoodsRecognised).Where("("+strings.Join(conds, " OR ")+")", args...).
		Group("hs_code").Order("goods DESC, hs_code").Scan(&rows).Error
	if err != nil {
		return apperr.Wrap(err, "count HS codes in use")
	}
	for i := range matches {
		for _, r := range rows {
			if len(matches[i].Codes) < hsCodesPerMatch && matches[i].Entry.Level == refdata.HSLevelSubheading &&
				strings.HasPrefix(r.Code, matches[i].Entry.Code) {
				matches[i].Codes = append(matches[i].Codes, r)
			}
		}
	}
	return nil
}

// hsPrefixCond is the condition that hs_code starts with a prefix of digits, written as a
// range (prefix ≤ code < next prefix) so that both databases answer it from ix_goods_hs_code;
// LIKE 'prefix%' would scan the table.
func hsPrefixCond(prefix string) (string, []any) {
	next := []byte(prefix)
	i := len(next) - 1
	for ; i >= 0 && next[i] == '9'; i-- {
		next[i] = '0'
	}
	if i < 0 {
		return "hs_code >= ?", []any{prefix}
	}
	next[i]++
	return "(hs_code >= ? AND hs_code < ?)", []any{prefix, string(next)}
}

// NameTerm is a piece of a goods name that suggestions match on: a Chinese bigram (or a
// single character standing alone), or a lower-cased Latin word in its singular form.
type NameTerm struct {
	Text string
	Han  bool
}

// nameStopWords are English words that say nothing about the goods.
var nameStopWords = []string{"a", "an", "and", "by", "for", "in", "of", "on", "or", "the", "to", "with"}

// NameTerms splits goods names into the terms suggestions match on. Chinese has no spaces, so
// runs of Han characters are cut into overlapping bigrams ("塑料水杯" → 塑料, 料水, 水杯), which
// find names sharing any two-character word; a lone character is a term by itself. Latin text
// is split into words, lower-cased, stripped of a plural ending ("cups" → cup, "boxes" → box)
// and of stop words; digits are codes, not names, and are skipped. At most 12 terms, in order,
// without repeats.
func NameTerms(texts ...string) []NameTerm {
	var out []NameTerm
	add := func(t NameTerm) {
		if len(out) < maxNameTerms && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, text := range texts {
		var han []rune
		flushHan := func() {
			switch {
			case len(han) == 1:
				add(NameTerm{Text: string(han), Han: true})
			case len(han) > 1:
				for i := 0; i+1 < len(han); i++ {
					add(NameTerm{Text: string(han[i : i+2]), Han: true})
				}
			}
			han = han[:0]
		}
		var word []rune
		flushWord := func() {
			w := singular(strings.ToLower(string(word)))
			word = word[:0]
			if utf8.RuneCountInString(w) < 2 || slices.Contains(nameStopWords, w) || strings.Trim(w, "0123456789") == "" {
				return
			}
			add(NameTerm{Text: w})
		}
		for _, r := range foldText(text) {
			switch {
			case unicode.Is(unicode.Han, r):
				flushWord()
				han = append(han, r)
			case unicode.IsLetter(r) || unicode.IsDigit(r):
				flushHan()
				word = append(word, r)
			default:
				flushHan()
				flushWord()
			}
		}
		flushHan()
		flushWord()
	}
	return out
}

// singular strips an English plural ending: -ies → -y, -sses → -ss, -xes/-ches/-shes → drop
// -es, and a final -s (not -ss, -us or -is).
func singular(w string) string {
	switch {
	case len(w) <= 3:
		return w
	case strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "shes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

// MinTermMatches is how many of n terms a goods name must contain to count as similar: half,
// rounded up.
func MinTermMatches(n int) int { return max(1, (n+1)/2) }

// StrongTermMatches is how many of n terms make a close match: two thirds, rounded up. Codes
// with a close match come before codes with only similar names ("塑料水杯" has three bigrams;
// a name sharing only "塑料" is similar, one sharing "塑料" and "水杯" is close).
func StrongTermMatches(n int) int { return max(1, (2*n+2)/3) }

// suggestHS finds the 10-digit codes of recognised goods whose names contain at least
// MinTermMatches of the terms, grouped by code: codes with a close match (StrongTermMatches)
// first, then by how many goods use them, most first; then the best match, then the code.
// Each suggestion carries the most common name among its goods as an example.
func (s *Service) suggestHS(db *gorm.DB, terms []NameTerm, limit int) ([]HSSuggestion, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	score, args := nameScore(terms)
	var groups []struct {
		HSCode string
		Goods  int64
		Best   int
	}
	err := db.Raw("SELECT hs_code, COUNT(*) AS goods, MAX(score) AS best FROM (SELECT g.hs_code, "+score+" AS score "+
		"FROM goods g WHERE g.status = ?) m WHERE score >= ? GROUP BY hs_code "+
		"ORDER BY CASE WHEN MAX(score) >= ? THEN 1 ELSE 0 END DESC, goods DESC, best DESC, hs_code LIMIT ?",
		append(args, models.GoodsRecognised, MinTermMatches(len(terms)), StrongTermMatches(len(terms)), limit)...).Scan(&groups).Error
	if err != nil {
		return nil, apperr.Wrap(err, "suggest HS codes")
	}
	if len(groups) == 0 {
		return nil, nil
	}
	codes := make([]string, len(groups))
	for i, g := range groups {
		codes[i] = g.HSCode
	}
	var names []struct {
		HSCode, NameZh, NameEn string
	}
	score, args = nameScore(terms)
	err = db.Raw("SELECT hs_code, name_zh, name_en FROM (SELECT hs_code, name_zh, name_en, "+
		"ROW_NUMBER() OVER (PARTITION BY hs_code ORDER BY COUNT(*) DESC, name_zh, name_en) AS rk "+
		"FROM (SELECT g.hs_code, g.name_zh, g.name_en, "+score+" AS score FROM goods g WHERE g.status = ? AND g.hs_code IN ?) m "+
		"WHERE score >= ? GROUP BY hs_code, name_zh, name_en) n WHERE rk = 1",
		append(args, models.GoodsRecognised, codes, MinTermMatches(len(terms)))...).Scan(&names).Error
	if err != nil {
		return nil, apperr.Wrap(err, "name HS suggestions")
	}
	out := make([]HSSuggestion, len(groups))
	for i, g := range groups {
		out[i] = HSSuggestion{Code: g.HSCode, Goods: g.Goods, HS: hsContextOf(s.ref, g.HSCode)}
		for _, n := range names {
			if n.HSCode == g.HSCode {
				out[i].NameZh, out[i].NameEn = n.NameZh, n.NameEn
			}
		}
	}
	return out, nil
}

// nameScore is the SQL expression counting the terms a goods name (alias g) contains, and its
// arguments: Chinese terms against the Chinese name, Latin words against either name.
func nameScore(terms []NameTerm) (string, []any) {
	parts := make([]string, len(terms))
	var args []any
	for i, t := range terms {
		like := regLike(t.Text)
		if t.Han {
			parts[i] = "CASE WHEN g.name_zh LIKE ? ESCAPE '!' THEN 1 ELSE 0 END"
			args = append(args, like)
		} else {
			parts[i] = "CASE WHEN LOWER(g.name_en) LIKE ? ESCAPE '!' OR LOWER(g.name_zh) LIKE ? ESCAPE '!' THEN 1 ELSE 0 END"
			args = append(args, like, like)
		}
	}
	return "(" + strings.Join(parts, " + ") + ")", args
}

// HSDescription is what the goods form shows about the HS code being typed.
type HSDescription struct {
	Code            string // the digits typed, dots and spaces removed
	Complete        bool   // 10 digits (or more): CheckHSCode has judged it
	OK              bool   // a valid 10-digit code
	Problem         apperr.Text
	HS              HSContext
	Ineligible      apperr.Text // zero when the code (so far) is on no ineligible entry
	NotSimplifiable apperr.Text
	Uses            int64       // recognised goods in the market with exactly this code
	Codes           []HSCodeUse // for a 6- to 9-digit code: 10-digit codes in use under it
}

// DescribeHS explains an HS code as the user types it: the HS 2022 chapter, heading and
// subheading it falls under, whether it is a valid 10-digit code (CheckHSCode), whether it is
// ineligible or not simplifiable, and how many recognised goods use it. A partial code is not
// an error: it gets what its digits already say, and the codes in use that start with it.
func (s *Service) DescribeHS(ctx context.Context, actor Actor, raw string) (*HSDescription, error) {
	if err := actor.Require(ActHSSearch); err != nil {
		return nil, err
	}
	raw = truncate(raw, 40)
	code := strings.NewReplacer(".", "", " ", "").Replace(normalize(raw))
	d := &HSDescription{Code: code}
	if code == "" {
		return d, nil
	}
	if strings.Trim(code, "0123456789") != "" || len(code) >= 10 {
		v := CheckHSCode(s.ref, raw)
		d.Complete, d.OK, d.Problem = true, v.OK, v.Problem
		if strings.Trim(code, "0123456789") != "" {
			return d, nil
		}
	}
	d.HS = hsContextOf(s.ref, code)
	db := s.db.WithContext(ctx)
	prefixes, _, err := goodsLists(db)
	if err != nil {
		return nil, err
	}
	d.Ineligible, _ = IneligibleReason(prefixes, code)
	d.NotSimplifiable, _ = NotSimplifiableReason(prefixes, code)
	switch {
	case len(code) == 10:
		err = db.Model(&models.Goods{}).Where("status = ? AND hs_code = ?", models.GoodsRecognised, code).Count(&d.Uses).Error
	case len(code) >= 6 && d.HS.Subheading.Code != "":
		cond, args := hsPrefixCond(code)
		err = db.Model(&models.Goods{}).Select("hs_code AS code, COUNT(*) AS goods").
			Where("status = ?", models.GoodsRecognised).Where(cond, args...).
			Group("hs_code").Order("goods DESC, hs_code").Limit(5).Scan(&d.Codes).Error
	}
	if err != nil {
		return nil, apperr.Wrap(err, "describe HS code")
	}
	return d, nil
}
