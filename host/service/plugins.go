package service

import (
	"context"
	"fmt"

	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// PluginInfo is what the plugin manager knows of one plugin.
type PluginInfo = plugin.Info

// Plugins is what the service needs of the plugin manager. ManagerPlugins
// adapts a *plugin.Manager; tests use a fake.
type Plugins interface {
	// List returns every plugin found, sorted by name.
	List() []PluginInfo
	// Get returns the plugin called name.
	Get(name string) (PluginInfo, bool)
	// Connector returns the connector of a READY plugin.
	Connector(name string) (sdk.Connector, error)
	// Rescan re-reads the plugin directory.
	Rescan(ctx context.Context) error
}

// ManagerPlugins adapts m to Plugins: Connector returns the *plugin.Conn as
// an sdk.Connector, and Rescan is m.Scan.
func ManagerPlugins(m *plugin.Manager) Plugins { return managerPlugins{m} }

type managerPlugins struct{ m *plugin.Manager }

var _ Plugins = managerPlugins{}

func (p managerPlugins) List() []PluginInfo { return p.m.List() }

func (p managerPlugins) Get(name string) (PluginInfo, bool) { return p.m.Get(name) }

func (p managerPlugins) Connector(name string) (sdk.Connector, error) {
	c, err := p.m.Connector(name)
	if err != nil {
		// Not a typed nil: a nil *Conn in an interface would not be nil.
		return nil, err
	}
	return c, nil
}

func (p managerPlugins) Rescan(ctx context.Context) error { return p.m.Scan(ctx) }

func ready(info PluginInfo) bool { return info.State == plugin.StateReady }

// readyPlugin returns the info of the plugin an existing integration of
// type typ runs on; a plugin that is gone or failed is unavailable, since a
// rescan may bring it back.
func (s *Service) readyPlugin(typ string) (PluginInfo, error) {
	info, ok := s.plugins.Get(typ)
	switch {
	case !ok:
		return PluginInfo{}, Unavailable("plugin %q is not installed", typ)
	case !ready(info):
		return PluginInfo{}, Unavailable("plugin %q is not ready: %s", typ, info.Error)
	}
	return info, nil
}

// ListPlugins lists the plugins, sorted by name; every token may read it.
func (s *Service) ListPlugins(ctx context.Context, who *store.Token, p store.Page) ([]PluginInfo, int, error) {
	if who == nil {
		return nil, 0, Unauthenticated("missing API token")
	}
	all := s.plugins.List()
	return pageSlice(all, p), len(all), nil
}

// RescanPlugins re-reads the plugin directory (admin only) and then
// reloads the scheduler, so that integrations of a new or repaired plugin
// start and those of a lost one stop.
func (s *Service) RescanPlugins(ctx context.Context, who *store.Token) ([]PluginInfo, error) {
	if err := requireAdmin(who); err != nil {
		return nil, err
	}
	if err := s.plugins.Rescan(ctx); err != nil {
		return nil, fmt.Errorf("rescanning plugins: %w", err)
	}
	if err := s.reload(ctx); err != nil {
		return nil, err
	}
	return s.plugins.List(), nil
}
