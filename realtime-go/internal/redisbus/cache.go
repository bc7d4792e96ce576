package redisbus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// PageCache caches the first page of a room's events (the since=0 read of a board that opens) for a
// short time. An entry carries the room's head at the time of its read and is served only to a read
// that finds the same head in the database: the events up to a head never change (until the room is
// purged, see Forget), so no write has to invalidate anything and the commit path never touches Redis.
// One entry per room and page size: a newer head replaces the older entry.
type PageCache struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

// NewPageCache returns a cache whose entries live at most ttl.
func NewPageCache(rdb redis.UniversalClient, ttl time.Duration) *PageCache {
	return &PageCache{rdb: rdb, ttl: ttl}
}

func pageKey(room uuid.UUID, page events.Page) string {
	return fmt.Sprintf("infidraw:page0:{%s}:%d:%d", room, page.Limit, page.Bytes)
}

// Get returns the cached first page of the room read at head, or nil.
func (c *PageCache) Get(ctx context.Context, room uuid.UUID, page events.Page, head uint64) ([]byte, error) {
	v, err := c.rdb.Get(ctx, pageKey(room, page)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(v) < 8 || binary.BigEndian.Uint64(v) != head {
		return nil, nil
	}
	return v[8:], nil
}

// Set stores the room's first page read at head.
func (c *PageCache) Set(ctx context.Context, room uuid.UUID, page events.Page, head uint64, data []byte) error {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(data)), head)
	return c.rdb.Set(ctx, pageKey(room, page), append(v, data...), c.ttl).Err()
}

// Forget drops the room's entry: its events were purged while its head stays.
func (c *PageCache) Forget(ctx context.Context, room uuid.UUID, page events.Page) error {
	return c.rdb.Del(ctx, pageKey(room, page)).Err()
}
