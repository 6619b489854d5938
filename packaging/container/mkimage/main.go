// Command mkimage writes a container image (a docker-archive tarball, which
// `docker load` and `podman load` take) from a root filesystem directory,
// without a container engine: one layer, made in Go so that owners, modes
// and times are exactly as given, and an image config with the entrypoint,
// user, ports and volumes.
//
//	go run ./mkimage -rootfs DIR -tag admit-cloud:0.1.0 -out image.tar \
//	    -own /var/lib/admit=10001:10001 -entrypoint /usr/bin/admit-cloud \
//	    -cmd serve,-config,/etc/admit/cloud.json -user 10001:10001 -port 8080 -port 1883
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

type owner struct{ uid, gid int }

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("mkimage", flag.ContinueOnError)
	rootfs := fs.String("rootfs", "", "the root filesystem directory")
	tag := fs.String("tag", "", "the image's name and tag")
	out := fs.String("out", "", "the tarball to write")
	arch := fs.String("arch", "amd64", "the image's architecture")
	entry := fs.String("entrypoint", "", "the program")
	cmd := fs.String("cmd", "", "its default arguments, comma-separated")
	user := fs.String("user", "", "uid:gid it runs as")
	epoch := fs.Int64("epoch", 0, "the time every file and the image carry (Unix seconds; default now)")
	var owns, ports, volumes, envs, labels list
	fs.Var(&owns, "own", "PATH=UID:GID[:MODE]: this path (not what is under it) is owned so (repeatable); others are root's")
	fs.Var(&ports, "port", "an exposed TCP port (repeatable)")
	fs.Var(&volumes, "volume", "a volume path (repeatable)")
	fs.Var(&envs, "env", "NAME=VALUE (repeatable)")
	fs.Var(&labels, "label", "NAME=VALUE (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *rootfs == "" || *tag == "" || *out == "" || *entry == "" {
		return errors.New("-rootfs, -tag, -out and -entrypoint are needed")
	}
	when := time.Now().UTC().Truncate(time.Second)
	if *epoch != 0 {
		when = time.Unix(*epoch, 0).UTC()
	}
	own := map[string]owner{}
	modes := map[string]int64{}
	for _, o := range owns {
		path, spec, ok := strings.Cut(o, "=")
		parts := strings.Split(spec, ":")
		if !ok || len(parts) < 2 || len(parts) > 3 {
			return fmt.Errorf("-own %q: want PATH=UID:GID[:MODE]", o)
		}
		uid, err1 := strconv.Atoi(parts[0])
		gid, err2 := strconv.Atoi(parts[1])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("-own %q: ids are numbers", o)
		}
		own[strings.TrimPrefix(filepath.Clean(path), "/")] = owner{uid, gid}
		if len(parts) == 3 {
			m, err := strconv.ParseInt(parts[2], 8, 32)
			if err != nil {
				return fmt.Errorf("-own %q: the mode is octal", o)
			}
			modes[strings.TrimPrefix(filepath.Clean(path), "/")] = m
		}
	}
	layerTar, err := layer(*rootfs, own, modes, when)
	if err != nil {
		return err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil })
	if err != nil {
		return fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", *arch, v1.Time{Time: when}
	cf.Config.Entrypoint = []string{*entry}
	if *cmd != "" {
		cf.Config.Cmd = strings.Split(*cmd, ",")
	}
	cf.Config.User = *user
	cf.Config.WorkingDir = "/"
	cf.Config.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin"}, envs...)
	if len(ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range ports {
			cf.Config.ExposedPorts[p+"/tcp"] = struct{}{}
		}
	}
	if len(volumes) > 0 {
		cf.Config.Volumes = map[string]struct{}{}
		for _, v := range volumes {
			cf.Config.Volumes[v] = struct{}{}
		}
	}
	cf.Config.Labels = map[string]string{}
	for _, kv := range labels {
		k, v, _ := strings.Cut(kv, "=")
		cf.Config.Labels[k] = v
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		return fmt.Errorf("-tag: %w", err)
	}
	if err := tarball.WriteToFile(*out, ref, img); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	d, _ := img.Digest()
	fmt.Printf("%s %s (%d bytes of layer)\n", *tag, d, len(layerTar))
	return nil
}

// layer tars the root filesystem in name order: every entry root's unless
// own says otherwise, every time when, modes as on disk (or own's).
func layer(root string, own map[string]owner, modes map[string]int64, when time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		h, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if d.IsDir() {
			h.Name += "/"
		}
		o := own[filepath.ToSlash(rel)]
		h.Uid, h.Gid, h.Uname, h.Gname = o.uid, o.gid, "", ""
		if m, ok := modes[filepath.ToSlash(rel)]; ok {
			h.Mode = m
		}
		h.ModTime, h.AccessTime, h.ChangeTime = when, time.Time{}, time.Time{}
		h.Format = tar.FormatPAX
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if info.Mode().IsRegular() {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(tw, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("layer from %s: %w", root, err)
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
