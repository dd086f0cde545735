// pulumi-language-python for the newest engine: runs the v3.79.0 Python language host
// (pulumi-language-python-v3.79.0, beside this file) with the project's runtime options as flags.
//
// Pulumi CLIs up to v3.79 started the language host as
//
//	pulumi-language-python -<option>=<value>... -root=<project dir> <engine address>
//
// Later CLIs pass only the engine address and hand the options over in each request, which a v3.79
// host does not read: without this shim it would ignore `runtime.options.virtualenv` and run the
// program with whatever python3 is on PATH. The shim finds the project the way the CLI does (from
// the working directory up) and starts the host exactly as a v3.79 CLI would.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// host is the real language host's file name, set by scripts/build-pulumi.sh (-X main.host=...).
var host = "pulumi-language-python-v3.79.0"

func main() {
	self, err := os.Executable()
	if err != nil {
		fail(err)
	}
	hostPath := filepath.Join(filepath.Dir(self), host)
	var flags []string
	if projectPath, err := workspace.DetectProjectPath(); err == nil && projectPath != "" {
		project, err := workspace.LoadProject(projectPath)
		if err != nil {
			fail(err)
		}
		options := project.Runtime.Options()
		keys := make([]string, 0, len(options))
		for k := range options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			flags = append(flags, fmt.Sprintf("-%s=%v", k, options[k]))
		}
		flags = append(flags, "-root="+filepath.Dir(projectPath))
	}
	argv := append(append([]string{hostPath}, flags...), os.Args[1:]...)
	fail(syscall.Exec(hostPath, argv, os.Environ()))
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-python (v3.79.0 host shim): %v\n", err)
	os.Exit(1)
}
