// Package cursor holds the positions a plugin hands the host with each
// batch: a vendor time plus the ids seen at that time (TimeID), and any
// other JSON-able state (Marshal, Unmarshal).
//
// # Basics
//
// Many events share one timestamp, and vendors' time filters differ
// (inclusive or exclusive, seconds or milliseconds). A cursor that held the
// time alone would either skip the events that share the boundary second
// with the last one stored, or store them twice. TimeID keeps the newest
// vendor time seen and the ids of every event at exactly that time:
//
//	cur, err := cursor.Decode(req.Cursor) // "" is the zero cursor
//	if err != nil {
//		return err // never restart from the beginning silently
//	}
//	since := req.Start
//	if !cur.IsZero() {
//		since = cur.Time // an inclusive filter: ask from the cursor's own time
//	}
//	for _, a := range page {
//		if !cur.After(a.Published, a.UUID) {
//			continue // the boundary event we already handed over
//		}
//		cur.Advance(a.Published, a.UUID)
//		events = append(events, toEvent(a))
//	}
//	stream.Send(sdk.Batch{Events: events, Cursor: cur.Encode()})
//
// For a vendor whose filter is exclusive (time > since), ask from one unit
// of its precision before cur.Time and let After drop what was seen.
//
// # Caveats
//
// An unparsable cursor is an error wrapping ErrInvalid, never a reset: a
// silent restart would re-read the vendor's whole retention, or skip it.
// The cursor is the vendor's clock, never the plugin's: advance an idle
// cursor with AdvanceTo to a time the vendor reported (its "now" or the
// window end it echoed, minus a settle delay), not to time.Now().
package cursor
