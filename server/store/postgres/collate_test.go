package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sessionguard/sessionguard/internal/testenv"
	"github.com/sessionguard/sessionguard/server/store"
)

// TestListUsersTiesIgnoreCollation checks that ListUsers orders accounts
// made at the same time by id byte by byte, as storetest pins, even when the
// id column sorts by a natural-language collation. The conformance suite
// cannot tell: on a database whose default collation is "C" any ORDER BY id
// passes it.
func TestListUsersTiesIgnoreCollation(t *testing.T) {
	url := testenv.Postgres(t)
	var icu int
	query(t, url, `SELECT count(*) FROM pg_collation WHERE collname = 'und-x-icu'`, &icu)
	if icu == 0 {
		t.Skip("the server has no ICU collations")
	}
	s := open(t, url)
	t.Cleanup(func() { assert.NoError(t, s.Close()) })
	query(t, url, `ALTER TABLE `+pgx.Identifier{s.Schema(), "users"}.Sanitize()+
		` ALTER COLUMN id TYPE text COLLATE "und-x-icu"`)

	t0 := time.Now().UTC().Truncate(time.Millisecond)
	// In ICU's root collation: a, ä, b, B, z.
	for _, id := range []string{"b", "ä", "B", "a", "z"} {
		require.NoError(t, s.CreateUser(t.Context(), store.User{ID: id, Email: id + "@example.com", CreatedAt: t0}))
	}
	list, err := s.ListUsers(t.Context())
	require.NoError(t, err)
	ids := make([]string, len(list))
	for i, u := range list {
		ids[i] = u.ID
	}
	assert.Equal(t, []string{"B", "a", "b", "z", "ä"}, ids)
}
