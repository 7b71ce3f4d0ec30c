package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"mpt/models"
)

// audit is `mpt audit verify|checkpoints`: the tamper check of the audit log from the command
// line, for auditors and for cron jobs that keep checkpoints outside the system.
func audit(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usageError("usage: mpt audit verify [--checkpoints FILE] | mpt audit checkpoints [--out FILE] [--format csv|json]")
	}
	sub, args := args[0], args[1:]
	var cfg config
	fs := newFlagSet("audit "+sub, stderr)
	cfg.bind(fs, getenv)
	var checkpoints, out, format string
	switch sub {
	case "verify":
		fs.StringVar(&checkpoints, "checkpoints", "", "a checkpoint file exported earlier (CSV or JSON) to verify against")
	case "checkpoints":
		fs.StringVar(&out, "out", "", "write the checkpoints to this file instead of standard output")
		fs.StringVar(&format, "format", "csv", "csv or json")
	default:
		return usageError("mpt audit: unknown subcommand %q (verify or checkpoints)", sub)
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if format != "" && format != "csv" && format != "json" {
		return usageError("--format must be csv or json, got %q", format)
	}
	var known []models.AuditCheckpoint
	if checkpoints != "" {
		var err error
		if known, err = readCheckpoints(checkpoints); err != nil {
			return usageError("--checkpoints %s: %v", checkpoints, err)
		}
	}
	d, err := openDatabase(ctx, &cfg, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer models.Close(d.db)
	if d.fresh {
		return fmt.Errorf("%s has no mpt schema: check --db", cfg.DB)
	}
	next := int64(100_000)
	v, err := models.VerifyAudit(ctx, d.db, known, func(done int64) {
		if done >= next {
			fmt.Fprintf(stderr, "verified %d entries…\n", done)
			next += 100_000
		}
	})
	if err != nil {
		return err
	}
	if !v.OK() {
		fmt.Fprintf(stdout, "audit log BROKEN: %s\n", v.Break.Error())
		if e := v.Break.Entry; e != nil {
			fmt.Fprintf(stdout, "  entry %d: at %s, actor %s, %s %s %s\n", e.ID, e.At.UTC().Format("2006-01-02T15:04:05Z"),
				e.ActorRole, e.Entity, e.EntityID, e.Action)
		}
		return &exitError{code: 1}
	}
	if sub == "checkpoints" {
		return writeCheckpoints(stdout, out, format, v.Checkpoints)
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries, last entry %d, hash %s", v.Entries, v.LastID, v.LastHash)
	if len(known) > 0 {
		fmt.Fprintf(stdout, "; %d checkpoint(s) match", len(known))
	}
	fmt.Fprintln(stdout)
	return nil
}

// writeCheckpoints writes the daily checkpoints as CSV (day,last_id,hash,entries) or JSON.
func writeCheckpoints(stdout io.Writer, path, format string, cps []models.AuditCheckpoint) error {
	w := stdout
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cps)
	}
	cw := csv.NewWriter(w)
	_ = cw.Write(models.AuditCheckpointHeader)
	for _, c := range cps {
		_ = cw.Write([]string{c.Day, strconv.FormatInt(c.LastID, 10), c.Hash, strconv.FormatInt(c.Entries, 10)})
	}
	cw.Flush()
	return cw.Error()
}

// readCheckpoints reads a checkpoint file written by writeCheckpoints, in either format.
func readCheckpoints(path string) ([]models.AuditCheckpoint, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return models.ParseAuditCheckpoints(b)
}
