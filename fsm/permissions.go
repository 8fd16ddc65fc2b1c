package fsm

import (
	"encoding/json"
	"regexp"
	"slices"
)

// AddPermission adds a statement, named by Label, to a queue's Policy
// that allows the accounts the actions (AWS's AddPermission).
type AddPermission struct {
	Queue    QueueKey
	Label    string
	Accounts []string
	Actions  []string
}

// RemovePermission removes the statement named Label from a queue's Policy.
type RemovePermission struct {
	Queue QueueKey
	Label string
}

// permissionActions are the actions AddPermission grants.
var permissionActions = []string{"*", "ChangeMessageVisibility", "DeleteMessage", "GetQueueAttributes",
	"GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue", "ReceiveMessage", "SendMessage"}

var labelPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// maxPolicyStatements bounds the statements a queue policy holds.
const maxPolicyStatements = 20

// policyDocument is a queue policy with its statements kept as written.
type policyDocument struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id,omitempty"`
	Statement []json.RawMessage `json:"Statement"`
}

// permissionStatement is the statement AddPermission writes.
type permissionStatement struct {
	Sid       string `json:"Sid"`
	Effect    string `json:"Effect"`
	Principal struct {
		AWS []string `json:"AWS"`
	} `json:"Principal"`
	Action   []string `json:"Action"`
	Resource string   `json:"Resource"`
}

// statementSid reads a statement's Sid ("" when it has none).
func statementSid(raw json.RawMessage) string {
	var s struct {
		Sid string `json:"Sid"`
	}
	_ = json.Unmarshal(raw, &s)
	return s.Sid
}

// queuePolicy parses a queue's Policy attribute, or starts the policy AWS
// creates on the first AddPermission.
func queuePolicy(q *queue) (policyDocument, *Error) {
	doc := policyDocument{Version: "2012-10-17", ID: q.Key.ARN() + "/SQSDefaultPolicy"}
	if v := q.Attributes[AttrPolicy]; v != "" {
		if err := json.Unmarshal([]byte(v), &doc); err != nil {
			return doc, Errorf(CodeInvalidParameterValue, "The queue's Policy is not a JSON policy document: %s", err.Error())
		}
	}
	return doc, nil
}

// setPolicy stores doc as the queue's Policy (none when it has no
// statement left).
func (f *FSM) setPolicy(now int64, q *queue, doc policyDocument) {
	attrs := make(map[string]string, len(q.Attributes))
	for k, v := range q.Attributes {
		attrs[k] = v
	}
	if len(doc.Statement) == 0 {
		delete(attrs, AttrPolicy)
	} else {
		b, _ := json.Marshal(doc)
		attrs[AttrPolicy] = string(b)
	}
	q.Attributes = attrs
	q.ModifiedAt = now
}

func (f *FSM) addPermission(now int64, c AddPermission) *Error {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	switch {
	case !labelPattern.MatchString(c.Label):
		return Errorf(CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.", c.Label)
	case len(c.Accounts) == 0:
		return Errorf(CodeMissingParameter, "The request must contain the parameter AWSAccountIds.")
	case len(c.Actions) == 0:
		return Errorf(CodeMissingParameter, "The request must contain the parameter Actions.")
	}
	st := permissionStatement{Sid: c.Label, Effect: "Allow", Resource: q.Key.ARN()}
	for _, a := range c.Accounts {
		if !accountPattern.MatchString(a) {
			return Errorf(CodeInvalidParameterValue, "Value [%s] for parameter PrincipalId is invalid. Reason: Unable to verify.", a)
		}
		st.Principal.AWS = append(st.Principal.AWS, "arn:aws:iam::"+a+":root")
	}
	for _, a := range c.Actions {
		if !slices.Contains(permissionActions, a) {
			return Errorf(CodeInvalidParameterValue, "Value SQS:%s for parameter ActionName is invalid. Reason: Please refer to the appropriate WSDL for a list of valid actions.", a)
		}
		st.Action = append(st.Action, "SQS:"+a)
	}
	doc, err := queuePolicy(q)
	if err != nil {
		return err
	}
	for _, raw := range doc.Statement {
		if statementSid(raw) == c.Label {
			return Errorf(CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: Already exists.", c.Label)
		}
	}
	if len(doc.Statement) >= maxPolicyStatements {
		return Errorf(CodeOverLimit, "%d statements are the most a queue policy can hold.", maxPolicyStatements)
	}
	b, _ := json.Marshal(st)
	doc.Statement = append(doc.Statement, b)
	f.setPolicy(now, q, doc)
	return nil
}

var accountPattern = regexp.MustCompile(`^[0-9]{12}$`)

func (f *FSM) removePermission(now int64, c RemovePermission) *Error {
	q, ok := f.queues[c.Queue]
	if !ok {
		return queueNotFound()
	}
	if c.Label == "" {
		return Errorf(CodeMissingParameter, "The request must contain the parameter Label.")
	}
	doc, err := queuePolicy(q)
	if err != nil {
		return err
	}
	for i, raw := range doc.Statement {
		if statementSid(raw) == c.Label {
			doc.Statement = slices.Delete(doc.Statement, i, i+1)
			f.setPolicy(now, q, doc)
			return nil
		}
	}
	return Errorf(CodeInvalidParameterValue, "Value %s for parameter Label is invalid. Reason: can't find label on existing policy.", c.Label)
}
