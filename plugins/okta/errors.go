package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// readPermission is what an Okta token needs to read the System Log: the
// OAuth scope, held by Read-Only Administrators and above.
const readPermission = "okta.logs.read"

// apiError is Okta's error body.
type apiError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
	ErrorCauses  []struct {
		ErrorSummary string `json:"errorSummary"`
	} `json:"errorCauses"`
}

// vendorError turns what httpclient returned for an Okta call into the
// error the host acts on. A 403 names the permission; a 400 about the
// configured filter is the integration's config at fault. Everything else
// (401, rate limits, other 4xx) keeps httpclient's mapping and its message,
// which quotes Okta's errorSummary.
func vendorError(doing string, err error, filter string) error {
	var pd *sdk.PermissionDeniedError
	if errors.As(err, &pd) && pd.Permission == "" {
		return sdk.PermissionDenied(readPermission, "%s: %s (the token's admin needs Read-Only Administrator or higher)", doing, pd.Message)
	}
	var se *httpclient.StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusBadRequest {
		var body apiError
		_ = json.Unmarshal([]byte(se.Body), &body)
		summary := body.ErrorSummary
		if filter != "" && (body.ErrorCode == "E0000031" || strings.Contains(strings.ToLower(summary), "filter")) {
			return sdk.InvalidConfig("filter", "okta refused the filter %q: %s", filter, summary)
		}
	}
	return fmt.Errorf("%s: %w", doing, err)
}
