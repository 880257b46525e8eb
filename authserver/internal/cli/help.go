package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fastsafe/fastsafe/authserver/internal/config"
)

const helpIntro = `authserver is the fastsafe OAuth2 authorization server, and the tool that
administers its database.

Usage:
  authserver [serve] [SETTINGS]
  authserver COMMAND [ARGUMENTS] [FLAGS] [SETTINGS]
  authserver help [COMMAND]

Without a command, or when the first argument is a flag, authserver serves.
Flags may come before or after the arguments; "--" ends the flags.

Commands:
`

const helpExit = `
Exit status: 0 on success, 1 on failure, 2 on a usage error or invalid settings.
`

// printHelp prints the overview: every command with its own flags, and
// every setting with its environment variable and default.
func printHelp(w io.Writer) {
	io.WriteString(w, helpIntro)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimPrefix(c.synopsis(), progName+" "), c.summary)
		fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
		c.setup(fs)
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(tw, "      %s\t%s\n", flagSynopsis(f), flagUsage(f))
		})
	}
	fmt.Fprintf(tw, "  help [COMMAND]\tshow this help, or the help of one command\n")
	tw.Flush()
	io.WriteString(w, "\n")
	printSettings(w)
	io.WriteString(w, helpExit)
}

// printGroupHelp prints the commands of one group.
func printGroupHelp(w io.Writer, group string) {
	fmt.Fprintf(w, "Usage: %s %s COMMAND [ARGUMENTS] [FLAGS] [SETTINGS]\n\nCommands:\n", progName, group)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			fmt.Fprintf(tw, "  %s\t%s\n", strings.TrimPrefix(c.synopsis(), progName+" "), c.summary)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "\nRun '%s help %s COMMAND' for the flags of a command, and '%s help' for the settings.\n",
		progName, group, progName)
}

// printCommandHelp prints one command's usage, flags and the settings.
func printCommandHelp(w io.Writer, c command) {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.setup(fs)
	var n int
	fs.VisitAll(func(*flag.Flag) { n++ })

	fmt.Fprintf(w, "Usage: %s", c.synopsis())
	if n > 0 {
		io.WriteString(w, " [FLAGS]")
	}
	io.WriteString(w, " [SETTINGS]\n\n")
	fmt.Fprintf(w, "%s%s.\n", strings.ToUpper(c.summary[:1]), c.summary[1:])
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.details))
	}
	if n > 0 {
		io.WriteString(w, "\nFlags:\n")
		fs.VisitAll(func(f *flag.Flag) { printFlag(w, f, flagUsage(f)) })
	}
	io.WriteString(w, "\n")
	printSettings(w)
}

// printSettings prints every setting with its environment variable and
// default, in the order of config.FlagNames.
func printSettings(w io.Writer) {
	io.WriteString(w, "Settings, accepted by every command; a flag wins over its environment\nvariable, which wins over the default:\n")
	fs := flag.NewFlagSet("settings", flag.ContinueOnError)
	cfg := config.Defaults()
	config.Register(fs, &cfg)
	for _, name := range config.FlagNames() {
		f := fs.Lookup(name)
		_, usage := flag.UnquoteUsage(f)
		printFlag(w, f, usage)
	}
}

func printFlag(w io.Writer, f *flag.Flag, usage string) {
	fmt.Fprintf(w, "  %s\n        %s\n", flagSynopsis(f), usage)
}

// flagSynopsis is "--name VALUE", with VALUE named as flag.UnquoteUsage
// names it, in upper case, and no VALUE for a boolean flag.
func flagSynopsis(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	if name == "" {
		return "--" + f.Name
	}
	return "--" + f.Name + " " + strings.ToUpper(name)
}

// flagUsage is a command flag's usage text with its default, if it has one.
// (The settings' usage texts name their defaults already.)
func flagUsage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	return usage
}
