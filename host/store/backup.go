package store

import (
	"context"
	"io"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent snapshot of the database file to w, from one
// read transaction: writes go on meanwhile and are not in it. The snapshot
// is a database file that opens with the same key. It stops early when ctx
// ends.
func (d *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		n, err = tx.WriteTo(ctxWriter{ctx: ctx, w: w})
		return err
	})
	return n, err
}

// ctxWriter fails writes once ctx is done, so that a client that went away
// ends a long backup.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
