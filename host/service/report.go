package service

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// reportEntries caps the notes and the comments a report shows (the
// latest); a case with more says so on the page.
const reportEntries = 1000

//go:embed report.html
var reportHTML string

// reportTemplate is html/template, so that every value is escaped for
// where it lands (text, attribute, URL): a title of "<script>" is text.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(time.RFC3339)
	},
	"dash": func(s string) string {
		if strings.TrimSpace(s) == "" {
			return "—"
		}
		return s
	},
	"list": func(s []string) string {
		if len(s) == 0 {
			return "—"
		}
		return strings.Join(s, ", ")
	},
}).Parse(reportHTML))

// reportData is what a report page shows.
type reportData struct {
	GeneratedAt  time.Time
	Author       string
	CustomerName string
	Case         *store.Case
	Event        *store.Event
	Observables  []observableRow
	IOCs         []store.IOC
	Timeline     []timelineEntry
	// Notes and Comments are the case's totals; Truncated says the
	// timeline holds only the latest Limit of each.
	Notes, Comments int
	Truncated       bool
	Limit           int
}

type observableRow struct {
	Type   string
	Fields []keyValue
}

type keyValue struct{ Key, Value string }

type timelineEntry struct {
	Time  time.Time
	Kind  string
	Actor string
	Text  string
}

// observableRows flattens observables into their fields, by name.
func observableRows(obs []sdk.Observable) []observableRow {
	rows := make([]observableRow, 0, len(obs))
	for _, o := range obs {
		row := observableRow{Type: string(o.Type)}
		b, err := json.Marshal(o)
		var m map[string]any
		if err == nil && json.Unmarshal(b, &m) == nil {
			for k, v := range m {
				if k != "type" {
					row.Fields = append(row.Fields, keyValue{Key: k, Value: fmt.Sprint(v)})
				}
			}
		}
		sort.Slice(row.Fields, func(i, j int) bool { return row.Fields[i].Key < row.Fields[j].Key })
		rows = append(rows, row)
	}
	return rows
}

// timeline merges a case's opening, field changes, notes and comments,
// oldest first.
func timeline(c *store.Case, hist []store.CaseHistory, notes []store.Note, comments []store.Comment) []timelineEntry {
	out := []timelineEntry{{Time: c.CreatedAt, Kind: "opened", Text: "Case opened (origin " + c.Origin + ")"}}
	for _, h := range hist {
		from, to := h.From, h.To
		if from == "" {
			from = "(none)"
		}
		if to == "" {
			to = "(none)"
		}
		out = append(out, timelineEntry{Time: h.Time, Kind: "change", Actor: h.Actor, Text: h.Field + ": " + from + " → " + to})
	}
	for _, n := range notes {
		out = append(out, timelineEntry{Time: n.CreatedAt, Kind: "note", Actor: n.Author, Text: n.Text})
	}
	for _, m := range comments {
		out = append(out, timelineEntry{Time: m.CreatedAt, Kind: "comment", Actor: m.Author, Text: m.Text})
	}
	// Stable: a change and a note of the same millisecond keep the order
	// above (the opening first).
	slices.SortStableFunc(out, func(a, b timelineEntry) int { return a.Time.Compare(b.Time) })
	return out
}

func renderReport(d *reportData) ([]byte, error) {
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("rendering report: %w", err)
	}
	return b.Bytes(), nil
}

// CreateReport renders a case as it is now (its fields, event,
// observables, IOCs, and a timeline of its changes, notes and comments)
// into one self-contained HTML page, and stores it.
func (s *Service) CreateReport(ctx context.Context, who *store.Token, caseID string) (*store.Report, error) {
	c, err := s.visibleCase(ctx, who, caseID)
	if err != nil {
		return nil, err
	}
	d := &reportData{GeneratedAt: s.now().UTC(), Author: actor(who), Case: c, Limit: reportEntries}
	if cu, err := s.store.GetCustomer(ctx, c.CustomerID); err == nil {
		d.CustomerName = cu.Name
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("reading customer: %w", err)
	}
	if c.SecurityEventID != "" {
		ev, err := s.store.GetEvent(ctx, c.SecurityEventID)
		switch {
		case err == nil:
			d.Event = ev
			d.Observables = observableRows(ev.Observables)
			d.IOCs = ev.IOCs
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("reading event: %w", err)
		}
	}
	hist, err := s.store.ListCaseHistory(ctx, c.ID)
	if err != nil {
		return nil, storeError(err, "case", caseID)
	}
	notes, nTotal, err := s.store.ListNotes(ctx, c.ID, store.Page{Take: reportEntries})
	if err != nil {
		return nil, storeError(err, "case", caseID)
	}
	comments, cTotal, err := s.store.ListComments(ctx, c.ID, store.Page{Take: reportEntries})
	if err != nil {
		return nil, storeError(err, "case", caseID)
	}
	d.Notes, d.Comments = nTotal, cTotal
	d.Truncated = nTotal > len(notes) || cTotal > len(comments)
	// The store lists newest first; oldest first keeps same-millisecond
	// entries in the order they were written.
	slices.Reverse(notes)
	slices.Reverse(comments)
	d.Timeline = timeline(c, hist, notes, comments)
	html, err := renderReport(d)
	if err != nil {
		return nil, err
	}
	r := &store.Report{CaseID: c.ID, Author: actor(who), HTML: html}
	if err := s.store.CreateReport(ctx, r); err != nil {
		return nil, storeError(err, "case", caseID)
	}
	return r, nil
}

// ListReports lists a case's reports, newest first, without their HTML.
func (s *Service) ListReports(ctx context.Context, who *store.Token, caseID string, p store.Page) ([]store.Report, int, error) {
	if _, err := s.visibleCase(ctx, who, caseID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListReports(ctx, caseID, p)
	if err != nil {
		return nil, 0, listError(err, p, "case", caseID)
	}
	return list, total, nil
}

// GetReport returns a report with its HTML; a report of a case who may not
// see is not found.
func (s *Service) GetReport(ctx context.Context, who *store.Token, id string) (*store.Report, error) {
	if who == nil {
		return nil, Unauthenticated("missing API token")
	}
	r, err := s.store.GetReport(ctx, id)
	if err != nil {
		return nil, storeError(err, "report", id)
	}
	if _, err := s.visibleCase(ctx, who, r.CaseID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, NotFound("report", id)
		}
		return nil, err
	}
	return r, nil
}
