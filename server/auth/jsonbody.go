package auth

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// readJSON decodes a JSON object body into dst: 415 for another content
// type (a body without one included), 413 over MaxBodyBytes, 400 for
// anything malformed (unknown fields are ignored, for forward
// compatibility).
func readJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return &errBody{http.StatusUnsupportedMediaType, "unsupported Content-Type; send application/json"}
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return bodyError(err, "")
	}
	if ct == "" && len(raw) > 0 {
		return &errBody{http.StatusUnsupportedMediaType, "unsupported Content-Type; send application/json"}
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return &errBody{http.StatusBadRequest, "malformed JSON body: " + te.Field + " has the wrong type"}
		}
		return &errBody{http.StatusBadRequest, "malformed JSON body: want an object"}
	}
	return nil
}

// writeBodyError answers a readForm or readJSON error.
func writeBodyError(w http.ResponseWriter, err error) {
	var eb *errBody
	if errors.As(err, &eb) {
		writeError(w, eb.code, eb.msg)
		return
	}
	writeError(w, http.StatusBadRequest, "malformed request")
}
