package transport

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
)

// Wire constants of the two protocols.
const (
	jsonContentType = "application/x-amz-json-1.0"
	xmlContentType  = "text/xml"
	xmlNamespace    = "http://queue.amazonaws.com/doc/2012-11-05/"
	snsNamespace    = "http://sns.amazonaws.com/doc/2010-03-31/"
	headerRequestID = "x-amzn-RequestId"
	headerQueryErr  = "x-amzn-query-error"
)

// writeResult answers a successful action in the caller's protocol; a nil
// result is an action without output.
func writeResult(w http.ResponseWriter, c *call, result any) error {
	var body []byte
	var err error
	if c.proto == protoJSON {
		body, err = encodeJSONResult(result)
		w.Header().Set("Content-Type", jsonContentType)
	} else {
		body, err = encodeXMLResult(namespaceOf(c.proto), c.action, c.requestID, result)
		w.Header().Set("Content-Type", xmlContentType)
	}
	if err != nil {
		return err
	}
	w.Header().Set(headerRequestID, c.requestID)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// encodeJSONResult is the JSON 1.0 body of a result ("{}" for none).
func encodeJSONResult(result any) ([]byte, error) {
	if result == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(result)
}

// namespaceOf is the XML namespace of a query-protocol service.
func namespaceOf(proto protocol) string {
	if proto == protoSNS {
		return snsNamespace
	}
	return xmlNamespace
}

// encodeXMLResult is the query protocol's <XResponse> document.
func encodeXMLResult(namespace, action, requestID string, result any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`<` + action + `Response xmlns="` + namespace + `">`)
	if result != nil {
		enc := xml.NewEncoder(&buf)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return nil, err
		}
		if err := enc.Flush(); err != nil {
			return nil, err
		}
	}
	buf.WriteString(`<ResponseMetadata><RequestId>`)
	xml.EscapeText(&buf, []byte(requestID))
	buf.WriteString(`</RequestId></ResponseMetadata></` + action + `Response>`)
	return buf.Bytes(), nil
}

// writeError answers an error in the caller's protocol.
func writeError(w http.ResponseWriter, proto protocol, requestID string, e *apiError) {
	ci := info(e.Code)
	if proto == protoSNS {
		ci = snsInfo(e.Code)
	}
	fault := "Sender"
	if ci.status >= 500 {
		fault = "Receiver"
	}
	h := w.Header()
	h.Set(headerRequestID, requestID)
	if e.Code == codeNotLeader {
		h.Set(headerNotApplied, "1")
	}
	if proto == protoREST {
		writeRESTError(w, e)
		return
	}
	if proto == protoJSON {
		h.Set("Content-Type", jsonContentType)
		h.Set(headerQueryErr, ci.query+";"+fault)
		body, _ := json.Marshal(struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}{ci.jsonType, e.Message})
		w.WriteHeader(ci.status)
		_, _ = w.Write(body)
		return
	}
	h.Set("Content-Type", xmlContentType)
	w.WriteHeader(ci.status)
	_, _ = w.Write(encodeXMLError(namespaceOf(proto), fault, ci.query, e.Message, requestID))
}

// encodeXMLError is the query protocol's <ErrorResponse> document.
func encodeXMLError(namespace, fault, code, msg, requestID string) []byte {
	var buf bytes.Buffer
	buf.WriteString(`<ErrorResponse xmlns="` + namespace + `"><Error><Type>` + fault + `</Type><Code>`)
	xml.EscapeText(&buf, []byte(code))
	buf.WriteString(`</Code><Message>`)
	xml.EscapeText(&buf, []byte(msg))
	buf.WriteString(`</Message><Detail/></Error><RequestId>`)
	xml.EscapeText(&buf, []byte(requestID))
	buf.WriteString(`</RequestId></ErrorResponse>`)
	return buf.Bytes()
}
