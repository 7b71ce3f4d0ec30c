package workflow_test

import (
	"reflect"
	"testing"

	"mpt/models"
	"mpt/workflow"
)

func consAmount(cartons int64, net, gross models.Grams) workflow.PackAmount {
	return workflow.PackAmount{Cartons: cartons, NetGrams: net, GrossGrams: gross}
}

func TestClosingProblems(t *testing.T) {
	l1 := workflow.PackingLineFacts{LineID: 1, Label: "T1 #1", Want: consAmount(10, 90_000, 100_000)}
	l2 := workflow.PackingLineFacts{LineID: 2, Label: "T1 #2", Want: consAmount(5, 40_000, 50_000)}
	box := workflow.ContainerFacts{ID: 7, Number: "CSQU3054383", SizeType: "40HQ", TareGrams: 3_900_000, MaxPayloadGrams: 26_500_000}
	box2 := workflow.ContainerFacts{ID: 8, Number: "MSCU6639870", SizeType: "20GP", TareGrams: 2_200_000, MaxPayloadGrams: 28_000_000}
	pack := func(container, line int64, a workflow.PackAmount) workflow.PackedFacts {
		return workflow.PackedFacts{ContainerID: container, LineID: line, PackAmount: a}
	}
	for _, tc := range []struct {
		name       string
		lines      []workflow.PackingLineFacts
		containers []workflow.ContainerFacts
		packed     []workflow.PackedFacts
		want       []string // problem codes
	}{
		{"OK", []workflow.PackingLineFacts{l1, l2}, []workflow.ContainerFacts{box},
			[]workflow.PackedFacts{pack(7, 1, l1.Want), pack(7, 2, l2.Want)}, nil},
		{"OKSplitAcrossContainers", []workflow.PackingLineFacts{l1}, []workflow.ContainerFacts{box, box2},
			[]workflow.PackedFacts{pack(7, 1, consAmount(4, 36_000, 40_000)), pack(8, 1, consAmount(6, 54_000, 60_000))}, nil},
		{"ErrNothing", nil, nil, nil, []string{workflow.ProblemNoLines, workflow.ProblemNoContainers}},
		{"ErrLineUnpackedAndEmptyContainer", []workflow.PackingLineFacts{l1}, []workflow.ContainerFacts{box}, nil,
			[]string{workflow.ProblemLineUnpacked, workflow.ProblemEmptyBox}},
		{"ErrLineShort", []workflow.PackingLineFacts{l1}, []workflow.ContainerFacts{box},
			[]workflow.PackedFacts{pack(7, 1, consAmount(10, 90_000, 99_999))}, []string{workflow.ProblemLineShort}},
		{"ErrLineOver", []workflow.PackingLineFacts{l1}, []workflow.ContainerFacts{box, box2},
			[]workflow.PackedFacts{pack(7, 1, l1.Want), pack(8, 1, consAmount(1, 0, 0))}, []string{workflow.ProblemLineOver}},
		{"ErrLineMismatchFewerCartonsMoreKg", []workflow.PackingLineFacts{l1}, []workflow.ContainerFacts{box},
			[]workflow.PackedFacts{pack(7, 1, consAmount(9, 90_000, 100_001))}, []string{workflow.ProblemLineOver}},
		{"ErrOverweight", []workflow.PackingLineFacts{{LineID: 3, Label: "heavy", Want: consAmount(900, 22_000_000, 22_600_001)}},
			[]workflow.ContainerFacts{box},
			[]workflow.PackedFacts{pack(7, 3, consAmount(900, 22_000_000, 22_600_001))}, []string{workflow.ProblemOverweightBox}},
		{"OKExactlyAtPayload", []workflow.PackingLineFacts{{LineID: 3, Label: "heavy", Want: consAmount(900, 22_000_000, 22_600_000)}},
			[]workflow.ContainerFacts{box},
			[]workflow.PackedFacts{pack(7, 3, consAmount(900, 22_000_000, 22_600_000))}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range workflow.ClosingProblems(tc.lines, tc.containers, tc.packed) {
				got = append(got, p.Code)
				if p.Text.En == "" || p.Text.Zh == "" {
					t.Errorf("%s: message missing a language: %+v", p.Code, p.Text)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOverPack(t *testing.T) {
	line := workflow.PackingLineFacts{LineID: 1, Label: "T1 #1", Want: consAmount(10, 90_000, 100_000)}
	for _, tc := range []struct {
		name           string
		elsewhere, put workflow.PackAmount
		over           bool
	}{
		{"OKAll", workflow.PackAmount{}, line.Want, false},
		{"OKRest", consAmount(4, 36_000, 40_000), consAmount(6, 54_000, 60_000), false},
		{"ErrCartons", consAmount(4, 36_000, 40_000), consAmount(7, 54_000, 60_000), true},
		{"ErrGross", workflow.PackAmount{}, consAmount(10, 90_000, 100_001), true},
		{"ErrNet", consAmount(10, 0, 0), consAmount(0, 90_001, 100_000), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			why, over := workflow.OverPack(line, tc.elsewhere, tc.put)
			if over != tc.over || (over && (why.En == "" || why.Zh == "")) {
				t.Errorf("OverPack = %v %+v, want %v", over, why, tc.over)
			}
		})
	}
}

func TestPayloadProblem(t *testing.T) {
	box := workflow.ContainerFacts{Number: "CSQU3054383", SizeType: "20GP", TareGrams: 2_200_000, MaxPayloadGrams: 28_000_000}
	for _, tc := range []struct {
		name  string
		gross models.Grams
		bad   bool
	}{
		{"OKWellUnder", 10_000_000, false},
		{"OKAtLimitWithTare", 25_800_000, false},
		{"ErrOneGramOver", 25_800_001, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, bad := workflow.PayloadProblem(box, tc.gross); bad != tc.bad {
				t.Errorf("PayloadProblem(%d) = %v, want %v", tc.gross, bad, tc.bad)
			}
		})
	}
}
