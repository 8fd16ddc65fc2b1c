package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/wharfmq/wharf/fsm"
)

// fill sets every exported field reachable from v to a value that is not
// its zero value, so a round trip that drops a field shows.
func fill(v reflect.Value, seed *int) {
	*seed++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", *seed))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(*seed))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(*seed))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := 0; i < 2; i++ {
			fill(v.Index(i), seed)
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		for i := 0; i < 2; i++ {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, seed)
			fill(e, seed)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), seed)
			}
		}
	}
}

// readOne reads the one frame of b.
func readOne(t *testing.T, b []byte) frame {
	t.Helper()
	f, err := readFrame(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Every field of every request and result survives the wire.
func TestWireKeepsEveryField(t *testing.T) {
	requests := []any{&fsm.SendMessages{}, &receiveCall{}, &fsm.DeleteMessages{}, &fsm.ChangeVisibility{}, &fsm.Publish{}}
	for i, req := range requests {
		seed := 0
		fill(reflect.ValueOf(req).Elem(), &seed)
		b, err := encodeRequest(uint64(i), opSend, 1500*time.Millisecond, reflect.ValueOf(req).Elem().Interface())
		if err != nil {
			t.Fatal(err)
		}
		f := readOne(t, b)
		got := reflect.New(reflect.TypeOf(req).Elem())
		timeout, err := decodeRequest(f.body, got.Interface())
		if err != nil || timeout != 1500*time.Millisecond || f.id != uint64(i) || f.kind != opSend {
			t.Fatalf("%T: %v timeout %v frame %d/%d", req, err, timeout, f.id, f.kind)
		}
		if !reflect.DeepEqual(got.Interface(), req) {
			t.Fatalf("%T changed on the wire:\n%+v\n%+v", req, req, got.Interface())
		}
	}
	results := []any{&[]fsm.SendResult{}, &[]fsm.ReceivedMessage{}, &[]fsm.EntryResult{}, &[]fsm.PublishResult{}}
	for _, res := range results {
		seed := 0
		fill(reflect.ValueOf(res).Elem(), &seed)
		b, err := encodeReply(7, reflect.ValueOf(res).Elem().Interface(), nil)
		if err != nil {
			t.Fatal(err)
		}
		got := reflect.New(reflect.TypeOf(res).Elem())
		if err := decodeReply(readOne(t, b).body, got.Interface()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Interface(), res) {
			t.Fatalf("%T changed on the wire:\n%+v\n%+v", res, res, got.Interface())
		}
	}
}

// Errors keep their type and identity across the wire.
func TestWireErrors(t *testing.T) {
	for _, want := range []error{ErrNotLeader, ErrNoLeader, ErrIndeterminate, ErrShuttingDown,
		context.Canceled, context.DeadlineExceeded, fmt.Errorf("wrapped: %w", ErrIndeterminate)} {
		b, err := encodeReply(1, nil, want)
		if err != nil {
			t.Fatal(err)
		}
		got := decodeReply(readOne(t, b).body, nil)
		if !errors.Is(got, want) && !errors.Is(want, got) {
			t.Fatalf("%v came back as %v", want, got)
		}
	}
	b, _ := encodeReply(1, nil, fmt.Errorf("ctx: %w", fsm.Errorf(fsm.CodeQueueDoesNotExist, "no %s", "q")))
	var fe *fsm.Error
	if err := decodeReply(readOne(t, b).body, nil); !errors.As(err, &fe) || fe.Code != fsm.CodeQueueDoesNotExist || fe.Message != "no q" {
		t.Fatalf("fsm error came back as %#v", err)
	}
	b, _ = encodeReply(1, nil, errors.New("disk on fire"))
	if err := decodeReply(readOne(t, b).body, nil); err == nil || err.Error() != "disk on fire" {
		t.Fatalf("other error came back as %v", err)
	}
}

// Frames that are too short, too long or cut end the stream with an
// error, never a panic or a huge allocation.
func TestReadFrameRejects(t *testing.T) {
	valid, _ := encodeRequest(1, opSend, 0, fsm.SendMessages{})
	for name, in := range map[string][]byte{
		"short length":     {0, 0, 0, 3, 1, 2, 3},
		"huge length":      {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1, opSend},
		"truncated header": valid[:7],
		"truncated body":   valid[:len(valid)-1],
		"big and cut":      {0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, opSend, 1, 2, 3},
	} {
		if _, err := readFrame(bufio.NewReader(bytes.NewReader(in))); !errors.Is(err, errBadFrame) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(nil))); err == nil || errors.Is(err, errBadFrame) {
		t.Fatalf("empty stream: %v, want a clean EOF", err)
	}
	var req fsm.SendMessages
	good, _ := encodeRequest(1, opSend, 0, fsm.SendMessages{Entries: []fsm.SendEntry{{Body: "x"}}})
	goodBody := readOne(t, good).body
	for name, body := range map[string][]byte{
		"bad timeout":    {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		"timeout only":   {},
		"no request":     {0},
		"short string":   {0, 5, 'a'},
		"huge string":    {0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		"huge count":     {0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"big integer":    {0, 0, 0, 0, 0, 1, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		"trailing bytes": append(append([]byte(nil), goodBody...), 0),
		"cut":            goodBody[:len(goodBody)-1],
	} {
		if _, err := decodeRequest(body, &req); !errors.Is(err, errBadFrame) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for name, body := range map[string][]byte{
		"empty":            {},
		"unknown status":   {99},
		"bad error marker": {statusOK, 1, 0, 0, 0, 7},
		"cut fsm error":    {statusFSMError, 5, 'a'},
	} {
		if err := decodeReply(body, &[]fsm.SendResult{}); !errors.Is(err, errBadFrame) {
			t.Fatalf("reply %s: %v", name, err)
		}
	}
}

// FuzzFrames feeds arbitrary bytes to the frame reader and the request
// and reply decoders: they may fail, never panic.
func FuzzFrames(f *testing.F) {
	seedReq, _ := encodeRequest(1, opSend, time.Second, fsm.SendMessages{Queue: fsm.QueueKey{Name: "q"}, Entries: []fsm.SendEntry{{Body: "x"}}})
	seedRecv, _ := encodeRequest(2, opReceive, 0, receiveCall{Req: fsm.ReceiveMessages{Max: 1}, Wait: time.Second})
	seedReply, _ := encodeReply(1, []fsm.SendResult{{MessageID: "m"}}, nil)
	seedErr, _ := encodeReply(1, nil, fsm.Errorf("Code", "message"))
	f.Add(seedReq)
	f.Add(append(seedRecv, seedReply...))
	f.Add(seedErr)
	f.Add(encodeCancel(3))
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReader(bytes.NewReader(data))
		for i := 0; i < 64; i++ {
			fr, err := readFrame(br)
			if err != nil {
				return
			}
			decodeAll(fr.body)
		}
	})
}

// decodeAll decodes a body as every request and reply there is.
func decodeAll(body []byte) {
	_, _ = decodeRequest(body, &fsm.SendMessages{})
	_, _ = decodeRequest(body, &receiveCall{})
	_, _ = decodeRequest(body, &fsm.DeleteMessages{})
	_, _ = decodeRequest(body, &fsm.ChangeVisibility{})
	_, _ = decodeRequest(body, &fsm.Publish{})
	_ = decodeReply(body, &[]fsm.SendResult{})
	_ = decodeReply(body, &[]fsm.ReceivedMessage{})
	_ = decodeReply(body, &[]fsm.EntryResult{})
	_ = decodeReply(body, &[]fsm.PublishResult{})
}
