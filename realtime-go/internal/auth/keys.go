// Package auth verifies the room tokens the gateway signs (docs/contracts.md): Ed25519 JWTs checked
// against the gateway's JWKS.
package auth

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// JWKS is a JSON Web Key Set of Ed25519 (OKP) keys.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// JWK is one public key.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// ParseJWKS decodes a key set, keeping its Ed25519 signing keys.
func ParseJWKS(b []byte) (map[string]ed25519.PublicKey, error) {
	var set JWKS
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	keys := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("jwks: key %q: bad x", k.Kid)
		}
		keys[k.Kid] = ed25519.PublicKey(x)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("jwks: no Ed25519 signing key")
	}
	return keys, nil
}

// KeySource yields the public key of a key id.
type KeySource interface {
	Key(ctx context.Context, kid string) (ed25519.PublicKey, error)
}

// StaticKeys is a fixed key set (REALTIME_DEV_JWKS).
type StaticKeys map[string]ed25519.PublicKey

// Key implements KeySource.
func (s StaticKeys) Key(_ context.Context, kid string) (ed25519.PublicKey, error) {
	if k, ok := s[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

// RemoteKeys fetches the gateway's JWKS, refreshing every RefreshEvery and on an unknown key id (at most
// once per MinRefetch, so that forged key ids cannot flood the gateway).
type RemoteKeys struct {
	URL          string
	Client       *http.Client
	Log          *slog.Logger
	RefreshEvery time.Duration
	MinRefetch   time.Duration

	mu      sync.Mutex
	keys    map[string]ed25519.PublicKey
	fetched time.Time
}

// Key implements KeySource.
func (r *RemoteKeys) Key(ctx context.Context, kid string) (ed25519.PublicKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[kid]
	age := time.Since(r.fetched)
	if ok && age < r.RefreshEvery {
		return k, nil
	}
	if !ok && r.keys != nil && age < r.MinRefetch {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	if err := r.fetch(ctx); err != nil {
		if ok { // keep using a known key while the gateway is unreachable
			r.Log.Warn("jwks refresh failed", "err", err)
			return k, nil
		}
		return nil, err
	}
	if k, ok := r.keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

// Ready reports whether the key set can be fetched (readiness).
func (r *RemoteKeys) Ready(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.keys != nil && time.Since(r.fetched) < r.RefreshEvery {
		return nil
	}
	return r.fetch(ctx)
}

func (r *RemoteKeys) fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return err
	}
	resp, err := r.Client.Do(req)
	if err != nil {
		return fmt.Errorf("fetch jwks: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch jwks: %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("fetch jwks: %w", err)
	}
	keys, err := ParseJWKS(b)
	if err != nil {
		return err
	}
	r.keys, r.fetched = keys, time.Now()
	return nil
}
