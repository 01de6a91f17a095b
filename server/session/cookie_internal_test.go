package session

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzReadCookie: readCookie finds what net/http's r.Cookie finds (the
// value of the first valid cookie of the name, across every Cookie line),
// and nothing for a value over maxCookieLen.
func FuzzReadCookie(f *testing.F) {
	for _, s := range []string{
		"", "sg_session=abc", " sg_session = abc ", "sg_session=\"abc\"", "sg_session=\"", "sg_session=a\"b; sg_session=ok",
		"a=1; sg_session=x; sg_session=y", "sg_session", "sg_session=;x=1", "x=1;;sg_session=v", "sg_session=a\\b",
		"SG_SESSION=upper", "sg_session=" + strings.Repeat("a", 5000), "sg_session=a b,c", "\tsg_session=tab\t",
		strings.Repeat("x=1;", 3000) + "sg_session=too-many", strings.Repeat("x=1;", 2998) + "sg_session=just",
	} {
		f.Add(s, "")
		f.Add(s, "sg_session=second-line")
	}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header["Cookie"] = []string{line1}
		if line2 != "" {
			req.Header["Cookie"] = append(req.Header["Cookie"], line2)
		}
		want := ""
		if ck, err := req.Cookie(InsecureCookieName); err == nil && len(ck.Value) <= maxCookieLen {
			want = ck.Value
		}
		if got := readCookie(req, InsecureCookieName); got != want {
			t.Fatalf("Cookie %q: readCookie = %q, r.Cookie = %q", req.Header["Cookie"], got, want)
		}
	})
}

// TestReadCookieAllocates nothing: it runs on every request.
func TestReadCookieAllocatesNothing(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Cookie", "theme=dark; "+CookieName+"="+strings.Repeat("a", 43)+"; other=1")
	if n := testing.AllocsPerRun(20, func() { readCookie(req, CookieName) }); n != 0 {
		t.Fatalf("readCookie allocates %v times", n)
	}
}
