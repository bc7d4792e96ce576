// Package grpcapi is tile-delta-go's gRPC transport (TileDeltaService): it maps requests to the tile
// reader and the renderer and errors to status codes.
package grpcapi

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	strokev1 "github.com/infidraw/infidraw/gen/go/infidraw/stroke/v1"
	tilev1 "github.com/infidraw/infidraw/gen/go/infidraw/tile/v1"
	"github.com/infidraw/infidraw/shared-go/strokes"
	"github.com/infidraw/infidraw/tile-delta-go/internal/export"
	"github.com/infidraw/infidraw/tile-delta-go/internal/hittest"
	"github.com/infidraw/infidraw/tile-delta-go/internal/objstore"
	"github.com/infidraw/infidraw/tile-delta-go/internal/tiles"
	"github.com/infidraw/infidraw/tile-delta-go/internal/timelapse"
)

// TileReader reads tile contents (tiles.Reader).
type TileReader interface {
	// Read reads each tile's newest usable snapshot and the visible strokes after it (or after the
	// client's seq), as of now or of a past point, and the room's head.
	Read(ctx context.Context, room uuid.UUID, ts []strokes.Tile, o tiles.Options) ([]tiles.Content, uint64, error)
}

// HitReader answers hit tests (tiles.Reader).
type HitReader interface {
	Hit(ctx context.Context, room uuid.UUID, d hittest.Disk, b tiles.HitBound) (tiles.Hit, error)
}

// RegionReader answers what restoring a region to a past point changes (tiles.Reader).
type RegionReader interface {
	RegionChanges(ctx context.Context, room uuid.UUID, r strokes.Region, at uint64) (tiles.RegionChanges, error)
}

// AuthorsReader lists who drew in a view around a point (tiles.Reader).
type AuthorsReader interface {
	ViewAuthors(ctx context.Context, room uuid.UUID, level int, v strokes.Region, at uint64, span int) (tiles.ViewAuthors, error)
}

// TimelapseMaker makes timelapses (timelapse.Service).
type TimelapseMaker interface {
	Timelapse(ctx context.Context, req timelapse.Request, send func(timelapse.Part) error) (timelapse.Result, error)
}

// Renderer turns strokes into a PNG tile and names the renderer that drew it.
type Renderer interface {
	RenderTile(ctx context.Context, t strokes.Tile, base []byte, ss []*strokev1.Stroke) (png []byte, renderer string, err error)
}

// SnapshotFinder looks a snapshot up by the name GetTiles gave it (tiles.Reader).
type SnapshotFinder interface {
	// Snapshot returns tiles.ErrNoSnapshot when the tile has no snapshot covering exactly coversSeq.
	Snapshot(ctx context.Context, room uuid.UUID, t strokes.Tile, coversSeq uint64) (tiles.Snapshot, error)
}

// Objects reads snapshot PNGs; a store that also implements objstore.Presigner can hand out URLs.
type Objects interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// Purger deletes a room's snapshots (rows and objects) and returns how many rows it deleted.
type Purger interface {
	PurgeRoom(ctx context.Context, room uuid.UUID) (int64, error)
}

// Server implements TileDeltaService.
type Server struct {
	tilev1.UnimplementedTileDeltaServiceServer
	Tiles    TileReader
	Renderer Renderer
	Objects  Objects
	Exporter *export.Exporter
	// Snapshots purges a room's snapshots (PurgeRoom).
	Snapshots Purger
	Log       *slog.Logger
	// Bound caps each tile's delta in GetTiles (TILE_DELTA_MAX_DELTA_STROKES, TILE_DELTA_MAX_DELTA_BYTES):
	// a tile over it is answered pending, without strokes, and its snapshot is queued.
	Bound tiles.Bound
	// Hits answers HitStrokes, bounded by HitBound (TILE_DELTA_HIT_SCAN_PER_TILE index entries per
	// tile, tiles.MaxHitStrokes strokes).
	Hits     HitReader
	HitBound tiles.HitBound
	// Regions answers RegionChanges.
	Regions RegionReader
	// Authors answers ViewAuthors.
	Authors AuthorsReader
	// Timelapses answers Timelapse.
	Timelapses TimelapseMaker
	// SnapshotRows finds the snapshots GetSnapshot serves; with SnapshotURLTTL > 0 (TILE_DELTA_SNAPSHOT_URL_TTL)
	// and a store that can presign, callers that accept a URL get one valid that long instead of the bytes.
	SnapshotRows   SnapshotFinder
	SnapshotURLTTL time.Duration
}

// parseCoord checks a request's tile: present, and a level of the pyramid.
func parseCoord(c *tilev1.TileCoord) (strokes.Tile, error) {
	if c == nil || c.GetLevel() > strokes.MaxLevel {
		return strokes.Tile{}, status.Errorf(codes.InvalidArgument, "coord with a level in 0..%d is required", strokes.MaxLevel)
	}
	return strokes.Tile{Level: int(c.GetLevel()), X: c.GetX(), Y: c.GetY()}, nil
}

func parseRoom(id string) (uuid.UUID, error) {
	r, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, status.Errorf(codes.InvalidArgument, "room_id %q is not a UUID", id)
	}
	return r, nil
}

// GetTiles implements TileDeltaService: per tile its newest usable snapshot and the visible strokes
// added after it (after the sequence number the client already holds, for an explicit tile list); a tile
// with more than the bound since then is pending: no strokes, covers_seq what its snapshot (or the
// client's copy) covers. With at_seq, every tile is read as it was right after that event (tiles.Options.At)
// and covers_seq is that point. An explicit list is then built on only when every listed copy covers no
// event after the point: a copy of a later state may show strokes drawn after it, so otherwise every
// tile is read afresh and marked to replace the copy (tiles.Held).
func (s *Server) GetTiles(ctx context.Context, req *tilev1.GetTilesRequest) (*tilev1.GetTilesResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	level := int(req.GetLevel())
	var want []strokes.Tile
	var client *tiles.Held
	switch sel := req.GetSelection().(type) {
	case *tilev1.GetTilesRequest_Viewport:
		v := sel.Viewport
		want, err = tiles.Viewport(level, v.GetMinX(), v.GetMinY(), v.GetMaxX(), v.GetMaxY())
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	case *tilev1.GetTilesRequest_Known:
		if n := len(sel.Known.GetTiles()); n == 0 || n > tiles.MaxTilesPerRequest {
			return nil, status.Errorf(codes.InvalidArgument, "list 1..%d tiles, got %d", tiles.MaxTilesPerRequest, n)
		}
		client = &tiles.Held{Min: ^uint64(0)}
		for _, k := range sel.Known.GetTiles() {
			c := k.GetCoord()
			if int(c.GetLevel()) != level {
				return nil, status.Errorf(codes.InvalidArgument, "tile of level %d in a request for level %d", c.GetLevel(), level)
			}
			want = append(want, strokes.Tile{Level: level, X: c.GetX(), Y: c.GetY()})
			client.Min, client.Max = min(client.Min, k.GetCoversSeq()), max(client.Max, k.GetCoversSeq())
		}
	default:
		return nil, status.Error(codes.InvalidArgument, "select tiles by viewport or by a known tile list")
	}
	if level > strokes.MaxLevel {
		return nil, status.Errorf(codes.InvalidArgument, "level %d is outside 0..%d", level, strokes.MaxLevel)
	}
	start := time.Now()
	contents, head, err := s.Tiles.Read(ctx, room, want, tiles.Options{Client: client, Bound: s.Bound, At: req.AtSeq})
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "read tiles: %v", err)
	}
	point := tiles.Point(req.AtSeq, head)
	resp := &tilev1.GetTilesResponse{HeadSeq: head, AtSeq: point}
	pending := 0
	for _, c := range contents {
		if len(c.Strokes) == 0 && c.Snapshot == nil && !c.Reset && !c.Pending {
			continue
		}
		d := &tilev1.TileDelta{Coord: &tilev1.TileCoord{Level: uint32(level), X: c.Tile.X, Y: c.Tile.Y}, Strokes: c.Strokes, CoversSeq: point}
		if c.Pending {
			d.Pending, d.CoversSeq = true, c.After
			pending++
		}
		if c.Snapshot != nil {
			d.Snapshot = &tilev1.Snapshot{Key: c.Snapshot.Key, CoversSeq: c.Snapshot.CoversSeq, SizeBytes: c.Snapshot.SizeBytes}
		}
		resp.Tiles = append(resp.Tiles, d)
	}
	s.Log.Info("tiles read", "room", room, "level", level, "at", point, "tiles", len(want), "with_content", len(resp.Tiles), "pending", pending, "ms", float64(time.Since(start).Microseconds())/1000)
	return resp, nil
}

// RenderTile implements TileDeltaService: the tile's visible strokes rendered by snapshot-rs, or by
// the gg fallback while snapshot-rs is unreachable.
func (s *Server) RenderTile(ctx context.Context, req *tilev1.RenderTileRequest) (*tilev1.RenderTileResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	t, err := parseCoord(req.GetCoord())
	if err != nil {
		return nil, err
	}
	contents, head, err := s.Tiles.Read(ctx, room, []strokes.Tile{t}, tiles.Options{})
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "read tile: %v", err)
	}
	var base []byte
	if snap := contents[0].Snapshot; snap != nil {
		if base, err = s.Objects.Get(ctx, snap.Key); err != nil {
			return nil, status.Errorf(codes.Unavailable, "read snapshot %s: %v", snap.Key, err)
		}
	}
	png, by, err := s.Renderer.RenderTile(ctx, t, base, contents[0].Strokes)
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "render: %v", err)
	}
	return &tilev1.RenderTileResponse{Png: png, CoversSeq: head, Renderer: by}, nil
}

// exportRetryAfter is the wait, in seconds, that a refused export is told: large exports take seconds.
const exportRetryAfter = "2"

// ExportRegion implements TileDeltaService: a region of the room as one PNG of the requested size,
// composed from the tiles of the level closest to the output scale, as it is now or as it was right
// after event at_seq.
func (s *Server) ExportRegion(ctx context.Context, req *tilev1.ExportRegionRequest) (*tilev1.ExportRegionResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	v := req.GetViewport()
	if v == nil {
		return nil, status.Error(codes.InvalidArgument, "viewport is required")
	}
	start := time.Now()
	res, err := s.Exporter.Export(ctx, export.Request{Room: room, MinX: v.GetMinX(), MinY: v.GetMinY(), MaxX: v.GetMaxX(), MaxY: v.GetMaxY(),
		Width: int(min(req.GetWidthPx(), 1<<20)), Height: int(min(req.GetHeightPx(), 1<<20)), At: req.AtSeq})
	switch {
	case errors.Is(err, export.ErrInvalid):
		return nil, status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, export.ErrBusy):
		// The wait travels as a trailer (docs/contracts.md); the gateway answers 429 with it.
		_ = grpc.SetTrailer(ctx, metadata.Pairs("retry-after", exportRetryAfter))
		return nil, status.Error(codes.ResourceExhausted, err.Error())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "export: %v", err)
	}
	s.Log.Info("region exported", "room", room, "at", res.CoversSeq, "level", res.Level, "tiles", res.Tiles, "width", req.GetWidthPx(), "height", req.GetHeightPx(),
		"bytes", len(res.PNG), "ms", float64(time.Since(start).Microseconds())/1000)
	return &tilev1.ExportRegionResponse{Png: res.PNG, CoversSeq: res.CoversSeq, Level: uint32(res.Level), Tiles: uint32(res.Tiles)}, nil
}

// PurgeRoom implements TileDeltaService: deletes every tile snapshot of the room, rows and objects.
// Idempotent: a room without snapshots (or purged already) answers snapshots_deleted 0.
func (s *Server) PurgeRoom(ctx context.Context, req *tilev1.PurgeRoomRequest) (*tilev1.PurgeRoomResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	n, err := s.Snapshots.PurgeRoom(ctx, room)
	switch {
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "purge room: %v", err)
	}
	s.Log.Info("room snapshots purged", "room", room, "snapshots", n)
	return &tilev1.PurgeRoomResponse{SnapshotsDeleted: uint64(n)}, nil
}

// HitStrokes implements TileDeltaService: the visible strokes whose ink a disk touches, topmost first,
// from the tile index of the (at most 2 x 2) tiles of the finest level at least as wide as the disk.
func (s *Server) HitStrokes(ctx context.Context, req *tilev1.HitStrokesRequest) (*tilev1.HitStrokesResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	d := hittest.Disk{X: req.GetX(), Y: req.GetY(), R: int64(req.GetRadius())}
	if err := tiles.ValidateDisk(d); err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	start := time.Now()
	hit, err := s.Hits.Hit(ctx, room, d, s.HitBound)
	switch {
	case errors.Is(err, tiles.ErrBadHit):
		return nil, status.Error(codes.InvalidArgument, err.Error())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "hit test: %v", err)
	}
	for _, sk := range hit.Skipped {
		s.Log.Warn("stored stroke left out of a hit test: it exceeds the stroke limits", "room", room, "seq", sk.Seq, "err", sk.Err)
	}
	s.Log.Info("strokes hit", "room", room, "level", hit.Level, "tiles", hit.Tiles, "scanned", hit.Scanned, "hits", len(hit.Strokes),
		"partial", hit.Partial, "ms", float64(time.Since(start).Microseconds())/1000)
	return &tilev1.HitStrokesResponse{Strokes: hit.Strokes, HeadSeq: hit.Head, Partial: hit.Partial, Level: uint32(hit.Level)}, nil
}

// GetSnapshot implements TileDeltaService: one snapshot PNG by its tile and covers_seq, as bytes or, when
// the caller accepts a URL and the store can presign, as a URL valid for SnapshotURLTTL.
func (s *Server) GetSnapshot(ctx context.Context, req *tilev1.GetSnapshotRequest) (*tilev1.GetSnapshotResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	t, err := parseCoord(req.GetCoord())
	if err != nil {
		return nil, err
	}
	// covers_seq is a bigint in tile_snapshots.
	if seq := req.GetCoversSeq(); seq == 0 || seq > math.MaxInt64 {
		return nil, status.Errorf(codes.InvalidArgument, "covers_seq must be in 1..%d, got %d", int64(math.MaxInt64), seq)
	}
	snap, err := s.SnapshotRows.Snapshot(ctx, room, t, req.GetCoversSeq())
	switch {
	case errors.Is(err, tiles.ErrNoSnapshot):
		return nil, status.Errorf(codes.NotFound, "tile %d/%d/%d has no snapshot covering seq %d", t.Level, t.X, t.Y, req.GetCoversSeq())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "find snapshot: %v", err)
	}
	// Collection deletes rows before objects, so a row found here names an object that exists (or is being
	// collected right now: the URL then answers 404, as the bytes below would).
	if p, ok := s.Objects.(objstore.Presigner); ok && req.GetAcceptUrl() && s.SnapshotURLTTL > 0 {
		url, err := p.Presign(ctx, snap.Key, s.SnapshotURLTTL)
		if err != nil {
			return nil, status.Errorf(codes.Unavailable, "presign snapshot %s: %v", snap.Key, err)
		}
		return &tilev1.GetSnapshotResponse{Content: &tilev1.GetSnapshotResponse_Url{Url: url}, SizeBytes: snap.SizeBytes,
			UrlTtlSeconds: uint32(s.SnapshotURLTTL / time.Second)}, nil
	}
	png, err := s.Objects.Get(ctx, snap.Key)
	switch {
	case errors.Is(err, objstore.ErrNotFound):
		return nil, status.Errorf(codes.NotFound, "snapshot of tile %d/%d/%d covering seq %d was collected", t.Level, t.X, t.Y, req.GetCoversSeq())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "read snapshot %s: %v", snap.Key, err)
	}
	return &tilev1.GetSnapshotResponse{Content: &tilev1.GetSnapshotResponse_Png{Png: png}, SizeBytes: uint32(len(png))}, nil
}

// RegionChanges implements TileDeltaService: the lists of the revert that restores a region to the room as
// it was right after event at_seq, from the tile index after the point of the tiles the region meets at one
// level.
func (s *Server) RegionChanges(ctx context.Context, req *tilev1.RegionChangesRequest) (*tilev1.RegionChangesResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	v := req.GetRegion()
	if v == nil {
		return nil, status.Error(codes.InvalidArgument, "region is required")
	}
	start := time.Now()
	ch, err := s.Regions.RegionChanges(ctx, room, strokes.Region{MinX: v.GetMinX(), MinY: v.GetMinY(), MaxX: v.GetMaxX(), MaxY: v.GetMaxY()}, req.GetAtSeq())
	switch {
	case errors.Is(err, tiles.ErrBadRegion):
		return nil, status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, tiles.ErrRegionTooLarge):
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "region changes: %v", err)
	}
	for _, sk := range ch.Skipped {
		s.Log.Warn("stored stroke left out of a region's changes: it exceeds the stroke limits", "room", room, "seq", sk.Seq, "err", sk.Err)
	}
	s.Log.Info("region changes read", "room", room, "at", ch.At, "head", ch.Head, "level", ch.Level, "tiles", ch.Tiles, "scanned", ch.Scanned,
		"erase", len(ch.Erase), "restore", len(ch.Restore), "ms", float64(time.Since(start).Microseconds())/1000)
	return &tilev1.RegionChangesResponse{EraseStrokeIds: strokes.IDBytes(ch.Erase), RestoreStrokeIds: strokes.IDBytes(ch.Restore), HeadSeq: ch.Head, AtSeq: ch.At,
		Level: uint32(ch.Level)}, nil
}

// ViewAuthors implements TileDeltaService: who drew in a viewport's tiles around a point, from the tile index of
// those tiles in the window, bounded per tile.
func (s *Server) ViewAuthors(ctx context.Context, req *tilev1.ViewAuthorsRequest) (*tilev1.ViewAuthorsResponse, error) {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return nil, err
	}
	v := req.GetViewport()
	if v == nil {
		return nil, status.Error(codes.InvalidArgument, "viewport is required")
	}
	start := time.Now()
	got, err := s.Authors.ViewAuthors(ctx, room, int(req.GetLevel()), strokes.Region{MinX: v.GetMinX(), MinY: v.GetMinY(), MaxX: v.GetMaxX(), MaxY: v.GetMaxY()},
		req.GetAtSeq(), int(req.GetSpan()))
	switch {
	case errors.Is(err, tiles.ErrBadAuthors):
		return nil, status.Error(codes.InvalidArgument, err.Error())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Unavailable, "view authors: %v", err)
	}
	out := &tilev1.ViewAuthorsResponse{Partial: got.Partial}
	for _, a := range got.Authors {
		out.Authors = append(out.Authors, &tilev1.ViewAuthor{AuthorId: a.ID[:], Events: a.Events, LastSeq: a.LastSeq})
	}
	s.Log.Info("view authors read", "room", room, "at", req.GetAtSeq(), "span", req.GetSpan(), "tiles", got.Tiles, "authors", len(got.Authors),
		"partial", got.Partial, "ms", float64(time.Since(start).Microseconds())/1000)
	return out, nil
}

// Timelapse implements TileDeltaService: a region played between two points as one video, its frames
// planned from the tile index of the region's tiles and drawn and encoded by snapshot-rs, whose stream
// (header, progress, video bytes) is relayed part by part. A caller that goes away cancels the render.
func (s *Server) Timelapse(req *tilev1.TimelapseRequest, stream grpc.ServerStreamingServer[tilev1.TimelapseResponse]) error {
	room, err := parseRoom(req.GetRoomId())
	if err != nil {
		return err
	}
	v := req.GetRegion()
	if v == nil {
		return status.Error(codes.InvalidArgument, "region is required")
	}
	ctx := stream.Context()
	res, err := s.Timelapses.Timelapse(ctx, timelapse.Request{Room: room, Region: strokes.Region{MinX: v.GetMinX(), MinY: v.GetMinY(), MaxX: v.GetMaxX(), MaxY: v.GetMaxY()},
		Width: int(req.GetWidthPx()), Height: int(req.GetHeightPx()), From: req.GetFromSeq(), To: req.ToSeq, FrameRate: int(req.GetFrameRate()),
		MaxFrames: int(req.GetMaxFrames())}, func(p timelapse.Part) error { return stream.Send(timelapsePart(p)) })
	switch {
	case errors.Is(err, timelapse.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, timelapse.ErrTooLarge), errors.Is(err, timelapse.ErrRenderRefused):
		return status.Error(codes.FailedPrecondition, err.Error())
	case ctx.Err() != nil:
		return status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return status.Errorf(codes.Unavailable, "timelapse: %v", err)
	}
	for _, sk := range res.History.Skipped {
		s.Log.Warn("stored stroke left out of a timelapse: it exceeds the stroke limits", "room", room, "seq", sk.Seq, "err", sk.Err)
	}
	p := res.Plan
	s.Log.Info("timelapse made", "room", room, "from", p.From, "to", p.To, "level", res.History.Level, "tiles", res.History.Tiles,
		"scanned", res.History.Scanned, "events", p.Events, "frames", len(p.Frames), "strokes", len(p.Strokes), "points", p.Points,
		"bytes", res.VideoBytes, "read_ms", float64(res.Read.Microseconds())/1000, "render_ms", float64(res.Render.Microseconds())/1000)
	return nil
}

// timelapsePart is a part of a timelapse on the wire.
func timelapsePart(p timelapse.Part) *tilev1.TimelapseResponse {
	switch {
	case p.Header != nil:
		h := p.Header
		return &tilev1.TimelapseResponse{Part: &tilev1.TimelapseResponse_Header{Header: &tilev1.TimelapseHeader{ContentType: h.ContentType,
			Frames: uint32(h.Frames), FrameRate: uint32(h.FrameRate), WidthPx: uint32(h.Width), HeightPx: uint32(h.Height),
			FromSeq: h.From, ToSeq: h.To, Strokes: uint32(h.Strokes)}}}
	case p.Progress != nil:
		return &tilev1.TimelapseResponse{Part: &tilev1.TimelapseResponse_Progress{Progress: &tilev1.TimelapseProgress{
			FramesDone: uint32(p.Progress.Done), Frames: uint32(p.Progress.Frames)}}}
	default:
		return &tilev1.TimelapseResponse{Part: &tilev1.TimelapseResponse_Video{Video: p.Video}}
	}
}
