package handlers_test

import (
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"mpt/models"
	"mpt/web"
)

// TestTranslationsComplete fails when a message id is in one catalog and not the other, or a
// template uses an id that no catalog has.
func TestTranslationsComplete(t *testing.T) {
	catalogs := map[string]map[string]string{"en": {}, "zh-CN": {}}
	areas := map[string]bool{}
	files, err := fs.Glob(web.Translations(), "*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		parts := strings.Split(file, ".")
		if len(parts) != 3 || catalogs[parts[1]] == nil {
			t.Errorf("%s: catalog files are named AREA.LANG.toml with LANG en or zh-CN", file)
			continue
		}
		areas[parts[0]] = true
		m := map[string]string{}
		if _, err := toml.DecodeFS(web.Translations(), file, &m); err != nil {
			t.Fatal(err)
		}
		for id, v := range m {
			if _, dup := catalogs[parts[1]][id]; dup {
				t.Errorf("%s: %q is defined twice", file, id)
			}
			catalogs[parts[1]][id] = v
		}
	}
	for area := range areas {
		for _, lang := range []string{"en", "zh-CN"} {
			if _, err := fs.Stat(web.Translations(), area+"."+lang+".toml"); err != nil {
				t.Errorf("area %s has no %s catalog", area, lang)
			}
		}
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
	for _, role := range models.Roles {
		for _, id := range []string{"role." + role, "dashboard.role." + role} {
			if _, ok := catalogs["en"][id]; !ok {
				t.Errorf("no message %q for role %s", id, role)
			}
		}
	}
	var missing []string
	err = fs.WalkDir(web.Templates(), ".", func(path string, d fs.DirEntry, err error) error {
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
