// Package oauth is an OAuth2 client-credentials token source for vendor
// APIs (Microsoft Sentinel through Azure AD, CrowdStrike, OneLogin, ...),
// built on golang.org/x/oauth2/clientcredentials.
//
// # Basics
//
// The token URL is always configurable (vendors' login hosts differ per
// cloud, and tests point it at a fake). Hand the Source's Authorize and
// Invalidate to httpclient, sharing one transport:
//
//	rt, err := httpclient.NewTransport(httpclient.Options{InsecureSkipVerify: !verify})
//	src, err := oauth.New(oauth.Config{
//		TokenURL:     baseURL + "/oauth2/token",
//		ClientID:     cfg.String("client_id"),
//		ClientSecret: cfg.String("client_secret"),
//		Params:       url.Values{"member_cid": {cfg.String("member_cid")}},
//		Transport:    rt,
//	})
//	c, err := httpclient.New(httpclient.Options{
//		BaseURL:    baseURL,
//		Transport:  rt,
//		Authorize:  src.Authorize,
//		Invalidate: src.Invalidate,
//	})
//
// A token is fetched on first use and cached until shortly before it
// expires; concurrent callers share one fetch. When a vendor call answers
// 401 (a token revoked or expired early, mid-pagination), httpclient calls
// Invalidate and sends the request once more with a fresh token.
//
// # Errors
//
// A token endpoint that refuses the client (400 or 401) gives an
// *sdk.UnauthenticatedError carrying the vendor's error_description, a 403
// an *sdk.PermissionDeniedError, a 429 or 5xx or no answer at all an
// *sdk.RetryAfterError. Errors never carry the client secret.
package oauth
