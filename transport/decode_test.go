package transport

import (
	"net/url"
	"reflect"
	"testing"
)

func TestQueryToJSON(t *testing.T) {
	for _, tc := range []struct {
		name, form, want string
	}{
		{"scalars", "Action=SendMessage&Version=2012-11-05&QueueUrl=u&MessageBody=b&DelaySeconds=5",
			`{"DelaySeconds":"5","MessageBody":"b","QueueUrl":"u"}`},
		{"string map", "Attribute.2.Name=B&Attribute.2.Value=2&Attribute.1.Name=A&Attribute.1.Value=1",
			`{"Attributes":{"A":"1","B":"2"}}`},
		{"tags", "Tag.1.Key=k&Tag.1.Value=v", `{"Tags":{"k":"v"}}`},
		{"string lists in index order", "AttributeName.10=c&AttributeName.2=b&AttributeName.1=a",
			`{"AttributeNames":["a","b","c"]}`},
		{"tag keys", "TagKey.1=a", `{"TagKeys":["a"]}`},
		{"message attributes", "MessageAttribute.1.Name=n&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v",
			`{"MessageAttributes":{"n":{"DataType":"String","StringValue":"v"}}}`},
		{"batch entries with nested attributes",
			"SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x&" +
				"SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Number&" +
				"SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=1&SendMessageBatchRequestEntry.2.Id=b",
			`{"Entries":[{"Id":"a","MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"}},"MessageBody":"x"},{"Id":"b"}]}`},
		{"delete entries", "DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=r",
			`{"Entries":[{"Id":"a","ReceiptHandle":"r"}]}`},
		{"empty list", "Entries=&QueueUrl=u", `{"QueueUrl":"u"}`},
		{"unknown nested ignored", "Foo.1.Bar=x&QueueUrl=u", `{"QueueUrl":"u"}`},
	} {
		params, err := url.ParseQuery(tc.form)
		if err != nil {
			t.Fatal(err)
		}
		got, err := queryToJSON(params)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: queryToJSON = %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
}

// TestDecodeBothProtocols: the same request in both protocols decodes to
// the same struct.
func TestDecodeBothProtocols(t *testing.T) {
	jsonBody := `{"QueueUrl":"u","Entries":[{"Id":"a","MessageBody":"x","DelaySeconds":3,
		"MessageAttributes":{"b":{"DataType":"Binary","BinaryValue":"AP8="}},
		"MessageSystemAttributes":{"AWSTraceHeader":{"DataType":"String","StringValue":"t"}},
		"MessageGroupId":"g","MessageDeduplicationId":"d"}]}`
	query := "Action=SendMessageBatch&QueueUrl=u&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x" +
		"&SendMessageBatchRequestEntry.1.DelaySeconds=3&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=b" +
		"&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Binary&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.BinaryValue=AP8%3D" +
		"&SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Name=AWSTraceHeader&SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.DataType=String" +
		"&SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.StringValue=t" +
		"&SendMessageBatchRequestEntry.1.MessageGroupId=g&SendMessageBatchRequestEntry.1.MessageDeduplicationId=d"
	var fromJSON, fromQuery sendMessageBatchInput
	if err := decodeJSON([]byte(jsonBody), &fromJSON); err != nil {
		t.Fatal(err)
	}
	params, err := queryParams(query, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeQuery(params, &fromQuery); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, fromQuery) {
		t.Fatalf("JSON  %+v\nquery %+v", fromJSON, fromQuery)
	}
	e := fromJSON.Entries[0]
	if e.DelaySeconds.or(-1) != 3 || string(e.MessageAttributes["b"].BinaryValue) != "\x00\xff" || *e.MessageSystemAttributes["AWSTraceHeader"].StringValue != "t" {
		t.Fatalf("decoded %+v", e)
	}

	var tags createQueueInput
	if err := decodeJSON([]byte(`{"QueueName":"q","tags":{"a":"b"}}`), &tags); err != nil || tags.Tags["a"] != "b" {
		t.Fatalf("CreateQueue tags: %+v %v", tags, err)
	}
	params, _ = queryParams("Action=CreateQueue&QueueName=q&Tag.1.Key=a&Tag.1.Value=b", "", nil)
	tags = createQueueInput{}
	if err := decodeQuery(params, &tags); err != nil || tags.Tags["a"] != "b" {
		t.Fatalf("CreateQueue Tag.N: %+v %v", tags, err)
	}
}

func TestOptInt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want optInt
	}{
		{`5`, optInt{set: true, v: 5}},
		{`"5"`, optInt{set: true, v: 5}},
		{`-3`, optInt{set: true, v: -3}},
		{`null`, optInt{}},
		{`1.5`, optInt{set: true, bad: "1.5"}},
		{`"x"`, optInt{set: true, bad: "x"}},
		{`99999999999999999999`, optInt{set: true, bad: "99999999999999999999"}},
	} {
		var o optInt
		if err := o.UnmarshalJSON([]byte(tc.in)); err != nil || o != tc.want {
			t.Errorf("optInt(%s) = %+v, %v", tc.in, o, err)
		}
	}
}
