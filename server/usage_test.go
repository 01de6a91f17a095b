package main

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHelpNamesTheCommandsAndVariables: -h and help show the subcommands
// and the SG_* variables before the flags; keys alone says what it takes.
func TestHelpNamesTheCommandsAndVariables(t *testing.T) {
	for _, tt := range []struct {
		name     string
		args     []string
		code     int
		toStdout bool
	}{
		{"-h", []string{"-h"}, 0, false},
		{"help", []string{"help"}, 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tt.code, run(context.Background(), tt.args, envMap(nil), nil, &stdout, &stderr))
			out := stderr.String()
			if tt.toStdout {
				out = stdout.String()
				assert.Empty(t, stderr.String())
			}
			for _, want := range []string{"sessionguard useradd", "sessionguard keys rotate", "sessionguard backup", "SG_<FLAG>", "SG_STORE_URL", "-store-url", "-strategy"} {
				assert.Contains(t, out, want)
			}
		})
	}
	t.Run("keys alone", func(t *testing.T) {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), []string{"keys"}, envMap(nil), nil, io.Discard, &stderr))
		assert.Contains(t, stderr.String(), "usage: sessionguard keys rotate")
	})
	t.Run("a stray word points to help", func(t *testing.T) {
		var stderr bytes.Buffer
		assert.Equal(t, 2, run(context.Background(), []string{"serve"}, envMap(nil), nil, io.Discard, &stderr))
		assert.Contains(t, stderr.String(), "sessionguard help lists the commands")
	})
}
