// Package suggest finds the known name closest to a mistyped one, for the
// "did you mean" hints of the command line (flags, commands, metrics).
package suggest

import "strings"

// Nearest returns the candidate closest to name, or "" when none is close:
// case, dashes and underscores do not count, and beyond that one edit is
// close for names under 5 characters and two for longer ones. Ties go to
// the earlier candidate.
func Nearest(name string, candidates []string) string {
	const maxName = 64 // longer words are not typos of a name
	if len(name) > maxName || name == "" {
		return ""
	}
	key := Normalize(name)
	limit := Tolerance(key)
	best, bestD := "", limit+1
	for _, c := range candidates {
		if d := Distance(key, Normalize(c)); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// Tolerance is how many edits still make a typo of the normalized name
// key: one for names under 5 characters, two for longer ones.
func Tolerance(key string) int {
	if len(key) >= 5 {
		return 2
	}
	return 1
}

// Normalize lower-cases s and drops the separators people disagree on:
// read-timeout, ReadTimeout and read_timeout are the same.
func Normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', ' ', '.':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// Distance returns the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent bytes.
func Distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
