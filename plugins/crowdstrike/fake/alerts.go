package fake

import (
	"fmt"
	"strings"
	"time"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// TimeFormat is how Falcon writes created_timestamp and updated_timestamp:
// RFC 3339 in UTC with nanoseconds.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// template is one kind of detection the fake raises.
type template struct {
	product, typ            string
	name, display, desc     string
	tactic, tacticID        string
	technique, techniqueID  string
	severity                int
	objective, scenario     string
	filename, filepath, cmd string
	parent, parentCmd       string
	disposition             string
	patternDisposition      int
	patternID               int
	iocType, iocValue       string
}

var templates = []template{
	{product: "epp", typ: "ldt", name: "CredentialDumpingViaLsass", display: "Credential dumping via LSASS memory",
		desc:   "A process accessed the memory of lsass.exe in a way consistent with credential theft. Review the process tree.",
		tactic: "Credential Access", tacticID: "TA0006", technique: "OS Credential Dumping", techniqueID: "T1003.001",
		severity: 90, objective: "Gain Access", scenario: "credential_theft",
		filename: "rundll32.exe", filepath: `\Device\HarddiskVolume3\Windows\System32\rundll32.exe`,
		cmd:    `rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\Windows\Temp\lsass.dmp full`,
		parent: "cmd.exe", parentCmd: `"C:\Windows\system32\cmd.exe" /c tasks.bat`,
		disposition: "Prevention, process killed.", patternDisposition: 2048, patternID: 10185},
	{product: "epp", typ: "ldt", name: "OfficeSpawnedEncodedPowerShell", display: "Office application launched encoded PowerShell",
		desc:   "A Microsoft Office process spawned PowerShell with an encoded command line, a common malicious document technique.",
		tactic: "Execution", tacticID: "TA0002", technique: "PowerShell", techniqueID: "T1059.001",
		severity: 70, objective: "Follow Through", scenario: "suspicious_activity",
		filename: "powershell.exe", filepath: `\Device\HarddiskVolume3\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
		cmd:    "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
		parent: "WINWORD.EXE", parentCmd: `"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE" /n "C:\Users\dana.levi\Downloads\Invoice_Q3.docm"`,
		disposition: "Detection, standard detection.", patternID: 10197},
	{product: "epp", typ: "ldt", name: "ShadowCopyDeletion", display: "Volume shadow copies deleted",
		desc:   "A process deleted volume shadow copies, which ransomware does before it encrypts files.",
		tactic: "Impact", tacticID: "TA0040", technique: "Inhibit System Recovery", techniqueID: "T1490",
		severity: 90, objective: "Keep Access", scenario: "ransomware",
		filename: "vssadmin.exe", filepath: `\Device\HarddiskVolume3\Windows\System32\vssadmin.exe`,
		cmd: "vssadmin.exe delete shadows /all /quiet", parent: "svchost.exe", parentCmd: `C:\Windows\system32\svchost.exe -k netsvcs`,
		disposition: "Prevention, operation blocked.", patternDisposition: 1024, patternID: 10323},
	{product: "epp", typ: "ldt", name: "EICARTestFileWritten", display: "EICAR test file written",
		desc:   "A process has written a known EICAR test file. Review the files written by the triggered process.",
		tactic: "Execution", tacticID: "TA0002", technique: "User Execution", techniqueID: "T1204",
		severity: 10, objective: "Follow Through", scenario: "attacker_methodology",
		filename: "cat", filepath: "/bin/cat", cmd: "cat", parent: "zsh", parentCmd: "/bin/zsh -l",
		disposition: "Detection, standard detection.", patternID: 20151},
	{product: "epp", typ: "ldt", name: "MaliciousDomainLookup", display: "DNS request to a known malicious domain",
		desc:   "A process made a DNS request for a domain that CrowdStrike Intelligence ties to command and control.",
		tactic: "Command and Control", tacticID: "TA0011", technique: "DNS", techniqueID: "T1071.004",
		severity: 50, objective: "Contact Controlled Systems", scenario: "intel_detection",
		filename: "chrome.exe", filepath: `\Device\HarddiskVolume3\Program Files\Google\Chrome\Application\chrome.exe`,
		cmd: `"C:\Program Files\Google\Chrome\Application\chrome.exe"`, parent: "explorer.exe", parentCmd: `C:\Windows\Explorer.EXE`,
		disposition: "Detection, standard detection.", patternID: 10304, iocType: "domain", iocValue: "update-check.badcdn.example"},
	{product: "idp", typ: "idp-user-endpoint-app-access", name: "UnusualLoginToEndpoint", display: "Unusual login to an endpoint",
		desc:   "A user logged in to an endpoint they have not accessed before, from a source the identity baseline does not know.",
		tactic: "Initial Access", tacticID: "TA0001", technique: "Valid Accounts", techniqueID: "T1078",
		severity: 30, objective: "Gain Access", scenario: "identity_anomaly", patternID: 51113},
}

type device struct {
	id, hostname, localIP, externalIP, platform, os, domain, mac string
}

var devices = []device{
	{"5388c592189444ad9e84df071c8f3954", "FIN-WS-0147", "10.3.0.47", "20.83.184.209", "Windows", "Windows 11", "acme.local", "00-0d-3a-56-11-c1"},
	{"c36c42b64ce54b39a32e1d57240704c8", "MLX40LWGRK", "192.168.1.15", "209.122.93.17", "Mac", "Sequoia (15)", "", "4e-93-8a-29-49-64"},
	{"7f1e2d3c4b5a69788796a5b4c3d2e1f0", "DC01", "10.3.0.4", "20.83.184.210", "Windows", "Windows Server 2022", "acme.local", "00-0d-3a-56-11-c2"},
	{"0a1b2c3d4e5f60718293a4b5c6d7e8f9", "web-prod-3", "10.8.1.23", "52.14.77.101", "Linux", "Ubuntu 22.04", "", "0a-58-a9-fe-01-17"},
}

var users = []string{"dana.levi", "alice.ward", "svc_backup", "joe", "administrator"}

var (
	platformNames = map[string]string{"Windows": "Windows", "Mac": "Mac", "Linux": "Linux"}
	severityNames = []struct {
		min  int
		name string
	}{{90, "Critical"}, {70, "High"}, {50, "Medium"}, {20, "Low"}, {0, "Informational"}}
)

func severityName(s int) string {
	for _, n := range severityNames {
		if s >= n.min {
			return n.name
		}
	}
	return "Informational"
}

func pick[T any](list []T, r, salt uint64) T { return list[(r>>salt)%uint64(len(list))] }

// view is what filters and sorts read of an alert.
type view struct {
	a                           *fakevendor.Alert
	compositeID, id             string
	created, updated, timestamp time.Time
	severity                    int
	status, product, typ        string
	assignedName                string
}

// subMilli is the nanosecond part Falcon's timestamps carry beyond the
// store's milliseconds.
func subMilli(a *fakevendor.Alert, salt uint64) time.Duration {
	return time.Duration((a.Rand>>salt)%1_000_000) * time.Nanosecond
}

// CompositeID is the alert's composite id: <cid>:ind:<agent id>:<process>-<pattern>-<n>.
func (f *Fake) CompositeID(a *fakevendor.Alert) string {
	t := pick(templates, a.Rand, 0)
	d := pick(devices, a.Rand, 9)
	kind := "ind"
	if t.product == "idp" {
		kind = "idpind"
	}
	return fmt.Sprintf("%s:%s:%s:%d-%d-%d", f.CID(), kind, d.id, 1_000_000_000+a.Rand%9_000_000_000, t.patternID, a.Seq)
}

func (f *Fake) view(a *fakevendor.Alert) view {
	t := pick(templates, a.Rand, 0)
	cid := f.CompositeID(a)
	f.mu.Lock()
	f.ids[cid] = a.ID
	f.mu.Unlock()
	v := view{a: a, compositeID: cid, id: strings.TrimPrefix(cid, f.CID()+":"),
		created: a.Time.Add(subMilli(a, 3)), severity: t.severity, product: t.product, typ: t.typ}
	v.timestamp = a.Time.Add(-time.Duration(a.Rand>>20%60_000) * time.Millisecond)
	f.store.Read(a, func(a *fakevendor.Alert) {
		v.updated = a.Updated
		if a.Updated.Equal(a.Time) {
			v.updated = v.created
		}
		v.status = a.Status
		if v.status == "" {
			v.status = "new"
		}
		v.assignedName = a.Owner
	})
	return v
}

// render is the alert as the entities and combined endpoints return it.
func (f *Fake) render(v view) map[string]any {
	a := v.a
	t := pick(templates, a.Rand, 0)
	d := pick(devices, a.Rand, 9)
	user := pick(users, a.Rand, 17)
	sha := hexOf("sha/"+a.ID) + hexOf("sha2/"+a.ID)
	md := hexOf("md5/" + a.ID)
	out := map[string]any{
		"composite_id":      v.compositeID,
		"id":                v.id,
		"cid":               f.CID(),
		"agent_id":          d.id,
		"aggregate_id":      fmt.Sprintf("aggind:%s:%d", d.id, a.Rand%900_000_000_000),
		"created_timestamp": v.created.UTC().Format(TimeFormat),
		"updated_timestamp": v.updated.UTC().Format(TimeFormat),
		"timestamp":         v.timestamp.UTC().Format("2006-01-02T15:04:05.000Z"),
		"name":              t.name,
		"display_name":      t.display,
		"description":       t.desc,
		"severity":          t.severity,
		"severity_name":     severityName(t.severity),
		"confidence":        50 + int(a.Rand%50),
		"tactic":            t.tactic,
		"tactic_id":         t.tacticID,
		"technique":         t.technique,
		"technique_id":      t.techniqueID,
		"objective":         t.objective,
		"scenario":          t.scenario,
		"mitre_attack": []map[string]any{{"pattern_id": t.patternID, "tactic_id": t.tacticID,
			"technique_id": t.techniqueID, "tactic": t.tactic, "technique": t.technique}},
		"pattern_id":         t.patternID,
		"product":            t.product,
		"type":               t.typ,
		"status":             v.status,
		"show_in_ui":         true,
		"email_sent":         a.Rand%2 == 0,
		"source_vendors":     []string{"CrowdStrike"},
		"falcon_host_link":   "https://falcon.crowdstrike.com/unified-detections/" + v.compositeID,
		"user_name":          user,
		"seconds_to_triaged": 0, "seconds_to_resolved": 0,
	}
	if t.product == "idp" {
		out["data_domains"] = []string{"Identity"}
		out["source_products"] = []string{"Falcon Identity Protection"}
		out["source_account_name"] = user
		out["source_endpoint_host_name"] = pick(devices, a.Rand, 23).hostname
		out["source_endpoint_ip_address"] = pick(devices, a.Rand, 23).externalIP
		out["device"] = map[string]any{"device_id": d.id, "hostname": d.hostname, "local_ip": d.localIP}
	} else {
		out["data_domains"] = []string{"Endpoint"}
		out["source_products"] = []string{"Falcon Insight"}
		out["filename"], out["filepath"], out["cmdline"] = t.filename, t.filepath, t.cmd
		out["sha256"], out["md5"], out["sha1"] = sha, md, "0000000000000000000000000000000000000000"
		out["local_process_id"] = fmt.Sprint(1000 + a.Rand%60000)
		out["process_id"] = fmt.Sprint(a.Rand % 900_000_000_000)
		out["parent_details"] = map[string]any{"cmdline": t.parentCmd, "filename": t.parent,
			"md5": hexOf("pmd5/" + t.parent), "sha256": hexOf("psha/"+t.parent) + hexOf("psha2/"+t.parent), "user_name": user}
		out["pattern_disposition"] = t.patternDisposition
		out["pattern_disposition_description"] = t.disposition
		out["platform"] = d.platform
		out["logon_domain"] = strings.ToUpper(strings.Split(d.domain+".", ".")[0])
		out["device"] = map[string]any{
			"device_id": d.id, "cid": f.CID(), "hostname": d.hostname, "local_ip": d.localIP,
			"external_ip": d.externalIP, "mac_address": d.mac, "machine_domain": d.domain,
			"platform_name": platformNames[d.platform], "os_version": d.os, "agent_version": "7.24.19607.0",
			"product_type_desc": "Workstation", "status": "normal",
		}
		if t.iocType != "" {
			out["ioc_type"], out["ioc_value"] = t.iocType, t.iocValue
			out["ioc_context"] = []map[string]any{{"ioc_type": t.iocType, "ioc_value": t.iocValue, "ioc_source": "library_load"}}
		}
	}
	f.store.Read(a, func(a *fakevendor.Alert) {
		if a.Owner != "" {
			out["assigned_to_name"] = a.Owner
			out["assigned_to_uid"] = a.Extra["assigned_to_uid"]
		}
		if tags := a.Extra["tags"]; tags != "" {
			out["tags"] = strings.Split(tags, ",")
		}
		if len(a.Comments) > 0 {
			var cs []map[string]any
			for _, c := range a.Comments {
				ts, text, _ := strings.Cut(c, "\x00")
				cs = append(cs, map[string]any{"value": text, "created_timestamp": ts, "falcon_user_id": "api-client:" + f.ClientID()})
			}
			out["comments"] = cs
		}
	})
	return out
}

// alertByID finds the store alert behind a composite id.
func (f *Fake) alertByID(cid string) (*fakevendor.Alert, bool) {
	f.mu.Lock()
	sid, ok := f.ids[cid]
	f.mu.Unlock()
	if ok {
		return f.store.Get(sid)
	}
	for _, a := range f.store.All() {
		if f.CompositeID(a) == cid {
			f.mu.Lock()
			f.ids[cid] = a.ID
			f.mu.Unlock()
			return a, true
		}
	}
	return nil, false
}
