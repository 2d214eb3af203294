package store

import (
	bolt "go.etcd.io/bbolt"
)

// Bucket names. Every key that lists newest first ends in a 16-byte ULID
// (see ids.go), so a listing is a reverse range scan over one prefix.
var (
	bMeta     = []byte("meta")     // kSchema, kKeyCheck
	bCounters = []byte("counters") // counter key → int64; see counters.go

	bCustomers = []byte("customers")  // customer id → json
	bInteg     = []byte("integ")      // integration id → json (secrets sealed)
	bIntegCust = []byte("integ_cust") // customer id + integration id → nil
	bCursors   = []byte("cursors")    // integration id → cursor
	bLogs      = []byte("logs")       // integration id + log id → json
	bRuns      = []byte("runs")       // integration id + run id → json
	bStats     = []byte("stats")      // integration id + u32 5-minute slot → 5×u32
	bTokens    = []byte("tokens")     // token id → json
	bTokenHash = []byte("token_hash") // hash → token id

	bPacks   = []byte("packs")    // pack id → compressed event bodies (packs.go)
	bEvents  = []byte("events")   // event id → event record (events.go)
	bEvInteg = []byte("ev_integ") // source id + event id → event meta
	bEvSrc   = []byte("ev_src")   // customer id + source id → nil
	bEvOrig  = []byte("ev_orig")  // integration id + original id → event id + u64 update time
	bEvAPI   = []byte("ev_api")   // customer id + origin + 0 + original id → event id + source id

	bCases    = []byte("cases")     // case id → case record
	bCaseSL   = []byte("case_sl")   // status + level + case id → nil
	bCaseCSL  = []byte("case_csl")  // customer id + status + level + case id → nil
	bCaseAsg  = []byte("case_asg")  // assignee + 0 + case id → status + level + customer id
	bCaseText = []byte("case_text") // case id → search text (casetext.go)
	bCaseHist = []byte("case_hist") // case id + entry id → json
	bNotes    = []byte("notes")     // case id + note id → json
	bComments = []byte("comments")  // case id + comment id → json
	bReports  = []byte("reports")   // report id → report record
	bRepCase  = []byte("rep_case")  // case id + report id → nil

	bIOCs    = []byte("iocs")     // ioc id → ioc record (iocs.go)
	bIOCKey  = []byte("ioc_key")  // u64 hash of the indicator + ioc id → nil
	bIOCCust = []byte("ioc_cust") // customer id + ioc id → nil

	bMirror  = []byte("mirror")   // mirror id → json
	bMirCase = []byte("mir_case") // case id + mirror id → nil
	bMirDue  = []byte("mir_due")  // u64 due time + mirror id → nil (pending only)
)

var (
	kSchema   = []byte("schema_version")
	kKeyCheck = []byte("key_check")
)

var allBuckets = [][]byte{
	bMeta, bCounters,
	bCustomers, bInteg, bIntegCust, bCursors, bLogs, bRuns, bStats, bTokens, bTokenHash,
	bPacks, bEvents, bEvInteg, bEvSrc, bEvOrig, bEvAPI,
	bCases, bCaseSL, bCaseCSL, bCaseAsg, bCaseText, bCaseHist, bNotes, bComments, bReports, bRepCase,
	bIOCs, bIOCKey, bIOCCust,
	bMirror, bMirCase, bMirDue,
}

// appendOnly lists the buckets whose keys grow at the end of their prefix:
// bbolt splits pages at FillPercent (default half), which for appends
// leaves every page half empty; filling them to 95 % shrinks the file by
// about a third. Buckets with random keys keep the default.
var appendOnly = map[string]bool{
	string(bCustomers): true, string(bIntegCust): true, string(bLogs): true, string(bRuns): true,
	string(bStats): true, string(bTokens): true,
	string(bPacks): true, string(bEvents): true, string(bEvInteg): true,
	string(bCases): true, string(bCaseSL): true, string(bCaseCSL): true, string(bCaseText): true, string(bCaseHist): true,
	string(bNotes): true, string(bComments): true, string(bReports): true, string(bRepCase): true,
	string(bIOCs):   true,
	string(bMirror): true, string(bMirCase): true, string(bMirDue): true,
}

// bk returns a bucket of tx (the migrations made them all).
func bk(tx *bolt.Tx, name []byte) *bolt.Bucket {
	b := tx.Bucket(name)
	if b == nil {
		// Only a file damaged outside the store gets here.
		panic("store: missing bucket " + string(name))
	}
	if tx.Writable() && appendOnly[string(name)] {
		b.FillPercent = 0.95
	}
	return b
}
