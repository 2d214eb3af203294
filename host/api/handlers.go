package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
)

// pluginHandler serves /v1/plugins.
type pluginHandler struct{ svc PluginService }

func (h *pluginHandler) list(c *gin.Context) error {
	q, err := newQuery(c, pageParams...)
	if err != nil {
		return err
	}
	p, err := q.page(false)
	if err != nil {
		return err
	}
	infos, total, err := h.svc.ListPlugins(c.Request.Context(), who(c), p)
	if err != nil {
		return err
	}
	items := make([]PluginJSON, 0, len(infos))
	for _, i := range infos {
		items = append(items, renderPlugin(i))
	}
	c.JSON(http.StatusOK, list(p, total, items))
	return nil
}

func (h *pluginHandler) rescan(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	if err := decodeJSON(c, &struct{}{}, true); err != nil {
		return err
	}
	infos, err := h.svc.RescanPlugins(c.Request.Context(), who(c))
	if err != nil {
		return err
	}
	items := make([]PluginJSON, 0, len(infos))
	for _, i := range infos {
		items = append(items, renderPlugin(i))
	}
	c.JSON(http.StatusOK, list(store.Page{Take: len(items) + 1}, len(items), items))
	return nil
}

// customerHandler serves /v1/customers.
type customerHandler struct{ svc CustomerService }

type createCustomerRequest struct {
	Name string `json:"name"`
}

type updateCustomerRequest struct {
	Name *string `json:"name"`
}

func (h *customerHandler) create(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req createCustomerRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	cu, err := h.svc.CreateCustomer(c.Request.Context(), who(c), req.Name)
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/customers/"+cu.ID)
	c.JSON(http.StatusCreated, renderCustomer(cu))
	return nil
}

func (h *customerHandler) list(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	cs, total, err := h.svc.ListCustomers(c.Request.Context(), who(c), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list(p, total, renderEach(cs, renderCustomer)))
	return nil
}

func (h *customerHandler) get(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	cu, err := h.svc.GetCustomer(c.Request.Context(), who(c), c.Param("customer_id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderCustomer(cu))
	return nil
}

func (h *customerHandler) update(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req updateCustomerRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	cu, err := h.svc.UpdateCustomer(c.Request.Context(), who(c), c.Param("customer_id"), req.Name)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderCustomer(cu))
	return nil
}

func (h *customerHandler) delete(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	if err := h.svc.DeleteCustomer(c.Request.Context(), who(c), c.Param("customer_id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// integrationHandler serves /v1/customers/{customer_id}/integrations.
type integrationHandler struct{ svc IntegrationService }

type scheduleRequest struct {
	NewIntervalS       *int64 `json:"new_interval_s"`
	LostFoundIntervalS *int64 `json:"lost_found_interval_s"`
	LostFoundLookbackS *int64 `json:"lost_found_lookback_s"`
	FallbackIntervalS  *int64 `json:"fallback_interval_s"`
	FallbackLookbackS  *int64 `json:"fallback_lookback_s"`
	InitialLookbackS   *int64 `json:"initial_lookback_s"`
}

func (s *scheduleRequest) input() *service.ScheduleInput {
	if s == nil {
		return nil
	}
	return &service.ScheduleInput{
		NewIntervalS: s.NewIntervalS, LostFoundIntervalS: s.LostFoundIntervalS,
		LostFoundLookbackS: s.LostFoundLookbackS, FallbackIntervalS: s.FallbackIntervalS,
		FallbackLookbackS: s.FallbackLookbackS, InitialLookbackS: s.InitialLookbackS,
	}
}

type createIntegrationRequest struct {
	Type      string           `json:"type"`
	Name      string           `json:"name"`
	Config    map[string]any   `json:"config"`
	Schedule  *scheduleRequest `json:"schedule"`
	Mirroring bool             `json:"mirroring"`
}

type updateIntegrationRequest struct {
	Type      *string          `json:"type"`
	Name      *string          `json:"name"`
	Config    map[string]any   `json:"config"`
	Schedule  *scheduleRequest `json:"schedule"`
	Mirroring *bool            `json:"mirroring"`
}

type syncRequest struct {
	Kind string `json:"kind"`
}

func ids(c *gin.Context) (string, string) {
	return c.Param("customer_id"), c.Param("integration_id")
}

func (h *integrationHandler) create(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req createIntegrationRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	cid := c.Param("customer_id")
	v, err := h.svc.CreateIntegration(c.Request.Context(), who(c), cid, service.CreateIntegration{
		Type: req.Type, Name: req.Name, Config: req.Config, Schedule: req.Schedule.input(), Mirroring: req.Mirroring,
	})
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/customers/"+cid+"/integrations/"+v.ID)
	c.JSON(http.StatusCreated, renderIntegration(v))
	return nil
}

func (h *integrationHandler) list(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	vs, total, err := h.svc.ListIntegrations(c.Request.Context(), who(c), c.Param("customer_id"), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list(p, total, renderEach(vs, renderIntegration)))
	return nil
}

func (h *integrationHandler) get(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	cid, id := ids(c)
	v, err := h.svc.GetIntegration(c.Request.Context(), who(c), cid, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderIntegration(v))
	return nil
}

func (h *integrationHandler) update(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req updateIntegrationRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	cid, id := ids(c)
	v, err := h.svc.UpdateIntegration(c.Request.Context(), who(c), cid, id, service.UpdateIntegration{
		Type: req.Type, Name: req.Name, Config: req.Config, Schedule: req.Schedule.input(), Mirroring: req.Mirroring,
	})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, renderIntegration(v))
	return nil
}

func (h *integrationHandler) delete(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	cid, id := ids(c)
	if err := h.svc.DeleteIntegration(c.Request.Context(), who(c), cid, id); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (h *integrationHandler) test(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	if err := decodeJSON(c, &struct{}{}, true); err != nil {
		return err
	}
	cid, id := ids(c)
	r, err := h.svc.TestIntegration(c.Request.Context(), who(c), cid, id)
	if err != nil {
		return err
	}
	details := r.Details
	if details == nil {
		details = map[string]string{}
	}
	c.JSON(http.StatusOK, TestJSON{OK: r.OK, Message: r.Message, Details: details, CheckedAt: ts(r.CheckedAt)})
	return nil
}

// action serves enable, disable, pause and resume: no parameters, the
// integration as it now is in answer.
func action(fn func(ctx context.Context, who *store.Token, cid, id string) (*service.IntegrationView, error)) func(*gin.Context) error {
	return func(c *gin.Context) error {
		if _, err := newQuery(c); err != nil {
			return err
		}
		if err := decodeJSON(c, &struct{}{}, true); err != nil {
			return err
		}
		cid, id := ids(c)
		v, err := fn(c.Request.Context(), who(c), cid, id)
		if err != nil {
			return err
		}
		c.JSON(http.StatusOK, renderIntegration(v))
		return nil
	}
}

func (h *integrationHandler) sync(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req syncRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	cid, id := ids(c)
	if err := h.svc.SyncIntegration(c.Request.Context(), who(c), cid, id, req.Kind); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, SyncJSON{IntegrationID: id, Kind: req.Kind})
	return nil
}

func (h *integrationHandler) logs(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	cid, id := ids(c)
	es, total, err := h.svc.ListLogs(c.Request.Context(), who(c), cid, id, p)
	if err != nil {
		return err
	}
	items := make([]LogJSON, 0, len(es))
	for _, e := range es {
		items = append(items, renderLog(e))
	}
	c.JSON(http.StatusOK, list(p, total, items))
	return nil
}

func (h *integrationHandler) runs(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	cid, id := ids(c)
	rs, total, err := h.svc.ListRuns(c.Request.Context(), who(c), cid, id, p)
	if err != nil {
		return err
	}
	items := make([]RunJSON, 0, len(rs))
	for _, r := range rs {
		items = append(items, renderRun(r))
	}
	c.JSON(http.StatusOK, list(p, total, items))
	return nil
}

// bucketWidths are the values of the stats bucket parameter.
var bucketWidths = map[string]time.Duration{"5m": service.Bucket5m, "1h": service.Bucket1h, "1d": service.Bucket1d}

func (h *integrationHandler) stats(c *gin.Context) error {
	q, err := newQuery(c, "from", "to", "bucket")
	if err != nil {
		return err
	}
	var req service.StatsRequest
	if req.From, err = q.time("from"); err != nil {
		return err
	}
	if req.To, err = q.time("to"); err != nil {
		return err
	}
	if b := q.str("bucket"); b != "" {
		w, ok := bucketWidths[b]
		if !ok {
			return badRequest("query parameter \"bucket\" must be one of 5m, 1h, 1d, got %q", b)
		}
		req.Width = w
	}
	cid, id := ids(c)
	bs, err := h.svc.Stats(c.Request.Context(), who(c), cid, id, req)
	if err != nil {
		return err
	}
	out := StatsJSON{Buckets: make([]BucketJSON, 0, len(bs))}
	for _, b := range bs {
		out.Buckets = append(out.Buckets, BucketJSON{
			Start: ts(b.Start), New: b.New, LostFound: b.LostFound, Fallback: b.Fallback, Events: b.Events, Errors: b.Errors,
		})
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// tokenHandler serves /v1/tokens.
type tokenHandler struct{ svc TokenService }

type createTokenRequest struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	CustomerID string `json:"customer_id"`
}

func (h *tokenHandler) create(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	var req createTokenRequest
	if err := decodeJSON(c, &req, false); err != nil {
		return err
	}
	t, secret, err := h.svc.CreateToken(c.Request.Context(), who(c), service.CreateToken{
		Name: req.Name, Role: req.Role, CustomerID: req.CustomerID,
	})
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, CreatedTokenJSON{TokenJSON: renderToken(t), Token: secret})
	return nil
}

func (h *tokenHandler) list(c *gin.Context) error {
	p, err := plainPage(c)
	if err != nil {
		return err
	}
	ts, total, err := h.svc.ListTokens(c.Request.Context(), who(c), p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list(p, total, renderEach(ts, renderToken)))
	return nil
}

func (h *tokenHandler) delete(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	if err := h.svc.DeleteToken(c.Request.Context(), who(c), c.Param("token_id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// eventHandler serves /v1/security-events.
type eventHandler struct{ svc EventService }

var eventParams = []string{"customer_id", "integration_id", "origin", "severity", "from", "to", "skip", "take"}

func (h *eventHandler) list(c *gin.Context) error {
	q, err := newQuery(c, eventParams...)
	if err != nil {
		return err
	}
	p, err := q.page(false)
	if err != nil {
		return err
	}
	f := store.EventFilter{
		CustomerID:    q.str("customer_id"),
		IntegrationID: q.str("integration_id"),
		Origin:        q.str("origin"),
		MinSeverity:   q.str("severity"),
	}
	if f.From, err = q.time("from"); err != nil {
		return err
	}
	// Here "to" bounds detection_time (API.md); a value that is not a time
	// is the id of an event, pinning a growing list as on other lists.
	if to := q.str("to"); to != "" {
		if t, perr := time.Parse(time.RFC3339Nano, to); perr == nil {
			f.To = t.UTC()
		} else {
			p.ToID = to
		}
	}
	es, total, err := h.svc.ListEvents(c.Request.Context(), who(c), f, p)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list(p, total, renderEach(es, renderEvent)))
	return nil
}

func (h *eventHandler) get(c *gin.Context) error {
	if _, err := newQuery(c); err != nil {
		return err
	}
	e, err := h.svc.GetEvent(c.Request.Context(), who(c), c.Param("id"))
	if err != nil {
		return err
	}
	caseLink(c, e.CaseID)
	c.JSON(http.StatusOK, renderEvent(e))
	return nil
}
