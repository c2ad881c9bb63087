import MaiSQL

extension AlembicRecord {
    /// One line naming what an interrupted migration left in this database, the newest backup and the command
    /// that restores it; nil when nothing was left.
    public func interruptedMigration(state: MigrationState?, scripts: MigrationScripts?, store: BackupStore,
                                     path: String) -> String? {
        var findings: [String] = []
        let revision = revisions?.joined(separator: ", ") ?? "none"
        if !leftoverTables.isEmpty {
            findings.append("an interrupted Open WebUI migration left the tables \(leftoverTables.joined(separator: ", ")) (alembic revision \(revision))")
        }
        if case .unknown(let revisions) = state, let scripts {
            findings.append("its alembic revision \(revisions.joined(separator: ", ")) is named by none of Open WebUI's migration scripts in \(scripts.directory) (a database of a newer Open WebUI, or a damaged alembic_version)")
        }
        guard !findings.isEmpty else { return nil }
        let advice = (try? store.list())?.first.map { newest in
            "the newest backup is \(newest.path) (\(newest.name.readableTime), revision \(newest.name.revision)): stop the server and run \"mai-entrypoint restore \(newest.name.fileName)\""
        } ?? "there is no backup in \(store.directory) to restore"
        return "\(path): " + findings.joined(separator: "; ") + "; Open WebUI will fail to migrate it; " + advice
    }
}
