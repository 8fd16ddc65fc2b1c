package push

import "github.com/wharfmq/wharf/fsm/envelope"

// awsNotification is the Notification example of AWS's "HTTP/HTTPS
// notification JSON format" page.
func awsNotification() *envelope.Envelope {
	return &envelope.Envelope{
		Type:             envelope.TypeNotification,
		MessageID:        "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicArn:         "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:          "My First Message",
		Message:          "Hello world!",
		Timestamp:        "2012-05-02T00:54:06.655Z",
		SignatureVersion: "1",
		Signature:        "EXAMPLEw6JRNwm1LFQL4ICB0bnXrdB8ClRMTQFGBqwLpGbM78tJ4etTwC5zU7O3tS6tGpey3ejedNdOJ+1fkIp9F2/LmNVKb5aFlYq+9rk9ZiPph5YlLmWsDcyC5T+Sy9/umic5S0UQc2PEtgdpVBahwNOdMW4JPwk0kAJJztnc=",
		SigningCertURL:   "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		UnsubscribeURL:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0-26c4-47ec-8998-413945fb5a96",
	}
}
