package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// Assets maps static files to fingerprinted URLs (/static/css/app.1a2b3c4d5e.css), so browsers
// can cache them for a year and still see a new version at once.
type Assets struct {
	fsys   fs.FS
	byName map[string]string // "css/app.css" → "/static/css/app.1a2b3c4d5e.css"
	byURL  map[string]string // the reverse
}

// NewAssets fingerprints every file of a static tree.
func NewAssets(fsys fs.FS) (*Assets, error) {
	a := &Assets{fsys: fsys, byName: map[string]string{}, byURL: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		url := "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.byName[name] = url
		a.byURL[url] = name
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fingerprint static assets: %w", err)
	}
	return a, nil
}

// Path returns the fingerprinted URL of a static file; an unknown name is a template bug and
// returns a path that 404s loudly in tests.
func (a *Assets) Path(name string) string {
	if u, ok := a.byName[name]; ok {
		return u
	}
	return "/static/missing/" + name
}

// Lookup returns the file behind a fingerprinted URL.
func (a *Assets) Lookup(url string) (name string, ok bool) {
	name, ok = a.byURL[url]
	return name, ok
}

// FS is the static file tree.
func (a *Assets) FS() fs.FS { return a.fsys }
