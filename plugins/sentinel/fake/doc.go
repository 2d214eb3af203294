// Package fake is a fake of Microsoft Sentinel's incident API (Azure
// Resource Manager, Microsoft.SecurityInsights, api-version 2024-03-01) and
// of the Azure AD token endpoint that guards it, written from Microsoft's
// REST reference and the azure-rest-api-specs examples
// (specification/securityinsights/.../examples/incidents/*.json). It is
// built on sdk/fakevendor and is served by cmd/vendorsim under /sentinel/.
//
// # Basics
//
// The fake answers for two hosts under one root: the login host under
// /login (the plugin's login_url) and the management host under
// /management (its management_url). Relative to those:
//
//	POST {login}/{tenant}/oauth2/v2.0/token           client credentials
//	GET  {mgmt}/{ws}/providers/Microsoft.SecurityInsights/incidents
//	GET  {mgmt}/{ws}/.../incidents/{name}
//	PUT  {mgmt}/{ws}/.../incidents/{name}              the whole incident
//	POST {mgmt}/{ws}/.../incidents/{name}/entities     {entities, metaData}
//	GET  {mgmt}/{ws}/.../incidents/{name}/comments
//	GET  {mgmt}/{ws}/.../incidents/{name}/comments/{id}
//	PUT  {mgmt}/{ws}/.../incidents/{name}/comments/{id} {properties:{message}}
//
// where {ws} is /subscriptions/{sub}/resourceGroups/{rg}/providers/
// Microsoft.OperationalInsights/workspaces/{workspace}. As in ARM, the
// literal segments, the resource group and the workspace name compare
// without regard to case, and every request needs api-version=2024-03-01.
//
// The token endpoint takes a form with grant_type=client_credentials,
// client_id, client_secret and scope=https://management.azure.com/.default
// and answers {token_type, expires_in, ext_expires_in, access_token}. Its
// errors are Azure AD's: 400 invalid_request (AADSTS90002, unknown tenant),
// 400 unauthorized_client (AADSTS700016, unknown application), 401
// invalid_client (AADSTS7000215, wrong secret), 400 invalid_scope, each as
// {error, error_description, error_codes, timestamp, trace_id,
// correlation_id}. Three applications exist: the integration's own (Config;
// Microsoft Sentinel Responder: read and write), ReaderCredentials
// (Microsoft Sentinel Reader: writes are 403) and NoAccessCredentials (no
// role on the workspace: everything is 403).
//
// Management requests carry Authorization: Bearer <access_token>. Errors
// are ARM's CloudError, {"error":{"code","message"}}: 401
// AuthenticationFailed / InvalidAuthenticationToken /
// ExpiredAuthenticationToken, 403 AuthorizationFailed naming the action
// ("Microsoft.SecurityInsights/incidents/read", ".../incidents/write",
// ".../incidents/comments/write"), 404 SubscriptionNotFound /
// ResourceGroupNotFound / ResourceNotFound / NotFound, 400 BadRequest, 409
// Conflict. When the store says so (fakevendor Options.RateLimitEvery,
// Store.ForceThrottle) a management request is 429
// SubscriptionRequestsThrottled with Retry-After in whole seconds; the
// token endpoint is not throttled. Every answer's Date is the store's clock.
//
// # Listing
//
// The list takes $filter, $orderby, $top (1-1000, default 50) and
// $skipToken. $filter is the subset of OData the plugin and the published
// integrations use: clauses "properties/lastModifiedTimeUtc <op> <time>" or
// "properties/createdTimeUtc <op> <time>" with op ge, gt, le, lt or eq and
// an unquoted RFC 3339 time, joined with "and". $orderby is one of those
// two fields, asc (the default order is createdTimeUtc asc). The answer is
// {value:[...], nextLink}; nextLink is absolute, points back at the fake,
// repeats the request's query and adds $skipToken, and is absent on the last
// page. The skip token is a keyset position (the sort time and the
// incident's sequence), so an incident modified while a client pages moves
// to the end of the order instead of shifting the pages under it.
//
// An incident's createdTimeUtc is its fakevendor Alert.Time and its
// lastModifiedTimeUtc the Alert's Updated: a write-back (an incident PUT)
// moves it to the fake's now. Late alerts are listed only once visible, with
// their original times: behind a cursor that has passed them.
//
// # Write-back
//
// PUT of an incident replaces the fields the fake keeps: status (New,
// Active, Closed), owner, classification, classificationReason and
// classificationComment; title, description, severity and the read-only
// fields are derived from the seed and a change to them is ignored. The
// body's etag, when present, must be the incident's current one, else 409
// Conflict "Newer version of resource '<name>' exists. Data was not saved"
// (Sentinel's own words). Title, severity and status are required; Closed
// needs a classification, and every classification but Undetermined needs
// its reason (TruePositive: SuspiciousActivity; BenignPositive:
// SuspiciousButExpected; FalsePositive: IncorrectAlertLogic or
// InaccurateData). A comment PUT creates (201) or replaces (200) the comment
// of that id; it does not change the incident's lastModifiedTimeUtc.
// Accepted PUTs are recorded in the store's mirror log, body as received.
//
// # Caveats
//
// Only the parts of the API the plugin uses are served. The fake cannot
// create incidents (a PUT to an unknown name is a 404 here, where Sentinel
// would create one), and $orderby desc, other $filter fields and
// $expand are 400s. Skip tokens are base64 JSON and not signed.
// RepeatNextLink breaks paging on purpose, for the plugin's loop guards;
// RevokeTokens makes every issued token invalid, for its token refresh;
// AnalystUpdate changes an incident as the portal would (a new etag, for
// the plugin's conflict handling); Incident and Comments show a test what a
// write-back did.
package fake
