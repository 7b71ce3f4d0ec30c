package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
)

// config is mpt's configuration: flags, each defaulting to an MPT_* environment variable, then
// to a built-in default.
type config struct {
	Addr          string
	DB            string
	DataDir       string
	CustomsOffice string
	LogLevel      string
	LogFormat     string
}

// bind registers the configuration flags on a flag set.
func (c *config) bind(fs *flag.FlagSet, getenv func(string) string) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("MPT_ADDR", "127.0.0.1:8080"), "listen address (MPT_ADDR)")
	fs.StringVar(&c.DB, "db", env("MPT_DB", "mpt.db"), "SQLite file, or a postgres:// DSN for PostgreSQL (MPT_DB)")
	fs.StringVar(&c.DataDir, "data-dir", env("MPT_DATA_DIR", "data"), "directory for uploaded documents (MPT_DATA_DIR)")
	fs.StringVar(&c.CustomsOffice, "customs-office", env("MPT_CUSTOMS_OFFICE", "2933"),
		"4-digit customs office code used in declaration numbers, stored on first migration (MPT_CUSTOMS_OFFICE)")
	fs.StringVar(&c.LogLevel, "log-level", env("MPT_LOG_LEVEL", "info"), "debug, info, warn or error (MPT_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("MPT_LOG_FORMAT", "text"), "text or json (MPT_LOG_FORMAT)")
}

// validate checks the values a user may get wrong.
func (c *config) validate() error {
	if len(c.CustomsOffice) != 4 || strings.Trim(c.CustomsOffice, "0123456789") != "" {
		return usageError("--customs-office must be 4 digits, got %q", c.CustomsOffice)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return usageError("--log-level must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return usageError("--log-format must be text or json, got %q", c.LogFormat)
	}
	return nil
}

// logger builds the structured logger the flags ask for.
func (c *config) logger(w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newFlagSet makes a flag set that reports errors instead of exiting.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("mpt "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, turning flag errors into usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &exitError{code: 0}
		}
		return usageError("")
	}
	if fs.NArg() > 0 {
		return usageError("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

// version is the module version, or the VCS revision the binary was built from.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return fmt.Sprintf("dev-%s", rev)
}
