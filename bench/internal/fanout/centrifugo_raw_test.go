package fanout

import (
	"bytes"
	"testing"

	"github.com/centrifugal/protocol"
)

func marshalReply(t *testing.T, r *protocol.Reply) []byte {
	t.Helper()
	b, err := r.MarshalVT()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pushedPublication must take the fast path exactly where handle would count a publication, with the
// same data, and leave every other reply (and any malformed one) to UnmarshalVT.
func TestPushedPublicationAgreesWithHandle(t *testing.T) {
	data := append([]byte{'C', 0, 0, 0, 7, 0, 0, 0, 1}, bytes.Repeat([]byte{0xab}, 16)...)
	pub := &protocol.Publication{Data: data, Offset: 3, Info: &protocol.ClientInfo{User: "u", Client: "c"}, Tags: map[string]string{"k": "v"}}
	tests := []struct {
		name  string
		reply *protocol.Reply
		want  []byte // nil: not a publication
	}{
		{"publication", &protocol.Reply{Push: &protocol.Push{Channel: "room:x", Pub: pub}}, data},
		{"live publication", &protocol.Reply{Push: &protocol.Push{Channel: "room:x", Pub: &protocol.Publication{Data: []byte("L...")}}}, []byte("L...")},
		{"ping", &protocol.Reply{}, nil},
		{"publish reply", &protocol.Reply{Id: 5, Publish: &protocol.PublishResult{}}, nil},
		{"error reply", &protocol.Reply{Id: 6, Error: &protocol.Error{Code: 103, Message: "permission denied"}}, nil},
		{"disconnect", &protocol.Reply{Push: &protocol.Push{Disconnect: &protocol.Disconnect{Code: 3000, Reason: "bye"}}}, nil},
		{"unsubscribe", &protocol.Reply{Push: &protocol.Push{Channel: "room:x", Unsubscribe: &protocol.Unsubscribe{Code: 2500}}}, nil},
		{"join", &protocol.Reply{Push: &protocol.Push{Channel: "room:x", Join: &protocol.Join{Info: &protocol.ClientInfo{User: "u"}}}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := marshalReply(t, tt.reply)
			got, ok := pushedPublication(b)
			if ok != (tt.want != nil) || !bytes.Equal(got, tt.want) {
				t.Fatalf("pushedPublication = %q, %v; want %q", got, ok, tt.want)
			}
			// What handle reads from the decoded reply.
			var r protocol.Reply
			if err := r.UnmarshalVT(b); err != nil {
				t.Fatal(err)
			}
			isPub := r.Id == 0 && r.Push != nil && r.Push.Disconnect == nil && r.Push.Unsubscribe == nil && r.Push.Pub != nil
			if isPub != ok || (ok && !bytes.Equal(r.Push.Pub.Data, got)) {
				t.Fatalf("handle would read publication=%v %q", isPub, r.Push.GetPub().GetData())
			}
		})
	}
	// Malformed replies are never taken as publications (UnmarshalVT then reports them), and never panic.
	b := marshalReply(t, tests[0].reply)
	for n := range b {
		if _, ok := pushedPublication(b[:n]); ok {
			var r protocol.Reply
			if r.UnmarshalVT(b[:n]) != nil {
				t.Fatalf("the first %d bytes of a publication, which UnmarshalVT rejects, were taken as one", n)
			}
		}
	}
	for _, bad := range [][]byte{{0x00}, {0x22, 0x7f}, {0x20, 0x01}, {0x22, 0x02, 0x20, 0x01}} {
		if data, ok := pushedPublication(bad); ok {
			t.Fatalf("malformed reply %x taken as a publication of %q", bad, data)
		}
	}
}
