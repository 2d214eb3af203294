package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// TestResult is the answer of POST .../test.
type TestResult struct {
	OK        bool
	Message   string
	Details   map[string]string
	CheckedAt time.Time
}

// TestIntegration runs the plugin's Test on the integration's config and
// records the outcome as its health.
func (s *Service) TestIntegration(ctx context.Context, who *store.Token, customerID, id string) (*TestResult, error) {
	in, err := s.integration(ctx, who, customerID, id)
	if err != nil {
		return nil, err
	}
	s.addLog(ctx, id, store.LevelInfo, store.LogAction, actor(who), "test requested")
	return s.runTest(ctx, who, in)
}

// runTest calls Test with its own deadline. A verdict (OK, not OK, a
// credential or config error) sets health; a test that could not complete
// (plugin down, vendor outage or rate limit, deadline) leaves health as it
// was, is logged, and is returned as an error.
func (s *Service) runTest(ctx context.Context, who *store.Token, in *store.Integration) (*TestResult, error) {
	info, err := s.readyPlugin(in.Type)
	if err != nil {
		s.addLog(ctx, in.ID, store.LevelWarning, store.LogHealth, actor(who), "test could not run: "+clientMessage(err))
		return nil, err
	}
	res := &TestResult{Details: map[string]string{}}
	cfg, cfgErr := PluginConfig(info.Schema, in)
	if cfgErr != nil {
		res.Message = cfgErr.Error()
	} else {
		conn, err := s.plugins.Connector(in.Type)
		if err != nil {
			e := &Error{Kind: ErrUnavailable, Message: fmt.Sprintf("plugin %q is unavailable", in.Type), Err: err}
			s.addLog(ctx, in.ID, store.LevelWarning, store.LogHealth, actor(who), "test could not run: "+e.Message)
			return nil, e
		}
		tctx, cancel := context.WithTimeout(ctx, s.testTimeout)
		resp, err := conn.Test(tctx, sdk.TestRequest{Integration: sdk.Integration{ID: in.ID, Config: cfg}})
		cancel()
		var ic *sdk.InvalidConfigError
		switch {
		case err == nil && resp != nil:
			res.OK, res.Message = resp.OK, resp.Message
			for k, v := range resp.Details {
				res.Details[k] = v
			}
		case sdk.IsCredentialError(err), errors.As(err, &ic):
			res.Message = err.Error()
		default:
			if err == nil {
				err = errors.New("plugin answered no test result")
			}
			e := incomplete(err, s.testTimeout)
			s.addLog(ctx, in.ID, store.LevelWarning, store.LogHealth, actor(who), "test could not complete: "+e.Message)
			return nil, e
		}
	}
	res.CheckedAt = s.now().UTC()
	if res.Message == "" {
		if res.OK {
			res.Message = "test passed"
		} else {
			res.Message = "test failed"
		}
	}
	health, level, verdict := store.HealthHealthy, store.LevelInfo, "test passed: "
	if !res.OK {
		health, level, verdict = store.HealthUnhealthy, store.LevelError, "test failed: "
	}
	if _, err := s.store.UpdateIntegration(ctx, in.ID, func(x *store.Integration) error {
		x.Health = health
		x.HealthMessage = res.Message
		x.LastTestedAt = res.CheckedAt
		return nil
	}); err != nil {
		return nil, storeError(err, "integration", in.ID)
	}
	s.addLog(ctx, in.ID, level, store.LogHealth, actor(who), verdict+res.Message)
	return res, nil
}

// incomplete describes a test that did not reach a verdict.
func incomplete(err error, timeout time.Duration) *Error {
	msg := "test did not complete: " + err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		msg = fmt.Sprintf("test did not complete within %s", timeout)
	case errors.Is(err, context.Canceled):
		msg = "test was cancelled"
	}
	if wait, ok := sdk.RetryWait(err); ok {
		msg = fmt.Sprintf("test did not complete: the vendor asked to retry after %s", wait)
	}
	return &Error{Kind: ErrUnavailable, Message: msg, Err: err}
}

// EnableIntegration starts an integration's queries; it needs a passing
// last test.
func (s *Service) EnableIntegration(ctx context.Context, who *store.Token, customerID, id string) (*IntegrationView, error) {
	in, err := s.integration(ctx, who, customerID, id)
	if err != nil {
		return nil, err
	}
	if err := needHealthy(in); err != nil {
		return nil, err
	}
	info, err := s.readyPlugin(in.Type)
	if err != nil {
		return nil, err
	}
	updated, err := s.store.UpdateIntegration(ctx, id, func(x *store.Integration) error {
		if err := needHealthy(x); err != nil {
			return err
		}
		x.Status = store.StatusActive
		x.EverEnabled = true
		x.UpdatedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return nil, storeError(err, "integration", id)
	}
	s.schedule(updated, info)
	s.addLog(ctx, id, store.LevelInfo, store.LogAction, actor(who), "integration enabled")
	return s.view(updated), nil
}

func needHealthy(in *store.Integration) error {
	if in.Health == store.HealthHealthy {
		return nil
	}
	return FailedPrecondition("integration %q cannot be enabled: its last test did not pass (health %s); run POST .../test first", in.ID, in.Health)
}

// DisableIntegration stops an integration's queries (NOT_ACTIVE).
func (s *Service) DisableIntegration(ctx context.Context, who *store.Token, customerID, id string) (*IntegrationView, error) {
	return s.setStatus(ctx, who, customerID, id, store.StatusNotActive, "integration disabled", nil)
}

// PauseIntegration holds an enabled integration; its cursor is kept and
// Resume goes on where it stopped.
func (s *Service) PauseIntegration(ctx context.Context, who *store.Token, customerID, id string) (*IntegrationView, error) {
	return s.setStatus(ctx, who, customerID, id, store.StatusPaused, "integration paused", needEnabled("paused"))
}

// ResumeIntegration restarts a paused integration's queries.
func (s *Service) ResumeIntegration(ctx context.Context, who *store.Token, customerID, id string) (*IntegrationView, error) {
	return s.setStatus(ctx, who, customerID, id, store.StatusActive, "integration resumed", needEnabled("resumed"))
}

// needEnabled refuses an integration that is not ACTIVE or PAUSED.
func needEnabled(verb string) func(*store.Integration) error {
	return func(in *store.Integration) error {
		if in.Status == store.StatusActive || in.Status == store.StatusPaused {
			return nil
		}
		return FailedPrecondition("integration %q is not enabled and cannot be %s: enable it first", in.ID, verb)
	}
}

func (s *Service) setStatus(ctx context.Context, who *store.Token, customerID, id, status, msg string, check func(*store.Integration) error) (*IntegrationView, error) {
	in, err := s.integration(ctx, who, customerID, id)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(in); err != nil {
			return nil, err
		}
	}
	var info PluginInfo
	if status == store.StatusActive {
		if info, err = s.readyPlugin(in.Type); err != nil {
			return nil, err
		}
	}
	updated, err := s.store.UpdateIntegration(ctx, id, func(x *store.Integration) error {
		if check != nil {
			if err := check(x); err != nil {
				return err
			}
		}
		x.Status = status
		x.UpdatedAt = s.now().UTC()
		return nil
	})
	if err != nil {
		return nil, storeError(err, "integration", id)
	}
	if status == store.StatusActive {
		s.schedule(updated, info)
	} else {
		s.sched.Remove(id)
	}
	s.addLog(ctx, id, store.LevelInfo, store.LogAction, actor(who), msg)
	return s.view(updated), nil
}

// SyncIntegration asks for a run of one query kind now (or as soon as a
// vendor's rate-limit wait ends).
func (s *Service) SyncIntegration(ctx context.Context, who *store.Token, customerID, id, kind string) error {
	in, err := s.integration(ctx, who, customerID, id)
	if err != nil {
		return err
	}
	k := scheduler.Kind(kind)
	if !k.Valid() {
		return InvalidField("kind", "kind must be one of new, lost_found, fallback, got %q", kind)
	}
	info, err := s.readyPlugin(in.Type)
	if err != nil {
		return err
	}
	has := false
	for _, x := range QueryKinds(info.Capabilities) {
		has = has || x == k
	}
	if !has {
		return InvalidField("kind", "plugin %q has no %s query", in.Type, k)
	}
	switch in.Status {
	case store.StatusActive:
	case store.StatusPaused:
		return FailedPrecondition("integration %q is paused: resume it first", id)
	default:
		return FailedPrecondition("integration %q is not enabled: enable it first", id)
	}
	if err := s.sched.Trigger(id, k); err != nil {
		return &Error{Kind: ErrFailedPrecondition, Message: fmt.Sprintf("integration %q is not scheduled", id), Err: err}
	}
	s.addLog(ctx, id, store.LevelInfo, store.LogAction, actor(who), fmt.Sprintf("sync %s requested", k))
	return nil
}
