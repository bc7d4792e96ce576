package objstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FS stores objects as files under a directory; writes are atomic (temporary file, then rename).
type FS struct{ dir string }

// NewFS creates the directory if needed.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("object store dir: %w", err)
	}
	return &FS{dir: dir}, nil
}

// Put implements Store.
func (s *FS) Put(_ context.Context, key string, data []byte, _ string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	path := filepath.Join(s.dir, filepath.FromSlash(key))
	// A Delete of the directory's last object prunes the directory; one that does so between MkdirAll
	// and CreateTemp makes the latter fail with ErrNotExist, so try again once.
	var tmp *os.File
	for attempt := 0; ; attempt++ {
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		if err == nil {
			tmp, err = os.CreateTemp(filepath.Dir(path), ".put-*")
		}
		if err == nil {
			break
		}
		if attempt > 0 || !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Get implements Store.
func (s *FS) Get(_ context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

// Delete implements Store.
func (s *FS) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	path := filepath.Join(s.dir, filepath.FromSlash(key))
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// Like S3, which has no directories, leave none behind empty: remove the parents up to the store's
	// directory until one is not empty (os.Remove refuses a directory that is not).
	for dir := filepath.Dir(path); dir != s.dir && len(dir) > len(s.dir); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// DeletePrefix implements Store; prefix must name a directory ("rooms/<id>/").
func (s *FS) DeletePrefix(_ context.Context, prefix string) error {
	if err := checkKey(prefix); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(s.dir, filepath.FromSlash(prefix)))
}

// Ping implements Store.
func (s *FS) Ping(context.Context) error {
	_, err := os.Stat(s.dir)
	return err
}
