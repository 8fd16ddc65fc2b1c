package transport

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wharfmq/wharf/fsm"
)

// BenchmarkSendMessageJSON measures the HTTP layer's own cost of one
// SendMessage in the AWS JSON protocol (in memory, no sockets, the
// in-memory backend): go test -run X -bench SendMessageJSON -benchmem
// -cpuprofile cpu.out ./transport
func BenchmarkSendMessageJSON(b *testing.B) {
	mem := newMemBackend()
	if err := mem.CreateQueue(context.Background(), fsm.CreateQueue{Queue: fsm.QueueKey{Region: "us-east-1", Account: testAccount, Name: "q"}}); err != nil {
		b.Fatal(err)
	}
	h := New(Config{Backend: mem, Region: "us-east-1", AccountID: testAccount, Logger: quietLogger}).Handler()
	body := `{"QueueUrl":"http://localhost/` + testAccount + `/q","MessageBody":"` + strings.Repeat("b", 100) + `"}`
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		r.Header.Set("X-Amz-Target", "AmazonSQS.SendMessage")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=abc")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
