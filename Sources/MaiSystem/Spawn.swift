import CMaiSystem
import Glibc

/// Why a command could not be started, with the status a shell would give it (127 not found, 126 not runnable).
public struct SpawnError: Error, CustomStringConvertible, Sendable {
    public let command: String
    public let errno: Int32
    /// The call that failed before the command could be run (`setuid` …); nil when running it failed.
    public let call: String?

    public init(command: String, errno: Int32, call: String? = nil) {
        self.command = command
        self.errno = errno
        self.call = call
    }

    public var exitStatus: Int32 { call == nil && (errno == ENOENT || errno == ENOTDIR) ? 127 : 126 }
    public var reason: String {
        if let call { return "\(call): \(String(cString: strerror(errno)).lowercased())" }
        return errno == ENOENT ? "command not found" : String(cString: strerror(errno)).lowercased()
    }
    public var description: String { "cannot run \(command): \(reason)" }
}

/// How a child is started.
public struct SpawnOptions: Sendable {
    /// The child's environment, byte for byte; nil passes this process's own.
    public var environment: EnvironmentBlock?
    /// Descriptors that become the child's stdout and stderr (nil: inherited).
    public var standardOutput: Int32?
    public var standardError: Int32?
    /// Makes the child's process group the terminal's foreground group when stdin is our terminal.
    public var takeTerminalForeground = true
    /// The user and groups the command runs as; nil: this process's own.
    public var credentials: Credentials?

    public init(environment: EnvironmentBlock? = nil) { self.environment = environment }
}

/// Starts a command in a process group of its own, with stdin, stdout and stderr only, an empty signal mask
/// and every signal at its default disposition (what the supervisor blocked or handled must not leak into it).
/// Arguments and environment are passed as raw bytes: nothing is decoded or re-encoded on the way.
public func spawnProcess(_ arguments: [[UInt8]], options: SpawnOptions = SpawnOptions()) throws(SpawnError) -> pid_t {
    guard let command = arguments.first else { throw SpawnError(command: "", errno: ENOENT) }
    let environment = options.environment ?? EnvironmentBlock.current()
    if let credentials = options.credentials {
        return try spawnAsUser(arguments, credentials, environment: environment, options: options)
    }
    let path = try resolveExecutable(command, searchPath: environment.bytes("PATH").map(Array.init))
    return try launch(path, arguments, environment: environment, options: options, reportDescriptor: nil)
}

/// posix_spawn cannot change credentials: this program is started instead, as a stage that applies them and
/// then execs the command (see `CredentialSwitch`). It reports a failure, before or at its exec, on a
/// close-on-exec pipe, so the caller learns of it as of any spawn error: nothing arrives once the exec worked.
private func spawnAsUser(_ arguments: [[UInt8]], _ credentials: Credentials, environment: EnvironmentBlock,
                         options: SpawnOptions) throws(SpawnError) -> pid_t {
    let command = arguments.first ?? []
    let report: Pipe
    do { report = try Pipe() } catch { throw SpawnError(command: displayText(command), errno: error.errno) }
    defer { close(report.readEnd) }
    let stage = [Array(CredentialSwitch.selfExecutable.utf8), Array(CredentialSwitch.argument.utf8),
                 Array(credentials.argument.utf8)] + arguments
    let pid: pid_t
    do {
        pid = try launch(Array(CredentialSwitch.selfExecutable.utf8), stage, environment: environment, options: options,
                         reportDescriptor: report.writeEnd)
    } catch {
        close(report.writeEnd)
        throw SpawnError(command: displayText(command), errno: error.errno, call: "exec of \(CredentialSwitch.selfExecutable)")
    }
    close(report.writeEnd)
    guard let failure = CredentialSwitch.readReport(report.readEnd) else { return pid }
    // The stage has exited (or is about to): reaped here, since the caller never learns its pid.
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && Glibc.errno == EINTR {}
    throw SpawnError(command: displayText(command), errno: failure.errno, call: failure.call)
}

/// posix_spawn with the child's own process group, an empty signal mask, every signal at its default
/// disposition and only stdin, stdout, stderr (and the report descriptor as 3, for the credential stage).
private func launch(_ path: [UInt8], _ arguments: [[UInt8]], environment: EnvironmentBlock, options: SpawnOptions,
                    reportDescriptor: Int32?) throws(SpawnError) -> pid_t {
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
    // dup2 onto 3 clears close-on-exec there (also when the pipe's end already is 3: POSIX 2018, glibc 2.29).
    if let fd = reportDescriptor { posix_spawn_file_actions_adddup2(&actions, fd, CredentialSwitch.reportDescriptor) }
    cmai_spawn_add_closefrom(&actions, reportDescriptor == nil ? 3 : CredentialSwitch.reportDescriptor + 1)
    if options.takeTerminalForeground && isatty(STDIN_FILENO) == 1 && tcgetpgrp(STDIN_FILENO) != -1 {
        cmai_spawn_add_tcsetpgrp(&actions, STDIN_FILENO)
    }

    var pid: pid_t = 0
    let result = withCStrings(arguments) { argv in
        withCStrings(environment.entries) { envp in
            withCString(path) { executable in posix_spawn(&pid, executable, &actions, &attributes, argv, envp) }
        }
    }
    if result != 0 { throw SpawnError(command: displayText(arguments.first ?? path), errno: result) }
    return pid
}

/// Arguments given as text (tests and helper processes).
public func spawnProcess(_ arguments: [String], options: SpawnOptions = SpawnOptions()) throws(SpawnError) -> pid_t {
    try spawnProcess(arguments.map { Array($0.utf8) }, options: options)
}

/// Bytes as text for a log line or a message; an invalid byte reads as U+FFFD.
public func displayText(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Whether spawning `command` with this PATH would end in "command not found" (127): the same lookup as the
/// spawn's, done early, so that a typo is reported before anything is prepared for the child. Only absence is
/// told here; a file that exists but may not be run (126) depends on the user it runs as, and is left to the
/// spawn (or the credential stage), which reports it as before.
public func commandNotFound(_ command: [UInt8], searchPath: [UInt8]?) -> SpawnError? {
    let path: [UInt8]
    do {
        path = try resolveExecutable(command, searchPath: searchPath)
    } catch {
        return error.exitStatus == 127 ? error : nil
    }
    // A name with a slash is used as it is: execve fails with ENOENT or ENOTDIR when no such file is there.
    let missing = withCString(path) { access($0, F_OK) != 0 && (errno == ENOENT || errno == ENOTDIR) }
    return missing ? SpawnError(command: displayText(command), errno: ENOENT) : nil
}

/// Finds a command as a shell does: a name with a slash is used as it is, any other is searched in PATH (the
/// first PATH entry of the environment, as the child's own `getenv` would find it).
public func resolveExecutable(_ command: [UInt8], searchPath: [UInt8]?) throws(SpawnError) -> [UInt8] {
    let slash = UInt8(ascii: "/")
    if command.contains(slash) { return command }
    var firstDenied: [UInt8]?
    let directories = (searchPath ?? Array("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".utf8))
        .split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
    for directory in directories {
        let candidate = (directory.isEmpty ? [UInt8(ascii: ".")] : Array(directory)) + [slash] + command
        let (isFile, isExecutable) = withCString(candidate) { path -> (Bool, Bool) in
            var info = stat()
            guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return (false, false) }
            return (true, access(path, X_OK) == 0)
        }
        guard isFile else { continue }
        if isExecutable { return candidate }
        if firstDenied == nil { firstDenied = candidate }
    }
    if firstDenied != nil { throw SpawnError(command: displayText(command), errno: EACCES) }
    throw SpawnError(command: displayText(command), errno: ENOENT)
}

/// Calls body with the bytes as a NUL-terminated C string, valid only during the call.
func withCString<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> R) -> R {
    let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
    defer { copy.deallocate() }
    for (index, byte) in bytes.enumerated() { copy[index] = CChar(bitPattern: byte) }
    copy[bytes.count] = 0
    return body(copy)
}

/// Calls body with a NULL-terminated C array of the byte strings (each NUL-terminated), valid only during the call.
func withCStrings<R>(_ strings: [[UInt8]], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { bytes in
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        for (index, byte) in bytes.enumerated() { copy[index] = CChar(bitPattern: byte) }
        copy[bytes.count] = 0
        return copy
    }
    pointers.append(nil)
    defer { for pointer in pointers { pointer?.deallocate() } }
    return body(pointers)
}
