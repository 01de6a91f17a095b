package lite_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

// The hand-written time functions agree with the time package on every
// input the API sends and on the malformed ones around them.
func TestParseTimeAgreesWithTimeParse(t *testing.T) {
	for _, in := range []string{
		"2026-11-23T16:11:44Z", " 2026-11-23T16:11:44Z\n", "2026-11-23t16:11:44z",
		"2026-11-23T16:11:44.5Z", "2026-11-23T16:11:44.123456789Z", "2026-11-23T16:11:44.1234567891Z",
		"2026-11-23T17:11:44+01:00", "2026-11-23T10:41:44-05:30", "2024-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
		"", "2026-11-23", "2026-11-23T16:11:44", "2026-11-23 16:11:44Z", "2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-23T24:00:00Z",
		"2026-11-23T16:60:00Z", "2026-11-23T16:11:60Z", "2026-11-23T16:11:44.Z", "2026-11-23T16:11:44+0100",
		"2026-11-23T16:11:44Zjunk", "2026-11-23T16:11:44+01:00junk", "26-11-23T16:11:44Z", "2026-1-23T16:11:44Z",
		"２026-11-23T16:11:44Z",
	} {
		want, wantErr := time.Parse(time.RFC3339Nano, lite.TrimSpace(in))
		got, err := lite.ParseTime(in)
		if wantErr != nil {
			assert.Error(t, err, "%q", in)
			continue
		}
		if assert.NoError(t, err, "%q", in) {
			assert.True(t, want.Equal(got), "%q: %v, want %v", in, got, want)
			assert.Equal(t, time.UTC, got.Location(), "%q", in)
		}
	}
}

// Offsets beyond RFC 3339's hh 00–23 and mm 00–59, which time.Parse lets
// through, are refused.
func TestParseTimeStricterOffsets(t *testing.T) {
	for _, in := range []string{"2026-11-23T16:11:44+24:00", "2026-11-23T16:11:44+01:60"} {
		_, err := lite.ParseTime(in)
		assert.Error(t, err, in)
	}
}

func TestParseHTTPDate(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 16, 11, 44, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{t0.Format(time.RFC1123), t0, true},
		{t0.Format(http1123), t0, true},
		{"Sun, 06 Nov 1994 08:49:37 GMT", time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC), true},
		{"Sun, 06 Nov 1994 08:49:37 CET", time.Time{}, false},
		{"Sun, 06 Foo 1994 08:49:37 GMT", time.Time{}, false},
		{"Sun, 31 Feb 1994 08:49:37 GMT", time.Time{}, false},
		{"Sunday, 06-Nov-94 08:49:37 GMT", time.Time{}, false},
		{"Sun, 06 Nov 1994 24:49:37 GMT", time.Time{}, false},
		{"120", time.Time{}, false},
	} {
		got, err := lite.ParseHTTPDate(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.True(t, tt.want.Equal(got), "%s: %v", tt.in, got)
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestFormatTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 23, 16, 11, 44, 999999999, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		assert.Equal(t, tm.UTC().Format("2006-01-02T15:04:05Z07:00"), lite.FormatTime(tm))
	}
	assert.Equal(t, "0000-01-01T00:00:00Z", lite.FormatTime(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)), "clamped")
}

// FormatTime's own calendar arithmetic agrees with the time package on
// instants spread over years 0 to 9999, every day boundary of a leap
// February and both ends of a century.
func TestFormatTimeCalendar(t *testing.T) {
	check := func(tm time.Time) {
		t.Helper()
		if y := tm.UTC().Year(); y < 0 || y > 9999 {
			return
		}
		assert.Equal(t, tm.UTC().Format("2006-01-02T15:04:05Z07:00"), lite.FormatTime(tm), "%d", tm.Unix())
	}
	first := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	last := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	for u := first; u <= last; u += 86400*37 + 3607 {
		check(time.Unix(u, 0))
	}
	for _, d := range []time.Time{
		time.Date(2024, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2100, 2, 28, 23, 59, 59, 0, time.UTC),
		time.Date(2000, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(1600, 2, 28, 23, 59, 59, 0, time.UTC),
	} {
		for i := range 4 {
			check(d.Add(time.Duration(i) * time.Second))
			check(d.Add(time.Duration(i)*24*time.Hour + time.Second))
		}
	}
}
