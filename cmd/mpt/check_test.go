package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCmd runs the program as a user would and returns its output and exit code.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		out  string // a fragment of stdout (or stderr for usage errors)
	}{
		{"OKUSCC", []string{"check", "uscc", "91440783714753661E"}, 0, "valid uscc: 91440783714753661E"},
		{"OKUSCCSecondExample", []string{"check", "uscc", "91350200776049653A"}, 0, "valid uscc"},
		{"OKUSCCLowerCaseAndSpaces", []string{"check", "uscc", "  91440783714753661e "}, 0, "valid uscc: 91440783714753661E"},
		{"ReviewUSCCCheckChar", []string{"check", "uscc", "91440783714753661A"}, 1, "needs manual review"},
		{"ErrUSCCEmpty", []string{"check", "uscc", ""}, 1, "invalid uscc"},
		{"ErrUSCCShort", []string{"check", "uscc", "9144078371475"}, 1, "invalid uscc"},
		{"ErrUSCCNonASCII", []string{"check", "uscc", "9144078371475366１Ｅ中"}, 1, "invalid uscc"},
		{"ErrUSCCEmbeddedSpace", []string{"check", "uscc", "914407837 14753661E"}, 1, "invalid uscc"},
		{"ErrUSCCForbiddenLetter", []string{"check", "uscc", "91440783714753661I"}, 1, "invalid uscc"},
		{"OKContainer", []string{"check", "container", "CSQU3054383"}, 0, "valid container: CSQU3054383"},
		{"OKContainerSecond", []string{"check", "container", "msCU6639870 "}, 0, "valid container: MSCU6639870"},
		{"ErrContainerCheckDigit", []string{"check", "container", "MSCU6639871"}, 1, "invalid container"},
		{"ErrContainerEmpty", []string{"check", "container", ""}, 1, "invalid container"},
		{"ErrContainerShort", []string{"check", "container", "MSCU663987"}, 1, "invalid container"},
		{"OKHS", []string{"check", "hs", "9503008900"}, 0, "valid hs: 9503008900"},
		{"OKHSSpaces", []string{"check", "hs", " 9505100000 "}, 0, "valid hs: 9505100000"},
		{"ErrHSNotSubheading", []string{"check", "hs", "9405400000"}, 1, "940540"},
		{"ErrHSShortNotPadded", []string{"check", "hs", "950300"}, 1, "invalid hs"},
		{"ErrHSChapter77", []string{"check", "hs", "7701000000"}, 1, "invalid hs"},
		{"ErrHSEmbeddedSpace", []string{"check", "hs", "9503 008900"}, 1, "invalid hs"},
		{"ErrHSNonASCII", []string{"check", "hs", "９５０３００８９００x"}, 1, "invalid hs"},
		{"ErrHSEmpty", []string{"check", "hs", ""}, 1, "invalid hs"},
		{"UsageNoValue", []string{"check", "uscc"}, 2, "usage: mpt check"},
		{"UsageUnknownKind", []string{"check", "iban", "x"}, 2, "unknown kind"},
		{"UsageTooMany", []string{"check", "hs", "1", "2"}, 2, "usage: mpt check"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runCmd(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (stdout %q, stderr %q)", code, tt.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tt.out) {
				t.Errorf("output %q lacks %q", out+errOut, tt.out)
			}
			if tt.code != 2 && strings.Count(strings.TrimSpace(out), "\n") != 0 {
				t.Errorf("verdict is not one line: %q", out)
			}
		})
	}
}

func TestVersionAndUsage(t *testing.T) {
	if out, _, code := runCmd(t, "version"); code != 0 || !strings.HasPrefix(out, "mpt ") {
		t.Errorf("version: %d %q", code, out)
	}
	if _, errOut, code := runCmd(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if _, _, code := runCmd(t, "migrate", "--customs-office", "12"); code != 2 {
		t.Errorf("bad office code: exit %d, want 2", code)
	}
}
