// Command demo runs the Outpost demo: bin/vendorsim with every fake vendor,
// bin/outpost on a demo data directory, and a demo customer with one
// integration per simulated vendor, each tested and enabled. It prints the
// events stored per integration every few seconds until Ctrl-C, then stops
// both processes. Run it with `make demo`.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type vendor struct {
	Vendor  string         `json:"vendor"`
	BaseURL string         `json:"base_url"`
	Config  map[string]any `json:"config"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("bin", "bin", "directory with outpost, vendorsim and plugins/")
	dataDir := flag.String("data-dir", "data-demo", "the demo host's data directory (wiped at start)")
	listen := flag.String("listen", "127.0.0.1:8080", "the demo host's API address")
	simAddr := flag.String("sim", "127.0.0.1:9900", "vendorsim's address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if err := os.RemoveAll(*dataDir); err != nil {
		return err
	}
	sim := exec.CommandContext(ctx, filepath.Join(*bin, "vendorsim"), "--listen", *simAddr)
	simOut, err := sim.StdoutPipe()
	if err != nil {
		return err
	}
	sim.Stderr = os.Stderr
	if err := sim.Start(); err != nil {
		return fmt.Errorf("starting vendorsim: %w", err)
	}
	defer sim.Process.Kill()
	host := exec.CommandContext(ctx, filepath.Join(*bin, "outpost"), "serve", "--data-dir", *dataDir,
		"--listen", *listen, "--plugin-dir", filepath.Join(*bin, "plugins"), "--log-level", "warn")
	host.Stdout, host.Stderr = os.Stderr, os.Stderr
	if err := host.Start(); err != nil {
		return fmt.Errorf("starting outpost: %w", err)
	}
	defer host.Process.Kill()

	vendors := map[string]vendor{}
	sc := bufio.NewScanner(simOut)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	lines := make(chan vendor)
	go func() {
		for sc.Scan() {
			var v vendor
			if json.Unmarshal(sc.Bytes(), &v) == nil {
				lines <- v
			}
		}
		close(lines)
	}()
	for collecting := true; collecting; {
		select {
		case v, ok := <-lines:
			if !ok {
				collecting = false
				break
			}
			vendors[v.Vendor] = v
		case <-time.After(2 * time.Second):
			collecting = false
		}
	}
	if len(vendors) == 0 {
		return errors.New("vendorsim printed no vendors")
	}
	api := "http://" + *listen
	if err := waitHealthy(ctx, api); err != nil {
		return err
	}
	tok, err := os.ReadFile(filepath.Join(*dataDir, "admin.token"))
	if err != nil {
		return err
	}
	c := &client{base: api, token: strings.TrimSpace(string(tok))}
	var cust struct {
		ID string `json:"customer_id"`
	}
	if err := c.do("POST", "/v1/customers", map[string]any{"name": "demo customer"}, &cust); err != nil {
		return err
	}
	names := make([]string, 0, len(vendors))
	for n := range vendors {
		names = append(names, n)
	}
	sort.Strings(names)
	ids := map[string]string{}
	for _, n := range names {
		var in struct {
			ID string `json:"integration_id"`
		}
		base := "/v1/customers/" + cust.ID + "/integrations"
		if err := c.do("POST", base, map[string]any{"type": n, "name": n + " (simulated)", "config": vendors[n].Config,
			"schedule": map[string]any{"new_interval_s": 10, "lost_found_interval_s": 60}}, &in); err != nil {
			fmt.Printf("%-12s not created: %v\n", n, err)
			continue
		}
		var tr struct {
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		}
		if err := c.do("POST", base+"/"+in.ID+"/test", nil, &tr); err != nil || !tr.OK {
			fmt.Printf("%-12s test failed: %v %s\n", n, err, tr.Message)
			continue
		}
		if err := c.do("POST", base+"/"+in.ID+"/enable", nil, nil); err != nil {
			fmt.Printf("%-12s not enabled: %v\n", n, err)
			continue
		}
		ids[n] = in.ID
		fmt.Printf("%-12s enabled (integration %s)\n", n, in.ID)
	}
	fmt.Printf("\nOutpost is at %s (admin token in %s/admin.token); Ctrl-C stops the demo.\n\n", api, *dataDir)
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Println("\nstopping")
			_ = host.Process.Signal(syscall.SIGTERM)
			_ = host.Wait()
			return nil
		case <-tick.C:
			var parts []string
			for _, n := range names {
				if id, ok := ids[n]; ok {
					var t struct {
						Total int `json:"total"`
					}
					_ = c.do("GET", "/v1/security-events?integration_id="+id, nil, &t)
					parts = append(parts, fmt.Sprintf("%s %d", n, t.Total))
				}
			}
			fmt.Println(time.Now().Format("15:04:05"), "events stored:", strings.Join(parts, ", "))
		}
	}
}

func waitHealthy(ctx context.Context, api string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(api + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("outpost did not become healthy within 60 s")
}

type client struct{ base, token string }

// do sends one request, waiting out the API's per-token rate limit
// (429 with Retry-After) as a well-behaved client does.
func (c *client) do(method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequest(method, c.base+path, bytes.NewReader(payload))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "ApiToken "+c.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests && attempt < 10 {
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
			continue
		}
		if resp.StatusCode >= 300 {
			return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(raw)))
		}
		if out != nil {
			return json.Unmarshal(raw, out)
		}
		return nil
	}
}
