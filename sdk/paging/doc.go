// Package paging helps a plugin page through a vendor's results without
// looping: RFC 8288 Link headers (NextLink, LinkRel) and a Guard that
// every pager consults before it follows a next token or link.
//
// # Basics
//
//	var g paging.Guard // zero value: up to DefaultMaxPages pages
//	next := "/api/v1/logs?" + q.Encode()
//	g.Begin(next)
//	for {
//		var page []oktaLog
//		resp, err := c.DoJSON(ctx, http.MethodGet, next, nil, nil, &page)
//		if err != nil {
//			return err
//		}
//		// ... hand the page over as a batch ...
//		link, _ := paging.NextLink(resp.Header)
//		more, err := g.Next(link, len(page))
//		if err != nil {
//			return err // or log it and stop: see below
//		}
//		if !more {
//			return nil
//		}
//		next = link
//	}
//
// # Caveats
//
// Next stops quietly (false, nil) at the natural end: no next token, or a
// next token after an empty page, which is how Okta ends a query (its next
// link is always present). It stops with an error when the vendor's paging
// is broken: ErrLoop for a token or link already followed (including a next
// link to the page just fetched), ErrMaxPages past Guard.MaxPages. Both
// leave every batch already sent committed; a time-based cursor then
// resumes past them on the next run, so a plugin may log the error and
// stop instead of failing the run.
package paging
