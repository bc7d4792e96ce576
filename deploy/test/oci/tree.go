// Package oci assembles infidraw's container images without a container engine: each layer is a tar
// written here from files on disk (sorted entries, owner root, one fixed modification time), so the same
// inputs give the same bytes, and the images are written as OCI image-layout archives with
// go-containerregistry. Nothing is pulled from a registry: the only files that are not built from this
// repository come from Debian packages (glibc, libstdc++, CA certificates, tzdata) and the npm registry
// (Node.js and the gateway's production dependencies), both recorded in each image's labels.
package oci

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Entry is one file system object of a layer. Exactly one of Src (a host file copied as is), Data
// (generated content), Link (a symbolic link) or Dir is set.
type Entry struct {
	Src  string
	Data []byte
	Link string
	Dir  bool
	Mode int64 // permission bits; 0 means 0755 for directories and executables, 0644 for other files
	// Owner is the uid and gid of the entry (0: root). Only the non-root user's home directory has another.
	Owner int
}

// Tree is the content of one layer keyed by its path in the image (no leading slash).
type Tree map[string]Entry

// Add puts an entry at p, creating parent directories that are not there yet.
func (t Tree) Add(p string, e Entry) {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	for dir := path.Dir(p); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if _, ok := t[dir]; !ok {
			t[dir] = Entry{Dir: true}
		}
	}
	t[p] = e
}

// AddFile copies one host file (its executable bit kept) to p.
func (t Tree) AddFile(p, src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", src)
	}
	t.Add(p, Entry{Src: src, Mode: fileMode(fi.Mode())})
	return nil
}

// AddDir copies the host directory src (files, directories and symbolic links, as they are) to p.
// skip, when not nil, leaves out a path relative to src (and everything under it, for a directory).
func (t Tree) AddDir(p, src string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, file)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." && skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		dst := path.Join(p, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(file)
			if err != nil {
				return err
			}
			t.Add(dst, Entry{Link: target})
		case d.IsDir():
			t.Add(dst, Entry{Dir: true})
		case d.Type().IsRegular():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			t.Add(dst, Entry{Src: file, Mode: fileMode(fi.Mode())})
		default:
			return fmt.Errorf("%s: %s is neither a file, a directory nor a symbolic link", file, d.Type())
		}
		return nil
	})
}

// Merge copies the entries of u into t (u wins).
func (t Tree) Merge(u Tree) {
	for p, e := range u {
		t.Add(p, e)
	}
}

// fileMode normalises permissions to 0755 or 0644: only whether a file is executable survives, so that a
// umask or a checkout's modes do not change the layer.
func fileMode(m fs.FileMode) int64 {
	if m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// Tar writes the tree as an uncompressed tar: entries sorted by path (a directory before what it holds),
// owned by 0:0, all with modification time mtime, no user or group names, no access times.
func (t Tree) Tar(mtime time.Time) ([]byte, error) {
	paths := make([]string, 0, len(t))
	for p := range t {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		e := t[p]
		h := &tar.Header{Name: p, ModTime: mtime.UTC(), Format: tar.FormatPAX, Uid: e.Owner, Gid: e.Owner}
		switch {
		case e.Dir:
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, p+"/", orDefault(e.Mode, 0o755)
		case e.Link != "":
			h.Typeflag, h.Linkname, h.Mode = tar.TypeSymlink, e.Link, 0o777
		case e.Src != "":
			data, err := os.ReadFile(e.Src)
			if err != nil {
				return nil, err
			}
			e.Data = data
			fallthrough
		default:
			h.Typeflag, h.Size, h.Mode = tar.TypeReg, int64(len(e.Data)), orDefault(e.Mode, 0o644)
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.Copy(tw, bytes.NewReader(e.Data)); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func orDefault(v, d int64) int64 {
	if v == 0 {
		return d
	}
	return v
}
