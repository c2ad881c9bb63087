// swift-tools-version:6.0
import PackageDescription

// One library target per job; the executable only calls into MaiCommandLine.
let package = Package(
    name: "mai-entrypoint",
    products: [
        .executable(name: "mai-entrypoint", targets: ["mai-entrypoint"]),
    ],
    dependencies: [
        // Exact versions: Package.resolved cannot be committed (the local package mirror's commit ids differ from
        // GitHub's), so the Dockerfile's build resolves on a user's machine; pinned, it gets these versions.
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        // Release links export none of the program's own symbols: the toolchain's static-stdlib arguments pass
        // --export-dynamic, which put ~3,300 Swift symbols in the dynamic table (0.3 MB stripped) that nothing
        // looks up (libpq is loaded with dlopen and needs nothing from us). SwiftPM already links release builds
        // with --gc-sections. scripts/bench measures the binary this gives against two floors.
        .executableTarget(name: "mai-entrypoint", dependencies: ["MaiCommandLine"],
                          linkerSettings: [.unsafeFlags(["-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(configuration: .release))]),
        .target(name: "CMaiSystem"),
        // Debug (test) builds carry the fault-injection seam of the system-call wrappers; release builds do not.
        .target(name: "MaiSystem", dependencies: ["CMaiSystem"],
                swiftSettings: [.define("MAI_FAULT_INJECTION", .when(configuration: .debug))]),
        .target(name: "MaiLogging", dependencies: [
            "MaiSystem",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Secrets struck from text, whatever quotes them: a leaf that the environment and the database layers share.
        .target(name: "MaiRedaction"),
        .target(name: "MaiEnvironment", dependencies: [
            "MaiSystem", "MaiRedaction",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Headers only: libsqlite3 is loaded with dlopen when a SQLite database is opened, libpq when PostgreSQL is
        // used (see LibSQLite.swift and LibPQ.swift), so that a run that needs neither loads neither.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", providers: [.apt(["libpq-dev"])]),
        // The SQL layer: SQLite and PostgreSQL behind one connection protocol, a database's location, typed errors.
        .target(name: "MaiSQL", dependencies: [
            "MaiSystem", "MaiRedaction", "CSQLite", "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Our domain: the usage tables in the app's shape, their migrations, the organization, retry and backoff.
        .target(name: "MaiUsageTracking", dependencies: [
            "MaiSystem", "MaiRedaction", "MaiSQL",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Open WebUI's data: which database it uses, its Alembic records and scripts, backups, the migration gate,
        // the move to PostgreSQL, status.
        .target(name: "MaiOpenWebUI", dependencies: [
            "MaiSystem", "MaiRedaction", "MaiSQL", "MaiUsageTracking", "MaiDataDirectory",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MaiHealth", dependencies: ["MaiSystem"]),
        // Users and groups from /etc/passwd and /etc/group (no NSS: the binary is static), and --user.
        .target(name: "MaiAccounts", dependencies: ["MaiSystem"]),
        // What the server finds in DATA_DIR: a persistent secret key, an owner that it can write as.
        .target(name: "MaiDataDirectory", dependencies: [
            "MaiSystem", "MaiAccounts", .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MaiSupervision", dependencies: [
            "MaiSystem", "MaiHealth",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "MaiCommandLine", dependencies: [
            "MaiSystem", "MaiLogging", "MaiSupervision", "MaiEnvironment", "MaiRedaction", "MaiSQL", "MaiUsageTracking",
            "MaiOpenWebUI", "MaiHealth",
            "MaiAccounts", "MaiDataDirectory",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Unit tests, one target per module: they need the Swift toolchain and libsqlite3, nothing else (no root,
        // PostgreSQL, `sqlite3` command, Python or built binary): `scripts/test --fast` runs only these.
        .testTarget(name: "MaiSystemTests", dependencies: ["MaiSystem"]),
        .testTarget(name: "MaiLoggingTests", dependencies: ["MaiLogging", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "MaiHealthTests", dependencies: ["MaiHealth", "MaiSystem"]),
        .testTarget(name: "MaiSupervisionTests", dependencies: ["MaiSupervision", "MaiSystem"]),
        .testTarget(name: "MaiCommandLineTests", dependencies: ["MaiCommandLine", "MaiOpenWebUI", "MaiSQL", "MaiSystem"]),
        .testTarget(name: "MaiRedactionTests", dependencies: ["MaiRedaction"]),
        .testTarget(name: "MaiEnvironmentTests", dependencies: ["MaiEnvironment", "MaiTestSupport"]),
        .testTarget(name: "MaiSQLTests", dependencies: ["MaiSQL", "MaiRedaction", "MaiSystem", "CSQLite"],
                    linkerSettings: [.linkedLibrary("sqlite3")]),
        .testTarget(name: "MaiUsageTrackingTests", dependencies: ["MaiUsageTracking", "MaiSQL", "MaiSystem", "MaiTestSupport"]),
        .testTarget(name: "MaiOpenWebUITests", dependencies: ["MaiOpenWebUI", "MaiUsageTracking", "MaiSQL", "MaiSystem", "MaiTestSupport"]),
        .testTarget(name: "MaiAccountsTests", dependencies: ["MaiAccounts", "MaiSystem"]),
        .testTarget(name: "MaiDataDirectoryTests", dependencies: ["MaiDataDirectory", "MaiAccounts", "MaiSystem"]),
        // Helpers the test targets share: the test cluster's URL, a process holding a SQLite lock, a log recorder,
        // the .env fixture corpus.
        .target(name: "MaiTestSupport", dependencies: ["MaiEnvironment", .product(name: "Logging", package: "swift-log")],
                path: "Tests/MaiTestSupport"),
        // Integration tests (every name ends in IntegrationTests: `swift test --skip IntegrationTests` leaves them
        // out): what needs root, the PostgreSQL cluster scripts/test starts, the `sqlite3` command, Python or the
        // built binary.
        .testTarget(name: "MaiSystemIntegrationTests", dependencies: ["MaiSystem"]),
        .testTarget(name: "MaiEnvironmentIntegrationTests", dependencies: ["MaiEnvironment", "MaiTestSupport"]),
        .testTarget(name: "MaiUsageTrackingIntegrationTests", dependencies: [
            "MaiUsageTracking", "MaiOpenWebUI", "MaiSQL", "MaiSystem", "MaiTestSupport", "mai-entrypoint",
        ]),
        .testTarget(name: "MaiDataDirectoryIntegrationTests", dependencies: ["MaiDataDirectory", "MaiAccounts", "MaiSystem"]),
        .testTarget(name: "IntegrationTests", dependencies: ["MaiSystem", "mai-entrypoint", "MaiTestSupport"], exclude: ["Children"]),
    ],
    swiftLanguageModes: [.v6]
)
