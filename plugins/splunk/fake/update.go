package fake

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// maxBody bounds a write-back body the fake reads.
const maxBody = 64 << 10

// Review is one row of ES's incident_review_lookup: a change an analyst
// (or an API client) made to a notable.
type Review struct {
	RuleID      string
	Time        int64
	User        string
	Status      string
	Owner       string
	Urgency     string
	Disposition string
	Comment     string
}

// Reviews returns the review rows of a notable, oldest first.
func (f *Fake) Reviews(eventID string) []Review {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reviews[eventID])
}

func (f *Fake) reviewRows() []row {
	f.mu.Lock()
	defer f.mu.Unlock()
	var rows []row
	for id, rs := range f.reviews {
		for _, rv := range rs {
			r := row{"rule_id": id, "time": strconv.FormatInt(rv.Time, 10), "user": rv.User}
			for k, v := range map[string]string{"status": rv.Status, "owner": rv.Owner, "urgency": rv.Urgency,
				"disposition": rv.Disposition, "comment": rv.Comment} {
				if v != "" {
					r[k] = v
				}
			}
			rows = append(rows, r)
		}
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		x, _ := a.first("time")
		y, _ := b.first("time")
		return compareValues(x, y)
	})
	return rows
}

var urgencies = []string{"informational", "low", "medium", "high", "critical"}

// updateAnswer is notable_update's JSON answer.
type updateAnswer struct {
	Success      bool           `json:"success"`
	Message      string         `json:"message"`
	Details      map[string]any `json:"details"`
	FailureCount int            `json:"failure_count"`
}

func updateError(w http.ResponseWriter, code int, msg string) {
	fakevendor.WriteJSON(w, code, updateAnswer{Success: false, Message: msg, Details: map[string]any{}})
}

// notableUpdate is ES's POST /services/notable_update.
func (f *Fake) notableUpdate(w http.ResponseWriter, r *http.Request) {
	if !f.hasCapability("edit_notable_events") {
		updateError(w, http.StatusForbidden, "You do not have permission to edit notable events: the edit_notable_events capability is required")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		updateError(w, http.StatusBadRequest, "Request body too large or unreadable")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		updateError(w, http.StatusBadRequest, "Unparsable form")
		return
	}
	ids := form["ruleUIDs"]
	if len(ids) == 0 && form.Get("searchID") == "" {
		updateError(w, http.StatusBadRequest, "Either ruleUIDs or searchID must be provided")
		return
	}
	if len(ids) == 0 {
		updateError(w, http.StatusBadRequest, "this fake updates notables by ruleUIDs only")
		return
	}
	status, urgency, owner := form.Get("status"), form.Get("urgency"), form.Get("newOwner")
	comment, disposition := form.Get("comment"), form.Get("disposition")
	if status != "" {
		if _, ok := statusLabels[status]; !ok {
			updateError(w, http.StatusBadRequest, fmt.Sprintf("Invalid status: %s", status))
			return
		}
	}
	if urgency != "" && !slices.Contains(urgencies, urgency) {
		updateError(w, http.StatusBadRequest, fmt.Sprintf("Invalid urgency: %s", urgency))
		return
	}
	if disposition != "" {
		if _, ok := dispositionLabels[disposition]; !ok {
			updateError(w, http.StatusBadRequest, fmt.Sprintf("Invalid disposition: %s", disposition))
			return
		}
	}
	if status == "" && urgency == "" && owner == "" && comment == "" && disposition == "" {
		updateError(w, http.StatusBadRequest, "Nothing to update: give status, urgency, newOwner, disposition or comment")
		return
	}
	f.store.RecordMirror(r.Method, r.URL.Path, body)

	now := f.store.Now().Unix()
	for _, id := range ids {
		// ES writes the review to its KV store whether or not the notable
		// is visible to a search yet.
		f.mu.Lock()
		f.reviews[id] = append(f.reviews[id], Review{RuleID: id, Time: now, User: Username, Status: status,
			Owner: owner, Urgency: urgency, Disposition: disposition, Comment: comment})
		f.mu.Unlock()
		if a, ok := f.alertByEventID(id); ok {
			f.store.Update(a.ID, func(a *fakevendor.Alert) {
				if status != "" {
					a.Status = status
				}
				if owner != "" {
					a.Owner = owner
				}
				if a.Extra == nil {
					a.Extra = map[string]string{}
				}
				if urgency != "" {
					a.Extra["urgency"] = urgency
				}
				if disposition != "" {
					a.Extra["disposition"] = disposition
				}
				if comment != "" {
					a.Comments = append(a.Comments, comment)
				}
			})
		}
	}
	noun := "events"
	if len(ids) == 1 {
		noun = "event"
	}
	fakevendor.WriteJSON(w, http.StatusOK, updateAnswer{Success: true,
		Message: fmt.Sprintf("%d %s updated successfully", len(ids), noun), Details: map[string]any{}})
}
