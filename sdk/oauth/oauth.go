package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/outpost-soc/outpost/sdk"
	"github.com/outpost-soc/outpost/sdk/httpclient"
)

// AuthStyle is how the client id and secret reach the token endpoint.
type AuthStyle int

const (
	// AuthAutoDetect tries HTTP Basic first, then form parameters, and
	// remembers what worked.
	AuthAutoDetect AuthStyle = iota
	// AuthInParams sends client_id and client_secret as form parameters
	// (CrowdStrike, Azure AD).
	AuthInParams
	// AuthInHeader sends them as HTTP Basic credentials.
	AuthInHeader
)

// DefaultTimeout bounds one token call when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// expiryMargin renews a token this long before it expires, so a request
// sent with it does not arrive just after.
const expiryMargin = 30 * time.Second

// Config configures a Source.
type Config struct {
	// TokenURL is the token endpoint (required).
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Scopes are sent space-separated as scope
	// ("https://management.azure.com/.default").
	Scopes []string
	// Params are extra form parameters (CrowdStrike member_cid). Empty
	// values are left out, so an optional config field can go in as is.
	Params    url.Values
	AuthStyle AuthStyle
	// Transport sends the token calls; default httpclient.NewTransport with
	// no options (system roots, proxy from the environment).
	Transport http.RoundTripper
	// Timeout bounds one token call; default 30 s.
	Timeout time.Duration
}

// Source fetches and caches client-credentials tokens. It is safe for
// concurrent use.
type Source struct {
	cfg    clientcredentials.Config
	client *http.Client
	where  string // the token URL without its query, for errors
	secret string

	// sem is held by the one goroutine fetching a token; others wait on it
	// or on their own ctx.
	sem chan struct{}
	mu  sync.Mutex
	tok *oauth2.Token

	now func() time.Time
}

// New returns a Source for cfg; it makes no network call. A missing or
// malformed TokenURL or ClientID is an *sdk.InvalidConfigError.
func New(cfg Config) (*Source, error) {
	u, err := url.Parse(cfg.TokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, sdk.InvalidConfig("", "token url is not an http(s) url")
	}
	if cfg.ClientID == "" {
		return nil, sdk.InvalidConfig("client_id", "client id is empty")
	}
	params := url.Values{}
	for k, vs := range cfg.Params {
		for _, v := range vs {
			if v != "" {
				params.Add(k, v)
			}
		}
	}
	rt := cfg.Transport
	if rt == nil {
		t, err := httpclient.NewTransport(httpclient.Options{})
		if err != nil {
			return nil, err
		}
		rt = t
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	style := oauth2.AuthStyleAutoDetect
	switch cfg.AuthStyle {
	case AuthInParams:
		style = oauth2.AuthStyleInParams
	case AuthInHeader:
		style = oauth2.AuthStyleInHeader
	}
	return &Source{
		cfg: clientcredentials.Config{
			ClientID:       cfg.ClientID,
			ClientSecret:   cfg.ClientSecret,
			TokenURL:       cfg.TokenURL,
			Scopes:         cfg.Scopes,
			EndpointParams: params,
			AuthStyle:      style,
		},
		client: &http.Client{Transport: rt, Timeout: timeout},
		where:  u.Scheme + "://" + u.Host + u.EscapedPath(),
		secret: cfg.ClientSecret,
		sem:    make(chan struct{}, 1),
		now:    time.Now,
	}, nil
}

// Token returns a valid access token, from the cache or fetched now.
func (s *Source) Token(ctx context.Context) (string, error) {
	tok, err := s.token(ctx)
	if err != nil {
		return "", err
	}
	return tok.AccessToken, nil
}

// Authorize sets req's Authorization header to the token; its signature is
// httpclient.Options.Authorize.
func (s *Source) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req) // "Bearer", whatever case the vendor wrote
	return nil
}

// Invalidate drops the cached token, so the next call fetches a new one;
// its signature is httpclient.Options.Invalidate.
func (s *Source) Invalidate() {
	s.mu.Lock()
	s.tok = nil
	s.mu.Unlock()
}

func (s *Source) cached() *oauth2.Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok == nil || s.tok.AccessToken == "" {
		return nil
	}
	// A token without expires_in is kept until a 401 invalidates it.
	if !s.tok.Expiry.IsZero() && !s.now().Add(expiryMargin).Before(s.tok.Expiry) {
		return nil
	}
	return s.tok
}

func (s *Source) token(ctx context.Context) (*oauth2.Token, error) {
	if tok := s.cached(); tok != nil {
		return tok, nil
	}
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for an oauth2 token: %w", ctx.Err())
	}
	defer func() { <-s.sem }()
	if tok := s.cached(); tok != nil { // another caller fetched it meanwhile
		return tok, nil
	}
	tok, err := s.cfg.Token(context.WithValue(ctx, oauth2.HTTPClient, s.client))
	if err != nil {
		return nil, s.mapError(ctx, err)
	}
	s.mu.Lock()
	s.tok = tok
	s.mu.Unlock()
	return tok, nil
}

// mapError turns a token failure into the sdk error the host acts on,
// without the secret or the raw oauth2 text (which quotes the whole body).
func (s *Source) mapError(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("fetching an oauth2 token from %s: %w", s.where, ctxErr)
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response == nil {
		var ue *url.Error
		if errors.As(err, &ue) { // no answer: an outage, try again later
			return sdk.RetryAfter(0, fmt.Errorf("token endpoint %s: %s", s.where, s.scrub(ue.Err.Error())))
		}
		// A 2xx the library could not use: no access_token, garbage.
		return fmt.Errorf("token endpoint %s: %s", s.where, s.scrub(err.Error()))
	}
	code := re.Response.StatusCode
	msg := re.ErrorDescription
	if msg == "" {
		msg = httpclient.VendorMessage(re.Body)
	}
	if msg == "" {
		msg = re.ErrorCode
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	msg = s.scrub(msg)
	switch {
	case code == http.StatusBadRequest || code == http.StatusUnauthorized:
		return sdk.Unauthenticated("token endpoint %s answered %d: %s", s.where, code, msg)
	case code == http.StatusForbidden:
		return sdk.PermissionDenied("", "token endpoint %s answered 403: %s", s.where, msg)
	case code == http.StatusTooManyRequests || code >= 500:
		wait, _ := httpclient.VendorWait(re.Response.Header)
		return sdk.RetryAfter(wait, fmt.Errorf("token endpoint %s answered %d: %s", s.where, code, msg))
	}
	return fmt.Errorf("token endpoint %s answered %d: %s", s.where, code, msg)
}

func (s *Source) scrub(msg string) string {
	if len(s.secret) >= 4 {
		msg = strings.ReplaceAll(msg, s.secret, "[redacted]")
		msg = strings.ReplaceAll(msg, url.QueryEscape(s.secret), "[redacted]")
	}
	return msg
}
