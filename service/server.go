package service

// The Verifier's side of the server: its keys, introspection and the
// revocation feed.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/sessionguard/sessionguard/wire"
)

// key returns the public key kid, fetching the keys again (at most every
// keyRefetch) when it is unknown: a key the server rotated in.
func (v *Verifier) key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	v.mu.Lock()
	k, ok := v.keys[kid]
	stale := v.now().Sub(v.fetched) >= keyRefetch
	v.mu.Unlock()
	if ok {
		return k, nil
	}
	if stale {
		if err := v.fetchKeys(ctx); err == nil {
			v.mu.Lock()
			k, ok = v.keys[kid]
			v.mu.Unlock()
			if ok {
				return k, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

// fetchKeys reads the server's JSON Web Key Set; the set replaces the one
// held, so a key the server retired stops verifying here too.
func (v *Verifier) fetchKeys(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.Server+"/.well-known/jwks.json", nil)
	if err != nil {
		return err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: keys: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: keys: %s", ErrUnavailable, resp.Status)
	}
	var set struct {
		Keys []struct {
			Kty, Crv, X, Kid, Alg string
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("%w: keys: %w", ErrUnavailable, err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Kid == "" || err != nil || len(x) != ed25519.PublicKeySize {
			continue
		}
		keys[k.Kid] = ed25519.PublicKey(x)
	}
	v.mu.Lock()
	v.keys, v.fetched = keys, v.now()
	v.mu.Unlock()
	return nil
}

// introspect asks the server whether token's session sid is live.
func (v *Verifier) introspect(ctx context.Context, token, sid string) (bool, error) {
	body, _ := json.Marshal(wire.ServiceIntrospectRequest{Token: token})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.cfg.Server+wire.PathServiceIntrospect, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+v.cfg.Token)
	resp, err := v.client.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w: introspect: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%w: introspect: %s", ErrUnavailable, resp.Status)
	}
	var out wire.ServiceIntrospection
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out); err != nil {
		return false, fmt.Errorf("%w: introspect: %w", ErrUnavailable, err)
	}
	return out.Active && out.SessionID == sid, nil
}

// runFeed keeps the revocation feed connected until ctx ends: at once,
// then after a back-off from 100 ms doubling to 2 s.
func (v *Verifier) runFeed(ctx context.Context) {
	defer close(v.finished)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := v.follow(ctx)
		v.mu.Lock()
		v.feedUp = false
		v.gen++
		clear(v.live) // what was learnt may be stale once events can be missed
		v.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		v.log.Warn("revocation feed lost; reconnecting", "error", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// follow reads the feed once, from connecting to its end.
func (v *Verifier) follow(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.cfg.Server+wire.PathServiceRevocations, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+v.cfg.Token)
	resp, err := v.feed.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("feed answered %s", resp.Status)
	}
	// A feed that goes silent (a network that drops without a reset) is
	// cut after three heartbeats, so the reconnect starts.
	silence := time.AfterFunc(3*wire.ServiceHeartbeatSeconds*time.Second, cancel)
	defer silence.Stop()
	sc := bufio.NewScanner(resp.Body)
	var event, data string
	for sc.Scan() {
		silence.Reset(3 * wire.ServiceHeartbeatSeconds * time.Second)
		line := sc.Text()
		v.mu.Lock()
		v.heard = v.now()
		v.mu.Unlock()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		case line == "" && event != "":
			v.apply(event, data)
			event, data = "", ""
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// apply takes one event of the feed.
func (v *Verifier) apply(event, data string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	now := v.now()
	switch event {
	case "ready":
		v.gen++
		clear(v.live)
		v.feedUp = true
		if !v.isReady {
			v.isReady = true
			close(v.ready)
		}
		v.log.Info("revocation feed connected", "server", v.cfg.Server)
	case "resync":
		v.gen++
		clear(v.live)
	case "revoked":
		var r wire.ServiceRevocation
		if json.Unmarshal([]byte(data), &r) != nil || r.User == "" {
			v.gen++ // an event not understood: forget everything learnt
			clear(v.live)
			return
		}
		v.epochs[r.User]++
		if r.SessionID != "" {
			delete(v.live, r.SessionID)
			v.dead[r.SessionID] = now.Add(v.cfg.Forget)
		} else {
			for sid, user := range v.live {
				if user == r.User {
					delete(v.live, sid)
				}
			}
		}
		for sid, until := range v.dead {
			if !now.Before(until) {
				delete(v.dead, sid)
			}
		}
	}
}
