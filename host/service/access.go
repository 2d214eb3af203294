package service

import (
	"context"

	"github.com/outpost-soc/outpost/host/store"
)

// The isolation rule lives in this file: every method acting for a client
// goes through one of these before it reads or writes anything.

func isAdmin(who *store.Token) bool { return who != nil && who.Role == store.RoleAdmin }

// requireAdmin refuses anything but an admin token.
func requireAdmin(who *store.Token) error {
	if who == nil {
		return Unauthenticated("missing API token")
	}
	if !isAdmin(who) {
		return PermissionDenied("this needs an admin token")
	}
	return nil
}

// canSeeCustomer reports whether who may see customer id's data at all.
func canSeeCustomer(who *store.Token, id string) bool {
	if isAdmin(who) {
		return true
	}
	return who != nil && who.Role == store.RoleCustomer && who.CustomerID != "" && who.CustomerID == id
}

// customer loads a customer who may see; a foreign one is not found, so
// that its existence does not leak.
func (s *Service) customer(ctx context.Context, who *store.Token, id string) (*store.Customer, error) {
	if who == nil {
		return nil, Unauthenticated("missing API token")
	}
	if !canSeeCustomer(who, id) {
		return nil, NotFound("customer", id)
	}
	c, err := s.store.GetCustomer(ctx, id)
	if err != nil {
		return nil, storeError(err, "customer", id)
	}
	return c, nil
}

// integration loads integration id of customer customerID, which who may
// see; an integration of another customer is not found.
func (s *Service) integration(ctx context.Context, who *store.Token, customerID, id string) (*store.Integration, error) {
	if _, err := s.customer(ctx, who, customerID); err != nil {
		return nil, err
	}
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return nil, storeError(err, "integration", id)
	}
	if in.CustomerID != customerID {
		return nil, NotFound("integration", id)
	}
	return in, nil
}

// actor is the name an action is logged under.
func actor(who *store.Token) string {
	if who == nil {
		return "system"
	}
	return who.Name
}

// visibleCase loads case id, which who may see; another customer's case is
// not found. A case never changes customer, so a check here holds for an
// update that follows.
func (s *Service) visibleCase(ctx context.Context, who *store.Token, id string) (*store.Case, error) {
	if who == nil {
		return nil, Unauthenticated("missing API token")
	}
	c, err := s.store.GetCase(ctx, id)
	if err != nil {
		return nil, storeError(err, "case", id)
	}
	if !canSeeCustomer(who, c.CustomerID) {
		return nil, NotFound("case", id)
	}
	return c, nil
}
