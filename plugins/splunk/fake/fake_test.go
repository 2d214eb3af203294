package fake

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

func do(t *testing.T, method, u, auth string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestAuthAndErrors(t *testing.T) {
	f := New(fakevendor.Options{Alerts: 3, Seed: 1})
	base := fakevendor.Serve(t, f)
	bearer := "Bearer " + f.Token()

	resp, body := do(t, "GET", base+"/services/server/info", "", nil)
	if resp.StatusCode != 401 || !strings.Contains(body, `<msg type="WARN">call not properly authenticated</msg>`) {
		t.Errorf("no auth: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", base+"/services/server/info?output_mode=json", "Bearer wrong", nil)
	if resp.StatusCode != 401 || !strings.Contains(body, `"text":"call not properly authenticated"`) {
		t.Errorf("bad token, json: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "GET", base+"/services/server/info?output_mode=json", bearer, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"version":"`+Version+`"`) || !strings.Contains(body, `"updated":"`) {
		t.Errorf("server info: %d %s", resp.StatusCode, body)
	}

	resp, body = do(t, "POST", base+"/services/auth/login", "", url.Values{"username": {Username}, "password": {"nope"}, "output_mode": {"json"}})
	if resp.StatusCode != 401 || !strings.Contains(body, "Login failed") {
		t.Errorf("bad login: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", base+"/services/auth/login", "", url.Values{"username": {Username}, "password": {f.Password()}, "output_mode": {"json"}})
	var login struct{ SessionKey string }
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &login) != nil || login.SessionKey == "" {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	if resp, _ := do(t, "GET", base+"/services/server/info", "Splunk "+login.SessionKey, nil); resp.StatusCode != 200 {
		t.Errorf("session key refused: %d", resp.StatusCode)
	}
	f.ExpireSessions()
	if resp, _ := do(t, "GET", base+"/services/server/info", "Splunk "+login.SessionKey, nil); resp.StatusCode != 401 {
		t.Errorf("expired session key accepted: %d", resp.StatusCode)
	}

	f.Store().ForceThrottle(1, 0)
	resp, body = do(t, "POST", base+"/services/search/jobs", bearer, url.Values{"search": {"search index=notable"}, "output_mode": {"json"}})
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" || !strings.Contains(body, "maximum number of concurrent historical searches") {
		t.Errorf("throttled: %d %v %s", resp.StatusCode, resp.Header, body)
	}

	for spl, want := range map[string]string{
		"index=notable":                     "Unknown search command 'index=notable'.",
		"search index=notable | frob x":     "Unknown search command 'frob'.",
		"search index=notable | where (a=1": "Expected )",
	} {
		resp, body = do(t, "POST", base+"/services/search/jobs", bearer, url.Values{"search": {spl}, "output_mode": {"json"}})
		if resp.StatusCode != 400 || !strings.Contains(body, `"type":"FATAL"`) || !strings.Contains(body, want) {
			t.Errorf("%q: %d %s", spl, resp.StatusCode, body)
		}
	}
}

func TestSearchJobsAndExport(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	f := New(fakevendor.Options{Alerts: 60, Seed: 2, Now: func() time.Time { return now }})
	base := fakevendor.Serve(t, f)
	bearer := "Bearer " + f.Token()
	from, to := now.Add(-30*time.Minute).Unix(), now.Add(-20*time.Minute).Unix()
	spl := "search index=notable _index_earliest=" + itoa(from) + " _index_latest=" + itoa(to) + " | sort 0 num(_indextime) str(event_id)"

	resp, body := do(t, "POST", base+"/services/search/jobs", bearer, url.Values{"search": {spl}, "output_mode": {"json"}, "earliest_time": {"-24h"}})
	var created struct{ SID string }
	if resp.StatusCode != 201 || json.Unmarshal([]byte(body), &created) != nil || created.SID == "" {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	_, body = do(t, "GET", base+"/services/search/jobs/"+created.SID+"?output_mode=json", bearer, nil)
	if !strings.Contains(body, `"dispatchState":"DONE"`) || !strings.Contains(body, `"resultCount":10`) {
		t.Errorf("job: %s", body)
	}
	var seen []string
	for offset := 0; offset < 20; offset += 4 {
		_, body = do(t, "GET", base+"/services/search/jobs/"+created.SID+"/results?output_mode=json&count=4&offset="+itoa(int64(offset)), bearer, nil)
		var page struct {
			Results []map[string]any `json:"results"`
		}
		if err := json.Unmarshal([]byte(body), &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Results {
			it, _ := r["_indextime"].(string)
			if len(seen) > 0 && it < seen[len(seen)-1] {
				t.Errorf("results not sorted by _indextime: %s after %s", it, seen[len(seen)-1])
			}
			if it < itoa(from) || it >= itoa(to) {
				t.Errorf("_indextime %s outside [%d, %d)", it, from, to)
			}
			seen = append(seen, it)
		}
	}
	if len(seen) != 10 {
		t.Errorf("%d results over the pages, want 10", len(seen))
	}
	if resp, _ := do(t, "DELETE", base+"/services/search/jobs/"+created.SID+"?output_mode=json", bearer, nil); resp.StatusCode != 200 {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "GET", base+"/services/search/jobs/"+created.SID+"/results?output_mode=json", bearer, nil); resp.StatusCode != 404 {
		t.Errorf("results of a deleted job: %d", resp.StatusCode)
	}

	resp, body = do(t, "POST", base+"/services/search/jobs/export", bearer, url.Values{
		"search": {"search index=notable"}, "output_mode": {"json"},
		"earliest_time": {itoa(from)}, "latest_time": {itoa(to)},
	})
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var l struct {
			Result  map[string]any `json:"result"`
			LastRow bool           `json:"lastrow"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Result["event_id"] == nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if resp.StatusCode != 200 || lines < 9 || lines > 11 {
		t.Errorf("export: %d, %d lines", resp.StatusCode, lines)
	}
}

func TestNotableUpdate(t *testing.T) {
	f := New(fakevendor.Options{Alerts: 3, Seed: 3})
	base := fakevendor.Serve(t, f)
	bearer := "Bearer " + f.Token()
	id := EventID(f.Store().All()[1])

	resp, body := do(t, "POST", base+"/services/notable_update", bearer, url.Values{"ruleUIDs": {id}, "status": {"9"}})
	if resp.StatusCode != 400 || !strings.Contains(body, `"success":false`) {
		t.Errorf("bad status: %d %s", resp.StatusCode, body)
	}
	resp, body = do(t, "POST", base+"/services/notable_update", bearer, url.Values{"ruleUIDs": {id}, "status": {"2"}, "comment": {"on it"}})
	if resp.StatusCode != 200 || !strings.Contains(body, `"message":"1 event updated successfully"`) {
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}
	_, body = do(t, "POST", base+"/services/search/jobs", bearer, url.Values{
		"search":    {`| inputlookup incident_review_lookup where rule_id="` + id + `" | fields comment`},
		"exec_mode": {"oneshot"}, "output_mode": {"json"},
	})
	if !strings.Contains(body, `"comment":"on it"`) {
		t.Errorf("review lookup: %s", body)
	}
	f.SetCapabilities("search")
	if resp, _ := do(t, "POST", base+"/services/notable_update", bearer, url.Values{"ruleUIDs": {id}, "comment": {"x"}}); resp.StatusCode != 403 {
		t.Errorf("without edit_notable_events: %d", resp.StatusCode)
	}
	if n := len(f.Store().State().Mirror); n != 1 {
		t.Errorf("%d recorded write-backs, want 1", n)
	}
}

func TestWhereAndSort(t *testing.T) {
	q, err := parseQuery(`| inputlookup incident_review_lookup where time>=5 AND (user="a" OR NOT status=2) | sort -num(time) | head 2`, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rows := []row{
		{"time": "4", "user": "a"}, {"time": "5", "user": "a", "status": "2"},
		{"time": "7", "user": "b", "status": "2"}, {"time": "9", "user": "b", "status": "1"}, {"time": "10", "user": "a"},
	}
	for _, c := range q.commands {
		rows = c(rows)
	}
	if len(rows) != 2 || rows[0]["time"] != "10" || rows[1]["time"] != "9" {
		t.Errorf("rows %v", rows)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
