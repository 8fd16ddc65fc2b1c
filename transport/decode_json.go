package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"strings"
	"unicode/utf8"
)

// jsonTargetPrefix prefixes the action in X-Amz-Target.
const jsonTargetPrefix = "AmazonSQS."

// jsonAction returns the action an X-Amz-Target names.
func jsonAction(target string) (string, error) {
	action, ok := strings.CutPrefix(target, jsonTargetPrefix)
	if !ok || action == "" {
		return "", errf(codeUnknownOperation, "Unknown operation %s.", target)
	}
	return action, nil
}

// checkJSONContentType accepts the JSON media types SDKs send.
func checkJSONContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		switch mt {
		case "application/x-amz-json-1.0", "application/x-amz-json-1.1", "application/json":
			return nil
		}
	}
	return errf(codeUnknownOperation, "Content-Type %q is not supported for the AWS JSON protocol; use application/x-amz-json-1.0.", ct)
}

// decodeJSON decodes an AWS JSON 1.0 body into a request struct. An empty
// body is an empty request.
func decodeJSON(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return errf(codeSerialization, "The request body is not valid UTF-8.")
	}
	if body[0] != '{' {
		return errf(codeSerialization, "The request body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jsonDecodeError(err)
	}
	if dec.More() {
		return errf(codeSerialization, "Unexpected data after the JSON object.")
	}
	return nil
}

// jsonDecodeError describes a JSON decoding failure to the client.
func jsonDecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "the request"
		}
		return errf(codeSerialization, "Wrong type for %s: expected %s, got a JSON %s.", field, te.Type, te.Value)
	}
	return errf(codeSerialization, "The request body is not valid JSON: %s.", err.Error())
}
