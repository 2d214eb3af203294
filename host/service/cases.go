package service

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/host/store"
)

// The final classifications of a closed case (API.md).
const (
	TruePositive   = "TRUE_POSITIVE"
	BenignPositive = "BENIGN_POSITIVE"
	FalsePositive  = "FALSE_POSITIVE"
	Undetermined   = "UNDETERMINED"
)

var finalClassifications = []string{TruePositive, BenignPositive, FalsePositive, Undetermined}

// CaseStatuses are the case statuses of API.md.
var CaseStatuses = []string{store.CaseUnknown, store.CaseNew, store.CaseUnderInvestigation, store.CaseOpen,
	store.CasePending, store.CaseReplied, store.CaseProcessing, store.CaseClosed, store.CaseErrored}

// Bounds of the numeric case fields.
const (
	// MaxTier is the highest tier; 0 means none.
	MaxTier = 10
	// MaxSpentTimeMin is a year in minutes.
	MaxSpentTimeMin = 366 * 24 * 60
	// maxParentDepth bounds the walk that refuses a parent cycle.
	maxParentDepth = 64
)

// errUnchanged aborts a case update that would change nothing, so that a
// repeated request neither writes nor bumps updated_at.
var errUnchanged = errors.New("case unchanged")

// Annotation is a named link on a case.
type Annotation struct {
	Name     string
	URL      string
	URLLabel string
}

// CreateCase is a case as a client opens it with POST /v1/cases.
type CreateCase struct {
	// CustomerID may be left empty by a customer token (its own).
	CustomerID string
	// SecurityEventID links the case to one of the customer's events;
	// title, description, severity, mitre, origin and first
	// classification then default to the event's.
	SecurityEventID     string
	ParentID            string
	Title               string
	Description         string
	Category            string
	AssignedTo          string
	FirstClassification string
	Severity            *SeverityInput
	Tier                int
	SpentTimeMin        int
	Tags                []string
	Subscribers         []string
	Mitre               []string
	Annotations         map[string]Annotation
}

// UpdateCase is a PATCH of a case: nil fields stay as they are.
type UpdateCase struct {
	Title        *string
	Description  *string
	Category     *string
	ParentID     *string
	Status       *string
	Severity     *SeverityInput
	Tier         *int
	SpentTimeMin *int
	Tags         *[]string
	Subscribers  *[]string
	Mitre        *[]string
	Annotations  *map[string]Annotation
}

func (u UpdateCase) empty() bool { return reflect.ValueOf(u).IsZero() }

// CloseCase is the body of POST .../close.
type CloseCase struct {
	CloseNotes string
	// FinalClassification is any letter case of TRUE_POSITIVE,
	// BENIGN_POSITIVE, FALSE_POSITIVE or UNDETERMINED; "" is UNDETERMINED.
	FinalClassification string
}

// CaseSearch selects cases; zero fields match everything.
type CaseSearch struct {
	Statuses   []string
	Severities []string
	CustomerID string
	AssignedTo string
	Text       string
	// From and To bound created_at: [From, To).
	From, To time.Time
}

func checkStatus(field, s string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, x := range CaseStatuses {
		if x == u {
			return u, nil
		}
	}
	return "", InvalidField(field, "%s must be one of %s, got %q", field, strings.Join(CaseStatuses, ", "), s)
}

func checkClassification(s string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	if u == "" {
		return Undetermined, nil
	}
	for _, x := range finalClassifications {
		if x == u {
			return u, nil
		}
	}
	return "", InvalidField("final_classification", "final_classification must be one of %s, got %q",
		strings.Join(finalClassifications, ", "), s)
}

func checkInt(field string, v, max int) error {
	if v < 0 || v > max {
		return InvalidField(field, "%s must be from 0 to %d, got %d", field, max, v)
	}
	return nil
}

func checkAnnotations(in map[string]Annotation) (map[string]store.Annotation, error) {
	if len(in) > MaxAnnotations {
		return nil, InvalidField("annotations", "annotations has more than %d entries", MaxAnnotations)
	}
	out := make(map[string]store.Annotation, len(in))
	for k, a := range in {
		field := "annotations.annotations." + k
		key, err := checkLine("annotations key", k, MaxWordLen, true)
		if err != nil {
			return nil, err
		}
		if key != k {
			return nil, InvalidField(field, "annotation key %q has surrounding spaces", k)
		}
		var sa store.Annotation
		if sa.Name, err = checkLine(field+".name", a.Name, MaxWordLen, false); err != nil {
			return nil, err
		}
		if sa.URL.URL, err = checkURL(field+".url.url", a.URL); err != nil {
			return nil, err
		}
		if sa.URL.Label, err = checkLine(field+".url.label", a.URLLabel, MaxWordLen, false); err != nil {
			return nil, err
		}
		out[key] = sa
	}
	return out, nil
}

// checkParent checks that parentID, when set, is a case who may see, of
// the same customer, and that making it self's parent closes no cycle.
func (s *Service) checkParent(ctx context.Context, who *store.Token, customerID, self, parentID string) (string, error) {
	parentID = strings.TrimSpace(parentID)
	if parentID == "" {
		return "", nil
	}
	if parentID == self {
		return "", InvalidField("parent_id", "a case cannot be its own parent")
	}
	p, err := s.visibleCase(ctx, who, parentID)
	if err != nil {
		return "", err
	}
	if p.CustomerID != customerID {
		return "", InvalidField("parent_id", "parent_id must be a case of the same customer")
	}
	cur := p
	for range maxParentDepth {
		if cur.ParentID == "" {
			return p.ID, nil
		}
		if self != "" && cur.ParentID == self {
			return "", InvalidField("parent_id", "parent_id %q would make a cycle of parents", parentID)
		}
		next, err := s.store.GetCase(ctx, cur.ParentID)
		if errors.Is(err, store.ErrNotFound) {
			return p.ID, nil
		}
		if err != nil {
			return "", storeError(err, "case", cur.ParentID)
		}
		cur = next
	}
	return "", InvalidField("parent_id", "parent_id %q has more than %d ancestors", parentID, maxParentDepth)
}

// CreateCase opens a case by hand. A customer token opens cases only for
// its own customer.
func (s *Service) CreateCase(ctx context.Context, who *store.Token, req CreateCase) (*store.Case, error) {
	cid, err := s.ownCustomer(ctx, who, req.CustomerID, "cases")
	if err != nil {
		return nil, err
	}
	c := &store.Case{CustomerID: cid, Origin: DefaultOrigin, Status: store.CaseNew}
	var sev store.Severity
	if evID := strings.TrimSpace(req.SecurityEventID); evID != "" {
		ev, err := s.GetEvent(ctx, who, evID)
		if err != nil {
			return nil, err
		}
		if ev.CustomerID != cid {
			return nil, InvalidField("security_event_id", "security_event_id must be an event of the case's customer")
		}
		c.SecurityEventID, c.Origin = ev.ID, ev.Origin
		// The case mirrors through the event's integration while it
		// exists; a deleted one leaves the case without.
		if ev.IntegrationID != "" {
			if _, err := s.store.GetIntegration(ctx, ev.IntegrationID); err == nil {
				c.IntegrationID = ev.IntegrationID
			} else if !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("reading the event's integration: %w", err)
			}
		}
		c.Title, c.Description, c.FirstClassification = ev.Title, ev.Description, ev.Classification.Type
		c.Mitre, sev = ev.MitreTags, ev.Severity
	}
	if strings.TrimSpace(req.Title) != "" {
		c.Title = req.Title
	}
	if c.Title, err = checkLine("title", c.Title, MaxTitleLen, true); err != nil {
		return nil, err
	}
	if req.Description != "" {
		c.Description = req.Description
	}
	if c.Description, err = checkText("description", c.Description, false); err != nil {
		return nil, err
	}
	if req.FirstClassification != "" {
		c.FirstClassification = req.FirstClassification
	}
	if c.FirstClassification, err = checkLine("first_classification", c.FirstClassification, MaxWordLen, false); err != nil {
		return nil, err
	}
	if req.Severity != nil {
		if sev, err = checkSeverity("severity", *req.Severity); err != nil {
			return nil, err
		}
	}
	c.Severity = store.NewSeverity(sev.Value)
	if c.Category, err = checkLine("category", req.Category, MaxWordLen, false); err != nil {
		return nil, err
	}
	if c.AssignedTo, err = checkLine("assigned_to", req.AssignedTo, MaxWordLen, false); err != nil {
		return nil, err
	}
	if err := checkInt("tier", req.Tier, MaxTier); err != nil {
		return nil, err
	}
	if err := checkInt("spent_time_min", req.SpentTimeMin, MaxSpentTimeMin); err != nil {
		return nil, err
	}
	c.Tier, c.SpentTimeMin = req.Tier, req.SpentTimeMin
	if c.Tags, err = checkList("tags", req.Tags); err != nil {
		return nil, err
	}
	if c.Subscribers, err = checkList("subscribers", req.Subscribers); err != nil {
		return nil, err
	}
	if req.Mitre != nil {
		c.Mitre = req.Mitre
	}
	if c.Mitre, err = checkList("mitre", c.Mitre); err != nil {
		return nil, err
	}
	if c.Annotations, err = checkAnnotations(req.Annotations); err != nil {
		return nil, err
	}
	if c.ParentID, err = s.checkParent(ctx, who, cid, "", req.ParentID); err != nil {
		return nil, err
	}
	if err := s.store.CreateCase(ctx, c); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// Deleted between the checks above and the write.
			return nil, &Error{Kind: ErrNotFound, Message: "the case's customer or security event no longer exists", Err: err}
		}
		return nil, caseStoreError(err, c.ID)
	}
	return c, nil
}

// caseStoreError maps the store's refusals of a case write.
func caseStoreError(err error, id string) error {
	if errors.Is(err, store.ErrInvalid) {
		return &Error{Kind: ErrInvalidArgument, Message: "the case cannot be stored as given", Err: err}
	}
	return storeError(err, "case", id)
}

// GetCase returns a case; another customer's is not found.
func (s *Service) GetCase(ctx context.Context, who *store.Token, id string) (*store.Case, error) {
	return s.visibleCase(ctx, who, id)
}

// checkTransition refuses the status changes that make no sense. A CLOSED
// case only reopens (OPEN); closing goes through CloseCase, which records
// the notes, classification and who closed it; UNKNOWN is what a vendor
// reports when it cannot say, never something to set.
func checkTransition(id, from, to string) error {
	switch {
	case from == to:
		return nil
	case from == store.CaseClosed && to != store.CaseOpen:
		return FailedPrecondition("case %q is CLOSED: it can only be reopened (status OPEN), not moved to %s", id, to)
	case to == store.CaseClosed:
		return InvalidField("status", "close a case with POST /v1/cases/%s/close, which records the close notes and final classification", id)
	case to == store.CaseUnknown:
		return InvalidField("status", "status UNKNOWN cannot be set")
	}
	return nil
}

func closedError(id string) error {
	return FailedPrecondition("case %q is CLOSED: reopen it (PATCH status OPEN) before changing it", id)
}

// update runs one change of a case who may see (the caller checked),
// mirrored to the vendor when its integration mirrors. fn works on the
// case as stored now and returns errUnchanged when it changes nothing; the
// case is then returned as it is.
func (s *Service) update(ctx context.Context, who *store.Token, id string, fn func(c *store.Case) error) (*store.Case, error) {
	var current store.Case
	c, err := s.store.UpdateCase(ctx, id, store.CaseUpdate{Actor: actor(who), Mirror: true}, func(c *store.Case) error {
		current = *c
		return fn(c)
	})
	if errors.Is(err, errUnchanged) {
		return &current, nil
	}
	if err != nil {
		return nil, caseStoreError(err, id)
	}
	return c, nil
}

// UpdateCase changes the fields req sets. On a CLOSED case only a reopen
// (status OPEN), with or without other changes, is accepted; a reopen
// clears closed_at, closed_by and final_classification (the history keeps
// them). The status change, when there is one, is mirrored.
func (s *Service) UpdateCase(ctx context.Context, who *store.Token, id string, req UpdateCase) (*store.Case, error) {
	cur, err := s.visibleCase(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if req.empty() {
		return cur, nil
	}
	var (
		status, title, desc, category, parent string
		sev                                   store.Severity
		tags, subs, mitre                     []string
		ann                                   map[string]store.Annotation
	)
	if req.Status != nil {
		if status, err = checkStatus("status", *req.Status); err != nil {
			return nil, err
		}
	}
	if req.Title != nil {
		if title, err = checkLine("title", *req.Title, MaxTitleLen, true); err != nil {
			return nil, err
		}
	}
	if req.Description != nil {
		if desc, err = checkText("description", *req.Description, false); err != nil {
			return nil, err
		}
	}
	if req.Category != nil {
		if category, err = checkLine("category", *req.Category, MaxWordLen, false); err != nil {
			return nil, err
		}
	}
	if req.Severity != nil {
		if sev, err = checkSeverity("severity", *req.Severity); err != nil {
			return nil, err
		}
	}
	if req.Tier != nil {
		if err := checkInt("tier", *req.Tier, MaxTier); err != nil {
			return nil, err
		}
	}
	if req.SpentTimeMin != nil {
		if err := checkInt("spent_time_min", *req.SpentTimeMin, MaxSpentTimeMin); err != nil {
			return nil, err
		}
	}
	if req.Tags != nil {
		if tags, err = checkList("tags", *req.Tags); err != nil {
			return nil, err
		}
	}
	if req.Subscribers != nil {
		if subs, err = checkList("subscribers", *req.Subscribers); err != nil {
			return nil, err
		}
	}
	if req.Mitre != nil {
		if mitre, err = checkList("mitre", *req.Mitre); err != nil {
			return nil, err
		}
	}
	if req.Annotations != nil {
		if ann, err = checkAnnotations(*req.Annotations); err != nil {
			return nil, err
		}
	}
	if req.ParentID != nil {
		// Read outside the transaction: a parent deleted meanwhile leaves
		// a dangling parent_id, which readers treat as none.
		if parent, err = s.checkParent(ctx, who, cur.CustomerID, id, *req.ParentID); err != nil {
			return nil, err
		}
	}
	return s.update(ctx, who, id, func(c *store.Case) error {
		before := *c
		if req.Status != nil {
			if err := checkTransition(id, c.Status, status); err != nil {
				return err
			}
			if c.Status == store.CaseClosed && status == store.CaseOpen {
				c.ClosedAt, c.ClosedBy, c.FinalClassification = time.Time{}, "", ""
			}
			c.Status = status
		}
		if req.Title != nil {
			c.Title = title
		}
		if req.Description != nil {
			c.Description = desc
		}
		if req.Category != nil {
			c.Category = category
		}
		// A level alone that the case already has keeps its finer value.
		if req.Severity != nil && (req.Severity.Value != nil || c.Severity.Level != sev.Level) {
			c.Severity = sev
		}
		if req.Tier != nil {
			c.Tier = *req.Tier
		}
		if req.SpentTimeMin != nil {
			c.SpentTimeMin = *req.SpentTimeMin
		}
		if req.Tags != nil {
			c.Tags = tags
		}
		if req.Subscribers != nil {
			c.Subscribers = subs
		}
		if req.Mitre != nil {
			c.Mitre = mitre
		}
		if req.Annotations != nil {
			c.Annotations = ann
		}
		if req.ParentID != nil {
			c.ParentID = parent
		}
		if reflect.DeepEqual(before, *c) {
			return errUnchanged
		}
		if before.Status == store.CaseClosed && c.Status == store.CaseClosed {
			return closedError(id)
		}
		return nil
	})
}

// AssignCase sets (or, with "", clears) a case's assignee; it is mirrored.
// A CLOSED case is not reassigned.
func (s *Service) AssignCase(ctx context.Context, who *store.Token, id, assignee string) (*store.Case, error) {
	if _, err := s.visibleCase(ctx, who, id); err != nil {
		return nil, err
	}
	a, err := checkLine("assigned_to", assignee, MaxWordLen, false)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, who, id, func(c *store.Case) error {
		if c.AssignedTo == a {
			return errUnchanged
		}
		if c.Status == store.CaseClosed {
			return closedError(id)
		}
		c.AssignedTo = a
		return nil
	})
}

// CloseCase closes a case: status CLOSED, its notes and final
// classification, closed_at now and closed_by the acting token's name. It
// is mirrored. Closing a CLOSED case is a failed precondition.
func (s *Service) CloseCase(ctx context.Context, who *store.Token, id string, req CloseCase) (*store.Case, error) {
	if _, err := s.visibleCase(ctx, who, id); err != nil {
		return nil, err
	}
	class, err := checkClassification(req.FinalClassification)
	if err != nil {
		return nil, err
	}
	notes, err := checkText("close_notes", req.CloseNotes, false)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, who, id, func(c *store.Case) error {
		if c.Status == store.CaseClosed {
			return FailedPrecondition("case %q is already CLOSED", id)
		}
		c.Status, c.CloseNotes, c.FinalClassification = store.CaseClosed, notes, class
		c.ClosedAt, c.ClosedBy = s.now().UTC(), actor(who)
		return nil
	})
}

// SearchCases lists the cases that match f, newest first. A customer token
// searches only its own customer's cases; naming another customer is
// permission denied.
func (s *Service) SearchCases(ctx context.Context, who *store.Token, f CaseSearch, p store.Page) ([]store.Case, int, error) {
	if who == nil {
		return nil, 0, Unauthenticated("missing API token")
	}
	sf := store.CaseFilter{CustomerID: strings.TrimSpace(f.CustomerID), From: f.From, To: f.To}
	if !isAdmin(who) {
		if sf.CustomerID != "" && sf.CustomerID != who.CustomerID {
			return nil, 0, PermissionDenied("a customer token searches only its own customer's cases")
		}
		sf.CustomerID = who.CustomerID
	}
	if len(f.Statuses) > len(CaseStatuses) || len(f.Severities) > len(severityLevels) {
		return nil, 0, InvalidArgument("status and severity list each value at most once")
	}
	for i, st := range f.Statuses {
		v, err := checkStatus(fieldAt("status", i), st)
		if err != nil {
			return nil, 0, err
		}
		sf.Statuses = appendOnce(sf.Statuses, v)
	}
	for i, l := range f.Severities {
		v, err := checkLevel(fieldAt("severity", i), l)
		if err != nil {
			return nil, 0, err
		}
		sf.Severities = appendOnce(sf.Severities, v)
	}
	var err error
	if sf.AssignedTo, err = checkLine("assigned_to", f.AssignedTo, MaxWordLen, false); err != nil {
		return nil, 0, err
	}
	if sf.Text, err = checkLine("text", f.Text, MaxWordLen, false); err != nil {
		return nil, 0, err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, 0, InvalidField("from", "from must be before to")
	}
	list, total, err := s.store.SearchCases(ctx, sf, p)
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	return list, total, nil
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
