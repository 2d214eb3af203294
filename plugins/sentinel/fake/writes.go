package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// maxBody bounds a write-back body the fake reads.
const maxBody = 256 << 10

// maxComment is the longest comment message Sentinel takes.
const maxComment = 30000

// incidentPut is the part of an incident PUT body the fake reads; the rest
// (read-only fields a client sends back with the whole incident) is ignored,
// as ARM ignores it.
type incidentPut struct {
	Etag       *string `json:"etag"`
	Properties *struct {
		Title                 *string `json:"title"`
		Severity              *string `json:"severity"`
		Status                *string `json:"status"`
		Classification        *string `json:"classification"`
		ClassificationReason  *string `json:"classificationReason"`
		ClassificationComment *string `json:"classificationComment"`
		Owner                 *struct {
			ObjectID          *string `json:"objectId"`
			Email             *string `json:"email"`
			AssignedTo        *string `json:"assignedTo"`
			UserPrincipalName *string `json:"userPrincipalName"`
		} `json:"owner"`
	} `json:"properties"`
}

// reasons are the classification reasons Sentinel accepts per
// classification; Undetermined takes none.
var reasons = map[string][]string{
	"TruePositive":   {"SuspiciousActivity"},
	"BenignPositive": {"SuspiciousButExpected"},
	"FalsePositive":  {"IncorrectAlertLogic", "InaccurateData"},
	"Undetermined":   nil,
}

var (
	severities = []string{"High", "Medium", "Low", "Informational"}
	statuses   = []string{"New", "Active", "Closed"}
)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func val(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func readBody(w http.ResponseWriter, r *http.Request, dst any) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		cloudError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content could not be read.")
		return nil, false
	}
	if err := json.Unmarshal(body, dst); err != nil {
		cloudError(w, http.StatusBadRequest, "InvalidRequestContent",
			"The request content was invalid and could not be deserialized: "+err.Error())
		return nil, false
	}
	return body, true
}

func (f *Fake) put(w http.ResponseWriter, r *http.Request, a *fakevendor.Alert) {
	var in incidentPut
	body, ok := readBody(w, r, &in)
	if !ok {
		return
	}
	bad := func(msg string) { cloudError(w, http.StatusBadRequest, "BadRequest", msg) }
	p := in.Properties
	switch {
	case p == nil:
		bad("The Properties field is required.")
		return
	case val(p.Title) == "":
		bad("The Title field is required.")
		return
	case !oneOf(val(p.Severity), severities):
		bad("The Severity field is required and must be one of " + strings.Join(severities, ", ") + ".")
		return
	case !oneOf(val(p.Status), statuses):
		bad("The Status field is required and must be one of " + strings.Join(statuses, ", ") + ".")
		return
	}
	class, reason := val(p.Classification), val(p.ClassificationReason)
	if class != "" {
		allowed, known := reasons[class]
		switch {
		case !known:
			bad(fmt.Sprintf("Classification '%s' is not valid.", class))
			return
		case len(allowed) == 0 && reason != "":
			bad(fmt.Sprintf("Classification reason '%s' is not valid for classification '%s'.", reason, class))
			return
		case len(allowed) > 0 && !oneOf(reason, allowed):
			bad(fmt.Sprintf("Classification '%s' requires a classification reason, one of %s.", class, strings.Join(allowed, ", ")))
			return
		}
	}
	if val(p.Status) == "Closed" && class == "" {
		bad("Classification is required when the incident is closed.")
		return
	}
	if len(val(p.ClassificationComment)) > maxComment {
		bad("The ClassificationComment field is too long.")
		return
	}
	name := nameOf(a)
	// One write at a time, so that the etag checked is the one replaced.
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	var current string
	f.store.Read(a, func(a *fakevendor.Alert) { current = etag(a, a.Extra["version"]) })
	if in.Etag != nil && *in.Etag != current {
		cloudError(w, http.StatusConflict, "Conflict", fmt.Sprintf("Newer version of resource '%s' exists. Data was not saved", name))
		return
	}
	// Mark the incident modified before its lastModifiedTimeUtc moves, so a
	// list never orders it by a creation time it no longer has.
	f.mu.Lock()
	f.modified[a.Seq] = a.ID
	f.mu.Unlock()
	f.store.Update(a.ID, func(a *fakevendor.Alert) {
		n, _ := strconv.Atoi(a.Extra["version"])
		set(a, "version", strconv.Itoa(n+1))
		a.Status = val(p.Status)
		set(a, "classification", class)
		set(a, "classification_reason", reason)
		set(a, "classification_comment", val(p.ClassificationComment))
		a.Owner = ""
		set(a, "owner_object_id", "")
		set(a, "owner_email", "")
		set(a, "owner_upn", "")
		if o := p.Owner; o != nil {
			a.Owner = val(o.AssignedTo)
			set(a, "owner_object_id", val(o.ObjectID))
			set(a, "owner_email", val(o.Email))
			set(a, "owner_upn", val(o.UserPrincipalName))
		}
	})
	f.store.RecordMirror(r.Method, r.URL.Path, body)
	fakevendor.WriteJSON(w, http.StatusOK, f.render(a))
}

// AnalystUpdate changes an incident as an analyst in the Sentinel portal
// would: a new status and owner (empty leaves it), a new etag and
// lastModifiedTimeUtc. It reports false for an unknown name. Not recorded
// as a write-back: it did not come from the plugin.
func (f *Fake) AnalystUpdate(name, status, owner string) bool {
	id, ok := alertID(name)
	if !ok {
		return false
	}
	a, ok := f.store.Get(id)
	if !ok || !strings.EqualFold(nameOf(a), name) {
		return false
	}
	f.writeMu.Lock()
	defer f.writeMu.Unlock()
	f.mu.Lock()
	f.modified[a.Seq] = a.ID
	f.mu.Unlock()
	return f.store.Update(id, func(a *fakevendor.Alert) {
		n, _ := strconv.Atoi(a.Extra["version"])
		set(a, "version", strconv.Itoa(n+1))
		if status != "" {
			a.Status = status
		}
		if owner != "" {
			a.Owner = owner
		}
	})
}

func set(a *fakevendor.Alert, k, v string) {
	if a.Extra == nil {
		a.Extra = map[string]string{}
	}
	if v == "" {
		delete(a.Extra, k)
		return
	}
	a.Extra[k] = v
}

// comment is one incident comment.
type comment struct {
	id, message       string
	created, modified time.Time
	author            *app
	version           int
}

type commentJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Type       string `json:"type"`
	Etag       string `json:"etag"`
	Properties struct {
		Message             string     `json:"message"`
		CreatedTimeUtc      string     `json:"createdTimeUtc"`
		LastModifiedTimeUtc string     `json:"lastModifiedTimeUtc"`
		Author              authorJSON `json:"author"`
	} `json:"properties"`
}

type authorJSON struct {
	ObjectID          string  `json:"objectId"`
	Email             *string `json:"email"`
	Name              string  `json:"name"`
	UserPrincipalName *string `json:"userPrincipalName"`
}

func (f *Fake) renderComment(a *fakevendor.Alert, c comment) commentJSON {
	var out commentJSON
	out.ID = f.resourceID(nameOf(a)) + "/comments/" + c.id
	out.Name, out.Type = c.id, "Microsoft.SecurityInsights/incidents/comments"
	out.Etag = fmt.Sprintf("\"%s-%04x\"", guid("comment/" + c.id)[:23], c.version)
	out.Properties.Message = c.message
	out.Properties.CreatedTimeUtc = c.created.Format(TimeFormat)
	out.Properties.LastModifiedTimeUtc = c.modified.Format(TimeFormat)
	out.Properties.Author = authorJSON{ObjectID: c.author.objectID, Name: c.author.name}
	return out
}

func (f *Fake) listComments(w http.ResponseWriter, a *fakevendor.Alert) {
	f.mu.Lock()
	cs := append([]comment(nil), f.comments[a.ID]...)
	f.mu.Unlock()
	out := struct {
		Value []commentJSON `json:"value"`
	}{Value: make([]commentJSON, 0, len(cs))}
	for _, c := range cs {
		out.Value = append(out.Value, f.renderComment(a, c))
	}
	fakevendor.WriteJSON(w, http.StatusOK, out)
}

func (f *Fake) findComment(a *fakevendor.Alert, id string) (int, bool) {
	for i, c := range f.comments[a.ID] {
		if strings.EqualFold(c.id, id) {
			return i, true
		}
	}
	return 0, false
}

func (f *Fake) getComment(w http.ResponseWriter, a *fakevendor.Alert, id string) {
	f.mu.Lock()
	i, ok := f.findComment(a, id)
	var c comment
	if ok {
		c = f.comments[a.ID][i]
	}
	f.mu.Unlock()
	if !ok {
		cloudError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("Incident comment '%s' was not found.", id))
		return
	}
	fakevendor.WriteJSON(w, http.StatusOK, f.renderComment(a, c))
}

func (f *Fake) putComment(w http.ResponseWriter, r *http.Request, a *fakevendor.Alert, by *app, id string) {
	var in struct {
		Properties *struct {
			Message *string `json:"message"`
		} `json:"properties"`
	}
	body, ok := readBody(w, r, &in)
	if !ok {
		return
	}
	switch {
	case in.Properties == nil || strings.TrimSpace(val(in.Properties.Message)) == "":
		cloudError(w, http.StatusBadRequest, "BadRequest", "The Message field is required.")
		return
	case len(*in.Properties.Message) > maxComment:
		cloudError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The Message field must be at most %d characters long.", maxComment))
		return
	}
	now := f.store.Now()
	f.mu.Lock()
	i, exists := f.findComment(a, id)
	var c comment
	if exists {
		f.comments[a.ID][i].message = *in.Properties.Message
		f.comments[a.ID][i].modified = now
		f.comments[a.ID][i].version++
		c = f.comments[a.ID][i]
	} else {
		c = comment{id: id, message: *in.Properties.Message, created: now, modified: now, author: by}
		f.comments[a.ID] = append(f.comments[a.ID], c)
	}
	f.mu.Unlock()
	f.store.RecordMirror(r.Method, r.URL.Path, body)
	code := http.StatusCreated
	if exists {
		code = http.StatusOK
	}
	fakevendor.WriteJSON(w, code, f.renderComment(a, c))
}

// Comments returns the messages of an incident's comments, oldest first.
func (f *Fake) Comments(name string) []string {
	id, ok := alertID(name)
	if !ok {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.comments[id] {
		out = append(out, c.message)
	}
	return out
}

// Incident returns an incident as the API renders it, or false for an
// unknown name, for a test to see what a write-back did.
func (f *Fake) Incident(name string) (json.RawMessage, bool) {
	id, ok := alertID(name)
	if !ok {
		return nil, false
	}
	a, ok := f.store.Get(id)
	if !ok || !strings.EqualFold(nameOf(a), name) {
		return nil, false
	}
	b, err := json.Marshal(f.render(a))
	return b, err == nil
}
