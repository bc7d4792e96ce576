// Package objstore stores immutable snapshot objects behind one interface: the local filesystem (the
// default of `make up`) or any S3-compatible service (minio-go), chosen by OBJECT_STORE_URL.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Store holds objects by key. Keys are slash-separated paths without "..".
type Store interface {
	Put(ctx context.Context, key string, data []byte, contentType string) error
	// Get returns ErrNotFound for a missing key.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete of a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// DeletePrefix deletes every object whose key starts with prefix (a room's snapshots).
	DeletePrefix(ctx context.Context, prefix string) error
	// Ping checks that the store is usable (readiness).
	Ping(ctx context.Context) error
}

// Presigner is implemented by stores that can hand out a URL to read an object without credentials (S3);
// the filesystem store cannot, so callers check for it with a type assertion and send the bytes instead.
type Presigner interface {
	// Presign returns a GET URL of the object valid for ttl. It does not check that the object exists.
	Presign(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// ErrNotFound is returned for missing objects.
var ErrNotFound = errors.New("object not found")

// Credentials for S3.
type Credentials struct{ AccessKey, SecretKey string }

// Open returns the store an OBJECT_STORE_URL names: file:///abs/dir, file://rel/dir, or
// s3://bucket?endpoint=host:port&region=r&secure=true.
func Open(ctx context.Context, raw string, creds Credentials) (Store, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("OBJECT_STORE_URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "file":
		return NewFS(u.Host + u.Path)
	case "s3":
		q := u.Query()
		endpoint := q.Get("endpoint")
		if u.Host == "" || endpoint == "" {
			return nil, fmt.Errorf("OBJECT_STORE_URL %q: want s3://bucket?endpoint=host:port", raw)
		}
		return NewS3(ctx, S3Options{Endpoint: endpoint, Bucket: u.Host, Region: q.Get("region"),
			Secure: q.Get("secure") == "true", Credentials: creds})
	default:
		return nil, fmt.Errorf("OBJECT_STORE_URL %q: scheme must be file or s3", raw)
	}
}

func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "..") || strings.Contains(key, "\\") {
		return fmt.Errorf("bad object key %q", key)
	}
	return nil
}
