package transport

import (
	"encoding/base64"
	"encoding/xml"
	"sort"
)

// The result structs of the SQS actions, one per result shape. JSON tags
// give the AWS JSON 1.0 member names, xml tags the query protocol's
// element names; maps use the marshalers below for their XML form
// (repeated <X><Name/><Value/></X> elements).

type queueURLResult struct {
	QueueUrl string `json:"QueueUrl,omitempty" xml:"QueueUrl,omitempty"` //nolint:revive
}

type listQueuesResult struct {
	QueueUrls []string `json:"QueueUrls,omitempty" xml:"QueueUrl"` //nolint:revive
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type dlqSourcesResult struct {
	QueueUrls []string `json:"queueUrls" xml:"QueueUrl"` //nolint:revive
	NextToken string   `json:"NextToken,omitempty" xml:"NextToken,omitempty"`
}

type attributesResult struct {
	Attributes nameValueMap `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
}

type tagsResult struct {
	Tags keyValueMap `json:"Tags,omitempty" xml:"Tag,omitempty"`
}

type sendResult struct {
	MD5OfMessageBody             string `json:"MD5OfMessageBody,omitempty" xml:"MD5OfMessageBody,omitempty"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty" xml:"MD5OfMessageSystemAttributes,omitempty"`
	MessageId                    string `json:"MessageId,omitempty" xml:"MessageId,omitempty"`           //nolint:revive
	SequenceNumber               string `json:"SequenceNumber,omitempty" xml:"SequenceNumber,omitempty"` //nolint:revive
}

type sendBatchEntry struct {
	Id string `json:"Id" xml:"Id"` //nolint:revive
	sendResult
}

type batchError struct {
	Id          string `json:"Id" xml:"Id"` //nolint:revive
	SenderFault bool   `json:"SenderFault" xml:"SenderFault"`
	Code        string `json:"Code" xml:"Code"`
	Message     string `json:"Message,omitempty" xml:"Message,omitempty"`
}

type sendBatchResult struct {
	Successful []sendBatchEntry `json:"Successful" xml:"SendMessageBatchResultEntry"`
	Failed     []batchError     `json:"Failed" xml:"BatchResultErrorEntry"`
}

type idEntry struct {
	Id string `json:"Id" xml:"Id"` //nolint:revive
}

type deleteBatchResult struct {
	Successful []idEntry    `json:"Successful" xml:"DeleteMessageBatchResultEntry"`
	Failed     []batchError `json:"Failed" xml:"BatchResultErrorEntry"`
}

type changeBatchResult struct {
	Successful []idEntry    `json:"Successful" xml:"ChangeMessageVisibilityBatchResultEntry"`
	Failed     []batchError `json:"Failed" xml:"BatchResultErrorEntry"`
}

type receiveResult struct {
	Messages []message `json:"Messages,omitempty" xml:"Message"`
}

type message struct {
	MessageId              string       `json:"MessageId" xml:"MessageId"` //nolint:revive
	ReceiptHandle          string       `json:"ReceiptHandle" xml:"ReceiptHandle"`
	MD5OfBody              string       `json:"MD5OfBody" xml:"MD5OfBody"`
	Body                   string       `json:"Body" xml:"Body"`
	Attributes             nameValueMap `json:"Attributes,omitempty" xml:"Attribute,omitempty"`
	MD5OfMessageAttributes string       `json:"MD5OfMessageAttributes,omitempty" xml:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      msgAttrMap   `json:"MessageAttributes,omitempty" xml:"MessageAttribute,omitempty"`
}

// nameValueMap is a string map; in XML each entry is an element
// <X><Name>k</Name><Value>v</Value></X>, sorted by name.
type nameValueMap map[string]string

// MarshalXML implements xml.Marshaler.
func (m nameValueMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalPairs(e, start, m, "Name", "Value")
}

// keyValueMap is a tag map; in XML each entry is <Tag><Key/><Value/></Tag>.
type keyValueMap map[string]string

// MarshalXML implements xml.Marshaler.
func (m keyValueMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return marshalPairs(e, start, m, "Key", "Value")
}

// marshalPairs writes one element per map entry, sorted by key.
func marshalPairs(e *xml.Encoder, start xml.StartElement, m map[string]string, keyName, valName string) error {
	for _, k := range sortedKeys(m) {
		if err := e.EncodeElement(pairXML{keyName, valName, k, m[k]}, start); err != nil {
			return err
		}
	}
	return nil
}

// pairXML is one <Name/><Value/> (or <Key/><Value/>) element body.
type pairXML struct {
	keyName, valName string
	k, v             string
}

// MarshalXML implements xml.Marshaler.
func (p pairXML) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	if err := e.EncodeElement(p.k, xml.StartElement{Name: xml.Name{Local: p.keyName}}); err != nil {
		return err
	}
	if err := e.EncodeElement(p.v, xml.StartElement{Name: xml.Name{Local: p.valName}}); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// msgAttrMap holds message attributes as returned by ReceiveMessage; in
// XML each is <MessageAttribute><Name/><Value><StringValue/>|<BinaryValue/>
// <DataType/></Value></MessageAttribute> with binary values in base64.
type msgAttrMap map[string]attrValue

// MarshalXML implements xml.Marshaler.
func (m msgAttrMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type valueXML struct {
		StringValue *string `xml:"StringValue,omitempty"`
		BinaryValue string  `xml:"BinaryValue,omitempty"`
		DataType    string  `xml:"DataType"`
	}
	type entryXML struct {
		Name  string   `xml:"Name"`
		Value valueXML `xml:"Value"`
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		a := m[n]
		v := valueXML{StringValue: a.StringValue, DataType: a.DataType}
		if a.BinaryValue != nil {
			v.BinaryValue = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		if err := e.EncodeElement(entryXML{Name: n, Value: v}, start); err != nil {
			return err
		}
	}
	return nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
