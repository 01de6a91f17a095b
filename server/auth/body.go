package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// MaxBodyBytes is the largest request body read: 64 KiB.
const MaxBodyBytes = 64 << 10

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

// check refuses, before a route's handler runs, a request body of a type
// the route does not take (415; parameters such as charset are fine) and
// one whose Content-Length is over MaxBodyBytes (413). A request without a
// body needs no Content-Type.
func (kind bodyKind) check(r *http.Request) error {
	if !hasBody(r) {
		return nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return errMalformedContentType
	}
	if !kind.takes(mt) {
		return kind.unsupported()
	}
	if r.ContentLength > MaxBodyBytes {
		return errTooLarge
	}
	return nil
}

// unsupported is the 415 of a body of another type: it says what to send.
func (kind bodyKind) unsupported() error {
	if kind == jsonOrForm {
		return fmt.Errorf("%w; send application/json or a form", errUnsupportedType)
	}
	return fmt.Errorf("%w; send application/json", errUnsupportedType)
}

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
			return nil, errMalformedContentType
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	out := make(map[string]string, len(fields))
	switch mt {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			return nil, bodyError(err, errMalformedMultipart)
		}
		for _, f := range fields {
			out[f] = r.PostForm.Get(f)
		}
		return out, nil
	case "application/x-www-form-urlencoded":
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err, errUnreadableBody)
		}
		vals, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, errMalformedForm
		}
		for _, f := range fields {
			out[f] = vals.Get(f)
		}
		return out, nil
	case "", "application/json":
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, bodyError(err, errUnreadableBody)
		}
		if len(raw) > 0 && mt == "" {
			return nil, jsonOrForm.unsupported()
		}
		if len(strings.TrimSpace(string(raw))) == 0 {
			return out, nil
		}
		var obj map[string]json.RawMessage // JSON null leaves it nil: no fields
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("%w: want an object", errMalformedJSON)
		}
		for _, f := range fields {
			v, ok := obj[f]
			if !ok || string(v) == "null" {
				continue
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return nil, fmt.Errorf("%w: %s must be a string", errMalformedJSON, f)
			}
			out[f] = s
		}
		return out, nil
	}
	return nil, jsonOrForm.unsupported()
}

// bodyError maps a read error: too large is errTooLarge (413), anything
// else malformed (400).
func bodyError(err, malformed error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return errTooLarge
	}
	return malformed
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

// readJSON decodes a JSON object body into dst: 415 for another content
// type (a body without one included), 413 over MaxBodyBytes, 400 for
// anything malformed (unknown fields are ignored, for forward
// compatibility).
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return jsonOnly.unsupported()
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return bodyError(err, errUnreadableBody)
	}
	if ct == "" && len(raw) > 0 {
		return jsonOnly.unsupported()
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return fmt.Errorf("%w: %s has the wrong type", errMalformedJSON, te.Field)
		}
		return fmt.Errorf("%w: want an object", errMalformedJSON)
	}
	return nil
}
