package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/admitbox/admit/cloud/lottery"
)

// lotteryCmd: `admit lottery commit|draw|verify`, on the published files.
//
//	admit lottery commit -seed-out seed.hex            a fresh seed; prints the commitment to publish
//	admit lottery draw -seed seed.hex -pools pools.csv -applications apps.csv -out result.json
//	admit lottery verify -pools pools.csv -applications apps.csv -result result.json [-commitment HEX]
func lotteryCmd(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: admit lottery commit|draw|verify [flags]")
	}
	fs := flag.NewFlagSet("admit lottery "+args[0], flag.ContinueOnError)
	seedFile := fs.String("seed", "", "draw: the secret seed (hex)")
	seedOut := fs.String("seed-out", "", "commit: where to write a fresh seed (hex, must not exist)")
	poolsFile := fs.String("pools", "", "the pools file (CSV pool,tickets)")
	appsFile := fs.String("applications", "", "the locked applications (CSV pool,id,quantity)")
	resultFile := fs.String("result", "", "verify: the published result (JSON)")
	outFile := fs.String("out", "", "draw: where to write the result (JSON; default stdout)")
	commitment := fs.String("commitment", "", "verify: the commitment published before the draw (default: the one in the result)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	switch args[0] {
	case "commit":
		if *seedOut == "" {
			return errors.New("lottery commit: -seed-out is needed")
		}
		seed := make([]byte, lottery.MinSeed)
		if _, err := rand.Read(seed); err != nil {
			return err
		}
		f, err := os.OpenFile(*seedOut, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("lottery commit: %w", err)
		}
		if _, err := fmt.Fprintln(f, hex.EncodeToString(seed)); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(out, "commitment %s\n", lottery.Commit(seed))
		return nil
	case "draw", "verify":
	default:
		return fmt.Errorf("lottery: unknown command %q", args[0])
	}
	pools, apps, err := lotteryInputs(*poolsFile, *appsFile)
	if err != nil {
		return err
	}
	if args[0] == "draw" {
		b, err := os.ReadFile(*seedFile)
		if err != nil {
			return fmt.Errorf("lottery draw: the seed: %w", err)
		}
		seed, err := hex.DecodeString(strings.TrimSpace(string(b)))
		if err != nil {
			return errors.New("lottery draw: the seed file is not hex")
		}
		res, err := lottery.Draw(seed, pools, apps)
		if err != nil {
			return err
		}
		w := out
		if *outFile != "" {
			f, err := os.Create(*outFile)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	b, err := os.ReadFile(*resultFile)
	if err != nil {
		return fmt.Errorf("lottery verify: the result: %w", err)
	}
	var res lottery.Result
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		return fmt.Errorf("lottery verify: the result does not decode: %w", err)
	}
	if *commitment != "" && *commitment != res.Commitment {
		return fmt.Errorf("lottery verify: the result's commitment %s is not the one published before the draw, %s", res.Commitment, *commitment)
	}
	if err := lottery.Verify(res, pools, apps); err != nil {
		return err
	}
	winners := 0
	for _, p := range res.Pools {
		winners += len(p.Winners)
	}
	fmt.Fprintf(out, "lottery verified: %d applications, %d pools, %d winners; the seed matches commitment %s\n", len(apps), len(pools), winners, res.Commitment)
	return nil
}

func lotteryInputs(poolsFile, appsFile string) ([]lottery.Pool, []lottery.Application, error) {
	pf, err := os.Open(poolsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("lottery: the pools: %w", err)
	}
	defer pf.Close()
	pools, err := lottery.ReadPools(pf)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", poolsFile, err)
	}
	af, err := os.Open(appsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("lottery: the applications: %w", err)
	}
	defer af.Close()
	apps, err := lottery.ReadApplications(af)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", appsFile, err)
	}
	return pools, apps, nil
}
