internal import ArgumentParser

/// `dh completion SHELL`: prints the shell completion script for `dh`.
struct CompletionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "completion",
        abstract: "Print the shell completion script for dh (bash, zsh or fish).",
        discussion: """
            Completes subcommands, flags and their values (file paths, roles, algorithms).

            Examples:
              dh completion bash > /etc/bash_completion.d/dh       (then open a new shell)
              dh completion zsh > "${fpath[1]}/_dh"
              dh completion fish > ~/.config/fish/completions/dh.fish
              source <(dh completion bash)                          (this shell only)
            """)

    enum Shell: String, ExpressibleByArgument, CaseIterable {
        case bash, zsh, fish
    }

    @Argument(help: "The shell: bash, zsh or fish.")
    var shell: Shell

    func run() throws {
        print(script())
    }

    func script() -> String {
        let kind: CompletionShell =
            switch shell {
            case .bash: .bash
            case .zsh: .zsh
            case .fish: .fish
            }
        return DataHealthCommand.completionScript(for: kind)
    }
}
