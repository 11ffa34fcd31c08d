package main

import (
	"github.com/spf13/cobra"
)

// newCompletionCmd replaces cobra's default completion command, to document
// how to install the scripts and to give it examples like every command.
func newCompletionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a script that completes amana's commands, flags and fixed values
(roles, kinds, facets) in your shell. Load it in the current shell, or
install it once:

  bash:  amana completion bash > /etc/bash_completion.d/amana
         (needs the bash-completion package)
  zsh:   amana completion zsh > "${fpath[1]}/_amana"
         (with 'autoload -U compinit; compinit' in ~/.zshrc)
  fish:  amana completion fish > ~/.config/fish/completions/amana.fish`,
		Example: `  source <(amana completion bash)
  amana completion zsh > "${fpath[1]}/_amana"
  amana completion fish | source`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, w := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(w, true)
			case "zsh":
				return root.GenZshCompletion(w)
			case "fish":
				return root.GenFishCompletion(w, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(w)
			}
			return usageError("unknown shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
	cmd.Args = cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs)
	return cmd
}
