package service

import (
	"context"
	"errors"
	"strings"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// The connection values, derived by Connection (DESIGN.md).
const (
	ConnectionError        = "ERROR"
	ConnectionConnected    = "CONNECTED"
	ConnectionPending      = "PENDING"
	ConnectionDisconnected = "DISCONNECTED"
)

// Connection derives the connection field from an integration's status,
// health and whether it was ever enabled.
func Connection(status, health string, everEnabled bool) string {
	if health == store.HealthUnhealthy {
		return ConnectionError
	}
	switch status {
	case store.StatusActive, store.StatusIngesting:
		if health == store.HealthHealthy {
			return ConnectionConnected
		}
		// Enabled but untested: a config change whose test could not run
		// yet. The table has no row for it; the check is pending.
		return ConnectionPending
	case store.StatusPaused:
		return ConnectionDisconnected
	}
	if everEnabled {
		return ConnectionDisconnected
	}
	return ConnectionPending
}

// IntegrationView is an integration as a client reads it: Config has every
// stored secret as Mask, Secrets is nil, Status is INGESTING while a query
// runs, and Connection is derived.
type IntegrationView struct {
	store.Integration
	Connection string
}

func (s *Service) view(in *store.Integration) *IntegrationView {
	v := &IntegrationView{Integration: *in}
	v.Config = maskedConfig(in)
	v.Secrets = nil
	if v.Status == store.StatusActive && s.sched.Running(in.ID) {
		v.Status = store.StatusIngesting
	}
	v.Connection = Connection(v.Status, v.Health, v.EverEnabled)
	return v
}

// ScheduleInput is a schedule as a client sends it, in seconds; a nil field
// keeps its current (on create, its default) value.
type ScheduleInput struct {
	NewIntervalS       *int64
	LostFoundIntervalS *int64
	LostFoundLookbackS *int64
	FallbackIntervalS  *int64
	FallbackLookbackS  *int64
	InitialLookbackS   *int64
}

// MaxScheduleS caps every schedule field (366 days), far beyond any vendor's
// retention, so that no value overflows a time.Duration.
const MaxScheduleS = 366 * 24 * 3600

// DefaultSchedule is the host's schedule (API.md).
func DefaultSchedule() sdk.Schedule {
	return sdk.Schedule{
		NewIntervalS:       60,
		LostFoundIntervalS: 900,
		LostFoundLookbackS: 3600,
		FallbackIntervalS:  21600,
		FallbackLookbackS:  86400,
		InitialLookbackS:   86400,
	}
}

// pluginSchedule is the host's schedule with the plugin's suggestions laid
// over it; a suggestion out of range is ignored.
func pluginSchedule(info PluginInfo) sdk.Schedule {
	out := DefaultSchedule()
	d := info.DefaultSchedule
	for _, p := range []struct {
		dst *int64
		v   int64
	}{
		{&out.NewIntervalS, d.NewIntervalS},
		{&out.LostFoundIntervalS, d.LostFoundIntervalS},
		{&out.LostFoundLookbackS, d.LostFoundLookbackS},
		{&out.FallbackIntervalS, d.FallbackIntervalS},
		{&out.FallbackLookbackS, d.FallbackLookbackS},
		{&out.InitialLookbackS, d.InitialLookbackS},
	} {
		if p.v >= 1 && p.v <= MaxScheduleS {
			*p.dst = p.v
		}
	}
	return out
}

// applySchedule lays in over base, refusing values out of [1 s, 366 days].
func applySchedule(base sdk.Schedule, in *ScheduleInput) (sdk.Schedule, error) {
	if in == nil {
		return base, nil
	}
	out := base
	for _, p := range []struct {
		name string
		dst  *int64
		v    *int64
	}{
		{"new_interval_s", &out.NewIntervalS, in.NewIntervalS},
		{"lost_found_interval_s", &out.LostFoundIntervalS, in.LostFoundIntervalS},
		{"lost_found_lookback_s", &out.LostFoundLookbackS, in.LostFoundLookbackS},
		{"fallback_interval_s", &out.FallbackIntervalS, in.FallbackIntervalS},
		{"fallback_lookback_s", &out.FallbackLookbackS, in.FallbackLookbackS},
		{"initial_lookback_s", &out.InitialLookbackS, in.InitialLookbackS},
	} {
		if p.v == nil {
			continue
		}
		switch {
		case *p.v < 1:
			return base, InvalidField("schedule."+p.name, "schedule.%s must be at least 1 second, got %d", p.name, *p.v)
		case *p.v > MaxScheduleS:
			return base, InvalidField("schedule."+p.name, "schedule.%s must be at most %d seconds (366 days), got %d", p.name, MaxScheduleS, *p.v)
		}
		*p.dst = *p.v
	}
	return out, nil
}

// polls reports whether a plugin runs queries, and so has a schedule; one
// without Poll (communication) accepts and ignores a schedule.
func polls(info PluginInfo) bool { return hasCapability(info.Capabilities, sdk.CapabilityPoll) }

// CreateIntegration is the body of POST .../integrations.
type CreateIntegration struct {
	Type      string
	Name      string
	Config    map[string]any
	Schedule  *ScheduleInput
	Mirroring bool
}

// CreateIntegration creates an integration of customer customerID. Its type
// must be a READY plugin and its config must pass the plugin's schema; it
// starts NOT_ACTIVE and UNTESTED.
func (s *Service) CreateIntegration(ctx context.Context, who *store.Token, customerID string, req CreateIntegration) (*IntegrationView, error) {
	if _, err := s.customer(ctx, who, customerID); err != nil {
		return nil, err
	}
	typ := strings.TrimSpace(req.Type)
	if typ == "" {
		return nil, InvalidField("type", "type is required: the name of a plugin (GET /v1/plugins)")
	}
	info, ok := s.plugins.Get(typ)
	switch {
	case !ok:
		return nil, InvalidField("type", "unknown integration type %q: no plugin of that name is installed", typ)
	case !ready(info):
		return nil, InvalidField("type", "integration type %q: plugin is not ready: %s", typ, info.Error)
	}
	name, err := checkName("name", req.Name)
	if err != nil {
		return nil, err
	}
	plain, secrets, err := splitConfig(info.Schema, req.Config)
	if err != nil {
		return nil, err
	}
	var sched sdk.Schedule
	if polls(info) {
		if sched, err = applySchedule(pluginSchedule(info), req.Schedule); err != nil {
			return nil, err
		}
	}
	if req.Mirroring && !hasCapability(info.Capabilities, sdk.CapabilityMirror) {
		return nil, InvalidField("mirroring", "plugin %q cannot mirror case changes", typ)
	}
	now := s.now().UTC()
	in := &store.Integration{
		CustomerID: customerID,
		Type:       typ,
		Name:       name,
		Category:   string(info.Category),
		Config:     plain,
		Secrets:    secrets,
		Schedule:   sched,
		Mirroring:  req.Mirroring,
		Status:     store.StatusNotActive,
		Health:     store.HealthUntested,
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	if err := s.store.CreateIntegration(ctx, in); err != nil {
		return nil, storeError(err, "integration", name)
	}
	s.addLog(ctx, in.ID, store.LevelInfo, store.LogAction, actor(who), "integration created")
	return s.view(in), nil
}

// GetIntegration returns integration id of customer customerID.
func (s *Service) GetIntegration(ctx context.Context, who *store.Token, customerID, id string) (*IntegrationView, error) {
	in, err := s.integration(ctx, who, customerID, id)
	if err != nil {
		return nil, err
	}
	return s.view(in), nil
}

// ListIntegrations lists the integrations of customer customerID.
func (s *Service) ListIntegrations(ctx context.Context, who *store.Token, customerID string, p store.Page) ([]IntegrationView, int, error) {
	if _, err := s.customer(ctx, who, customerID); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListIntegrations(ctx, customerID, p)
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	if p.Take <= 0 {
		return nil, total, nil
	}
	out := make([]IntegrationView, 0, len(list))
	for i := range list {
		out = append(out, *s.view(&list[i]))
	}
	return out, total, nil
}

// UpdateIntegration is the body of PATCH .../integrations/{id}; nil fields
// are left as they are.
type UpdateIntegration struct {
	// Type may be sent back unchanged; a different type is refused.
	Type *string
	Name *string
	// Config is merged onto the stored config: a field sent replaces the
	// stored one, null removes it, Mask keeps a stored secret.
	Config    map[string]any
	Schedule  *ScheduleInput
	Mirroring *bool
}

// UpdateIntegration changes an integration. A changed config resets health
// to UNTESTED and re-runs the test at once; a changed schedule of an
// enabled integration goes to the scheduler.
func (s *Service) UpdateIntegration(ctx context.Context, who *store.Token, customerID, id string, req UpdateIntegration) (*IntegrationView, error) {
	in, err := s.integration(ctx, who, customerID, id)
	if err != nil {
		return nil, err
	}
	if req.Type != nil && strings.TrimSpace(*req.Type) != in.Type {
		return nil, InvalidField("type", "the type of an integration cannot be changed (it is %q)", in.Type)
	}
	var name string
	if req.Name != nil {
		if name, err = checkName("name", *req.Name); err != nil {
			return nil, err
		}
	}
	var info PluginInfo
	if req.Config != nil || req.Schedule != nil || req.Mirroring != nil && *req.Mirroring {
		if info, err = s.readyPlugin(in.Type); err != nil {
			return nil, err
		}
	}

	var changes []string
	var plain map[string]any
	var secrets map[string]string
	configChanged := false
	if req.Config != nil {
		merged, err := mergeConfig(info.Schema, in, req.Config)
		if err != nil {
			return nil, err
		}
		if plain, secrets, err = splitConfig(info.Schema, merged); err != nil {
			return nil, err
		}
		configChanged = configHash(plain, secrets) != configHash(in.Config, in.Secrets)
		if configChanged {
			changes = append(changes, "config")
		}
	}
	sched := in.Schedule
	scheduleChanged := false
	if req.Schedule != nil && polls(info) {
		base := in.Schedule
		if base == (sdk.Schedule{}) {
			base = pluginSchedule(info)
		}
		if sched, err = applySchedule(base, req.Schedule); err != nil {
			return nil, err
		}
		if scheduleChanged = sched != in.Schedule; scheduleChanged {
			changes = append(changes, "schedule")
		}
	}
	if req.Mirroring != nil && *req.Mirroring && !hasCapability(info.Capabilities, sdk.CapabilityMirror) {
		return nil, InvalidField("mirroring", "plugin %q cannot mirror case changes", in.Type)
	}
	if name != "" && name != in.Name {
		changes = append(changes, "name")
	}
	if req.Mirroring != nil && *req.Mirroring != in.Mirroring {
		changes = append(changes, "mirroring")
	}
	if len(changes) == 0 {
		return s.view(in), nil
	}

	now := s.now().UTC()
	updated, err := s.store.UpdateIntegration(ctx, id, func(x *store.Integration) error {
		if name != "" {
			x.Name = name
		}
		if configChanged {
			x.Config, x.Secrets = plain, secrets
			// The old test said nothing of the new config.
			x.Health = store.HealthUntested
			x.HealthMessage = "config changed; testing"
		}
		if scheduleChanged {
			x.Schedule = sched
		}
		if req.Mirroring != nil {
			x.Mirroring = *req.Mirroring
		}
		x.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, storeError(err, "integration", id)
	}
	s.addLog(ctx, id, store.LevelInfo, store.LogAction, actor(who), "integration updated: "+strings.Join(changes, ", "))
	if scheduleChanged && updated.Status == store.StatusActive {
		s.schedule(updated, info)
	}
	if configChanged {
		if _, err := s.runTest(ctx, who, updated); err != nil {
			// The change stands; health stays UNTESTED until a test runs.
			s.log.Warn("test after config change did not complete", "integration_id", id, "error", err)
			msg := "config changed; the test could not complete: " + clientMessage(err)
			if u, uerr := s.store.UpdateIntegration(ctx, id, func(x *store.Integration) error {
				if x.Health == store.HealthUntested {
					x.HealthMessage = msg
				}
				return nil
			}); uerr == nil {
				updated = u
			}
		} else if u, gerr := s.store.GetIntegration(ctx, id); gerr == nil {
			updated = u
		}
	}
	return s.view(updated), nil
}

// DeleteIntegration deletes an integration and stops its runs; its events
// and cases stay.
func (s *Service) DeleteIntegration(ctx context.Context, who *store.Token, customerID, id string) error {
	if _, err := s.integration(ctx, who, customerID, id); err != nil {
		return err
	}
	if err := s.store.DeleteIntegration(ctx, id); err != nil {
		return storeError(err, "integration", id)
	}
	s.sched.Remove(id)
	return nil
}

// clientMessage is the part of err a client may read.
func clientMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
