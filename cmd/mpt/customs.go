package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"mpt/models"
	"mpt/workflow"
	"mpt/workflow/apperr"
	"mpt/workflow/refdata"
)

const customsUsage = "usage: mpt customs replay [flags] DECLARATION (its id, 18-digit pre-entry number or customs entry number)"

// customs is `mpt customs replay DECLARATION`: it recomputes a declaration's routing decisions
// from the facts, seed and rule-set version each stored (DOMAIN §7) and prints them with the
// replayed lane. Exit 0 when every decision replays to what it stored, 1 when one differs or the
// declaration is unknown or was never routed, 2 on a usage error.
func customs(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "replay" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintln(stdout, customsUsage)
			return nil
		}
		return usageError("%s", customsUsage)
	}
	args = args[1:]
	var cfg config
	fs := newFlagSet("customs replay", stderr)
	cfg.bind(fs, getenv)
	ref := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		ref, args = args[0], args[1:]
		if err := parseFlags(fs, args); err != nil {
			return err
		}
	} else {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return &exitError{code: 0}
			}
			return usageError("%s", customsUsage)
		}
		if fs.NArg() != 1 {
			return usageError("%s", customsUsage)
		}
		ref = fs.Arg(0)
	}
	if strings.TrimSpace(ref) == "" {
		return usageError("%s", customsUsage)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	log := cfg.logger(stderr)
	d, err := openDatabase(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer models.Close(d.db)
	if d.fresh {
		return fmt.Errorf("%s has no mpt schema: check --db", cfg.DB)
	}
	ref2, err := refdata.Load()
	if err != nil {
		return err
	}
	svc := workflow.NewService(d.db, ref2, time.Now, log)
	rp, err := svc.ReplayRoutingByNumber(ctx, ref)
	if apperr.Is(err, apperr.NotFound) {
		fmt.Fprintf(stdout, "no declaration %q\n", ref)
		return &exitError{code: 1}
	}
	if err != nil {
		return err
	}
	printReplay(stdout, rp)
	if !rp.Match() {
		return &exitError{code: 1}
	}
	return nil
}

// printReplay writes each decision of a replay and the verdict.
func printReplay(w io.Writer, rp *workflow.RoutingReplay) {
	dcl := rp.Declaration
	entry := "none"
	if dcl.EntryNo != nil {
		entry = *dcl.EntryNo
	}
	fmt.Fprintf(w, "declaration %d: pre-entry no. %s, customs entry no. %s, status %s, lane %s\n",
		dcl.ID, dcl.PreEntryNo, entry, dcl.Status, orDash(dcl.Lane))
	if len(rp.Decisions) == 0 {
		fmt.Fprintln(w, "not routed: no decision to replay")
		return
	}
	for i, d := range rp.Decisions {
		fmt.Fprintf(w, "decision %d of %d: %s by %s, rule set version %d, seed %d, draw %d\n", i+1, len(rp.Decisions),
			d.Decision.DecidedAt.UTC().Format(time.RFC3339), orDash(d.Officer), d.Decision.RuleSetVersion, d.Decision.Seed, d.Decision.Draw)
		fmt.Fprintf(w, "  stored:   lane %s, rules hit %s\n", d.Decision.Lane, hitCodes(d.StoredHits))
		if !d.Problem.IsZero() {
			fmt.Fprintf(w, "  replay impossible: %s\n", d.Problem.En)
			continue
		}
		fmt.Fprintf(w, "  replayed: lane %s, rules hit %s, draw %d (rules %s, random %s)\n", d.Replayed.Lane,
			hitCodes(d.Replayed.Hits), d.Replayed.Draw, d.Replayed.RuleLane, d.Replayed.RandomLane)
		if d.Match() {
			fmt.Fprintln(w, "  same decision")
			continue
		}
		var diff []string
		if !d.SameLane {
			diff = append(diff, "lane")
		}
		if !d.SameHits {
			diff = append(diff, "rules hit")
		}
		if !d.SameDraw {
			diff = append(diff, "draw")
		}
		fmt.Fprintf(w, "  DIFFERENT: %s\n", strings.Join(diff, ", "))
	}
	last := rp.Latest()
	if rp.Match() {
		fmt.Fprintf(w, "replayed: same lane (%s)\n", last.Replayed.Lane)
		return
	}
	fmt.Fprintln(w, "replayed: MISMATCH: a stored decision does not replay to what it recorded")
}

func hitCodes(hits []workflow.RuleHit) string {
	if len(hits) == 0 {
		return "none"
	}
	codes := make([]string, len(hits))
	for i, h := range hits {
		codes[i] = h.Code
	}
	return strings.Join(codes, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
