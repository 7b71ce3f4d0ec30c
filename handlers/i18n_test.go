package handlers_test

import (
	"io/fs"
	"regexp"
	"sort"
	"testing"

	"github.com/BurntSushi/toml"

	"mpt/web"
)

// TestTranslationsComplete fails when a message id is in one catalog and not the other, or a
// template uses an id that no catalog has.
func TestTranslationsComplete(t *testing.T) {
	catalogs := map[string]map[string]string{}
	for _, lang := range []string{"en", "zh-CN"} {
		m := map[string]string{}
		if _, err := toml.DecodeFS(web.Translations(), lang+".toml", &m); err != nil {
			t.Fatal(err)
		}
		catalogs[lang] = m
	}
	for id := range catalogs["en"] {
		if _, ok := catalogs["zh-CN"][id]; !ok {
			t.Errorf("%q is in en.toml but not zh-CN.toml", id)
		}
	}
	for id := range catalogs["zh-CN"] {
		if _, ok := catalogs["en"][id]; !ok {
			t.Errorf("%q is in zh-CN.toml but not en.toml", id)
		}
	}
	used := regexp.MustCompile(`\.T "([a-z0-9_.]+)"`)
	var missing []string
	err := fs.WalkDir(web.Templates(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(web.Templates(), path)
		if err != nil {
			return err
		}
		for _, m := range used.FindAllStringSubmatch(string(body), -1) {
			if _, ok := catalogs["en"][m[1]]; !ok {
				missing = append(missing, path+": "+m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("template uses an unknown message id: %s", m)
	}
}
