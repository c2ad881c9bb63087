import ArgumentParser
import Logging
import MaiSystem

/// The subcommands, in the order `--help` lists them, each with the one line it shows there (under 80 columns,
/// the width at which the argument parser wraps).
let subcommandSummaries: [(name: String, summary: String)] = [
    ("env", "print the variables the env files set, with their source"),
    ("init-db", "only initialize the usage-tracking database (exit 0/1)"),
    ("status", "database, schema version, organization, row counts (read-only)"),
    ("healthcheck", "exit 0 when the server's /health answers 200 {\"status\": true}"),
    ("backups", "list the backups of webui.db, with their integrity"),
    ("restore", "put a backup of webui.db back (never under a running server)"),
    ("move-to-postgresql", "copy webui.db into PostgreSQL, verified, all or nothing"),
]

/// The run's command, looked up in the PATH the child will get before any step that writes (the key, the lock,
/// --chown-data): a mistyped subcommand (`stauts`) reaches this point as a command, and must change nothing.
/// Not found: one line, with the subcommand it was probably meant to be, and 127 as a shell would exit.
func refuseMissingCommand(_ command: [[UInt8]], environment: EnvironmentBlock, logger: Logger) throws(ExitCode) {
    guard let name = command.first,
          let error = commandNotFound(name, searchPath: environment.bytes("PATH").map(Array.init)) else { return }
    let word = displayText(name)
    let guess = subcommandSummaries.first { isOneEditAway(word, $0.name) }.map { "; did you mean \($0.name)?" } ?? ""
    logger.error("\(error.description)\(guess)", metadata: ["exit_status": .stringConvertible(error.exitStatus)])
    throw ExitCode(error.exitStatus)
}

/// One insertion, deletion, substitution or swap of two neighbours (`stauts` for `status`) turns `a` into `b`.
func isOneEditAway(_ a: String, _ b: String) -> Bool {
    let x = Array(a), y = Array(b)
    guard x != y, abs(x.count - y.count) <= 1 else { return false }
    let prefix = zip(x, y).prefix { $0 == $1 }.count
    let restX = x[prefix...], restY = y[prefix...]
    if x.count == y.count {
        // A substitution, or a swap of the first differing pair.
        if restX.dropFirst().elementsEqual(restY.dropFirst()) { return true }
        return restX.count >= 2 && restX.first == restY.dropFirst().first && restY.first == restX.dropFirst().first
            && restX.dropFirst(2).elementsEqual(restY.dropFirst(2))
    }
    // An insertion or a deletion at the first difference.
    return x.count > y.count ? restX.dropFirst().elementsEqual(restY) : restY.dropFirst().elementsEqual(restX)
}
