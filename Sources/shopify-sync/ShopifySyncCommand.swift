import ArgumentParser
import Foundation
import Logging
import ShopifyAPI
import ShopifySync
import ShopifySyncCore
import Systemd

/// `shopify-sync`: the daemon and every operator subcommand.
@main
struct ShopifySyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shopify-sync",
        abstract: "Keeps Shopify's stock levels true to what the warehouse holds.",
        version: ShopifySyncVersion.current,
        subcommands: [Daemon.self, Status.self, Submit.self, BulkSync.self, Requeue.self, Check.self, Drift.self]
    )
}

/// The `--config` option every subcommand takes.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "The config file (default $SHOPIFY_SYNC_CONFIG or /etc/shopify-sync/config.toml).")
    var config: String?

    var path: String {
        config ?? ProcessInfo.processInfo.environment["SHOPIFY_SYNC_CONFIG"] ?? SyncConfig.defaultPath
    }

    func commands() -> OperatorCommands {
        var logger = Logger(label: "shopify-sync") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return OperatorCommands(configPath: path, environment: ProcessInfo.processInfo.environment, logger: logger)
    }
}

/// Runs an operator command, mapping its failure to the contract's exit status.
func runCommand(_ body: () async throws(CommandFailure) -> Void) async throws {
    do {
        try await body()
    } catch {
        FileHandle.standardError.write(Data((error.message + "\n").utf8))
        throw ExitCode(error.status.rawValue)
    }
}

/// Writes a line to stdout unbuffered, so it keeps its order with stderr.
func printLine(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

extension ShopifySyncCommand {
    struct Daemon: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Runs in the foreground under systemd (Type=notify).")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Run even as root (refused otherwise: run it as its own user, as the unit does).")
        var allowRoot = false

        func run() async throws {
            // $SHOPIFY_SYNC_JOURNAL_SOCKET names another journal socket; a path with no socket sends the log to
            // stderr with <N> prefixes (tests read it from there).
            let socket =
                ProcessInfo.processInfo.environment["SHOPIFY_SYNC_JOURNAL_SOCKET"]
                ?? JournalLogHandler.defaultSocketPath
            LoggingSystem.bootstrap { JournalLogHandler(label: $0, socketPath: socket) }
            var logger = Logger(label: "shopify-sync")
            logger.logLevel = ProcessInfo.processInfo.environment["SHOPIFY_SYNC_DEBUG"] == "1" ? .debug : .info
            guard geteuid() != 0 || allowRoot else {
                logger.critical(
                    "refusing to run as root: run the daemon as its own user (the unit's User=shopify-sync), or pass --allow-root"
                )
                throw ExitCode(ExitStatus.noPermission.rawValue)
            }
            // The tokens are in this process's memory: no core file is written that could carry them.
            var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
            do {
                try await ShopifySync.Daemon.run(configPath: options.path, logger: logger)
            } catch let error as ConfigErrors {
                logger.critical("config error: \(error)")
                throw ExitCode(ExitStatus.configError.rawValue)
            } catch let error as StateFolderLock.Held {
                logger.critical("refusing to start: \(error)")
                throw ExitCode(ExitStatus.tempFail.rawValue)
            } catch {
                logger.critical("daemon failed: \(error)")
                throw ExitCode(ExitStatus.ioError.rawValue)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per-folder counts, oldest pending age, each store's state, recent errors."
        )
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await runCommand { () throws(CommandFailure) in
                try options.commands().status(json: json, output: printLine)
            }
        }
    }

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validates request files and places them in pending/ atomically."
        )
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Request files (JSON).") var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("name at least one file") }
        }

        func run() async throws {
            try await runCommand { () throws(CommandFailure) in
                try options.commands().submit(files: files, output: printLine)
            }
        }
    }

    struct Requeue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Moves files from failed/ back to pending/ (their applied lines stay applied)."
        )
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Requeue every file in failed/.") var all = false
        @Flag(
            help: """
                Send calls whose outcome is unknown again under a new key even past their idempotency window \
                (only after drift showed they were not applied).
                """
        )
        var resendUnknown = false
        @Argument(help: "File names in failed/.") var names: [String] = []

        func run() async throws {
            try await runCommand { () throws(CommandFailure) in
                try options.commands().requeue(
                    names: names,
                    all: all,
                    resendUnknown: resendUnknown,
                    output: printLine
                )
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validates config, catalog and tokens.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Also make one read-only query per store.") var online = false

        func run() async throws {
            try await runCommand { () async throws(CommandFailure) in
                try await options.commands().check(online: online, output: printLine)
            }
        }
    }

    struct BulkSync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bulk-sync",
            abstract: "Makes a bulk_sync request from a CSV snapshot (sku,location,on_hand) and submits it."
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: "The snapshot CSV.") var csv: String
        @Option(help: "Only this store.") var store: String?
        @Flag(help: "Hard sync: the snapshot is the whole stock.") var all = false
        @Flag(help: "Skip the mass-zero guard.") var force = false
        @Option(
            name: .customLong("as-of"),
            help: "The RFC 3339 instant the snapshot describes (default: the CSV file's modification time)."
        )
        var asOf: String?

        func run() async throws {
            try await runCommand { () throws(CommandFailure) in
                try options.commands().bulkSync(
                    csv: csv,
                    store: store,
                    all: all,
                    force: force,
                    asOf: asOf,
                    output: printLine
                )
            }
        }
    }

    struct Drift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compares a WMS snapshot with Shopify's on_hand; writes nothing (exit 1 when they differ)."
        )
        @OptionGroup var options: ConfigOptions
        @Option(help: "The snapshot CSV (sku,location,on_hand).") var csv: String
        @Option(help: "Only this store.") var store: String?
        @Flag(help: "Print JSON.") var json = false
        @Flag(help: "When drift is found, also log a journal entry with its own MESSAGE_ID (the drift timer).")
        var journal = false

        func run() async throws {
            try await runCommand { () async throws(CommandFailure) in
                do throws(CommandFailure) {
                    try await options.commands().drift(csv: csv, store: store, json: json, output: printLine)
                } catch {
                    if journal && error.status == .finishedWithFailures {
                        DriftJournal.logDriftFound(error.message, snapshot: csv, store: store)
                    }
                    throw error
                }
            }
        }
    }
}
