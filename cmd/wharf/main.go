// Command wharf is the Wharf server and its command-line tools.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "wharf",
		Short:         "Wharf: a replicated message cluster that speaks the Amazon SQS API",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newBenchCmd())
	root.AddCommand(newQueueCmd())
	root.AddCommand(newTopicCmd())
	root.AddCommand(newClusterCmd())
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "wharf:", err)
		os.Exit(exitCode(err))
	}
}
