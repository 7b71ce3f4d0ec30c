package workflow

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

// ref loads the reference data.
func ref(tb testing.TB) *refdata.Set {
	tb.Helper()
	s, err := refdata.Load()
	if err != nil {
		tb.Fatalf("refdata.Load: %v", err)
	}
	return s
}

// verdictCase is one row of a check's table: the input, and what the verdict must say.
type verdictCase struct {
	name    string
	raw     string
	value   string   // the normalised value
	ok      bool     // want OK
	review  bool     // want NeedsReview
	problem []string // substrings the English problem must contain
}

// runVerdicts runs check over the table and asserts the shape every verdict must have.
func runVerdicts(t *testing.T, check func(string) Verdict, tests []verdictCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := check(tt.raw)
			if got.Value != tt.value || got.OK != tt.ok || got.NeedsReview != tt.review {
				t.Fatalf("check(%q) = %+v; want value %q, OK %v, NeedsReview %v", tt.raw, got, tt.value, tt.ok, tt.review)
			}
			for _, want := range tt.problem {
				if !strings.Contains(got.Problem.En, want) {
					t.Errorf("problem %q does not contain %q", got.Problem.En, want)
				}
			}
			assertVerdictShape(t, got)
		})
	}
}

// assertVerdictShape checks what holds for every verdict: OK has no problem, anything else
// explains itself in English and Chinese, and no message has a formatting error.
func assertVerdictShape(t testing.TB, v Verdict) {
	t.Helper()
	if v.OK {
		if v.NeedsReview || !v.Problem.IsZero() {
			t.Errorf("OK verdict with review or problem: %+v", v)
		}
		return
	}
	if v.Problem.En == "" || v.Problem.Zh == "" {
		t.Errorf("problem not in both languages: %+v", v.Problem)
	}
	if !strings.ContainsFunc(v.Problem.Zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		t.Errorf("Chinese problem has no Chinese: %q", v.Problem.Zh)
	}
	if strings.Contains(v.Problem.En+v.Problem.Zh, "%!") {
		t.Errorf("formatting error in problem: %+v", v.Problem)
	}
}

func TestCheckUSCC(t *testing.T) {
	runVerdicts(t, CheckUSCC, []verdictCase{
		{name: "OK/Guangdong", raw: "91440783714753661E", value: "91440783714753661E", ok: true},
		{name: "OK/Xiamen", raw: "91350200776049653A", value: "91350200776049653A", ok: true},
		{name: "OK/YiwuIndividualBusiness", raw: "92330782MA2EC4UX1M", value: "92330782MA2EC4UX1M", ok: true},
		{name: "OK/OtherAuthority", raw: "12330782MB12345673", value: "12330782MB12345673", ok: true},
		{name: "OK/AuthorityLetter", raw: "51330000MJ0000001Y", value: "51330000MJ0000001Y", ok: true},
		{name: "OK/LowerCaseAndSurroundingSpaces", raw: " \t91350200776049653a\u3000", value: "91350200776049653A", ok: true},
		{name: "OK/FullWidth", raw: "９１４４０７８３７１４７５３６６１ｅ", value: "91440783714753661E", ok: true},
		{name: "OK/ZeroWidthPasted", raw: "\u200b91440783714753661E\ufeff", value: "91440783714753661E", ok: true},
		{name: "ReviewCheckChar", raw: "91440783714753661F", value: "91440783714753661F", review: true,
			problem: []string{"should be 'E' but is 'F'", "manual review"}},
		{name: "ErrEmpty", raw: "", value: "", problem: []string{"Enter the unified social credit code"}},
		{name: "ErrEmptyBlank", raw: " \u3000 ", value: "", problem: []string{"Enter"}},
		{name: "ErrLengthShort", raw: "9144078371475366", value: "9144078371475366", problem: []string{"has 16 characters", "must have 18"}},
		{name: "ErrLengthLong", raw: "91440783714753661EE", value: "91440783714753661EE", problem: []string{"has 19 characters"}},
		{name: "ErrSpace", raw: "9144 0783714753661E", value: "9144 0783714753661E", problem: []string{"Remove the space at position 5"}},
		{name: "ErrFullWidthSpaceInside", raw: "9144\u30000783714753661E", value: "9144 0783714753661E", problem: []string{"position 5"}},
		{name: "ErrCharsetLetterI", raw: "914407837I4753661E", value: "914407837I4753661E",
			problem: []string{"'I' at position 10 is not allowed", "I, O, S, V and Z are never used", "digit '1'"}},
		{name: "ErrCharsetLetterO", raw: "9144078371475366OE", value: "9144078371475366OE", problem: []string{"'O' at position 17", "digit '0'"}},
		{name: "ErrCharsetLetterS", raw: "91440783714753661S", value: "91440783714753661S", problem: []string{"'S' at position 18", "never used"}},
		{name: "ErrCharsetNonASCII", raw: "91440783714753661中", value: "91440783714753661中", problem: []string{"'中' at position 18"}},
		{name: "ErrCharsetPunctuation", raw: "91440783-14753661E", value: "91440783-14753661E", problem: []string{"'-' at position 9"}},
		{name: "ErrAuthority", raw: "01440783714753661E", value: "01440783714753661E", problem: []string{"registration authority", "'0'"}},
		{name: "ErrEntityTypeUnder9", raw: "94440783714753661E", value: "94440783714753661E",
			problem: []string{"entity type", "'4'", "individual business"}},
		{name: "ErrEntityTypeZero", raw: "10440783714753661E", value: "10440783714753661E", problem: []string{"entity type", "'0'"}},
		{name: "ErrDivision", raw: "9144A783714753661E", value: "9144A783714753661E", problem: []string{"division code", "'A' at position 5"}},
	})
}

func TestUSCCCheckChar(t *testing.T) {
	tests := []struct {
		name    string
		first17 string
		want    byte
		ok      bool
	}{
		{"OK/E", "91440783714753661", 'E', true},
		{"OK/A", "91350200776049653", 'A', true},
		{"OK/Yiwu", "92330782MA2EC4UX1", 'M', true},
		{"ErrShort", "9144078371475366", 0, false},
		{"ErrLowerCase", "92330782ma2ec4ux1", 0, false},
		{"ErrLetterI", "9144078371475366I", 0, false},
		{"ErrNonASCII", "9144078371475366\xff", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := USCCCheckChar(tt.first17)
			if got != tt.want || ok != tt.ok {
				t.Errorf("USCCCheckChar(%q) = %q, %v; want %q, %v", tt.first17, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCheckContainerNumber(t *testing.T) {
	runVerdicts(t, CheckContainerNumber, []verdictCase{
		{name: "OK/CSQU", raw: "CSQU3054383", value: "CSQU3054383", ok: true},
		{name: "OK/MSCU", raw: "MSCU6639870", value: "MSCU6639870", ok: true},
		{name: "OK/AsPrintedOnBox", raw: "MSCU 663987-0", value: "MSCU6639870", ok: true},
		{name: "OK/SpacedParts", raw: " mscu 663987 0 ", value: "MSCU6639870", ok: true},
		{name: "OK/FullWidth", raw: "ＣＳＱＵ３０５４３８３", value: "CSQU3054383", ok: true},
		{name: "OK/CategoryJRemainderTen", raw: "TGHJ1234560", value: "TGHJ1234560", ok: true},
		{name: "OK/CategoryZ", raw: "ABCZ0000010", value: "ABCZ0000010", ok: true},
		{name: "ErrCheckDigit", raw: "MSCU6639871", value: "MSCU6639871", problem: []string{"check digit should be 0 but is 1"}},
		{name: "ErrEmpty", raw: " - ", value: "", problem: []string{"Enter the container number"}},
		{name: "ErrLengthShort", raw: "MSCU663987", value: "MSCU663987", problem: []string{"has 10 characters", "must have 11"}},
		{name: "ErrLengthLong", raw: "MSCU66398700", value: "MSCU66398700", problem: []string{"has 12 characters"}},
		{name: "ErrOwnerCode", raw: "MS1U6639870", value: "MS1U6639870", problem: []string{"owner code", "'1' at position 3"}},
		{name: "ErrCategory", raw: "MSCX6639870", value: "MSCX6639870", problem: []string{"equipment category", "'X'"}},
		{name: "ErrSerial", raw: "MSCU66398A0", value: "MSCU66398A0", problem: []string{"serial number", "'A' at position 10"}},
		{name: "ErrCheckNotDigit", raw: "MSCU663987A", value: "MSCU663987A", problem: []string{"check digit", "'A'"}},
		{name: "ErrNonASCII", raw: "MSCU66398中0", value: "MSCU66398中0", problem: []string{"'中' at position 10"}},
		{name: "ErrOtherSeparator", raw: "MSCU/6639870", value: "MSCU/6639870", problem: []string{"has 12 characters"}},
	})
}

func TestContainerCheckDigit(t *testing.T) {
	tests := []struct {
		name    string
		first10 string
		want    int
		ok      bool
	}{
		{"OK/CSQU", "CSQU305438", 3, true},
		{"OK/MSCU", "MSCU663987", 0, true},
		{"OK/RemainderTenIsZero", "TGHJ123456", 0, true},
		{"ErrShort", "CSQU30543", 0, false},
		{"ErrLowerCase", "csqu305438", 0, false},
		{"ErrPunctuation", "CSQU-30543", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ContainerCheckDigit(tt.first10)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ContainerCheckDigit(%q) = %d, %v; want %d, %v", tt.first10, got, ok, tt.want, tt.ok)
			}
		})
	}
	// ISO 6346 letter values skip the multiples of 11.
	for c, want := range map[byte]int{'A': 10, 'B': 12, 'K': 21, 'L': 23, 'U': 32, 'V': 34, 'Z': 38} {
		if got := containerLetterValue(c); got != want {
			t.Errorf("value of %c = %d, want %d", c, got, want)
		}
	}
}

func TestCheckHSCode(t *testing.T) {
	s := ref(t)
	// 940540 was an HS 2017 subheading; HS 2022 split it into 940541, 940542 and 940549.
	if _, found := s.HSSubheading("940540"); found {
		t.Fatal("940540 is in the HS 2022 data; the ErrSplitByHS2022 case below is wrong")
	}
	runVerdicts(t, func(raw string) Verdict { return CheckHSCode(s, raw) }, []verdictCase{
		{name: "OK", raw: "9503000090", value: "9503000090", ok: true},
		{name: "OK/Christmas", raw: "9505100000", value: "9505100000", ok: true},
		{name: "OK/LeadingZero", raw: "0101210010", value: "0101210010", ok: true},
		{name: "OK/PrintedWithDots", raw: "9503.00.00.90", value: "9503000090", ok: true},
		{name: "OK/FullWidthAndSpaces", raw: "\u3000９５０３００００９０ ", value: "9503000090", ok: true},
		{name: "ErrShortSubheading", raw: "950300", value: "950300",
			problem: []string{"has 6 digits", "10-digit", "Do not pad with zeros"}},
		{name: "ErrShortTariffLine", raw: "95030000", value: "95030000", problem: []string{"has 8 digits"}},
		{name: "ErrLong", raw: "95030000901", value: "95030000901", problem: []string{"has 11 digits", "must have 10"}},
		{name: "ErrSplitByHS2022", raw: "9405400000", value: "9405400000",
			problem: []string{"940540", "not an HS 2022 subheading", "940541, 940542, 940549"}},
		{name: "ErrNotSubheading", raw: "9503990000", value: "9503990000", problem: []string{"950399", "older HS edition"}},
		{name: "ErrHeading", raw: "9599000000", value: "9599000000", problem: []string{"Heading 9599"}},
		{name: "ErrChapter77", raw: "7712345678", value: "7712345678", problem: []string{"Chapter 77"}},
		{name: "ErrPseudoChapter99", raw: "9999999999", value: "9999999999", problem: []string{"Chapter 99"}},
		{name: "ErrEmpty", raw: "  ", value: "", problem: []string{"Enter the HS code"}},
		{name: "ErrOnlyDots", raw: "...", value: "", problem: []string{"Enter the HS code"}},
		{name: "ErrSpace", raw: "9503 000090", value: "9503 000090", problem: []string{"Remove the space at position 5"}},
		{name: "ErrLetter", raw: "95O3000090", value: "95O3000090", problem: []string{"'O' at position 3 is not a digit"}},
		{name: "ErrNonASCII", raw: "9503中00090", value: "9503中00090", problem: []string{"'中' at position 5"}},
		{name: "ErrTooShort", raw: "9", value: "9", problem: []string{"has 1 digits"}},
	})
}

func TestCheckDeclarationNumber(t *testing.T) {
	runVerdicts(t, CheckDeclarationNumber, []verdictCase{
		{name: "OK/Import", raw: "290120241000012345", value: "290120241000012345", ok: true},
		{name: "OK/Export", raw: " 290120260000000001 ", value: "290120260000000001", ok: true},
		{name: "OK/FullWidth", raw: "２９０１２０２４１０００００００１２", value: "290120241000000012", ok: true},
		{name: "ErrEmpty", raw: "", value: "", problem: []string{"Enter the declaration number"}},
		{name: "ErrLength", raw: "29012024100001234", value: "29012024100001234", problem: []string{"has 17 digits", "must have 18"}},
		{name: "ErrSpace", raw: "2901 20241000012345", value: "2901 20241000012345", problem: []string{"position 5"}},
		{name: "ErrLetter", raw: "2901202410000I2345", value: "2901202410000I2345", problem: []string{"'I' at position 14"}},
		{name: "ErrOffice", raw: "000020241000012345", value: "000020241000012345", problem: []string{"customs office"}},
		{name: "ErrYear", raw: "290119991000012345", value: "290119991000012345", problem: []string{"year", "1999"}},
		{name: "ErrFlag", raw: "290120242000012345", value: "290120242000012345", problem: []string{"import/export flag", "is 2"}},
		{name: "ErrSequenceZero", raw: "290120241000000000", value: "290120241000000000", problem: []string{"sequence number"}},
	})
}

func TestFormatDeclarationNumber(t *testing.T) {
	tests := []struct {
		name   string
		office string
		year   int
		export bool
		seq    int64
		want   string // "" for an error
	}{
		{"OK/Import", "2901", 2024, false, 12345, "290120241000012345"},
		{"OK/Export", "2933", 2026, true, 1, "293320260000000001"},
		{"OK/MaxSequence", "2901", 2099, true, 999999999, "290120990999999999"},
		{"ErrOfficeShort", "290", 2024, true, 1, ""},
		{"ErrOfficeLetters", "29A1", 2024, true, 1, ""},
		{"ErrOfficeZero", "0000", 2024, true, 1, ""},
		{"ErrYear", "2901", 1999, true, 1, ""},
		{"ErrSequenceZero", "2901", 2024, true, 0, ""},
		{"ErrSequenceTooBig", "2901", 2024, true, 1_000_000_000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatDeclarationNumber(tt.office, tt.year, tt.export, tt.seq)
			if tt.want == "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Code != apperr.Invalid || ae.Text.En == "" || ae.Text.Zh == "" {
					t.Fatalf("got %q, %v; want a bilingual apperr.Invalid", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if v := CheckDeclarationNumber(got); !v.OK {
				t.Errorf("formatted number fails its check: %+v", v)
			}
		})
	}
}

func TestCheckCountry(t *testing.T) {
	s := ref(t)
	runVerdicts(t, func(raw string) Verdict { return CheckCountry(s, raw) }, []verdictCase{
		{name: "OK", raw: "CN", value: "CN", ok: true},
		{name: "OK/Namibia", raw: " na ", value: "NA", ok: true},
		{name: "OK/FullWidth", raw: "ｔｒ", value: "TR", ok: true},
		{name: "ErrAlpha3", raw: "chn", value: "CHN", problem: []string{"use the 2-letter ISO 3166 code CN"}},
		{name: "ErrUK", raw: "UK", value: "UK", problem: []string{"GB"}},
		{name: "ErrUnknown", raw: "XX", value: "XX", problem: []string{"XX is not an ISO 3166 country code"}},
		{name: "ErrLength", raw: "C", value: "C", problem: []string{"has 1 characters"}},
		{name: "ErrDigit", raw: "C1", value: "C1", problem: []string{"'1' at position 2"}},
		{name: "ErrSpace", raw: "C N", value: "C N", problem: []string{"position 2"}},
		{name: "ErrEmpty", raw: "", value: "", problem: []string{"Enter the country code"}},
	})
}

func TestCheckCurrency(t *testing.T) {
	s := ref(t)
	runVerdicts(t, func(raw string) Verdict { return CheckCurrency(s, raw) }, []verdictCase{
		{name: "OK", raw: "USD", value: "USD", ok: true},
		{name: "OK/LowerCase", raw: " try ", value: "TRY", ok: true},
		{name: "OK/CFAFranc", raw: "XOF", value: "XOF", ok: true},
		{name: "ErrRMB", raw: "rmb", value: "RMB", problem: []string{"CNY"}},
		{name: "ErrWithdrawn", raw: "BGN", value: "BGN", problem: []string{"not a current ISO 4217"}},
		{name: "ErrFund", raw: "CHE", value: "CHE", problem: []string{"not a current ISO 4217"}},
		{name: "ErrMetal", raw: "XAU", value: "XAU", problem: []string{"not a current ISO 4217"}},
		{name: "ErrLength", raw: "US", value: "US", problem: []string{"has 2 characters"}},
		{name: "ErrDigit", raw: "US1", value: "US1", problem: []string{"'1' at position 3"}},
		{name: "ErrEmpty", raw: "\u3000", value: "", problem: []string{"Enter the currency code"}},
	})
}

func TestNormalize(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"OK/Unchanged", "ABC123", "ABC123"},
		{"OK/UpperCase", "abc", "ABC"},
		{"OK/FullWidthDigitsAndLetters", "９１ａＢ", "91AB"},
		{"OK/IdeographicSpaceTrimmed", "\u3000AB\u3000", "AB"},
		{"OK/IdeographicSpaceInsideKept", "A\u3000B", "A B"},
		{"OK/NBSPTrimmed", "\u00a0AB\u00a0", "AB"},
		{"OK/InvalidUTF8Replaced", "A\xffB", "A\uFFFDB"},
		{"OK/NonASCIIKept", "中", "中"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalize(tt.raw)
			if got != tt.want {
				t.Errorf("normalize(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if again := normalize(got); again != got {
				t.Errorf("normalize not idempotent: %q → %q", got, again)
			}
		})
	}
}

// fuzzInvariants asserts what must hold for any input: the verdict has the right shape, an OK
// value has the right length in ASCII, and checking the normalised value gives the same verdict.
func fuzzInvariants(t *testing.T, raw string, check func(string) Verdict, okLen int) Verdict {
	v := check(raw)
	assertVerdictShape(t, v)
	if v.OK && (len(v.Value) != okLen || utf8.RuneCountInString(v.Value) != okLen) {
		t.Fatalf("OK verdict with value %q of length %d, want %d", v.Value, len(v.Value), okLen)
	}
	if again := check(v.Value); again != v {
		t.Fatalf("check(%q) = %+v, but check of its value %q = %+v", raw, v, v.Value, again)
	}
	return v
}

func FuzzCheckUSCC(f *testing.F) {
	for _, seed := range []string{"91440783714753661E", "91440783714753661F", " ９１３５０２００７７６０４９６５３ａ ",
		"9144 0783714753661E", "914407837I4753661E", "", "\xff", "92330782MA2EC4UX1M"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v := fuzzInvariants(t, raw, CheckUSCC, 18)
		if v.OK || v.NeedsReview {
			want, ok := USCCCheckChar(v.Value[:17])
			if !ok || (v.OK != (want == v.Value[17])) {
				t.Fatalf("verdict %+v disagrees with check character %q", v, want)
			}
			// The right check character turns a code under review into a valid one.
			if fixed := CheckUSCC(v.Value[:17] + string(want)); !fixed.OK {
				t.Fatalf("%q with check character %q: %+v", v.Value, want, fixed)
			}
		}
		if v.OK {
			if lower := CheckUSCC(strings.ToLower(v.Value)); lower != v {
				t.Fatalf("lower case of valid %q: %+v", v.Value, lower)
			}
		}
	})
}

func FuzzCheckContainerNumber(f *testing.F) {
	for _, seed := range []string{"CSQU3054383", "MSCU6639871", "mscu 663987-0", "ＣＳＱＵ３０５４３８３", "MSCU66398中0", "", "-"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v := fuzzInvariants(t, raw, CheckContainerNumber, 11)
		if v.OK {
			if want, ok := ContainerCheckDigit(v.Value[:10]); !ok || int(v.Value[10]-'0') != want {
				t.Fatalf("OK verdict %+v with a wrong check digit", v)
			}
			// As printed on a box: owner code and category, serial, check digit.
			printed := v.Value[:4] + " " + v.Value[4:10] + "-" + v.Value[10:]
			if p := CheckContainerNumber(printed); p != v {
				t.Fatalf("printed form %q of valid %q: %+v", printed, v.Value, p)
			}
		}
		if v.NeedsReview {
			t.Fatalf("a container number never goes to review: %+v", v)
		}
	})
}

func FuzzCheckHSCode(f *testing.F) {
	s := ref(f)
	for _, seed := range []string{"9503000090", "9503.00.00.90", "950300", "9405400000", "7712345678", "９５０３００００９０", "", ".", "\x00 ."} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v := fuzzInvariants(t, raw, func(raw string) Verdict { return CheckHSCode(s, raw) }, 10)
		if v.OK {
			if _, found := s.HSSubheading(v.Value[:6]); !found {
				t.Fatalf("OK verdict %+v for a code that is not an HS 2022 subheading", v)
			}
			// As printed in the tariff, with dots.
			dotted := v.Value[:4] + "." + v.Value[4:6] + "." + v.Value[6:8] + "." + v.Value[8:]
			if d := CheckHSCode(s, dotted); d != v {
				t.Fatalf("tariff form %q of valid %q: %+v", dotted, v.Value, d)
			}
		}
		if v.NeedsReview {
			t.Fatalf("an HS code never goes to review: %+v", v)
		}
	})
}
