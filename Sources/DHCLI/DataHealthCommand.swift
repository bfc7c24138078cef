public import ArgumentParser

/// The DataHealth release this build belongs to.
public enum DataHealthVersion {
    public static let current = "0.1.0"
}

/// `dh`: the DataHealth server and the operators' command line.
public struct DataHealthCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dh",
        abstract: "DataHealth: the service layer of Japan's national health-data platform.",
        discussion: """
            Runs DataHealth servers and gives operators their tools.

            Examples:
              dh --version            Print the DataHealth release.
              dh version --libraries  Print the release and the C libraries this binary runs on.
              dh pki init dev-pki     Make a development CA and one certificate per role.
              dh serve --pki dev-pki --data-dir /var/lib/datahealth --policy deploy/policy.conf
                                      Serve over mutual TLS 1.3 until SIGINT or SIGTERM.
              dh policy check policy.conf
                                      Validate an authorization policy file.
              dh migrate up --data-dir /var/lib/datahealth
                                      Apply the database schema's pending migrations.
              dh audit verify --data-dir /var/lib/datahealth --public-key audit-log.pub.pem
                                      Check the audit log against its signed heads.
              dh completion bash > /etc/bash_completion.d/dh
                                      Install shell completion.

            Every subcommand has its own examples: dh help SUBCOMMAND.
            """,
        version: DataHealthVersion.current,
        subcommands: [
            VersionCommand.self, ServeCommand.self, PKICommand.self, PolicyCommand.self, MigrateCommand.self,
            AuditCommand.self, SynthCommand.self, CallCommand.self, ListCommand.self, DescribeCommand.self,
            CompletionCommand.self,
        ]
    )

    public init() {}
}
