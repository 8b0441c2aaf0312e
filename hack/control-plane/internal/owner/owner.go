// Package owner ties an ephemeral control plane to the apfbench process that started it. When
// that process dies, even by SIGKILL or the OOM killer, the server removes the owner's directory
// (its CA key, service-account key, token file and admin kubeconfig) and exits, instead of
// running on under PID 1 with those secrets left in /tmp.
//
// A control plane started with `apfbench cluster up` is meant to outlive apfbench and is started
// without these variables; then nothing here runs.
package owner

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const (
	// PidEnv names the process this one lives for.
	PidEnv = "APFBENCH_OWNER_PID"
	// DirEnv names the directory to remove once the owner is gone.
	DirEnv = "APFBENCH_OWNER_DIR"
	// markerFile in DirEnv must name the same owner PID, and every entry of DirEnv must be one
	// it lists: a wrong or forged DirEnv never makes a server delete files that are not
	// apfbench's own.
	markerFile = "owner.json"
	pollEvery  = 500 * time.Millisecond
)

// deathSignal is what the kernel sends when the owner dies (PR_SET_PDEATHSIG). It must be one
// neither kube-apiserver nor etcd handles: SIGTERM would start their own graceful shutdown.
const deathSignal = syscall.SIGUSR2

type marker struct {
	Pid     int      `json:"pid"`
	Entries []string `json:"entries"`
}

// Watch reads and clears the owner variables (so that nothing this process starts inherits
// them) and, when they are set, ends this process soon after its owner is gone. Call it first
// in main, before the server starts.
func Watch() {
	pidText, dir := os.Getenv(PidEnv), os.Getenv(DirEnv)
	_ = os.Unsetenv(PidEnv)
	_ = os.Unsetenv(DirEnv)
	if pidText == "" {
		return
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 1 || !filepath.IsAbs(dir) {
		fmt.Fprintf(os.Stderr, "apfbench: ignoring %s=%q %s=%q: want a PID > 1 and an absolute directory\n", PidEnv, pidText, DirEnv, dir)
		return
	}
	parent := os.Getppid()
	woken := make(chan os.Signal, 1)
	signal.Notify(woken, deathSignal)
	// Immediate, but only for the death of the parent's thread that forked this process, and
	// only when the parent is the owner; the poll below covers the rest, including an owner
	// that died before this call.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(deathSignal), 0); errno != 0 {
		fmt.Fprintf(os.Stderr, "apfbench: PR_SET_PDEATHSIG: %v; polling for the owner only\n", errno)
	}
	go watch(pid, parent, dir, woken)
}

func watch(pid, parent int, dir string, woken <-chan os.Signal) {
	ticker := time.NewTicker(pollEvery)
	defer ticker.Stop()
	for !ownerGone(pid, parent) {
		select {
		case <-ticker.C:
		case <-woken:
		}
	}
	fmt.Fprintf(os.Stderr, "apfbench: owner process %d is gone; removing %s and exiting\n", pid, dir)
	if err := removeOwnedDir(dir, pid); err != nil {
		fmt.Fprintf(os.Stderr, "apfbench: %v\n", err)
	}
	os.Exit(1)
}

// ownerGone is true once this process was re-parented (the owner's exit does that before it is
// reaped, so a zombie owner counts as gone) or the owner PID no longer exists.
func ownerGone(pid, parent int) bool {
	if os.Getppid() != parent {
		return true
	}
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// removeOwnedDir removes dir when its marker names owner and it holds nothing the marker does
// not list. The other server of the control plane removes the same directory at the same time,
// so a directory already gone, or a marker already removed, is not an error; a removal that
// races with the other server's last writes is tried again.
func removeOwnedDir(dir string, owner int) error {
	raw, err := os.ReadFile(filepath.Join(dir, markerFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("not removing %s: %w", dir, err)
	}
	var m marker
	if err := json.Unmarshal(raw, &m); err != nil || m.Pid != owner {
		return fmt.Errorf("not removing %s: %s does not name owner %d", dir, markerFile, owner)
	}
	listed := make(map[string]bool, len(m.Entries))
	for _, e := range m.Entries {
		listed[e] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			return fmt.Errorf("not removing %s: it holds %s, which apfbench did not write", dir, e.Name())
		}
	}
	for attempt := 0; ; attempt++ {
		err = os.RemoveAll(dir)
		if err == nil || attempt == 10 {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}
