package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// maxBody bounds a request body the fake reads.
const maxBody = 1 << 20

var alertStatuses = []string{"new", "in_progress", "reopened", "closed"}

var actions = []string{"update_status", "append_comment", "assign_to_name", "assign_to_user_id",
	"assign_to_uuid", "unassign", "add_tag", "remove_tag", "show_in_ui"}

// patchAlerts is PATCH /alerts/entities/alerts/v3.
func (f *Fake) patchAlerts(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		badRequest(f, w, "request body too large or unreadable")
		return
	}
	var req struct {
		CompositeIDs     []string `json:"composite_ids"`
		ActionParameters []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"action_parameters"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		badRequest(f, w, "invalid request body: "+err.Error())
		return
	}
	if len(req.CompositeIDs) == 0 || len(req.CompositeIDs) > MaxEntities {
		badRequest(f, w, fmt.Sprintf("composite_ids must hold 1 to %d ids", MaxEntities))
		return
	}
	if len(req.ActionParameters) == 0 {
		badRequest(f, w, "action_parameters must name at least one action")
		return
	}
	for _, p := range req.ActionParameters {
		if !slices.Contains(actions, p.Name) {
			badRequest(f, w, fmt.Sprintf("invalid action %q", p.Name))
			return
		}
		if p.Name == "update_status" && !slices.Contains(alertStatuses, p.Value) {
			badRequest(f, w, fmt.Sprintf("invalid status %q: want one of %s", p.Value, strings.Join(alertStatuses, ", ")))
			return
		}
		if p.Name == "append_comment" && strings.TrimSpace(p.Value) == "" {
			badRequest(f, w, "append_comment needs a value")
			return
		}
	}
	var alerts []*fakevendor.Alert
	errs := []apiError{}
	for _, id := range req.CompositeIDs {
		a, ok := f.alertByID(id)
		if !ok {
			errs = append(errs, apiError{Code: 404, Message: "alert not found", ID: id})
			continue
		}
		alerts = append(alerts, a)
	}
	if len(alerts) == 0 {
		f.writeBody(w, http.StatusNotFound, body{Meta: f.meta("detectsapi"), Resources: []any{}, Errors: errs})
		return
	}
	f.store.RecordMirror(r.Method, r.URL.Path, raw)
	now := f.store.Now().UTC().Format(TimeFormat)
	for _, a := range alerts {
		f.store.Update(a.ID, func(a *fakevendor.Alert) {
			if a.Extra == nil {
				a.Extra = map[string]string{}
			}
			for _, p := range req.ActionParameters {
				switch p.Name {
				case "update_status":
					a.Status = p.Value
				case "append_comment":
					a.Comments = append(a.Comments, now+"\x00"+p.Value)
				case "assign_to_name":
					a.Owner = p.Value
				case "assign_to_user_id", "assign_to_uuid":
					a.Owner, a.Extra["assigned_to_uid"] = p.Value, p.Value
				case "unassign":
					a.Owner, a.Extra["assigned_to_uid"] = "", ""
				case "add_tag":
					tags := splitTags(a.Extra["tags"])
					if !slices.Contains(tags, p.Value) {
						tags = append(tags, p.Value)
					}
					a.Extra["tags"] = strings.Join(tags, ",")
				case "remove_tag":
					tags := slices.DeleteFunc(splitTags(a.Extra["tags"]), func(t string) bool { return t == p.Value })
					a.Extra["tags"] = strings.Join(tags, ",")
				}
			}
		})
	}
	m := f.meta("detectsapi")
	m.Writes = &map[string]int{"resources_affected": len(alerts)}
	f.writeBody(w, http.StatusOK, body{Meta: m, Resources: []any{}, Errors: errs})
}

func splitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
