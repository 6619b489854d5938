package firmwareprofiles_test

import (
	"os"
	"testing"

	"github.com/admitbox/admit/drivers/profile"
	firmwareprofiles "github.com/admitbox/admit/firmware-profiles"
)

// The built-in set must be exactly the directory: a profile added to the
// tree but missed by the embed pattern would be a model the agent cannot
// find without -profiles.
func TestTheBuiltInProfilesAreTheDirectorysProfilesAndAllLoad(t *testing.T) {
	built, errs := profile.LoadFS(firmwareprofiles.FS, "firmware-profiles")
	for _, err := range errs {
		t.Error(err)
	}
	disk, errs := profile.LoadDir(".")
	for _, err := range errs {
		t.Error(err)
	}
	if len(built) < 8 {
		t.Fatalf("%d built-in profiles, want at least 8", len(built))
	}
	for k := range disk {
		if _, ok := built[k]; !ok {
			t.Errorf("%s is on disk but not built in", k)
		}
	}
	for k := range built {
		if _, ok := disk[k]; !ok {
			t.Errorf("%s is built in but not on disk", k)
		}
	}
	if _, err := os.Stat("printer/epson-tm-t88-80mm.json"); err != nil {
		t.Fatal(err)
	}
}
