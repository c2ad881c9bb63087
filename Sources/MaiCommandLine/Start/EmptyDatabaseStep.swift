import ArgumentParser
import Logging
import MaiOpenWebUI
import MaiSQL
import MaiSystem
import MaiUsageTracking

/// PostgreSQL only: a server about to start on a database without Open WebUI's tables or without any user,
/// while DATA_DIR/webui.db holds users, would look to them like data loss (Open WebUI moves nothing between
/// databases). One warning with the users' count and the command that moves them; with --refuse-empty-database,
/// exit 1 instead of starting. A database that cannot be reached is left to the server to report.
extension StartStep {
    static let warnOfEmptyServer = StartStep(name: "warn of an empty server") { state throws(StepEnd) in
        guard case .postgres(let target)? = state.location else { return }
        let webuiDB = state.dataDirectory + "/webui.db"
        guard let kept = OpenWebUIUsers.count(sqlitePath: webuiDB), kept > 0 else { return }
        let refuse = state.settings.dataSafety.refuseEmptyDatabase
        let users: Int?
        do throws(DatabaseError) {
            users = try OpenWebUIUsers.count(in: PostgresConnection(target: target, timeout: .seconds(10), readOnly: true, stop: state.stop))
        } catch .interrupted(let signal) {
            throw .stopped(signal, during: "while counting Open WebUI's users in \(target.display)")
        } catch {
            let line = "cannot tell whether \(target.display) holds Open WebUI's users (\(error)), while \(webuiDB) holds \(kept)"
            if refuse { throw .failed("not starting the server: \(line) (--refuse-empty-database)") }
            state.logger.warning("\(line)")
            return
        }
        guard (users ?? 0) == 0 else { return }
        let what = users == nil ? "has no Open WebUI tables yet" : "has no users"
        let message = "\(target.display) \(what) while \(webuiDB) holds \(kept) users: the server would start empty. Move them first with `mai-entrypoint move-to-postgresql --to-file FILE` (FILE holding the target's URL), see docs/database.md, \"Moving to PostgreSQL\""
        if refuse { throw .failed("not starting the server: \(message) (--refuse-empty-database)") }
        state.logger.warning("\(message); --refuse-empty-database makes this fatal")
    }
}
