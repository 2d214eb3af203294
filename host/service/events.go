package service

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// ListEvents lists security events, newest first. A customer token sees only
// its own customer's; asking for another customer is permission denied.
func (s *Service) ListEvents(ctx context.Context, who *store.Token, f store.EventFilter, p store.Page) ([]store.Event, int, error) {
	if who == nil {
		return nil, 0, Unauthenticated("missing API token")
	}
	if !isAdmin(who) {
		if f.CustomerID != "" && f.CustomerID != who.CustomerID {
			return nil, 0, PermissionDenied("a customer token lists only its own customer's events")
		}
		f.CustomerID = who.CustomerID
	}
	if f.MinSeverity != "" {
		level := strings.ToUpper(f.MinSeverity)
		if _, err := sdk.LevelValue(level); err != nil {
			return nil, 0, InvalidField("severity", "severity must be one of NOT_VALID, LOW, MEDIUM, HIGH, CRITICAL, got %q", f.MinSeverity)
		}
		f.MinSeverity = level
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, 0, InvalidField("from", "from must be before to")
	}
	list, total, err := s.store.ListEvents(ctx, f, p)
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	return list, total, nil
}

// GetEvent returns a security event; another customer's is not found.
func (s *Service) GetEvent(ctx context.Context, who *store.Token, id string) (*store.Event, error) {
	if who == nil {
		return nil, Unauthenticated("missing API token")
	}
	e, err := s.store.GetEvent(ctx, id)
	if err != nil {
		return nil, storeError(err, "security event", id)
	}
	if !canSeeCustomer(who, e.CustomerID) {
		return nil, NotFound("security event", id)
	}
	return e, nil
}

// Backup writes a consistent snapshot of the database (admin only); nothing
// is written to w when it is refused.
func (s *Service) Backup(ctx context.Context, who *store.Token, w io.Writer) (int64, error) {
	if err := requireAdmin(who); err != nil {
		return 0, err
	}
	n, err := s.store.Backup(ctx, w)
	if err != nil {
		return n, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
