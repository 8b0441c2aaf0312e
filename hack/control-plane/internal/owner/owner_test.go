package owner

import (
	"os"
	"path/filepath"
	"testing"
)

func writeDir(t *testing.T, marker string, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	if marker != "" {
		if err := os.WriteFile(filepath.Join(dir, markerFile), []byte(marker), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRemoveOwnedDir(t *testing.T) {
	cases := []struct {
		name    string
		marker  string
		files   []string
		removed bool
	}{
		{"its own files", `{"pid":42,"entries":["owner.json","tokens.csv","pki"]}`, []string{"tokens.csv", "pki"}, true},
		{"another owner", `{"pid":43,"entries":["owner.json","tokens.csv"]}`, []string{"tokens.csv"}, false},
		{"a file it did not write", `{"pid":42,"entries":["owner.json","tokens.csv"]}`, []string{"tokens.csv", "notes.txt"}, false},
		{"no marker", "", []string{"tokens.csv"}, false},
		{"a broken marker", `{"pid":`, []string{"tokens.csv"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeDir(t, c.marker, c.files...)
			_ = removeOwnedDir(dir, 42)
			_, err := os.Stat(dir)
			if gone := os.IsNotExist(err); gone != c.removed {
				t.Fatalf("removed = %v, want %v", gone, c.removed)
			}
		})
	}
}

func TestRemoveOwnedDirGoneAlready(t *testing.T) {
	if err := removeOwnedDir(filepath.Join(t.TempDir(), "gone"), 42); err != nil {
		t.Fatalf("a directory the other server removed first: %v", err)
	}
}

func TestOwnerGone(t *testing.T) {
	if ownerGone(os.Getpid(), os.Getppid()) {
		t.Fatal("this process counts as gone")
	}
	if !ownerGone(os.Getpid(), os.Getppid()+1) {
		t.Fatal("a changed parent does not count as gone")
	}
	if !ownerGone(1<<30, os.Getppid()) {
		t.Fatal("a PID that does not exist does not count as gone")
	}
}
