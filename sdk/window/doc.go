// Package window splits a time window into chunks a vendor query can take.
//
// Lost-found and fallback queries cover long windows ([from, to), the host's
// WindowRequest); many vendor APIs cap the span of one query, or the number
// of results it can page through (offset caps), so a plugin walks the
// window in chunks, oldest first:
//
//	for _, r := range window.Split(req.From, req.To, 24*time.Hour) {
//		if err := fetch(ctx, r.From, r.To); err != nil {
//			return err
//		}
//	}
//
// Ranges are half-open like the host's windows: an event at r.To belongs to
// the next range. Map them onto the vendor's own filter (inclusive end,
// second or millisecond precision) at the call site.
package window
