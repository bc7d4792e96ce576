package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// gateway is the run's account on gateway-ts: the clients get their room tokens from it through REST, as
// a browser does, with a bearer session (an API client's).
type gateway struct {
	base   string // http://host:port
	bearer string
}

// signup creates the run's account.
func signup(ctx context.Context, base string) (*gateway, error) {
	g := &gateway{base: base}
	var resp struct {
		Token string `json:"token"`
	}
	body := map[string]string{"email": "chaos-" + uuid.NewString()[:8] + "@example.org", "password": "chaos-" + uuid.NewString(),
		"displayName": "chaos", "session": "bearer"}
	if err := g.post(ctx, "/api/auth/signup", body, &resp); err != nil {
		return nil, err
	}
	g.bearer = resp.Token
	return g, nil
}

// createRoom creates a room the account owns.
func (g *gateway) createRoom(ctx context.Context) (string, error) {
	var room struct {
		ID string `json:"id"`
	}
	err := g.post(ctx, "/api/rooms", map[string]string{"name": "chaos"}, &room)
	return room.ID, err
}

// roomToken mints a room token for Join.
func (g *gateway) roomToken(ctx context.Context, room string) (string, error) {
	var tok struct {
		Token string `json:"token"`
	}
	err := g.post(ctx, "/api/rooms/"+room+"/token", nil, &tok)
	return tok.Token, err
}

// tilesHead reads the tiles of area through the gateway's REST API (level 0, JSON) as the web client does
// when it opens a board, and returns the room's head seq they include (X-Head-Seq).
func (g *gateway) tilesHead(ctx context.Context, room string) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	url := fmt.Sprintf("%s/api/rooms/%s/tiles?level=0&minX=%d&minY=%d&maxX=%d&maxY=%d&format=json", g.base, room, area.MinX, area.MinY, area.MaxX, area.MaxY)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+g.bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, &gatewayError{status: resp.StatusCode, path: "/api/rooms/:id/tiles"}
	}
	return strconv.ParseUint(resp.Header.Get("X-Head-Seq"), 10, 64)
}

func (g *gateway) post(ctx context.Context, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var rd bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&rd).Encode(body); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.base+path, &rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if g.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+g.bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return &gatewayError{status: resp.StatusCode, path: path}
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// gatewayError is a refused REST call.
type gatewayError struct {
	status int
	path   string
}

func (e *gatewayError) Error() string { return fmt.Sprintf("gateway %s: HTTP %d", e.path, e.status) }
