package plugin

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// FilePrefix starts the name of every plugin binary.
const FilePrefix = "outpost-plugin-"

// PinFile is the name of the optional checksum file in the plugin directory,
// in sha256sum format ("<hex>  <file name>" per line). When it exists, only
// the binaries it lists, with those sums, are run.
const PinFile = "plugins.sha256"

var nameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// candidate is one plugin file as the directory shows it, before it runs.
type candidate struct {
	name string
	path string // in the plugin directory
	exe  string // the file it resolves to, the one that is run
	sha  string
	// err refuses the file without running it.
	err error
}

// inspect lists the plugin files of the directory and checks each.
func (m *Manager) inspect(ctx context.Context) ([]candidate, error) {
	dir, err := filepath.Abs(m.opts.Dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(realDir); err == nil && st.Mode().Perm()&0o002 != 0 {
		m.log.Warn("plugin directory is world-writable: anyone can replace a plugin", "dir", dir)
	}
	pins, pinErr := readPins(filepath.Join(dir, PinFile))
	var out []candidate
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fname := e.Name()
		name, ok := strings.CutPrefix(fname, FilePrefix)
		if !ok {
			continue
		}
		if !nameRE.MatchString(name) {
			m.log.Warn("ignoring plugin file: the name after "+FilePrefix+" must be [a-z0-9_-]+", "file", fname)
			continue
		}
		c := candidate{name: name, path: filepath.Join(dir, fname)}
		c.exe, c.sha, c.err = checkFile(realDir, c.path)
		if c.err == nil {
			c.err = checkPin(pins, pinErr, fname, c.sha)
		}
		out = append(out, c)
	}
	return out, nil
}

// checkFile refuses what must never run and returns the file to run and its
// sha256.
func checkFile(realDir, path string) (exe, sum string, err error) {
	lst, err := os.Lstat(path)
	if err != nil {
		return "", "", err
	}
	exe = path
	if lst.Mode()&fs.ModeSymlink != 0 {
		exe, err = filepath.EvalSymlinks(path)
		if err != nil {
			return "", "", fmt.Errorf("resolving symlink: %w", err)
		}
		rel, err := filepath.Rel(realDir, exe)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
			return "", "", fmt.Errorf("refusing a symlink that resolves outside the plugin directory (to %s)", exe)
		}
	}
	st, err := os.Stat(exe)
	if err != nil {
		return "", "", err
	}
	mode := st.Mode()
	switch {
	case !mode.IsRegular():
		return "", "", fmt.Errorf("not a regular file (mode %s)", mode)
	case mode.Perm()&0o002 != 0:
		return "", "", fmt.Errorf("refusing a world-writable file (mode %s): anyone could replace it", mode)
	case mode.Perm()&0o111 == 0:
		return "", "", fmt.Errorf("not executable (mode %s)", mode)
	}
	sum, err = fileSHA256(exe)
	if err != nil {
		return "", "", err
	}
	return exe, sum, nil
}

// fileSHA256 returns the hex sha256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// readPins parses the pin file: nil, nil when there is none.
func readPins(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return map[string]string{}, fmt.Errorf("reading %s: %w", PinFile, err)
	}
	defer f.Close()
	pins := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sum, file, ok := strings.Cut(line, " ")
		file = strings.TrimPrefix(strings.TrimLeft(file, " "), "*") // "*" marks sha256sum's binary mode
		if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != sha256.Size || file == "" {
			return map[string]string{}, fmt.Errorf("%s line %d: want \"<sha256 hex>  <file name>\"", PinFile, n)
		}
		pins[filepath.Base(file)] = strings.ToLower(sum)
	}
	if err := sc.Err(); err != nil {
		return map[string]string{}, fmt.Errorf("reading %s: %w", PinFile, err)
	}
	return pins, nil
}

// checkPin applies the pin file, when there is one, to one binary.
func checkPin(pins map[string]string, pinErr error, file, sum string) error {
	switch {
	case pinErr != nil:
		return pinErr
	case pins == nil:
		return nil
	}
	want, ok := pins[file]
	switch {
	case !ok:
		return fmt.Errorf("not pinned: %s is not listed in %s", file, PinFile)
	case want != sum:
		return fmt.Errorf("checksum mismatch: %s pins sha256 %s, the file has %s", PinFile, want, sum)
	}
	return nil
}

// Scan reads the plugin directory: it starts every new binary, restarts
// every changed one on its new version (the old process drains), stops
// every removed one and retries every one that had failed. It returns an
// error only when the directory cannot be read; what became of each plugin
// is in List.
func (m *Manager) Scan(ctx context.Context) error {
	m.scanMu.Lock()
	defer m.scanMu.Unlock()
	if m.isClosed() {
		return ErrClosed
	}
	cands, err := m.inspect(ctx)
	if err != nil {
		return fmt.Errorf("scanning plugin directory %s: %w", m.opts.Dir, err)
	}

	m.mu.Lock()
	current := maps.Clone(m.plugins)
	m.mu.Unlock()

	var (
		wg      sync.WaitGroup
		started = make([]*instance, len(cands))
		seen    = map[string]bool{}
	)
	for i, c := range cands {
		seen[c.name] = true
		if cur := current[c.name]; cur != nil && c.err == nil && cur.unchanged(c) {
			continue
		}
		m.log.Info("plugin found", "name", c.name, "path", c.path, "sha256", c.sha)
		wg.Add(1)
		go func() {
			defer wg.Done()
			started[i] = m.load(ctx, c)
		}()
	}
	wg.Wait()

	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		for _, in := range started {
			if in != nil {
				in.kill()
				<-in.done
			}
		}
		return ErrClosed
	}
	var old []*instance
	for name, in := range m.plugins {
		if !seen[name] {
			delete(m.plugins, name)
			old = append(old, in)
			in.log.Info("plugin removed", "name", name, "sha256", in.sha)
		}
	}
	for _, in := range started {
		if in == nil {
			continue
		}
		if prev := m.plugins[in.name]; prev != nil {
			old = append(old, prev)
			if prev.sha != in.sha {
				in.log.Info("plugin replaced", "name", in.name, "old_sha256", prev.sha, "sha256", in.sha)
			}
		}
		m.plugins[in.name] = in
	}
	m.mu.Unlock()
	// Only now, with new calls going to the new instances, can the old ones
	// drain without a call finding nothing in between.
	for _, in := range old {
		in.drain()
	}
	m.scanned.Store(true)
	return nil
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}
