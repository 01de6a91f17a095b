package e2e

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moduleEntries lists the module fetches of the current page, with the
// bytes each took over the network (0: from the browser's cache).
const moduleEntries = `performance.getEntriesByType('resource')
	.filter(e => /\/sessionguard[.][^/]*wasm$/.test(new URL(e.name).pathname))
	.map(e => ({path: new URL(e.name).pathname, transferSize: e.transferSize, initiator: e.initiatorType}))`

type moduleEntry struct {
	Path         string `json:"path"`
	TransferSize int    `json:"transferSize"`
	Initiator    string `json:"initiator"`
}

// TestModuleLoadsFromItsHashedName: the page preloads the module by its
// content-hashed name, the loader takes that answer, the module starts,
// and the next page of the visit takes it from the browser's cache without
// asking the server again.
func TestModuleLoadsFromItsHashedName(t *testing.T) {
	forEachServer(t, func(t *testing.T, c serverConfig) {
		srv := sharedServer(t, c)
		tb := newTab(t, srv)

		tb.load("/")
		assert.True(t, evalJS[bool](tb, `document.documentElement.classList.contains('sg-ready')`), "the module started")
		first := evalJS[[]moduleEntry](tb, moduleEntries)
		require.Len(t, first, 1, "one module fetch: the loader takes the preloaded answer")
		assert.Equal(t, "link", first[0].Initiator, "the page's preload fetched it")
		assert.Regexp(t, `^/sessionguard\.[0-9a-f]{16}\.wasm$`, first[0].Path)
		assert.Positive(t, first[0].TransferSize, "the first visit fetches it")

		tb.load("/public")
		assert.True(t, evalJS[bool](tb, `document.documentElement.classList.contains('sg-ready')`), "the module started again")
		again := evalJS[[]moduleEntry](tb, moduleEntries)
		require.Len(t, again, 1)
		assert.Equal(t, "link", again[0].Initiator)
		assert.Equal(t, first[0].Path, again[0].Path)
		assert.Zero(t, again[0].TransferSize, "the next page takes it from the cache, unasked")
	})
}
