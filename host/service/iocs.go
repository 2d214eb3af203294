package service

import (
	"context"
	"errors"
	"strings"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// IOCs are global: one record per indicator, whichever customers' events
// reported it, and the store keeps no index from a customer to the
// indicators of its events. Letting a customer token read them would tell
// it what other customers' events held, so every IOC route needs an admin
// token; a customer token reads the IOCs of its own events on the events
// (GET /v1/security-events/{id}).

func requireIOCAdmin(who *store.Token) error {
	if who == nil {
		return Unauthenticated("missing API token")
	}
	if !isAdmin(who) {
		return PermissionDenied("IOCs are shared by every customer: the IOC routes need an admin token (a customer token sees the IOCs of its own events on the events)")
	}
	return nil
}

// IOCFilter selects IOCs.
type IOCFilter struct {
	// Type is any letter case of an IOC type; "" for all.
	Type string
	// IncludeExpired also lists IOCs past their expires_at.
	IncludeExpired bool
}

// ListIOCs lists IOCs newest first (by first sight), those past their
// expiry left out unless f.IncludeExpired. Page.ToID is an indicator.
func (s *Service) ListIOCs(ctx context.Context, who *store.Token, f IOCFilter, p store.Page) ([]store.IOC, int, error) {
	if err := requireIOCAdmin(who); err != nil {
		return nil, 0, err
	}
	var t sdk.IOCType
	if f.Type != "" {
		var err error
		if t, err = checkIOCType("type", f.Type, false); err != nil {
			return nil, 0, err
		}
	}
	list, total, err := s.store.ListIOCs(ctx, t, f.IncludeExpired, p)
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	return list, total, nil
}

// GetIOC returns the IOC of an indicator, expired or not.
func (s *Service) GetIOC(ctx context.Context, who *store.Token, indicator string) (*store.IOC, error) {
	if err := requireIOCAdmin(who); err != nil {
		return nil, err
	}
	i, err := s.store.GetIOC(ctx, indicator)
	if err != nil {
		return nil, storeError(err, "ioc", indicator)
	}
	return i, nil
}

// PutIOC records an indicator: created when new (created true), else its
// type and expiry replaced by those given.
func (s *Service) PutIOC(ctx context.Context, who *store.Token, in IOCInput) (*store.IOC, bool, error) {
	if err := requireIOCAdmin(who); err != nil {
		return nil, false, err
	}
	if strings.TrimSpace(in.Type) == "" {
		return nil, false, InvalidField("type", "type is required: one of %s", iocTypeNames())
	}
	i, err := checkIOC("", in)
	if err != nil {
		return nil, false, err
	}
	created, err := s.store.PutIOC(ctx, &i)
	if errors.Is(err, store.ErrInvalid) {
		return nil, false, &Error{Kind: ErrInvalidArgument, Message: "the indicator cannot be stored as given", Err: err}
	}
	if err != nil {
		return nil, false, storeError(err, "ioc", i.Indicator)
	}
	return &i, created, nil
}
