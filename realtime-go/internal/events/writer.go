package events

import (
	"context"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Request is a command waiting in the write queue. Done is called exactly once, after the transaction
// that stored it committed (or failed).
type Request struct {
	Cmd  Command
	Done func(Result)
}

// CommitHook runs after every successful commit with the events created per room, before the
// requests' Done callbacks, so that fan-out starts as early as possible.
type CommitHook func(events map[uuid.UUID][]Event)

// WriterOptions configure a Writer.
type WriterOptions struct {
	// Shards is the number of concurrent transactions; a room always maps to the same shard, so its
	// commands keep their order.
	Shards int
	// QueueLen bounds the requests waiting per shard; beyond it Submit fails with ErrOverloaded.
	QueueLen int
	// MaxBatch bounds the commands stored in one transaction.
	MaxBatch int
}

// Writer batches commands from bounded queues into transactions.
type Writer struct {
	store  Store
	hook   CommitHook
	log    *slog.Logger
	opts   WriterOptions
	shards []chan *Request
	wg     sync.WaitGroup

	batchSize  prometheus.Histogram
	commitTime prometheus.Histogram
	queueDepth *prometheus.GaugeVec
	rejected   prometheus.Counter
	failures   prometheus.Counter
}

// NewWriter builds a writer; call Run to start it.
func NewWriter(store Store, hook CommitHook, log *slog.Logger, reg prometheus.Registerer, opts WriterOptions) *Writer {
	w := &Writer{store: store, hook: hook, log: log, opts: opts,
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "realtime_write_batch_commands", Help: "Commands per write transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "realtime_write_commit_seconds", Help: "Time of one write transaction.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)}),
		queueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "realtime_write_queue_depth", Help: "Requests waiting per write shard."}, []string{"shard"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "realtime_write_rejected_total", Help: "Requests refused because the write queue was full."}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "realtime_write_failures_total", Help: "Write transactions that failed."}),
	}
	reg.MustRegister(w.batchSize, w.commitTime, w.queueDepth, w.rejected, w.failures)
	w.shards = make([]chan *Request, opts.Shards)
	for i := range w.shards {
		w.shards[i] = make(chan *Request, opts.QueueLen)
	}
	return w
}

// Submit queues a request without blocking, or returns ErrOverloaded when its shard is full.
func (w *Writer) Submit(r *Request) error {
	h := fnv.New32a()
	_, _ = h.Write(r.Cmd.Room[:])
	select {
	case w.shards[int(h.Sum32())%len(w.shards)] <- r:
		return nil
	default:
		w.rejected.Inc()
		return ErrOverloaded
	}
}

// Run processes the queues until ctx ends, then stores what is still queued and returns.
func (w *Writer) Run(ctx context.Context) {
	for i, q := range w.shards {
		w.wg.Add(1)
		go w.loop(ctx, i, q)
	}
	w.wg.Wait()
}

func (w *Writer) loop(ctx context.Context, shard int, q chan *Request) {
	defer w.wg.Done()
	depth := w.queueDepth.WithLabelValues(strconv.Itoa(shard))
	batch := make([]*Request, 0, w.opts.MaxBatch)
	for {
		select {
		case r := <-q:
			batch = append(batch[:0], r)
		case <-ctx.Done():
			// Drain: everything already accepted is still committed (or answered with an error).
			for len(q) > 0 {
				batch = batch[:0]
				for len(q) > 0 && len(batch) < w.opts.MaxBatch {
					batch = append(batch, <-q)
				}
				w.commit(context.Background(), batch)
			}
			return
		}
		for len(batch) < w.opts.MaxBatch {
			select {
			case r := <-q:
				batch = append(batch, r)
				continue
			default:
			}
			break
		}
		depth.Set(float64(len(q)))
		w.commit(ctx, batch)
	}
}

func (w *Writer) commit(ctx context.Context, batch []*Request) {
	cmds := make([]Command, len(batch))
	for i, r := range batch {
		cmds[i] = r.Cmd
	}
	start := time.Now()
	// A batch already taken from the queue is committed even while shutting down.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	results, evs, err := Apply(cctx, w.store, cmds)
	cancel()
	w.commitTime.Observe(time.Since(start).Seconds())
	w.batchSize.Observe(float64(len(batch)))
	if err != nil {
		w.failures.Inc()
		w.log.Error("write transaction failed", "commands", len(batch), "err", err)
		for _, r := range batch {
			r.Done(Result{Err: Errorf(CodeInternal, "storing failed, retry: %v", err)})
		}
		return
	}
	if len(evs) > 0 {
		w.hook(evs)
	}
	for i, r := range batch {
		r.Done(results[i])
	}
}
