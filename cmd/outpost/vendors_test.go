package main

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// vendorCase is what the end-to-end test knows of each vendor plugin.
type vendorCase struct {
	name string
	// pollFindsLate: the plugin's new query resumes from the vendor's own
	// position in storage order (Okta's polling link), so late alerts come
	// in through Poll rather than lost-found.
	pollFindsLate bool
	mirrors       bool
}

var e2eVendors = []vendorCase{
	{name: "okta", pollFindsLate: true},
	{name: "cloudflare"},
	{name: "sentinel", mirrors: true},
	{name: "splunk", mirrors: true},
	{name: "crowdstrike", mirrors: true},
}

// TestEndToEndVendors runs every vendor plugin through the real host and
// vendorsim at once: each integration is created from vendorsim's printed
// config, tested and enabled; every alert of its fake is stored exactly
// once, the late ones (visible 60 s after the fake started, long after
// the cursors passed them) are found, and for mirroring plugins a case
// close and a comment reach the fake.
func TestEndToEndVendors(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	names := []string{}
	for _, v := range e2eVendors {
		names = append(names, v.name)
	}
	const alerts = 300
	sim := startVendorsim(t, names, "--alerts", strconv.Itoa(alerts), "--rate", "0",
		"--late-fraction", "0.05", "--late-delay", "60s", "--rate-limit-every", "13")
	h := startHost(t, t.TempDir(), freePort(t))

	type setup struct {
		vendorCase
		customer, id, base string
	}
	var all []setup
	for _, v := range e2eVendors {
		var cust struct {
			ID string `json:"customer_id"`
		}
		h.must(http.StatusCreated, "POST", "/v1/customers", map[string]any{"name": v.name + " customer"}, &cust)
		var in integration
		h.must(http.StatusCreated, "POST", "/v1/customers/"+cust.ID+"/integrations", map[string]any{
			"type": v.name, "name": v.name, "config": sim.vendors[v.name].Config, "mirroring": v.mirrors,
			"schedule": lossSchedule,
		}, &in)
		base := "/v1/customers/" + cust.ID + "/integrations/" + in.ID
		var tr struct {
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		}
		h.must(http.StatusOK, "POST", base+"/test", nil, &tr)
		if !tr.OK {
			t.Fatalf("%s: test failed: %s", v.name, tr.Message)
		}
		h.must(http.StatusOK, "POST", base+"/enable", nil, nil)
		all = append(all, setup{vendorCase: v, customer: cust.ID, id: in.ID, base: base})
	}

	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := sim.state(t, s.name)
			if st.Alerts != alerts || st.Late == 0 {
				t.Errorf("%s: vendor state %+v", s.name, st)
				return
			}
			deadline := time.Now().Add(4 * time.Minute)
			for {
				n, lf := eventsOf(t, h, s.id), lostFoundStored(t, h, s.base)
				if n >= alerts && (lf > 0 || s.pollFindsLate) {
					break
				}
				if time.Now().After(deadline) {
					var in integration
					h.must(http.StatusOK, "GET", s.base, nil, &in)
					t.Errorf("%s: %d of %d alerts stored, %d by lost-found; last_error %q", s.name, n, alerts, lf, in.LastError)
					return
				}
				time.Sleep(500 * time.Millisecond)
			}
			n, distinct := distinctEvents(t, h, s.id)
			if n != alerts || distinct != alerts {
				t.Errorf("%s: %d events stored (%d distinct), want exactly %d", s.name, n, distinct, alerts)
			}
			t.Logf("%s: %d alerts, %d late at the vendor, %d stored by lost-found", s.name, alerts, st.Late, lostFoundStored(t, h, s.base))
			if s.mirrors {
				mirrorRoundTrip(t, h, sim, s.name, s.customer)
			}
		}()
	}
	wg.Wait()
	h.stop()
}

// mirrorRoundTrip closes one of the customer's cases with a comment and
// waits for both writes to reach the fake vendor.
func mirrorRoundTrip(t *testing.T, h *host, sim *vendorsim, vendor, customerID string) {
	var cases struct {
		Items []struct {
			ID string `json:"case_id"`
		} `json:"items"`
	}
	h.must(http.StatusOK, "GET", "/v1/cases?take=1&customer_id="+customerID, nil, &cases)
	if len(cases.Items) == 0 {
		t.Errorf("%s: no case opened by the ingested events", vendor)
		return
	}
	id := cases.Items[0].ID
	before := len(sim.state(t, vendor).Mirror)
	h.must(http.StatusCreated, "POST", "/v1/cases/"+id+"/comments", map[string]any{"text": "seen by the SOC"}, nil)
	h.must(http.StatusOK, "POST", "/v1/cases/"+id+"/close", map[string]any{"close_notes": "benign scan", "final_classification": "FALSE_POSITIVE"}, nil)
	deadline := time.Now().Add(60 * time.Second)
	for len(sim.state(t, vendor).Mirror) < before+2 {
		if time.Now().After(deadline) {
			var m any
			h.do("GET", "/v1/cases/"+id+"/mirror?take=10", nil, &m)
			t.Errorf("%s: mirror writes did not reach the vendor: %s", vendor, fmt.Sprint(m))
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}
