package service

import (
	"context"
	"errors"
	"strings"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// IOCs are global: one record per indicator, whichever customers' events
// reported it. An admin token sees them all; a customer token sees those
// its own customer's events named (or that an admin put for it), through
// the store's per-customer index, and any other indicator is not found, so
// that a customer cannot learn what other customers' events held. Only an
// admin records IOCs.

// iocCustomer returns the customer whose IOCs who sees, "" for all of
// them (an admin).
func iocCustomer(who *store.Token) (string, error) {
	switch {
	case who == nil:
		return "", Unauthenticated("missing API token")
	case isAdmin(who):
		return "", nil
	case who.Role == store.RoleCustomer && who.CustomerID != "":
		return who.CustomerID, nil
	}
	return "", PermissionDenied("this token sees no IOCs")
}

// IOCFilter selects IOCs.
type IOCFilter struct {
	// Type is any letter case of an IOC type; "" for all.
	Type string
	// IncludeExpired also lists IOCs past their expires_at.
	IncludeExpired bool
}

// ListIOCs lists IOCs newest first (by first sight), those past their
// expiry left out unless f.IncludeExpired; a customer token lists its own
// customer's. Page.ToID is an indicator (of that list).
func (s *Service) ListIOCs(ctx context.Context, who *store.Token, f IOCFilter, p store.Page) ([]store.IOC, int, error) {
	cust, err := iocCustomer(who)
	if err != nil {
		return nil, 0, err
	}
	var t sdk.IOCType
	if f.Type != "" {
		var err error
		if t, err = checkIOCType("type", f.Type, false); err != nil {
			return nil, 0, err
		}
	}
	var list []store.IOC
	var total int
	if cust != "" {
		list, total, err = s.store.ListCustomerIOCs(ctx, cust, t, f.IncludeExpired, p)
	} else {
		list, total, err = s.store.ListIOCs(ctx, t, f.IncludeExpired, p)
	}
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	return list, total, nil
}

// GetIOC returns the IOC of an indicator, expired or not; for a customer
// token, one of its customer's (any other is not found).
func (s *Service) GetIOC(ctx context.Context, who *store.Token, indicator string) (*store.IOC, error) {
	cust, err := iocCustomer(who)
	if err != nil {
		return nil, err
	}
	var i *store.IOC
	if cust != "" {
		i, err = s.store.GetCustomerIOC(ctx, cust, indicator)
	} else {
		i, err = s.store.GetIOC(ctx, indicator)
	}
	if err != nil {
		return nil, storeError(err, "ioc", indicator)
	}
	return i, nil
}

// PutIOC records an indicator (admin only): created when new (created
// true), else its type and expiry replaced by those given. With
// customerID, which must name a customer (else 400), the indicator is
// also listed among that customer's IOCs.
func (s *Service) PutIOC(ctx context.Context, who *store.Token, customerID string, in IOCInput) (*store.IOC, bool, error) {
	if who == nil {
		return nil, false, Unauthenticated("missing API token")
	}
	if !isAdmin(who) {
		return nil, false, PermissionDenied("recording IOCs needs an admin token")
	}
	if strings.TrimSpace(in.Type) == "" {
		return nil, false, InvalidField("type", "type is required: one of %s", iocTypeNames())
	}
	i, err := checkIOC("", in)
	if err != nil {
		return nil, false, err
	}
	var created bool
	if customerID != "" {
		created, err = s.store.PutCustomerIOC(ctx, customerID, &i)
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, InvalidField("customer_id", "customer %q does not exist", customerID)
		}
	} else {
		created, err = s.store.PutIOC(ctx, &i)
	}
	if errors.Is(err, store.ErrInvalid) {
		return nil, false, &Error{Kind: ErrInvalidArgument, Message: "the indicator cannot be stored as given", Err: err}
	}
	if err != nil {
		return nil, false, storeError(err, "ioc", i.Indicator)
	}
	return &i, created, nil
}
