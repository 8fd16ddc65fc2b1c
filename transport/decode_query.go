package transport

import (
	"encoding/json"
	"errors"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharfmq/wharf/fsm"
)

// queryVersion is the SQS API version the query protocol names.
const queryVersion = "2012-11-05"

// queryParams collects a query-protocol request's parameters: those of the
// URL and, for a form-encoded POST, those of the body (which win).
func queryParams(rawQuery, contentType string, body []byte) (url.Values, error) {
	params, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, errf(codeMalformedQuery, "The query string is malformed: %s.", err.Error())
	}
	if len(body) == 0 {
		return params, nil
	}
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, errf(codeInvalidParam, "Content-Type %q is not supported; send application/x-www-form-urlencoded, or the AWS JSON protocol with an X-Amz-Target header.", contentType)
		}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errf(codeMalformedQuery, "The form-encoded body is malformed: %s.", err.Error())
	}
	for k, v := range form {
		params[k] = v
	}
	return params, nil
}

// flatKind is how a flattened query parameter family maps to JSON.
type flatKind int

const (
	flatStrList    flatKind = iota // P.N=v -> "J": [v...]
	flatStrMap                     // P.N.<key>=k, P.N.<val>=v -> "J": {k: v}
	flatStructMap                  // P.N.<key>=k, P.N.<val>.X=... -> "J": {k: {X: ...}}
	flatStructList                 // P.N.X=... -> "J": [{X: ...}]
)

// flatRule maps one family of flattened parameters to a JSON member.
type flatRule struct {
	json     string
	kind     flatKind
	key, val string
}

// flatRules covers every flattened list and map of the SQS query protocol
// (the locationNames of the query-era botocore model).
var flatRules = map[string]flatRule{
	"Attribute":                      {json: "Attributes", kind: flatStrMap, key: "Name", val: "Value"},
	"Tag":                            {json: "Tags", kind: flatStrMap, key: "Key", val: "Value"},
	"AttributeName":                  {json: "AttributeNames", kind: flatStrList},
	"MessageSystemAttributeName":     {json: "MessageSystemAttributeNames", kind: flatStrList},
	"MessageAttributeName":           {json: "MessageAttributeNames", kind: flatStrList},
	"TagKey":                         {json: "TagKeys", kind: flatStrList},
	"AWSAccountId":                   {json: "AWSAccountIds", kind: flatStrList},
	"ActionName":                     {json: "Actions", kind: flatStrList},
	"StringListValue":                {json: "StringListValues", kind: flatStrList},
	"BinaryListValue":                {json: "BinaryListValues", kind: flatStrList},
	"MessageAttribute":               {json: "MessageAttributes", kind: flatStructMap, key: "Name", val: "Value"},
	"MessageSystemAttribute":         {json: "MessageSystemAttributes", kind: flatStructMap, key: "Name", val: "Value"},
	"SendMessageBatchRequestEntry":   {json: "Entries", kind: flatStructList},
	"DeleteMessageBatchRequestEntry": {json: "Entries", kind: flatStructList},
	"ChangeMessageVisibilityBatchRequestEntry": {json: "Entries", kind: flatStructList},
}

// isFlatName reports whether k names a flattened family, by its query or
// its JSON name.
func isFlatName(k string) bool {
	if _, ok := flatRules[k]; ok {
		return true
	}
	for _, r := range flatRules {
		if r.json == k {
			return true
		}
	}
	return k == "tags"
}

// maxFlatIndex bounds the N of "P.N": AWS lists are small, and a huge N
// must not make us allocate.
const maxFlatIndex = 10000

// queryToJSON rebuilds the JSON request body that the flattened query
// parameters stand for, so both protocols share one decoder.
func queryToJSON(params url.Values) ([]byte, error) {
	flat := make(map[string]string, len(params))
	for k, v := range params {
		if k == "Action" || k == "Version" || len(v) == 0 {
			continue
		}
		// JSON would silently turn invalid UTF-8 into U+FFFD.
		if !utf8.ValidString(k) {
			return nil, errf(codeInvalidParam, "A parameter name is not valid UTF-8.")
		}
		if !utf8.ValidString(v[0]) {
			if strings.HasSuffix(k, "MessageBody") {
				return nil, errf(fsm.CodeInvalidMessageContents, "The parameter %s is not valid UTF-8.", k)
			}
			return nil, errf(codeInvalidParam, "The value of parameter %s is not valid UTF-8.", k)
		}
		flat[k] = v[0]
	}
	obj, err := unflatten(flat, 0)
	if err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}

// unflatten builds the JSON object for one level of flattened parameters
// (keys relative to that level).
func unflatten(flat map[string]string, depth int) (map[string]any, error) {
	if depth > 4 {
		return nil, errf(codeInvalidParam, "Parameters are nested too deeply.")
	}
	out := make(map[string]any)
	groups := make(map[string]map[string]string) // family -> rest -> value
	for k, v := range flat {
		head, rest, nested := strings.Cut(k, ".")
		if !nested {
			// botocore sends an empty list as "Name=" (e.g. Entries=):
			// it stands for no entries, not for a string.
			if v == "" && isFlatName(k) {
				continue
			}
			out[k] = v
			continue
		}
		if _, ok := flatRules[head]; !ok {
			continue // not a parameter of the model
		}
		if groups[head] == nil {
			groups[head] = make(map[string]string)
		}
		groups[head][rest] = v
	}
	for head, g := range groups {
		rule := flatRules[head]
		items, err := splitIndexed(head, g)
		if err != nil {
			return nil, err
		}
		switch rule.kind {
		case flatStrList:
			list := make([]string, 0, len(items))
			for _, it := range items {
				list = append(list, it.fields[""])
			}
			out[rule.json] = list
		case flatStrMap:
			m := make(map[string]string, len(items))
			for _, it := range items {
				m[it.fields[rule.key]] = it.fields[rule.val]
			}
			out[rule.json] = m
		case flatStructMap:
			m := make(map[string]any, len(items))
			for _, it := range items {
				sub := make(map[string]string)
				for k, v := range it.fields {
					if rest, ok := strings.CutPrefix(k, rule.val+"."); ok {
						sub[rest] = v
					}
				}
				val, err := unflatten(sub, depth+1)
				if err != nil {
					return nil, err
				}
				m[it.fields[rule.key]] = val
			}
			out[rule.json] = m
		case flatStructList:
			list := make([]any, 0, len(items))
			for _, it := range items {
				val, err := unflatten(it.fields, depth+1)
				if err != nil {
					return nil, err
				}
				list = append(list, val)
			}
			out[rule.json] = list
		}
	}
	return out, nil
}

// indexed is the group of parameters "P.N[.rest]" sharing one N; fields
// maps rest ("" for P.N itself) to the value.
type indexed struct {
	n      int
	fields map[string]string
}

// splitIndexed groups "N[.rest]" keys by N, in the order of N.
func splitIndexed(family string, g map[string]string) ([]indexed, error) {
	byN := make(map[int]map[string]string)
	for k, v := range g {
		num, rest, _ := strings.Cut(k, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > maxFlatIndex || num[0] == '+' {
			return nil, errf(codeInvalidParam, "Invalid parameter %s.%s: the index must be a positive integer.", family, k)
		}
		if byN[n] == nil {
			byN[n] = make(map[string]string)
		}
		byN[n][rest] = v
	}
	items := make([]indexed, 0, len(byN))
	for n, f := range byN {
		items = append(items, indexed{n: n, fields: f})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].n < items[j].n })
	return items, nil
}

// decodeQuery decodes query parameters into a request struct.
func decodeQuery(params url.Values, v any) error {
	body, err := queryToJSON(params)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errf(codeInvalidParam, "Invalid value for parameter %s.", te.Field)
		}
		return errf(codeInvalidParam, "Invalid parameter value: %s.", err.Error())
	}
	return nil
}
