package lite_test

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

// FuzzParseTime checks the hand-written RFC 3339 reader against the time
// package: whatever it accepts, time.Parse accepts as the same instant;
// whatever time.Parse accepts in RFC 3339's own syntax, it accepts too,
// except offsets beyond ±23:59, which it refuses on purpose (time.Parse is
// laxer: it reads "T0:00:00", a one-digit hour). FormatTime's output reads
// back as the same second.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-23T16:11:44Z", " 2026-11-23T16:11:44.123456789Z\n", "2026-11-23T17:11:44+01:00",
		"2024-02-29T00:00:00Z", "2025-02-29T00:00:00Z", "2026-11-23T16:11:44+24:00", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59.9999999999Z", "2026-11-23t16:11:44z", "2026-11-23T16:11:60Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := lite.ParseTime(s)
		want, wantErr := time.Parse(time.RFC3339Nano, lite.TrimSpace(s))
		if err == nil {
			if wantErr != nil {
				t.Fatalf("lite.ParseTime(%q) = %v, but time.Parse refuses it: %v", s, got, wantErr)
			}
			if !got.Equal(want) || got.Location() != time.UTC {
				t.Fatalf("lite.ParseTime(%q) = %v, time.Parse: %v", s, got, want)
			}
			// RFC 3339 has four-digit years only: an offset can carry
			// "0000-01-01T00:05:00+00:10" into year -1, which no RFC 3339
			// text, and so no FormatTime result, names.
			back, err := lite.ParseTime(lite.FormatTime(got))
			if y := got.Year(); y >= 0 && y <= 9999 && (err != nil || !back.Equal(got.Truncate(time.Second))) {
				t.Fatalf("lite.FormatTime(%v) = %q reads back as %v, %v", got, lite.FormatTime(got), back, err)
			}
		} else if wantErr == nil && rfc3339.MatchString(lite.TrimSpace(s)) && !offsetBeyondRFC3339(lite.TrimSpace(s)) {
			t.Fatalf("lite.ParseTime(%q) refuses what time.Parse reads as %v: %v", s, want, err)
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

// FuzzJSONString checks the module's JSON writer: for valid UTF-8 the
// output is one JSON string that encoding/json reads back as the input;
// whatever the input, the output is valid JSON text (a page's JSON.parse
// gets it whole).
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "\x00\x1f\x7f", "</script><!--", "\u2028\u2029", "caf\xc3\xa9", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := lite.AppendJSONString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("lite.AppendJSONString(%q) = %s: not JSON", s, out)
		}
		if !utf8.ValidString(s) {
			return
		}
		var back string
		if err := json.Unmarshal(out, &back); err != nil || back != s {
			t.Fatalf("lite.AppendJSONString(%q) = %s reads back as %q, %v", s, out, back, err)
		}
		var o lite.JSONObject
		obj := o.Str(s, s).Bool("b", true).Int("n", len(s)).String()
		var m map[string]any
		if err := json.Unmarshal([]byte(obj), &m); err != nil || m[s] != s && s != "b" && s != "n" {
			t.Fatalf("JSONObject with key %q: %s: %v", s, obj, err)
		}
	})
}

// FuzzURLHelpers checks the module's URL helpers against net/url: a value
// encoded with EncodeURIComponent decodes back, as a query value, to itself
// (with QueryValue and with url.ParseQuery), and QueryValue finds what
// url.ParseQuery finds in any query string that both read.
func FuzzURLHelpers(f *testing.F) {
	for _, s := range []string{"callbackUrl", "/admin?x=1&y=2#z", "a b+c", "%zz", "caf\xc3\xa9", "=&;"} {
		f.Add(s, "?callbackUrl=%2Fdashboard&x=1")
	}
	f.Fuzz(func(t *testing.T, value, search string) {
		enc := lite.EncodeURIComponent(value)
		for i := 0; i < len(enc); i++ {
			if c := enc[i]; c <= 0x20 || c >= 0x7f || strings.IndexByte("\"#&+/:;<=>?@[\\]^`{|}", c) >= 0 {
				t.Fatalf("lite.EncodeURIComponent(%q) = %q keeps %q", value, enc, c)
			}
		}
		got, ok := lite.QueryValue("?k=1&key="+enc, "key")
		if !ok || got != value {
			t.Fatalf("lite.QueryValue of lite.EncodeURIComponent(%q) = %q, %v", value, got, ok)
		}
		if q, err := url.ParseQuery("key=" + enc); err != nil || q.Get("key") != value {
			t.Fatalf("url.ParseQuery of lite.EncodeURIComponent(%q) = %q, %v", value, q.Get("key"), err)
		}
		q, err := url.ParseQuery(strings.TrimPrefix(search, "?"))
		if err != nil {
			return // net/url refuses it (';', a bad escape): nothing to compare
		}
		for key, vals := range q {
			if got, ok := lite.QueryValue(search, key); !ok || got != vals[0] {
				t.Fatalf("lite.QueryValue(%q, %q) = %q, %v; net/url: %q", search, key, got, ok, vals[0])
			}
		}
	})
}
