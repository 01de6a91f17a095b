package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the steps of the schema: step i takes a database from
// PRAGMA user_version i to i+1. Append a step for every change; never edit
// one that has been released. Open applies the missing steps.
var migrations = []string{
	// 1: accounts and sessions.
	`CREATE TABLE users (
		id            TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
		email         TEXT    NOT NULL UNIQUE CHECK (email <> ''),
		name          TEXT    NOT NULL,
		role          TEXT    NOT NULL,
		password_hash TEXT    NOT NULL,
		created_at    INTEGER NOT NULL -- unix milliseconds, as every time
	) STRICT;

	-- The account is copied into the session, so reading one needs no join,
	-- and no foreign key ties the two: sessions follow the same rules in
	-- every backend.
	CREATE TABLE sessions (
		id_hash     BLOB    NOT NULL PRIMARY KEY CHECK (length(id_hash) = 32),
		user_id     TEXT    NOT NULL CHECK (user_id <> ''),
		email       TEXT    NOT NULL,
		name        TEXT    NOT NULL,
		role        TEXT    NOT NULL,
		created_at  INTEGER NOT NULL,
		expires     INTEGER NOT NULL,
		abs_expires INTEGER NOT NULL
	) STRICT, WITHOUT ROWID;

	CREATE INDEX sessions_user_id ON sessions (user_id);
	-- When a session dies: the expression DeleteExpiredSessions uses.
	CREATE INDEX sessions_dies ON sessions (min(expires, abs_expires));`,

	// 2: the jwt strategy's revocations, refresh tokens and keys.
	`-- Deny list: an id is denied while now < until.
	CREATE TABLE denials (
		id    TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
		until INTEGER NOT NULL
	) STRICT, WITHOUT ROWID;
	CREATE INDEX denials_until ON denials (until);

	-- Tokens of a user issued before valid_after are revoked. Not a column
	-- of users: like sessions, revocations follow the same rules in every
	-- backend, account or not.
	CREATE TABLE user_valid_after (
		user_id     TEXT    NOT NULL PRIMARY KEY CHECK (user_id <> ''),
		valid_after INTEGER NOT NULL
	) STRICT, WITHOUT ROWID;

	-- used_at is NULL while unused; redeems counts the redeems, so that the
	-- one UPDATE that marks a token tells the first redeem from the others.
	CREATE TABLE refresh_tokens (
		hash         BLOB    NOT NULL PRIMARY KEY CHECK (length(hash) = 32),
		session_hash BLOB    NOT NULL CHECK (length(session_hash) = 32),
		user_id      TEXT    NOT NULL CHECK (user_id <> ''),
		created_at   INTEGER NOT NULL,
		expires_at   INTEGER NOT NULL,
		used_at      INTEGER,
		redeems      INTEGER NOT NULL DEFAULT 0
	) STRICT, WITHOUT ROWID;
	CREATE INDEX refresh_tokens_family ON refresh_tokens (session_hash);
	CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

	CREATE TABLE public_keys (
		id         TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
		algorithm  TEXT    NOT NULL CHECK (algorithm <> ''),
		key        BLOB    NOT NULL CHECK (length(key) > 0),
		created_at INTEGER NOT NULL,
		expires_at INTEGER NOT NULL
	) STRICT, WITHOUT ROWID;

	CREATE TABLE secrets (
		name  TEXT NOT NULL PRIMARY KEY CHECK (name <> ''),
		value BLOB NOT NULL CHECK (length(value) > 0)
	) STRICT, WITHOUT ROWID;`,

	// 3: counters of sign-in failures, for rate limits.
	`-- A counter counts while now < expires, the time of its last increment
	-- plus the ttl of that increment; from then on it is forgotten, and the
	-- row waits for the next increment (which starts again at 1) or a sweep.
	CREATE TABLE counters (
		key     TEXT    NOT NULL PRIMARY KEY CHECK (key <> ''),
		n       INTEGER NOT NULL CHECK (n > 0),
		last    INTEGER NOT NULL,
		expires INTEGER NOT NULL
	) STRICT, WITHOUT ROWID;
	CREATE INDEX counters_expires ON counters (expires);`,

	// 4: the device of a session, for the user's list of devices, and
	// disabled accounts. Sessions and accounts made before keep an empty
	// device and stay enabled.
	`ALTER TABLE sessions ADD COLUMN client_addr TEXT NOT NULL DEFAULT '';
	ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));

	-- The index of when a session dies holds both expiries too, so that
	-- counting the live sessions (the active-sessions metric) reads the
	-- index alone: on the expression only, SQLite looks every entry up in
	-- the table, ten times slower.
	DROP INDEX sessions_dies;
	CREATE INDEX sessions_dies ON sessions (min(expires, abs_expires), expires, abs_expires);`,

	// 5: second factors. Not columns of users: like sessions, they follow
	// the same rules in every backend, account or not.
	`-- secret is encrypted by the server; enabled is 0 while the enrolment
	-- waits for its first code; last_step is the last accepted TOTP time
	-- step (0: none), which only an UPDATE ... WHERE last_step < ? moves.
	CREATE TABLE second_factors (
		user_id   TEXT    NOT NULL PRIMARY KEY CHECK (user_id <> ''),
		secret    BLOB    NOT NULL CHECK (length(secret) > 0),
		enabled   INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
		last_step INTEGER NOT NULL DEFAULT 0
	) STRICT, WITHOUT ROWID;

	-- The unused recovery codes of an enabled factor, hashed: a use
	-- deletes its row.
	CREATE TABLE recovery_codes (
		user_id TEXT NOT NULL CHECK (user_id <> ''),
		hash    BLOB NOT NULL CHECK (length(hash) = 32),
		PRIMARY KEY (user_id, hash)
	) STRICT, WITHOUT ROWID;`,

	// 6: the assurance level of a session and when the user last proved
	// it. Sessions made before were proved with a password at sign-in.
	`ALTER TABLE sessions ADD COLUMN aal TEXT NOT NULL DEFAULT 'aal1';
	ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
	UPDATE sessions SET authenticated_at = created_at;`,
}

// migrate applies the steps that db lacks, in one transaction, and reports
// ErrSchemaTooNew for a database past the last step. Open passes migrations.
func migrate(ctx context.Context, db *sql.DB, steps []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback() // after Commit, a no-op

	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	switch {
	case version > len(steps):
		return fmt.Errorf("%w: version %d, this program knows up to %d", ErrSchemaTooNew, version, len(steps))
	case version == len(steps):
		return nil
	}
	for i := version; i < len(steps); i++ {
		if _, err := tx.ExecContext(ctx, steps[i]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	// PRAGMA takes no parameters; the number is ours.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(steps))); err != nil {
		return fmt.Errorf("migrate: write version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
