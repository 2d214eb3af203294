package service

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/outpost-soc/outpost/host/store"
)

// MaxNameLen caps the names of customers, integrations and tokens.
const MaxNameLen = 200

func checkName(field, name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", InvalidField(field, "%s is required", field)
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "", InvalidField(field, "%s is longer than %d characters", field, MaxNameLen)
	case strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return "", InvalidField(field, "%s must not contain control characters", field)
	}
	return name, nil
}

// CreateCustomer creates a customer (admin only).
func (s *Service) CreateCustomer(ctx context.Context, who *store.Token, name string) (*store.Customer, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	name, err := checkName("name", name)
	if err != nil {
		return nil, err
	}
	c := &store.Customer{Name: name}
	if err := s.store.CreateCustomer(ctx, c); err != nil {
		return nil, storeError(err, "customer", name)
	}
	return c, nil
}

// GetCustomer returns a customer who may see.
func (s *Service) GetCustomer(ctx context.Context, who *store.Token, id string) (*store.Customer, error) {
	return s.customer(ctx, who, id)
}

// ListCustomers lists the customers who may see: all for an admin, its own
// for a customer token.
func (s *Service) ListCustomers(ctx context.Context, who *store.Token, p store.Page) ([]store.Customer, int, error) {
	if who == nil {
		return nil, 0, Unauthenticated("missing API token")
	}
	if isAdmin(who) {
		list, total, err := s.store.ListCustomers(ctx, p)
		if err != nil {
			return nil, 0, pageError(err, p)
		}
		return list, total, nil
	}
	c, err := s.customer(ctx, who, who.CustomerID)
	if errors.Is(err, ErrNotFound) {
		return []store.Customer{}, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	return pageSlice([]store.Customer{*c}, p), 1, nil
}

// UpdateCustomer renames a customer (admin only; a customer token gets
// not-found for a foreign id and permission denied for its own).
func (s *Service) UpdateCustomer(ctx context.Context, who *store.Token, id string, name *string) (*store.Customer, error) {
	if _, err := s.customer(ctx, who, id); err != nil {
		return nil, err
	}
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	var newName string
	if name != nil {
		n, err := checkName("name", *name)
		if err != nil {
			return nil, err
		}
		newName = n
	}
	c, err := s.store.UpdateCustomer(ctx, id, func(c *store.Customer) error {
		if newName != "" {
			c.Name = newName
		}
		return nil
	})
	if err != nil {
		return nil, storeError(err, "customer", id)
	}
	return c, nil
}

// DeleteCustomer deletes a customer that has no integrations, events or
// cases (admin only): refusing keeps them from being orphaned.
func (s *Service) DeleteCustomer(ctx context.Context, who *store.Token, id string) error {
	if _, err := s.customer(ctx, who, id); err != nil {
		return err
	}
	if err := requireAdmin(who); err != nil {
		return err
	}
	err := s.store.DeleteCustomer(ctx, id)
	var use *store.CustomerInUseError
	if errors.As(err, &use) {
		if use.Integrations > 0 {
			return FailedPrecondition("customer %q still has %d integrations, %d security events and %d cases: delete its integrations first; a customer with events or cases cannot be deleted", id, use.Integrations, use.Events, use.Cases)
		}
		return FailedPrecondition("customer %q still has %d security events and %d cases: a customer with events or cases cannot be deleted", id, use.Events, use.Cases)
	}
	if errors.Is(err, store.ErrConflict) {
		return FailedPrecondition("customer %q is in use and cannot be deleted", id)
	}
	return storeError(err, "customer", id)
}

// pageSlice applies a page to a list the service holds whole.
func pageSlice[T any](all []T, p store.Page) []T {
	if p.Take <= 0 {
		return nil
	}
	if p.Skip >= len(all) {
		return []T{}
	}
	end := p.Skip + p.Take
	if end > len(all) {
		end = len(all)
	}
	return all[p.Skip:end]
}
