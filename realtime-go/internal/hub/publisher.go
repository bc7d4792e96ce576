package hub

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/infidraw/infidraw/realtime-go/internal/events"
)

// PublisherOptions bound the bus publisher.
type PublisherOptions struct {
	// QueueBytes bounds the messages waiting to be published; beyond it new ones are dropped.
	QueueBytes int
	// Timeout bounds one round trip to the broker (all messages waiting at the time).
	Timeout time.Duration
	// Retry is how long after a failure the last committed events of the rooms whose messages were
	// lost are sent again, until the broker takes them.
	Retry time.Duration
}

// publisher sends this replica's bus messages from one goroutine, so that no caller waits on the broker:
// above all the writer's commit hook, which runs before the authors are acknowledged. Acks depend on
// the database only. Messages that do not fit the queue or that the broker refuses are dropped and
// counted; the other replicas fill the gaps in their streams from the database when a later event
// shows them the gap. So that a room whose last events were lost does not wait for a later event, the
// last lost committed event of each room is sent again once the broker works (a receiver that has it
// ignores it, one that lacks it, or what came before it, reads the database).
type publisher struct {
	broker  Broker
	replica string
	log     *slog.Logger
	opts    PublisherOptions
	dropped prometheus.Counter

	wake chan struct{}

	mu        sync.Mutex
	queue     []outgoing
	queued    int                        // bytes in queue
	lost      map[uuid.UUID]events.Event // per room, the last committed event not published
	lostBytes int
}

// outgoing is one message to publish; last is the last committed event it carries (Seq 0 if none).
type outgoing struct {
	Publication
	last events.Event
}

func newPublisher(broker Broker, replica string, log *slog.Logger, dropped prometheus.Counter, opts PublisherOptions) *publisher {
	return &publisher{broker: broker, replica: replica, log: log, opts: opts, dropped: dropped,
		wake: make(chan struct{}, 1), lost: map[uuid.UUID]events.Event{}}
}

// enqueue queues a message without blocking, or drops it when the queue is full.
func (p *publisher) enqueue(o outgoing) {
	p.mu.Lock()
	if p.queued+len(o.Data) > p.opts.QueueBytes {
		p.mu.Unlock()
		p.dropped.Inc()
		p.remember(o)
		return
	}
	p.queue = append(p.queue, o)
	p.queued += len(o.Data)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// remember keeps the last committed event of a dropped message for sending again. The lost events
// are bounded by the queue's size too; a room that does not fit waits for its next event.
func (p *publisher) remember(o outgoing) {
	if o.last.Seq == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old, ok := p.lost[o.Room]
	if ok && old.Seq >= o.last.Seq {
		return
	}
	if p.lostBytes-len(old.Encoded)+len(o.last.Encoded) > p.opts.QueueBytes {
		return
	}
	p.lost[o.Room] = o.last
	p.lostBytes += len(o.last.Encoded) - len(old.Encoded)
}

// run publishes until ctx ends, then publishes what is still queued once.
func (p *publisher) run(ctx context.Context) {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	failing := false
	for {
		select {
		case <-p.wake:
		case <-retry.C:
		case <-ctx.Done():
			p.publish(context.Background())
			return
		}
		ok := p.publish(ctx)
		if ctx.Err() != nil {
			continue // shutting down: the final round publishes what failed
		}
		switch {
		case !ok && !failing:
			p.log.Warn("bus publishing fails: dropping messages; other replicas catch up from the database")
		case ok && failing:
			p.log.Info("bus publishing works again")
		}
		failing = !ok
		if failing {
			retry.Reset(p.opts.Retry)
		}
	}
}

// publish sends everything queued, with the lost events of earlier failures, in one round trip.
func (p *publisher) publish(ctx context.Context) bool {
	p.mu.Lock()
	batch := p.queue
	p.queue, p.queued = nil, 0
	resent := make(map[uuid.UUID]uint64, len(p.lost))
	msgs := make([]Publication, 0, len(p.lost)+len(batch))
	for room, ev := range p.lost {
		resent[room] = ev.Seq
		msgs = append(msgs, Publication{Room: room, Data: encodeCommitted(p.replica, []events.Event{ev})})
	}
	p.mu.Unlock()
	for _, o := range batch {
		msgs = append(msgs, o.Publication)
	}
	if len(msgs) == 0 {
		return true
	}
	pctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	err := p.broker.Publish(pctx, msgs)
	cancel()
	if err != nil {
		p.log.Debug("bus publish failed", "messages", len(msgs), "err", err)
		p.dropped.Add(float64(len(batch)))
		for _, o := range batch {
			p.remember(o)
		}
		return false
	}
	p.mu.Lock()
	for room, seq := range resent {
		// A room whose later event was lost meanwhile keeps that one for the next round.
		if ev := p.lost[room]; ev.Seq == seq {
			delete(p.lost, room)
			p.lostBytes -= len(ev.Encoded)
		}
	}
	p.mu.Unlock()
	return true
}
