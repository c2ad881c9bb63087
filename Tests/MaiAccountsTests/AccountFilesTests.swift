import Glibc
import MaiAccounts
import MaiSystem
import Testing

/// /etc/passwd and /etc/group read as glibc's files backend reads them.
@Suite struct AccountFilesTests {
    static let passwd = """
        root:x:0:0:root:/root:/bin/bash
        # a comment line
          app:x:1000:1000:App user,,,:/home/app:/bin/sh
        +nisuser::::::
        -excluded::::::
        broken:x:1001
        badid:x:12a:1000::/home/badid:/bin/sh
        toolarge:x:4294967295:0::/:/bin/sh
        nohome:x:1002:1002::::
        app:x:2000:2000:second app:/elsewhere:/bin/sh
        crlf:x:1003:1003::/home/crlf:/bin/sh\r

        """
    static let group = """
        root:x:0:
        app:x:1000:
        audio:x:29:app,other
        video:x:44:  app , crlf
        # staff:x:50:app
        shared:x:60:crlf\r
        empty:x:70:,,
        short:x:80
        app-dup:x:29:app

        """

    @Test func usersAsGlibcReadsThem() {
        let files = AccountFiles(passwd: Self.passwd, group: Self.group)
        #expect(files.users.map(\.name) == ["root", "app", "nohome", "app", "crlf"])
        #expect(files.user(named: "app") == PasswdEntry(name: "app", uid: 1000, gid: 1000, home: "/home/app"))
        #expect(files.user(id: 2000)?.home == "/elsewhere")
        #expect(files.user(named: "nisuser") == nil)
        #expect(files.user(named: "broken") == nil)
        #expect(files.user(named: "badid") == nil)
        #expect(files.user(named: "toolarge") == nil)
        #expect(files.user(named: "crlf")?.home == "/home/crlf")
    }

    @Test func groupsAndMembers() {
        let files = AccountFiles(passwd: Self.passwd, group: Self.group)
        #expect(files.groups.map(\.name) == ["root", "app", "audio", "video", "shared", "empty", "app-dup"])
        #expect(files.groups(listing: "app").map(\.gid) == [29, 44, 29])
        #expect(files.groups(listing: "crlf").map(\.name) == ["video", "shared"])
        #expect(files.group(named: "empty")?.members == [])
        #expect(files.group(named: "staff") == nil)
    }

    @Test func emptyAndOddFiles() {
        #expect(AccountFiles(passwd: "", group: "").users.isEmpty)
        let odd = AccountFiles(passwd: ":x:5:5::/:/bin/sh\n\u{FFFD}:x:6:6::/:/bin/sh\nnocolon\n", group: "::1:\n")
        #expect(odd.users.map(\.uid) == [6])
        #expect(odd.groups.isEmpty)
    }
}

@Suite struct UserSpecTests {
    @Test func forms() throws {
        #expect(try UserSpec.parse("app") == UserSpec(user: .name("app")))
        #expect(try UserSpec.parse("1000") == UserSpec(user: .id(1000)))
        #expect(try UserSpec.parse("1000:1000") == UserSpec(user: .id(1000), group: .id(1000)))
        #expect(try UserSpec.parse("app:staff") == UserSpec(user: .name("app"), group: .name("staff")))
        #expect(try UserSpec.parse("0:0") == UserSpec(user: .id(0), group: .id(0)))
        #expect(try UserSpec.parse("app:1000").description == "app:1000")
    }

    @Test func mistakes() {
        for text in ["", ":", "app:", ":1000", "a:b:c", "4294967295", "99999999999", "1000:4294967295", "a b", "a,b", "app\n"] {
            #expect(throws: UserSpecError.self, "\(text)") { try UserSpec.parse(text) }
        }
    }
}

@Suite struct AccountResolutionTests {
    let files = AccountFiles(passwd: AccountFilesTests.passwd, group: AccountFilesTests.group)

    @Test func nameGivesGroupsAndHome() throws {
        let account = try Account.resolve(UserSpec(user: .name("app")), in: files)
        #expect(account.credentials == Credentials(uid: 1000, gid: 1000, groups: [1000, 29, 44]))
        #expect(account.home == "/home/app")
        #expect(account.description == "app (1000:1000)")
    }

    @Test func uidWithEntryIsThatUser() throws {
        let account = try Account.resolve(UserSpec(user: .id(1000)), in: files)
        #expect(account.name == "app")
        #expect(account.credentials.groups == [1000, 29, 44])
    }

    @Test func groupGivenReplacesThePrimaryOne() throws {
        let byName = try Account.resolve(UserSpec(user: .name("app"), group: .name("shared")), in: files)
        #expect(byName.credentials == Credentials(uid: 1000, gid: 60, groups: [60, 29, 44]))
        let byID = try Account.resolve(UserSpec(user: .name("app"), group: .id(29)), in: files)
        #expect(byID.credentials.groups == [29, 44])
    }

    @Test func uidWithoutEntry() throws {
        let account = try Account.resolve(UserSpec(user: .id(1234), group: .id(1234)), in: files)
        #expect(account == Account(name: nil, credentials: Credentials(uid: 1234, gid: 1234, groups: [1234]), home: nil))
        #expect(account.description == "1234:1234")
        #expect(throws: AccountError.groupNeeded(uid: 1234)) { try Account.resolve(UserSpec(user: .id(1234)), in: files) }
    }

    @Test func unknownNames() {
        #expect(throws: AccountError.noSuchUser("nobody-here")) { try Account.resolve(UserSpec(user: .name("nobody-here")), in: files) }
        #expect(throws: AccountError.noSuchGroup("staff")) {
            try Account.resolve(UserSpec(user: .name("app"), group: .name("staff")), in: files)
        }
    }

    @Test func emptyHomeIsNone() throws {
        #expect(try Account.resolve(UserSpec(user: .name("nohome")), in: files).home == nil)
    }
}

@Suite struct FileAccessTests {
    let app = Account(name: "app", credentials: Credentials(uid: 1000, gid: 1000, groups: [1000, 29]), home: nil)

    @Test func ownerGroupOthers() {
        #expect(app.may([.write, .search], ownerUID: 1000, ownerGID: 0, mode: 0o700))
        #expect(!app.may([.write, .search], ownerUID: 0, ownerGID: 0, mode: 0o755))
        #expect(app.may(.search, ownerUID: 0, ownerGID: 0, mode: 0o755))
        #expect(app.may([.write, .search], ownerUID: 0, ownerGID: 29, mode: 0o775))
        #expect(!app.may([.write, .search], ownerUID: 0, ownerGID: 30, mode: 0o775))
        #expect(app.may([.write, .search], ownerUID: 0, ownerGID: 0, mode: 0o1777))
        // The owner's bits decide for the owner, even when the others' would allow more.
        #expect(!app.may(.write, ownerUID: 1000, ownerGID: 0, mode: 0o577))
        #expect(!app.may(.search, ownerUID: 0, ownerGID: 29, mode: 0o705))
    }

    @Test func rootMayEverything() {
        let root = Account(name: "root", credentials: Credentials(uid: 0, gid: 0, groups: [0]), home: "/root")
        #expect(root.may([.read, .write, .search], ownerUID: 1000, ownerGID: 1000, mode: 0o700))
    }
}
