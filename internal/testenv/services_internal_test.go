package testenv

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// recorder is a testing.TB that records a skip or a failure instead of
// ending the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) { r.skipped = fmt.Sprintf(format, args...) }

func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestService(t *testing.T) {
	const env = "SG_TEST_TESTENV_URL"
	up := func(context.Context, string) error { return nil }
	down := func(context.Context, string) error { return errors.New("connection refused") }
	// pgx lists every address it tried, a line each.
	downLines := func(context.Context, string) error {
		return errors.New("failed to connect:\n\t[::1]:1: refused\n\t127.0.0.1:1: refused")
	}
	tests := []struct {
		name          string
		url, require  string
		reach         func(context.Context, string) error
		want          string // the URL returned
		skip, failure string // what the one line says
	}{
		{"set and answering", "db://x", "", up, "db://x", "", ""},
		{"set and answering, required", "db://x", "1", up, "db://x", "", ""},
		{"unset", "", "", up, "", "db tests skipped: SG_TEST_TESTENV_URL not set (set SG_TEST_TESTENV_URL to a test server's URL, or SG_REQUIRE_SERVICES=1 to fail instead)", ""},
		{"not answering", "db://x", "", down, "", "db tests skipped: SG_TEST_TESTENV_URL does not answer: connection refused (set SG_TEST_TESTENV_URL to a test server's URL, or SG_REQUIRE_SERVICES=1 to fail instead)", ""},
		{"unset, required", "", "1", up, "", "", "db tests cannot run: SG_TEST_TESTENV_URL not set, and SG_REQUIRE_SERVICES=1"},
		{"not answering, required", "db://x", "1", down, "", "", "db tests cannot run: SG_TEST_TESTENV_URL does not answer: connection refused, and SG_REQUIRE_SERVICES=1"},
		{"a message of several lines", "db://x", "", downLines, "", "db tests skipped: SG_TEST_TESTENV_URL does not answer: failed to connect: [::1]:1: refused 127.0.0.1:1: refused (set SG_TEST_TESTENV_URL to a test server's URL, or SG_REQUIRE_SERVICES=1 to fail instead)", ""},
		{"required is only 1", "", "yes", up, "", "db tests skipped: SG_TEST_TESTENV_URL not set (set SG_TEST_TESTENV_URL to a test server's URL, or SG_REQUIRE_SERVICES=1 to fail instead)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(env, tt.url)
			t.Setenv(RequireServices, tt.require)
			r := &recorder{TB: t}
			called := false
			got := service(r, "db", env, func(ctx context.Context, url string) error {
				called = true
				assert.Equal(t, tt.url, url)
				return tt.reach(ctx, url)
			})
			if tt.skip == "" && tt.failure == "" {
				assert.Equal(t, tt.want, got)
			}
			assert.Equal(t, tt.skip, r.skipped, "skip")
			assert.Equal(t, tt.failure, r.failed, "failure")
			assert.Equal(t, tt.url != "", called, "the service was tried")
			for _, line := range []string{r.skipped, r.failed} {
				assert.NotContains(t, line, "\n", "one line")
			}
		})
	}
}
