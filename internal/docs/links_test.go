package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// link is a Markdown link with a relative target; the text is kept when it
// names a test or fuzz target in backquotes.
var link = regexp.MustCompile("\\[(`?)([^\\]`]*)`?\\]\\(([^)#\\s]+)(#[^)]*)?\\)")

// documents are the Markdown files whose links are checked, relative to
// this package.
func documents(t *testing.T) []string {
	docs, err := filepath.Glob("../../docs/*.md")
	require.NoError(t, err)
	return append(docs, "../../README.md")
}

// TestDocumentLinksResolve checks every relative link of README.md and
// docs/*.md, and that a link whose text is a test or fuzz target's name
// points at a file that defines it: docs/SECURITY.md maps each requirement
// to such a test, and a renamed or deleted test must not leave a dead proof.
func TestDocumentLinksResolve(t *testing.T) {
	proofs := 0
	for _, doc := range documents(t) {
		b, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			text, target := m[2], m[3]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path := filepath.Join(filepath.Dir(doc), target)
			if fi, err := os.Stat(path); err == nil && fi.IsDir() {
				continue // a folder (GitHub shows its README)
			}
			src, err := os.ReadFile(path)
			if !assert.NoError(t, err, "%s links to %s", doc, target) {
				continue
			}
			if m[1] == "`" && regexp.MustCompile(`^(Test|Fuzz|Benchmark)[A-Z0-9]\w*$`).MatchString(text) {
				proofs++
				assert.Regexp(t, `(?m)^func `+text+`\(`, string(src), "%s names %s as defined in %s", doc, text, target)
			}
		}
	}
	assert.Greater(t, proofs, 50, "docs/SECURITY.md and docs/HTTP.md name the tests that prove each rule")
}

// TestNoMergeConflictMarkers: no document keeps both sides of a merge.
func TestNoMergeConflictMarkers(t *testing.T) {
	marker := regexp.MustCompile(`(?m)^(<<<<<<<|=======|>>>>>>>)( |$)`)
	for _, doc := range documents(t) {
		b, err := os.ReadFile(doc)
		require.NoError(t, err)
		assert.Empty(t, marker.FindAllString(string(b), -1), "%s has merge conflict markers", doc)
	}
}
