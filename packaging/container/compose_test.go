package container

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// The compose file loads with Compose's own loader (the one `docker
// compose` uses) and has the scale-out shape: PostgreSQL, Mosquitto fed
// by broker-config, two cloud replicas from our image behind HAProxy, and
// the platform simulator.
func TestTheComposeFileHasTheScaleOutShape(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"}, cli.WithWorkingDirectory("."), cli.WithName("admit"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	svc := func(name string) types.ServiceConfig {
		t.Helper()
		s, err := p.GetService(name)
		if err != nil {
			t.Fatalf("no service %s", name)
		}
		return s
	}
	for _, name := range []string{"cloud-1", "cloud-2"} {
		c := svc(name)
		if c.Image != "admit-cloud:dev" || !slices.Equal(c.Command, types.ShellCommand{"serve", "-config", "/etc/admit/compose.json", "-log-format", "json"}) {
			t.Errorf("%s runs %s %v", name, c.Image, c.Command)
		}
		if c.DependsOn["postgres"].Condition != types.ServiceConditionHealthy || c.HealthCheck == nil || !c.ReadOnly {
			t.Errorf("%s: depends on %v, health check %v, read-only %v", name, c.DependsOn, c.HealthCheck, c.ReadOnly)
		}
	}
	if m := svc("mosquitto"); m.DependsOn["broker-config"].Condition != types.ServiceConditionCompletedSuccessfully {
		t.Errorf("mosquitto starts before its accounts are written: %v", m.DependsOn)
	}
	if ps := svc("platform-sim"); ps.Image != "admit-cloud:dev" || !slices.Equal(ps.Entrypoint, types.ShellCommand{"/usr/bin/platform-sim"}) {
		t.Errorf("platform-sim: %s %v", ps.Image, ps.Entrypoint)
	}
	if hp := svc("haproxy"); len(hp.Ports) != 2 || hp.Ports[0].Published != "8080" {
		t.Errorf("haproxy ports %v", hp.Ports)
	}

	// The replicas' config names the services the file defines, and the
	// balancer sends to both replicas.
	var cfg map[string]any
	b, err := os.ReadFile("cloud-compose.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(cfg["db"].(string), "@postgres:5432/") || cfg["mqtt_url"] != "tcp://mosquitto:1883" || cfg["master_key_file"] != "/run/secrets/admit_master_key" {
		t.Errorf("cloud-compose.json: %v", cfg)
	}
	hc, err := os.ReadFile("haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"server cloud-1 cloud-1:8080 check", "server cloud-2 cloud-2:8080 check", "option httpchk GET /health/ready"} {
		if !strings.Contains(string(hc), s) {
			t.Errorf("haproxy.cfg lacks %q", s)
		}
	}
}
