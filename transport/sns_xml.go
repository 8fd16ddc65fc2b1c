package transport

import "sort"

// The XML result documents of the SNS actions (the <XResult> element's
// content). Lists are wrapped in an element that is always written, so an
// empty list reaches SDKs as [] rather than a missing key.

type snsTopicArnResult struct {
	TopicArn string
}

type snsTopicList struct {
	Member []snsTopicArnResult `xml:"member"`
}

type snsListTopicsResult struct {
	Topics    snsTopicList
	NextToken string `xml:",omitempty"`
}

type snsEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

type snsEntryList struct {
	Entry []snsEntry `xml:"entry"`
}

type snsAttributesResult struct {
	Attributes snsEntryList
}

// snsAttributes renders a map as a sorted entry list.
func snsAttributes(m map[string]string) snsAttributesResult {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := snsAttributesResult{}
	for _, k := range keys {
		out.Attributes.Entry = append(out.Attributes.Entry, snsEntry{Key: k, Value: m[k]})
	}
	return out
}

type snsSubscriptionArnResult struct {
	SubscriptionArn string
}

type snsSubscriptionMember struct {
	SubscriptionArn string
	Owner           string
	Protocol        string
	Endpoint        string
	TopicArn        string
}

type snsSubscriptionList struct {
	Member []snsSubscriptionMember `xml:"member"`
}

type snsListSubscriptionsResult struct {
	Subscriptions snsSubscriptionList
	NextToken     string `xml:",omitempty"`
}

type snsPublishResult struct {
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

type snsBatchSuccess struct {
	Id             string
	MessageId      string
	SequenceNumber string `xml:",omitempty"`
}

type snsBatchFailure struct {
	Id          string
	Code        string
	Message     string
	SenderFault bool
}

type snsPublishBatchResult struct {
	Successful struct {
		Member []snsBatchSuccess `xml:"member"`
	}
	Failed struct {
		Member []snsBatchFailure `xml:"member"`
	}
}

type snsTag struct {
	Key   string
	Value string
}

type snsTagsResult struct {
	Tags struct {
		Member []snsTag `xml:"member"`
	}
}

// snsEmptyResult is the result element of actions that return nothing but
// still write <XResult/> (TagResource, UntagResource).
type snsEmptyResult struct{}
