package wire

// Time is an instant as the API carries it: the JSON and header text
// "2006-01-02T15:04:05Z" (TimeFormat, RFC 3339 in UTC). It holds
// milliseconds, so a time read with a fraction of a second keeps it to the
// millisecond; the server's times are whole seconds.
//
// The type is the wire package's own rather than time.Time so that the
// browser module, which shares these shapes, links no time package: its
// layout machinery and zone rules are a large part of a small module. Its
// JSON is byte for byte time.Time's, and as with time.Time the zero Time is
// January 1, year 1, 00:00:00 UTC, which IsZero reports (and `omitzero`
// leaves out). The server converts at its edges: UnixTime(t.Unix()) in,
// time.Unix(w.Unix(), 0) out.
type Time struct {
	ms int64 // milliseconds since the zero Time
}

// unixEpoch is the Unix epoch in seconds since the zero Time.
const unixEpoch = 62135596800

// UnixTime returns the instant sec seconds after January 1, 1970 UTC.
func UnixTime(sec int64) Time { return Time{(sec + unixEpoch) * 1000} }

// UnixMilli returns the instant ms milliseconds after January 1, 1970 UTC.
func UnixMilli(ms int64) Time { return Time{ms + unixEpoch*1000} }

// Unix returns t in seconds since January 1, 1970 UTC, rounded down.
func (t Time) Unix() int64 { return floorDiv(t.ms, 1000) - unixEpoch }

// UnixMilli returns t in milliseconds since January 1, 1970 UTC.
func (t Time) UnixMilli() int64 { return t.ms - unixEpoch*1000 }

// IsZero reports whether t is the zero Time.
func (t Time) IsZero() bool { return t.ms == 0 }

// String returns t in the API's layout, RFC 3339 in UTC; a fraction of a
// second is written as time.RFC3339Nano does, without trailing zeros.
// Years outside 0–9999, which RFC 3339 cannot write, are clamped to that
// range.
func (t Time) String() string { return string(t.appendRFC3339(make([]byte, 0, 24))) }

// The instants RFC 3339's four-digit years can write, in Unix seconds:
// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z.
const (
	minUnix = -62167219200
	maxUnix = 253402300800
)

// MarshalText implements encoding.TextMarshaler, so encoding/json writes t
// as a JSON string in the API's layout. As time.Time's, it refuses years
// outside 0–9999.
func (t Time) MarshalText() ([]byte, error) {
	if u := t.Unix(); u < minUnix || u >= maxUnix {
		return nil, &TimeError{Text: t.String(), Reason: "year outside of range [0,9999]"}
	}
	return t.appendRFC3339(make([]byte, 0, 24)), nil
}

// UnmarshalText implements encoding.TextUnmarshaler: it reads what
// ParseTime reads. encoding/json leaves t alone for a JSON null, as it does
// a time.Time.
func (t *Time) UnmarshalText(b []byte) error {
	v, err := ParseTime(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// TimeError is the error of ParseTime and Time's text methods.
type TimeError struct {
	Text   string // the text read, or the time written
	Reason string
}

func (e *TimeError) Error() string { return "wire: time " + e.Text + ": " + e.Reason }

// ParseTime reads an RFC 3339 date-time, "2006-01-02T15:04:05Z" with an
// optional fraction of a second (kept to the millisecond, rounded down)
// and "Z" or a ±hh:mm offset. It is strict where time.Parse is lax: two
// digits for every field, and offsets within ±23:59.
//
// It is the one reader of the API's times, for the server's encoding/json
// and the browser module alike.
func ParseTime(s string) (Time, error) {
	bad := &TimeError{Text: s, Reason: "not an RFC 3339 date-time"}
	if !fits(s, "dddd-dd-ddTdd:dd:dd") {
		return Time{}, bad
	}
	rest := s[19:]
	ms, scale := int64(0), int64(1000)
	if rest != "" && rest[0] == '.' {
		i := 1
		for ; i < len(rest) && isDigit(rest[i]); i++ {
			if scale > 1 {
				scale /= 10
				ms += int64(rest[i]-'0') * scale
			}
		}
		if i == 1 {
			return Time{}, bad
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case rest == "Z":
	case len(rest) == 6 && fits(rest, "?dd:dd") && (rest[0] == '+' || rest[0] == '-'):
		oh, om := digits(rest, 1, 2), digits(rest, 4, 2)
		if oh > 23 || om > 59 {
			return Time{}, bad
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return Time{}, bad
	}
	year, month, day := digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2)
	hour, minute, sec := digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2)
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return Time{}, bad
	}
	unix := daysFromCivil(int64(year), month, day)*secondsPerDay + int64(hour*3600+minute*60+sec-offset)
	return UnixMilli(unix*1000 + ms), nil
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

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// appendRFC3339 appends t in the API's layout (see String).
func (t Time) appendRFC3339(b []byte) []byte {
	unix := t.Unix()
	days := floorDiv(unix, secondsPerDay)
	y, month, day := civilFromDays(days)
	rem := int(unix - days*secondsPerDay)
	hour, minute, sec := rem/3600, rem/60%60, rem%60
	year := int(min(max(y, 0), 9999))
	b = append(b, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-')
	b = append2(b, month, '-')
	b = append2(b, day, 'T')
	b = append2(b, hour, ':')
	b = append2(b, minute, ':')
	b = append(b, byte('0'+sec/10), byte('0'+sec%10))
	if ms := int(t.UnixMilli() - unix*1000); ms != 0 {
		b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return append(b, 'Z')
}

// append2 appends n as two digits, then sep.
func append2(b []byte, n int, sep byte) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10), sep)
}

// The calendar arithmetic works on Unix seconds in the proleptic Gregorian
// calendar, as time's does, without its zone machinery: every time of the
// API is UTC.

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
// month (1–12) and day (H. Hinnant's days_from_civil).
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
