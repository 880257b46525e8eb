package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/fastsafe/fastsafe/authserver/internal/password"
	"github.com/fastsafe/fastsafe/authserver/internal/secret"
)

// maxLine is the longest line read from standard input, in bytes; longer
// than any acceptable password or secret.
const maxLine = 1024

var errNoInput = errors.New("standard input is empty")

// readFirstLine returns the first line of r without its line ending ("\n"
// or "\r\n"). Input that ends without a line ending is a line too.
func readFirstLine(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxLine+2))
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	if line == "" {
		return "", errNoInput
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if len(line) > maxLine {
		return "", fmt.Errorf("the first line of standard input is longer than %d bytes", maxLine)
	}
	return line, nil
}

// terminal returns the file descriptor of a.stdin if it is a terminal.
func (a *app) terminal() (int, bool) {
	f, ok := a.stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

// readHidden reads a line from the terminal fd without echoing it, after
// printing prompt on stderr. Cancelling ctx (Ctrl-C) restores the terminal
// and returns at once.
func (a *app) readHidden(ctx context.Context, fd int, prompt string) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading the terminal: %w", err)
	}
	fmt.Fprint(a.stderr, prompt)
	type result struct {
		b   []byte
		err error
	}
	ch := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		ch <- result{b, err}
	}()
	select {
	case r := <-ch:
		fmt.Fprintln(a.stderr)
		if r.err != nil {
			return "", fmt.Errorf("reading the terminal: %w", r.err)
		}
		return string(r.b), nil
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		fmt.Fprintln(a.stderr)
		return "", ctx.Err()
	}
}

// readConfidential reads what (a password or a secret): from the terminal
// twice, hidden, if stdin is one; otherwise the first line of stdin.
func (a *app) readConfidential(ctx context.Context, what, prompt string) (string, error) {
	fd, isTerm := a.terminal()
	if !isTerm {
		s, err := readFirstLine(a.stdin)
		if errors.Is(err, errNoInput) {
			return "", fmt.Errorf("no %s: %w; write it as the first line", what, err)
		}
		return s, err
	}
	s, err := a.readHidden(ctx, fd, prompt+": ")
	if err != nil {
		return "", err
	}
	again, err := a.readHidden(ctx, fd, "Repeat "+strings.ToLower(prompt[:1])+prompt[1:]+": ")
	if err != nil {
		return "", err
	}
	if s != again {
		return "", fmt.Errorf("the two %ss differ", what)
	}
	return s, nil
}

// readPassword reads a new password and checks that bcrypt can hash it
// faithfully.
func (a *app) readPassword(ctx context.Context, username string) (string, error) {
	pw, err := a.readConfidential(ctx, "password", fmt.Sprintf("Password for %q", username))
	if err != nil {
		return "", err
	}
	if err := checkPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

func checkPassword(pw string) error {
	switch {
	case pw == "":
		return passwordError(password.ErrEmpty)
	case len(pw) > password.MaxLength:
		return passwordError(password.ErrTooLong)
	}
	return nil
}

// passwordError words the password package's errors for the command line,
// and returns other errors unchanged.
func passwordError(err error) error {
	switch {
	case errors.Is(err, password.ErrEmpty):
		return errors.New("the password is empty")
	case errors.Is(err, password.ErrTooLong):
		return fmt.Errorf("the password is longer than %d bytes, the most bcrypt can use; choose a shorter one", password.MaxLength)
	}
	return err
}

// newSecret returns a client secret: read from stdin if fromStdin, else
// generated.
func (a *app) newSecret(ctx context.Context, fromStdin bool) (string, error) {
	if !fromStdin {
		return secret.Generate()
	}
	s, err := a.readConfidential(ctx, "secret", "Client secret")
	if err != nil {
		return "", err
	}
	if err := secret.Validate(s); err != nil {
		switch {
		case errors.Is(err, secret.ErrTooShort):
			return "", fmt.Errorf("the secret from standard input is shorter than %d characters", secret.MinLength)
		case errors.Is(err, secret.ErrTooLong):
			return "", fmt.Errorf("the secret from standard input is longer than %d characters", secret.MaxLength)
		case errors.Is(err, secret.ErrInvalidChar):
			return "", errors.New("the secret from standard input may contain only visible ASCII characters, no spaces")
		}
		return "", fmt.Errorf("the secret from standard input is not acceptable: %w", err)
	}
	return s, nil
}
