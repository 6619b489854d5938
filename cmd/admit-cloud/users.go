package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"golang.org/x/term"

	"github.com/admitbox/admit/cloud/sales"
	"github.com/admitbox/admit/cloud/server"
)

// The operator's commands run on the server's shell against the store,
// with or without the cloud serving: admit-cloud init creates the first
// platform admin, admit-cloud user reset-password recovers any user.

// passwordFlags say where a command gets a password.
type passwordFlags struct {
	generate *bool
}

func addPasswordFlags(fs *flag.FlagSet) passwordFlags {
	return passwordFlags{generate: fs.Bool("generate", false, "generate the password and print it once, instead of reading it from the terminal or stdin")}
}

// password reads the password: generated, asked twice on a terminal, or
// the first line of stdin.
func (pf passwordFlags) password(stdin io.Reader, stdout io.Writer) (pw string, generated bool, err error) {
	if *pf.generate {
		// 26 random upper-case letters and digits (130 bits), half made
		// lower-case, a dash and a digit: every character class a policy
		// may ask for.
		t := rand.Text()
		return t[:13] + "-" + strings.ToLower(t[13:]) + "9", true, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", false, err
		}
		fmt.Fprint(stdout, "again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", false, err
		}
		if string(a) != string(b) {
			return "", false, errors.New("the passwords differ")
		}
		return string(a), false, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", false, errors.New("no password on stdin (or use -generate)")
	}
	return line, false, nil
}

// withService opens the configured store and a sales service on it.
func withService(ctx context.Context, cfg server.Config, fn func(*sales.Service) error) error {
	st, err := server.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	key, err := server.LoadMasterKey(cfg.MasterKeyFile)
	if err != nil {
		return err
	}
	svc, err := sales.New(ctx, st, sales.Config{SystemCode: cfg.SystemCode, Passwords: cfg.Passwords, PasswordPolicy: cfg.PasswordPolicy, MasterKey: key})
	if err != nil {
		return err
	}
	return fn(svc)
}

func runInit(ctx context.Context, cfg server.Config, username string, pf passwordFlags, stdin io.Reader, stdout io.Writer) error {
	pw, generated, err := pf.password(stdin, stdout)
	if err != nil {
		return err
	}
	return withService(ctx, cfg, func(svc *sales.Service) error {
		u, err := svc.InitPlatformAdmin(ctx, username, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "platform admin %q created (user %d)\n", u.Username, u.ID)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n(shown once: keep it now)\n", pw)
		}
		return nil
	})
}

func runResetPassword(ctx context.Context, cfg server.Config, username string, pf passwordFlags, stdin io.Reader, stdout io.Writer) error {
	if username == "" {
		return errors.New("admit-cloud user reset-password: -username is required")
	}
	pw, generated, err := pf.password(stdin, stdout)
	if err != nil {
		return err
	}
	actor := "unknown"
	if u, err := user.Current(); err == nil {
		actor = u.Username
	}
	return withService(ctx, cfg, func(svc *sales.Service) error {
		u, err := svc.ResetPassword(ctx, actor, username, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %q: new password set, unlocked and enabled; their logins ended (audited as shell:%s)\n", u.Username, actor)
		if generated {
			fmt.Fprintf(stdout, "password: %s\n(shown once: keep it now)\n", pw)
		}
		return nil
	})
}

// runRotate wraps the store's data key in a new master key.
func runRotate(ctx context.Context, cfg server.Config, newKeyFile string, stdout io.Writer) error {
	if newKeyFile == "" {
		return errors.New("admit-cloud secrets rotate: -new-key-file is required")
	}
	next, err := server.LoadMasterKey(newKeyFile)
	if err != nil || next == nil {
		return fmt.Errorf("the new master key: %v", err)
	}
	return withService(ctx, cfg, func(svc *sales.Service) error {
		if err := svc.RewrapDataKey(ctx, next); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "the data key is wrapped in the new master key: start every cloud process with it; the old one opens nothing now")
		return nil
	})
}
