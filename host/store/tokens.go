package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// CreateToken stores a new API token; it sets t.ID and t.CreatedAt. t.Hash
// (the SHA-256 of the secret, set by the caller) must be unique: another
// token with the same hash is ErrExists.
func (d *DB) CreateToken(ctx context.Context, t *Token) error {
	if t.Hash == "" {
		return fmt.Errorf("token without hash: %w", ErrInvalid)
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		hb := bk(tx, bTokenHash)
		if hb.Get([]byte(t.Hash)) != nil {
			return fmt.Errorf("token with this hash: %w", ErrExists)
		}
		now := d.clock()
		id, err := d.ids.at(now)
		if err != nil {
			return err
		}
		rec := *t
		rec.ID, rec.CreatedAt = id.String(), now
		if err := putJSON(bk(tx, bTokens), id[:], &rec); err != nil {
			return err
		}
		if err := hb.Put([]byte(rec.Hash), id[:]); err != nil {
			return err
		}
		if err := addNow(tx, ckey(cTokens), 1); err != nil {
			return err
		}
		tx.OnCommit(func() { *t = rec })
		return nil
	})
}

// TokenByHash returns the token whose secret hashes to hash.
func (d *DB) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	var t Token
	err := d.view(ctx, func(tx *bolt.Tx) error {
		id := bk(tx, bTokenHash).Get([]byte(hash))
		if id != nil {
			ok, err := getJSON(bk(tx, bTokens), id, &t)
			if err != nil || ok {
				return err
			}
		}
		return fmt.Errorf("token: %w", ErrNotFound)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTokens lists tokens newest first.
func (d *DB) ListTokens(ctx context.Context, p Page) ([]Token, int, error) {
	var out []Token
	var total int
	err := d.view(ctx, func(tx *bolt.Tx) (err error) {
		l := listing{sources: []source{{b: bk(tx, bTokens)}}, counted: getCount(tx, ckey(cTokens))}
		total, err = l.page(p, func(_, v []byte) error {
			var t Token
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("decoding token: %w", err)
			}
			out = append(out, t)
			return nil
		})
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return items(out, p), total, nil
}

// DeleteToken deletes a token and its hash.
func (d *DB) DeleteToken(ctx context.Context, id string) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		key := idKey(id)
		var t Token
		if key != nil {
			ok, err := getJSON(bk(tx, bTokens), key, &t)
			if err != nil {
				return err
			}
			if !ok {
				key = nil
			}
		}
		if key == nil {
			return fmt.Errorf("token %q: %w", id, ErrNotFound)
		}
		if err := bk(tx, bTokens).Delete(key); err != nil {
			return err
		}
		if err := bk(tx, bTokenHash).Delete([]byte(t.Hash)); err != nil {
			return err
		}
		return addNow(tx, ckey(cTokens), -1)
	})
}

// CountTokens returns the number of tokens.
func (d *DB) CountTokens(ctx context.Context) (int, error) {
	var n int
	err := d.view(ctx, func(tx *bolt.Tx) error {
		n = getCount(tx, ckey(cTokens))
		return nil
	})
	return n, err
}
