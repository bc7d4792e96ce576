package bigroom

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// machineBusySeconds is the CPU time every core of the machine has spent busy since boot (/proc/stat:
// all but idle and iowait, in USER_HZ = 100 ticks per second). Over a window, what realtime-go and the
// generator did not use of it is other work on the machine, which the numbers share their cores with.
func machineBusySeconds() (float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy int64
	for i, f := range fields[1:] {
		if i >= 8 { // guest and guest_nice are counted in user and nice already
			break
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return float64(busy) / 100, nil
}
