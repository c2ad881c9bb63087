import MaiSystem

/// The Docker secrets convention: `X_FILE=/run/secrets/x` sets `X` from that file. Only for the named
/// variables: other `_FILE` names are ordinary paths (Open WebUI writes its generated key to
/// `WEBUI_SECRET_KEY_FILE`, which may not exist yet).
struct SecretFiles {
    let names: [String]

    func apply(to merge: inout Merge) throws(EnvironmentError) {
        for name in names {
            let fileVariable = name + "_FILE"
            // An empty X_FILE is the placeholder of a template .env, not a request.
            guard let path = merge.value(fileVariable), !path.isEmpty else { continue }
            // An empty X is unset, as .env.example says: compose's `X: ${X:-}` beside a secret file is common.
            if let value = merge.value(name), !value.isEmpty {
                throw .secretConflict(variable: name, fileVariable: fileVariable)
            }
            let value = try read(path, for: name)
            merge.setFromSecretFile(LoadedVariable(name: name, value: value, source: .secretFile(path: path)))
        }
    }

    private func read(_ path: String, for name: String) throws(EnvironmentError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try readFile(path, limit: Expander.entryLimit)
        } catch {
            throw .secretUnreadable(variable: name, path: path, reason: error.reason)
        }
        guard let text = String(validating: withoutFinalNewline(bytes), as: UTF8.self) else {
            throw .secretUnreadable(variable: name, path: path, reason: "not UTF-8 text")
        }
        if text.utf8.contains(0) { throw .secretUnreadable(variable: name, path: path, reason: "contains a NUL byte") }
        do {
            try Expander.checkLength(name: name, value: text)
        } catch {
            throw .secretUnreadable(variable: name, path: path, reason: "longer than \(Expander.entryLimit) bytes")
        }
        return text
    }
}

/// `echo secret > file` and editors end the file with a newline that is not part of the secret; one is
/// removed (CRLF counting as one), any others are kept as content.
private func withoutFinalNewline(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
    if bytes.last == UInt8(ascii: "\n") {
        let rest = bytes.dropLast()
        return rest.last == UInt8(ascii: "\r") ? rest.dropLast() : rest
    }
    return bytes[...]
}
