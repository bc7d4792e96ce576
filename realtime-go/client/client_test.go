package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	roomv1 "github.com/infidraw/infidraw/gen/go/infidraw/room/v1"
)

// A request sent after the server has gone (a replica killed between two commits) fails at once with
// ErrClosed instead of waiting for its context: the chaos run saw writers stall for their whole ack
// timeout after a kill -9.
func TestRequestAfterServerGoneFailsAtOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		if _, _, err := conn.ReadMessage(); err != nil { // the Join
			return
		}
		welcome, _ := proto.Marshal(&realtimev1.ServerFrame{Messages: []*realtimev1.ServerMessage{
			{Body: &realtimev1.ServerMessage_Welcome{Welcome: &realtimev1.Welcome{SessionId: 1}}}}})
		_ = conn.WriteMessage(websocket.BinaryMessage, welcome)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), "room", "token", 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	<-c.Done()
	began := time.Now()
	_, err = c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{}}})
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("request on a closed connection: %v, want it to fail (ErrClosed or the write's error)", err)
	}
	if waited := time.Since(began); waited > time.Second {
		t.Fatalf("request on a closed connection waited %s", waited)
	}
}

// A client with a view gets the events that touch it, with gaps where the rest of the board's were, and
// a through_seq that vouches for the gaps; one without a view must get every event.
func TestViewedClientAllowsGapsUpToThroughSeq(t *testing.T) {
	events := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Events{Events: &realtimev1.EventBatch{
		Events: []*roomv1.RoomEvent{{Seq: 3}, {Seq: 7}}, ThroughSeq: 10}}}
	joined := make(chan *realtimev1.View, 1) // the view each Join carried
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		_, join, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var in realtimev1.ClientFrame
		if err := proto.Unmarshal(join, &in); err != nil {
			return
		}
		welcome := &realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Welcome{Welcome: &realtimev1.Welcome{SessionId: 1}}}
		first, _ := proto.Marshal(&realtimev1.ServerFrame{Messages: []*realtimev1.ServerMessage{welcome}})
		_ = conn.WriteMessage(websocket.BinaryMessage, first)
		joined <- in.GetMessages()[0].GetJoin().GetView()
		rest, _ := proto.Marshal(&realtimev1.ServerFrame{Messages: []*realtimev1.ServerMessage{events}})
		_ = conn.WriteMessage(websocket.BinaryMessage, rest)
		_, _, _ = conn.ReadMessage() // until the client closes
	}))
	defer srv.Close()
	tests := []struct {
		name           string
		view           *realtimev1.View
		scan           bool
		wantViolations int
	}{
		{"viewed, decoding", &realtimev1.View{MaxX: 192000, MaxY: 108000}, false, 0},
		{"viewed, scanning", &realtimev1.View{MaxX: 192000, MaxY: 108000}, true, 0},
		{"no view, decoding", nil, false, 3}, // the gaps before 3 and 7, and a through_seq
		{"no view, scanning", nil, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			opts := Options{View: tt.view}
			var heads []uint64
			if tt.scan {
				opts.OnHeads = func(hs []EventHead) {
					for _, h := range hs {
						heads = append(heads, h.Seq)
					}
				}
			}
			c, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), "room", "token", 0, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := <-joined; !proto.Equal(got, tt.view) {
				t.Fatalf("Join carried view %v, want %v", got, tt.view)
			}
			if err := c.WaitSeq(ctx, 10); err != nil {
				t.Fatalf("WaitSeq(10): %v", err)
			}
			if got := c.Violations(); len(got) != tt.wantViolations {
				t.Fatalf("violations %q, want %d", got, tt.wantViolations)
			}
			if tt.scan && len(heads) != 2 {
				t.Fatalf("heads %v, want seqs 3 and 7", heads)
			}
		})
	}
}

// A client that declares a view after joining (a pan) allows the gaps from then on.
func TestSetViewAllowsGaps(t *testing.T) {
	view := &realtimev1.View{MinX: -5000, MinY: 0, MaxX: 187000, MaxY: 108000}
	got := make(chan *realtimev1.View, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		if _, _, err := conn.ReadMessage(); err != nil { // the Join
			return
		}
		send := func(msgs ...*realtimev1.ServerMessage) {
			b, _ := proto.Marshal(&realtimev1.ServerFrame{Messages: msgs})
			_ = conn.WriteMessage(websocket.BinaryMessage, b)
		}
		send(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Welcome{Welcome: &realtimev1.Welcome{SessionId: 1}}})
		_, b, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var in realtimev1.ClientFrame
		if err := proto.Unmarshal(b, &in); err != nil {
			return
		}
		m := in.GetMessages()[0]
		got <- m.GetSetView().GetView()
		send(&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Ack{Ack: &realtimev1.Ack{RequestId: m.GetRequestId(), Seq: 4}}},
			&realtimev1.ServerMessage{Body: &realtimev1.ServerMessage_Events{Events: &realtimev1.EventBatch{Events: []*roomv1.RoomEvent{{Seq: 6}}, ThroughSeq: 8}}})
		_, _, _ = conn.ReadMessage() // until the client closes
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), "room", "token", 0, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rep, err := c.SetView(ctx, view)
	if err != nil || rep.Ack.GetSeq() != 4 {
		t.Fatalf("SetView: %v, %v; want the Ack at seq 4", rep, err)
	}
	if v := <-got; !proto.Equal(v, view) {
		t.Fatalf("SetView carried %v, want %v", v, view)
	}
	if err := c.WaitSeq(ctx, 8); err != nil {
		t.Fatalf("WaitSeq(8): %v", err)
	}
	if v := c.Violations(); len(v) != 0 {
		t.Fatalf("violations %q after SetView, want none", v)
	}
}
