import CMaiSystem
import Glibc

/// Why a command could not be started, with the status a shell would give it (127 not found, 126 not runnable).
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let command: String
    public let errno: Int32

    public var exitStatus: Int32 { errno == ENOENT || errno == ENOTDIR ? 127 : 126 }
    public var reason: String {
        errno == ENOENT ? "command not found" : String(cString: strerror(errno)).lowercased()
    }
    public var description: String { "cannot run \(command): \(reason)" }
}

/// How a child is started.
public struct SpawnOptions: Sendable {
    /// `KEY=VALUE` pairs; nil passes this process's own environment.
    public var environment: [String]?
    /// Descriptors that become the child's stdout and stderr (nil: inherited).
    public var standardOutput: Int32?
    public var standardError: Int32?
    /// Makes the child's process group the terminal's foreground group when stdin is our terminal.
    public var takeTerminalForeground = true

    public init(environment: [String]? = nil) { self.environment = environment }
}

/// Starts a command in a process group of its own, with stdin, stdout and stderr only, an empty signal mask
/// and every signal at its default disposition (what the supervisor blocked or handled must not leak into it).
public func spawnProcess(_ arguments: [String], options: SpawnOptions = SpawnOptions()) throws(SpawnError) -> pid_t {
    guard let command = arguments.first else { throw SpawnError(command: "", errno: ENOENT) }
    let environment = options.environment ?? currentEnvironment()
    let path = try resolveExecutable(command, searchPath: lookup("PATH", in: environment))

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    var defaults = SignalSet.allCatchable().raw
    // glibc's posix_spawn leaves its two internal signals (32, 33) ignored in the child unless they are in this
    // set, and its sigaddset refuses them; the set is a plain bit mask (bit n-1 for signal n), so set them here.
    defaults.__val.0 |= (1 << 31) | (1 << 32)
    posix_spawnattr_setsigmask(&attributes, &emptyMask)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setpgroup(&attributes, 0)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    if let fd = options.standardOutput { posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO) }
    if let fd = options.standardError { posix_spawn_file_actions_adddup2(&actions, fd, STDERR_FILENO) }
    cmai_spawn_add_closefrom(&actions, 3)
    if options.takeTerminalForeground && isatty(STDIN_FILENO) == 1 && tcgetpgrp(STDIN_FILENO) != -1 {
        cmai_spawn_add_tcsetpgrp(&actions, STDIN_FILENO)
    }

    var pid: pid_t = 0
    let result = withCStrings(arguments) { argv in
        withCStrings(environment) { envp in posix_spawn(&pid, path, &actions, &attributes, argv, envp) }
    }
    if result != 0 { throw SpawnError(command: command, errno: result) }
    return pid
}

/// Finds a command as a shell does: a name with a slash is used as it is, any other is searched in PATH.
func resolveExecutable(_ command: String, searchPath: String?) throws(SpawnError) -> String {
    if command.contains("/") { return command }
    var firstDenied: String?
    let directories = (searchPath ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .split(separator: ":", omittingEmptySubsequences: false)
    for directory in directories {
        let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + command
        var info = stat()
        guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
        if access(candidate, X_OK) == 0 { return candidate }
        if firstDenied == nil { firstDenied = candidate }
    }
    if firstDenied != nil { throw SpawnError(command: command, errno: EACCES) }
    throw SpawnError(command: command, errno: ENOENT)
}

/// This process's environment as `KEY=VALUE` strings.
public func currentEnvironment() -> [String] {
    var result: [String] = []
    var cursor = environ
    while let entry = cursor.pointee {
        result.append(String(cString: entry))
        cursor += 1
    }
    return result
}

func lookup(_ name: String, in environment: [String]) -> String? {
    let prefix = name + "="
    return environment.last { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
}

/// Calls body with a NULL-terminated C array of the strings, valid only during the call.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
