package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// Device cookies keep an attacker from locking a user out (OWASP's device
// cookie pattern): after a correct sign-in the browser gets a long-lived
// cookie that proves "this device has signed in to this account before".
// Failures from a device with that proof count against the device's own
// limit, so a flood of wrong passwords from elsewhere, which throttles the
// account for unknown devices, leaves the user's own devices free to sign in.
const (
	DeviceCookieName         = "__Host-sg_device"
	InsecureDeviceCookieName = "sg_device"
	deviceCookieAge          = 365 * 24 * time.Hour
	maxDeviceAccounts        = 5
	deviceMACLen             = 22 // base64 characters: 132 bits
)

// device reads and writes the device cookie: "<nonce>.<mac>.<mac>…", one
// MAC per account (at most five) that signed in on the device.
type device struct {
	key      []byte
	insecure bool
}

func (d device) name() string {
	if d.insecure {
		return InsecureDeviceCookieName
	}
	return DeviceCookieName
}

func (d device) mac(nonce, email string) string {
	m := hmac.New(sha256.New, d.key)
	m.Write([]byte("sessionguard device:" + nonce + ":" + email))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:deviceMACLen]
}

// parse returns the cookie's nonce and MACs; ok is false without a
// well-formed cookie.
func (d device) parse(r *http.Request) (nonce string, macs []string, ok bool) {
	ck, err := r.Cookie(d.name())
	if err != nil || len(ck.Value) > 256 {
		return "", nil, false
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) < 1 || len(parts[0]) != 22 {
		return "", nil, false
	}
	return parts[0], parts[1:], true
}

// known returns the device's nonce when the request proves that the
// device signed in to email before; "" otherwise.
func (d device) known(r *http.Request, email string) string {
	nonce, macs, ok := d.parse(r)
	if !ok {
		return ""
	}
	want := d.mac(nonce, email)
	for _, m := range macs {
		if hmac.Equal([]byte(m), []byte(want)) {
			return nonce
		}
	}
	return ""
}

// remember sets the cookie so it proves email too; it reports whether the
// device was new to the account.
func (d device) remember(w http.ResponseWriter, r *http.Request, email string, now time.Time) (isNew bool) {
	nonce, macs, ok := d.parse(r)
	if !ok {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		nonce, macs = base64.RawURLEncoding.EncodeToString(b)[:22], nil
	}
	want := d.mac(nonce, email)
	for _, m := range macs {
		if hmac.Equal([]byte(m), []byte(want)) {
			return false
		}
	}
	macs = append([]string{want}, macs...)
	if len(macs) > maxDeviceAccounts {
		macs = macs[:maxDeviceAccounts]
	}
	http.SetCookie(w, &http.Cookie{
		Name:     d.name(),
		Value:    nonce + "." + strings.Join(macs, "."),
		Path:     "/",
		Expires:  now.Add(deviceCookieAge).UTC(),
		MaxAge:   int(deviceCookieAge / time.Second),
		Secure:   !d.insecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	return true
}
