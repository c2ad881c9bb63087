import ArgumentParser
import Logging

// swift-argument-parser and swift-log linked and called: `--version` parses a command line, a logger is made.
struct Floor: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "floor-parser-log", version: "1.0")

    @Option(help: "A level, as mai-entrypoint's --log-level.") var logLevel: String = "info"

    func run() {
        Logger(label: "floor").debug("run")
    }
}

LoggingSystem.bootstrap(StreamLogHandler.standardError)
Floor.main()
