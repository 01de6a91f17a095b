package lite

import (
	"errors"

	"github.com/sessionguard/sessionguard/wire"
)

// The module's clock: an instant and a duration in milliseconds, the
// browser's own precision (Date.now(), setTimeout), in place of time.Time
// and time.Duration. The time package costs the module its layout machinery,
// zone rules and timers, though every time the module handles is UTC and
// every timer is the browser's. The API's times are wire.Time, read and
// written by wire alone; FromWire and Time.Wire convert.

// Duration is a span of time in milliseconds.
type Duration int64

// The units of Duration.
const (
	Millisecond Duration = 1
	Second               = 1000 * Millisecond
	Minute               = 60 * Second
	Hour                 = 60 * Minute
)

// Milliseconds returns d as a number of milliseconds.
func (d Duration) Milliseconds() int64 { return int64(d) }

// Time is an instant, to the millisecond. As with time.Time, the zero Time
// is January 1, year 1, 00:00:00 UTC, which IsZero reports, and the one
// wire.Time's zero converts to.
type Time struct {
	ms int64 // milliseconds since the zero Time
}

// UnixMilli returns the instant ms milliseconds after January 1, 1970 UTC.
func UnixMilli(ms int64) Time { return FromWire(wire.UnixMilli(ms)) }

// FromWire returns the instant of an API time.
func FromWire(t wire.Time) Time { return Time{t.UnixMilli() - zeroUnixMilli} }

// zeroUnixMilli is the zero Time in Unix milliseconds.
var zeroUnixMilli = wire.Time{}.UnixMilli()

// Wire returns t as an API time.
func (t Time) Wire() wire.Time { return wire.UnixMilli(t.UnixMilli()) }

// UnixMilli returns t in milliseconds since January 1, 1970 UTC.
func (t Time) UnixMilli() int64 { return t.ms + zeroUnixMilli }

// IsZero reports whether t is the zero Time.
func (t Time) IsZero() bool { return t.ms == 0 }

// Add returns t+d.
func (t Time) Add(d Duration) Time { return Time{t.ms + int64(d)} }

// Sub returns t-u.
func (t Time) Sub(u Time) Duration { return Duration(t.ms - u.ms) }

// Equal reports whether t and u are the same instant.
func (t Time) Equal(u Time) bool { return t.ms == u.ms }

// Before reports whether t is before u.
func (t Time) Before(u Time) bool { return t.ms < u.ms }

// After reports whether t is after u.
func (t Time) After(u Time) bool { return t.ms > u.ms }

// ParseTime reads an API time (wire.ParseTime: RFC 3339, an optional
// fraction of a second, "Z" or a ±hh:mm offset), surrounded by optional
// ASCII spaces, as a header or an attribute may carry it.
func ParseTime(s string) (Time, error) {
	t, err := wire.ParseTime(TrimSpace(s))
	return FromWire(t), err
}

// FormatTime formats t as the API does: RFC 3339 in UTC with whole seconds,
// "2006-01-02T15:04:05Z" (the second rounded down). Years outside 0–9999
// are clamped to that range.
func FormatTime(t Time) string {
	return wire.UnixTime(t.Wire().Unix()).String()
}

// ParseHTTPDate reads an HTTP date in the preferred format of RFC 9110
// ("Sun, 06 Nov 1994 08:49:37 GMT"; "UTC" is taken too), as a Retry-After
// header may carry: it checks the separators, finds the month, and reads
// the fields, moved into RFC 3339's order, with wire.ParseTime.
func ParseHTTPDate(s string) (Time, error) {
	s = TrimSpace(s)
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	if len(s) == len("Sun, 06 Nov 1994 08:49:37 GMT") && s[3:5] == ", " && s[7] == ' ' && s[11] == ' ' &&
		s[16] == ' ' && s[25] == ' ' && (s[26:] == "GMT" || s[26:] == "UTC") {
		for m := 0; m < 12; m++ {
			if months[3*m:3*m+3] == s[8:11] {
				mm := string([]byte{byte('0' + (m+1)/10), byte('0' + (m+1)%10)})
				if t, err := wire.ParseTime(s[12:16] + "-" + mm + "-" + s[5:7] + "T" + s[17:25] + "Z"); err == nil {
					return FromWire(t), nil
				}
			}
		}
	}
	return Time{}, Wrap(errBadTime, s)
}

var errBadTime = errors.New("bad time")
