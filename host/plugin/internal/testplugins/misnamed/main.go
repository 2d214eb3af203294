// Command misnamed is a test plugin, built as outpost-plugin-misnamed, whose
// Describe gives another name: the manager must refuse it.
package main

import (
	"context"

	"github.com/outpost-soc/outpost/sdk"
)

type connector struct{}

func (connector) Describe(context.Context, sdk.DescribeRequest) (*sdk.DescribeResponse, error) {
	return &sdk.DescribeResponse{Name: "somebody-else", Version: "1.0.0", Category: sdk.CategorySecurity}, nil
}

func (connector) Test(context.Context, sdk.TestRequest) (*sdk.TestResponse, error) {
	return &sdk.TestResponse{OK: true}, nil
}

func main() { sdk.Serve(connector{}) }
