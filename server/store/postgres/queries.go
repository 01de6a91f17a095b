package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// queries are the statements of a Store, with table names qualified by its
// schema rather than found through search_path, which poolers such as
// PgBouncer do not keep. They are built once, in Open, so that a call does
// not build its SQL, and pgx's statement cache knows them by their text.
type queries struct {
	// A session is live strictly before LEAST(expires, abs_expires); the
	// same expression is indexed for deleteExpired.
	asyncCommit string

	createSession, session, touch, deleteSession, deleteUserSessions, deleteExpired string

	createUser, userByEmail, userByID string

	userSessions, listUsers, hasUsers, updateUser, lockAdmins, countSessions string

	deny, setUserValidAfter, userValidAfter, deleteExpiredDenials string
	// revoked[n] is the query of Revoked for n ids, up to maxListedIDs;
	// revokedAny takes any number as an array.
	revoked    [maxListedIDs + 1]string
	revokedAny string

	createRefreshToken, redeem, deleteFamily, deleteExpiredRefreshTokens string

	publishKey, publicKeys, insertSecret, secret string

	incr, count, resetCounter, sweepCounters string

	factor factorQueries
}

// maxListedIDs is the most ids a Revoked query names one by one: the jwt
// strategy passes two (the token's and its session's). With the ids as a
// list, PostgreSQL plans the cached statement once; with an array of unknown
// length (revokedAny) it plans each call anew, which costs more than the
// lookups.
const maxListedIDs = 4

// revokedQuery is the one statement of Revoked; its arguments are the user
// id, issuedAt, now, then the ids as match takes them.
func revokedQuery(userValidAfter, denials, match string) string {
	q := `SELECT EXISTS (SELECT 1 FROM ` + userValidAfter + ` WHERE user_id = $1 AND valid_after > $2)`
	if match == "" {
		return q
	}
	return q + ` OR EXISTS (SELECT 1 FROM ` + denials + ` WHERE (` + match + `) AND until > $3)`
}

func newQueries(schema string) queries {
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	var (
		sessions       = table("sessions")
		users          = table("users")
		denials        = table("denials")
		userValidAfter = table("user_valid_after")
		refreshTokens  = table("refresh_tokens")
		publicKeys     = table("public_keys")
		secrets        = table("secrets")
		counters       = table("counters")
	)
	const (
		sessionColumns = `id_hash, user_id, email, name, role, created_at, expires, abs_expires, client_addr, user_agent, aal, authenticated_at`
		userColumns    = `id, email, name, role, password_hash, created_at, disabled`
	)
	q := queries{
		asyncCommit: `SELECT set_config('synchronous_commit', 'off', true)`,
		createSession: `INSERT INTO ` + sessions + ` (` + sessionColumns + `)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id_hash) DO NOTHING`,
		session: `SELECT ` + sessionColumns + ` FROM ` + sessions + `
			WHERE id_hash = $1 AND LEAST(expires, abs_expires) > $2`,
		touch:              `UPDATE ` + sessions + ` SET expires = $2 WHERE id_hash = $1`,
		deleteSession:      `DELETE FROM ` + sessions + ` WHERE id_hash = $1`,
		deleteUserSessions: `DELETE FROM ` + sessions + ` WHERE user_id = $1`,
		deleteExpired:      `DELETE FROM ` + sessions + ` WHERE LEAST(expires, abs_expires) <= $1`,

		// No conflict target: a taken id and a taken e-mail are both
		// duplicates.
		createUser:  `INSERT INTO ` + users + ` (` + userColumns + `) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		userByEmail: `SELECT ` + userColumns + ` FROM ` + users + ` WHERE email = $1`,
		userByID:    `SELECT ` + userColumns + ` FROM ` + users + ` WHERE id = $1`,

		userSessions: `SELECT ` + sessionColumns + ` FROM ` + sessions + `
			WHERE user_id = $1 AND LEAST(expires, abs_expires) > $2 ORDER BY created_at DESC, id_hash`,
		hasUsers:  `SELECT EXISTS (SELECT 1 FROM ` + users + `)`,
		listUsers: `SELECT ` + userColumns + ` FROM ` + users + ` ORDER BY created_at, id COLLATE "C"`,
		// Sets the fields of a store.UserChange: a NULL leaves its column
		// as it is.
		updateUser: `UPDATE ` + users + ` SET name = COALESCE($2, name), role = COALESCE($3, role),
			password_hash = COALESCE($4, password_hash), disabled = COALESCE($5, disabled) WHERE id = $1`,
		// Locks the account $1 and every enabled administrator ($2), in
		// one order for every caller, so that two of them never wait for
		// each other. A row changed by a transaction this one waited for
		// is checked again as committed: an administrator demoted
		// meanwhile is not returned.
		lockAdmins: `SELECT id, role = $2 AND NOT disabled FROM ` + users + `
			WHERE id = $1 OR (role = $2 AND NOT disabled) ORDER BY id COLLATE "C" FOR UPDATE`,
		// On the index of when a session dies (sessions_dies).
		countSessions: `SELECT count(*) FROM ` + sessions + ` WHERE LEAST(expires, abs_expires) > $1`,

		deny: `INSERT INTO ` + denials + ` AS d (id, until) VALUES ($1, $2)
			ON CONFLICT (id) DO UPDATE SET until = GREATEST(d.until, excluded.until)`,
		setUserValidAfter: `INSERT INTO ` + userValidAfter + ` AS v (user_id, valid_after) VALUES ($1, $2)
			ON CONFLICT (user_id) DO UPDATE SET valid_after = GREATEST(v.valid_after, excluded.valid_after)`,
		userValidAfter:       `SELECT valid_after FROM ` + userValidAfter + ` WHERE user_id = $1`,
		revokedAny:           revokedQuery(userValidAfter, denials, `id = ANY($4)`),
		deleteExpiredDenials: `DELETE FROM ` + denials + ` WHERE until <= $1`,

		createRefreshToken: `INSERT INTO ` + refreshTokens + ` (hash, session_hash, user_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hash) DO NOTHING`,
		// Marks a live token used unless it was, and counts the redeem, in
		// one UPDATE: concurrent redeems of a row wait for each other's
		// row lock and see each other's count, so exactly one sees 1.
		redeem: `UPDATE ` + refreshTokens + ` AS t SET used_at = coalesce(t.used_at, $2), redeems = t.redeems + 1
			WHERE hash = $1 AND expires_at > $2
			RETURNING session_hash, user_id, created_at, expires_at, used_at, redeems`,
		deleteFamily:               `DELETE FROM ` + refreshTokens + ` WHERE session_hash = $1`,
		deleteExpiredRefreshTokens: `DELETE FROM ` + refreshTokens + ` WHERE expires_at <= $1`,

		publishKey: `INSERT INTO ` + publicKeys + ` (id, algorithm, key, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (id) DO UPDATE SET algorithm = excluded.algorithm, key = excluded.key,
				created_at = excluded.created_at, expires_at = excluded.expires_at`,
		publicKeys: `SELECT id, algorithm, key, created_at, expires_at FROM ` + publicKeys + `
			WHERE expires_at > $1 ORDER BY created_at DESC, id COLLATE "C"`,
		insertSecret: `INSERT INTO ` + secrets + ` (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
		secret:       `SELECT value FROM ` + secrets + ` WHERE name = $1`,

		// Adds one to a counter, or starts it at 1 when it is absent or
		// forgotten, in one statement: concurrent increments of a key
		// wait for each other's row lock. Arguments: key, now, now + ttl.
		incr: `INSERT INTO ` + counters + ` AS c (key, n, last, expires) VALUES ($1, 1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET
				n       = CASE WHEN c.expires <= excluded.last THEN 1 ELSE c.n + 1 END,
				last    = excluded.last,
				expires = excluded.expires
			RETURNING n`,
		count:         `SELECT n, last FROM ` + counters + ` WHERE key = $1 AND expires > $2`,
		resetCounter:  `DELETE FROM ` + counters + ` WHERE key = $1`,
		sweepCounters: `DELETE FROM ` + counters + ` WHERE expires <= $1`,
	}
	q.factor = newFactorQueries(table("second_factors"), table("recovery_codes"))
	for n := range q.revoked {
		in := make([]string, n)
		for i := range in {
			in[i] = fmt.Sprintf("$%d", 4+i)
		}
		match := ""
		if n > 0 {
			match = `id IN (` + strings.Join(in, ", ") + `)`
		}
		q.revoked[n] = revokedQuery(userValidAfter, denials, match)
	}
	return q
}
