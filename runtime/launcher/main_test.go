package main

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// /bin/sh of the host is a dynamically linked glibc program, as the copied Node is.
const program = "/bin/sh"

func TestMissing(t *testing.T) {
	write := func(root, p, s string) {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	interp := func(root string) string {
		got, err := Missing(program, root)
		if err != nil || len(got) == 0 || !strings.HasSuffix(got[0], " (glibc)") {
			t.Fatalf("Missing(%s, empty root) = %v, %v; want the loader first", program, got, err)
		}
		return strings.TrimSuffix(got[0], " (glibc)")
	}

	t.Run("the host has everything its own shell needs", func(t *testing.T) {
		got, err := Missing(program, "/")
		if err != nil || len(got) != 0 {
			t.Errorf("Missing(%s, /) = %v, %v; want nothing", program, got, err)
		}
	})
	t.Run("an empty image lacks the loader and libc", func(t *testing.T) {
		got, _ := Missing(program, t.TempDir())
		if len(got) < 2 || !reflect.DeepEqual(got[1:], []string{"libc.so.6"}) {
			t.Errorf("Missing = %v, want [loader (glibc), libc.so.6]", got)
		}
	})
	t.Run("libraries are found in the folders ld.so.conf includes", func(t *testing.T) {
		root := t.TempDir()
		write(root, interp(t.TempDir()), "")
		write(root, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
		write(root, "/etc/ld.so.conf.d/multiarch.conf", "# Multiarch support\n/usr/lib/multiarch\n")
		write(root, "/usr/lib/multiarch/libc.so.6", "")
		if got, _ := Missing(program, root); len(got) != 0 {
			t.Errorf("Missing = %v, want nothing", got)
		}
	})
	t.Run("libraries are found in the multiarch folder without any ld.so.conf", func(t *testing.T) {
		root := t.TempDir()
		write(root, interp(t.TempDir()), "")
		write(root, "/usr/lib/"+multiarch[runtime.GOARCH]+"/libc.so.6", "")
		if got, _ := Missing(program, root); len(got) != 0 {
			t.Errorf("Missing = %v, want nothing", got)
		}
	})
	t.Run("a library outside every folder is missing", func(t *testing.T) {
		root := t.TempDir()
		write(root, interp(t.TempDir()), "")
		write(root, "/opt/hidden/libc.so.6", "")
		if got, _ := Missing(program, root); !reflect.DeepEqual(got, []string{"libc.so.6"}) {
			t.Errorf("Missing = %v, want [libc.so.6]", got)
		}
	})
}

func TestMessageNamesWhatIsMissingOnOneLine(t *testing.T) {
	m := Message([]string{"libstdc++.so.6", "libgcc_s.so.1"})
	if strings.Contains(m, "\n") || !strings.Contains(m, "lacks libstdc++.so.6, libgcc_s.so.1") {
		t.Errorf("Message = %q", m)
	}
}

func TestLdSoConfIncludes(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(root, p)
		_ = os.MkdirAll(filepath.Dir(full), 0o755)
		_ = os.WriteFile(full, []byte(s), 0o644)
	}
	write("/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n/opt/lib # a comment\n")
	write("/etc/ld.so.conf.d/x86_64-linux-gnu.conf", "# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n")
	got := ldSoConf(root, "/etc/ld.so.conf", 0)
	want := []string{"/usr/local/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/opt/lib"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ldSoConf = %v, want %v", got, want)
	}
}
