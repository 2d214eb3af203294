package sdk

import (
	"context"
	"io"
	"sync"
)

// ClientCache keeps one vendor client per integration, rebuilt when the
// integration's config changes (a rotated secret, a new URL). A plugin
// process serves every integration of its type, so this is where
// per-integration state lives. The zero value is not usable: set New.
type ClientCache[T any] struct {
	// New builds a client for an integration. It runs outside the cache's
	// lock, so it may make network calls (fetch a token, say).
	New func(ctx context.Context, in Integration) (T, error)

	mu      sync.Mutex
	entries map[string]cacheEntry[T]
}

type cacheEntry[T any] struct {
	hash   string
	client T
}

// Get returns the cached client for in, building it if the integration is new
// or its config hash changed. A replaced client that implements io.Closer is
// closed.
func (c *ClientCache[T]) Get(ctx context.Context, in Integration) (T, error) {
	hash := in.Config.Hash()
	c.mu.Lock()
	e, ok := c.entries[in.ID]
	c.mu.Unlock()
	if ok && e.hash == hash {
		return e.client, nil
	}
	client, err := c.New(ctx, in)
	if err != nil {
		var zero T
		return zero, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]cacheEntry[T]{}
	}
	old, had := c.entries[in.ID]
	c.entries[in.ID] = cacheEntry[T]{hash: hash, client: client}
	c.mu.Unlock()
	if had {
		if cl, ok := any(old.client).(io.Closer); ok {
			_ = cl.Close()
		}
	}
	return client, nil
}

// Len reports how many integrations have a cached client.
func (c *ClientCache[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
