package plugin

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestPluginExitsWhenHostKilled re-runs this test binary as a small host
// (runTestHost), SIGKILLs it, and checks that its plugin does not linger.
func TestPluginExitsWhenHostKilled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	place(t, dir, bins.basic, "outpost-plugin-basic")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	host := exec.Command(exe, "-test.run=^$")
	host.Env = append(os.Environ(), testHostEnv+"="+dir)
	var stderr syncBuffer
	host.Stderr = &stderr
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = host.Process.Kill()
		_ = host.Wait()
		if t.Failed() {
			t.Logf("helper host stderr:\n%s", stderr.String())
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Scan()
		line <- sc.Text()
	}()
	var pid int
	select {
	case l := <-line:
		if pid, err = strconv.Atoi(strings.TrimSpace(l)); err != nil {
			t.Fatalf("helper host printed %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper host did not report its plugin")
	}
	if processGone(pid) {
		t.Fatalf("plugin %d not running", pid)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	waitGone(t, pid, 5*time.Second)
}
