package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/sessionguard/sessionguard/server/session"
	"github.com/sessionguard/sessionguard/server/store"
)

// jwtLeeway is the clock skew the jwt strategy allows between instances.
const jwtLeeway = 5 * time.Second

// newJWT builds the jwt strategy: keys from JWTKeyFile or DataDir/keys (in
// memory only without a data directory), published through the store for
// the other instances, reloaded every minute on bg so a rotation takes
// effect; the refresh key is shared through the store.
func newJWT(ctx, bg context.Context, o Options, st store.Store, logger *slog.Logger) (*session.JWT, error) {
	dir := ""
	if o.DataDir != "" {
		dir = filepath.Join(o.DataDir, "keys")
	}
	keys, err := session.LoadKeys(ctx, session.KeyConfig{
		Algorithm: o.JWTAlgorithm, Dir: dir, File: o.JWTKeyFile, Store: st,
		Retire: o.AccessMaxAge + jwtLeeway + time.Minute, Now: o.Now,
	})
	if err != nil {
		return nil, err
	}
	secret, err := st.Secret(ctx, "refresh-successor-key", randomKey())
	if err != nil {
		return nil, fmt.Errorf("read the shared refresh key: %w", err)
	}
	j, err := session.NewJWT(session.JWTConfig{
		Keys: keys, Store: st, RefreshKey: secret, Lifetime: o.Lifetime, AccessMaxAge: o.AccessMaxAge,
		Issuer: o.JWTIssuer, Audience: o.JWTAudience, Leeway: jwtLeeway, Logger: logger,
	})
	if err != nil {
		return nil, err
	}
	go keys.Run(bg, time.Minute, func(err error) { logger.Warn("key reload failed", "error", err.Error()) })
	return j, nil
}
