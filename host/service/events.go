package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// DefaultOrigin is the origin of an event or case created through the API
// without an integration or an origin of its own.
const DefaultOrigin = "api"

// CreateEvent is a security event as a client gives it to POST
// /v1/security-events.
type CreateEvent struct {
	// CustomerID may be left empty by a customer token (its own).
	CustomerID string
	// IntegrationID, optional, must be one of the customer's.
	IntegrationID string
	// Origin defaults to the integration's type, else DefaultOrigin.
	Origin string
	// OriginalID, when set, makes the event unique on (customer, origin,
	// original id): a repeat updates the stored event.
	OriginalID       string
	Title            string
	Description      string
	SecurityEventURL string
	Classification   sdk.Classification
	// DetectionTime defaults to now.
	DetectionTime    time.Time
	CreationTime     time.Time
	UpdateTime       time.Time
	MitreTags        []string
	Actions          []string
	DetectionEngines []string
	Severity         *SeverityInput
	Observables      []sdk.Observable
	IOCs             []IOCInput
}

// IOCInput is an indicator as a client gives it.
type IOCInput struct {
	Indicator string
	// Type is any letter case of an IOC type; "" is UNSPECIFIED.
	Type      string
	ExpiresAt time.Time
}

// checkIOC validates one indicator; prefix ("iocs[3]." or "") goes before
// the field names in errors.
func checkIOC(prefix string, in IOCInput) (store.IOC, error) {
	t, err := checkIOCType(prefix+"type", in.Type, true)
	if err != nil {
		return store.IOC{}, err
	}
	ind, err := checkIndicator(prefix+"indicator", in.Indicator, t)
	if err != nil {
		return store.IOC{}, err
	}
	return store.IOC{Indicator: ind, Type: t, ExpiresAt: in.ExpiresAt.UTC()}, nil
}

// ownCustomer resolves the customer a write names: a customer token may
// leave it empty (its own) and may name no other; an admin must name one.
// An unknown customer is not found.
func (s *Service) ownCustomer(ctx context.Context, who *store.Token, id, what string) (string, error) {
	if who == nil {
		return "", Unauthenticated("missing API token")
	}
	id = strings.TrimSpace(id)
	if !isAdmin(who) {
		if id != "" && id != who.CustomerID {
			return "", PermissionDenied("a customer token creates %s only for its own customer", what)
		}
		id = who.CustomerID
	}
	if id == "" {
		return "", InvalidField("customer_id", "customer_id is required")
	}
	if _, err := s.customer(ctx, who, id); err != nil {
		return "", err
	}
	return id, nil
}

// CreateEvent stores a security event given through the API and opens its
// case, as ingest does. With an original id it is unique on (customer,
// origin, original id): a repeat updates the stored event, keeping its id
// and case, and updated is true.
func (s *Service) CreateEvent(ctx context.Context, who *store.Token, req CreateEvent) (*store.Event, bool, error) {
	cid, err := s.ownCustomer(ctx, who, req.CustomerID, "events")
	if err != nil {
		return nil, false, err
	}
	e := store.Event{CustomerID: cid, Classification: req.Classification}
	origin := req.Origin
	if iid := strings.TrimSpace(req.IntegrationID); iid != "" {
		in, err := s.integration(ctx, who, cid, iid)
		if err != nil {
			return nil, false, err
		}
		e.IntegrationID = in.ID
		if strings.TrimSpace(origin) == "" {
			origin = in.Type
		}
	}
	if strings.TrimSpace(origin) == "" {
		origin = DefaultOrigin
	}
	if e.Origin, err = checkLine("origin", origin, MaxWordLen, true); err != nil {
		return nil, false, err
	}
	if e.OriginalID, err = checkLine("original_id", req.OriginalID, MaxIDLen, false); err != nil {
		return nil, false, err
	}
	if len(e.OriginalID) > MaxIDLen {
		return nil, false, InvalidField("original_id", "original_id is longer than %d bytes", MaxIDLen)
	}
	if e.Title, err = checkLine("title", req.Title, MaxTitleLen, true); err != nil {
		return nil, false, err
	}
	if e.Description, err = checkText("description", req.Description, false); err != nil {
		return nil, false, err
	}
	if e.SecurityEventURL, err = checkURL("security_event_url", req.SecurityEventURL); err != nil {
		return nil, false, err
	}
	cl := &e.Classification
	for _, f := range []struct {
		name string
		p    *string
	}{{"classification.type", &cl.Type}, {"classification.subtype", &cl.Subtype}, {"classification.vendor", &cl.Vendor}} {
		if *f.p, err = checkLine(f.name, *f.p, MaxWordLen, false); err != nil {
			return nil, false, err
		}
	}
	for _, f := range []struct {
		name string
		in   []string
		out  *[]string
	}{{"mitre_tags", req.MitreTags, &e.MitreTags}, {"actions", req.Actions, &e.Actions}, {"detection_engines", req.DetectionEngines, &e.DetectionEngines}} {
		if *f.out, err = checkList(f.name, f.in); err != nil {
			return nil, false, err
		}
	}
	if req.Severity == nil {
		return nil, false, InvalidField("severity", "severity is required: {\"value\": 0-100} or {\"level\": ...}")
	}
	if e.Severity, err = checkSeverity("severity", *req.Severity); err != nil {
		return nil, false, err
	}
	e.DetectionTime, e.CreationTime, e.UpdateTime = req.DetectionTime.UTC(), req.CreationTime.UTC(), req.UpdateTime.UTC()
	if req.DetectionTime.IsZero() {
		e.DetectionTime = s.now().UTC()
	}
	if len(req.Observables) > MaxObservables {
		return nil, false, InvalidField("observables", "observables has more than %d items", MaxObservables)
	}
	e.Observables = make([]sdk.Observable, 0, len(req.Observables))
	for i, o := range req.Observables {
		ob, err := checkObservable(fieldAt("observables", i), o)
		if err != nil {
			return nil, false, err
		}
		e.Observables = append(e.Observables, ob)
	}
	if len(req.IOCs) > MaxIOCs {
		return nil, false, InvalidField("iocs", "iocs has more than %d items", MaxIOCs)
	}
	e.IOCs = make([]store.IOC, 0, len(req.IOCs))
	seen := map[string]bool{}
	for i, in := range req.IOCs {
		ioc, err := checkIOC(fieldAt("iocs", i)+".", in)
		if err != nil {
			return nil, false, err
		}
		if !seen[ioc.Indicator] {
			seen[ioc.Indicator] = true
			e.IOCs = append(e.IOCs, ioc)
		}
	}
	updated, err := s.store.CreateEvent(ctx, &e)
	if errors.Is(err, store.ErrInvalid) {
		return nil, false, &Error{Kind: ErrInvalidArgument, Message: "the event cannot be stored as given", Err: err}
	}
	if err != nil {
		return nil, false, storeError(err, "security event", e.OriginalID)
	}
	return &e, updated, nil
}

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
