//go:build unix

package plugin

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the plugin in a process group of its own, so that
// killing the group also ends whatever the plugin started.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends SIGKILL to the plugin's process group (whose id is the
// plugin's pid). The group cannot have been reused: go-plugin reaps the
// plugin only after its pipes close, and children holding them keep the
// group alive.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
