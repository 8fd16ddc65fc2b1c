package transport

import (
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// openAPIDoc is the part of docs/openapi.yaml the sync test reads.
type openAPIDoc struct {
	OpenAPI    string                          `yaml:"openapi"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Components map[string]map[string]any       `yaml:"components"`
}

// openAPIOperation is one operation of a path.
type openAPIOperation struct {
	OperationID string             `yaml:"operationId"`
	Parameters  []openAPIParameter `yaml:"parameters"`
	Responses   map[string]any     `yaml:"responses"`
}

type openAPIParameter struct {
	Name string `yaml:"name"`
	In   string `yaml:"in"`
	Ref  string `yaml:"$ref"`
}

var openAPIMethods = map[string]string{
	"get": http.MethodGet, "post": http.MethodPost, "put": http.MethodPut, "patch": http.MethodPatch,
	"delete": http.MethodDelete, "head": http.MethodHead, "options": http.MethodOptions, "trace": http.MethodTrace,
}

// TestOpenAPIMatchesRoutes keeps docs/openapi.yaml in sync with the
// server: the set of (method, path) it documents under /v1 must be the
// set of /v1 routes Echo registers (the /v1 and /v1/* catch-alls aside).
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("../docs/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc openAPIDoc
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Fatalf("openapi %q, want 3.0.x", doc.OpenAPI)
	}

	param := regexp.MustCompile(`\{([^}/]+)\}`)
	documented := map[string]bool{}
	operationIDs := map[string]bool{}
	for path, item := range doc.Paths {
		var shared []openAPIParameter
		if n, ok := item["parameters"]; ok {
			if err := n.Decode(&shared); err != nil {
				t.Fatalf("%s parameters: %v", path, err)
			}
		}
		for key, node := range item {
			if key == "parameters" || key == "summary" || key == "description" {
				continue
			}
			method, ok := openAPIMethods[key]
			if !ok {
				t.Errorf("%s: unknown key %q", path, key)
				continue
			}
			var op openAPIOperation
			if err := node.Decode(&op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			route := method + " " + param.ReplaceAllString(path, ":$1")
			documented[route] = true
			if op.OperationID == "" || operationIDs[op.OperationID] {
				t.Errorf("%s: missing or repeated operationId %q", route, op.OperationID)
			}
			operationIDs[op.OperationID] = true
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", route)
			}
			// Every {param} of the path is declared as a path parameter.
			declared := map[string]bool{}
			for _, p := range append(slices.Clone(shared), op.Parameters...) {
				name, in := p.Name, p.In
				if p.Ref != "" {
					name, in = componentParameter(t, doc, p.Ref)
				}
				if in == "path" {
					declared[name] = true
				}
			}
			for _, m := range param.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s: path parameter %s not declared", route, m[1])
				}
			}
		}
	}

	registered := map[string]bool{}
	s := New(Config{Backend: newMemBackend(), AccountID: testAccount, Logger: quietLogger})
	for _, r := range s.echo.Routes() {
		if !isRESTPath(r.Path) || r.Path == restPrefix || r.Path == restPrefix+"/*" {
			continue
		}
		registered[r.Method+" "+r.Path] = true
	}
	for route := range registered {
		if !documented[route] {
			t.Errorf("route %s is registered but not in docs/openapi.yaml", route)
		}
	}
	for route := range documented {
		if !registered[route] {
			t.Errorf("docs/openapi.yaml documents %s, which the server does not register", route)
		}
	}
	if len(registered) < len(restRouteTable)+2 {
		t.Fatalf("only %d /v1 routes registered", len(registered))
	}

	// Every $ref points at a component that exists.
	for _, m := range regexp.MustCompile(`\$ref: "#/components/([^/"]+)/([^"]+)"`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := doc.Components[m[1]][m[2]]; !ok {
			t.Errorf("dangling $ref #/components/%s/%s", m[1], m[2])
		}
	}
}

// componentParameter resolves a parameter $ref to its name and location.
func componentParameter(t *testing.T, doc openAPIDoc, ref string) (name, in string) {
	t.Helper()
	key, ok := strings.CutPrefix(ref, "#/components/parameters/")
	if !ok {
		t.Errorf("unsupported parameter $ref %s", ref)
		return "", ""
	}
	p, ok := doc.Components["parameters"][key].(map[string]any)
	if !ok {
		t.Errorf("dangling $ref %s", ref)
		return "", ""
	}
	name, _ = p["name"].(string)
	in, _ = p["in"].(string)
	return name, in
}
