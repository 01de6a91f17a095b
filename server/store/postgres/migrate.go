package postgres

import (
	"context"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the steps of the schema: step i takes a schema from version
// i to i+1. Append a step for every change; never edit one that has been
// released. The steps name tables without a schema: migrate runs them with
// the store's schema as the search path.
var migrations = []string{
	// 1: accounts and sessions. The steps follow package sqlite's, in
	// PostgreSQL's types: the account is copied into the session, so
	// reading one needs no join, and no foreign key ties the two.
	`CREATE TABLE users (
		id            text        NOT NULL PRIMARY KEY CHECK (id <> ''),
		email         text        NOT NULL UNIQUE CHECK (email <> ''),
		name          text        NOT NULL,
		role          text        NOT NULL,
		password_hash text        NOT NULL,
		created_at    timestamptz NOT NULL
	);

	CREATE TABLE sessions (
		id_hash     bytea       NOT NULL PRIMARY KEY CHECK (octet_length(id_hash) = 32),
		user_id     text        NOT NULL CHECK (user_id <> ''),
		email       text        NOT NULL,
		name        text        NOT NULL,
		role        text        NOT NULL,
		created_at  timestamptz NOT NULL,
		expires     timestamptz NOT NULL,
		abs_expires timestamptz NOT NULL
	);

	CREATE INDEX sessions_user_id ON sessions (user_id);
	-- When a session dies: the expression DeleteExpiredSessions uses.
	CREATE INDEX sessions_dies ON sessions (LEAST(expires, abs_expires));`,

	// 2: the jwt strategy's revocations, refresh tokens and keys.
	`-- Deny list: an id is denied while now < until.
	CREATE TABLE denials (
		id    text        NOT NULL PRIMARY KEY CHECK (id <> ''),
		until timestamptz NOT NULL
	);
	CREATE INDEX denials_until ON denials (until);

	-- Tokens of a user issued before valid_after are revoked. Not a column
	-- of users: revocations follow the same rules in every backend,
	-- account or not.
	CREATE TABLE user_valid_after (
		user_id     text        NOT NULL PRIMARY KEY CHECK (user_id <> ''),
		valid_after timestamptz NOT NULL
	);

	-- used_at is NULL while unused; redeems counts the redeems, so that the
	-- one UPDATE that marks a token tells the first redeem from the others.
	CREATE TABLE refresh_tokens (
		hash         bytea       NOT NULL PRIMARY KEY CHECK (octet_length(hash) = 32),
		session_hash bytea       NOT NULL CHECK (octet_length(session_hash) = 32),
		user_id      text        NOT NULL CHECK (user_id <> ''),
		created_at   timestamptz NOT NULL,
		expires_at   timestamptz NOT NULL,
		used_at      timestamptz,
		redeems      integer     NOT NULL DEFAULT 0
	);
	CREATE INDEX refresh_tokens_family ON refresh_tokens (session_hash);
	CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

	CREATE TABLE public_keys (
		id         text        NOT NULL PRIMARY KEY CHECK (id <> ''),
		algorithm  text        NOT NULL CHECK (algorithm <> ''),
		key        bytea       NOT NULL CHECK (octet_length(key) > 0),
		created_at timestamptz NOT NULL,
		expires_at timestamptz NOT NULL
	);

	CREATE TABLE secrets (
		name  text  NOT NULL PRIMARY KEY CHECK (name <> ''),
		value bytea NOT NULL CHECK (octet_length(value) > 0)
	);`,

	// 3: counters of sign-in failures, for rate limits shared by every
	// instance.
	`-- A counter counts while now < expires, the time of its last increment
	-- plus the ttl of that increment; from then on it is forgotten, and the
	-- row waits for the next increment (which starts again at 1) or a sweep.
	CREATE TABLE counters (
		key     text        NOT NULL PRIMARY KEY CHECK (key <> ''),
		n       bigint      NOT NULL CHECK (n > 0),
		last    timestamptz NOT NULL,
		expires timestamptz NOT NULL
	);
	CREATE INDEX counters_expires ON counters (expires);`,

	// 4: the device of a session, for the user's list of devices, and
	// disabled accounts.
	`ALTER TABLE sessions
		ADD COLUMN client_addr text NOT NULL DEFAULT '',
		ADD COLUMN user_agent  text NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;`,

	// 5: second factors, as package sqlite keeps them.
	`-- secret is encrypted by the server; enabled is false while the
	-- enrolment waits for its first code; last_step is the last accepted
	-- TOTP time step (0: none), which only an UPDATE ... WHERE last_step < $n
	-- moves.
	CREATE TABLE second_factors (
		user_id   text    NOT NULL PRIMARY KEY CHECK (user_id <> ''),
		secret    bytea   NOT NULL CHECK (octet_length(secret) > 0),
		enabled   boolean NOT NULL DEFAULT false,
		last_step bigint  NOT NULL DEFAULT 0
	);

	-- The unused recovery codes of an enabled factor, hashed: a use
	-- deletes its row.
	CREATE TABLE recovery_codes (
		user_id text  NOT NULL CHECK (user_id <> ''),
		hash    bytea NOT NULL CHECK (octet_length(hash) = 32),
		PRIMARY KEY (user_id, hash)
	);`,

	// 6: the assurance level of a session and when the user last proved
	// it. Sessions made before were proved with a password at sign-in.
	`ALTER TABLE sessions
		ADD COLUMN aal              text NOT NULL DEFAULT 'aal1',
		ADD COLUMN authenticated_at timestamptz;
	UPDATE sessions SET authenticated_at = created_at;
	ALTER TABLE sessions ALTER COLUMN authenticated_at SET NOT NULL;`,
}

// migrationsTable records the applied steps, one row per version.
const migrationsTable = "schema_migrations"

// migrate creates schema when it is missing and applies the steps it lacks,
// all in one transaction under an advisory lock on the schema's name, so
// that several instances starting at once apply each step once and wait for
// each other. It reports ErrSchemaTooNew for a schema past the last step.
// Open passes migrations.
func migrate(ctx context.Context, db *pgxpool.Pool, schema string, steps []string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) // after Commit, a no-op

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(schema)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	ident := pgx.Identifier{schema}.Sanitize()
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		// CREATE SCHEMA IF NOT EXISTS would need the CREATE privilege on the
		// database even when the schema exists.
		if _, err := tx.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
			return fmt.Errorf("migrate: create schema: %w", err)
		}
	}
	// Only this transaction, and only the store's schema: every name in
	// the steps lands there.
	if _, err := tx.Exec(ctx, `SET LOCAL search_path TO `+ident); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` (
		version    integer     NOT NULL PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}

	var version int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+migrationsTable).Scan(&version); err != nil {
		return fmt.Errorf("migrate: read version: %w", err)
	}
	switch {
	case version > len(steps):
		return fmt.Errorf("%w: schema %s is at version %d, this program knows up to %d", ErrSchemaTooNew, schema, version, len(steps))
	case version == len(steps):
		return nil
	}
	for i := version; i < len(steps); i++ {
		if _, err := tx.Exec(ctx, steps[i]); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+migrationsTable+` (version) VALUES ($1)`, i+1); err != nil {
			return fmt.Errorf("migrate to version %d: %w", i+1, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// lockKey is the advisory lock that serialises migrations of schema.
func lockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("sessionguard migrate " + schema))
	return int64(h.Sum64())
}
