package service

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/outpost-soc/outpost/host/store"
	"github.com/outpost-soc/outpost/sdk"
)

// Limits on what a client may store. They keep one request (1 MiB at
// most) from filling an index or a report with junk; none is close to what
// a vendor alert or an analyst's note needs.
const (
	// MaxTitleLen caps titles, in characters.
	MaxTitleLen = 1000
	// MaxTextLen caps descriptions, notes, comments and close notes, in
	// bytes.
	MaxTextLen = 64 << 10
	// MaxListLen caps tags, subscribers, mitre tags, actions and
	// detection engines.
	MaxListLen = 100
	// MaxWordLen caps one item of those lists, and short strings such as
	// a category or an assignee, in characters.
	MaxWordLen = 200
	// MaxIDLen caps an original (vendor) id, in bytes.
	MaxIDLen = 1024
	// MaxURLLen caps a URL, in bytes.
	MaxURLLen = 2048
	// MaxObservables and MaxIOCs cap an event's observables and IOCs.
	MaxObservables = 1000
	MaxIOCs        = 1000
	// MaxAnnotations caps a case's annotations.
	MaxAnnotations = 50
	// MaxIndicatorLen caps an indicator, in bytes (as the store does).
	MaxIndicatorLen = 4096
)

// isControl reports a control character; text fields may hold line
// breaks and tabs, one-line fields nothing of the kind.
func isControl(r rune) bool { return r < ' ' || r == 0x7f }

func isTextControl(r rune) bool { return isControl(r) && r != '\n' && r != '\r' && r != '\t' }

// checkLine checks a one-line string: trimmed, at most max characters,
// no control characters; required refuses an empty one.
func checkLine(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", InvalidField(field, "%s is required", field)
	case utf8.RuneCountInString(s) > max:
		return "", InvalidField(field, "%s is longer than %d characters", field, max)
	case strings.ContainsFunc(s, isControl):
		return "", InvalidField(field, "%s must not contain control characters", field)
	}
	return s, nil
}

// checkText checks a free text: at most MaxTextLen bytes, line breaks and
// tabs allowed.
func checkText(field, s string, required bool) (string, error) {
	switch {
	case strings.TrimSpace(s) == "" && required:
		return "", InvalidField(field, "%s is required", field)
	case len(s) > MaxTextLen:
		return "", InvalidField(field, "%s is longer than %d bytes", field, MaxTextLen)
	case strings.ContainsFunc(s, isTextControl):
		return "", InvalidField(field, "%s must not contain control characters other than line breaks and tabs", field)
	}
	return s, nil
}

// checkList checks a list of short strings; duplicates are dropped, order
// kept, and nil becomes empty.
func checkList(field string, in []string) ([]string, error) {
	if len(in) > MaxListLen {
		return nil, InvalidField(field, "%s has more than %d items", field, MaxListLen)
	}
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for i, s := range in {
		name := fmt.Sprintf("%s[%d]", field, i)
		v, err := checkLine(name, s, MaxWordLen, true)
		if err != nil {
			return nil, err
		}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out, nil
}

// checkURL checks an absolute http or https URL; "" is allowed.
func checkURL(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if len(s) > MaxURLLen {
		return "", InvalidField(field, "%s is longer than %d bytes", field, MaxURLLen)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsFunc(s, isControl) {
		return "", InvalidField(field, "%s must be an absolute http or https URL", field)
	}
	return s, nil
}

// SeverityInput is a severity as a client gives it: a 0-100 value, a level,
// or both when they agree.
type SeverityInput struct {
	Value *int
	Level string
}

// severityLevels are the levels of API.md, lowest first.
var severityLevels = []string{sdk.LevelNotValid, sdk.LevelLow, sdk.LevelMedium, sdk.LevelHigh, sdk.LevelCritical}

// checkLevel normalises a severity level given in any letter case.
func checkLevel(field, level string) (string, error) {
	l := strings.ToUpper(strings.TrimSpace(level))
	if _, err := sdk.LevelValue(l); err != nil {
		return "", InvalidField(field, "%s must be one of %s, got %q", field, strings.Join(severityLevels, ", "), level)
	}
	return l, nil
}

// checkSeverity turns a client's severity into a stored one: a level alone
// gets the level's value (0, 20, 50, 80 or 95).
func checkSeverity(field string, in SeverityInput) (store.Severity, error) {
	var level string
	if in.Level != "" {
		l, err := checkLevel(field+".level", in.Level)
		if err != nil {
			return store.Severity{}, err
		}
		level = l
	}
	switch {
	case in.Value != nil:
		v := *in.Value
		if v < 0 || v > 100 {
			return store.Severity{}, InvalidField(field+".value", "%s.value must be from 0 to 100, got %d", field, v)
		}
		if level != "" && sdk.SeverityLevel(v) != level {
			return store.Severity{}, InvalidField(field+".level", "%s.level %s does not follow from %s.value %d (%s): send one of them",
				field, level, field, v, sdk.SeverityLevel(v))
		}
		return store.NewSeverity(v), nil
	case level != "":
		v, _ := sdk.LevelValue(level)
		return store.Severity{Value: v, Level: level}, nil
	}
	return store.Severity{}, InvalidField(field, "%s needs a value (0-100) or a level", field)
}
