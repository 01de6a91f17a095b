package relay

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{-1, 0, 0},
		{0, 0, 0},
		{1, MinBackoff / 2, MinBackoff},
		{2, MinBackoff, 2 * MinBackoff},
		{3, 2 * MinBackoff, 4 * MinBackoff},
		{5, 8 * MinBackoff, 16 * MinBackoff},
		{6, MaxBackoff / 2, MaxBackoff},
		{1000, MaxBackoff / 2, MaxBackoff},
	}
	for _, tt := range tests {
		for range 100 {
			d := backoff(tt.attempt)
			if !assert.True(t, d >= tt.min && d <= tt.max, "attempt %d: %v, want %v to %v", tt.attempt, d, tt.min, tt.max) {
				break
			}
		}
	}
}
