package client

import (
	"errors"
	"time"
)

// The module reads and writes the API's times itself rather than with
// time.Parse and Time.Format: their layout machinery costs the WebAssembly
// module about 20 KB gzipped, and the API uses exactly one layout
// (wire.TimeFormat, RFC 3339).

var errBadTime = errors.New("bad time")

// parseTime reads an RFC 3339 date-time ("2006-01-02T15:04:05Z", with an
// optional fraction of a second and "Z" or a ±hh:mm offset), surrounded by
// optional ASCII spaces, and returns it in UTC.
func parseTime(s string) (time.Time, error) {
	s = trimSpace(s)
	p := scanner{s: s, ok: true}
	year := p.num(4)
	p.want('-')
	month := p.num(2)
	p.want('-')
	day := p.num(2)
	if p.ok && p.i < len(s) && s[p.i] == 'T' {
		p.i++
	} else {
		p.ok = false
	}
	hour := p.num(2)
	p.want(':')
	minute := p.num(2)
	p.want(':')
	sec := p.num(2)
	nsec := 0
	if p.ok && p.i < len(s) && s[p.i] == '.' {
		p.i++
		digits := 0
		for ; p.i < len(s) && isDigit(s[p.i]); p.i++ {
			if digits < 9 {
				nsec = nsec*10 + int(s[p.i]-'0')
				digits++
			}
		}
		if digits == 0 {
			p.ok = false
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	offset := 0
	switch {
	case !p.ok || p.i >= len(s):
		p.ok = false
	case s[p.i] == 'Z':
		p.i++
	case s[p.i] == '+' || s[p.i] == '-':
		sign := 1
		if s[p.i] == '-' {
			sign = -1
		}
		p.i++
		oh := p.num(2)
		p.want(':')
		om := p.num(2)
		if oh > 23 || om > 59 {
			p.ok = false
		}
		offset = sign * (oh*3600 + om*60)
	default:
		p.ok = false
	}
	if !p.ok || p.i != len(s) || month < 1 || month > 12 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, wrap(errBadTime, s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 31 April, 29 February of a common year
		return time.Time{}, wrap(errBadTime, s)
	}
	return t.Add(-time.Duration(offset) * time.Second), nil
}

// parseHTTPDate reads an HTTP date in the preferred format of RFC 9110
// ("Sun, 06 Nov 1994 08:49:37 GMT"; "UTC" is taken too), as a Retry-After
// header may carry.
func parseHTTPDate(s string) (time.Time, error) {
	s = trimSpace(s)
	if len(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[25] != ' ' ||
		(s[26:] != "GMT" && s[26:] != "UTC") {
		return time.Time{}, wrap(errBadTime, s)
	}
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	month := 0
	for m := 0; m < 12; m++ {
		if months[3*m:3*m+3] == s[8:11] {
			month = m + 1
		}
	}
	p := scanner{s: s, i: 5, ok: true}
	day := p.num(2)
	p.i = 12
	year := p.num(4)
	p.want(' ')
	hour := p.num(2)
	p.want(':')
	minute := p.num(2)
	p.want(':')
	sec := p.num(2)
	if !p.ok || month == 0 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, wrap(errBadTime, s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, wrap(errBadTime, s)
	}
	return t, nil
}

// scanner reads fixed-width fields; ok turns false at the first mismatch.
type scanner struct {
	s  string
	i  int
	ok bool
}

// num reads n decimal digits.
func (p *scanner) num(n int) int {
	v := 0
	for k := 0; k < n; k++ {
		if !p.ok || p.i >= len(p.s) || !isDigit(p.s[p.i]) {
			p.ok = false
			return 0
		}
		v = v*10 + int(p.s[p.i]-'0')
		p.i++
	}
	return v
}

// want reads the byte c.
func (p *scanner) want(c byte) {
	if !p.ok || p.i >= len(p.s) || p.s[p.i] != c {
		p.ok = false
		return
	}
	p.i++
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

// The headers the Client reads, by the lower-case names Response.Header
// uses.
const (
	headerExpires       = "sg-session-expires" // wire.ExpiresHeader
	headerAccessExpires = "sg-access-expires"  // wire.AccessExpiresHeader
	headerRetryAfter    = "retry-after"
)
