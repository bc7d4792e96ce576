package main

import (
	"fmt"
	"strings"
)

// beginMark and endMark enclose one part's section of summary.md (HTML comments: invisible in the
// rendered Markdown), so that a run of some parts can replace their sections and keep the others'.
func beginMark(part string) string { return fmt.Sprintf("<!-- part: %s -->", part) }
func endMark(part string) string   { return fmt.Sprintf("<!-- /part: %s -->", part) }

// splice returns old with every part section of fresh in place of the same part's section in old, or
// appended to old when it has none; the rest of old (its title, the other parts) stays as it was.
func splice(old, fresh string) string {
	for {
		name, section, rest, ok := nextSection(fresh)
		if !ok {
			return old
		}
		fresh = rest
		begin, end := beginMark(name), endMark(name)
		i := strings.Index(old, begin)
		j := strings.Index(old, end)
		if i < 0 || j < i {
			old = strings.TrimRight(old, "\n") + "\n\n" + section + "\n"
			continue
		}
		old = old[:i] + section + old[j+len(end):]
	}
}

// nextSection finds the first part section of s: its name, its text from the begin mark to the end
// mark included, and what follows it.
func nextSection(s string) (name, section, rest string, ok bool) {
	const open = "<!-- part: "
	i := strings.Index(s, open)
	if i < 0 {
		return "", "", "", false
	}
	k := strings.Index(s[i:], " -->")
	if k < 0 {
		return "", "", "", false
	}
	name = s[i+len(open) : i+k]
	end := endMark(name)
	j := strings.Index(s[i:], end)
	if j < 0 {
		return "", "", "", false
	}
	j += i + len(end)
	return name, s[i:j], s[j:], true
}
