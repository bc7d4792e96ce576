package main

import "testing"

func TestSplice(t *testing.T) {
	section := func(name, body string) string { return beginMark(name) + "\n" + body + "\n" + endMark(name) }
	old := "# title (full run)\n\n" + section("wire", "wire 1") + "\n\n" + section("bigroom", "big 1") + "\n\n" + section("idle", "idle 1") + "\n"
	tests := []struct {
		name, old, fresh, want string
	}{
		{"replaces the part that ran, keeps the others and the title", old, "# title (quick run)\n\n" + section("bigroom", "big 2") + "\n\n",
			"# title (full run)\n\n" + section("wire", "wire 1") + "\n\n" + section("bigroom", "big 2") + "\n\n" + section("idle", "idle 1") + "\n"},
		{"two parts", old, section("idle", "idle 2") + "\n\n" + section("wire", "wire 2"),
			"# title (full run)\n\n" + section("wire", "wire 2") + "\n\n" + section("bigroom", "big 1") + "\n\n" + section("idle", "idle 2") + "\n"},
		{"appends a part the summary lacks", "# title\n\nunmarked text\n", section("bigroom", "big 2"),
			"# title\n\nunmarked text\n\n" + section("bigroom", "big 2") + "\n"},
		{"nothing ran", old, "# title\n\n", old},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splice(tt.old, tt.fresh); got != tt.want {
				t.Fatalf("splice:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
