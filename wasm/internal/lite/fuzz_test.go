package lite_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
)

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
