package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/outpost-soc/outpost/sdk"
)

// statuses maps Outpost case statuses to ES review statuses
// (reviewstatuses.conf): 1 new, 2 in progress, 3 pending, 4 resolved,
// 5 closed.
var statuses = map[string]string{
	"UNKNOWN":             "1",
	"NEW":                 "1",
	"OPEN":                "2",
	"UNDER_INVESTIGATION": "2",
	"PROCESSING":          "2",
	"ERRORED":             "2",
	"PENDING":             "3",
	"REPLIED":             "3",
	"CLOSED":              "5",
}

// statusNames are ES's labels, for the comment a change writes.
var statusNames = map[string]string{"1": "New", "2": "In Progress", "3": "Pending", "4": "Resolved", "5": "Closed"}

// dispositions maps a final classification to ES's default dispositions:
// disposition:1 True Positive - Suspicious Activity, :2 Benign Positive -
// Suspicious But Expected, :3 False Positive - Incorrect Analytic Logic,
// :6 Undetermined.
var dispositions = map[string]string{
	"TRUE_POSITIVE":   "disposition:1",
	"BENIGN_POSITIVE": "disposition:2",
	"FALSE_POSITIVE":  "disposition:3",
	"UNDETERMINED":    "disposition:6",
	"":                "disposition:6",
}

// notableID is what an event_id may be (<GUID>@@notable@@<md5>): it goes
// into a search string, so nothing that could end its quotes passes.
var notableID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9@._:-]{0,255}$`)

// Mirror applies one case change to the notable with ES's notable_update,
// effectively once: notable_update has no idempotency key, so every write
// carries a comment with the change's marker, and the notable's review
// history (incident_review_lookup, where ES keeps comments) is searched for
// the marker before writing.
func (c *Connector) Mirror(ctx context.Context, req sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	ch := req.Change
	if ch.Kind == sdk.ChangeNotify {
		return nil, sdk.NotSupported("notify: Splunk ES takes case changes, not notifications")
	}
	if !notableID.MatchString(ch.OriginalID) {
		return nil, fmt.Errorf("splunk mirror: change %s: %q is not a notable event_id", ch.ID, ch.OriginalID)
	}
	form := url.Values{"ruleUIDs": {ch.OriginalID}, "output_mode": {"json"}}
	by := ""
	if ch.Author != "" {
		by = " by " + ch.Author
	}
	var text string
	switch ch.Kind {
	case sdk.ChangeStatus:
		st, ok := statuses[strings.ToUpper(ch.Status)]
		if !ok {
			return nil, fmt.Errorf("splunk mirror: no ES status for case status %q", ch.Status)
		}
		form.Set("status", st)
		text = fmt.Sprintf("Outpost case status set to %s%s (ES status %s).", ch.Status, by, statusNames[st])
	case sdk.ChangeAssign:
		owner := ch.AssignedTo
		if owner == "" {
			owner = "unassigned"
		}
		form.Set("newOwner", owner)
		text = fmt.Sprintf("Outpost case assigned to %s%s.", owner, by)
	case sdk.ChangeClose:
		disp, ok := dispositions[strings.ToUpper(ch.FinalClassification)]
		if !ok {
			return nil, fmt.Errorf("splunk mirror: no ES disposition for %q", ch.FinalClassification)
		}
		form.Set("status", statuses["CLOSED"])
		form.Set("disposition", disp)
		class := ch.FinalClassification
		if class == "" {
			class = "UNDETERMINED"
		}
		text = fmt.Sprintf("Outpost case closed as %s%s.", class, by)
		if notes := strings.TrimSpace(ch.CloseNotes); notes != "" {
			text += "\n\n" + notes
		}
	case sdk.ChangeComment:
		text = strings.TrimSpace(ch.Comment)
		if ch.Author != "" {
			text += "\n\n— " + ch.Author + " (Outpost)"
		}
	default:
		return nil, sdk.NotSupported("change kind " + string(ch.Kind))
	}
	form.Set("comment", text+"\n\n"+ch.Marker())

	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	done, err := cl.hasMarker(ctx, ch.OriginalID, ch.Marker())
	if err != nil {
		return nil, fmt.Errorf("splunk mirror: reading the review history of %s: %w", ch.OriginalID, err)
	}
	if done {
		return &sdk.MirrorResponse{Applied: false, Message: "notable already carries change " + ch.ID}, nil
	}
	var ans struct {
		Success bool   `json:"success"`
		Message string `json:"message"`
	}
	if err := cl.call(ctx, http.MethodPost, "/services/notable_update", nil, form, &ans); err != nil {
		return nil, fmt.Errorf("splunk mirror: updating notable %s: %w", ch.OriginalID, err)
	}
	if !ans.Success {
		return nil, fmt.Errorf("splunk mirror: notable_update refused %s: %s", ch.OriginalID, ans.Message)
	}
	return &sdk.MirrorResponse{Applied: true, Message: ans.Message}, nil
}

// hasMarker reports whether a comment of the notable's review history
// carries marker. ES keeps reviews in the incident_review KV store, which
// the incident_review_lookup reads at once: a write from an earlier
// delivery of the same change is visible to the next.
func (cl *client) hasMarker(ctx context.Context, id, marker string) (bool, error) {
	form := url.Values{
		"search":      {`| inputlookup incident_review_lookup where rule_id="` + id + `" | fields comment`},
		"exec_mode":   {"oneshot"},
		"output_mode": {"json"},
		"count":       {"0"},
	}
	var page struct {
		Results []struct {
			Comment values `json:"comment"`
		} `json:"results"`
	}
	if err := cl.call(ctx, http.MethodPost, "/services/search/jobs", nil, form, &page); err != nil {
		return false, err
	}
	for _, r := range page.Results {
		for _, c := range r.Comment {
			if strings.Contains(c, marker) {
				return true, nil
			}
		}
	}
	return false, nil
}
