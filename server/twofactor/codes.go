package twofactor

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// period is the TOTP time step, in seconds; drift is how many steps a code
// may be off either way.
const (
	period = 30
	drift  = 1
)

// stepAt is the time step of t: unix seconds / period.
func stepAt(t time.Time) int64 { return t.Unix() / period }

// codeAt is the six-digit code of the base32 secret at time step step.
func codeAt(secret string, step int64) (string, bool) {
	code, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	return code, err == nil
}

// matchStep returns the time step, within drift of now and after last,
// whose code is code; ok is false when there is none. Spaces around and
// inside the code are ignored; anything but six digits matches nothing.
func matchStep(secret, code string, now time.Time, last int64) (step int64, ok bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	cur := stepAt(now)
	for s := cur - drift; s <= cur+drift; s++ {
		if s <= last || s <= 0 {
			continue
		}
		want, ok := codeAt(secret, s)
		if ok && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// Recovery codes are recoveryGroups groups of recoveryGroupLen characters
// of recoveryAlphabet (base32, lower-case), joined by dashes: 80 random
// bits, so that an unsalted hash of one cannot be reversed by trying.
const (
	recoveryAlphabet = "abcdefghijklmnopqrstuvwxyz234567"
	recoveryGroups   = 4
	recoveryGroupLen = 4
)

// newRecoveryCodes returns n new recovery codes of the user and their
// hashes.
func newRecoveryCodes(userID string, n int) (codes []string, hashes [][]byte) {
	for range n {
		b := make([]byte, recoveryGroups*recoveryGroupLen)
		rand.Read(b) // never fails (crypto/rand)
		var sb strings.Builder
		for i, c := range b {
			if i > 0 && i%recoveryGroupLen == 0 {
				sb.WriteByte('-')
			}
			sb.WriteByte(recoveryAlphabet[int(c)%len(recoveryAlphabet)]) // 256 is a multiple of 32
		}
		code := sb.String()
		normal, _ := normalRecoveryCode(code)
		codes = append(codes, code)
		hashes = append(hashes, recoveryHash(userID, normal))
	}
	return codes, hashes
}

// normalRecoveryCode is code without spaces or dashes, lower-case; ok is
// false when it is not a recovery code's length or alphabet.
func normalRecoveryCode(code string) (string, bool) {
	normal := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(code))
	if len(normal) != recoveryGroups*recoveryGroupLen || strings.Trim(normal, recoveryAlphabet) != "" {
		return "", false
	}
	return normal, true
}

// recoveryHash is what the store keeps of a normalised recovery code:
// SHA-256 of the user id and the code, so that equal codes of two accounts
// differ.
func recoveryHash(userID, normal string) []byte {
	h := sha256.Sum256([]byte("sessionguard recovery code\x00" + userID + "\x00" + normal))
	return h[:]
}
