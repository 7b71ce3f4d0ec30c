package demo

import "mpt/workflow"

// newTraceCode returns a trace code not handed out before in this load.
func (g *generator) newTraceCode() string {
	for {
		if c := workflow.NewTraceCode(g.rng); !g.used["trace\x00"+c] {
			g.used["trace\x00"+c] = true
			return c
		}
	}
}
