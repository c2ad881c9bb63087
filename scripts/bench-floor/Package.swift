// swift-tools-version:6.0
import PackageDescription

// The start-up and size floors that scripts/bench measures mai-entrypoint against: the least a Swift program
// built like it (release, the Swift stdlib linked in, stripped) costs, without and with its two dependencies.
let package = Package(
    name: "bench-floor",
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .executableTarget(name: "floor-empty"),
        .executableTarget(name: "floor-parser-log", dependencies: [
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
