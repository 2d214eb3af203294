package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Options configure Open.
type Options struct {
	// Key is the 32-byte AES-256 key that seals integration secrets (see
	// LoadKey).
	Key []byte
	// Logger receives migrations and warnings; nil logs nothing.
	Logger hclog.Logger
	// NoSync skips fsync on commit: for tests and benchmarks only, a crash
	// can then lose or corrupt the file.
	NoSync bool
}

// DB is the bbolt implementation of Store.
type DB struct {
	bolt *bolt.DB
	seal *sealer
	log  hclog.Logger
	ids  *idSource
	// now is the clock; tests replace it.
	now func() time.Time
	// commitHook, when set (tests only), runs inside Commit's
	// transaction after each event written; an error aborts it.
	commitHook func(written int) error
}

var _ Store = (*DB)(nil)

// Open opens (or creates, mode 0600) the database file at path, brings its
// schema up to date and checks that opts.Key is the key its secrets were
// sealed with. A file written by a newer schema is refused with
// ErrSchemaTooNew, a wrong key with ErrSealed; neither changes the file.
func Open(path string, opts Options) (*DB, error) {
	seal, err := newSealer(opts.Key)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{
		// Another process holding the file is an error, not a hang.
		Timeout: 2 * time.Second,
		NoSync:  opts.NoSync,
		// The hashmap freelist stays fast on large files, and not
		// writing the freelist on every commit saves a page write per
		// transaction (it is rebuilt by a scan at open).
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
		// A large initial map means writers seldom remap, and remapping
		// waits for readers: a long backup would hold writes up.
		InitialMmapSize: 1 << 30,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: the file is in use by another process", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	// bbolt applies the mode only when it creates the file.
	if err := os.Chmod(path, 0o600); err != nil {
		_ = bdb.Close()
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	d := &DB{bolt: bdb, seal: seal, log: log, ids: newIDSource(), now: time.Now}
	if err := d.migrate(path); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return d, nil
}

// Close closes the file. It waits for running transactions to end.
func (d *DB) Close() error {
	return d.bolt.Close()
}

// clock returns now in UTC to the millisecond, the precision of ids, so
// that created_at is exactly the time of the id.
func (d *DB) clock() time.Time { return d.now().UTC().Truncate(time.Millisecond) }

// keyCheck is sealed into the meta bucket when the file is created, so
// that a wrong key is caught at Open rather than at the first secret.
const keyCheck = "outpost secret key check v1"

// migrate reads the schema version, refuses a newer one, checks the key,
// and runs the missing migrations in one transaction.
func (d *DB) migrate(path string) error {
	var version uint64
	err := d.bolt.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		if m == nil {
			return nil
		}
		if v := m.Get(kSchema); len(v) == 8 {
			version = getU64(v)
		}
		if version > uint64(len(migrations)) {
			return fmt.Errorf("%s has schema version %d, this program knows versions up to %d; use a newer Outpost: %w",
				path, version, len(migrations), ErrSchemaTooNew)
		}
		return d.checkKey(m)
	})
	if err != nil {
		return err
	}
	return d.bolt.Update(func(tx *bolt.Tx) error {
		for v := version; v < uint64(len(migrations)); v++ {
			mg := migrations[v]
			if err := mg.up(tx); err != nil {
				return fmt.Errorf("migrating %s to schema version %d (%s): %w", path, v+1, mg.name, err)
			}
			m, err := tx.CreateBucketIfNotExists(bMeta)
			if err != nil {
				return err
			}
			if err := m.Put(kSchema, putU64(nil, v+1)); err != nil {
				return err
			}
			d.log.Info("migrated database schema", "path", path, "version", v+1, "migration", mg.name)
		}
		m := tx.Bucket(bMeta)
		if m.Get(kKeyCheck) != nil {
			return nil
		}
		sealed, err := d.seal.seal([]byte(keyCheck), kKeyCheck)
		if err != nil {
			return err
		}
		return m.Put(kKeyCheck, sealed)
	})
}

func (d *DB) checkKey(m *bolt.Bucket) error {
	sealed := m.Get(kKeyCheck)
	if sealed == nil {
		return nil
	}
	plain, err := d.seal.open(sealed, kKeyCheck)
	if err != nil || string(plain) != keyCheck {
		return fmt.Errorf("opening database: %w", ErrSealed)
	}
	return nil
}

// migration is one step of the schema; migrations[i] takes a file from
// version i to i+1. Steps are only ever appended.
type migration struct {
	name string
	up   func(tx *bolt.Tx) error
}

var migrations = []migration{
	{name: "create buckets", up: func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("bucket %s: %w", name, err)
			}
		}
		return nil
	}},
	{name: "case search text", up: backfillCaseText},
	{name: "customer ioc index", up: backfillCustomerIOCs},
}

// view and update run fn in a read or write transaction after checking
// ctx: bbolt transactions cannot be interrupted, so ctx only stops work
// that has not started.
func (d *DB) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.bolt.View(fn)
}

func (d *DB) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.bolt.Update(fn)
}
