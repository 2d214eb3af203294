package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/outpost-soc/outpost/sdk"
)

// statuses maps Outpost case statuses to Falcon alert statuses (new,
// in_progress, reopened, closed). A closed alert that Outpost opens again
// becomes reopened.
var statuses = map[string]string{
	"UNKNOWN":             "new",
	"NEW":                 "new",
	"OPEN":                "in_progress",
	"UNDER_INVESTIGATION": "in_progress",
	"PENDING":             "in_progress",
	"REPLIED":             "in_progress",
	"PROCESSING":          "in_progress",
	"ERRORED":             "in_progress",
	"CLOSED":              "closed",
}

// classifications are the tags a close adds: Falcon alerts have no
// verdict field, so the final classification goes in a tag (searchable in
// the console) and in the comment.
var classifications = map[string]string{
	"TRUE_POSITIVE":   "true_positive",
	"BENIGN_POSITIVE": "benign_positive",
	"FALSE_POSITIVE":  "false_positive",
	"UNDETERMINED":    "undetermined",
	"":                "undetermined",
}

// compositeID is what a composite id may be: <cid>:<kind>:<agent>:<detection>.
var compositeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._-]{0,511}$`)

// Mirror applies one case change to the alert with PATCH
// /alerts/entities/alerts/v3, effectively once: Falcon has no idempotency
// key, so every PATCH appends a comment ending with the change's marker,
// and the alert's comments are read for the marker before writing.
func (c *Connector) Mirror(ctx context.Context, req sdk.MirrorRequest) (*sdk.MirrorResponse, error) {
	ch := req.Change
	if ch.Kind == sdk.ChangeNotify {
		return nil, sdk.NotSupported("notify: CrowdStrike takes case changes, not notifications")
	}
	if !compositeID.MatchString(ch.OriginalID) {
		return nil, fmt.Errorf("crowdstrike mirror: change %s: %q is not an alert composite id", ch.ID, ch.OriginalID)
	}
	by := ""
	if ch.Author != "" {
		by = " by " + ch.Author
	}
	var (
		actions []action
		text    string
		status  string
	)
	switch ch.Kind {
	case sdk.ChangeStatus:
		st, ok := statuses[strings.ToUpper(ch.Status)]
		if !ok {
			return nil, fmt.Errorf("crowdstrike mirror: no Falcon status for case status %q", ch.Status)
		}
		status = st
		text = fmt.Sprintf("Outpost case status set to %s%s.", ch.Status, by)
	case sdk.ChangeAssign:
		switch {
		case ch.AssignedTo == "":
			actions = append(actions, action{Name: "unassign"})
			text = "Outpost case unassigned" + by + "."
		case strings.Contains(ch.AssignedTo, "@"): // a Falcon user id is the user's email
			actions = append(actions, action{Name: "assign_to_user_id", Value: ch.AssignedTo})
		default:
			actions = append(actions, action{Name: "assign_to_name", Value: ch.AssignedTo})
		}
		if text == "" {
			text = fmt.Sprintf("Outpost case assigned to %s%s.", ch.AssignedTo, by)
		}
	case sdk.ChangeClose:
		tag, ok := classifications[strings.ToUpper(ch.FinalClassification)]
		if !ok {
			return nil, fmt.Errorf("crowdstrike mirror: unknown final classification %q", ch.FinalClassification)
		}
		status = "closed"
		actions = append(actions, action{Name: "add_tag", Value: "outpost_" + tag})
		text = fmt.Sprintf("Outpost case closed as %s%s.", strings.ToUpper(tag), by)
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

	cl, err := c.clients.Get(ctx, req.Integration)
	if err != nil {
		return nil, err
	}
	found, err := cl.entities(ctx, []string{ch.OriginalID})
	if err != nil {
		return nil, fmt.Errorf("crowdstrike mirror: reading alert %s: %w", ch.OriginalID, err)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("crowdstrike mirror: alert %s not found", ch.OriginalID)
	}
	a := &found[0]
	if a.hasComment(ch.Marker()) {
		return &sdk.MirrorResponse{Applied: false, Message: "alert already carries change " + ch.ID}, nil
	}
	if status != "" {
		if status != "closed" && a.Status == "closed" {
			status = "reopened"
		}
		actions = append([]action{{Name: "update_status", Value: status}}, actions...)
	}
	actions = append(actions, action{Name: "append_comment", Value: text + "\n\n" + ch.Marker()})
	if err := cl.patch(ctx, []string{ch.OriginalID}, actions); err != nil {
		return nil, fmt.Errorf("crowdstrike mirror: %w", err)
	}
	return &sdk.MirrorResponse{Applied: true, Message: fmt.Sprintf("alert %s updated (%d actions)", ch.OriginalID, len(actions))}, nil
}
