package fsm

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/wharfmq/wharf/fsm/filterpolicy"
)

// The SNS error codes (query protocol codes: SNS speaks only the query
// protocol).
const (
	CodeSNSNotFound                  = "NotFound"
	CodeSNSInvalidParameter          = "InvalidParameter"
	CodeSNSInvalidParameterValue     = "ParameterValueInvalid"
	CodeSNSFilterPolicyLimitExceeded = "FilterPolicyLimitExceeded"
)

// Topic and subscription attribute names.
const (
	TopicAttrDisplayName      = "DisplayName"
	TopicAttrPolicy           = "Policy"
	TopicAttrDeliveryPolicy   = "DeliveryPolicy"
	TopicAttrSignatureVersion = "SignatureVersion"
	TopicAttrTracingConfig    = "TracingConfig"
	TopicAttrFifoTopic        = "FifoTopic"

	TopicAttrContentBasedDeduplication = "ContentBasedDeduplication"
	TopicAttrFifoThroughputScope       = "FifoThroughputScope"

	SubAttrRawMessageDelivery = "RawMessageDelivery"
	SubAttrFilterPolicy       = "FilterPolicy"
	SubAttrFilterPolicyScope  = "FilterPolicyScope"
	SubAttrRedrivePolicy      = "RedrivePolicy"
	SubAttrDeliveryPolicy     = "DeliveryPolicy"
)

// maxFilterPoliciesPerTopic is AWS's limit of filter policies on a topic.
const maxFilterPoliciesPerTopic = 200

// snsInvalid is SNS's InvalidParameter error: "Invalid parameter: <what>".
func snsInvalid(format string, args ...any) *Error {
	return Errorf(CodeSNSInvalidParameter, "Invalid parameter: "+format, args...)
}

func topicNotFound() *Error { return Errorf(CodeSNSNotFound, "Topic does not exist") }

func subscriptionNotFound() *Error {
	return Errorf(CodeSNSNotFound, "Subscription does not exist")
}

// topicAttributeSettable reports whether SetTopicAttributes and CreateTopic
// accept name.
func topicAttributeSettable(name string) bool {
	switch name {
	case TopicAttrDisplayName, TopicAttrPolicy, TopicAttrDeliveryPolicy, TopicAttrSignatureVersion,
		TopicAttrTracingConfig, "KmsMasterKeyId", "ArchivePolicy", "DataProtectionPolicy":
		return true
	}
	for _, proto := range []string{"HTTP", "SQS", "Lambda", "Firehose", "Application"} {
		switch strings.TrimPrefix(name, proto) {
		case "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate":
			if strings.HasPrefix(name, proto) {
				return true
			}
		}
	}
	return false
}

// checkTopicAttribute validates one topic attribute value of a standard
// or FIFO topic.
func checkTopicAttribute(name, value string, fifo bool) *Error {
	if name == TopicAttrContentBasedDeduplication || name == TopicAttrFifoThroughputScope {
		if !fifo {
			return snsInvalid("Attributes Reason: %s: Content based deduplication can only be set for FIFO topics", name)
		}
		if name == TopicAttrContentBasedDeduplication && value != "true" && value != "false" {
			return snsInvalid("Attributes Reason: ContentBasedDeduplication: Invalid value [%s]. Must be true or false.", value)
		}
		if name == TopicAttrFifoThroughputScope && value != "Topic" && value != "MessageGroup" {
			return snsInvalid("Attributes Reason: FifoThroughputScope: Invalid value [%s]. Must be Topic or MessageGroup.", value)
		}
		return nil
	}
	if !topicAttributeSettable(name) {
		return snsInvalid("AttributeName")
	}
	switch name {
	case TopicAttrSignatureVersion:
		if value != "1" && value != "2" {
			return snsInvalid("Attributes Reason: SignatureVersion: Invalid value [%s]. Must be 1 or 2.", value)
		}
	case TopicAttrTracingConfig:
		if value != "PassThrough" && value != "Active" {
			return snsInvalid("Attributes Reason: TracingConfig: Invalid value [%s]. Must be PassThrough or Active.", value)
		}
	case TopicAttrPolicy, TopicAttrDeliveryPolicy:
		if value != "" && !json.Valid([]byte(value)) {
			return snsInvalid("Attributes Reason: %s: failed to parse JSON.", name)
		}
	case TopicAttrDisplayName:
		if len(value) > 100 {
			return snsInvalid("DisplayName: must be at most 100 characters")
		}
	}
	return nil
}

// defaultTopicPolicy is the access policy AWS gives a new topic.
func defaultTopicPolicy(k TopicKey) string {
	return `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` +
		k.ARN() + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + k.Account + `"}}}]}`
}

// DefaultEffectiveDeliveryPolicy is the delivery policy of a topic that
// sets none: AWS's HTTP/S defaults.
const DefaultEffectiveDeliveryPolicy = `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`

// subscriptionAttributeSettable reports whether SetSubscriptionAttributes
// and Subscribe accept name.
func subscriptionAttributeSettable(name string) bool {
	switch name {
	case SubAttrRawMessageDelivery, SubAttrFilterPolicy, SubAttrFilterPolicyScope,
		SubAttrRedrivePolicy, SubAttrDeliveryPolicy, "SubscriptionRoleArn", "ReplayPolicy":
		return true
	}
	return false
}

// checkSubscriptionAttributes validates the attributes a subscription
// would have after a change (all of them, since FilterPolicy and
// FilterPolicyScope are checked together); subscribe words the errors as
// Subscribe does.
func checkSubscriptionAttributes(protocol string, attrs map[string]string, subscribe bool) (*filterpolicy.Policy, *Error) {
	for name, v := range attrs {
		if !subscriptionAttributeSettable(name) {
			return nil, snsInvalid("AttributeName")
		}
		switch name {
		case SubAttrRawMessageDelivery:
			if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
				return nil, snsInvalid("Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
			}
			if strings.EqualFold(v, "true") && protocol != "sqs" && protocol != "http" && protocol != "https" {
				return nil, snsInvalid("Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", protocol)
			}
		case SubAttrFilterPolicyScope:
			if _, err := filterpolicy.ParseScope(v); err != nil {
				return nil, snsInvalid("FilterPolicyScope: %s", err.Error())
			}
		case SubAttrRedrivePolicy:
			if v == "" {
				continue
			}
			var rp struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			}
			if err := json.Unmarshal([]byte(v), &rp); err != nil {
				return nil, snsInvalid("RedrivePolicy: failed to parse JSON.")
			}
			if _, ok := parseQueueARN(rp.DeadLetterTargetArn); !ok {
				return nil, snsInvalid("RedrivePolicy: deadLetterTargetArn is an invalid arn")
			}
		case SubAttrDeliveryPolicy:
			if v != "" && !json.Valid([]byte(v)) {
				return nil, snsInvalid("DeliveryPolicy: failed to parse JSON.")
			}
		}
	}
	doc := attrs[SubAttrFilterPolicy]
	if doc == "" {
		if _, ok := attrs[SubAttrFilterPolicyScope]; ok {
			return nil, snsInvalid("Attributes Reason: FilterPolicyScope: Can not be set without a FilterPolicy.")
		}
		return nil, nil
	}
	scope := filterpolicy.MessageAttributes
	if attrs[SubAttrFilterPolicyScope] == "MessageBody" {
		scope = filterpolicy.MessageBody
	}
	p, err := filterpolicy.Parse(doc, scope)
	if err != nil {
		var fe *filterpolicy.Error
		if errors.As(err, &fe) {
			return nil, Errorf(CodeSNSInvalidParameter, "%s", fe.AWSMessage(subscribe))
		}
		return nil, snsInvalid("FilterPolicy: %s", err.Error())
	}
	return p, nil
}

// subscriptionDeadLetterQueue returns the ARN of a subscription's
// dead-letter queue, "" when it has none.
func subscriptionDeadLetterQueue(attrs map[string]string) string {
	v := attrs[SubAttrRedrivePolicy]
	if v == "" {
		return ""
	}
	var rp struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if json.Unmarshal([]byte(v), &rp) != nil {
		return ""
	}
	return rp.DeadLetterTargetArn
}
