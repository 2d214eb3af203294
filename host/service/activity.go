package service

import (
	"context"
	"fmt"
	"time"

	"github.com/outpost-soc/outpost/host/store"
)

// ListLogs lists an integration's activity log, newest first.
func (s *Service) ListLogs(ctx context.Context, who *store.Token, customerID, id string, p store.Page) ([]store.LogEntry, int, error) {
	if _, err := s.integration(ctx, who, customerID, id); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListLogs(ctx, id, p)
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	return list, total, nil
}

// ListRuns lists an integration's query runs, newest first.
func (s *Service) ListRuns(ctx context.Context, who *store.Token, customerID, id string, p store.Page) ([]store.Run, int, error) {
	if _, err := s.integration(ctx, who, customerID, id); err != nil {
		return nil, 0, err
	}
	list, total, err := s.store.ListRuns(ctx, id, p)
	if err != nil {
		return nil, 0, pageError(err, p)
	}
	return list, total, nil
}

// The bucket widths of the query chart.
const (
	Bucket5m = 5 * time.Minute
	Bucket1h = time.Hour
	Bucket1d = 24 * time.Hour
)

// MaxBuckets caps one stats answer.
const MaxBuckets = 5000

// StatsRequest selects the query chart of an integration; zero times mean
// the last 24 hours, a zero Width an hour.
type StatsRequest struct {
	From, To time.Time
	Width    time.Duration
}

// Stats returns an integration's query chart over [From, To) in buckets of
// Width, From rounded down to a bucket edge, empty buckets included.
func (s *Service) Stats(ctx context.Context, who *store.Token, customerID, id string, req StatsRequest) ([]store.Bucket, error) {
	if _, err := s.integration(ctx, who, customerID, id); err != nil {
		return nil, err
	}
	w := req.Width
	switch w {
	case 0:
		w = Bucket1h
	case Bucket5m, Bucket1h, Bucket1d:
	default:
		return nil, InvalidField("bucket", "bucket must be one of 5m, 1h, 1d")
	}
	to := req.To.UTC()
	if to.IsZero() {
		to = s.now().UTC()
	}
	from := req.From.UTC()
	if from.IsZero() {
		from = to.Add(-24 * time.Hour)
	}
	from = from.Truncate(w)
	if !from.Before(to) {
		return nil, InvalidField("from", "from must be before to")
	}
	if n := to.Sub(from) / w; n > MaxBuckets {
		return nil, InvalidField("bucket", "from..to holds %d buckets of %s; at most %d are allowed", n, w, MaxBuckets)
	}
	b, err := s.store.Stats(ctx, id, from, to, w)
	if err != nil {
		return nil, fmt.Errorf("stats of %q: %w", id, err)
	}
	return b, nil
}
