package api

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/v1/openapi.json", "", nil).want(200)
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	inDoc := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			inDoc[strings.ToUpper(m)+" "+p] = true
		}
	}
	engine := newEngine(Options{Service: e.svc})
	param := regexp.MustCompile(`:([a-z_]+)`)
	inGin := map[string]bool{}
	for _, rt := range engine.Routes() {
		inGin[rt.Method+" "+param.ReplaceAllString(rt.Path, "{$1}")] = true
	}
	var missing, extra []string
	for k := range inGin {
		if !inDoc[k] {
			missing = append(missing, k)
		}
	}
	for k := range inDoc {
		if !inGin[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Fatalf("routes not in the document: %v; documented routes that do not exist: %v", missing, extra)
	}
	if len(inGin) < 30 {
		t.Fatalf("only %d routes", len(inGin))
	}
	// Every $ref names a schema of the document.
	refs := regexp.MustCompile(`"#/components/schemas/([A-Za-z]+)"`).FindAllSubmatch(r.Body, -1)
	for _, m := range refs {
		if _, ok := doc.Components.Schemas[string(m[1])]; !ok {
			t.Errorf("dangling $ref %s", m[1])
		}
	}
	if !bytes.Contains(r.Body, []byte("left out of its object")) {
		t.Error("the document does not say how unset times are rendered")
	}
}

func TestBackup(t *testing.T) {
	e := newEnv(t)
	e.customer("Acme")
	r := e.do("GET", "/v1/backup", e.admin, nil).want(200)
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".db") {
		t.Fatalf("Content-Disposition %q", cd)
	}
	if r.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("Content-Type %q", r.Header.Get("Content-Type"))
	}
	if len(r.Body) < 4096 || !bytes.Equal(r.Body, e.snapshot()) {
		t.Fatalf("backup of %d bytes is not the database", len(r.Body))
	}
	cust := e.token("c", "customer", e.customer("Other"))
	r = e.do("GET", "/v1/backup", cust, nil).want(403, CodePermissionDenied)
	if r.Header.Get("Content-Disposition") != "" {
		t.Fatal("a refused backup looks like a download")
	}
	e.do("GET", "/v1/backup?full=1", e.admin, nil).want(400, CodeInvalidArgument)
}
