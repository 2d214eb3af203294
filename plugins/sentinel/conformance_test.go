package main

import (
	"strings"
	"testing"

	"github.com/outpost-soc/outpost/plugins/sentinel/fake"
	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/conformance"
	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func TestConformance(t *testing.T) {
	f := fake.New(fakevendor.Options{Alerts: 300, Rate: 1, LateFraction: 0.02, Seed: 1})
	conformance.Run(t, conformance.Options{
		Vendor: f,
		MirrorCheck: func(t *testing.T, ch sdk.Change) {
			inc := incidentAt(t, f, ch.OriginalID)
			switch ch.Kind {
			case sdk.ChangeStatus:
				if inc.Properties.Status != "Active" {
					t.Errorf("status change to %s left the incident %s", ch.Status, inc.Properties.Status)
				}
			case sdk.ChangeAssign:
				if inc.Properties.Owner.AssignedTo != ch.AssignedTo {
					t.Errorf("assignment to %s left the owner %+v", ch.AssignedTo, inc.Properties.Owner)
				}
			case sdk.ChangeComment:
				n := 0
				for _, m := range f.Comments(ch.OriginalID) {
					if strings.Contains(m, ch.Comment) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("comment written %d times, want once", n)
				}
			case sdk.ChangeClose:
				p := inc.Properties
				if p.Status != "Closed" || p.Classification != "FalsePositive" || p.ClassificationReason != "IncorrectAlertLogic" ||
					p.ClassificationComment != ch.CloseNotes {
					t.Errorf("close left status %q classification %q reason %q comment %q", p.Status, p.Classification,
						p.ClassificationReason, p.ClassificationComment)
				}
			}
		},
	})
}
