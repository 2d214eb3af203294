package store

import (
	"bytes"
	"container/heap"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// source is one index range: the keys of bucket that start with prefix and
// continue with a 16-byte id (and nothing after it).
type source struct {
	b      *bolt.Bucket
	prefix []byte
}

// listing is a newest-first walk over the union of its sources (which hold
// distinct ids), restricted to ids in [lo, hi) and to entries that match.
type listing struct {
	sources []source
	// lo and hi bound the ids (nil: unbounded); hi is exclusive.
	lo, hi []byte
	// match, when set, filters entries by their index value; a listing
	// with a match function counts its total by scanning.
	match func(id, v []byte) (bool, error)
	// counted is the total of the unbounded listing from a counter key,
	// or -1 when there is none. It is used only without match, unless
	// exact says the counter counts exactly what match lets through.
	counted int
	exact   bool
}

// revIter walks one source backwards.
type revIter struct {
	c      *bolt.Cursor
	prefix []byte
	lo     []byte
	k, v   []byte
}

func (it *revIter) id() []byte { return it.k[len(it.prefix):] }

// valid keeps the current entry if it is inside the source and the range.
func (it *revIter) valid() {
	if it.k == nil {
		return
	}
	if !bytes.HasPrefix(it.k, it.prefix) || len(it.k) != len(it.prefix)+idLen ||
		(it.lo != nil && bytes.Compare(it.id(), it.lo) < 0) {
		// Keys of other lengths cannot share an id-ended prefix in
		// this store; anything else ends the walk.
		it.k, it.v = nil, nil
	}
}

// start places the iterator on the last entry below hi (nil: the end).
func (it *revIter) start(hi []byte) {
	var k, v []byte
	if hi != nil {
		k, v = it.c.Seek(cat(it.prefix, hi))
	} else if end := prefixEnd(it.prefix); end != nil {
		k, v = it.c.Seek(end)
	}
	if k == nil {
		k, v = it.c.Last()
	} else {
		k, v = it.c.Prev()
	}
	it.k, it.v = k, v
	it.valid()
}

func (it *revIter) next() {
	it.k, it.v = it.c.Prev()
	it.valid()
}

// prefixEnd returns the smallest key above every key starting with p, or
// nil when there is none (p empty or all 0xff).
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

// iterHeap merges iterators by current id, largest first.
type iterHeap []*revIter

func (h iterHeap) Len() int           { return len(h) }
func (h iterHeap) Less(i, j int) bool { return bytes.Compare(h[i].id(), h[j].id()) > 0 }
func (h iterHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *iterHeap) Push(x any)        { *h = append(*h, x.(*revIter)) }
func (h *iterHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// walk calls fn for every entry of l with an id in [l.lo, hi), newest
// first, until fn returns false.
func (l *listing) walk(hi []byte, fn func(id, v []byte) (bool, error)) error {
	if hi == nil {
		hi = l.hi
	} else if l.hi != nil && bytes.Compare(l.hi, hi) < 0 {
		hi = l.hi
	}
	if l.lo != nil && hi != nil && bytes.Compare(l.lo, hi) >= 0 {
		return nil
	}
	iters := make(iterHeap, 0, len(l.sources))
	for _, s := range l.sources {
		it := &revIter{c: s.b.Cursor(), prefix: s.prefix, lo: l.lo}
		it.start(hi)
		if it.k != nil {
			iters = append(iters, it)
		}
	}
	step := func(it *revIter) (bool, error) {
		id := it.id()
		if l.match != nil {
			ok, err := l.match(id, it.v)
			if err != nil || !ok {
				return err == nil, err
			}
		}
		return fn(id, it.v)
	}
	if len(iters) == 1 {
		for it := iters[0]; it.k != nil; it.next() {
			if more, err := step(it); err != nil || !more {
				return err
			}
		}
		return nil
	}
	heap.Init(&iters)
	for len(iters) > 0 {
		it := iters[0]
		if more, err := step(it); err != nil || !more {
			return err
		}
		it.next()
		if it.k == nil {
			heap.Pop(&iters)
		} else {
			heap.Fix(&iters, 0)
		}
	}
	return nil
}

// page runs l for p: it calls emit for the entries p selects and returns
// the total of the list as p pins it (the entries at or below p.ToID).
func (l *listing) page(p Page, emit func(id, v []byte) error) (int, error) {
	skip, take := max(p.Skip, 0), max(p.Take, 0)
	var pin []byte
	if p.ToID != "" {
		id, ok := parseID(p.ToID)
		if !ok {
			return 0, fmt.Errorf("paging id %q: %w", p.ToID, ErrInvalid)
		}
		pin = idAfter(id[:])
	}
	fromCounter := l.counted >= 0 && (l.match == nil || l.exact) && l.lo == nil && l.hi == nil
	if fromCounter {
		total := l.counted
		if pin != nil {
			// The list grew since the pin: take away what came after
			// it, usually a handful of entries.
			newer := 0
			saved := l.lo
			l.lo = pin
			err := l.walk(nil, func(_, _ []byte) (bool, error) { newer++; return true, nil })
			l.lo = saved
			if err != nil {
				return 0, err
			}
			total -= newer
		}
		if take == 0 {
			return total, nil
		}
		i := 0
		err := l.walk(pin, func(id, v []byte) (bool, error) {
			if i >= skip {
				if err := emit(id, v); err != nil {
					return false, err
				}
			}
			i++
			return i < skip+take, nil
		})
		return total, err
	}
	total := 0
	err := l.walk(pin, func(id, v []byte) (bool, error) {
		if total >= skip && total < skip+take {
			if err := emit(id, v); err != nil {
				return false, err
			}
		}
		total++
		return true, nil
	})
	return total, err
}
