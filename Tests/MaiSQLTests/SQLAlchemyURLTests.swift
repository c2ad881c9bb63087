import Foundation
@testable import MaiSQL
import Testing

/// A DATABASE_URL is read as Open WebUI's SQLAlchemy reads it, not as libpq's URI parser would. The expected
/// keywords are what SQLAlchemy 2.x's psycopg2 dialect gave for the same URLs (`create_connect_args`).
@Suite struct SQLAlchemyURLTests {
    func keywords(_ url: String) -> [String] {
        PostgresTarget(uri: url).parameters.map { "\($0.keyword)=\($0.value)" }
    }

    @Test func readsAsSQLAlchemyDoes() {
        #expect(keywords("postgresql://u:Secret/Tail99@host:5433/d%41b?sslmode=disable&application_name=x")
            == ["host=host", "dbname=d%41b", "user=u", "password=Secret/Tail99", "port=5433", "sslmode=disable", "application_name=x"])
        #expect(keywords("postgresql://u:Abc@TAIL@host/db") == ["host=TAIL@host", "dbname=db", "user=u", "password=Abc"])
        #expect(keywords("postgresql://us%40er:p%2Fw@[::1]:5432/db") == ["host=::1", "dbname=db", "user=us@er", "password=p/w", "port=5432"])
        #expect(keywords("postgresql://u@/db?host=/tmp") == ["dbname=db", "user=u", "host=/tmp"])
        #expect(keywords("postgresql://u:p%zz@h/db") == ["host=h", "dbname=db", "user=u", "password=p%zz"])
        #expect(keywords("postgresql://u:a?b#c@h/db?options=-c+search_path%3Dx") == ["host=h", "dbname=db", "user=u", "password=a?b#c", "options=-c search_path=x"])
    }

    @Test func unclosedBracketIsAHostNoResolverKnows() {
        #expect(keywords("postgresql://u:pw@[::1") == ["host=[", "user=u", "password=pw", "port=:1"])
    }
}
