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
