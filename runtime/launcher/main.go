// teamtask-launch starts the worker runtime in a user's image: it checks that the image has the
// shared libraries the copied Node.js needs (glibc's loader, libc, libstdc++, libgcc_s), says in
// one line what is missing when it does not, and otherwise becomes Node. Without it, an image
// that lacks them fails with the dynamic loader's "no such file or directory" or "error while
// loading shared libraries", which names neither Teamtask nor a fix.
//
// Usage: teamtask-launch NODE ARGS...   (static: it runs in any image, even one without libc)
package main

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// ExitMissingLibraries is the worker container's exit code when the image lacks what Node needs;
// the Job's podFailurePolicy fails the Job on it instead of retrying a pod that cannot work.
const ExitMissingLibraries = 126

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: teamtask-launch NODE [ARGS...]")
		os.Exit(2)
	}
	node := os.Args[1]
	missing, err := Missing(node, "/")
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: cannot read the worker runtime %s: %v\n", node, err)
		os.Exit(ExitMissingLibraries)
	}
	if len(missing) > 0 {
		fmt.Fprintln(os.Stderr, Message(missing))
		os.Exit(ExitMissingLibraries)
	}
	err = syscall.Exec(node, os.Args[1:], os.Environ())
	fmt.Fprintf(os.Stderr, "error: cannot start the worker runtime %s: %v\n", node, err)
	os.Exit(ExitMissingLibraries)
}

// Message is the one line a user reads in the pod's log and status.
func Message(missing []string) string {
	return fmt.Sprintf("error: the worker image lacks %s, which the Teamtask worker runtime (Node.js) needs; "+
		"use a glibc-based image that has them (debian:12-slim, ubuntu, ubi9) or install them "+
		"(Debian/Ubuntu: libstdc++6; RHEL: libstdc++); musl images (Alpine) cannot run it",
		strings.Join(missing, ", "))
}

// Missing lists what the ELF program at path needs and the image under root does not have: its
// interpreter (glibc's dynamic loader) and its DT_NEEDED libraries, looked up where glibc's
// loader looks (LD_LIBRARY_PATH, the folders ld.so.conf lists for ldconfig's cache, and the
// loader's built-in folders: Debian's multiarch ones, then lib64 and lib).
func Missing(path, root string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var missing []string
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		b := make([]byte, p.Filesz)
		if _, err := p.ReadAt(b, 0); err != nil {
			return nil, err
		}
		interp := strings.TrimRight(string(b), "\x00")
		if !exists(filepath.Join(root, interp)) {
			missing = append(missing, interp+" (glibc)")
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	dirs := searchDirs(root)
	for _, lib := range libs {
		found := false
		for _, d := range dirs {
			if exists(filepath.Join(root, d, lib)) {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, lib)
		}
	}
	return missing, nil
}

func searchDirs(root string) []string {
	var dirs []string
	for _, d := range strings.Split(os.Getenv("LD_LIBRARY_PATH"), ":") {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	dirs = append(dirs, ldSoConf(root, "/etc/ld.so.conf", 0)...)
	if t := multiarch[runtime.GOARCH]; t != "" {
		dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
	}
	return append(dirs, "/lib64", "/usr/lib64", "/lib", "/usr/lib")
}

// multiarch is Debian's and Ubuntu's library folder name per architecture, which their glibc
// searches even without an ld.so.conf (a minimal image has libc6 but not libc-bin).
var multiarch = map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}

// ldSoConf reads the folders of an ld.so.conf file, following `include` globs (Debian lists its
// multiarch folders, such as /usr/lib/x86_64-linux-gnu, in /etc/ld.so.conf.d/*.conf).
func ldSoConf(root, file string, depth int) []string {
	if depth > 8 {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return nil
	}
	var dirs []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(strings.SplitN(line, "#", 2)[0])
		switch {
		case line == "":
		case strings.HasPrefix(line, "include "):
			pattern := strings.TrimSpace(strings.TrimPrefix(line, "include "))
			if !filepath.IsAbs(pattern) {
				pattern = filepath.Join(filepath.Dir(file), pattern)
			}
			matches, _ := filepath.Glob(filepath.Join(root, pattern))
			for _, m := range matches {
				rel, _ := filepath.Rel(root, m)
				dirs = append(dirs, ldSoConf(root, "/"+rel, depth+1)...)
			}
		default:
			dirs = append(dirs, line)
		}
	}
	return dirs
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
