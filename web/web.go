// Package web holds what the browser gets: HTML templates (layouts, partials, pages), static
// assets (our CSS and JavaScript, and front-end libraries vendored from npm under
// static/vendor), and the zh-CN and en translations of the interface. Everything is embedded
// in the binary; nothing is ever loaded from a CDN.
package web

import (
	"embed"
	"io/fs"
)

//go:embed templates static i18n
var files embed.FS

// Templates returns the template tree: layout.html, partials/*.html and pages/*.html.
func Templates() fs.FS { return sub("templates") }

// Static returns the static asset tree served under /static/.
func Static() fs.FS { return sub("static") }

// Translations returns the message catalogs, one TOML file per language.
func Translations() fs.FS { return sub("i18n") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(files, dir)
	if err != nil {
		panic(err) // the directory is embedded above; this cannot fail
	}
	return f
}
