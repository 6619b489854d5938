package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/admitbox/admit/cloud/report/wire"
	"github.com/admitbox/admit/cloud/server"
	"github.com/admitbox/admit/internal/platformsim"
)

// demoPlatform starts the national data platform simulator for the demo,
// keeping its data under dir, registers the demo system (on the first run;
// later runs reuse what it issued, written under dir), its cinema and its
// film, and returns how the cloud reaches it.
func demoPlatform(listen, dir, system string, log *slog.Logger) (*platformsim.Sim, string, server.PlatformConfig, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return nil, "", server.PlatformConfig{}, err
	}
	token := hex.EncodeToString(b)
	sim, err := platformsim.Start(platformsim.Config{Listen: listen, AdminToken: token, Logger: log, DataDir: filepath.Join(dir, "platform-data")})
	if err != nil {
		return nil, "", server.PlatformConfig{}, err
	}
	fail := func(err error) (*platformsim.Sim, string, server.PlatformConfig, error) {
		sim.Close()
		return nil, "", server.PlatformConfig{}, fmt.Errorf("demo: platform: %w", err)
	}
	// Where the cloud answers the platform's queries and takes its reviews
	// of 补登 applications: a free port, registered as the system's address.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	queries := ln.Addr().String()
	ln.Close()
	files, ok := platformsim.IssuedIn(dir)
	if sim.Registered(system) && ok {
		if err := sim.SetAddress(system, "https://"+queries); err != nil {
			return fail(err)
		}
	} else {
		is, err := sim.RegisterSystem(platformsim.SystemRequest{Code: system, Version: "demo", Address: "https://" + queries})
		if err != nil {
			return fail(err)
		}
		if files, err = is.Write(dir); err != nil {
			return fail(err)
		}
	}
	if _, err := sim.RegisterCinema(platformsim.CinemaRequest{System: system, Cinema: wire.Cinema{Code: "31010101", Name: "Admit Cinema 幸福影城",
		Company: "Demo Entertainment 演示娱乐", Circuit: "Shanghai United 上海联和院线", Status: wire.StatusOpen, Halls: 2}}); err != nil {
		return fail(err)
	}
	if _, err := sim.RegisterFilm(wire.Film{Code: "001X02212023", Name: "流浪地球 The Wandering Earth", Version: "2D", DurationMin: 125,
		ReleaseDate: "2019-02-05", Distributor: "China Film", Producer: "China Film", Director: "Frant Gwo", Cast: "Wu Jing", Synopsis: "The sun is dying."}); err != nil {
		return fail(err)
	}
	pc := server.PlatformConfig{URL: sim.URL(), System: system, Cert: files.Cert, Key: files.Key, SM2Key: files.SM2Key, CA: files.CA,
		QueryListen: queries}
	return sim, token, pc, nil
}
