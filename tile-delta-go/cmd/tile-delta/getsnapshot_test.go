package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
)

// GetSnapshot serves a snapshot by the name GetTiles gives it (tile and covers_seq), from the object its
// tile_snapshots row names: the bytes, or a presigned URL when the caller accepts one, the store is S3 and
// TILE_DELTA_SNAPSHOT_URL_TTL is set. The rows and objects are written here as tile-delta-go's snapshotter
// writes them, under a key of no particular layout: GetSnapshot follows the row.
func TestGetSnapshot(t *testing.T) {
	s3 := os.Getenv("S3_ENDPOINT")
	if s3 == "" {
		t.Fatal("S3_ENDPOINT is not set: make test starts SeaweedFS and sets it")
	}
	s3Store := fmt.Sprintf("s3://getsnapshot-%d?endpoint=%s", time.Now().UnixNano(), s3)
	backends := []struct {
		name, store string
		env         []string
		wantURL     bool // an accept_url request gets a URL
	}{
		{name: "file store", env: []string{"TILE_DELTA_SNAPSHOT_URL_TTL=1m"}},
		{name: "s3 without a URL TTL", store: s3Store},
		{name: "s3 with a URL TTL", store: s3Store, env: []string{"TILE_DELTA_SNAPSHOT_URL_TTL=90s"}, wantURL: true},
	}
	pool := testPool(t)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			env := b.env
			if b.store != "" {
				env = append(env, "OBJECT_STORE_URL="+b.store, "S3_ACCESS_KEY="+os.Getenv("S3_ACCESS_KEY"), "S3_SECRET_KEY="+os.Getenv("S3_SECRET_KEY"))
			}
			s := startStack(t, env...)
			storeURL := b.store
			if storeURL == "" {
				storeURL = "file://" + s.objects
			}
			store, err := objstore.Open(ctx, storeURL, objstore.Credentials{AccessKey: os.Getenv("S3_ACCESS_KEY"), SecretKey: os.Getenv("S3_SECRET_KEY")})
			if err != nil {
				t.Fatal(err)
			}
			room := uuid.New()
			png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte(room.String()), 40)...)
			key := "getsnapshot/" + room.String() + "/a.png"
			if err := store.Put(ctx, key, png, "image/png"); err != nil {
				t.Fatal(err)
			}
			// covers_seq 7 of tile (2, 3, -4): a row and its object; covers_seq 9: a row whose object is gone.
			for _, row := range []struct {
				seq int64
				key string
			}{{7, key}, {9, "getsnapshot/" + room.String() + "/collected.png"}} {
				if _, err := pool.Exec(ctx, `insert into tile_snapshots (room_id, level, tx, ty, covers_seq, object_key, size_bytes) values ($1, 2, 3, -4, $2, $3, $4)`,
					room, row.seq, row.key, len(png)); err != nil {
					t.Fatal(err)
				}
			}
			coord := &tilev1.TileCoord{Level: 2, X: 3, Y: -4}
			tests := []struct {
				name string
				req  *tilev1.GetSnapshotRequest
				code codes.Code
				url  bool
			}{
				{"bytes", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: coord, CoversSeq: 7}, codes.OK, false},
				{"accepting a URL", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: coord, CoversSeq: 7, AcceptUrl: true}, codes.OK, b.wantURL},
				{"another covers_seq", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: coord, CoversSeq: 8, AcceptUrl: true}, codes.NotFound, false},
				{"another tile", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: &tilev1.TileCoord{Level: 2, X: 3, Y: 4}, CoversSeq: 7}, codes.NotFound, false},
				{"another room", &tilev1.GetSnapshotRequest{RoomId: uuid.NewString(), Coord: coord, CoversSeq: 7}, codes.NotFound, false},
				{"object collected", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: coord, CoversSeq: 9}, codes.NotFound, false},
				{"room not a uuid", &tilev1.GetSnapshotRequest{RoomId: "r1", Coord: coord, CoversSeq: 7}, codes.InvalidArgument, false},
				{"no coord", &tilev1.GetSnapshotRequest{RoomId: room.String(), CoversSeq: 7}, codes.InvalidArgument, false},
				{"level beyond the pyramid", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: &tilev1.TileCoord{Level: 17}, CoversSeq: 7}, codes.InvalidArgument, false},
				{"covers_seq 0", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: coord}, codes.InvalidArgument, false},
				{"covers_seq beyond bigint", &tilev1.GetSnapshotRequest{RoomId: room.String(), Coord: coord, CoversSeq: 1 << 63}, codes.InvalidArgument, false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got, err := s.tiles.GetSnapshot(ctx, tt.req)
					if status.Code(err) != tt.code {
						t.Fatalf("err = %v, want %s", err, tt.code)
					}
					if err != nil {
						if status.Convert(err).Message() == "" {
							t.Fatal("error without a message")
						}
						return
					}
					if got.GetSizeBytes() != uint32(len(png)) {
						t.Errorf("size_bytes %d, want %d", got.GetSizeBytes(), len(png))
					}
					if !tt.url {
						if !bytes.Equal(got.GetPng(), png) || got.GetUrl() != "" || got.GetUrlTtlSeconds() != 0 {
							t.Fatalf("got %d bytes, url %q, ttl %d; want the PNG's %d bytes", len(got.GetPng()), got.GetUrl(), got.GetUrlTtlSeconds(), len(png))
						}
						return
					}
					if got.GetUrlTtlSeconds() != 90 || got.GetPng() != nil {
						t.Fatalf("url_ttl_seconds %d with %d bytes, want 90 and none", got.GetUrlTtlSeconds(), len(got.GetPng()))
					}
					// The URL needs no credentials.
					resp, err := http.Get(got.GetUrl())
					if err != nil {
						t.Fatal(err)
					}
					defer resp.Body.Close()
					body, _ := io.ReadAll(resp.Body)
					if resp.StatusCode != http.StatusOK || !bytes.Equal(body, png) {
						t.Fatalf("GET %s: %d with %d bytes, want 200 with the PNG's %d", got.GetUrl(), resp.StatusCode, len(body), len(png))
					}
				})
			}
		})
	}
}
