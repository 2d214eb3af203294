package conformance

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/outpost-soc/outpost/sdk/remote"
)

// BinaryPrefix starts the file name of every plugin binary.
const BinaryPrefix = "outpost-plugin-"

// Build compiles the plugin's main package pkg (a directory such as "." or
// an import path) with go build into t.TempDir()/outpost-plugin-<name> and
// returns the binary's path. It fails the test when the build fails.
func Build(t testing.TB, pkg, name string, flags ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), BinaryPrefix+name)
	args := append([]string{"build", "-o", out}, flags...)
	args = append(args, pkg)
	cmd := exec.Command(goTool(), args...)
	cmd.Env = os.Environ()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// goTool finds the go command that runs the test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	if root := os.Getenv("GOROOT"); root != "" {
		return filepath.Join(root, "bin", "go")
	}
	return "go"
}

// packageName is the plugin name a package path implies: its last element.
func packageName(pkg string) string {
	if pkg == "" || strings.HasPrefix(pkg, ".") || filepath.IsAbs(pkg) {
		abs, err := filepath.Abs(pkg)
		if err != nil {
			return ""
		}
		return filepath.Base(abs)
	}
	return path.Base(pkg)
}

// Launch starts the plugin binary at bin the way the host does and returns
// the connector behind it; the process is killed when the test ends. What
// the plugin logs is kept and printed if the test fails.
func Launch(t testing.TB, bin string) *remote.Client {
	t.Helper()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("plugin log (tail):\n%s", logs.tail(16<<10))
		}
	})
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  remote.Handshake,
		Plugins:          remote.Plugins,
		Cmd:              exec.Command(bin),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		GRPCDialOptions:  remote.CallOptions,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:   "plugin",
			Output: logs,
			Level:  hclog.Debug,
		}),
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("starting plugin %s: %v", filepath.Base(bin), err)
	}
	c, err := remote.Dispense(rpc)
	if err != nil {
		t.Fatalf("plugin %s: %v", filepath.Base(bin), err)
	}
	return c
}

// syncBuffer collects the plugin's log lines, written from go-plugin's
// goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
