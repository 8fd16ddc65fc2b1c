package transport

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// systemAttributeNames are the message system attributes ReceiveMessage
// can return (MessageSystemAttributeName in the model, besides All).
var systemAttributeNames = []string{
	"SenderId", "SentTimestamp", "ApproximateReceiveCount",
	"ApproximateFirstReceiveTimestamp", "SequenceNumber",
	"MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader",
	"DeadLetterQueueSourceArn",
}

// receiveMessage answers ReceiveMessage.
func (s *Server) receiveMessage(ctx context.Context, c *call, in *receiveMessageInput) (any, error) {
	key, err := c.queueKey(in.QueueUrl)
	if err != nil {
		return nil, err
	}
	maxN, err := intParam(in.MaxNumberOfMessages, "MaxNumberOfMessages", 1, maxReceiveMessages, 1,
		"Must be between 1 and 10, if provided.")
	if err != nil {
		return nil, err
	}
	vis, err := intParam(in.VisibilityTimeout, "VisibilityTimeout", 0, maxVisibility, -1,
		"Must be between 0 and 43200, if provided.")
	if err != nil {
		return nil, err
	}
	// Absent: -1, the queue's ReceiveMessageWaitTimeSeconds.
	wait, err := intParam(in.WaitTimeSeconds, "WaitTimeSeconds", 0, maxWaitSeconds, -1,
		"Must be >= 0 and <= 20, if provided.")
	if err != nil {
		return nil, err
	}
	if err := validFifoID("ReceiveRequestAttemptId", in.ReceiveRequestAttemptId); err != nil {
		return nil, err
	}
	msgs, err := s.cfg.Backend.ReceiveMessages(ctx,
		fsm.ReceiveMessages{Queue: key, Max: maxN, VisibilityTimeout: vis, AttemptID: in.ReceiveRequestAttemptId},
		time.Duration(wait)*time.Second)
	if err != nil {
		return nil, err
	}
	sysWanted := wantedSystemAttributes(in.AttributeNames, in.MessageSystemAttributeNames)
	res := receiveResult{}
	for i := range msgs {
		res.Messages = append(res.Messages, received(&msgs[i], sysWanted, in.MessageAttributeNames))
	}
	return res, nil
}

// wantedSystemAttributes merges the deprecated AttributeNames with
// MessageSystemAttributeNames; "All" asks for every one. Names that are
// not message system attributes are ignored.
func wantedSystemAttributes(lists ...[]string) map[string]bool {
	want := make(map[string]bool)
	for _, l := range lists {
		for _, n := range l {
			if n == "All" {
				for _, a := range systemAttributeNames {
					want[a] = true
				}
				continue
			}
			want[n] = true
		}
	}
	return want
}

// received is one received message as answered: the system attributes and
// message attributes asked for, and the checksums over what is returned.
func received(m *fsm.ReceivedMessage, sysWanted map[string]bool, attrNames []string) message {
	out := message{
		MessageId:     m.MessageID,
		ReceiptHandle: m.ReceiptHandle,
		MD5OfBody:     md5Hex(m.Body),
		Body:          m.Body,
	}
	if len(sysWanted) > 0 {
		values := map[string]string{
			"SenderId":                         m.SenderID,
			"SentTimestamp":                    strconv.FormatInt(m.SentTimestamp, 10),
			"ApproximateReceiveCount":          strconv.Itoa(m.ReceiveCount),
			"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.FirstReceiveTimestamp, 10),
			"SequenceNumber":                   m.SequenceNumber,
			"MessageDeduplicationId":           m.DeduplicationID,
			"MessageGroupId":                   m.MessageGroupID,
			"AWSTraceHeader":                   m.SystemAttributes["AWSTraceHeader"].StringValue,
			"DeadLetterQueueSourceArn":         m.DeadLetterSourceArn,
		}
		for n := range sysWanted {
			if v := values[n]; v != "" {
				if out.Attributes == nil {
					out.Attributes = nameValueMap{}
				}
				out.Attributes[n] = v
			}
		}
	}
	picked := pickAttributes(m.Attributes, attrNames)
	if len(picked) > 0 {
		out.MD5OfMessageAttributes = md5OfAttributes(picked)
		out.MessageAttributes = make(msgAttrMap, len(picked))
		for n, a := range picked {
			v := attrValue{DataType: a.DataType}
			if a.IsBinary() {
				v.BinaryValue = a.BinaryValue
			} else {
				sv := a.StringValue
				v.StringValue = &sv
			}
			out.MessageAttributes[n] = v
		}
	}
	return out
}

// pickAttributes keeps the message attributes MessageAttributeNames asks
// for: "All" or ".*" for all, "prefix.*" for the names under a prefix,
// and exact names.
func pickAttributes(attrs map[string]fsm.MessageAttribute, names []string) map[string]fsm.MessageAttribute {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := make(map[string]fsm.MessageAttribute)
	for _, want := range names {
		if want == "All" || want == ".*" {
			return attrs
		}
		if prefix, ok := strings.CutSuffix(want, ".*"); ok {
			for n, a := range attrs {
				if strings.HasPrefix(n, prefix+".") {
					out[n] = a
				}
			}
			continue
		}
		if a, ok := attrs[want]; ok {
			out[want] = a
		}
	}
	return out
}
