package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/outpost-soc/outpost/host/store"
)

// AdminTokenFile is the file under the data directory that holds the first
// admin token.
const AdminTokenFile = "admin.token"

// HashToken is the form a token is stored and looked up in.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// NewTokenSecret returns 32 random bytes, base64url without padding.
func NewTokenSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("reading random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// checkTokenText refuses a token that cannot travel in an Authorization
// header.
func checkTokenText(t string) error {
	if t == "" {
		return errors.New("token is empty")
	}
	for _, r := range t {
		if r <= ' ' || r > '~' {
			return errors.New("token must be printable ASCII without spaces")
		}
	}
	return nil
}

// EnsureAdminToken creates the first admin token on a store without tokens
// and writes it to <dataDir>/admin.token (0600, the token and a newline).
// envToken (OUTPOST_ADMIN_TOKEN) chooses the token; otherwise it is random.
// The path is logged, never the token. With tokens already stored it does
// nothing: only their hashes are kept, so the file cannot be remade.
func (s *Service) EnsureAdminToken(ctx context.Context, dataDir, envToken string) error {
	n, err := s.store.CountTokens(ctx)
	if err != nil {
		return fmt.Errorf("counting tokens: %w", err)
	}
	path := filepath.Join(dataDir, AdminTokenFile)
	if n > 0 {
		if _, err := os.Stat(path); err != nil {
			s.log.Warn("admin token file is missing; tokens exist, so it is not remade", "path", path)
		}
		return nil
	}
	token := strings.TrimSpace(envToken)
	if token == "" {
		if token, err = NewTokenSecret(); err != nil {
			return err
		}
	} else if err := checkTokenText(token); err != nil {
		return fmt.Errorf("OUTPOST_ADMIN_TOKEN: %w", err)
	}
	// The file first: a token stored whose file failed would be lost for
	// good, while a file whose token failed is simply rewritten next start.
	if err := writeFileAtomic(path, []byte(token+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing admin token file: %w", err)
	}
	if err := s.store.CreateToken(ctx, &store.Token{Name: "admin", Role: store.RoleAdmin, Hash: HashToken(token)}); err != nil {
		return fmt.Errorf("storing admin token: %w", err)
	}
	s.log.Info("admin token written", "path", path)
	return nil
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Authenticate returns the stored token of a client's token.
func (s *Service) Authenticate(ctx context.Context, token string) (*store.Token, error) {
	if checkTokenText(token) != nil {
		return nil, Unauthenticated("invalid API token")
	}
	t, err := s.store.TokenByHash(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, Unauthenticated("invalid API token")
	}
	if err != nil {
		return nil, fmt.Errorf("looking up token: %w", err)
	}
	return t, nil
}

// CreateToken is the body of POST /v1/tokens.
type CreateToken struct {
	Name       string
	Role       string
	CustomerID string
}

// CreateToken creates an API token (admin only) and returns it with its
// secret, which is shown this once.
func (s *Service) CreateToken(ctx context.Context, who *store.Token, req CreateToken) (*store.Token, string, error) {
	if err := requireAdmin(who); err != nil {
		return nil, "", err
	}
	name, err := checkName("name", req.Name)
	if err != nil {
		return nil, "", err
	}
	cid := strings.TrimSpace(req.CustomerID)
	switch req.Role {
	case store.RoleAdmin:
		if cid != "" {
			return nil, "", InvalidField("customer_id", "an admin token has no customer_id")
		}
	case store.RoleCustomer:
		if cid == "" {
			return nil, "", InvalidField("customer_id", "a customer token needs a customer_id")
		}
		if _, err := s.store.GetCustomer(ctx, cid); errors.Is(err, store.ErrNotFound) {
			return nil, "", InvalidField("customer_id", "customer %q does not exist", cid)
		} else if err != nil {
			return nil, "", fmt.Errorf("looking up customer: %w", err)
		}
	default:
		return nil, "", InvalidField("role", "role must be admin or customer, got %q", req.Role)
	}
	secret, err := NewTokenSecret()
	if err != nil {
		return nil, "", err
	}
	t := &store.Token{Name: name, Role: req.Role, CustomerID: cid, Hash: HashToken(secret)}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return nil, "", storeError(err, "token", name)
	}
	return t, secret, nil
}

// ListTokens lists the API tokens (admin only).
func (s *Service) ListTokens(ctx context.Context, who *store.Token, p store.Page) ([]store.Token, int, error) {
	if err := requireAdmin(who); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListTokens(ctx, p)
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	return list, total, nil
}

// DeleteToken deletes an API token (admin only). The last admin token is
// kept, so that the host is never left without one.
func (s *Service) DeleteToken(ctx context.Context, who *store.Token, id string) error {
	if err := requireAdmin(who); err != nil {
		return err
	}
	admins, found, err := s.countAdmins(ctx, id)
	if err != nil {
		return err
	}
	if found == nil {
		return NotFound("token", id)
	}
	if found.Role == store.RoleAdmin && admins <= 1 {
		return FailedPrecondition("token %q is the last admin token and cannot be deleted", id)
	}
	return storeError(s.store.DeleteToken(ctx, id), "token", id)
}

// countAdmins counts the admin tokens and finds token id among all tokens.
func (s *Service) countAdmins(ctx context.Context, id string) (int, *store.Token, error) {
	const take = 500
	admins := 0
	var found *store.Token
	for skip := 0; ; skip += take {
		list, total, err := s.store.ListTokens(ctx, store.Page{Skip: skip, Take: take})
		if err != nil {
			return 0, nil, fmt.Errorf("listing tokens: %w", err)
		}
		for i := range list {
			if list[i].Role == store.RoleAdmin {
				admins++
			}
			if list[i].ID == id {
				found = &list[i]
			}
		}
		if len(list) == 0 || skip+take >= total {
			return admins, found, nil
		}
	}
}
