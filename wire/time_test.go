package wire_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/wire"
)

// The shapes with times as they were declared with time.Time: wire.Time
// must write (and read) the same JSON.
type (
	timeSession struct {
		User               wire.User `json:"user"`
		Expires            time.Time `json:"expires"`
		AAL                string    `json:"aal"`
		AuthenticatedAt    time.Time `json:"authenticatedAt"`
		EnrollmentRequired bool      `json:"enrollmentRequired,omitempty"`
	}
	timeTokens struct {
		TokenType     string    `json:"tokenType"`
		AccessToken   string    `json:"accessToken"`
		AccessExpires time.Time `json:"accessExpires,omitzero"`
		RefreshToken  string    `json:"refreshToken,omitempty"`
	}
)

// wireTime is the server's conversion, the one the tests use too.
func wireTime(t time.Time) wire.Time { return wire.UnixTime(t.Unix()) }

// instants spread over the years the API can write: the zero value, year
// and century boundaries, leap days, the Unix epoch and the times around
// them.
func instants() []time.Time {
	var ts []time.Time
	for _, d := range []time.Time{
		{}, time.Unix(0, 0), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 12, 5, 19, 48, 41, 0, time.UTC), time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC),
		time.Date(2100, 2, 28, 23, 59, 59, 0, time.UTC), time.Date(2000, 2, 28, 23, 59, 59, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(1600, 2, 29, 12, 0, 0, 0, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2038, 1, 19, 3, 14, 7, 0, time.UTC),
	} {
		ts = append(ts, d, d.Add(time.Second), d.Add(-time.Second), d.Add(24*time.Hour))
	}
	return ts
}

// The JSON of Session and Tokens is byte for byte what it was with
// time.Time fields, for every instant, the zero one included (which
// Tokens leaves out), and reads back as the same instant both ways.
func TestSessionAndTokensJSONAsWithTimeTime(t *testing.T) {
	user := wire.User{ID: "u1", Email: "a@example.com", Name: "A", Role: wire.RoleUser}
	for _, tm := range instants() {
		if y := tm.Add(-time.Hour).Year(); y < 0 || tm.Year() > 9999 {
			continue
		}
		tm = tm.UTC()
		old, err := json.Marshal(timeSession{User: user, Expires: tm, AAL: wire.AAL1, AuthenticatedAt: tm.Add(-time.Hour)})
		require.NoError(t, err)
		got, err := json.Marshal(wire.Session{User: user, Expires: wireTime(tm), AAL: wire.AAL1, AuthenticatedAt: wireTime(tm.Add(-time.Hour))})
		require.NoError(t, err)
		assert.Equal(t, string(old), string(got), "%v", tm)

		var back wire.Session
		require.NoError(t, json.Unmarshal(old, &back))
		assert.Equal(t, wireTime(tm), back.Expires, "%v", tm)
		var oldBack timeSession
		require.NoError(t, json.Unmarshal(got, &oldBack))
		assert.True(t, oldBack.Expires.Equal(tm), "%v", tm)

		old, err = json.Marshal(timeTokens{TokenType: wire.TokenTypeBearer, AccessToken: "a", AccessExpires: tm, RefreshToken: "r"})
		require.NoError(t, err)
		got, err = json.Marshal(wire.Tokens{TokenType: wire.TokenTypeBearer, AccessToken: "a", AccessExpires: wireTime(tm), RefreshToken: "r"})
		require.NoError(t, err)
		assert.Equal(t, string(old), string(got), "%v", tm)
	}

	b, err := json.Marshal(wire.Tokens{TokenType: wire.TokenTypeBearer, AccessToken: "a"})
	require.NoError(t, err)
	assert.Equal(t, `{"tokenType":"Bearer","accessToken":"a"}`, string(b), "the zero time is left out")
	assert.True(t, wireTime(time.Time{}).IsZero(), "time.Time's zero converts to the zero Time")
	assert.False(t, wireTime(time.Unix(0, 0)).IsZero(), "the Unix epoch is not the zero Time")

	b, err = json.Marshal(wire.Session{Expires: wire.UnixTime(1796500121)})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"expires":"2026-12-05T19:48:41Z"`)
}

// Fractions of a second, which the server never writes, are written and
// read as time.Time's JSON does, to the millisecond.
func TestTimeJSONFractions(t *testing.T) {
	for _, ms := range []int64{1796500121001, 1796500121010, 1796500121100, 1796500121999, -1, -999, -1001} {
		want, err := json.Marshal(time.UnixMilli(ms).UTC())
		require.NoError(t, err)
		got, err := json.Marshal(wire.UnixMilli(ms))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%d", ms)
		var back wire.Time
		require.NoError(t, json.Unmarshal(want, &back))
		assert.Equal(t, ms, back.UnixMilli())
	}
}

// Reading refuses what time.Time's JSON refuses, leaves the value alone
// for null as time.Time's does, and writing refuses years RFC 3339 cannot
// write.
func TestTimeJSONRefusals(t *testing.T) {
	for _, in := range []string{`""`, `"2026-11-23"`, `"2026-11-23T16:11:44"`, `"2026-11-23 16:11:44Z"`, `"2026-02-30T16:11:44Z"`,
		`"2026-11-23T16:11:44+0100"`, `" 2026-11-23T16:11:44Z"`, `"2026-11-23T16:11:44Z "`, `1796500121`, `true`, `{}`} {
		var old time.Time
		require.Error(t, json.Unmarshal([]byte(in), &old), "time.Time reads %s", in)
		var got wire.Time
		assert.Error(t, json.Unmarshal([]byte(in), &got), "%s", in)
	}
	s := wire.Session{Expires: wire.UnixTime(5)}
	require.NoError(t, json.Unmarshal([]byte(`{"expires":null}`), &s))
	assert.Equal(t, wire.UnixTime(5), s.Expires)

	for _, tm := range []time.Time{time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		_, oldErr := json.Marshal(tm)
		require.Error(t, oldErr)
		_, err := json.Marshal(wireTime(tm))
		assert.Error(t, err, "%v", tm)
	}
}

// ParseTime agrees with time.Parse on every form the API sends and on the
// malformed ones around them.
func TestParseTimeAgreesWithTimeParse(t *testing.T) {
	for _, in := range []string{
		"2026-11-23T16:11:44Z", "2026-11-23t16:11:44z", " 2026-11-23T16:11:44Z",
		"2026-11-23T16:11:44.5Z", "2026-11-23T16:11:44.123456789Z", "2026-11-23T16:11:44.1234567891Z",
		"2026-11-23T17:11:44+01:00", "2026-11-23T10:41:44-05:30", "2024-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
		"0000-01-01T00:05:00+00:10", "1969-12-31T23:59:59.999Z", "9999-12-31T23:59:59Z",
		"", "2026-11-23", "2026-11-23T16:11:44", "2026-11-23 16:11:44Z", "2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-23T24:00:00Z",
		"2026-11-23T16:60:00Z", "2026-11-23T16:11:60Z", "2026-11-23T16:11:44.Z", "2026-11-23T16:11:44+0100",
		"2026-11-23T16:11:44Zjunk", "2026-11-23T16:11:44+01:00junk", "26-11-23T16:11:44Z", "2026-1-23T16:11:44Z",
		"２026-11-23T16:11:44Z",
	} {
		want, wantErr := time.Parse(time.RFC3339, in)
		got, err := wire.ParseTime(in)
		if wantErr != nil {
			assert.Error(t, err, "%q", in)
			continue
		}
		if assert.NoError(t, err, "%q", in) {
			assert.Equal(t, want.UnixMilli(), got.UnixMilli(), "%q: %v, want %v", in, got, want)
		}
	}
}

// What time.Parse (and so time.Time's JSON) lets through beyond RFC 3339
// is refused: offsets beyond hh 00–23 and mm 00–59, a comma before the
// fraction, a one-digit hour.
func TestParseTimeStricterThanTimeParse(t *testing.T) {
	for _, in := range []string{"2026-11-23T16:11:44+24:00", "2026-11-23T16:11:44+01:60", "2026-11-23T16:11:44,5Z", "2026-11-23T6:11:44Z"} {
		_, err := wire.ParseTime(in)
		assert.Error(t, err, in)
	}
}

func TestTimeString(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 23, 16, 11, 44, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		assert.Equal(t, tm.UTC().Format(wire.TimeFormat), wireTime(tm).String())
	}
	assert.Equal(t, "2026-11-23T16:11:44.5Z", wire.UnixMilli(time.Date(2026, 11, 23, 16, 11, 44, 5e8, time.UTC).UnixMilli()).String())
	assert.Equal(t, "0000-01-01T00:00:00Z", wireTime(time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)).String(), "clamped")
	assert.Equal(t, int64(1796500121), wire.UnixTime(1796500121).Unix())
	assert.Equal(t, int64(-1), wire.UnixMilli(-1).Unix(), "rounded down")
}

// String's calendar arithmetic agrees with the time package on instants
// spread over years 0 to 9999, every day boundary of a leap February and
// both ends of a century.
func TestTimeStringCalendar(t *testing.T) {
	check := func(tm time.Time) {
		t.Helper()
		assert.Equal(t, tm.UTC().Format(wire.TimeFormat), wireTime(tm).String(), "%d", tm.Unix())
	}
	first := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	last := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	for u := first; u <= last; u += 86400*37 + 3607 {
		check(time.Unix(u, 0))
	}
	for _, tm := range instants() {
		if y := tm.Year(); y >= 0 && y <= 9999 {
			check(tm)
		}
	}
}

// FuzzParseTime checks the API's one time reader and writer against the
// time package:
//   - whatever ParseTime accepts, time.Parse(time.RFC3339, s) accepts as the
//     same instant (to the millisecond, rounded down);
//   - whatever time.Parse accepts in RFC 3339's own syntax (the forms the
//     API takes), ParseTime accepts too, except offsets beyond ±23:59,
//     which it refuses on purpose as time.Time's JSON does (time.Parse is
//     laxer still: it reads "T0:00:00", a one-digit hour);
//   - for any instant of years 0–9999, Time's JSON is time.Time's, and for
//     a whole second in UTC, String reads back as the same Time.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-23T16:11:44Z", "2026-11-23T16:11:44.123456789Z", "2026-11-23T17:11:44+01:00",
		"2024-02-29T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-23T16:11:44+24:00", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59.9999999999Z", "2026-11-23t16:11:44z", "2026-11-23T16:11:60Z", "0000-01-01T00:05:00+00:10",
	} {
		f.Add(s, int64(1796500121001))
	}
	f.Fuzz(func(t *testing.T, s string, ms int64) {
		got, err := wire.ParseTime(s)
		want, wantErr := time.Parse(time.RFC3339, s)
		if err == nil {
			if wantErr != nil {
				t.Fatalf("wire.ParseTime(%q) = %v, but time.Parse refuses it: %v", s, got, wantErr)
			}
			if got.UnixMilli() != want.UnixMilli() {
				t.Fatalf("wire.ParseTime(%q) = %v, time.Parse: %v", s, got, want)
			}
		} else if wantErr == nil && rfc3339.MatchString(s) && !offsetBeyondRFC3339(s) {
			t.Fatalf("wire.ParseTime(%q) refuses what time.Parse reads as %v: %v", s, want, err)
		}

		ms %= 253402300800000 // within ±10000 years of 1970
		tm := time.UnixMilli(ms).UTC()
		if y := tm.Year(); y < 0 || y > 9999 {
			return
		}
		wantJSON, err := json.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		gotJSON, err := json.Marshal(wire.UnixMilli(ms))
		if err != nil || string(gotJSON) != string(wantJSON) {
			t.Fatalf("wire.UnixMilli(%d) is %s, %v; time.Time: %s", ms, gotJSON, err, wantJSON)
		}
		whole := wire.UnixTime(tm.Unix())
		if back, err := wire.ParseTime(whole.String()); err != nil || back != whole {
			t.Fatalf("wire.UnixTime(%d).String() = %q reads back as %v, %v", tm.Unix(), whole.String(), back, err)
		}
	})
}

// rfc3339 is the date-time syntax of RFC 3339 section 5.6.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$`)

// offsetBeyondRFC3339 reports whether a time.Parse-able RFC 3339 string has
// an offset outside ±23:59.
func offsetBeyondRFC3339(s string) bool {
	if len(s) < 6 || s[len(s)-6] != '+' && s[len(s)-6] != '-' {
		return false
	}
	return s[len(s)-5:len(s)-3] > "23" || s[len(s)-2:] > "59"
}
