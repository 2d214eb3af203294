package store

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/outpost-soc/outpost/sdk"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// openTest opens a fresh database file under t.TempDir().
func openTest(tb testing.TB) *DB {
	tb.Helper()
	d, err := Open(filepath.Join(tb.TempDir(), "outpost.db"), Options{Key: testKey, NoSync: true})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

func mustCustomer(tb testing.TB, d *DB, name string) *Customer {
	tb.Helper()
	c := &Customer{Name: name}
	if err := d.CreateCustomer(context.Background(), c); err != nil {
		tb.Fatalf("CreateCustomer: %v", err)
	}
	return c
}

func mustInteg(tb testing.TB, d *DB, customerID, typ string) *Integration {
	tb.Helper()
	in := &Integration{CustomerID: customerID, Type: typ, Name: typ + " prod", Category: "security",
		Config: map[string]any{"base_url": "http://127.0.0.1:9900/" + typ}, Secrets: map[string]string{"api_token": "s3cr3t-" + typ + "-tok3n-value"}}
	if err := d.CreateIntegration(context.Background(), in); err != nil {
		tb.Fatalf("CreateIntegration: %v", err)
	}
	return in
}

var (
	ruleNames = []string{"Suspicious PowerShell Encoded Command", "Credential Dumping via LSASS Access", "Impossible Travel Sign-in",
		"Outbound Connection to Known C2 Domain", "Ransomware File Extension Burst", "New Local Administrator Created",
		"Office Application Spawned Script Interpreter", "Brute Force Against VPN Gateway"}
	users   = []string{"jdoe", "asmith", "mrossi", "lchen", "kpatel", "svc_backup", "administrator", "bwayne"}
	tactics = []string{"Execution", "Credential Access", "Initial Access", "Command and Control", "Impact", "Persistence"}
	techs   = []string{"T1059.001", "T1003.001", "T1078", "T1071.001", "T1486", "T1136.001", "T1204.002", "T1110.001"}
)

// alert makes the i-th vendor alert of a 1.5 KB EDR-like shape, with the
// random parts (ids, hashes, encoded commands, addresses) real alerts
// carry, and the event a plugin would map it to.
func alert(i int, at time.Time) sdk.Event {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	hexs := func(n int) string {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		return hex.EncodeToString(b)
	}
	uuid := fmt.Sprintf("%s-%s-%s-%s-%s", hexs(4), hexs(2), hexs(2), hexs(2), hexs(6))
	k := r.IntN(len(ruleNames))
	user := users[r.IntN(len(users))]
	host := fmt.Sprintf("WKS-%04d", r.IntN(5000))
	srcIP := fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(254)+1)
	// Indicators repeat across alerts (a campaign's addresses and
	// samples): drawn from pools, as in real feeds.
	ip := r.IntN(2000)
	dstIP := fmt.Sprintf("%d.%d.%d.%d", 23+ip%200, ip*7%256, ip*13%256, 1+ip%254)
	shaSum := sha256.Sum256([]byte{byte(r.IntN(5000)), byte(i % 7)})
	sha := hex.EncodeToString(shaSum[:])
	cmd := make([]byte, 90)
	for j := range cmd {
		cmd[j] = byte(r.Uint32())
	}
	score := r.IntN(100) + 1
	created := at.Add(-time.Duration(r.IntN(3600)) * time.Second).UTC()
	raw := map[string]any{
		"id": uuid, "rule_name": ruleNames[k], "rule_id": hexs(8), "severity": []string{"low", "medium", "high", "critical"}[score*4/101],
		"risk_score": score, "status": "new", "created": created.Format(time.RFC3339Nano), "updated": created.Format(time.RFC3339Nano),
		"description": "Activity matching rule " + ruleNames[k] + " was observed on " + host + " for user " + user +
			". Review the process tree and network connections; if the behaviour is not expected, isolate the host.",
		"host":    map[string]any{"name": host + ".corp.example.com", "ip": srcIP, "os": "Windows 11 Enterprise 23H2", "mac": fmt.Sprintf("00:1a:%s:%s:%s:%s", hexs(1), hexs(1), hexs(1), hexs(1)), "agent_id": hexs(16)},
		"user":    map[string]any{"name": user, "domain": "CORP", "email": user + "@example.com", "sid": fmt.Sprintf("S-1-5-21-%d-%d-%d-%d", r.Uint32(), r.Uint32(), r.Uint32(), 1000+r.IntN(9000))},
		"process": map[string]any{"name": "powershell.exe", "pid": r.IntN(65000), "command_line": "powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand " + base64.StdEncoding.EncodeToString(cmd), "sha256": sha, "parent": map[string]any{"name": "winword.exe", "pid": r.IntN(65000)}},
		"network": map[string]any{"src_ip": srcIP, "src_port": 49152 + r.IntN(16000), "dst_ip": dstIP, "dst_port": 443, "protocol": "tcp"},
		"mitre":   map[string]any{"tactics": []string{tactics[k%len(tactics)]}, "techniques": []string{techs[k]}},
		"tags":    []string{"edr", "windows", "auto-triage"},
		"url":     "https://console.edr.example/alerts/" + uuid,
	}
	rawJSON, _ := json.Marshal(raw)
	return sdk.Event{
		OriginalID: uuid, Title: ruleNames[k], Description: raw["description"].(string), Severity: score,
		Classification: sdk.Classification{Type: tactics[k%len(tactics)], Subtype: techs[k], Vendor: "edr"},
		URL:            "https://console.edr.example/alerts/" + uuid,
		DetectionTime:  created, CreationTime: created, UpdateTime: created,
		MitreTags: []string{techs[k]}, Actions: []string{"detected"}, DetectionEngines: []string{"edr"},
		Observables: []sdk.Observable{
			sdk.HostObservable(sdk.Host{Hostname: host + ".corp.example.com", IP: srcIP, OS: "Windows 11 Enterprise 23H2"}),
			sdk.UserObservable(sdk.User{Name: user, Email: user + "@example.com", Domain: "CORP"}),
			sdk.FileObservable(sdk.File{Name: "powershell.exe", SHA256: sha}),
			sdk.NetworkTrafficObservable(sdk.NetworkTraffic{SrcIP: srcIP, DstIP: dstIP, DstPort: 443, Protocol: "tcp"}),
		},
		IOCs: []sdk.IOC{{Indicator: dstIP, Type: sdk.IOCIPAddress}, {Indicator: sha, Type: sdk.IOCHash}},
		Raw:  rawJSON,
	}
}

func alerts(from, n int, at time.Time) []sdk.Event {
	out := make([]sdk.Event, n)
	for i := range out {
		out[i] = alert(from+i, at)
	}
	return out
}
