package oci

import (
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// libDirs are where Debian's packages put shared libraries; the dynamic loader of Debian's glibc searches
// them by default, so an image needs no ld.so.cache.
var libDirs = []string{"lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu"}

// Dynamic reports the program interpreter and the DT_NEEDED libraries of an ELF file; ok is false for a
// file that is not ELF. A static executable has no interpreter and needs nothing.
func Dynamic(file string) (interp string, needed []string, ok bool, err error) {
	if magic, err := readMagic(file); err != nil || magic != elf.ELFMAG {
		return "", nil, false, err
	}
	f, err := elf.Open(file)
	if err != nil {
		return "", nil, true, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				return "", nil, true, fmt.Errorf("%s: reading PT_INTERP: %w", file, err)
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	needed, err = f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return "", nil, true, fmt.Errorf("%s: %w", file, err)
	}
	return interp, needed, true, nil
}

// RequireStatic fails when an executable is dynamically linked: the Go images have no C library.
func RequireStatic(file string) error {
	interp, needed, ok, err := Dynamic(file)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s is not an ELF file", file)
	}
	if interp != "" || len(needed) > 0 {
		return fmt.Errorf("%s is dynamically linked (interpreter %q, needs %v): build it with CGO_ENABLED=0", file, interp, needed)
	}
	return nil
}

// Libraries returns the files (and the symbolic links that lead to them) that the ELF files of tree need
// at run time, resolved in the unpacked Debian packages under roots: the program interpreter and the
// transitive closure of DT_NEEDED. A library found nowhere is an error, so an image cannot ship with a
// binary that would fail to start.
func Libraries(tree Tree, roots []string) (Tree, error) {
	out := Tree{}
	var queue []string // host files to scan
	seen := map[string]bool{}
	for _, e := range tree {
		if e.Src != "" {
			queue = append(queue, e.Src)
		}
	}
	sort.Strings(queue)
	for len(queue) > 0 {
		file := queue[0]
		queue = queue[1:]
		if seen[file] {
			continue
		}
		seen[file] = true
		interp, needed, ok, err := Dynamic(file)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		var wants []string
		if interp != "" {
			wants = append(wants, strings.TrimPrefix(interp, "/"))
		}
		for _, lib := range needed {
			found := ""
			for _, dir := range libDirs {
				for _, root := range roots {
					if _, err := os.Lstat(filepath.Join(root, dir, lib)); err == nil {
						found = path.Join(dir, lib)
						break
					}
				}
				if found != "" {
					break
				}
			}
			if found == "" {
				return nil, fmt.Errorf("%s needs %s, which none of the Debian packages %v holds", file, lib, roots)
			}
			wants = append(wants, found)
		}
		for _, want := range wants {
			host, err := addResolved(out, roots, want)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			queue = append(queue, host)
		}
	}
	return out, nil
}

// addResolved adds the image path p from whichever root holds it, following symbolic links (each link
// and its target go into the image), and returns the host path of the final file.
func addResolved(out Tree, roots []string, p string) (string, error) {
	for hops := 0; hops < 16; hops++ {
		var host string
		for _, root := range roots {
			if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
				host = filepath.Join(root, p)
				break
			}
		}
		if host == "" {
			return "", fmt.Errorf("/%s is in none of the Debian packages %v", p, roots)
		}
		fi, err := os.Lstat(host)
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			out.Add(p, Entry{Src: host, Mode: fileMode(fi.Mode())})
			return host, nil
		}
		target, err := os.Readlink(host)
		if err != nil {
			return "", err
		}
		out.Add(p, Entry{Link: target})
		if path.IsAbs(target) {
			p = strings.TrimPrefix(path.Clean(target), "/")
		} else {
			p = path.Join(path.Dir(p), target)
		}
	}
	return "", fmt.Errorf("/%s: too many symbolic links", p)
}

// readMagic returns the first four bytes of a file ("" for a shorter one).
func readMagic(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b := make([]byte, 4)
	if _, err := io.ReadFull(f, b); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return "", nil
		}
		return "", err
	}
	return string(b), nil
}
