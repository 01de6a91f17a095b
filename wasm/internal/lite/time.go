package lite

import (
	"errors"
	"time"
)

// The module reads and writes the API's times itself rather than with
// time.Parse and Time.Format: their layout machinery costs the WebAssembly
// module about 20 KB gzipped, and the API uses exactly one layout
// (wire.TimeFormat, RFC 3339).

var errBadTime = errors.New("bad time")

// ParseTime reads an RFC 3339 date-time ("2006-01-02T15:04:05Z", with an
// optional fraction of a second and "Z" or a ±hh:mm offset), surrounded by
// optional ASCII spaces, and returns it in UTC.
func ParseTime(s string) (time.Time, error) {
	s = TrimSpace(s)
	bad := Wrap(errBadTime, s)
	if !fits(s, "dddd-dd-ddTdd:dd:dd") {
		return time.Time{}, bad
	}
	rest := s[19:]
	nsec, scale := 0, int(time.Second)
	if rest != "" && rest[0] == '.' {
		i := 1
		for ; i < len(rest) && isDigit(rest[i]); i++ {
			if scale > 1 {
				scale /= 10
				nsec += int(rest[i]-'0') * scale
			}
		}
		if i == 1 {
			return time.Time{}, bad
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "Z":
	case len(rest) == 6 && fits(rest, "?dd:dd") && (rest[0] == '+' || rest[0] == '-'):
		oh, om := digits(rest, 1, 2), digits(rest, 4, 2)
		if oh > 23 || om > 59 {
			return time.Time{}, bad
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, bad
	}
	t, ok := date(s, 0, 5, 8, 11, nsec)
	if !ok {
		return time.Time{}, bad
	}
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// ParseHTTPDate reads an HTTP date in the preferred format of RFC 9110
// ("Sun, 06 Nov 1994 08:49:37 GMT"; "UTC" is taken too), as a Retry-After
// header may carry.
func ParseHTTPDate(s string) (time.Time, error) {
	s = TrimSpace(s)
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	if fits(s, "???, dd ??? dddd dd:dd:dd ???") && (s[26:] == "GMT" || s[26:] == "UTC") {
		for m := 0; m < 12; m++ {
			if months[3*m:3*m+3] == s[8:11] {
				// date reads the month at a position: put its number there.
				b := []byte(s)
				b[9], b[10] = byte('0'+(m+1)/10), byte('0'+(m+1)%10)
				if t, ok := date(string(b), 12, 9, 5, 17, 0); ok {
					return t, nil
				}
			}
		}
	}
	return time.Time{}, Wrap(errBadTime, s)
}

// fits reports whether s has the length of layout and, where layout has
// 'd', a digit, where it has '?', anything, and elsewhere layout's byte.
func fits(s, layout string) bool {
	if len(s) < len(layout) {
		return false
	}
	for i := 0; i < len(layout); i++ {
		if c := layout[i]; c == 'd' && !isDigit(s[i]) || c != 'd' && c != '?' && c != s[i] {
			return false
		}
	}
	return true
}

// digits reads the n digits of s at i (fits has checked them).
func digits(s string, i, n int) int {
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		v = v*10 + int(c-'0')
	}
	return v
}

// date builds the UTC time of the four-digit year at y, the two-digit
// month, day at m, d, and hh:mm:ss at hms; ok is false for a date or time
// that does not exist.
func date(s string, y, m, d, hms, nsec int) (time.Time, bool) {
	year, month, day := digits(s, y, 4), digits(s, m, 2), digits(s, d, 2)
	hour, minute, sec := digits(s, hms, 2), digits(s, hms+3, 2), digits(s, hms+6, 2)
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t, month >= 1 && month <= 12 && hour < 24 && minute < 60 && sec < 60 && t.Day() == day
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// FormatTime formats t as the API does (wire.TimeFormat): RFC 3339 in UTC
// with whole seconds, "2006-01-02T15:04:05Z". Years outside 0–9999 are
// clamped to that range.
func FormatTime(t time.Time) string {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	year = min(max(year, 0), 9999)
	b := make([]byte, 0, 20)
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append2(b, int(month), '-')
	b = append2(b, day, 'T')
	b = append2(b, hour, ':')
	b = append2(b, minute, ':')
	b = append2(b, sec, 'Z')
	return string(b)
}

// append2 appends n as two digits, then sep.
func append2(b []byte, n int, sep byte) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10), sep)
}
