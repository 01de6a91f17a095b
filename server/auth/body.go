package auth

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// MaxBodyBytes is the largest request body read: 64 KiB.
const MaxBodyBytes = 64 << 10

// errBody is a request body problem with the status code to answer.
type errBody struct {
	code int
	msg  string
}

func (e *errBody) Error() string { return e.msg }

// bodyKind says which request bodies a route takes.
type bodyKind int

const (
	// jsonOnly routes take application/json bodies only.
	jsonOnly bodyKind = iota
	// jsonOrForm routes also take the bodies of a plain HTML form
	// (application/x-www-form-urlencoded, multipart/form-data), for pages
	// that work without script.
	jsonOrForm
)

// hasBody reports whether the request carries a body: a Content-Length
// above zero, or a body of unknown length (chunked).
func hasBody(r *http.Request) bool {
	return r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody
}

// takesBody reports whether a route of kind takes a body of media type mt.
func (kind bodyKind) takes(mt string) bool {
	switch mt {
	case "application/json":
		return true
	case "application/x-www-form-urlencoded", "multipart/form-data":
		return kind == jsonOrForm
	}
	return false
}

// checkBody wraps a route's handler: a request body of a type the route does
// not take is refused with 415 (parameters such as charset are fine), and
// one whose Content-Length is over MaxBodyBytes with 413, before the handler
// runs. A request without a body needs no Content-Type.
func checkBody(kind bodyKind, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !hasBody(r) {
			h(w, r)
			return
		}
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil && r.Header.Get("Content-Type") != "" {
			writeError(w, http.StatusBadRequest, "malformed Content-Type header")
			return
		}
		if !kind.takes(mt) {
			msg := "unsupported Content-Type; send application/json"
			if kind == jsonOrForm {
				msg += " or a form"
			}
			writeError(w, http.StatusUnsupportedMediaType, msg)
			return
		}
		if r.ContentLength > MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, errTooLarge)
			return
		}
		h(w, r)
	}
}

const errTooLarge = "request body over 64 KiB"

// readForm reads a JSON object, a urlencoded form or a multipart form into a
// map of the named string fields. An empty body gives an empty map. It
// answers 413 over MaxBodyBytes, 415 for other content types (a body
// without one included) and 400 for a malformed body or a field that is not
// a string.
func readForm(w http.ResponseWriter, r *http.Request, fields ...string) (map[string]string, error) {
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, &errBody{http.StatusBadRequest, "malformed Content-Type header"}
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	out := make(map[string]string, len(fields))
	switch mt {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			return nil, bodyError(err, "malformed multipart form")
		}
		for _, f := range fields {
			out[f] = r.PostForm.Get(f)
		}
		return out, nil
	case "application/x-www-form-urlencoded":
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err, "")
		}
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, &errBody{http.StatusBadRequest, "malformed form body"}
		}
		for _, f := range fields {
			out[f] = vals.Get(f)
		}
		return out, nil
	case "", "application/json":
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err, "")
		}
		if len(raw) > 0 && mt == "" {
			return nil, &errBody{http.StatusUnsupportedMediaType, "unsupported Content-Type; send application/json or a form"}
		}
		if len(strings.TrimSpace(string(raw))) == 0 {
			return out, nil
		}
		var obj map[string]json.RawMessage // JSON null leaves it nil: no fields
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, &errBody{http.StatusBadRequest, "malformed JSON body: want an object"}
		}
		for _, f := range fields {
			v, ok := obj[f]
			if !ok || string(v) == "null" {
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, &errBody{http.StatusBadRequest, "malformed JSON body: " + f + " must be a string"}
			}
			out[f] = s
		}
		return out, nil
	}
	return nil, &errBody{http.StatusUnsupportedMediaType, "unsupported Content-Type; send application/json or a form"}
}

// bodyError maps a read error: too large is 413, anything else 400.
func bodyError(err error, msg string) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &errBody{http.StatusRequestEntityTooLarge, errTooLarge}
	}
	if msg == "" {
		msg = "could not read request body"
	}
	return &errBody{http.StatusBadRequest, msg}
}

// isFormNavigation reports whether the request is a browser's plain HTML form
// submission (no script), which wants a redirect rather than JSON.
func isFormNavigation(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
		return false
	}
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" || strings.Contains(r.Header.Get("Accept"), "text/html")
}
