package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
)

// caseHandler serves /v1/cases and what hangs under a case.
type caseHandler struct{ svc CaseService }

type annotationURLRequest struct {
	URL   string `json:"url"`
	Label string `json:"label"`
}

type annotationRequest struct {
	Name string                `json:"name"`
	URL  *annotationURLRequest `json:"url"`
}

// annotationsRequest is the case's annotations field, which RedCarbon
// nests: {"annotations": {"annotations": {"<key>": {...}}}}.
type annotationsRequest struct {
	Annotations map[string]annotationRequest `json:"annotations"`
}

func (a *annotationsRequest) input() map[string]service.Annotation {
	out := make(map[string]service.Annotation, len(a.Annotations))
	for k, v := range a.Annotations {
		sa := service.Annotation{Name: v.Name}
		if v.URL != nil {
			sa.URL, sa.URLLabel = v.URL.URL, v.URL.Label
		}
		out[k] = sa
	}
	return out
}

type createCaseRequest struct {
	CustomerID          string              `json:"customer_id"`
	SecurityEventID     string              `json:"security_event_id"`
	ParentID            string              `json:"parent_id"`
	Title               string              `json:"title"`
	Description         string              `json:"description"`
	Category            string              `json:"category"`
	AssignedTo          string              `json:"assigned_to"`
	FirstClassification string              `json:"first_classification"`
	Severity            *severityRequest    `json:"severity"`
	Tier                int                 `json:"tier"`
	SpentTimeMin        int                 `json:"spent_time_min"`
	Tags                []string            `json:"tags"`
	Subscribers         []string            `json:"subscribers"`
	Mitre               []string            `json:"mitre"`
	Annotations         *annotationsRequest `json:"annotations"`
}

type updateCaseRequest struct {
	Title        *string             `json:"title"`
	Description  *string             `json:"description"`
	Category     *string             `json:"category"`
	ParentID     *string             `json:"parent_id"`
	Status       *string             `json:"status"`
	Severity     *severityRequest    `json:"severity"`
	Tier         *int                `json:"tier"`
	SpentTimeMin *int                `json:"spent_time_min"`
	Tags         *[]string           `json:"tags"`
	Subscribers  *[]string           `json:"subscribers"`
	Mitre        *[]string           `json:"mitre"`
	Annotations  *annotationsRequest `json:"annotations"`
}

type assignRequest struct {
	AssignedTo *string `json:"assigned_to"`
}

type closeRequest struct {
	CloseNotes          string `json:"close_notes"`
	FinalClassification string `json:"final_classification"`
}

// searchRequest is the body of POST /v1/cases/search.
type searchRequest struct {
	Skip       *int     `json:"skip"`
	Take       *int     `json:"take"`
	Status     []string `json:"status"`
	Severity   []string `json:"severity"`
	CustomerID string   `json:"customer_id"`
	AssignedTo string   `json:"assigned_to"`
	Text       string   `json:"text"`
	From       *string  `json:"from"`
	To         *string  `json:"to"`
}

type textRequest struct {
	Text string `json:"text"`
}

func (h *caseHandler) create(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req createCaseRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	in := service.CreateCase{
		CustomerID: req.CustomerID, SecurityEventID: req.SecurityEventID, ParentID: req.ParentID,
		Title: req.Title, Description: req.Description, Category: req.Category, AssignedTo: req.AssignedTo,
		FirstClassification: req.FirstClassification, Severity: req.Severity.input(),
		Tier: req.Tier, SpentTimeMin: req.SpentTimeMin, Tags: req.Tags, Subscribers: req.Subscribers, Mitre: req.Mitre,
	}
	if req.Annotations != nil {
		in.Annotations = req.Annotations.input()
	}
	cs, err := h.svc.CreateCase(c.Request.Context(), who(c), in)
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/cases/"+cs.ID)
	c.JSON(http.StatusCreated, renderCase(cs))
	return nil
}

func (h *caseHandler) get(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	cs, err := h.svc.GetCase(c.Request.Context(), who(c), c.Param("case_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderCase(cs))
	return nil
}

func (h *caseHandler) update(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req updateCaseRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	in := service.UpdateCase{
		Title: req.Title, Description: req.Description, Category: req.Category, ParentID: req.ParentID,
		Status: req.Status, Severity: req.Severity.input(), Tier: req.Tier, SpentTimeMin: req.SpentTimeMin,
		Tags: req.Tags, Subscribers: req.Subscribers, Mitre: req.Mitre,
	}
	if req.Annotations != nil {
		a := req.Annotations.input()
		in.Annotations = &a
	}
	cs, err := h.svc.UpdateCase(c.Request.Context(), who(c), c.Param("case_id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderCase(cs))
	return nil
}

func (h *caseHandler) assign(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req assignRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	if req.AssignedTo == nil {
		return badRequest("field \"assigned_to\" is required (\"\" unassigns)")
	}
	cs, err := h.svc.AssignCase(c.Request.Context(), who(c), c.Param("case_id"), *req.AssignedTo)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderCase(cs))
	return nil
}

func (h *caseHandler) close(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req closeRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	cs, err := h.svc.CloseCase(c.Request.Context(), who(c), c.Param("case_id"), service.CloseCase{
		CloseNotes: req.CloseNotes, FinalClassification: req.FinalClassification,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderCase(cs))
	return nil
}

// splitTo reads a list's "to": an RFC 3339 time bounds the list's time
// field; anything else is the id of an item and pins a growing list.
func splitTo(to string) (time.Time, string) {
	if to == "" {
		return time.Time{}, ""
	}
	if t, err := time.Parse(time.RFC3339Nano, to); err == nil {
		return t.UTC(), ""
	}
	return time.Time{}, to
}

func (h *caseHandler) search(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req searchRequest
	if err := decodeJSON(c, &req, true); err != nil {
		return err
	}
	var p store.Page
	if req.Skip != nil {
		if *req.Skip < 0 {
			return badRequest("field \"skip\" must not be negative, got %d", *req.Skip)
		}
		p.Skip = *req.Skip
	}
	if req.Take != nil {
		if *req.Take < 0 || *req.Take > MaxTake {
			return badRequest("field \"take\" must be from 0 to %d, got %d", MaxTake, *req.Take)
		}
		p.Take = *req.Take
	}
	f := service.CaseSearch{
		Statuses: req.Status, Severities: req.Severity,
		CustomerID: req.CustomerID, AssignedTo: req.AssignedTo, Text: req.Text,
	}
	var err error
	if f.From, err = bodyTime("from", req.From); err != nil {
		return err
	}
	if req.To != nil {
		f.To, p.ToID = splitTo(*req.To)
	}
	return h.respondSearch(c, f, p)
}

var caseParams = []string{"skip", "take", "to", "status", "severity", "customer_id", "assigned_to", "text", "from"}

func (h *caseHandler) list(c *gin.Context) error {
	q, err := newQueryMulti(c, []string{"status", "severity"}, caseParams...)
	if err != nil {
		return err
	}
	p, err := q.page(false)
	if err != nil {
		return err
	}
	f := service.CaseSearch{
		Statuses: q.list("status"), Severities: q.list("severity"),
		CustomerID: q.str("customer_id"), AssignedTo: q.str("assigned_to"), Text: q.str("text"),
	}
	if f.From, err = q.time("from"); err != nil {
		return err
	}
	f.To, p.ToID = splitTo(q.str("to"))
	return h.respondSearch(c, f, p)
}

func (h *caseHandler) respondSearch(c *gin.Context, f service.CaseSearch, p store.Page) error {
	cs, total, err := h.svc.SearchCases(c.Request.Context(), who(c), f, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list(p, total, renderEach(cs, renderCase)))
	return nil
}

func (h *caseHandler) addNote(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req textRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	n, err := h.svc.AddNote(c.Request.Context(), who(c), c.Param("case_id"), req.Text)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, NoteJSON{ID: n.ID, Author: n.Author, Text: n.Text, CreatedAt: ts(n.CreatedAt)})
	return nil
}

func (h *caseHandler) listNotes(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	ns, total, err := h.svc.ListNotes(c.Request.Context(), who(c), c.Param("case_id"), p)
	if err != nil {
		return err
	}
	items := make([]NoteJSON, 0, len(ns))
	for _, n := range ns {
		items = append(items, NoteJSON{ID: n.ID, Author: n.Author, Text: n.Text, CreatedAt: ts(n.CreatedAt)})
	}
	c.JSON(http.StatusOK, list(p, total, items))
	return nil
}

func (h *caseHandler) addComment(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req textRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	m, err := h.svc.AddComment(c.Request.Context(), who(c), c.Param("case_id"), req.Text)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, NoteJSON{ID: m.ID, Author: m.Author, Text: m.Text, CreatedAt: ts(m.CreatedAt)})
	return nil
}

func (h *caseHandler) listComments(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	ms, total, err := h.svc.ListComments(c.Request.Context(), who(c), c.Param("case_id"), p)
	if err != nil {
		return err
	}
	items := make([]NoteJSON, 0, len(ms))
	for _, m := range ms {
		items = append(items, NoteJSON{ID: m.ID, Author: m.Author, Text: m.Text, CreatedAt: ts(m.CreatedAt)})
	}
	c.JSON(http.StatusOK, list(p, total, items))
	return nil
}

func (h *caseHandler) mirror(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	ms, total, err := h.svc.ListMirror(c.Request.Context(), who(c), c.Param("case_id"), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list(p, total, renderEach(ms, renderMirror)))
	return nil
}

// reportHandler serves the reports of a case and their pages.
type reportHandler struct{ svc ReportService }

func (h *reportHandler) create(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	if err := decodeJSON(c, &struct{}{}, true); err != nil {
		return err
	}
	r, err := h.svc.CreateReport(c.Request.Context(), who(c), c.Param("case_id"))
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/reports/"+r.ID+"/html")
	c.JSON(http.StatusCreated, renderReport(r))
	return nil
}

func (h *reportHandler) list(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	rs, total, err := h.svc.ListReports(c.Request.Context(), who(c), c.Param("case_id"), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list(p, total, renderEach(rs, renderReport)))
	return nil
}

// reportCSP lets a report page use its inline styles and nothing else: no
// script, no request to anywhere, whatever a stored value might hold.
const reportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (h *reportHandler) html(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	r, err := h.svc.GetReport(c.Request.Context(), who(c), c.Param("report_id"))
	if err != nil {
		return err
	}
	c.Header("Content-Security-Policy", reportCSP)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Cache-Control", "private, no-store")
	c.Header("Content-Disposition", `inline; filename="case-`+r.CaseID+`-report-`+r.ID+`.html"`)
	c.Data(http.StatusOK, "text/html; charset=utf-8", r.HTML)
	return nil
}

// iocHandler serves /v1/iocs.
type iocHandler struct{ svc IOCService }

type createIOCRequest struct {
	CustomerID string  `json:"customer_id"`
	Indicator  string  `json:"indicator"`
	Type       string  `json:"type"`
	ExpiresAt  *string `json:"expires_at"`
}

var iocParams = []string{"type", "include_expired", "skip", "take", "to"}

func (h *iocHandler) list(c *gin.Context) error {
	q, err := newQuery(c, iocParams...)
	if err != nil {
		return err
	}
	p, err := q.page(true)
	if err != nil {
		return err
	}
	f := service.IOCFilter{Type: q.str("type")}
	switch v := strings.ToLower(q.str("include_expired")); v {
	case "", "false":
	case "true":
		f.IncludeExpired = true
	default:
		return badRequest("query parameter \"include_expired\" must be true or false, got %q", q.str("include_expired"))
	}
	is, total, err := h.svc.ListIOCs(c.Request.Context(), who(c), f, p)
	if err != nil {
		return err
	}
	items := make([]IOCJSON, 0, len(is))
	for _, i := range is {
		items = append(items, renderIOC(i))
	}
	c.JSON(http.StatusOK, list(p, total, items))
	return nil
}

func (h *iocHandler) get(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	i, err := h.svc.GetIOC(c.Request.Context(), who(c), c.Param("indicator"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderIOC(*i))
	return nil
}

func (h *iocHandler) create(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req createIOCRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	exp, err := bodyTime("expires_at", req.ExpiresAt)
	if err != nil {
		return err
	}
	i, created, err := h.svc.PutIOC(c.Request.Context(), who(c), req.CustomerID, service.IOCInput{Indicator: req.Indicator, Type: req.Type, ExpiresAt: exp})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", "/v1/iocs/"+pathEscape(i.Indicator))
	}
	c.JSON(status, renderIOC(*i))
	return nil
}
