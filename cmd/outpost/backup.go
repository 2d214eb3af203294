package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// backup asks a running host for GET /v1/backup and writes the snapshot to
// a file, atomically: a failed download leaves no half-written file.
func backup(args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	to := fs.String("to", "", "file to write the snapshot to (required)")
	fs.StringVar(to, "out", "", "same as --to")
	addr := fs.String("url", env("OUTPOST_URL", "http://"+env("OUTPOST_LISTEN", "127.0.0.1:8080")), "the host's base URL")
	dataDir := fs.String("data-dir", env("OUTPOST_DATA_DIR", "./data"), "data directory whose admin.token to use when no token is given")
	token := fs.String("token", os.Getenv("OUTPOST_TOKEN"), "an admin API token (default: <data-dir>/admin.token)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *to == "" {
		return errors.New("backup: --to FILE is required")
	}
	if *token == "" {
		b, err := os.ReadFile(filepath.Join(*dataDir, "admin.token"))
		if err != nil {
			return fmt.Errorf("backup: no --token and no admin token file: %w", err)
		}
		*token = strings.TrimSpace(string(b))
	}
	req, err := http.NewRequest(http.MethodGet, strings.TrimRight(*addr, "/")+"/v1/backup", nil)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	req.Header.Set("Authorization", "ApiToken "+*token)
	client := &http.Client{Timeout: 30 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("backup: host answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	tmp, err := os.CreateTemp(filepath.Dir(*to), ".outpost-backup-*")
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, resp.Body)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("backup: writing %s: %w", *to, err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), *to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(os.Stderr, "backup: wrote %d bytes to %s\n", n, *to)
	return nil
}
