package auth

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/sessionguard/sessionguard/policy"
)

// The codes a plain HTML form's refusal carries back to its page as
// ?error=<code>, as Auth.js does: the page shows the message it has for the
// code (an element with data-sg-error="<code>", which the app shell reveals).
const (
	FormErrorCredentials = "CredentialsSignin" // unknown e-mail or wrong password (401)
	FormErrorDisabled    = "AccessDenied"      // the account is disabled (403)
	FormErrorRateLimited = "RateLimited"       // too many failed attempts (429)
	FormErrorBadRequest  = "BadRequest"        // a missing field, a malformed or too large body (4xx)
	FormErrorUnavailable = "Unavailable"       // the server could not do it; try again shortly (5xx)
	// The second step of a plain form's sign-in: the password was right,
	// and the page shows its code form (posting code or recoveryCode to
	// /api/auth/2fa/verify); after a wrong code, the form again with a
	// message.
	FormTwoFactorRequired = "TwoFactorRequired"
	FormTwoFactorInvalid  = "TwoFactorInvalid"
)

// formErrorCodes are the codes the shell reveals: no other value of ?error
// reaches the page.
var formErrorCodes = map[string]bool{
	FormErrorCredentials: true, FormErrorDisabled: true, FormErrorRateLimited: true,
	FormErrorBadRequest: true, FormErrorUnavailable: true,
	FormTwoFactorRequired: true, FormTwoFactorInvalid: true,
}

// formErrorCode is the ?error code of a refusal answered with code.
func formErrorCode(code int) string {
	switch {
	case code == http.StatusUnauthorized:
		return FormErrorCredentials
	case code == http.StatusForbidden:
		return FormErrorDisabled
	case code == http.StatusTooManyRequests:
		return FormErrorRateLimited
	case code >= 500:
		return FormErrorUnavailable
	}
	return FormErrorBadRequest
}

// backToForm answers a plain HTML form's refusal: 303 to the page the form
// was on (the same-origin Referer; the sign-in path without one) with
// ?error=<code>, so the page says what went wrong in its own style and a
// reload does not post the form again. The page's other query parameters
// (callbackUrl) are kept. The refusal is logged, counted and given its
// Retry-After as an API answer would be.
func (s *Server) backToForm(w http.ResponseWriter, r *http.Request, err error) {
	code, _ := s.explain(w, r, err)
	formCode := formErrorCode(code)
	if errors.Is(err, errWrongCode) {
		formCode = FormTwoFactorInvalid // the challenge stands: the code form again
	}
	s.toForm(w, r, formCode)
}

// toForm answers 303 to the page the form was on with ?error=code.
func (s *Server) toForm(w http.ResponseWriter, r *http.Request, code string) {
	to := formPage(r, s.cfg.SignInPath)
	q := to.Query()
	q.Set("error", code)
	to.RawQuery = q.Encode()
	seeOther(w, to.RequestURI())
}

// formPage is the page a form was posted from: the path and query of a
// same-origin Referer that is a safe redirect, otherwise fallback.
func formPage(r *http.Request, fallback string) *url.URL {
	if ref, err := url.Parse(r.Header.Get("Referer")); err == nil && ref.Host == r.Host && ref.Path != "" {
		local := &url.URL{Path: ref.Path, RawPath: ref.RawPath, RawQuery: ref.RawQuery}
		if target := local.RequestURI(); policy.IsSafeRedirect(target) {
			return local
		}
	}
	return &url.URL{Path: fallback}
}
