package testenv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/internal/testenv"
)

func TestProxyURL(t *testing.T) {
	p := testenv.NewProxy(t, "127.0.0.1:1")
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "postgres://postgres@" + p.Addr() + "/test?sslmode=disable"},
		{"redis://127.0.0.1:6379/0", "redis://" + p.Addr() + "/0"},
		{"redis://:secret@db.example:6379", "redis://:secret@" + p.Addr()},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, p.URL(t, tt.in))
		})
	}
}

func TestHostPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "127.0.0.1:5432"},
		{"postgres://db.example/test", "db.example:5432"},
		{"postgresql://[::1]/test", "[::1]:5432"},
		{"redis://127.0.0.1:6380/0", "127.0.0.1:6380"},
		{"redis://localhost", "localhost:6379"},
		{"rediss://:pw@cache.example/1", "cache.example:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, testenv.HostPort(t, tt.in))
		})
	}
}
