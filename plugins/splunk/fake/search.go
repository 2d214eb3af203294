package fake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// Limits of the search API.
const (
	// DefaultCount is the results page size when count is not given.
	DefaultCount = 100
	// MaxResultRows is limits.conf maxresultrows: the most results one
	// results call returns, count=0 included.
	MaxResultRows = 50000
	// JobTTL is how long a finished ad-hoc job is kept.
	JobTTL = 10 * time.Minute
	// maxJobs bounds what the fake keeps.
	maxJobs = 500
)

// job is a finished search job.
type job struct {
	sid              string
	search           string
	created          time.Time
	earliest, latest time.Time
	results          []json.RawMessage
	fields           []string
}

// window is a job's time range on _time: zero bounds are open.
type window struct{ earliest, latest time.Time }

func (f *Fake) jobWindow(form func(string) string) (window, error) {
	var w window
	now := f.store.Now()
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"earliest_time", &w.earliest}, {"latest_time", &w.latest}} {
		v := form(p.name)
		if v == "" || v == "0" && p.name == "earliest_time" {
			continue
		}
		t, err := parseTime(v, now)
		if err != nil {
			return w, searchErrorf("Invalid %s '%s'", p.name, v)
		}
		*p.dst = t
	}
	return w, nil
}

// run evaluates q over the fake's data.
func (f *Fake) run(q *query, w window) []row {
	if q.earliest != nil {
		w.earliest = *q.earliest
	}
	if q.latest != nil {
		w.latest = *q.latest
	}
	var rows []row
	if q.lookup != "" {
		rows = f.reviewRows()
	} else if q.index != "" && glob(q.index).MatchString(Index) {
		rows = f.notableRows(q, w)
	}
	for _, c := range q.commands {
		rows = c(rows)
	}
	return rows
}

func (f *Fake) notableRows(q *query, w window) []row {
	// Candidates by the store's time, which is _indextime; _time is at
	// most 30 s before it.
	var from, to time.Time
	switch {
	case q.indexEarliest != nil || q.indexLast != nil:
		if q.indexEarliest != nil {
			from = *q.indexEarliest
		}
		if q.indexLast != nil {
			to = *q.indexLast
		}
	default:
		from = w.earliest
		if !w.latest.IsZero() {
			to = w.latest.Add(31 * time.Second)
		}
	}
	alerts := f.store.Window(from, to)
	type timed struct {
		r  row
		et time.Time
	}
	found := make([]timed, 0, len(alerts))
	for _, a := range alerts {
		et := EventTime(a)
		if !w.earliest.IsZero() && et.Before(w.earliest) || !w.latest.IsZero() && !et.Before(w.latest) {
			continue
		}
		it := time.Unix(IndexTime(a), 0)
		if q.indexEarliest != nil && it.Before(*q.indexEarliest) || q.indexLast != nil && !it.Before(*q.indexLast) {
			continue
		}
		r := row(f.notable(a))
		if !q.match(r) {
			continue
		}
		found = append(found, timed{r, et})
	}
	// Events come newest first.
	slices.Reverse(found)
	slices.SortStableFunc(found, func(x, y timed) int { return y.et.Compare(x.et) })
	rows := make([]row, len(found))
	for i, t := range found {
		rows[i] = t.r
	}
	return rows
}

func (f *Fake) parse(r *http.Request) (*query, window, error) {
	if err := r.ParseForm(); err != nil {
		return nil, window{}, searchErrorf("Unparsable form")
	}
	spl := strings.TrimSpace(r.Form.Get("search"))
	if spl == "" {
		return nil, window{}, searchErrorf("Empty search.")
	}
	w, err := f.jobWindow(r.Form.Get)
	if err != nil {
		return nil, w, err
	}
	q, err := parseQuery(spl, f.store.Now())
	return q, w, err
}

func searchError(w http.ResponseWriter, r *http.Request, err error) {
	var se errSearch
	if errors.As(err, &se) {
		writeMessage(w, r, http.StatusBadRequest, "FATAL", se.msg)
		return
	}
	writeMessage(w, r, http.StatusInternalServerError, "ERROR", err.Error())
}

func (f *Fake) createJob(w http.ResponseWriter, r *http.Request) {
	q, win, err := f.parse(r)
	if err != nil {
		searchError(w, r, err)
		return
	}
	rows := f.run(q, win)
	j := &job{search: r.Form.Get("search"), created: f.store.Now(), earliest: win.earliest, latest: win.latest}
	if j.latest.IsZero() {
		j.latest = j.created
	}
	j.results, j.fields = encodeRows(rows)
	if r.Form.Get("exec_mode") == "oneshot" {
		f.writeResults(w, j, 0, MaxResultRows)
		return
	}
	f.mu.Lock()
	f.nextSID++
	j.sid = fmt.Sprintf("%d.%d", j.created.Unix(), f.nextSID)
	f.jobs[j.sid] = j
	f.jobOrder = append(f.jobOrder, j.sid)
	f.expireJobsLocked()
	f.mu.Unlock()
	if jsonMode(r) {
		fakevendor.WriteJSON(w, http.StatusCreated, map[string]string{"sid": j.sid})
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response>\n  <sid>%s</sid>\n</response>\n", j.sid)
}

func (f *Fake) expireJobsLocked() {
	now := f.store.Now()
	keep := f.jobOrder[:0]
	for i, sid := range f.jobOrder {
		j := f.jobs[sid]
		if j == nil {
			continue
		}
		if now.Sub(j.created) > JobTTL || len(f.jobOrder)-i > maxJobs {
			delete(f.jobs, sid)
			continue
		}
		keep = append(keep, sid)
	}
	f.jobOrder = keep
}

func (f *Fake) lookupJob(w http.ResponseWriter, r *http.Request) (*job, bool) {
	f.mu.Lock()
	f.expireJobsLocked()
	j, ok := f.jobs[r.PathValue("sid")]
	f.mu.Unlock()
	if !ok {
		writeMessage(w, r, http.StatusNotFound, "FATAL", "Unknown sid.")
	}
	return j, ok
}

func (f *Fake) getJob(w http.ResponseWriter, r *http.Request) {
	j, ok := f.lookupJob(w, r)
	if !ok {
		return
	}
	iso := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(TimeFormat)
	}
	fd := f.feed(r, j.sid, map[string]any{
		"sid": j.sid, "dispatchState": "DONE", "isDone": true, "isFailed": false,
		"isFinalized": false, "doneProgress": 1, "resultCount": len(j.results),
		"eventCount": len(j.results), "scanCount": len(j.results),
		"earliestTime": iso(j.earliest), "latestTime": iso(j.latest), "cursorTime": iso(j.earliest),
		"published": iso(j.created), "ttl": int(JobTTL.Seconds()), "runDuration": 0.012,
		"eventSearch": j.search, "messages": map[string]any{},
	})
	fd.Entry[0].Name = j.sid
	fakevendor.WriteJSON(w, http.StatusOK, fd)
}

func (f *Fake) deleteJob(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("sid")
	f.mu.Lock()
	_, ok := f.jobs[sid]
	delete(f.jobs, sid)
	f.mu.Unlock()
	if !ok {
		writeMessage(w, r, http.StatusNotFound, "FATAL", "Unknown sid.")
		return
	}
	writeMessage(w, r, http.StatusOK, "INFO", "Search job cancelled.")
}

func (f *Fake) jobResults(w http.ResponseWriter, r *http.Request) {
	j, ok := f.lookupJob(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if q.Get("output_mode") != "json" {
		writeMessage(w, r, http.StatusBadRequest, "ERROR", "this fake serves results with output_mode=json only")
		return
	}
	count, offset := DefaultCount, 0
	for _, p := range []struct {
		name string
		dst  *int
	}{{"count", &count}, {"offset", &offset}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeMessage(w, r, http.StatusBadRequest, "ERROR", fmt.Sprintf("Argument \"%s\" is not a non-negative integer", p.name))
				return
			}
			*p.dst = n
		}
	}
	if count == 0 || count > MaxResultRows {
		count = MaxResultRows
	}
	f.writeResults(w, j, offset, count)
}

// writeResults writes one results page in splunkd's JSON shape.
func (f *Fake) writeResults(w http.ResponseWriter, j *job, offset, count int) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"preview":false,"init_offset":%d,"messages":[],"fields":[`, offset)
	for i, name := range j.fields {
		if i > 0 {
			b.WriteByte(',')
		}
		n, _ := json.Marshal(map[string]string{"name": name})
		b.Write(n)
	}
	b.WriteString(`],"results":[`)
	end := min(offset+count, len(j.results))
	for i := offset; i < end; i++ {
		if i > offset {
			b.WriteByte(',')
		}
		b.Write(j.results[i])
	}
	b.WriteString(`],"highlighted":{}}`)
	writeRaw(w, http.StatusOK, b.Bytes())
}

// export streams a search's results as JSON lines, one result per line.
func (f *Fake) export(w http.ResponseWriter, r *http.Request) {
	q, win, err := f.parse(r)
	if err != nil {
		searchError(w, r, err)
		return
	}
	if r.Form.Get("output_mode") != "json" {
		writeMessage(w, r, http.StatusBadRequest, "ERROR", "this fake exports with output_mode=json only")
		return
	}
	rows := f.run(q, win)
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	for i, rw := range rows {
		res, _ := json.Marshal(rw)
		last := ""
		if i == len(rows)-1 {
			last = `"lastrow":true,`
		}
		fmt.Fprintf(w, `{"preview":false,"offset":%d,%s"result":%s}`+"\n", i, last, res)
		if fl != nil && i%500 == 499 {
			fl.Flush()
		}
	}
}

func encodeRows(rows []row) ([]json.RawMessage, []string) {
	out := make([]json.RawMessage, len(rows))
	seen := map[string]bool{}
	var fields []string
	for i, r := range rows {
		b, _ := json.Marshal(r)
		out[i] = b
		for k := range r {
			if !seen[k] {
				seen[k] = true
				fields = append(fields, k)
			}
		}
	}
	sort.Strings(fields)
	return out, fields
}
