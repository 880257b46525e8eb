package settings

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Setting is one field of a configuration struct C as a flag.
type Setting[C any] struct {
	// Name is the flag's name; the environment variable is derived from it.
	Name string
	// Usage says what the setting does; a word in back quotes names its
	// value, as in package flag.
	Usage string
	// Field returns the field of c the flag is bound to: a *string, a
	// *time.Duration, an *int, a *bool or a *List.
	Field func(c *C) any
	// Shown, when not empty, is the default as help shows it, in place of
	// the field's value.
	Shown string
}

// Table is every setting of a configuration struct C, in the order help
// text shows them, with the prefix of their environment variables.
type Table[C any] struct {
	// EnvPrefix starts the name of every environment variable ("AUTH_").
	EnvPrefix string
	Settings  []Setting[C]
}

// EnvName returns the environment variable of the flag with that name: the
// prefix followed by the name in upper case with dashes turned into
// underscores ("access-token-ttl" → "AUTH_ACCESS_TOKEN_TTL").
func (t Table[C]) EnvName(flagName string) string {
	return t.EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// FlagNames returns the names of the flags Register defines, in the order
// help text shows them.
func (t Table[C]) FlagNames() []string {
	names := make([]string, len(t.Settings))
	for i, s := range t.Settings {
		names[i] = s.Name
	}
	return names
}

// Register defines on fs one flag per setting, bound to its field of c,
// with c's current values as the defaults. The usage text of each flag
// names its environment variable and its default: a string quoted, a
// duration as FormatDuration writes it, an empty list as "none".
//
// Register panics if a setting's field has another type.
func (t Table[C]) Register(fs *flag.FlagSet, c *C) {
	for _, s := range t.Settings {
		switch p := s.Field(c).(type) {
		case *string:
			fs.StringVar(p, s.Name, *p, t.usage(s, strconv.Quote(*p)))
		case *time.Duration:
			fs.DurationVar(p, s.Name, *p, t.usage(s, FormatDuration(*p)))
		case *int:
			fs.IntVar(p, s.Name, *p, t.usage(s, strconv.Itoa(*p)))
		case *bool:
			fs.BoolVar(p, s.Name, *p, t.usage(s, strconv.FormatBool(*p)))
		case *List:
			def := p.String()
			if def == "" {
				def = "none"
			}
			fs.Var(p, s.Name, t.usage(s, def))
		default:
			panic(fmt.Sprintf("settings: setting %q has unsupported type %T", s.Name, p))
		}
	}
}

// usage is the usage text of s's flag, ending with its environment
// variable and def, its default, unless s shows another.
func (t Table[C]) usage(s Setting[C], def string) string {
	if s.Shown != "" {
		def = s.Shown
	}
	return fmt.Sprintf("%s (env %s, default %s)", s.Usage, t.EnvName(s.Name), def)
}

// ApplyEnv gives every flag of fs that Register defined and that was not set
// on the command line the value of its environment variable, as read by
// getenv. An empty or unset variable leaves the flag alone. Call it after
// fs.Parse, so the precedence is flag, then environment, then default.
//
// A malformed value is an error naming the variable and the kind of value
// it wants. Every malformed variable is reported, not just the first.
func (t Table[C]) ApplyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	for _, s := range t.Settings {
		f := fs.Lookup(s.Name)
		if set[s.Name] || f == nil {
			continue
		}
		env := t.EnvName(s.Name)
		v := getenv(env)
		if v == "" {
			continue
		}
		if err := fs.Set(s.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s=%q is not %s", env, v, want(f.Value)))
		}
	}
	return errors.Join(errs...)
}

// want describes the values v accepts, to explain a malformed one.
func want(v flag.Value) string {
	g, ok := v.(flag.Getter)
	if !ok {
		return "valid"
	}
	switch g.Get().(type) {
	case time.Duration:
		return "a duration such as 90s, 30m or 1h30m"
	case int:
		return "a whole number"
	case bool:
		return "true or false (or 1 or 0)"
	default:
		return "valid"
	}
}

// Load returns defaults overridden by the environment variables read with
// getenv, overridden by the flags in args. It defines the settings' flags
// on fs (which may hold other flags, but not these) and parses args with
// it, so fs.Args() holds the remaining arguments afterwards. On an error it
// returns the zero C. Load does not validate the result.
func (t Table[C]) Load(fs *flag.FlagSet, args []string, getenv func(string) string, defaults C) (C, error) {
	c := defaults
	t.Register(fs, &c)
	var zero C
	if err := fs.Parse(args); err != nil {
		return zero, err
	}
	if err := t.ApplyEnv(fs, getenv); err != nil {
		return zero, err
	}
	return c, nil
}

// PrintFlags writes to w one entry per setting of fs (as defined by
// Register), in the order of the table: the flag with its value name, then
// what it does, its environment variable and its default.
func (t Table[C]) PrintFlags(w io.Writer, fs *flag.FlagSet) {
	for _, s := range t.Settings {
		f := fs.Lookup(s.Name)
		if f == nil {
			continue
		}
		value, usage := flag.UnquoteUsage(f)
		if value != "" {
			value = " " + value
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s\n", f.Name, value, usage)
	}
}

// List is a comma-separated list setting, blanks around each item and
// empty items dropped; setting it replaces the list.
type List []string

var _ flag.Value = (*List)(nil)

func (l *List) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

// Set replaces the list with the items of s.
func (l *List) Set(s string) error {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	*l = out
	return nil
}

// FormatDuration formats d like time.Duration.String without the zero
// units at its end: "30m" rather than "30m0s", "720h" rather than
// "720h0m0s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
