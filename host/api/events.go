package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/sdk"
)

// severityRequest is a severity as a client sends it: {"value"}, {"level"}
// or both when they agree.
type severityRequest struct {
	Value *int    `json:"value"`
	Level *string `json:"level"`
}

func (s *severityRequest) input() *service.SeverityInput {
	if s == nil {
		return nil
	}
	in := &service.SeverityInput{Value: s.Value}
	if s.Level != nil {
		in.Level = *s.Level
	}
	return in
}

type classificationRequest struct {
	Type    string `json:"type"`
	Subtype string `json:"subtype"`
	Vendor  string `json:"vendor"`
}

type iocRequest struct {
	Indicator string  `json:"indicator"`
	Type      string  `json:"type"`
	ExpiresAt *string `json:"expires_at"`
}

// createEventRequest is the body of POST /v1/security-events: the writable
// fields of the event object. The fields the host sets (id, the ingested
// times) are unknown fields here, so a client learns at once that they are
// not its to set.
type createEventRequest struct {
	OriginalID       string                 `json:"original_id"`
	CustomerID       string                 `json:"customer_id"`
	IntegrationID    string                 `json:"integration_id"`
	Origin           string                 `json:"origin"`
	Classification   *classificationRequest `json:"classification"`
	SecurityEventURL string                 `json:"security_event_url"`
	Title            string                 `json:"title"`
	Description      string                 `json:"description"`
	DetectionTime    *string                `json:"detection_time"`
	CreationTime     *string                `json:"creation_time"`
	UpdateTime       *string                `json:"update_time"`
	MitreTags        []string               `json:"mitre_tags"`
	Actions          []string               `json:"actions"`
	DetectionEngines []string               `json:"detection_engines"`
	Severity         *severityRequest       `json:"severity"`
	Observables      []json.RawMessage      `json:"observables"`
	IOCs             []iocRequest           `json:"iocs"`
}

// Times in bodies must fall in these years: the store keeps nanoseconds
// since 1970 and the wire a protobuf Timestamp.
const minBodyYear, maxBodyYear = 1970, 9999

// bodyTime parses an RFC 3339 time of a body field; nil or "" is zero.
func bodyTime(field string, s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, badRequest("field %q must be an RFC 3339 time like 2024-01-01T12:00:00Z, got %q", field, *s)
	}
	if y := t.UTC().Year(); y < minBodyYear || y > maxBodyYear {
		return time.Time{}, badRequest("field %q must be a time from %d to %d, got %q", field, minBodyYear, maxBodyYear, *s)
	}
	return t.UTC(), nil
}

func (r *iocRequest) input(field string) (service.IOCInput, error) {
	exp, err := bodyTime(field+"expires_at", r.ExpiresAt)
	if err != nil {
		return service.IOCInput{}, err
	}
	return service.IOCInput{Indicator: r.Indicator, Type: r.Type, ExpiresAt: exp}, nil
}

// strictUnmarshal decodes one JSON value into dst with the rules of
// decodeJSON: no unknown fields, exact numbers.
func strictUnmarshal(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data")
	}
	return nil
}

// decodeObservable reads one typed observable strictly: its type names
// the RedCarbon object whose fields it may hold, and no others. (The sdk's
// own UnmarshalJSON is lenient, as a plugin's reader must be.)
func decodeObservable(field string, raw json.RawMessage) (sdk.Observable, error) {
	var head struct {
		Type *string `json:"type"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return sdk.Observable{}, badRequest("%s must be an object with a string \"type\"", field)
	}
	if head.Type == nil {
		return sdk.Observable{}, badRequest("%s.type is required: one of user, host, ip, domain, file, email, network_traffic", field)
	}
	var o sdk.Observable
	var dst any
	switch sdk.ObservableType(*head.Type) {
	case sdk.ObservableUser:
		w := &struct {
			Type string `json:"type"`
			*sdk.User
		}{User: &sdk.User{}}
		dst, o = w, sdk.Observable{Type: sdk.ObservableUser, User: w.User}
	case sdk.ObservableHost:
		w := &struct {
			Type string `json:"type"`
			*sdk.Host
		}{Host: &sdk.Host{}}
		dst, o = w, sdk.Observable{Type: sdk.ObservableHost, Host: w.Host}
	case sdk.ObservableIP:
		w := &struct {
			Type string `json:"type"`
			*sdk.IP
		}{IP: &sdk.IP{}}
		dst, o = w, sdk.Observable{Type: sdk.ObservableIP, IP: w.IP}
	case sdk.ObservableDomain:
		w := &struct {
			Type string `json:"type"`
			*sdk.Domain
		}{Domain: &sdk.Domain{}}
		dst, o = w, sdk.Observable{Type: sdk.ObservableDomain, Domain: w.Domain}
	case sdk.ObservableFile:
		w := &struct {
			Type string `json:"type"`
			*sdk.File
		}{File: &sdk.File{}}
		dst, o = w, sdk.Observable{Type: sdk.ObservableFile, File: w.File}
	case sdk.ObservableEmail:
		w := &struct {
			Type string `json:"type"`
			*sdk.EmailAddress
		}{EmailAddress: &sdk.EmailAddress{}}
		dst, o = w, sdk.Observable{Type: sdk.ObservableEmail, Email: w.EmailAddress}
	case sdk.ObservableNetworkTraffic:
		w := &struct {
			Type string `json:"type"`
			*sdk.NetworkTraffic
		}{NetworkTraffic: &sdk.NetworkTraffic{}}
		dst, o = w, sdk.Observable{Type: sdk.ObservableNetworkTraffic, NetworkTraffic: w.NetworkTraffic}
	default:
		return sdk.Observable{}, badRequest("%s.type must be one of user, host, ip, domain, file, email, network_traffic, got %q", field, *head.Type)
	}
	if err := strictUnmarshal(raw, dst); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) && typ.Field != "" {
			// The path runs through the embedded struct: "NetworkTraffic.dst_port".
			name := typ.Field[strings.LastIndex(typ.Field, ".")+1:]
			return sdk.Observable{}, badRequest("%s.%s must be %s, got a JSON %s", field, name, jsonType(typ.Type), typ.Value)
		}
		msg := describeJSONError(err)
		msg = strings.TrimSuffix(msg, " in the request body")
		return sdk.Observable{}, badRequest("%s of type %s: %s", field, *head.Type, msg)
	}
	return o, nil
}

func (r *createEventRequest) input() (service.CreateEvent, error) {
	in := service.CreateEvent{
		CustomerID: r.CustomerID, IntegrationID: r.IntegrationID, Origin: r.Origin, OriginalID: r.OriginalID,
		Title: r.Title, Description: r.Description, SecurityEventURL: r.SecurityEventURL,
		MitreTags: r.MitreTags, Actions: r.Actions, DetectionEngines: r.DetectionEngines,
		Severity: r.Severity.input(),
	}
	if c := r.Classification; c != nil {
		in.Classification = sdk.Classification{Type: c.Type, Subtype: c.Subtype, Vendor: c.Vendor}
	}
	var err error
	if in.DetectionTime, err = bodyTime("detection_time", r.DetectionTime); err != nil {
		return in, err
	}
	if in.CreationTime, err = bodyTime("creation_time", r.CreationTime); err != nil {
		return in, err
	}
	if in.UpdateTime, err = bodyTime("update_time", r.UpdateTime); err != nil {
		return in, err
	}
	if len(r.Observables) > service.MaxObservables {
		return in, badRequest("field \"observables\" has more than %d items", service.MaxObservables)
	}
	for i, raw := range r.Observables {
		o, err := decodeObservable(fmt.Sprintf("observables[%d]", i), raw)
		if err != nil {
			return in, err
		}
		in.Observables = append(in.Observables, o)
	}
	if len(r.IOCs) > service.MaxIOCs {
		return in, badRequest("field \"iocs\" has more than %d items", service.MaxIOCs)
	}
	for i := range r.IOCs {
		ioc, err := r.IOCs[i].input(fmt.Sprintf("iocs[%d].", i))
		if err != nil {
			return in, err
		}
		in.IOCs = append(in.IOCs, ioc)
	}
	return in, nil
}

// caseLink is the Link header that points from an event to its case, so
// that a client that created an event finds the case it opened.
func caseLink(c *gin.Context, caseID string) {
	if caseID != "" {
		c.Header("Link", `</v1/cases/`+caseID+`>; rel="case"`)
	}
}

func (h *eventHandler) create(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req createEventRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	e, updated, err := h.svc.CreateEvent(c.Request.Context(), who(c), in)
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/security-events/"+e.ID)
	caseLink(c, e.CaseID)
	status := http.StatusCreated
	if updated {
		status = http.StatusOK
	}
	c.JSON(status, renderEvent(e))
	return nil
}
