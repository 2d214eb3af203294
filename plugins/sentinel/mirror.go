package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// Sentinel's incident statuses.
const (
	statusNew    = "New"
	statusActive = "Active"
	statusClosed = "Closed"
)

// statuses maps Outpost case statuses to Sentinel's. Every status in which
// someone works the case is Active; CLOSED is a close (see closeWith).
var statuses = map[string]string{
	"UNKNOWN":             statusNew,
	"NEW":                 statusNew,
	"OPEN":                statusActive,
	"UNDER_INVESTIGATION": statusActive,
	"PENDING":             statusActive,
	"REPLIED":             statusActive,
	"PROCESSING":          statusActive,
	"ERRORED":             statusActive,
	"CLOSED":              statusClosed,
}

// closing is Sentinel's classification of a closed incident, with the
// reason every classification but Undetermined requires.
type closing struct{ classification, reason string }

// closings maps the final classification of a closed case.
var closings = map[string]closing{
	"TRUE_POSITIVE":   {"TruePositive", "SuspiciousActivity"},
	"BENIGN_POSITIVE": {"BenignPositive", "SuspiciousButExpected"},
	"FALSE_POSITIVE":  {"FalsePositive", "IncorrectAlertLogic"},
	"UNDETERMINED":    {"Undetermined", ""},
	"":                {"Undetermined", ""},
}

// Mirror applies one case change to the incident, effectively once.
// Status, owner and classification are idempotent by nature: the incident is
// read first and not written when it already holds the change. An incident
// PUT carries the whole incident as read with its etag; when someone else
// changed it in between (409, or 412), it is read again and the change
// applied once more. A comment's id is derived from the change id, so a
// redelivered comment finds itself already there.
//
// Our own writes come back to Poll as incidents with a newer
// lastModifiedTimeUtc; the host updates the stored event and does not
// mirror event updates, only changes made in Outpost, so they never loop.
func (c *Connector) Mirror(ctx context.Context, req sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	ch := req.Change
	if ch.Kind == sdk.ChangeNotify {
		return nil, sdk.NotSupported("notify: Microsoft Sentinel is not a communication vendor")
	}
	switch ch.Kind {
	case sdk.ChangeStatus, sdk.ChangeAssign, sdk.ChangeClose, sdk.ChangeComment:
	default:
		return nil, sdk.NotSupported("change kind " + string(ch.Kind))
	}
	if ch.OriginalID == "" {
		return nil, fmt.Errorf("sentinel mirror: change %s names no incident", ch.ID)
	}
	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	name := ch.OriginalID
	switch ch.Kind {
	case sdk.ChangeStatus:
		st, ok := statuses[strings.ToUpper(ch.Status)]
		if !ok {
			return nil, fmt.Errorf("sentinel mirror: no Sentinel status for case status %q", ch.Status)
		}
		if st == statusClosed {
			// Closed without a final classification: Undetermined, the one
			// classification Sentinel takes without a reason.
			return cl.update(ctx, name, closeWith(closings[""], "", true))
		}
		return cl.update(ctx, name, func(d *incidentDoc) bool {
			if d.str("status") == st {
				return false
			}
			d.set("status", st)
			return true
		})
	case sdk.ChangeAssign:
		return cl.update(ctx, name, assign(ch.AssignedTo))
	case sdk.ChangeClose:
		cls, ok := closings[strings.ToUpper(ch.FinalClassification)]
		if !ok {
			return nil, fmt.Errorf("sentinel mirror: no Sentinel classification for %q", ch.FinalClassification)
		}
		return cl.update(ctx, name, closeWith(cls, ch.CloseNotes, false))
	}
	return cl.comment(ctx, name, commentID(ch.ID), ch.Comment)
}

// closeWith closes an incident with cls and notes as its classification
// comment. anyClass accepts any classification already there (a status
// change to CLOSED says nothing about it).
func closeWith(cls closing, notes string, anyClass bool) func(*incidentDoc) bool {
	return func(d *incidentDoc) bool {
		if d.str("status") == statusClosed &&
			(anyClass || d.str("classification") == cls.classification &&
				d.str("classificationReason") == cls.reason &&
				(notes == "" || d.str("classificationComment") == notes)) {
			return false
		}
		d.set("status", statusClosed)
		d.set("classification", cls.classification)
		d.set("classificationReason", cls.reason)
		if notes != "" {
			d.set("classificationComment", notes)
		}
		return true
	}
}

// assign sets the owner. Sentinel resolves an owner by objectId or
// userPrincipalName; an Outpost assignee is a name or an e-mail, so it goes
// in assignedTo, and an e-mail in email and userPrincipalName as well. The
// previous owner's fields are dropped, or Sentinel would keep resolving to
// that person. An empty assignee unassigns.
func assign(to string) func(*incidentDoc) bool {
	to = strings.TrimSpace(to)
	return func(d *incidentDoc) bool {
		var cur struct {
			ObjectID          string `json:"objectId"`
			Email             string `json:"email"`
			AssignedTo        string `json:"assignedTo"`
			UserPrincipalName string `json:"userPrincipalName"`
		}
		_ = json.Unmarshal(d.props["owner"], &cur)
		if to == "" && cur.ObjectID == "" && cur.AssignedTo == "" && cur.UserPrincipalName == "" && cur.Email == "" {
			return false
		}
		if to != "" && (strings.EqualFold(cur.AssignedTo, to) || strings.EqualFold(cur.UserPrincipalName, to)) {
			return false
		}
		owner := map[string]string{}
		if to != "" {
			owner["assignedTo"] = to
			if strings.Contains(to, "@") {
				owner["email"], owner["userPrincipalName"] = to, to
			}
		}
		d.setJSON("owner", owner)
		return true
	}
}

// incidentDoc is an incident as Sentinel sent it, top level and properties
// kept as raw fields, so that a PUT sends back everything it did not change
// (labels, times, fields newer than this plugin): PUT replaces the whole
// incident.
type incidentDoc struct {
	top   map[string]json.RawMessage
	props map[string]json.RawMessage
}

func (d *incidentDoc) str(k string) string {
	var s string
	_ = json.Unmarshal(d.props[k], &s)
	return s
}

func (d *incidentDoc) set(k, v string) { d.setJSON(k, v) }

func (d *incidentDoc) setJSON(k string, v any) {
	b, _ := json.Marshal(v)
	d.props[k] = b
}

func (d *incidentDoc) etag() string {
	var s string
	_ = json.Unmarshal(d.top["etag"], &s)
	return s
}

func (d *incidentDoc) marshal() ([]byte, error) {
	p, err := json.Marshal(d.props)
	if err != nil {
		return nil, err
	}
	d.top["properties"] = p
	return json.Marshal(d.top)
}

func (c *client) get(ctx context.Context, name string) (*incidentDoc, error) {
	var d incidentDoc
	if _, err := c.http.DoJSON(ctx, http.MethodGet, c.incidentPath(name), versionQuery(), nil, &d.top); err != nil {
		return nil, vendorError("reading sentinel incident "+name, permRead, err)
	}
	if err := json.Unmarshal(d.top["properties"], &d.props); err != nil || d.props == nil {
		return nil, fmt.Errorf("reading sentinel incident %s: the answer has no properties", name)
	}
	return &d, nil
}

// update reads the incident, lets apply change it (false: it already holds
// the change) and PUTs it back with its etag, reading again once when the
// etag is stale.
func (c *client) update(ctx context.Context, name string, apply func(*incidentDoc) bool) (*sdk.MirrorResponse, error) {
	for attempt := 1; ; attempt++ {
		d, err := c.get(ctx, name)
		if err != nil {
			return nil, err
		}
		if !apply(d) {
			return &sdk.MirrorResponse{Applied: false, Message: "incident already up to date"}, nil
		}
		if d.etag() == "" {
			// Without an etag the PUT would overwrite whatever changed in
			// between: refuse rather than lose an analyst's edit.
			return nil, fmt.Errorf("updating sentinel incident %s: the incident came without an etag", name)
		}
		body, err := d.marshal()
		if err != nil {
			return nil, fmt.Errorf("updating sentinel incident %s: %w", name, err)
		}
		_, err = c.http.DoJSON(ctx, http.MethodPut, c.incidentPath(name), versionQuery(), json.RawMessage(body), nil)
		if err == nil {
			return &sdk.MirrorResponse{Applied: true, Message: "incident updated"}, nil
		}
		if stale(err) && attempt == 1 {
			sdk.Logger().Debug("sentinel incident changed meanwhile, reading it again", "incident", name)
			continue
		}
		return nil, vendorError("updating sentinel incident "+name, permWrite, err)
	}
}

// stale reports whether a PUT lost an etag race: Sentinel answers 409
// Conflict ("Newer version of resource ... exists"), ARM's If-Match 412.
func stale(err error) bool {
	var se *httpclient.StatusError
	return errors.As(err, &se) && (se.StatusCode == http.StatusConflict || se.StatusCode == http.StatusPreconditionFailed)
}

// comment writes message as the comment with id, unless it is already
// there: the write of an earlier, redelivered attempt.
func (c *client) comment(ctx context.Context, name, id, message string) (*sdk.MirrorResponse, error) {
	if strings.TrimSpace(message) == "" {
		return nil, fmt.Errorf("sentinel mirror: empty comment for incident %s", name)
	}
	var existing json.RawMessage
	_, err := c.http.DoJSON(ctx, http.MethodGet, c.incidentPath(name, "comments", id), versionQuery(), nil, &existing)
	var se *httpclient.StatusError
	switch {
	case err == nil:
		return &sdk.MirrorResponse{Applied: false, Message: "comment " + id + " already written"}, nil
	case errors.As(err, &se) && se.StatusCode == http.StatusNotFound:
		if code, _ := armError(se.Body); configFields[code] != "" {
			return nil, vendorError("reading comment of sentinel incident "+name, permCommentsRead, err)
		}
	default:
		return nil, vendorError("reading comment of sentinel incident "+name, permCommentsRead, err)
	}
	body := map[string]any{"properties": map[string]string{"message": message}}
	if _, err := c.http.DoJSON(ctx, http.MethodPut, c.incidentPath(name, "comments", id), versionQuery(), body, nil); err != nil {
		return nil, vendorError("commenting on sentinel incident "+name, permCommentsWrite, err)
	}
	return &sdk.MirrorResponse{Applied: true, Message: "comment " + id + " written"}, nil
}

// commentNamespace is the UUID namespace of comment ids (RFC 9562 version 5
// names): fixed, so a change id always gives the same comment id.
var commentNamespace = [16]byte{0x6f, 0x75, 0x74, 0x70, 0x6f, 0x73, 0x74, 0x2d, 0x80, 0x73, 0x65, 0x6e, 0x74, 0x69, 0x6e, 0x6c}

// commentID is the deterministic GUID of the comment a change writes.
func commentID(changeID string) string {
	h := sha1.New()
	h.Write(commentNamespace[:])
	h.Write([]byte(changeID))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
