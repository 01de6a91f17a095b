package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/sessionguard/sessionguard/server/store"
	"github.com/sessionguard/sessionguard/server/store/memory"
)

// A session record lives under the SHA-256 of its id, is read only while
// live, and is gone once deleted or expired: found is false and err nil,
// since err is for a store that fails. Every backend behaves so (memory,
// sqlite, postgres and redis all pass storetest).
func Example() {
	ctx := context.Background()
	var st store.Store = memory.New() // or sqlite.Open, postgres.Open, redis.Open
	defer st.Close()

	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	id := sha256.Sum256([]byte("the secret session id, which the store never sees"))
	err := st.CreateSession(ctx, store.Session{
		IDHash: id[:], UserID: "u1", Email: "ada@example.com", Name: "Ada", Role: "user",
		CreatedAt: now, Expires: now.Add(30 * time.Minute), AbsExpires: now.Add(12 * time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}
	s, found, err := st.Session(ctx, id[:], now.Add(10*time.Minute))
	fmt.Println(s.Name, found, err)

	// A rolling read moves the idle expiry forward.
	touched, err := st.TouchSession(ctx, id[:], now.Add(40*time.Minute))
	fmt.Println(touched, err)
	s, found, _ = st.Session(ctx, id[:], now.Add(35*time.Minute))
	fmt.Println(s.Expires.Format(time.TimeOnly), found)

	// Idle past its expiry: not found, and no error.
	_, found, err = st.Session(ctx, id[:], now.Add(41*time.Minute))
	fmt.Println(found, err)

	// Deleted: not found either; a second delete is no error.
	fmt.Println(st.DeleteSession(ctx, id[:]), st.DeleteSession(ctx, id[:]))
	_, found, err = st.Session(ctx, id[:], now)
	fmt.Println(found, err)

	// Only hashes are keys: anything else is refused as invalid.
	_, _, err = st.Session(ctx, []byte("an id, not its hash"), now)
	fmt.Println(errors.Is(err, store.ErrInvalid))
	// Output:
	// Ada true <nil>
	// true <nil>
	// 12:40:00 true
	// false <nil>
	// <nil> <nil>
	// false <nil>
	// true
}
