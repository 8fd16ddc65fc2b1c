package transport

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func httptestRequest(method, target, body string) *http.Request {
	return httptest.NewRequest(method, target, strings.NewReader(body))
}

// reply is a raw HTTP answer.
type reply struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// postQuery POSTs a form-encoded query-protocol request to base+path.
func postQuery(t *testing.T, base, path string, form url.Values) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

// postJSON POSTs an AWS JSON 1.0 request.
func postJSON(t *testing.T, base, action, body string) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
	return do(t, req)
}

// form builds url.Values from alternating keys and values.
func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// between returns the text between the first <tag> and </tag>.
func between(s, tag string) string {
	_, rest, ok := strings.Cut(s, "<"+tag+">")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, "</"+tag+">")
	return v
}

// quietLogger keeps the expected warnings of error-path tests out of the
// test output.
var quietLogger = slog.New(slog.DiscardHandler)
