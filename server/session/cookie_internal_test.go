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

// TestReadCookieTakesEveryByteAsNetHTTPDoes: each of the 256 byte values,
// inside a value and at either end of one, is taken or refused as r.Cookie
// takes or refuses it, and a refused first cookie leaves a later valid one
// of the name to be found.
func TestReadCookieTakesEveryByteAsNetHTTPDoes(t *testing.T) {
	for c := range 256 {
		b := string([]byte{byte(c)})
		for _, v := range []string{"ab" + b + "cd", b + "abcd", "abcd" + b} {
			line := InsecureCookieName + "=" + v + "; " + InsecureCookieName + "=later"
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header["Cookie"] = []string{line}
			want := ""
			if ck, err := req.Cookie(InsecureCookieName); err == nil {
				want = ck.Value
			}
			if got := readCookie(req, InsecureCookieName); got != want {
				t.Errorf("byte %#02x in %q: readCookie = %q, r.Cookie = %q", c, line, got, want)
			}
		}
	}
}

// BenchmarkValidCookieValue checks a value the size of the jwt strategy's
// session cookie.
func BenchmarkValidCookieValue(b *testing.B) {
	v := strings.Repeat("eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiI1M2ZmZjE2NDY4OTYxMTc4MDZlZGJmN2I0ZjUzMjJjZCJ9-_", 9)[:653]
	for b.Loop() {
		if !validCookieValue(v) {
			b.Fatal("refused")
		}
	}
}

// validOctets is validCookieValue a byte at a time: the table alone.
func validOctets(v string) bool {
	for i := 0; i < len(v); i++ {
		if !cookieOctet[v[i]] {
			return false
		}
	}
	return true
}

// TestValidCookieValueInEveryLane: each of the 256 byte values, at each of
// the positions of three words and the tail after them, in a value of
// cookie octets, is taken or refused as the table says; so is every pair
// of byte values in a word.
func TestValidCookieValueInEveryLane(t *testing.T) {
	base := []byte("eyJhbGciOiJFZERTQSJ9.eyJz-_")
	for c := range 256 {
		for pos := range len(base) {
			v := append([]byte(nil), base...)
			v[pos] = byte(c)
			if got, want := validCookieValue(string(v)), validOctets(string(v)); got != want {
				t.Fatalf("byte %#02x at %d of %q: validCookieValue = %v, want %v", c, pos, v, got, want)
			}
		}
	}
	// Every pair of byte values at every two positions of a word: the
	// bytes' tests borrow from their neighbours, and must still be exact.
	var w [8]byte
	for i := range 8 {
		for j := i + 1; j < 8; j++ {
			for a := range 256 {
				for b := range 256 {
					copy(w[:], "abcdefgh")
					w[i], w[j] = byte(a), byte(b)
					x := uint64(0)
					for k := 7; k >= 0; k-- {
						x = x<<8 | uint64(w[k])
					}
					if got, want := badOctet(x), !validOctets(string(w[:])); got != want {
						t.Fatalf("%q: badOctet = %v, want %v", w, got, want)
					}
				}
			}
		}
	}
}

// FuzzValidCookieValue: validCookieValue, eight bytes at a time, says what
// the table says a byte at a time.
func FuzzValidCookieValue(f *testing.F) {
	for _, s := range []string{"", "abc", "abcdefgh", "abcdefgh\x7f", "abcdefg\"", "a;bcdefghijklmnop", "\x80bcdefgh", "\x1fbcdefghi", " ,!#$%&'()*+-./09"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if got, want := validCookieValue(v), validOctets(v); got != want {
			t.Fatalf("%q: validCookieValue = %v, want %v", v, got, want)
		}
	})
}
