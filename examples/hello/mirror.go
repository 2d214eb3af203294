package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/outpost-soc/outpost/sdk"
)

// statuses maps Outpost case statuses to the vendor's three.
var statuses = map[string]string{
	"UNKNOWN":             "open",
	"NEW":                 "open",
	"OPEN":                "open",
	"UNDER_INVESTIGATION": "in_progress",
	"PENDING":             "in_progress",
	"REPLIED":             "in_progress",
	"PROCESSING":          "in_progress",
	"ERRORED":             "in_progress",
	"CLOSED":              "closed",
}

// resolutions maps the final classification of a closed case.
var resolutions = map[string]string{
	"TRUE_POSITIVE":   "true_positive",
	"BENIGN_POSITIVE": "benign_positive",
	"FALSE_POSITIVE":  "false_positive",
	"UNDETERMINED":    "undetermined",
	"":                "undetermined",
}

// patch is the body of PATCH /api/v1/alerts/{id}; nil fields are left alone.
type patch struct {
	Status     *string `json:"status,omitempty"`
	Owner      *string `json:"owner,omitempty"`
	Resolution *string `json:"resolution,omitempty"`
}

type comment struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Mirror applies one case change at the vendor, effectively once: the
// vendor has no idempotency key, so the plugin reads before it writes. A
// field already at the wanted value is not written again, and a comment
// carries the change's marker, looked for before it is posted.
func (c *Connector) Mirror(ctx context.Context, req sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	ch := req.Change
	if ch.Kind == sdk.ChangeNotify {
		return nil, sdk.NotSupported("notify: hello is not a communication vendor")
	}
	if ch.OriginalID == "" {
		return nil, fmt.Errorf("hello mirror: change %s names no alert", ch.ID)
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	m := mirror{cl: cl, id: ch.OriginalID}
	switch ch.Kind {
	case sdk.ChangeStatus:
		st, ok := statuses[ch.Status]
		if !ok {
			return nil, fmt.Errorf("hello mirror: no vendor status for case status %q", ch.Status)
		}
		return m.set(ctx, func(a *alert) bool { return a.Status == st }, patch{Status: &st})
	case sdk.ChangeAssign:
		owner := ch.AssignedTo
		return m.set(ctx, func(a *alert) bool { return a.Owner == owner }, patch{Owner: &owner})
	case sdk.ChangeClose:
		res, ok := resolutions[strings.ToUpper(ch.FinalClassification)]
		if !ok {
			return nil, fmt.Errorf("hello mirror: no vendor resolution for %q", ch.FinalClassification)
		}
		closed := "closed"
		r, err := m.set(ctx, func(a *alert) bool { return a.Status == closed && a.Resolution == res },
			patch{Status: &closed, Resolution: &res})
		if err != nil || ch.CloseNotes == "" {
			return r, err
		}
		rc, err := m.comment(ctx, "Closed in Outpost: "+ch.CloseNotes, ch.Marker())
		if err != nil {
			return nil, err
		}
		return &sdk.MirrorResponse{Applied: r.Applied || rc.Applied, Message: r.Message + "; " + rc.Message}, nil
	case sdk.ChangeComment:
		return m.comment(ctx, ch.Comment, ch.Marker())
	}
	return nil, sdk.NotSupported("change kind " + string(ch.Kind))
}

// mirror writes to one alert.
type mirror struct {
	cl *client
	id string
}

func (m mirror) path(suffix string) string { return "/api/v1/alerts/" + url.PathEscape(m.id) + suffix }

// set PATCHes the alert unless done says it already holds the change.
func (m mirror) set(ctx context.Context, done func(*alert) bool, body patch) (*sdk.MirrorResponse, error) {
	var a alert
	if _, err := m.cl.http.DoJSON(ctx, http.MethodGet, m.path(""), nil, nil, &a); err != nil {
		return nil, m.wrap("reading", err)
	}
	if done(&a) {
		return &sdk.MirrorResponse{Applied: false, Message: "alert already up to date"}, nil
	}
	if _, err := m.cl.http.DoJSON(ctx, http.MethodPatch, m.path(""), nil, body, nil); err != nil {
		return nil, m.wrap("updating", err)
	}
	return &sdk.MirrorResponse{Applied: true, Message: "alert updated"}, nil
}

// comment posts text with the change's marker unless a comment carrying the
// marker is already there: the write of an earlier, retried delivery.
func (m mirror) comment(ctx context.Context, text, marker string) (*sdk.MirrorResponse, error) {
	var list struct {
		Comments []comment `json:"comments"`
	}
	if _, err := m.cl.http.DoJSON(ctx, http.MethodGet, m.path("/comments"), nil, nil, &list); err != nil {
		return nil, m.wrap("reading comments of", err)
	}
	for _, c := range list.Comments {
		if strings.Contains(c.Text, marker) {
			return &sdk.MirrorResponse{Applied: false, Message: "comment already posted as " + c.ID}, nil
		}
	}
	body := map[string]string{"text": strings.TrimSpace(text) + "\n\n" + marker}
	var posted comment
	if _, err := m.cl.http.DoJSON(ctx, http.MethodPost, m.path("/comments"), nil, body, &posted); err != nil {
		return nil, m.wrap("commenting on", err)
	}
	return &sdk.MirrorResponse{Applied: true, Message: "comment posted as " + posted.ID}, nil
}

func (m mirror) wrap(what string, err error) error {
	return fmt.Errorf("%s hello alert %s: %w", what, m.id, err)
}
