package main

import (
	"testing"

	"github.com/outpost-soc/outpost/plugins/cloudflare/fake"
	"github.com/outpost-soc/outpost/sdk/conformance"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func TestConformance(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 300, Rate: 1, Seed: 1})
	conformance.Run(t, conformance.Options{Vendor: f})
}
