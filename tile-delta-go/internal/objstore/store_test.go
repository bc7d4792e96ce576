package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// One contract suite runs against every backend: the filesystem always, and SeaweedFS's S3 API when
// S3_ENDPOINT names it (make test starts it).
func TestStoreContract(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	backends := map[string]func(t *testing.T) Store{
		"fs": func(t *testing.T) Store {
			s, err := Open(ctx, "file://"+t.TempDir(), Credentials{})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"s3": func(t *testing.T) Store {
			ep := os.Getenv("S3_ENDPOINT")
			if ep == "" {
				t.Fatal("S3_ENDPOINT is not set: make test starts SeaweedFS and sets it")
			}
			bucket := fmt.Sprintf("contract-%d", time.Now().UnixNano())
			s, err := Open(ctx, "s3://"+bucket+"?endpoint="+ep, Credentials{AccessKey: os.Getenv("S3_ACCESS_KEY"), SecretKey: os.Getenv("S3_SECRET_KEY")})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			if err := s.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			png := bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 1000)
			if err := s.Put(ctx, "rooms/r1/0/1_-2/v7.png", png, "image/png"); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "rooms/r1/0/1_-2/v7.png")
			if err != nil || !bytes.Equal(got, png) {
				t.Fatalf("get: %v (%d bytes)", err, len(got))
			}
			if _, err := s.Get(ctx, "rooms/r1/0/1_-2/v8.png"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("missing key: %v, want ErrNotFound", err)
			}
			for _, bad := range []string{"", "/abs", "a/../b", `a\b`} {
				if err := s.Put(ctx, bad, png, "image/png"); err == nil {
					t.Fatalf("key %q accepted", bad)
				}
			}
			if err := s.Put(ctx, "rooms/r2/0/0_0/v1.png", png, "image/png"); err != nil {
				t.Fatal(err)
			}
			if err := s.DeletePrefix(ctx, "rooms/r1/"); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(ctx, "rooms/r1/0/1_-2/v7.png"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("after DeletePrefix: %v", err)
			}
			if _, err := s.Get(ctx, "rooms/r2/0/0_0/v1.png"); err != nil {
				t.Fatalf("another room's object went with it: %v", err)
			}
			if err := s.Delete(ctx, "rooms/r2/0/0_0/v1.png"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The filesystem store leaves no empty directory behind a Delete (S3 has none to leave): a purged room
// leaves nothing on disk, even when its last object was deleted one by one.
func TestFSDeletePrunesEmptyDirectories(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"rooms/r1/0/0_0/1.png", "rooms/r1/0/0_0/2.png", "rooms/r1/3/1_1/2.png"} {
		if err := s.Put(ctx, k, []byte("png"), "image/png"); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		del  string
		left []string // directories that must still exist
		gone []string // directories that must not
	}{
		{"rooms/r1/0/0_0/1.png", []string{"rooms/r1/0/0_0"}, nil},
		{"rooms/r1/0/0_0/2.png", []string{"rooms/r1/3/1_1"}, []string{"rooms/r1/0"}},
		{"rooms/r1/3/1_1/2.png", nil, []string{"rooms"}},
		{"rooms/r1/3/1_1/2.png", nil, []string{"rooms"}}, // deleting a missing key is no error
	}
	for _, st := range steps {
		if err := s.Delete(ctx, st.del); err != nil {
			t.Fatalf("delete %s: %v", st.del, err)
		}
		for _, d := range st.left {
			if _, err := os.Stat(filepath.Join(dir, d)); err != nil {
				t.Fatalf("after deleting %s, %s is gone: %v", st.del, d, err)
			}
		}
		for _, d := range st.gone {
			if _, err := os.Stat(filepath.Join(dir, d)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("after deleting %s, %s is still there (%v)", st.del, d, err)
			}
		}
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the store's own directory went: %v", err)
	}
}
