// Command vendorsim serves every fake vendor on loopback, for the demo,
// end-to-end tests and benchmarks.
//
// Once its listener is bound it prints one JSON line per vendor on stdout:
//
//	{"vendor":"hello","base_url":"http://127.0.0.1:9900/hello","config":{...}}
//
// where config is a working integration config for that vendor's plugin.
// Nothing else goes to stdout; logs go to stderr. GET /_sim/<vendor>/state
// reports what each fake holds and every write-back it accepted.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

type startLine struct {
	Vendor  string         `json:"vendor"`
	BaseURL string         `json:"base_url"`
	Config  map[string]any `json:"config"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vendorsim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	d := fakevendor.DefaultOptions()
	fs := flag.NewFlagSet("vendorsim", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:9900", "address to listen on (loopback)")
	alerts := fs.Int("alerts", d.Alerts, "alerts each vendor holds at start, spread over the hour before start")
	rate := fs.Float64("rate", d.Rate, "new alerts per second per vendor (0 = none)")
	maxAlerts := fs.Int("max-alerts", 0, "most alerts a vendor holds (0 = no cap)")
	late := fs.Float64("late-fraction", d.LateFraction, "share of alerts that become visible only --late-delay after their timestamp")
	lateDelay := fs.Duration("late-delay", d.LateDelay, "how late a late alert becomes visible")
	every := fs.Int("rate-limit-every", 0, "answer every K-th request with the vendor's 429 (0 = never)")
	seed := fs.Int64("seed", d.Seed, "seed for deterministic data and credentials")
	only := fs.String("vendors", "", "comma-separated vendors to serve (default: all)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *late < 0 || *late > 1 {
		return errors.New("--late-fraction must be within [0, 1]")
	}
	if *alerts < 0 || *rate < 0 || *maxAlerts < 0 || *every < 0 {
		return errors.New("--alerts, --rate, --max-alerts and --rate-limit-every must not be negative")
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "vendorsim", Output: os.Stderr, Level: hclog.Info})
	opts := fakevendor.Options{
		Alerts: *alerts, Rate: *rate, MaxAlerts: *maxAlerts, LateFraction: *late,
		LateDelay: *lateDelay, RateLimitEvery: *every, Seed: *seed,
	}
	vendors, err := select_(*only, opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	root := "http://" + ln.Addr().String()
	enc := json.NewEncoder(os.Stdout)
	for _, v := range vendors {
		base := root + "/" + v.Name()
		if err := enc.Encode(startLine{Vendor: v.Name(), BaseURL: base, Config: v.Config(base)}); err != nil {
			return err
		}
		log.Info("serving fake vendor", "vendor", v.Name(), "base_url", base, "alerts", v.Store().State().Alerts)
	}
	srv := &http.Server{Handler: fakevendor.Mux(vendors...), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
