package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/host/api"
	"github.com/outpost-soc/outpost/host/ingest"
	"github.com/outpost-soc/outpost/host/metrics"
	"github.com/outpost-soc/outpost/host/mirror"
	"github.com/outpost-soc/outpost/host/plugin"
	"github.com/outpost-soc/outpost/host/scheduler"
	"github.com/outpost-soc/outpost/host/service"
	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

type serveConfig struct {
	dataDir, listen, pluginDir string
	logLevel, logFormat        string
	apiRate                    float64
	apiBurst                   int
	maxConcurrent              int
	debugAddr                  string
}

func parseServe(args []string) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.dataDir, "data-dir", env("OUTPOST_DATA_DIR", "./data"), "data directory (database, secret.key, admin.token) [OUTPOST_DATA_DIR]")
	fs.StringVar(&c.listen, "listen", env("OUTPOST_LISTEN", "127.0.0.1:8080"), "address of the REST API [OUTPOST_LISTEN]")
	fs.StringVar(&c.pluginDir, "plugin-dir", env("OUTPOST_PLUGIN_DIR", "./bin/plugins"), "directory of outpost-plugin-* binaries [OUTPOST_PLUGIN_DIR]")
	fs.StringVar(&c.logLevel, "log-level", env("OUTPOST_LOG_LEVEL", "info"), "trace, debug, info, warn or error [OUTPOST_LOG_LEVEL]")
	fs.StringVar(&c.logFormat, "log-format", env("OUTPOST_LOG_FORMAT", "text"), "text or json [OUTPOST_LOG_FORMAT]")
	rate, _ := strconv.ParseFloat(env("OUTPOST_API_RATE", "10"), 64)
	burst, _ := strconv.Atoi(env("OUTPOST_API_BURST", "10"))
	conc, _ := strconv.Atoi(env("OUTPOST_MAX_CONCURRENT_RUNS", "8"))
	fs.Float64Var(&c.apiRate, "api-rate", rate, "requests per second per API token [OUTPOST_API_RATE]")
	fs.IntVar(&c.apiBurst, "api-burst", burst, "burst per API token [OUTPOST_API_BURST]")
	fs.IntVar(&c.maxConcurrent, "max-concurrent-runs", conc, "query runs in flight at once, all integrations [OUTPOST_MAX_CONCURRENT_RUNS]")
	fs.StringVar(&c.debugAddr, "debug-addr", env("OUTPOST_DEBUG_ADDR", ""), "serve Go's pprof profiles on this loopback address (off when empty) [OUTPOST_DEBUG_ADDR]")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if hclog.LevelFromString(c.logLevel) == hclog.NoLevel {
		return c, fmt.Errorf("serve: unknown --log-level %q", c.logLevel)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return c, fmt.Errorf("serve: --log-format must be text or json, not %q", c.logFormat)
	}
	if c.apiRate <= 0 || c.apiBurst <= 0 || c.maxConcurrent <= 0 {
		return c, errors.New("serve: --api-rate, --api-burst and --max-concurrent-runs must be positive")
	}
	return c, nil
}

// serve runs the host until SIGINT or SIGTERM. The port opens first and
// answers 503 on /healthz until the store is open, admin.token exists and
// the plugin directory has been scanned once.
func serve(args []string) error {
	cfg, err := parseServe(args)
	if err != nil {
		return err
	}
	log := hclog.New(&hclog.LoggerOptions{
		Name:       "outpost",
		Level:      hclog.LevelFromString(cfg.logLevel),
		JSONFormat: cfg.logFormat == "json",
		Output:     os.Stderr,
	})
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.debugAddr != "" {
		if err := serveDebug(cfg.debugAddr, log); err != nil {
			return err
		}
	}

	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return fmt.Errorf("creating data dir: %w", err)
	}
	key, err := store.LoadKey(cfg.dataDir)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(cfg.dataDir, "outpost.db")
	db, err := store.Open(dbPath, store.Options{Key: key, Logger: log.Named("store")})
	if err != nil {
		return fmt.Errorf("opening %s: %w", dbPath, err)
	}
	defer db.Close()
	log.Info("store open", "path", dbPath)

	plugins := plugin.New(plugin.Options{Dir: cfg.pluginDir, Logger: log})
	defer plugins.Close()

	connector := func(name string) (sdk.Connector, error) {
		c, err := plugins.Connector(name)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return c, nil
	}
	// met is set below, before sched.Start: no run can call it earlier.
	var met *metrics.Metrics
	runner := ingest.New(ingest.Options{
		Store: db, Logger: log, Connector: connector,
		OnRun: func(in *store.Integration, run store.Run) { met.ObserveRun(in.Type, run.Kind, run) },
		OnCommit: func(in *store.Integration, kind scheduler.Kind, res store.CommitResult) {
			met.ObserveCommit(in.Type, string(kind), res)
		},
	})
	outbox := mirror.New(mirror.Options{Store: db, Logger: log, Connector: connector})
	sched := scheduler.New(scheduler.Options{Runner: runner, Logger: log.Named("scheduler"), MaxConcurrent: cfg.maxConcurrent})
	met = metrics.New(metrics.Options{Plugins: plugins, Scheduler: sched, Version: version, Logger: log})
	svc := service.New(service.Options{Store: db, Plugins: service.ManagerPlugins(plugins), Scheduler: sched, Logger: log.Named("service")})

	// notReady is why the host cannot serve yet; nil once it can.
	var notReady atomic.Pointer[string]
	setNotReady := func(why string) { notReady.Store(&why) }
	setNotReady("starting: plugin directory not scanned yet")
	handler := api.New(api.Options{
		Service:    svc,
		Logger:     log,
		RateLimit:  cfg.apiRate,
		Burst:      cfg.apiBurst,
		Metrics:    met.Handler(),
		Instrument: met.GinMiddleware(),
		Ready: func() error {
			if why := notReady.Load(); why != nil {
				return errors.New(*why)
			}
			return nil
		},
	})
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.listen, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("api listening", "addr", ln.Addr().String())

	if err := svc.EnsureAdminToken(ctx, cfg.dataDir, os.Getenv("OUTPOST_ADMIN_TOKEN")); err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	log.Info("scanning plugin directory", "dir", cfg.pluginDir)
	if err := plugins.Scan(ctx); err != nil {
		log.Error("scanning plugin directory", "dir", cfg.pluginDir, "error", err)
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	// A vendor's rate-limit wait outlives a restart: hold those
	// integrations until it is over instead of asking again at once.
	if all, err := db.AllIntegrations(ctx); err == nil {
		for _, in := range all {
			if in.HoldUntil.After(time.Now()) {
				sched.Hold(in.ID, in.HoldUntil)
				log.Info("integration held by a vendor rate limit", "integration_id", in.ID, "until", in.HoldUntil)
			}
		}
	}
	sched.Start(ctx)
	mirrorDone := make(chan struct{})
	go func() { outbox.Run(ctx); close(mirrorDone) }()
	notReady.Store(nil)
	log.Info("outpost ready", "version", version, "plugins", len(plugins.List()))

	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-served:
		log.Error("api server stopped", "error", err)
	}
	setNotReady("shutting down")
	shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = srv.Shutdown(shut)
	// In-flight runs are cancelled; every batch already committed stays,
	// with its cursor, and the next start resumes from there.
	sched.Stop()
	stop()
	<-mirrorDone
	if err := plugins.Close(); err != nil {
		log.Warn("stopping plugins", "error", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing store: %w", err)
	}
	log.Info("stopped")
	return nil
}
