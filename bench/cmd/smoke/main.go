// Command smoke makes one real request through a running stack, as a person would: sign up on the
// gateway, create a room, take a room token, draw one stroke over the WebSocket (realtime-go/client, the
// client the realtime tests use), then read the room's tiles and a PNG export of them through the
// gateway's REST API. deploy/images-test.sh runs it against the started images.
//
//	go run ./bench/cmd/smoke -gateway http://127.0.0.1:8080 -ws ws://127.0.0.1:8081/ws -origin http://localhost:8080
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	realtimev1 "github.com/infidraw/infidraw/gen/go/infidraw/realtime/v1"
	"github.com/infidraw/infidraw/realtime-go/client"
	"github.com/infidraw/infidraw/shared-go/strokes"
)

func main() {
	gateway := flag.String("gateway", "http://127.0.0.1:8080", "gateway base URL")
	ws := flag.String("ws", "ws://127.0.0.1:8081/ws", "realtime WebSocket URL")
	origin := flag.String("origin", "http://localhost:8080", "Origin header (the chart's public origin)")
	timeout := flag.Duration("timeout", 30*time.Second, "for the whole check")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *gateway, *ws, *origin); err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, gateway, ws, origin string) error {
	api := &rest{base: gateway, origin: origin}
	var session struct {
		Token string `json:"token"`
	}
	email := "smoke-" + uuid.NewString()[:8] + "@example.org"
	if err := api.do(ctx, http.MethodPost, "/api/auth/signup", map[string]string{
		"email": email, "password": "smoke-" + uuid.NewString(), "displayName": "smoke", "session": "bearer",
	}, &session); err != nil {
		return err
	}
	api.bearer = session.Token
	var room struct {
		ID string `json:"id"`
	}
	if err := api.do(ctx, http.MethodPost, "/api/rooms", map[string]string{"name": "smoke"}, &room); err != nil {
		return err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := api.do(ctx, http.MethodPost, "/api/rooms/"+room.ID+"/token", nil, &tok); err != nil {
		return err
	}
	fmt.Printf("smoke: signed up %s, room %s\n", email, room.ID)

	c, err := client.Dial(ctx, ws, room.ID, tok.Token, 0, client.Options{Origin: origin})
	if err != nil {
		return fmt.Errorf("websocket %s: %w", ws, err)
	}
	defer c.Close()
	stroke := client.PenStroke([]strokes.Point{{X: 2000, Y: 2000}, {X: 8000, Y: 6000}, {X: 12000, Y: 2000}}, 400, 0xff0000ff)
	rep, err := c.Request(ctx, &realtimev1.ClientMessage{Body: &realtimev1.ClientMessage_CommitStroke{CommitStroke: &realtimev1.CommitStroke{Stroke: stroke}}})
	if err != nil {
		return fmt.Errorf("commit over the websocket: %w", err)
	}
	if rep.Ack == nil {
		return fmt.Errorf("commit over the websocket: %v", rep.Error)
	}
	seq := rep.Ack.GetSeq()
	fmt.Printf("smoke: stroke committed over the websocket, seq %d\n", seq)

	// The tile read goes gateway -> tile-delta-go (gRPC, mutual TLS) -> PostgreSQL.
	req, err := api.request(ctx, http.MethodGet, "/api/rooms/"+room.ID+"/tiles?level=0&minX=0&minY=0&maxX=25600&maxY=25600&format=json", nil)
	if err != nil {
		return err
	}
	body, resp, err := api.send(req)
	if err != nil {
		return err
	}
	head, _ := strconv.ParseUint(resp.Header.Get("X-Head-Seq"), 10, 64)
	id := base64.StdEncoding.EncodeToString(stroke.Id)
	if head < seq || !bytes.Contains(body, []byte(id)) {
		return fmt.Errorf("tiles: X-Head-Seq %d (want >= %d), stroke %s in the answer: %v; answer: %.300s", head, seq, id, bytes.Contains(body, []byte(id)), body)
	}
	fmt.Printf("smoke: tile read through the gateway holds the stroke (head seq %d)\n", head)

	// The export renders: gateway -> tile-delta-go -> snapshot-rs.
	req, err = api.request(ctx, http.MethodGet, "/api/rooms/"+room.ID+"/export.png?minX=0&minY=0&maxX=25600&maxY=25600&width=256", nil)
	if err != nil {
		return err
	}
	png, resp, err := api.send(req)
	if err != nil {
		return err
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "image/png") || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		return fmt.Errorf("export.png: %s, %d bytes", ct, len(png))
	}
	fmt.Printf("smoke: export.png rendered (%d bytes)\n", len(png))
	return nil
}

// rest calls the gateway's REST API with a bearer session, as an API client does.
type rest struct {
	base, origin, bearer string
}

func (r *rest) request(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+r.bearer)
	}
	return req, nil
}

func (r *rest) send(req *http.Request) ([]byte, *http.Response, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, nil, fmt.Errorf("%s %s: HTTP %d: %.300s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return b, resp, nil
}

func (r *rest) do(ctx context.Context, method, path string, body, out any) error {
	req, err := r.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	b, _, err := r.send(req)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}
