package lite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

func TestASCIIHelpers(t *testing.T) {
	assert.True(t, lite.EqualFold("_SeLf", "_self"))
	assert.False(t, lite.EqualFold("_selfs", "_self"))
	assert.False(t, lite.EqualFold("K", "\u212a"), "no Unicode folding (Kelvin sign)")
	assert.True(t, lite.HasToken("noopener  External\tnoreferrer", "external"))
	assert.False(t, lite.HasToken("externals", "external"))
	assert.False(t, lite.HasToken("", "external"))
	assert.Equal(t, "a b", lite.TrimSpace(" \t a b\r\n"))
	for in, want := range map[string]int{"0": 0, "120": 120, "999999999": 999999999} {
		n, ok := lite.Atoi(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, n)
	}
	for _, in := range []string{"", "-1", "+1", "1e3", "1000000000", "١٢"} {
		_, ok := lite.Atoi(in)
		assert.False(t, ok, in)
	}
}
