package lite_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

func TestEncodeURIComponent(t *testing.T) {
	// Wanted values are what JavaScript's encodeURIComponent returns.
	tests := []struct{ in, want string }{
		{"", ""},
		{"/dashboard", "%2Fdashboard"},
		{"/a?b=c&d=e#f", "%2Fa%3Fb%3Dc%26d%3De%23f"},
		{"AZaz09-_.!~*'()", "AZaz09-_.!~*'()"},
		{" +%", "%20%2B%25"},
		{"é€😀", "%C3%A9%E2%82%AC%F0%9F%98%80"},
		{"<script>\"", "%3Cscript%3E%22"},
		{"\\:@$,;/?=", "%5C%3A%40%24%2C%3B%2F%3F%3D"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, lite.EncodeURIComponent(tt.in))
		})
	}
}
