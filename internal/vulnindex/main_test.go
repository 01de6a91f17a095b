package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const osvA = `{"schema_version":"1.3.1","id":"GO-2026-0002","modified":"2026-03-04T05:06:07Z","aliases":["CVE-2026-1"],
"affected":[{"package":{"name":"stdlib","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.26.9"}]}]},
{"package":{"name":"stdlib","ecosystem":"Go"}},{"package":{"name":"example.com/m","ecosystem":"Go"}}]}`

const osvB = `{"schema_version":"1.3.1","id":"GO-2026-0001","modified":"2026-01-02T03:04:05Z",
"affected":[{"package":{"name":"stdlib","ecosystem":"Go"}}]}`

func TestBuildWritesTheV1Layout(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "db")
	require.NoError(t, os.WriteFile(filepath.Join(src, "GO-2026-0002.json"), []byte(osvA), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "GO-2026-0001.json"), []byte(osvB), 0o644))
	n, err := build(src, dst)
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dst, name))
		require.NoError(t, err)
		return string(b)
	}
	assert.JSONEq(t, `{"modified":"2026-03-04T05:06:07Z"}`, read("index/db.json"), "the newest entry's time")
	assert.JSONEq(t, `[{"path":"example.com/m","vulns":[{"id":"GO-2026-0002","modified":"2026-03-04T05:06:07Z"}]},
		{"path":"stdlib","vulns":[{"id":"GO-2026-0001","modified":"2026-01-02T03:04:05Z"},{"id":"GO-2026-0002","modified":"2026-03-04T05:06:07Z"}]}]`,
		read("index/modules.json"), "sorted, each module once per entry, no fixed version")
	assert.JSONEq(t, `[{"id":"GO-2026-0001","modified":"2026-01-02T03:04:05Z"},
		{"id":"GO-2026-0002","modified":"2026-03-04T05:06:07Z","aliases":["CVE-2026-1"]}]`, read("index/vulns.json"))
	assert.Equal(t, osvA, read("ID/GO-2026-0002.json"), "entries are served as they are")
	var e map[string]any
	require.NoError(t, json.Unmarshal([]byte(read("ID/GO-2026-0001.json")), &e))
}

func TestBuildRefuses(t *testing.T) {
	for _, c := range []struct{ name, file string }{
		{"no id", `{"modified":"2026-01-02T03:04:05Z"}`},
		{"an id that is a path", `{"id":"../x","modified":"2026-01-02T03:04:05Z"}`},
		{"not JSON", `{`},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(src, "x.json"), []byte(c.file), 0o644))
			_, err := build(src, filepath.Join(t.TempDir(), "db"))
			assert.Error(t, err)
		})
	}
	t.Run("an empty folder", func(t *testing.T) {
		_, err := build(t.TempDir(), filepath.Join(t.TempDir(), "db"))
		assert.Error(t, err)
	})
	t.Run("an existing output", func(t *testing.T) {
		src, dst := t.TempDir(), t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(src, "a.json"), []byte(osvB), 0o644))
		_, err := build(src, dst)
		assert.Error(t, err)
	})
}
