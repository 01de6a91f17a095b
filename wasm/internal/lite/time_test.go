package lite_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// at is the module's Time of a time.Time, to the millisecond.
func at(t time.Time) lite.Time { return lite.UnixMilli(t.UnixMilli()) }

// ParseTime is wire.ParseTime around ASCII spaces, kept to the
// millisecond.
func TestParseTime(t *testing.T) {
	for _, in := range []string{
		"2026-11-23T16:11:44Z", " 2026-11-23T16:11:44Z\n", "\t2026-11-23T17:11:44+01:00 ", "2026-11-23T16:11:44.123456789Z",
		"1969-12-31T23:59:59.9995Z", "0000-01-01T00:00:00Z",
	} {
		want, err := time.Parse(time.RFC3339, lite.TrimSpace(in))
		assert.NoError(t, err, in)
		got, err := lite.ParseTime(in)
		if assert.NoError(t, err, "%q", in) {
			assert.Equal(t, want.UnixMilli(), got.UnixMilli(), "%q", in)
		}
	}
	for _, in := range []string{"", " ", "2026-11-23", "2026-11-23T16:11:44", "2026-11-23T16:11:44+24:00", "x2026-11-23T16:11:44Z"} {
		_, err := lite.ParseTime(in)
		assert.Error(t, err, "%q", in)
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
		{" " + t0.Format(http1123) + "\t", t0, true},
		{"Sun, 06 Nov 1994 08:49:37 GMT", time.Date(1994, 11, 6, 8, 49, 37, 0, time.UTC), true},
		{"Thu, 29 Feb 2024 00:00:00 GMT", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"Tue, 31 Dec 1968 23:59:59 GMT", time.Date(1968, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{"Sun, 06 Nov 1994 08:49:37 CET", time.Time{}, false},
		{"Sun, 06 Foo 1994 08:49:37 GMT", time.Time{}, false},
		{"Sun, 31 Feb 1994 08:49:37 GMT", time.Time{}, false},
		{"Sun, 29 Feb 2025 08:49:37 GMT", time.Time{}, false},
		{"Sunday, 06-Nov-94 08:49:37 GMT", time.Time{}, false},
		{"Sun, 06 Nov 1994 24:49:37 GMT", time.Time{}, false},
		{"Sun, 06 Nov 1994 08-49-37 GMT", time.Time{}, false},
		{"Sun, 6  Nov 1994 08:49:37 GMT", time.Time{}, false},
		{"Sun, 06 Nov 94   08:49:37 GMT", time.Time{}, false},
		{"Sun, 06 Nov 1994 08:49:37 GMTx", time.Time{}, false},
		{"120", time.Time{}, false},
	} {
		got, err := lite.ParseHTTPDate(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, at(tt.want), got, tt.in)
	}
}

const http1123 = "Mon, 02 Jan 2006 15:04:05 GMT"

func TestFormatTime(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 23, 16, 11, 44, 999999999, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
		time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		assert.Equal(t, tm.UTC().Format(wire.TimeFormat), lite.FormatTime(at(tm)))
	}
	assert.Equal(t, "0000-01-01T00:00:00Z", lite.FormatTime(at(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC))), "clamped")
}

// Time and Duration do what time.Time and time.Duration do, in
// milliseconds, and the zero Time is time.Time's and wire.Time's.
func TestTimeArithmetic(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 16, 11, 44, 0, time.UTC)
	a, b := at(t0), at(t0.Add(1500*time.Millisecond))
	assert.Equal(t, 1500*lite.Millisecond, b.Sub(a))
	assert.Equal(t, -1500*lite.Millisecond, a.Sub(b))
	assert.Equal(t, b, a.Add(lite.Second+500*lite.Millisecond))
	assert.True(t, a.Before(b))
	assert.False(t, b.Before(a))
	assert.False(t, a.Before(a))
	assert.True(t, b.After(a))
	assert.False(t, a.After(b))
	assert.False(t, a.After(a))
	assert.Equal(t, lite.Duration(time.Hour/time.Millisecond), lite.Hour)
	assert.Equal(t, lite.Duration(time.Minute/time.Millisecond), lite.Minute)
	assert.Equal(t, t0.UnixMilli(), a.UnixMilli())

	assert.True(t, lite.Time{}.IsZero())
	assert.False(t, a.IsZero())
	assert.False(t, lite.UnixMilli(0).IsZero(), "the Unix epoch is not the zero Time")
	assert.Equal(t, time.Time{}.UnixMilli(), lite.Time{}.UnixMilli())
	assert.Equal(t, lite.Time{}, lite.FromWire(wire.Time{}))
	assert.Equal(t, wire.Time{}, lite.Time{}.Wire())
	assert.Equal(t, wire.UnixMilli(t0.UnixMilli()+1500), b.Wire())
	assert.Equal(t, b, lite.FromWire(b.Wire()))
}
