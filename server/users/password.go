package users

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// DefaultParams follow OWASP's password storage guidance for argon2id:
// m=19 MiB, t=2, p=1, a 16-byte salt and a 32-byte key.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// MaxPasswordLen is the longest password accepted, in bytes. Longer input is
// refused before hashing, so nobody can make the server hash megabytes.
const MaxPasswordLen = 1024

// Hasher hashes and verifies passwords with argon2id. It caps how many hashes
// run at once, because each takes Params.Memory of RAM: a burst of sign-ins
// queues instead of exhausting memory. The zero value is not usable; build one
// with NewHasher. A Hasher is safe for concurrent use.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a Hasher that runs at most concurrency hashes at a time
// (DefaultConcurrency when concurrency < 1).
func NewHasher(p Params, concurrency int) *Hasher {
	if concurrency < 1 {
		concurrency = DefaultConcurrency()
	}
	return &Hasher{params: p, slots: make(chan struct{}, concurrency)}
}

// DefaultConcurrency is half of GOMAXPROCS, at least one: a hash holds a
// CPU for its whole run (Go preempts it only every 10 ms), so a burst of
// sign-ins that took every CPU would make every other request wait behind
// it. Half the CPUs hash; the rest answer status checks at their usual
// speed (docs/PERFORMANCE.md, "Under pressure").
func DefaultConcurrency() int { return max(1, runtime.GOMAXPROCS(0)/2) }

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC string of password:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key> (base64 without padding).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	p := h.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether password matches the PHC string phc, in constant
// time for a given hash. The parameters are read from phc, so hashes made
// with older parameters keep working.
func (h *Hasher) Verify(ctx context.Context, phc, password string) (bool, error) {
	return h.verifyGated(ctx, phc, password, nil)
}

// verifyGated is Verify with a gate run after a hashing slot is free and
// before hashing: an error from it is returned and nothing is hashed.
func (h *Hasher) verifyGated(ctx context.Context, phc, password string, gate func() error) (bool, error) {
	p, salt, key, err := parsePHC(phc)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if gate != nil {
		if err := gate(); err != nil {
			return false, err
		}
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// parsePHC reads $argon2id$v=19$m=…,t=…,p=…$salt$key. It refuses costs far
// beyond the defaults so a tampered row cannot make one check take gigabytes.
func parsePHC(phc string) (Params, []byte, []byte, error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return Params{}, nil, nil, ErrBadHash
	}
	var p Params
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil {
			return Params{}, nil, nil, ErrBadHash
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return Params{}, nil, nil, ErrBadHash
			}
			p.Threads = uint8(n)
		default:
			return Params{}, nil, nil, ErrBadHash
		}
	}
	if p.Memory < 8 || p.Memory > 1<<20 || p.Time < 1 || p.Time > 16 || p.Threads < 1 {
		return Params{}, nil, nil, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return Params{}, nil, nil, ErrBadHash
	}
	return p, salt, key, nil
}
