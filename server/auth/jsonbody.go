package auth

import (
	"encoding/json"
	"errors"
	"fmt"
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
