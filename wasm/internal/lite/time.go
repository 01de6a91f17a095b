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
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	unix := daysFromCivil(int64(year), month, day)*secondsPerDay + int64(hour*3600+minute*60+sec)
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// The calendar arithmetic below works on Unix seconds, never through
// time.Date, Time.Date or Time.Clock: those reach time's zone machinery
// (time.Local and its TZ rules), which then stays in the module although
// every time it handles is UTC.

const secondsPerDay = 86400

// daysIn returns the number of days of month (1–12) of year.
func daysIn(year, month int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + (month+month/8)%2
}

// daysFromCivil returns the day number (days since 1970-01-01) of year,
// month (1–12) and day in the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil).
func daysFromCivil(year int64, month, day int) int64 {
	if month <= 2 {
		year--
	}
	era := floorDiv(year, 400)
	yoe := year - era*400                            // [0, 399]
	doy := int64((153*((month+9)%12)+2)/5 + day - 1) // [0, 365], from March 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy           // [0, 146096]
	return era*146097 + doe - 719468
}

// civilFromDays is daysFromCivil's inverse.
func civilFromDays(z int64) (year int64, month, day int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp+2)%12 + 1
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// FormatTime formats t as the API does (wire.TimeFormat): RFC 3339 in UTC
// with whole seconds, "2006-01-02T15:04:05Z". Years outside 0–9999 are
// clamped to that range.
func FormatTime(t time.Time) string {
	unix := t.Unix()
	days := floorDiv(unix, secondsPerDay)
	y, month, day := civilFromDays(days)
	rem := int(unix - days*secondsPerDay)
	hour, minute, sec := rem/3600, rem/60%60, rem%60
	year := int(min(max(y, 0), 9999))
	b := make([]byte, 0, 20)
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append2(b, month, '-')
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
