package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/admitbox/admit/drivers/profile"
)

// profilesCmd runs "admit-edge profiles SUBCOMMAND".
func profilesCmd(args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "udev-rules" {
		return udevRules(args[1:], out)
	}
	if len(args) == 0 || args[0] != "validate" {
		return errors.New("usage: admit-edge profiles validate [-dir firmware-profiles] [FILE...] | profiles udev-rules [-dir DIR] [-group admit]")
	}
	fs := flag.NewFlagSet("admit-edge profiles validate", flag.ContinueOnError)
	fs.SetOutput(out)
	dir := fs.String("dir", "firmware-profiles", "the firmware profile directory (<kind>/<model>.json)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var (
		profiles map[string]profile.Profile
		errs     []error
	)
	if fs.NArg() > 0 {
		profiles = make(map[string]profile.Profile)
		for _, f := range fs.Args() {
			p, err := profile.Load(f)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			profiles[p.Kind+"/"+strings.TrimSuffix(filepath.Base(f), ".json")] = p
		}
	} else {
		profiles, errs = profile.LoadDir(*dir)
	}
	return reportProfiles(out, profiles, errs, *dir, fs.NArg() > 0)
}

// reportProfiles prints one line per usable profile and one per problem.
func reportProfiles(out io.Writer, profiles map[string]profile.Profile, errs []error, dir string, named bool) error {
	keys := make([]string, 0, len(profiles))
	for k := range profiles {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := profiles[k]
		fmt.Fprintf(out, "ok  %s  %s (%s)\n", k, strings.TrimSpace(p.Vendor+" "+p.Model), p.Transport.Name())
	}
	for _, err := range errs {
		fmt.Fprintln(out, err)
	}
	switch {
	case len(errs) == 1:
		return errors.New("1 profile has problems")
	case len(errs) > 1:
		return fmt.Errorf("%d profiles have problems", len(errs))
	case len(profiles) == 0 && !named:
		return fmt.Errorf("no profiles in %s", dir)
	}
	return nil
}
